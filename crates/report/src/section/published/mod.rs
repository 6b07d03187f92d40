//! "Published numbers beside ours": for each family the closest published result
//! ([`sources::ENTRIES`]) next to genbench's number under its own protocol, read from this
//! experiment's runs (mean over seeds with the run count, or "not run"), and the protocol
//! differences in words.

pub mod sources;

use crate::context::Context;
use crate::format::{cell, interval};
use crate::model::ModelRuns;
use genbench_core::results::schema::col;
use sources::{Comparability, ENTRIES, Entry, Measure, Ours};
use std::collections::BTreeMap;

/// The grey levels of a run's images from its `preprocessing` line as genbench-dataset writes
/// it: 2 for "binarized from ...", L' for "requantized L -> L' levels ...", L for "L levels
/// (0..L-1) ..."; `None` for 2-D data or an unreadable line.
pub fn levels(preprocessing: &str) -> Option<u32> {
    if preprocessing.starts_with("binarized") {
        return Some(2);
    }
    let text = match preprocessing.strip_prefix("requantized ") {
        Some(rest) => rest.split_once("-> ")?.1,
        None => preprocessing,
    };
    let (number, rest) = text.split_once(' ')?;
    rest.starts_with("levels").then(|| number.parse().ok())?
}

/// The section, when some model of `groups` is one an entry lists; nothing otherwise.
pub fn write(ctx: &mut Context, groups: &BTreeMap<String, Vec<ModelRuns>>) {
    let listed = groups
        .values()
        .flatten()
        .any(|m| ENTRIES.iter().any(|e| e.models.contains(&m.model.as_str())));
    if !listed {
        return;
    }
    ctx.line("## Published numbers beside ours\n");
    ctx.line("For each family, the closest published result and genbench's number on the closest dataset of this experiment, each under its own protocol: the mean ± half-width of the 95% interval over the runs (seeds), with the kind and the run count; \"not run\" where this experiment has no run of the model on that data. No number is converted: genbench's is in the published number's unit. A number is given only where it was confirmed (in the paper's text, or in a source quoting the paper) or is known with certainty; how each was checked is listed below the table, and where none was found the row says so.\n");
    ctx.line("| family | ours | published: model, data | published number | paper | genbench (its protocol) | protocol differences |");
    ctx.line("|---|---|---|---|---|---|---|");
    for entry in ENTRIES {
        ctx.line(&row(entry, groups));
    }
    ctx.line("\nSame task: the same kind of data and number, under another protocol. Other dataset: the family's scale on the paper's data, not a target for ours. Not comparable: a quantity of the same name computed differently.\n");
    let data = recorded_data(groups);
    if !data.is_empty() {
        ctx.line("genbench's data as its runs recorded it:\n");
        let lines: Vec<String> = data.iter().map(|(k, p)| format!("- {k}: {p}")).collect();
        ctx.line(&format!("{}\n", lines.join("\n")));
    }
    ctx.line("How each published number was checked:\n");
    let checked: Vec<String> = ENTRIES
        .iter()
        .filter_map(|e| {
            let p = e.published?;
            Some(format!("- {} ({}): {}.", e.models[0], p.value, p.checked))
        })
        .collect();
    ctx.line(&format!("{}\n", checked.join("\n")));
}

/// One table row of `entry`.
fn row(entry: &Entry, groups: &BTreeMap<String, Vec<ModelRuns>>) -> String {
    let models: Vec<String> = entry.models.iter().map(|m| format!("`{m}`")).collect();
    let (what, number, paper) = match &entry.published {
        Some(p) => {
            let c = &p.citation;
            (
                format!("{}; {}", p.model, p.dataset),
                format!("{} ({})", with_unit(p.value, entry.measure), p.kind),
                format!(
                    "{} {}, *{}*, {}, {}",
                    c.authors, c.year, c.title, c.venue, c.table
                ),
            )
        }
        None => (
            "–".into(),
            "not found in the sources searched".into(),
            "–".into(),
        ),
    };
    let ours: Vec<String> = entry.ours.iter().map(|o| ours(entry, o, groups)).collect();
    let mut differences = vec![entry.differences.trim_end_matches('.').to_string()];
    differences.extend(shared_differences(entry));
    let label = match entry.comparability {
        Comparability::SameTask => "same task",
        Comparability::OtherDataset => "other dataset",
        Comparability::NotComparable => "not comparable",
    };
    format!(
        "| {} | {} | {} | {} | {} | {} | **{label}**: {}. |",
        entry.family,
        models.join(", "),
        cell(&what),
        cell(&number),
        cell(&paper),
        ours.join("<br>"),
        cell(&differences.join("; "))
    )
}

/// genbench's side of `entry` on one dataset: each listed model's mean over its runs at the
/// dataset's levels, or "not run".
fn ours(entry: &Entry, o: &Ours, groups: &BTreeMap<String, Vec<ModelRuns>>) -> String {
    let data = format!("{} ({})", o.dataset, levels_label(o.levels));
    let runs: Vec<ModelRuns> = groups
        .get(o.dataset)
        .into_iter()
        .flatten()
        .filter(|m| entry.models.contains(&m.model.as_str()))
        .filter_map(|m| at_levels(m, o.levels))
        .collect();
    if runs.is_empty() {
        return format!("{data}: not run");
    }
    let parts: Vec<String> = runs
        .iter()
        .map(|m| {
            let key = match entry.measure {
                Measure::NllNats => col::NLL_NATS,
                Measure::NllBpd => col::NLL_BPD,
                Measure::Fd => col::FD,
            };
            let s = m.summary(key);
            let (kind, n) = match entry.measure {
                Measure::Fd => ("FID-approx".to_string(), first(m, col::FD_N)),
                _ => (m.nll_kinds().join(", "), first(m, col::NLL_N)),
            };
            if s.n == 0 {
                return format!("`{}` on {data}: no number ({kind})", m.model);
            }
            let runs = if s.n == 1 { "run" } else { "runs" };
            let value = interval(&s, s.n);
            // The run count follows: a single run's "(n=1)" would say it twice.
            let value = value.strip_suffix(" (n=1)").unwrap_or(&value);
            format!(
                "`{}` on {data}: {} ({}, n = {}; {} {runs})",
                m.model,
                with_unit(value, entry.measure),
                cell(&kind),
                n.unwrap_or("?"),
                s.n,
            )
        })
        .collect();
    parts.join("<br>")
}

/// `model`'s runs whose images have `levels` grey levels, `None` when it has none.
fn at_levels(model: &ModelRuns, levels_wanted: u32) -> Option<ModelRuns> {
    let mut m = model.clone();
    m.runs
        .retain(|r| levels(r.s(col::PREPROCESSING)) == Some(levels_wanted));
    (!m.runs.is_empty()).then_some(m)
}

/// The first non-empty `key` of the model's finished runs.
fn first<'a>(model: &'a ModelRuns, key: &str) -> Option<&'a str> {
    model.ok_runs().find_map(|r| r.get(key))
}

fn levels_label(levels: u32) -> String {
    if levels == 2 {
        "binarized".into()
    } else {
        format!("{levels} levels")
    }
}

/// `value` followed by the unit of `measure` (a Fréchet distance has none).
fn with_unit(value: &str, measure: Measure) -> String {
    match measure {
        Measure::NllNats => format!("{value} nats/image"),
        Measure::NllBpd => format!("{value} bits/dim"),
        Measure::Fd => value.to_string(),
    }
}

/// Every entry dataset this experiment ran, with the preprocessing line of its first run.
fn recorded_data(groups: &BTreeMap<String, Vec<ModelRuns>>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for o in ENTRIES.iter().flat_map(|e| e.ours) {
        let line = groups.get(o.dataset).into_iter().flatten().find_map(|m| {
            m.runs
                .iter()
                .map(|r| r.s(col::PREPROCESSING))
                .find(|p| levels(p) == Some(o.levels))
        });
        if let Some(p) = line {
            out.insert(
                format!("{} ({})", o.dataset, levels_label(o.levels)),
                cell(p),
            );
        }
    }
    out
}

/// The protocol differences shared by every entry with a published number on genbench's data:
/// the training-set sizes, and the binarization where it reads binarized images.
fn shared_differences(entry: &Entry) -> Vec<String> {
    if entry.published.is_none() {
        return Vec::new();
    }
    let sizes: Vec<&str> = sources::TRAIN_SIZES
        .iter()
        .filter(|(d, _)| entry.ours.iter().any(|o| o.dataset == *d))
        .map(|(_, size)| *size)
        .collect();
    let mut shared = vec![format!(
        "training images at the benchmark's defaults: {}, against the paper's 50,000-60,000",
        sizes.join("; ")
    )];
    if entry.ours.iter().any(|o| o.levels == 2) {
        shared.push(sources::BINARIZATION.to_string());
    }
    shared
}

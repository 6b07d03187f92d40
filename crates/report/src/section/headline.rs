//! The headline: one table per quantity — test NLL with its kind, FD / FID-approx with its
//! sample count, seconds to converge — a row per model and a column per dataset, short enough
//! to quote in README.md. With the manifest's plan, a pair it plans that has no runs reads
//! `not run` and a pair it does not plan reads `·` ([`super::planned`] says why).

use super::table::{ONE_STEP, unconverged};
use crate::context::Context;
use crate::convergence::{model_seconds_to_converge, one_step};
use crate::format::{cell, num};
use crate::model::{ModelRuns, family_rank, is_images};
use crate::plan::Planned;
use genbench_core::results::schema::{CONVERGED_TOLERANCE, NLL_KIND_DIVERGED, col};
use std::collections::BTreeMap;

/// A cell of the headline's grid: the model's runs on the dataset, or why there are none.
#[derive(Clone, Copy, Debug)]
enum Entry<'a> {
    Runs(&'a ModelRuns),
    /// The manifest plans the pair; the folder has no run of it.
    NotRun,
    /// The manifest does not plan the pair (or, without a manifest, no run of it).
    Absent,
}

/// One row of the grid: a model and its entry per dataset, in column order.
struct GridRow<'a> {
    model: String,
    family: String,
    entries: Vec<Entry<'a>>,
}

/// The grid's columns (the manifest's datasets in its order, then any other the folder has)
/// and rows (models by family in `family_order`, paper year, name).
fn grid<'a>(
    groups: &'a BTreeMap<String, Vec<ModelRuns>>,
    family_order: &[&str],
    planned: Option<&Planned>,
) -> (Vec<String>, Vec<GridRow<'a>>) {
    let mut datasets: Vec<String> = planned.map(|p| p.datasets.clone()).unwrap_or_default();
    for d in groups.keys() {
        if !datasets.contains(d) {
            datasets.push(d.clone());
        }
    }
    // (family rank, family, year, model) -> the model's runs by dataset; a model without runs
    // (its year unknown) after its family's others
    type Key = (usize, String, u32, String);
    let mut rows: BTreeMap<Key, BTreeMap<&str, &ModelRuns>> = BTreeMap::new();
    let mut years: BTreeMap<&str, Option<u32>> = BTreeMap::new();
    for m in groups.values().flatten() {
        years.entry(&m.model).or_insert(m.year);
    }
    for m in groups.values().flatten() {
        let key = (
            m.family_rank,
            m.family.clone(),
            years[m.model.as_str()].unwrap_or(u32::MAX),
            m.model.clone(),
        );
        rows.entry(key).or_default().insert(&m.dataset, m);
    }
    for r in planned.map(|p| p.runs.as_slice()).unwrap_or_default() {
        if !years.contains_key(r.model.as_str()) {
            let key = (
                family_rank(family_order, &r.family),
                r.family.clone(),
                u32::MAX,
                r.model.clone(),
            );
            rows.entry(key).or_default();
        }
    }
    let rows = rows
        .into_iter()
        .map(|((_, family, _, model), by_dataset)| GridRow {
            entries: datasets
                .iter()
                .map(|d| match by_dataset.get(d.as_str()) {
                    Some(m) => Entry::Runs(m),
                    None if planned.is_some_and(|p| p.plans(&model, d)) => Entry::NotRun,
                    None => Entry::Absent,
                })
                .collect(),
            model,
            family,
        })
        .collect();
    (datasets, rows)
}

/// The FD sample counts of `dataset`'s finished runs, deduplicated and sorted.
fn fd_counts(groups: &BTreeMap<String, Vec<ModelRuns>>, dataset: &str) -> Vec<String> {
    let mut v: Vec<String> = groups
        .get(dataset)
        .into_iter()
        .flatten()
        .flat_map(ModelRuns::ok_runs)
        .filter_map(|r| r.get(col::FD_N).map(String::from))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The test NLL cell: mean over finished seeds in nats with the kind (`unavailable` without one).
fn nll_cell(m: &ModelRuns) -> String {
    let kinds: Vec<String> = m
        .nll_kinds()
        .into_iter()
        .filter(|k| k != NLL_KIND_DIVERGED)
        .collect();
    let s = m.summary(col::NLL_NATS);
    if s.n == 0 {
        return kinds.join("/");
    }
    format!("{} {}", num(s.mean), kinds.join("/"))
}

/// The FD cell: the mean over finished seeds, with its sample count when its column's differ.
fn fd_cell(m: &ModelRuns, with_n: bool) -> String {
    let s = m.summary(col::FD);
    if s.n == 0 {
        return "–".into();
    }
    match m.shown().and_then(|r| r.get(col::FD_N)).filter(|_| with_n) {
        Some(n) => format!("{} (n = {n})", num(s.mean)),
        None => num(s.mean),
    }
}

/// The seconds-to-converge cell: the mean over finished seeds, `(one step)` for a one-step fit.
fn seconds_cell(m: &ModelRuns) -> anyhow::Result<String> {
    let s = model_seconds_to_converge(m)?;
    // Below a millisecond (a copy of the training set) four decimals would read as 0.
    let seconds = if s.mean < 1e-3 {
        "< 0.001".to_string()
    } else {
        num(s.mean)
    };
    Ok(match (s.n, one_step(m)) {
        (0, _) => "–".into(),
        (_, true) => format!("{seconds} ({ONE_STEP})"),
        (_, false) => seconds,
    })
}

/// `text` of a (model, dataset) with its marks: † when a seed did not converge, ‡ when the
/// manifest plans seeds the folder lacks.
fn marked(m: &ModelRuns, text: String, planned: Option<&Planned>) -> String {
    if m.ok_runs().next().is_none() {
        return "diverged".into();
    }
    let mut out = text;
    if unconverged(m) > 0 {
        out.push_str(" †");
    }
    if planned.is_some_and(|p| p.seeds(&m.model, &m.dataset).len() > m.runs.len()) {
        out.push_str(" ‡");
    }
    out
}

/// One markdown table of the grid, each present entry's cell drawn by `text`; `first` is a row
/// above the models' (a label and a cell per dataset).
fn table(
    datasets: &[String],
    rows: &[GridRow],
    planned: Option<&Planned>,
    first: Option<(&str, Vec<String>)>,
    text: &dyn Fn(&ModelRuns) -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    let mut out = format!("| model | family | {} |\n|---|---|", datasets.join(" | "));
    out.push_str(&"---:|".repeat(datasets.len()));
    out.push('\n');
    if let Some((label, cells)) = first {
        out.push_str(&format!("| {label} | | {} |\n", cells.join(" | ")));
    }
    for row in rows {
        let mut line = format!("| {} | {} |", cell(&row.model), cell(&row.family));
        for entry in &row.entries {
            let c = match entry {
                Entry::Runs(m) => marked(m, text(m)?, planned),
                Entry::NotRun => "not run".into(),
                Entry::Absent => "·".into(),
            };
            line.push_str(&format!(" {} |", cell(&c)));
        }
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// The `## Headline` section: three tables and their legend.
pub fn write(
    ctx: &mut Context,
    groups: &BTreeMap<String, Vec<ModelRuns>>,
    family_order: &[&str],
    planned: Option<&Planned>,
) -> anyhow::Result<()> {
    let (datasets, rows) = grid(groups, family_order, planned);
    if rows.is_empty() {
        return Ok(());
    }
    // One sample count per dataset goes in the first row, else into the column's cells.
    let fd_n: Vec<Vec<String>> = datasets.iter().map(|d| fd_counts(groups, d)).collect();
    let n_row: Vec<String> = fd_n
        .iter()
        .map(|n| match n.len() {
            0 => "–".into(),
            1 => n[0].clone(),
            _ => "in the cells".into(),
        })
        .collect();
    let fd_name = match (
        datasets.iter().any(|d| is_images(d)),
        datasets.iter().any(|d| !is_images(d)),
    ) {
        (true, true) => {
            "FD on 2-D points, FID-approx on images (genbench's classifier features, not Inception's)"
        }
        (true, false) => "FID-approx (genbench's classifier features, not Inception's)",
        _ => "FD on the raw coordinates",
    };
    ctx.line("## Headline\n");
    ctx.line("Each cell is the mean over a model's finished seeds on the test set, scored once at the selected step; the per-dataset sections below give the intervals, the other metrics and the selected steps.\n");
    ctx.line("**Test NLL** (nats per example: per point on 2-D data, per image on images; lower is better), with its kind (the legend above; `unavailable`: no likelihood, no number):\n");
    ctx.line(&table(&datasets, &rows, planned, None, &|m| {
        Ok(nll_cell(m))
    })?);
    ctx.line(&format!(
        "**{fd_name}** (lower is better), on n real/generated samples:\n"
    ));
    let fd = |m: &ModelRuns| {
        let column = datasets.iter().position(|d| *d == m.dataset);
        Ok(fd_cell(m, column.is_some_and(|c| fd_n[c].len() > 1)))
    };
    ctx.line(&table(
        &datasets,
        &rows,
        planned,
        Some(("*n*", n_row)),
        &fd,
    )?);
    ctx.line("**Seconds to converge** (training seconds, evaluation excluded):\n");
    ctx.line(&table(&datasets, &rows, planned, None, &seconds_cell)?);
    let mut legend = vec![format!(
        "Seconds to converge: the training seconds of a run's first validation evaluation (periodic or anytime, in metrics.csv) after which its validation score (NLL in nats, else FD) never improves by {} % of max(1, |later score|) or more — the tolerance of the `converged` column — averaged over seeds; a run still improving at its end converges at its last evaluation. `({ONE_STEP})`: a single-step fit, its seconds are that step's.",
        super::anytime::percent(CONVERGED_TOLERANCE)
    )];
    let runs = || {
        rows.iter()
            .flat_map(|r| &r.entries)
            .filter_map(|e| match e {
                Entry::Runs(m) => Some(*m),
                _ => None,
            })
    };
    if runs().any(|m| unconverged(m) > 0) {
        legend.push("† a seed did not converge (the `converged` column: its validation score still improved by the tolerance or more from 50 % to 100 % of the budget).".into());
    }
    legend.push("`diverged`: every seed diverged. `–`: not measured.".into());
    legend.push(match planned {
        Some(p) => format!(
            "`not run`: {} plans the pair, the folder has no run of it yet; ‡ some planned seeds are not run yet; `·` {} does not run the model on this dataset (see \"Runs the manifest plans\").",
            p.source, p.source
        ),
        None => "`·`: no run of the model on this dataset in this folder (the report was drawn without a readable manifest.toml, so it cannot tell whether one is planned).".into(),
    });
    ctx.line(&format!("{}\n", legend.join("  \n")));
    Ok(())
}

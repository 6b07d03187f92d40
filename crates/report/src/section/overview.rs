//! The report's head (experiment, provenance, how to read it) and the history of the families:
//! a table in the order the field grew up and a timeline of the measured scores.

use crate::context::Context;
use crate::data::Run;
use crate::format::{self, cell};
use crate::model::{ModelRuns, distinct_models, drawn_interval, is_images, slug};
use crate::plot::family_color;
use crate::plot::scatter::{Pt, Series, XyFigure, XyPanel};
use genbench_core::results::schema::col;
use std::collections::BTreeMap;

fn distinct(runs: &[Run], key: &str) -> Vec<String> {
    let mut v: Vec<String> = runs
        .iter()
        .filter_map(|r| r.get(key))
        .map(String::from)
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The report's title and what it covers: runs, commits, backends, threads, seeds, NLL kinds.
pub fn head(ctx: &mut Context, runs: &[Run], groups: &BTreeMap<String, Vec<ModelRuns>>) {
    let experiment = distinct(runs, col::EXPERIMENT);
    let name = if experiment.is_empty() {
        "genbench".to_string()
    } else {
        experiment.join(", ")
    };
    ctx.line(&format!("# genbench report: {name}\n"));
    ctx.line("Drawn by `genbench report` from summary.csv and runs/*/ alone; rerunning it gives the same bytes.\n");
    let ok = runs.iter().filter(|r| r.ok()).count();
    let pairs = groups.values().map(Vec::len).sum::<usize>();
    ctx.line(&format!(
        "- Runs: {} ({} finished, {} diverged) of {} on {} ({}): {}.",
        runs.len(),
        ok,
        runs.len() - ok,
        format::noun(distinct_models(groups), "model"),
        format::noun(groups.len(), "dataset"),
        format::noun(pairs, "model–dataset pair"),
        groups.keys().cloned().collect::<Vec<_>>().join(", ")
    ));
    for (key, label) in [
        (col::COMMIT, "genbench commit"),
        (col::BACKEND, "backend"),
        (col::THREADS, "threads"),
    ] {
        let v = distinct(runs, key);
        ctx.line(&format!(
            "- {label}: {}",
            if v.is_empty() {
                "not recorded".into()
            } else {
                v.join(", ")
            }
        ));
    }
    let seeds = distinct(runs, col::SEED);
    ctx.line(&format!("- Seeds: {}\n", seeds.join(", ")));
    ctx.line(&format!(
        "Each number is a mean over seeds ± the half-width of its 95% Student-t interval (n − 1 degrees of freedom). {}\n",
        crate::kinds::legend()
    ));
}

/// (family rank, family, paper year, model): the order of the families table.
type FamilyKey = (usize, String, Option<u32>, String);

/// Families table and timeline figure.
pub fn history(ctx: &mut Context, groups: &BTreeMap<String, Vec<ModelRuns>>) -> anyhow::Result<()> {
    ctx.line("## The families in the order the field grew up\n");
    ctx.line("The classical era — templates with a kernel density (Parzen 1962), the Gaussian mixture, non-parametric texture synthesis (Efros & Leung 1999) — then autoregressive → VAE → GAN → flow → diffusion. The year is that of each model's paper.\n");
    // (rank, family, year, model) -> (paper, arch, training loss, datasets)
    let mut rows: BTreeMap<FamilyKey, (String, String, String, Vec<String>)> = BTreeMap::new();
    for (ds, models) in groups {
        for m in models {
            let e = rows
                .entry((m.family_rank, m.family.clone(), m.year, m.model.clone()))
                .or_insert_with(|| {
                    let loss = m.objective.clone().unwrap_or_else(|| "–".into());
                    (m.paper.clone(), m.arch.clone(), loss, Vec::new())
                });
            e.3.push(ds.clone());
        }
    }
    ctx.line(
        "| year | family | model | paper | architecture | training loss (train.csv's `loss`) | datasets |\n|---|---|---|---|---|---|---|",
    );
    for ((_, family, year, model), (paper, arch, loss, datasets)) in &rows {
        ctx.line(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            year.map(|y| y.to_string()).unwrap_or_else(|| "?".into()),
            cell(family),
            cell(model),
            cell(paper),
            cell(arch),
            cell(loss),
            datasets.join(", ")
        ));
    }
    ctx.line("");
    let mut panels = Vec::new();
    for (ds, models) in groups {
        let images = is_images(ds);
        let (nll_key, unit, fd) = if images {
            (col::NLL_BPD, "bits/dim", "FID-approx")
        } else {
            (col::NLL_NATS, "nats", "FD")
        };
        for (key, label) in [
            (col::FD, fd.to_string()),
            (nll_key, format!("NLL ({unit})")),
        ] {
            // FD on a log axis, as in every FD plot: the models' FDs span orders of magnitude.
            let fd_axis = key == col::FD;
            let mut panel = XyPanel::new(
                format!("{ds}: {label} by paper year"),
                "year of the model's paper",
                if fd_axis {
                    format!("{label} (log scale, lower is better)")
                } else {
                    format!("{label} (lower is better)")
                },
            );
            panel.log_y = fd_axis;
            // One series per family, so the legend names the families.
            let mut by_family: BTreeMap<(usize, String), Vec<Pt>> = BTreeMap::new();
            for m in models {
                let s = m.summary(key);
                let (Some(year), true) = (m.year, s.n > 0) else {
                    continue;
                };
                if key.starts_with("nll") && m.nll_class() != Some(crate::model::NLL_MARGINAL) {
                    continue;
                }
                let (low, high) = drawn_interval(key, &s);
                by_family
                    .entry((m.family_rank, m.family.clone()))
                    .or_default()
                    .push(
                        Pt::new(year as f64, s.mean)
                            .interval(low, high)
                            .text(m.model.clone()),
                    );
            }
            for ((_, family), points) in by_family {
                panel.series.push(Series {
                    label: family.clone(),
                    color: family_color(&family),
                    points,
                    line: false,
                    dots: true,
                });
            }
            if !panel.is_empty() {
                panels.push(panel);
            }
        }
    }
    if panels.is_empty() {
        ctx.missing("timeline: no model has both a paper year and a measured FD or NLL".into());
        return Ok(());
    }
    let fig = XyFigure::new(
        "Timeline: each family's measured scores by the year of its paper",
        panels,
        2,
    );
    ctx.figure(
        &fig,
        &format!("timeline-{}", slug("all")),
        "Timeline of the families with their measured scores",
    )
}

//! Samples per model: image grids linked from the runs, 2-D samples drawn over the true density
//! (with the model's own density where it has one), and every figure a family wrote.

use crate::context::Context;
use crate::data::ARTIFACTS;
use crate::format::cell;
use crate::model::{ModelRuns, slug};
use crate::plot::toy2d::{DensityPanels, Grid, ModelPanel};
use genbench_core::results::schema::col;

/// The "Samples" subsection: image grids, or 2-D samples over the true and model densities.
pub fn samples(
    ctx: &mut Context,
    dataset: &str,
    models: &[ModelRuns],
    images: bool,
) -> anyhow::Result<()> {
    ctx.line("### Samples\n");
    if images {
        let mut rows = String::from("| model | samples (first finished seed) |\n|---|---|\n");
        let mut any = false;
        for m in models {
            match m
                .shown()
                .and_then(|r| r.file("samples.png").map(|f| (r, f)))
            {
                Some((r, f)) => {
                    any = true;
                    rows.push_str(&format!(
                        "| {} (seed {}) | ![{} samples]({f}) |\n",
                        cell(&m.model),
                        r.s(col::SEED),
                        cell(&m.model)
                    ));
                }
                None => ctx.missing(format!("{} on {dataset}: samples.png", m.model)),
            }
        }
        if any {
            ctx.line(&rows);
        }
        return Ok(());
    }
    let Some(density) = genbench_dataset::density(dataset) else {
        return Ok(());
    };
    let (lo, hi) = density.bounds();
    let truth = Grid::eval(lo, hi, 120, |x| density.log_prob(x));
    let mut panels = Vec::new();
    for m in models {
        let Some(run) = m.shown() else { continue };
        let Some(table) = run.table("samples.csv")? else {
            ctx.missing(format!("{} on {dataset}: samples.csv", m.model));
            continue;
        };
        let rows: Vec<usize> = (0..table.rows.len())
            .filter(|&i| table.num(i, "x0").is_some() && table.num(i, "x1").is_some())
            .collect();
        let samples: Vec<[f64; 2]> = rows
            .iter()
            .filter_map(|&i| Some([table.num(i, "x0")?, table.num(i, "x1")?]))
            .collect();
        let conditional = m.runs.iter().any(crate::data::Run::conditional);
        let labels: Vec<usize> = match table.col("label") {
            Some(_) if conditional => rows
                .iter()
                .map(|&i| {
                    table
                        .get(i, "label")
                        .and_then(|l| l.parse().ok())
                        .unwrap_or(0)
                })
                .collect(),
            _ => Vec::new(),
        };
        let density = match run.artifact_table("model_density.csv")? {
            Some(t) => Grid::from_points(
                &(0..t.rows.len())
                    .filter_map(|i| {
                        Some((
                            t.num(i, "x0")?,
                            t.num(i, "x1")?,
                            t.get(i, "logp")?.parse::<f64>().ok()?,
                        ))
                    })
                    .collect::<Vec<_>>(),
            ),
            None => None,
        };
        panels.push(ModelPanel {
            title: format!("{} (seed {})", m.model, run.s(col::SEED)),
            samples,
            labels,
            density,
        });
    }
    if panels.is_empty() {
        return Ok(());
    }
    let fig = DensityPanels {
        title: if panels.iter().any(|p| p.density.is_some()) {
            format!("{dataset}: samples over the true density (top), model densities (bottom)")
        } else {
            format!("{dataset}: samples over the true density")
        },
        lo,
        hi,
        truth,
        panels,
    };
    ctx.figure(&fig, &format!("samples2d-{}", slug(dataset)), &format!("{dataset}: each model's samples (first finished seed) over the true density; shading bands at 1, 10, 30, 60 and 90% of each density's maximum"))
}

/// Every PNG a family wrote under artifacts/ (first finished seed), linked.
pub fn family_figures(ctx: &mut Context, models: &[ModelRuns]) {
    let mut lines = Vec::new();
    for m in models {
        let Some(run) = m.shown() else { continue };
        let Ok(entries) = std::fs::read_dir(run.dir.join(ARTIFACTS)) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".png"))
            .collect();
        names.sort();
        for n in names {
            if let Some(f) = run.artifact_file(&n) {
                lines.push(format!(
                    "- {} (seed {}), `{n}`:  \n  ![{}: {n}]({f})",
                    m.model,
                    run.s(col::SEED),
                    m.model
                ));
            }
        }
    }
    if !lines.is_empty() {
        ctx.line("### Family figures\n");
        ctx.line(&lines.join("\n"));
        ctx.line("");
    }
}

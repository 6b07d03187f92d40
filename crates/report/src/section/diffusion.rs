//! Diffusion's ink-drop figures (the forward process spreading the data until it is noise, the
//! sampler's trajectory back) and conditioning (quality and accuracy against guidance scale).

use crate::context::Context;
use crate::data::{ARTIFACTS, Table};
use crate::format::cell;
use crate::model::{ModelRuns, drawn_interval, slug};
use crate::plot::scatter::{Pt, Series, XyFigure, XyPanel};
use crate::plot::series_color;
use crate::plot::toy2d::Trajectory;
use crate::variants;
use genbench_core::results::schema::col;
use genbench_diffusion::artifacts::{FORWARD_CSV, FORWARD_PNG, REVERSE_CSV, REVERSE_PNG};
use genbench_diffusion::vdm::bound as vdm_files;
use std::collections::BTreeMap;

/// The most time steps shown in a trajectory figure.
const MAX_PANELS: usize = 6;

/// Point clouds per time step of a (t, x0, x1) table: up to [`MAX_PANELS`] steps evenly spaced
/// over the distinct t (first and last kept), sorted by t.
pub fn by_time(table: &Table) -> Vec<(f64, Vec<[f64; 2]>)> {
    let mut steps: Vec<(f64, Vec<[f64; 2]>)> = Vec::new();
    for i in 0..table.rows.len() {
        let (Some(t), Some(x0), Some(x1)) =
            (table.num(i, "t"), table.num(i, "x0"), table.num(i, "x1"))
        else {
            continue;
        };
        match steps.iter_mut().find(|(s, _)| *s == t) {
            Some((_, v)) => v.push([x0, x1]),
            None => steps.push((t, vec![[x0, x1]])),
        }
    }
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    if steps.len() <= MAX_PANELS {
        return steps;
    }
    let n = steps.len();
    let keep: Vec<usize> = (0..MAX_PANELS)
        .map(|k| (k * (n - 1) + (MAX_PANELS - 1) / 2) / (MAX_PANELS - 1))
        .collect();
    steps
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, s)| s)
        .collect()
}

/// A VDM's ink drop under its learned schedule beside the fixed linear and cosine schedules
/// (the same images and ε); false when the run has none.
fn vdm_ink_drop(ctx: &mut Context, m: &ModelRuns, run: &crate::data::Run) -> bool {
    let link = |f: &str| {
        run.file(&format!("artifacts/{f}"))
            .map(|p| format!("![{f}]({p})"))
    };
    let Some(learned) = link(vdm_files::FORWARD_PNG) else {
        return false;
    };
    ctx.line(&format!(
        "{} on {} (seed {}), forward process z_t = α_t x + σ_t ε under its learned schedule and, for the same images and ε, under the fixed linear and cosine schedules (columns t = 0, 0.1, 0.25, 0.5, 0.75, 1):\n",
        cell(&m.model),
        m.dataset,
        run.s("seed")
    ));
    let mut t = String::from("| schedule | z_t |\n|---|---|\n");
    t.push_str(&format!("| learned (VDM) | {learned} |\n"));
    for (f, name) in [
        (vdm_files::FORWARD_LINEAR_PNG, "linear"),
        (vdm_files::FORWARD_COSINE_PNG, "cosine"),
    ] {
        if let Some(img) = link(f) {
            t.push_str(&format!("| {name} | {img} |\n"));
        }
    }
    ctx.line(&t);
    true
}

/// "The ink drop": each diffusion model's forward process and its sampler's trajectory back.
pub fn ink_drop(
    ctx: &mut Context,
    groups: &BTreeMap<String, Vec<ModelRuns>>,
) -> anyhow::Result<()> {
    let diffusion: Vec<&ModelRuns> = groups
        .values()
        .flatten()
        .filter(|m| m.family == "diffusion")
        .collect();
    ctx.line("## The ink drop: diffusion's forward and reverse processes\n");
    if diffusion.is_empty() {
        ctx.line("No diffusion runs in this experiment.\n");
        return Ok(());
    }
    ctx.line("The forward process q(x_t | x_0) mixes the data with Gaussian noise step by step, like a drop of ink spreading until the water is uniformly grey; the model learns to run it backwards, and its sampler's trajectory goes from noise x_T back to data.\n");
    for m in diffusion {
        let Some(run) = m.shown() else { continue };
        let ds = &m.dataset;
        if vdm_ink_drop(ctx, m, run) {
            continue;
        }
        for (png_name, csv_name, what) in [
            (FORWARD_PNG, FORWARD_CSV, "forward process q(x_t | x_0)"),
            (
                REVERSE_PNG,
                REVERSE_CSV,
                "reverse process (the sampler's trajectory)",
            ),
        ] {
            let file = png_name.trim_end_matches(".png");
            if let Some(png) = run.artifact_file(png_name) {
                ctx.line(&format!(
                    "{} on {ds} (seed {}), {what}:  \n![{what}]({png})\n",
                    cell(&m.model),
                    run.s(col::SEED)
                ));
            } else if let Some(table) = run.artifact_table(csv_name)? {
                let mut steps = by_time(&table);
                if csv_name == REVERSE_CSV {
                    // The sampler runs from noise (t = T) to data (t = 0): left to right.
                    steps.reverse();
                }
                if steps.is_empty() {
                    continue;
                }
                // The CSVs are in the model's own coordinates: bound the panels by the points
                // themselves (0.5% to 99.5% quantiles, padded), the same box for every t.
                let quantiles = |d: usize| {
                    let mut v: Vec<f64> = steps
                        .iter()
                        .flat_map(|(_, p)| p.iter().map(move |q| q[d]))
                        .filter(|x| x.is_finite())
                        .collect();
                    v.sort_by(f64::total_cmp);
                    let at = |q: f64| {
                        v.get(((v.len().max(1) - 1) as f64 * q).round() as usize)
                            .copied()
                            .unwrap_or(0.0)
                    };
                    crate::plot::span([at(0.005), at(0.995)])
                };
                let ((x0, x1), (y0, y1)) = (quantiles(0), quantiles(1));
                let fig = Trajectory {
                    title: format!("{ds}: {} {what}, seed {}", m.model, run.s(col::SEED)),
                    panels: steps
                        .into_iter()
                        .map(|(t, p)| (format!("t = {t}"), p))
                        .collect(),
                    lo: [x0, y0],
                    hi: [x1, y1],
                };
                ctx.figure(
                    &fig,
                    &format!("{file}-{}", m.slug()),
                    &format!("{ds}: {} {what}", m.model),
                )?;
            } else {
                ctx.missing(format!(
                    "{} on {ds}: {ARTIFACTS}/{file}.png or .csv",
                    m.model
                ));
            }
        }
    }
    Ok(())
}

/// "Conditioning": FD and conditional accuracy against the guidance scale, per dataset.
pub fn conditioning(
    ctx: &mut Context,
    groups: &BTreeMap<String, Vec<ModelRuns>>,
) -> anyhow::Result<()> {
    let conditional: Vec<&ModelRuns> = groups
        .values()
        .flatten()
        .filter(|m| m.runs.iter().any(crate::data::Run::conditional))
        .collect();
    ctx.line("## Conditioning\n");
    if conditional.is_empty() {
        ctx.line("No conditional models in this experiment.\n");
        return Ok(());
    }
    ctx.line("Conditional models sample given a label; cond. accuracy is the share of samples the evaluator's classifier assigns to the requested label. Classifier-free guidance mixes the two predictions of one network, ε̂ = ε(x, ∅) + w (ε(x, y) − ε(x, ∅)): w = 0 is the unconditional model, w = 1 the conditional one as trained, w > 1 trades diversity for fidelity at two network passes per step (Ho & Salimans' w′ = w − 1). Cond. accuracy near 1/classes at w = 0 is the check that the label is ignored there.\n");
    for (ds, models) in groups {
        let mut fd = XyPanel::new(
            "FD vs guidance scale",
            "guidance scale w",
            "FD / FID-approx (lower is better)",
        );
        let mut acc = XyPanel::new(
            "conditional accuracy vs guidance scale",
            "guidance scale w",
            "cond. accuracy (higher is better)",
        );
        for (i, m) in models.iter().enumerate() {
            let keys = [col::FD, col::COND_ACCURACY];
            let pts = variants::points(m, "guidance_scale", &keys)?;
            let to_pts = |c: usize| -> Vec<Pt> {
                pts.iter()
                    .filter(|v| v.columns[c].n > 0)
                    .map(|v| {
                        let (low, high) = drawn_interval(keys[c], &v.columns[c]);
                        Pt::new(v.value, v.columns[c].mean).interval(low, high)
                    })
                    .collect()
            };
            let color = series_color(i);
            fd.series.push(Series {
                label: m.model.clone(),
                color,
                points: to_pts(0),
                line: true,
                dots: true,
            });
            acc.series.push(Series {
                label: m.model.clone(),
                color,
                points: to_pts(1),
                line: true,
                dots: true,
            });
        }
        let panels: Vec<XyPanel> = [fd, acc].into_iter().filter(|p| !p.is_empty()).collect();
        if !panels.is_empty() {
            let fig = XyFigure::new(
                format!("{ds}: guidance sweep (mean and 95% interval over seeds)"),
                panels,
                2,
            );
            ctx.figure(
                &fig,
                &format!("guidance-{}", slug(ds)),
                &format!("{ds}: FD and conditional accuracy against guidance scale"),
            )?;
        }
    }
    for m in conditional {
        let Some(run) = m.shown() else { continue };
        let mut labelled: Vec<String> = std::fs::read_dir(run.dir.join(ARTIFACTS))
            .map(|rd| {
                rd.filter_map(Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        labelled.retain(|n| {
            n.ends_with(".png")
                && (n.contains("label") || n.contains("class") || n.contains("cond"))
        });
        labelled.sort();
        if labelled.is_empty() && crate::model::is_images(&m.dataset) {
            ctx.missing(format!(
                "{} on {}: no per-label sample grid in artifacts/",
                m.model, m.dataset
            ));
        }
        for n in labelled {
            if let Some(f) = run.artifact_file(&n) {
                ctx.line(&format!(
                    "{} on {} (seed {}), `{n}`:  \n![{n}]({f})\n",
                    cell(&m.model),
                    m.dataset,
                    run.s(col::SEED)
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_time_keeps_first_and_last_of_many_steps() {
        let rows: Vec<Vec<String>> = (0..=20)
            .flat_map(|t| (0..3).map(move |k| vec![t.to_string(), k.to_string(), "0".into()]))
            .collect();
        let table = Table {
            header: vec!["t".into(), "x0".into(), "x1".into()],
            rows,
        };
        let steps = by_time(&table);
        assert_eq!(steps.len(), MAX_PANELS);
        assert_eq!(steps[0].0, 0.0);
        assert_eq!(steps[MAX_PANELS - 1].0, 20.0);
        assert!(steps.iter().all(|(_, p)| p.len() == 3));
        assert!(steps.windows(2).all(|w| w[0].0 < w[1].0));
    }
}

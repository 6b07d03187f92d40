//! One dataset: the comparison table, bar charts, quality against cost and against likelihood,
//! training curves, samples and each family's own figures.

use crate::context::Context;
use crate::format::{cell, interval, num};
use crate::model::{ModelRuns, drawn_interval, first, is_images, metrics, shades, slug};
use crate::plot::bars::MetricBars;
use crate::plot::curves::{SeedLog, TrainingCurves};
use crate::plot::model_color;
use crate::plot::scatter::{Pt, Series, XyFigure, XyPanel};
use crate::variants;
use genbench_core::results::schema::col;

/// The section of `dataset`: its data, the table, bars, trade-offs, curves, memorisation,
/// samples and family figures of `models`.
pub fn write(ctx: &mut Context, dataset: &str, models: &[ModelRuns]) -> anyhow::Result<()> {
    let images = is_images(dataset);
    let ds = slug(dataset);
    ctx.line(&format!("## Dataset: {dataset}\n"));
    if let Some(p) = first(models, col::PREPROCESSING) {
        ctx.line(&format!("Data: {}.  ", cell(p)));
    }
    if images {
        let acc = first(models, col::CLASSIFIER_ACCURACY)
            .map(|a| format!(" (its test accuracy: {a})"))
            .unwrap_or_default();
        ctx.line(&format!(
            "NLL in bits/dim of the discrete pixel levels. FID-approx: the Fréchet distance between real and generated images in the features of genbench's own classifier{acc}, not Inception's; compare it within this report only.  "
        ));
    } else {
        let h = first(models, col::ENTROPY_NATS).and_then(crate::data::parse_finite);
        match h {
            Some(h) => ctx.line(&format!(
                "NLL in nats per point. The true density's entropy H(p*) = {} nats is the lowest expected NLL any model can reach; NLL − H(p*) estimates the KL divergence from p* to the model (for exact NLLs) but carries the scored test sample's own deviation from H(p*), about 1/√n nats; KL (paired) is the mean over the same examples of log p*(x) − log p_model(x), which cancels it (empty for runs that predate it). FD: Fréchet distance on the raw coordinates.  ",
                num(h)
            )),
            None => ctx.line("NLL in nats per point (true entropy not recorded). FD: Fréchet distance on the raw coordinates.  "),
        }
    }
    let sizes: Vec<String> = [
        (col::FD_N, "FD"),
        (col::KID_N, "KID"),
        (col::PR_N, "precision/recall"),
        (col::DC_N, "density/coverage"),
        (col::NLL_N, "NLL"),
    ]
    .iter()
    .filter_map(|(k, name)| first(models, k).map(|n| format!("{name} n = {n}")))
    .collect();
    if !sizes.is_empty() {
        ctx.line(&format!(
            "Sample sizes (real/generated where two): {}.  ",
            sizes.join("; ")
        ));
    }
    ctx.line("Cells: mean ± half-width of the 95% Student-t interval over seeds; **bold**: best in the column (↓ lower is better, ↑ higher is better; NLL compared only among exact likelihoods and upper bounds on −log p(x), never with `unavailable`; a conditional model's NLL, kind marked `| y`, is −log p(x | y) and is compared only with other conditional models).\n");
    let (md, absent) = super::table::table(models, images)?;
    ctx.line(&md);
    if !absent.is_empty() {
        ctx.line(&format!(
            "Not measured on this dataset: {}.\n",
            absent.join(", ")
        ));
    }
    let entropy = first(models, col::ENTROPY_NATS).and_then(crate::data::parse_finite);
    if let (false, Some(h)) = (images, entropy) {
        for m in models
            .iter()
            .filter(|m| m.nll_class() == Some(crate::model::NLL_MARGINAL))
        {
            let s = m.summary(col::NLL_NATS);
            // Even the interval's upper end below H(p*): no exact NLL or upper bound can be.
            if s.n > 0 && s.ci95_high.max(s.mean) < h {
                ctx.line(&format!(
                        "- **Check:** {}'s NLL ({}) is {} nats, below the true entropy H(p*) = {} nats, which no exact likelihood or upper bound on the NLL can be in expectation: its likelihood computation needs checking (e.g. a missing change-of-variables term for rescaled data).",
                        m.model,
                        m.nll_kinds().join(", "),
                        interval(&s, m.ok_runs().count()),
                        num(h)
                    ));
            }
        }
    }
    for m in models {
        for r in m.runs.iter().filter(|r| !r.ok()) {
            ctx.line(&format!(
                "- {} seed {} diverged at step {}.",
                m.model,
                r.s(col::SEED),
                r.get(col::DIVERGED_AT).unwrap_or("?")
            ));
        }
    }
    ctx.line("");

    let all = metrics(images);
    let bars = MetricBars::new(
        format!(
            "{dataset}: metrics per model (mean and 95% interval over seeds, clipped to the metric's range)"
        ),
        models,
        &all,
    );
    if !bars.panels.is_empty() {
        ctx.figure(
            &bars,
            &format!("bars-{ds}"),
            &format!("{dataset}: bar chart per metric"),
        )?;
    }
    tradeoffs(ctx, dataset, models, images)?;
    super::memorisation::write(ctx, dataset, models, images)?;
    super::anytime::write(ctx, dataset, models)?;
    curves(ctx, dataset, models)?;
    super::samples::samples(ctx, dataset, models, images)?;
    super::samples::family_figures(ctx, models);
    Ok(())
}

/// Quality against network evaluations per sample (DDIM sweep as a curve) and against NLL.
fn tradeoffs(
    ctx: &mut Context,
    dataset: &str,
    models: &[ModelRuns],
    images: bool,
) -> anyhow::Result<()> {
    let ds = slug(dataset);
    let fd_label = if images { "FID-approx" } else { "FD" };
    ctx.line("### Quality against cost and against likelihood\n");
    ctx.line(&format!("Means over seeds on a log {fd_label} axis, with the 95% interval clipped at 0 (an {fd_label} is never negative): an error bar that runs to the bottom of the plot is an interval reaching 0.\n"));
    let mut cost = XyPanel::new(
        format!("{fd_label} vs network evaluations per sample"),
        "network evaluations per sample (log)",
        format!("{fd_label} (log scale, lower is better)"),
    );
    cost.log_x = true;
    // FD runs over orders of magnitude across models (0.005 to 0.4 on 8gaussians, 2.5 to 490 on
    // MNIST-5k): on a linear axis every good model sits on the zero line.
    cost.log_y = true;
    let shade = shades(models);
    for (m, &k) in models.iter().zip(&shade) {
        let (e, f) = (m.summary(col::EVALS_PER_SAMPLE), m.summary(col::FD));
        let mut points = Vec::new();
        if e.n > 0 && f.n > 0 {
            let (low, high) = drawn_interval(col::FD, &f);
            points.push(Pt::new(e.mean, f.mean).interval(low, high));
        }
        for v in variants::points(m, "ddim_steps", &[col::EVALS_PER_SAMPLE, col::FD])? {
            if v.columns[0].n > 0 && v.columns[1].n > 0 {
                let (low, high) = drawn_interval(col::FD, &v.columns[1]);
                points.push(Pt::new(v.columns[0].mean, v.columns[1].mean).interval(low, high));
            }
        }
        let line = points.len() > 1;
        cost.series.push(Series {
            label: m.model.clone(),
            color: model_color(&m.family, k),
            points,
            line,
            dots: true,
        });
    }
    if !cost.is_empty() {
        let fig = XyFigure::new(
            format!("{dataset}: quality against sampling cost (DDIM sweep as a curve)"),
            vec![cost],
            1,
        );
        ctx.figure(
            &fig,
            &format!("cost-{ds}"),
            &format!("{dataset}: {fd_label} against network evaluations per sample"),
        )?;
    } else {
        ctx.missing(format!(
            "{dataset}: no run recorded both evals_per_sample and fd (quality-vs-cost plot)"
        ));
    }
    let nll_key = if images { col::NLL_BPD } else { col::NLL_NATS };
    let unit = if images { "bits/dim" } else { "nats" };
    let mut ql = XyPanel::new(
        format!("{fd_label} vs NLL (one point per model)"),
        format!("NLL ({unit}, lower is better)"),
        format!("{fd_label} (log scale, lower is better)"),
    );
    ql.log_y = true;
    for (m, &k) in models.iter().zip(&shade) {
        if m.nll_class().is_none() {
            continue;
        }
        let (n, f) = (m.summary(nll_key), m.summary(col::FD));
        if n.n > 0 && f.n > 0 {
            let (low, high) = drawn_interval(col::FD, &f);
            let p = Pt::new(n.mean, f.mean).interval(low, high).text(format!(
                "{} ({})",
                m.model,
                m.nll_kinds().join(",")
            ));
            ql.series.push(Series {
                label: m.model.clone(),
                color: model_color(&m.family, k),
                points: vec![p],
                line: false,
                dots: true,
            });
        }
    }
    let entropy = first(models, col::ENTROPY_NATS).and_then(crate::data::parse_finite);
    if let (false, false, Some(h)) = (ql.is_empty(), images, entropy) {
        let ys: Vec<f64> = ql
            .series
            .iter()
            .flat_map(|s| {
                s.points.iter().flat_map(|p| {
                    [
                        p.y,
                        p.interval.map_or(p.y, |i| i.0),
                        p.interval.map_or(p.y, |i| i.1),
                    ]
                })
            })
            .collect();
        let (lo, hi) = crate::plot::log_span(ys);
        ql.series.push(Series {
            label: "true entropy H(p*): the NLL floor".into(),
            color: plotters::style::RGBColor(0, 0, 0),
            points: vec![Pt::new(h, lo), Pt::new(h, hi)],
            line: true,
            dots: false,
        });
    }
    if !ql.is_empty() {
        let fig = XyFigure::new(
            format!("{dataset}: sample quality against likelihood"),
            vec![ql],
            1,
        );
        ctx.figure(
            &fig,
            &format!("quality-likelihood-{ds}"),
            &format!("{dataset}: {fd_label} against NLL"),
        )?;
    } else {
        ctx.missing(format!(
            "{dataset}: no model has both an NLL and an FD (quality-vs-likelihood plot)"
        ));
    }
    Ok(())
}

fn curves(ctx: &mut Context, dataset: &str, models: &[ModelRuns]) -> anyhow::Result<()> {
    ctx.line("### Training curves\n");
    for m in models {
        let mut logs = Vec::new();
        for r in &m.runs {
            match r.table("train.csv")? {
                Some(table) => logs.push(SeedLog {
                    seed: r.s(col::SEED).to_string(),
                    table,
                }),
                None => ctx.missing(format!(
                    "{} on {dataset}, seed {}: train.csv",
                    m.model,
                    r.s(col::SEED)
                )),
            }
        }
        if logs.is_empty() {
            continue;
        }
        let fig = TrainingCurves::new(
            format!(
                "{dataset}: {} ({}) training curves, every seed",
                m.model, m.family
            ),
            logs,
            m.objective.clone(),
        );
        let loss = m
            .objective
            .as_ref()
            .map(|o| format!(" ({o})"))
            .unwrap_or_default();
        ctx.figure(
            &fig,
            &format!("curves-{}", m.slug()),
            &format!(
                "{dataset}: {} training loss{loss} against step and seconds",
                m.model
            ),
        )?;
    }
    Ok(())
}

//! Anytime curves of one dataset: every model's validation quality (NLL with its kind, and
//! FID-approx/FD at its sample count) against training seconds (log) and against steps (log),
//! and who leads after 10 s, 100 s and 1,000 s of training.

use crate::anytime::{Curve, CurvePoint, curve};
use crate::context::Context;
use crate::format::num;
use crate::model::{ModelRuns, NLL_MARGINAL, drawn_interval, is_images, slug};
use crate::plot::model_color;
use crate::plot::scatter::{Pt, Series, XyFigure, XyPanel};
use genbench_core::results::schema::col;
use genbench_core::train::ANYTIME_FRACTIONS;
use genbench_eval::stats::SeedSummary;

/// The training times at which the report names the leading model.
pub const LEAD_AT_SECONDS: [f64; 3] = [10.0, 100.0, 1000.0];

/// The anytime plots' smallest training seconds (1 ms).
const SECONDS_FLOOR: f64 = 1e-3;

/// A fraction as a percentage without floating-point dust: 0.1 -> `10` (not 10.000000000000002).
pub fn percent(fraction: f64) -> String {
    num((fraction * 100.0 * 1e6).round() / 1e6)
}

/// The fractions of the budget as the report writes them: `1, 2, 5, 10, 20, 50 and 100 %`.
pub fn fractions_text() -> String {
    let pcts: Vec<String> = ANYTIME_FRACTIONS.iter().map(|&f| percent(f)).collect();
    let (last, rest) = pcts.split_last().expect("ANYTIME_FRACTIONS is not empty");
    format!("{} and {last} %", rest.join(", "))
}

/// The `### Anytime curves` of `dataset`: two figures and the leaders' table, or a line under
/// "Not available" when no run recorded anytime evaluations.
pub fn write(ctx: &mut Context, dataset: &str, models: &[ModelRuns]) -> anyhow::Result<()> {
    let images = is_images(dataset);
    let (nll_key, unit) = if images {
        (col::NLL_BPD, "bits/dim")
    } else {
        (col::NLL_NATS, "nats")
    };
    let mut curves: Vec<(&ModelRuns, Curve)> = Vec::new();
    let mut without_file = Vec::new();
    for m in models {
        let c = curve(m, nll_key)?;
        for seed in &c.missing_seeds {
            without_file.push(format!(
                "{} on {dataset}, seed {seed}: metrics.csv",
                m.model
            ));
        }
        if !c.points.is_empty() {
            curves.push((m, c));
        }
    }
    if curves.is_empty() {
        ctx.missing(format!(
            "{dataset}: no anytime evaluations in metrics.csv (anytime plots: `[eval] anytime = true`)"
        ));
        return Ok(());
    }
    for what in without_file {
        ctx.missing(what);
    }
    let split = if curves.iter().all(|(_, c)| c.on_validation()) {
        "validation"
    } else {
        "validation (test where a run has no validation split)"
    };
    let fd_label = if images { "FID-approx" } else { "FD" };
    let mut fd_n: Vec<String> = Vec::new();
    for (_, c) in &curves {
        for n in &c.fd_n {
            if !fd_n.contains(n) {
                fd_n.push(n.clone());
            }
        }
    }
    let fd_n = if fd_n.is_empty() {
        String::new()
    } else {
        format!(", n = {} real/generated", fd_n.join(" or "))
    };
    ctx.line("### Anytime curves\n");
    ctx.line(&format!(
        "Each model evaluated on the {split} split at {} of its budget (`[eval] anytime`), mean over seeds with the 95% interval; NLL with its kind in the legend, {fd_label}{fd_n}. Steps and seconds are the training loop's own (train_step time, evaluation excluded).\n",
        fractions_text()
    ));
    let shade = crate::model::shades(models);
    let shade_of = |m: &ModelRuns| {
        models
            .iter()
            .position(|o| o.model == m.model)
            .map_or(0, |i| shade[i])
    };
    for (x_name, x_desc, x_of, stem) in [
        (
            "training seconds",
            "training seconds (s, log scale; fits under 1 ms drawn at 1 ms)",
            // One-step fits (a lookup table) train in microseconds: drawn at the floor, they
            // would otherwise stretch the axis over decades nobody else occupies.
            (|p: &CurvePoint| p.seconds.mean.max(SECONDS_FLOOR)) as fn(&CurvePoint) -> f64,
            "anytime-seconds",
        ),
        (
            "training steps",
            "training steps (log scale)",
            (|p: &CurvePoint| p.step.mean) as fn(&CurvePoint) -> f64,
            "anytime-steps",
        ),
    ] {
        let mut nll = XyPanel::new(
            format!("validation NLL vs {x_name}"),
            x_desc,
            format!("NLL ({unit}, lower is better)"),
        );
        let mut fd = XyPanel::new(
            format!("validation {fd_label} vs {x_name}"),
            x_desc,
            format!("{fd_label}{fd_n} (lower is better)"),
        );
        nll.log_x = true;
        fd.log_x = true;
        // FD falls by orders of magnitude (a GAN's first evaluation is ~10x its last): on a
        // linear axis the early points flatten every late difference.
        fd.log_y = true;
        for (m, c) in &curves {
            let color = model_color(&m.family, shade_of(m));
            // `key`: the schema column whose values the interval is clipped to.
            let series =
                |key: &str, y: &dyn Fn(&CurvePoint) -> &SeedSummary, label: String| Series {
                    label,
                    color,
                    points: c
                        .points
                        .iter()
                        .filter(|&p| y(p).n > 0)
                        .map(|p| {
                            let s = y(p);
                            let (low, high) = drawn_interval(key, s);
                            Pt::new(x_of(p), s.mean).interval(low, high)
                        })
                        .collect(),
                    line: true,
                    dots: true,
                };
            let kinds = m.nll_kinds().join(", ");
            let label = format!("{} ({kinds})", m.model);
            nll.series.push(series(nll_key, &|p| &p.nll, label));
            fd.series.push(series(col::FD, &|p| &p.fd, m.model.clone()));
        }
        let fig = XyFigure::new(
            format!("{dataset}: validation quality against {x_name} (anytime evaluations)"),
            vec![nll, fd],
            2,
        );
        ctx.figure(
            &fig,
            &format!("{stem}-{}", slug(dataset)),
            &format!("{dataset}: validation NLL and {fd_label} against {x_name}"),
        )?;
    }
    leaders(ctx, &curves, fd_label, unit);
    Ok(())
}

/// Who leads after 10 s, 100 s and 1,000 s of training: the lowest validation NLL (among NLLs
/// that bound −log p(x)) and the lowest FD, each model at its last evaluation by then.
fn leaders(ctx: &mut Context, curves: &[(&ModelRuns, Curve)], fd_label: &str, unit: &str) {
    ctx.line(&format!(
        "Who leads after t seconds of training (each model at its last anytime evaluation by then; a run that ended earlier keeps its final value):\n\n| t | lowest validation NLL ({unit}) | lowest validation {fd_label} |\n|---:|---|---|"
    ));
    for t in LEAD_AT_SECONDS {
        let best = |metric: &dyn Fn(&CurvePoint) -> &SeedSummary, nll: bool| {
            curves
                .iter()
                .filter(|(m, _)| !nll || m.nll_class() == Some(NLL_MARGINAL))
                .filter_map(|(m, c)| c.value_at(t, metric).map(|v| (v, m)))
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map_or("–".to_string(), |(v, m)| {
                    if nll {
                        format!("{} ({}): {}", m.model, m.nll_kinds().join(", "), num(v))
                    } else {
                        format!("{}: {}", m.model, num(v))
                    }
                })
        };
        ctx.line(&format!(
            "| {} s | {} | {} |",
            num(t),
            best(&|p| &p.nll, true),
            best(&|p| &p.fd, false)
        ));
    }
    ctx.line("");
}

//! One dataset's memorisation check: which models' samples sit closer to the training set than
//! held-out data does (Meehan et al.'s C_T and its flag, per seed), and sample quality against
//! it — the plot that shows what copying the training set earns on FD.

use crate::context::Context;
use crate::format::interval;
use crate::model::{ModelRuns, drawn_interval, first, shades, slug};
use crate::plot::model_color;
use crate::plot::scatter::{Pt, Series, XyFigure, XyPanel};
use genbench_core::results::schema::col;

/// Seeds of `m` flagged as memorising, and seeds with a verdict.
fn flagged(m: &ModelRuns) -> (usize, usize) {
    let verdicts: Vec<&str> = m.ok_runs().filter_map(|r| r.get(col::MEMORISING)).collect();
    (
        verdicts.iter().filter(|v| **v == "true").count(),
        verdicts.len(),
    )
}

/// The "Memorisation" subsection of `dataset`: C_T and its flag per model, and FD against C_T.
pub fn write(
    ctx: &mut Context,
    dataset: &str,
    models: &[ModelRuns],
    images: bool,
) -> anyhow::Result<()> {
    let space = if images {
        "the classifier features of FID-approx"
    } else {
        "raw coordinates, as FD"
    };
    ctx.line("### Memorisation\n");
    let counts = first(models, col::MEM_N)
        .map(|n| format!(" (samples/held-out/training examples and cells used: {n})"))
        .unwrap_or_default();
    ctx.line(&format!(
        "Meehan et al.'s (2020) data-copying test in {space}{counts}: each sample's distance to its nearest training example against each held-out test example's, compared by a Mann–Whitney test within k-means cells of the training set and averaged over them (C_T). C_T ≈ 0: the samples are as far from the training set as unseen data; C_T ≪ 0: closer (copying); C_T > 0: farther. A seed is flagged when C_T over its standard deviation under \"samples are like held-out data\" falls below Φ⁻¹(0.01) = −2.33.  "
    ));
    let mut marked: Vec<String> = Vec::new();
    for m in models {
        let (yes, of) = flagged(m);
        if yes > 0 {
            let c = m.summary(col::MEM_CT);
            marked.push(format!(
                "{} ({yes}/{of} seeds; C_T {})",
                m.model,
                interval(&c, m.ok_runs().count())
            ));
        }
    }
    if marked.is_empty() {
        ctx.line("No model is flagged as memorising.\n");
    } else {
        ctx.line(&format!(
            "**Flagged as memorising** (samples significantly closer to the training set than held-out data): {}. Their sample-quality scores reward copying, not generalisation.\n",
            marked.join("; ")
        ));
    }

    let fd_label = if images { "FID-approx" } else { "FD" };
    let mut panel = XyPanel::new(
        format!("{fd_label} vs memorisation C_T (one point per model)"),
        "C_T (≪ 0: samples closer to the training set than held-out data)",
        format!("{fd_label} (lower is better)"),
    );
    for (m, k) in models.iter().zip(shades(models)) {
        let color = model_color(&m.family, k);
        let (c, f) = (m.summary(col::MEM_CT), m.summary(col::FD));
        if c.n == 0 || f.n == 0 {
            continue;
        }
        let (yes, of) = flagged(m);
        let label = if yes > 0 {
            format!("{} (flagged {yes}/{of})", m.model)
        } else {
            m.model.clone()
        };
        let (low, high) = drawn_interval(col::FD, &f);
        panel.series.push(Series {
            label: m.model.clone(),
            color,
            points: vec![Pt::new(c.mean, f.mean).interval(low, high).text(label)],
            line: false,
            dots: true,
        });
    }
    if panel.is_empty() {
        ctx.missing(format!(
            "{dataset}: no model has both C_T and an FD (quality-vs-memorisation plot)"
        ));
        return Ok(());
    }
    let ys: Vec<f64> = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.y))
        .collect();
    let (lo, hi) = crate::plot::span(ys);
    panel.series.push(Series {
        label: "C_T = 0: as far from the training set as held-out data".into(),
        color: plotters::style::RGBColor(0, 0, 0),
        points: vec![Pt::new(0.0, lo), Pt::new(0.0, hi)],
        line: true,
        dots: false,
    });
    let fig = XyFigure::new(
        format!("{dataset}: sample quality against memorisation"),
        vec![panel],
        1,
    );
    ctx.figure(
        &fig,
        &format!("memorisation-{}", slug(dataset)),
        &format!("{dataset}: {fd_label} against C_T"),
    )?;
    Ok(())
}

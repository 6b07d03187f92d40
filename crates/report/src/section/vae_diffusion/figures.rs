//! The bound plots (per-timestep terms with the VAE's two terms; both bounds term by term), the
//! KL per latent dimension, and the families' own figures side by side.

use super::pair::Pair;
use crate::context::Context;
use crate::data::ARTIFACTS;
use crate::model::slug;
use crate::plot::bars::{Bar, MetricBars};
use crate::plot::family_color;
use crate::plot::scatter::{Pt, Series, XyFigure, XyPanel};
use genbench_core::results::schema::col;
use genbench_diffusion::artifacts as diffusion_files;
use genbench_vae::artifacts as vae_files;

pub(super) fn write(ctx: &mut Context, p: &Pair) -> anyhow::Result<()> {
    let Pair {
        vae,
        diff,
        vr,
        dr,
        kl,
        bound,
        vterms,
        dterms,
        ..
    } = p;
    let (ds, images) = (p.ds.clone(), p.images);
    // The bound's terms: per-timestep line with the VAE's two terms as levels, and totals.
    if let Some((per_t, dterms)) = &dterms {
        let unit = dterms.unit;
        let mut panel = XyPanel::new(
            format!("bound terms per step ({unit}, log scale)"),
            "diffusion step t (L_0 at t = 0, L_T at t = T)",
            format!("term ({unit})"),
        );
        panel.log_y = true;
        panel.series.push(Series {
            label: format!("{} L_t", diff.model),
            color: family_color("diffusion"),
            points: per_t.iter().map(|&(t, v)| Pt::new(t, v)).collect(),
            line: true,
            dots: true,
        });
        let t_max = per_t.last().map(|p| p.0).unwrap_or(1.0);
        if let Some(v) = &vterms {
            for (name, color) in [
                ("rate", crate::plot::series_color(0)),
                ("distortion", crate::plot::series_color(1)),
            ] {
                if let Some((_, val)) = v.terms.iter().find(|(n, _)| n == name) {
                    panel.series.push(Series {
                        label: format!("{} {name} (one term)", vae.model),
                        color,
                        points: vec![Pt::new(0.0, *val), Pt::new(t_max, *val)],
                        line: true,
                        dots: false,
                    });
                }
            }
        }
        let dropped = per_t.iter().filter(|p| p.1 <= 0.0).count();
        let fig = XyFigure::new(
            format!("{ds}: VAE rate + distortion vs diffusion L_T + Σ L_t + L_0"),
            vec![panel],
            1,
        );
        ctx.figure(
            &fig,
            &format!("vae-diffusion-terms-{}", slug(&ds)),
            &format!("{ds}: per-timestep bound terms and the VAE's two terms"),
        )?;
        if dropped > 0 {
            ctx.line(&format!(
                "({dropped} non-positive per-step terms are not drawn on the log axis.)\n"
            ));
        }
        let mut bars: Vec<Bar> = Vec::new();
        let short = |n: &str| match n {
            "neg_elbo" => "−ELBO".to_string(),
            "neg_iwae" => "−IWAE".to_string(),
            "distortion" => "distortion".to_string(),
            other => other.to_string(),
        };
        if let Some(v) = &vterms {
            for (n, val) in &v.terms {
                bars.push(Bar {
                    label: format!("VAE {}", short(n)),
                    family: "vae".into(),
                    mean: *val,
                    low: *val,
                    high: *val,
                });
            }
        }
        for (n, val) in &dterms.terms {
            let n = if n.starts_with('Σ') {
                "Σ L_t"
            } else {
                n.as_str()
            };
            // L_T and L_0 are often far below Σ L_t: the label carries the value.
            bars.push(Bar {
                label: format!("{n} = {}", crate::plot::tick(*val)),
                family: "diffusion".into(),
                mean: *val,
                low: *val,
                high: *val,
            });
        }
        let total: f64 = dterms.terms.iter().map(|t| t.1).sum();
        bars.push(Bar {
            label: "−VLB (sum)".into(),
            family: "diffusion".into(),
            mean: total,
            low: total,
            high: total,
        });
        let fig = MetricBars::single(
            format!(
                "{ds}: {} (seed {}, blue) vs {} (seed {}, purple), the two bounds term by term",
                vae.model,
                vr.s(col::SEED),
                diff.model,
                dr.s(col::SEED)
            ),
            if unit == "bits/dim" {
                "bits/dim"
            } else {
                "nats"
            },
            "bound term",
            bars,
            110,
        );
        ctx.figure(
            &fig,
            &format!("vae-diffusion-bound-{}", slug(&ds)),
            &format!("{ds}: bound terms of both models"),
        )?;
    } else {
        ctx.missing(format!(
            "{} on {ds}: {ARTIFACTS}/{}",
            diff.model,
            diffusion_files::VLB_TERMS_CSV
        ));
    }
    if bound.is_none() {
        ctx.missing(format!(
            "{} on {ds}: {ARTIFACTS}/{}",
            vae.model,
            vae_files::BOUND_CSV
        ));
    }
    match &kl {
        Some(t) => {
            let bars: Vec<Bar> = (0..t.rows.len())
                .filter_map(|i| {
                    let v = t.num(i, "kl_nats")?;
                    Some(Bar {
                        label: format!("z{}", t.get(i, "dim").unwrap_or("?")),
                        family: "vae".into(),
                        mean: v,
                        low: v,
                        high: v,
                    })
                })
                .collect();
            let fig = MetricBars::single(
                format!(
                    "{ds}: {} KL(q(z|x) ‖ p(z)) per latent dimension (seed {})",
                    vae.model,
                    vr.s(col::SEED)
                ),
                "KL (nats)",
                "latent dimension",
                bars,
                40,
            );
            ctx.figure(
                &fig,
                &format!("vae-kl-{}", vae.slug()),
                &format!("{ds}: KL(q(z|x) ‖ p(z)) per latent dimension"),
            )?;
        }
        None => ctx.missing(format!(
            "{} on {ds}: {ARTIFACTS}/{}",
            vae.model,
            vae_files::KL_PER_DIM_CSV
        )),
    }

    // Side-by-side figures the families wrote (images; 2-D trajectories are in the ink-drop section).
    if !images {
        points_2d(ctx, p)?;
        ctx.line("On 2-D data the diffusion model's forward and reverse trajectories are drawn in the ink-drop section below.\n");
        return Ok(());
    }
    let mut rows = String::from("| | VAE | diffusion |\n|---|---|---|\n");
    let mut any = false;
    for (what, v, d) in [
        (
            "reconstruction from z vs denoising from x_t",
            vae_files::RECONSTRUCTIONS_PNG,
            diffusion_files::DENOISE_PNG,
        ),
        (
            "interpolation in z vs in x_T (DDIM)",
            vae_files::INTERPOLATION_PNG,
            diffusion_files::INTERPOLATION_PNG,
        ),
        (
            "samples from the prior",
            vae_files::PRIOR_SAMPLES_PNG,
            diffusion_files::REVERSE_PNG,
        ),
    ] {
        let link =
            |r: &crate::data::Run, f: &str| r.artifact_file(f).map(|p| format!("![{f}]({p})"));
        let (a, b) = (link(vr, v), link(dr, d));
        if a.is_none() {
            ctx.missing(format!("{} on {ds}: {ARTIFACTS}/{v}", vae.model));
        }
        if b.is_none() {
            ctx.missing(format!("{} on {ds}: {ARTIFACTS}/{d}", diff.model));
        }
        if a.is_some() || b.is_some() {
            any = true;
            rows.push_str(&format!(
                "| {what} | {} | {} |\n",
                a.unwrap_or_else(|| "not available".into()),
                b.unwrap_or_else(|| "not available".into())
            ));
        }
    }
    if any {
        ctx.line(&rows);
    }
    Ok(())
}

/// `(x0, x1)` (and `(rx0, rx1)` when `recon`) rows of a 2-D artifact CSV.
fn xy(table: &crate::data::Table, a: &str, b: &str) -> Vec<(f64, f64)> {
    (0..table.rows.len())
        .filter_map(|i| Some((table.num(i, a)?, table.num(i, b)?)))
        .collect()
}

/// The VAE's 2-D figures: reconstructions x → x̂, prior samples, and the decoded interpolation
/// path between two test points.
fn points_2d(ctx: &mut Context, p: &Pair) -> anyhow::Result<()> {
    let (vae, vr, ds) = (p.vae, p.vr, &p.ds);
    let gray = plotters::style::RGBColor(170, 170, 170);
    let mut panels = Vec::new();
    if let Some(t) = vr.artifact_table(vae_files::RECONSTRUCTIONS_CSV)? {
        let (x, r) = (xy(&t, "x0", "x1"), xy(&t, "rx0", "rx1"));
        let mut panel = XyPanel::new("reconstruction: x → decode(encode(x))", "x0", "x1");
        for (a, b) in x.iter().zip(&r) {
            let seg = vec![Pt::new(a.0, a.1), Pt::new(b.0, b.1)];
            panel.series.push(Series {
                label: String::new(),
                color: gray,
                points: seg,
                line: true,
                dots: false,
            });
        }
        let dots = |v: &[(f64, f64)]| v.iter().map(|q| Pt::new(q.0, q.1)).collect();
        panel.series.push(Series {
            label: "test point x".into(),
            color: crate::plot::series_color(0),
            points: dots(&x),
            line: false,
            dots: true,
        });
        panel.series.push(Series {
            label: "reconstruction".into(),
            color: crate::plot::series_color(1),
            points: dots(&r),
            line: false,
            dots: true,
        });
        panels.push(panel);
    } else {
        ctx.missing(format!(
            "{} on {ds}: {ARTIFACTS}/{}",
            vae.model,
            vae_files::RECONSTRUCTIONS_CSV
        ));
    }
    if let Some(t) = vr.artifact_table(vae_files::PRIOR_SAMPLES_CSV)? {
        let mut panel = XyPanel::new("samples: decode(z), z ~ N(0, I)", "x0", "x1");
        let pts = xy(&t, "x0", "x1")
            .iter()
            .take(1000)
            .map(|q| Pt::new(q.0, q.1))
            .collect();
        panel.series.push(Series {
            label: "prior sample".into(),
            color: family_color("vae"),
            points: pts,
            line: false,
            dots: true,
        });
        panels.push(panel);
    }
    if let Some(t) = vr.artifact_table(vae_files::INTERPOLATION_CSV)? {
        let path = xy(&t, "x0", "x1");
        let mut panel = XyPanel::new("interpolation: decode((1−λ) z_a + λ z_b)", "x0", "x1");
        for w in path.windows(2) {
            let seg = vec![Pt::new(w[0].0, w[0].1), Pt::new(w[1].0, w[1].1)];
            panel.series.push(Series {
                label: String::new(),
                color: gray,
                points: seg,
                line: true,
                dots: false,
            });
        }
        let n = path.len();
        let pts = path.iter().enumerate().map(|(i, q)| {
            let pt = Pt::new(q.0, q.1);
            if i == 0 {
                pt.text("λ=0")
            } else if i + 1 == n {
                pt.text("λ=1")
            } else {
                pt
            }
        });
        panel.series.push(Series {
            label: "decoded path".into(),
            color: family_color("vae"),
            points: pts.collect(),
            line: false,
            dots: true,
        });
        panels.push(panel);
    }
    if panels.is_empty() {
        return Ok(());
    }
    let fig = XyFigure::new(
        format!(
            "{ds}: {} reconstruction, sampling and interpolation (seed {})",
            vae.model,
            vr.s(col::SEED)
        ),
        panels,
        3,
    );
    ctx.figure(
        &fig,
        &format!("vae-2d-{}", vae.slug()),
        &format!("{ds}: the VAE's reconstructions, prior samples and latent interpolation"),
    )
}

//! Every face of the VAE–diffusion continuum present on one dataset, one row each: the VAE
//! (learned encoder, one latent step), each DDPM (fixed encoder, T steps; by training loss),
//! the VDM (learned encoder schedule) and the probability-flow ODE of each diffusion model
//! (the same network read as a flow). The NLL carries its kind; the bound its terms; the cost
//! its network passes, NFE and seconds. Then the VDM's learned SNR curve beside the fixed
//! linear and cosine schedules (their ink drops are in the ink-drop section), and where in t
//! its diffusion loss sits.

use crate::context::Context;
use crate::data::Run;
use crate::format::{cell, interval, num};
use crate::model::ModelRuns;
use crate::plot::scatter::{Pt, Series, XyFigure, XyPanel};
use crate::plot::series_color;
use genbench_diffusion::vdm::bound as vdm_files;
use genbench_eval::stats::summarize;
use std::f64::consts::LN_2;

/// The bound's terms columns per family/kind, with their names.
fn term_columns(m: &ModelRuns) -> &'static [(&'static str, &'static str)] {
    let kind = m.nll_kinds().first().cloned().unwrap_or_default();
    if m.family == "vae" {
        &[
            ("ll_rate_nats", "rate"),
            ("ll_distortion_nats", "distortion"),
        ]
    } else if kind.starts_with("vdm") {
        &[
            ("ll_prior_nats", "prior"),
            ("ll_diffusion_nats", "diffusion"),
            ("ll_reconstruction_nats", "reconstruction"),
        ]
    } else {
        &[
            ("ll_l_T_nats", "L_T"),
            ("ll_l_mid_nats", "Σ L_t"),
            ("ll_l_0_nats", "L_0"),
        ]
    }
}

/// D of an image run, from its NLL in nats and bits/dim.
fn dim(r: &Run) -> Option<f64> {
    let (n, b) = (r.num("nll_nats")?, r.num("nll_bpd")?);
    (b != 0.0).then(|| (n / (b * LN_2)).round())
}

/// `key` (nats) over the finished seeds, in bits/dim on images.
fn per_seed(m: &ModelRuns, key: &str, images: bool) -> Vec<f64> {
    m.ok_runs()
        .filter_map(|r| {
            let v = r.num(key)?;
            if images {
                Some(v / (dim(r)? * LN_2))
            } else {
                Some(v)
            }
        })
        .collect()
}

pub(super) fn write(
    ctx: &mut Context,
    ds: &str,
    models: &[ModelRuns],
    images: bool,
) -> anyhow::Result<()> {
    let faces: Vec<&ModelRuns> = models
        .iter()
        .filter(|m| (m.family == "vae" || m.family == "diffusion") && m.shown().is_some())
        .collect();
    if faces.len() < 2 {
        return Ok(());
    }
    let unit = if images { "bits/dim" } else { "nats" };
    ctx.line(&format!("### {ds}: every face\n"));
    ctx.line("From a VAE (learned encoder, one latent step) through DDPM (fixed encoder, T steps) and the VDM (a learned encoder schedule: a VAE whose encoder is the noise schedule) to the same diffusion networks read as flows (the probability-flow ODE, an exact likelihood on continuous data and a dequantized bound on images). Mean ± 95% interval over seeds; the bound's terms are means.\n");
    let seeds = faces.iter().map(|m| m.ok_runs().count()).max().unwrap_or(0);
    let mut rows = format!(
        "| face | model | NLL kind | NLL ({unit}) | bound terms ({unit}) | network passes or NFE per example | likelihood seconds | samples/s |\n|---|---|---|---|---|---|---|---|\n"
    );
    let entropy = faces[0].summary("entropy_nats");
    for m in &faces {
        let face = if m.family == "vae" {
            "VAE"
        } else if m.nll_kinds().iter().any(|k| k.starts_with("vdm")) {
            "VDM"
        } else {
            "DDPM"
        };
        let terms: Vec<String> = term_columns(m)
            .iter()
            .filter_map(|(col, name)| {
                let v = per_seed(m, col, images);
                (!v.is_empty()).then(|| format!("{name} {}", num(summarize(&v).mean)))
            })
            .collect();
        let nll = summarize(&per_seed(m, "nll_nats", images));
        rows.push_str(&format!(
            "| {face} | {} ({}) | {} | {} | {} | {} | {} | {} |\n",
            cell(&m.model),
            cell(&m.arch),
            m.nll_kinds().join(", "),
            interval(&nll, seeds),
            if terms.is_empty() {
                "–".into()
            } else {
                terms.join(" + ")
            },
            interval(&m.summary("ll_network_passes_per_example"), seeds),
            interval(&m.summary("ll_seconds"), seeds),
            interval(&m.summary("samples_per_second"), seeds),
        ));
        for (col, kind) in [
            ("ll_ode_nll_nats", "ode"),
            ("ll_ode_dequantized_nll_nats", "ode-dequantized"),
            ("ll_ode_decoder_nll_nats", "ode-decoder"),
        ] {
            let v = per_seed(m, col, images);
            if v.is_empty() {
                continue;
            }
            let passes = m.summary("ll_ode_passes_per_eval");
            rows.push_str(&format!(
                "| ODE of {face} | {} | {kind} | {} | – | NFE {} ({} passes each) | {} | – |\n",
                cell(&m.model),
                interval(&summarize(&v), seeds),
                interval(&m.summary("ll_ode_nfe"), seeds),
                num(passes.mean),
                interval(&m.summary("ll_ode_seconds"), seeds),
            ));
        }
    }
    ctx.line(&rows);
    if entropy.n > 0 {
        ctx.line(&format!(
            "The true entropy H(p*) of {ds} is {} nats: every NLL above bounds it from above (the ODE's is exact up to the solver's tolerance, so its gap to H(p*) is the model's KL to the data).\n",
            num(entropy.mean)
        ));
    }
    ctx.line("Likelihood seconds are the whole `log_likelihood` call: the bound and, for a model with the ODE, the ODE as well (its own seconds are in the ODE row).\n");
    for m in faces.iter().filter(|m| m.family == "diffusion") {
        schedule(ctx, ds, m)?;
    }
    Ok(())
}

/// The VDM's learned log-SNR against t beside the fixed schedules, and its diffusion term per t.
fn schedule(ctx: &mut Context, ds: &str, m: &ModelRuns) -> anyhow::Result<()> {
    let Some(run) = m.shown() else { return Ok(()) };
    let Some(snr) = run.table(&format!("artifacts/{}", vdm_files::SNR_CSV))? else {
        return Ok(());
    };
    let mut panel = XyPanel::new(
        "log SNR(t) = −γ(t)",
        "t (0 = data, 1 = noise)",
        "log SNR (nats)",
    );
    for (k, (col, label)) in [
        (
            "log_snr",
            format!("{} learned (seed {})", m.model, run.s("seed")),
        ),
        ("linear_log_snr", "linear (fixed)".to_string()),
        ("cosine_log_snr", "cosine (fixed)".to_string()),
    ]
    .into_iter()
    .enumerate()
    {
        let points: Vec<Pt> = (0..snr.rows.len())
            .filter_map(|i| Some(Pt::new(snr.num(i, "t")?, snr.num(i, col)?)))
            .collect();
        panel.series.push(Series {
            label,
            color: series_color(k),
            points,
            line: true,
            dots: false,
        });
    }
    let fig = XyFigure::new(
        format!("{ds}: the VDM's learned noise schedule against the fixed ones"),
        vec![panel],
        1,
    );
    ctx.figure(
        &fig,
        &format!("vdm-snr-{}", m.slug()),
        "learned log-SNR against t beside linear and cosine",
    )?;
    if let Some(terms) = run.table(&format!("artifacts/{}", vdm_files::DIFFUSION_TERMS_CSV))? {
        let unit_col = if dim(run).is_some() {
            "term_bpd"
        } else {
            "term_nats"
        };
        let pts: Vec<Pt> = (0..terms.rows.len())
            .filter_map(|i| Some(Pt::new(terms.num(i, "t")?, terms.num(i, unit_col)?)))
            .collect();
        let mut panel = XyPanel::new(
            "the diffusion term per bin of t (sums to the term)",
            "t",
            if unit_col == "term_bpd" {
                "bits/dim"
            } else {
                "nats"
            },
        );
        panel.series.push(Series {
            label: m.model.clone(),
            color: series_color(0),
            points: pts,
            line: true,
            dots: true,
        });
        let fig = XyFigure::new(
            format!("{ds}: where the VDM's diffusion loss sits in t"),
            vec![panel],
            1,
        );
        ctx.figure(
            &fig,
            &format!("vdm-terms-{}", m.slug()),
            "VDM diffusion term per t",
        )?;
    }
    Ok(())
}

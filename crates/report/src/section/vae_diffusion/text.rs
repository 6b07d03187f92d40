//! The side-by-side table and the paragraphs generated from the measured numbers.

use super::pair::{Pair, Terms, compare, overlap_words};
use crate::context::Context;
use crate::format::{cell, interval, num};
use crate::model::ModelRuns;
use genbench_core::results::schema::col;
use genbench_diffusion::artifacts as diffusion_files;
use genbench_vae::artifacts as vae_files;

pub(super) fn table(ctx: &mut Context, p: &Pair) {
    let Pair {
        vae,
        diff,
        vr,
        dr,
        vterms,
        dterms,
        d_z,
        dim,
        ddim,
        ..
    } = p;
    let (nll_key, unit, fd_label) = (p.nll_key, p.unit, p.fd_label);
    let evals = |m: &ModelRuns| {
        let s = m.summary(col::EVALS_PER_SAMPLE);
        if s.n > 0 { num(s.mean) } else { "–".into() }
    };
    let seeds = |m: &ModelRuns| m.ok_runs().count();
    let show_terms = |t: &Option<Terms>| match t {
        Some(t) => {
            t.terms
                .iter()
                .map(|(n, v)| format!("{n} {}", num(*v)))
                .collect::<Vec<_>>()
                .join(" + ")
                + &format!(" ({})", t.unit)
        }
        None => "not recorded".into(),
    };
    let mut table = String::from("| | VAE | diffusion |\n|---|---|---|\n");
    table.push_str(&format!(
        "| model | {} ({}) | {} ({}) |\n",
        cell(&vae.model),
        cell(&vae.arch),
        cell(&diff.model),
        cell(&diff.arch)
    ));
    table.push_str("| encoder | learned q(z\\|x) | fixed q(x_t\\|x_0), no parameters |\n");
    table.push_str(&format!(
        "| latent | d_z = {} | the data's own dimension{} at every t |\n",
        d_z.map(|d| d.to_string())
            .unwrap_or_else(|| "not recorded".into()),
        dim.map(|d| format!(", D = {d},")).unwrap_or_default()
    ));
    table.push_str(&format!(
        "| bound (seed {} / seed {}) | {} | {} |\n",
        vr.s(col::SEED),
        dr.s(col::SEED),
        show_terms(&vterms.as_ref().map(|t| {
            Terms {
                unit: t.unit,
                terms: t
                    .terms
                    .iter()
                    .filter(|(n, _)| n == "rate" || n == "distortion")
                    .cloned()
                    .collect(),
            }
        })),
        show_terms(&dterms.as_ref().map(|d| d.1.clone()))
    ));
    let ddim_text = if ddim.is_empty() {
        String::new()
    } else {
        format!(
            "; DDIM k ∈ {{{}}}",
            ddim.iter()
                .map(|v| num(v.value))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    table.push_str(&format!(
        "| network evaluations per sample | {} | {}{} |\n",
        evals(vae),
        evals(diff),
        ddim_text
    ));
    for (key, label) in [
        (nll_key, format!("NLL ({unit})")),
        (col::FD, fd_label.to_string()),
        (col::TRAIN_SECONDS, "training seconds".into()),
        (col::SAMPLES_PER_SECOND, "samples/s".into()),
        (col::PARAMS, "parameters".into()),
    ] {
        table.push_str(&format!(
            "| {label} | {} | {} |\n",
            interval(&vae.summary(key), seeds(vae)),
            interval(&diff.summary(key), seeds(diff))
        ));
    }
    table.push_str(&format!(
        "| NLL kind | {} | {} |\n",
        vae.nll_kinds().join(", "),
        diff.nll_kinds().join(", ")
    ));
    ctx.line(&table);
}

pub(super) fn paragraphs(ctx: &mut Context, p: &Pair) {
    let Pair {
        vae,
        diff,
        vr,
        dr,
        vterms,
        dterms,
        ddim,
        ..
    } = p;
    let (nll_key, unit, fd_label) = (p.nll_key, p.unit, p.fd_label);
    // Generated paragraphs.
    let mut text = Vec::new();
    let (vn, dn) = (vae.summary(nll_key), diff.summary(nll_key));
    if let Some((vae_lower, overlap)) = compare(&vn, &dn) {
        let lower = if vae_lower { vae } else { diff };
        text.push(format!(
            "Likelihood: the {}'s NLL ({}) is {} {unit} and the {}'s ({}) is {} {unit}; the {}'s is lower by {} {unit} {}.{}",
            vae.model,
            vae.nll_kinds().join(", "),
            num(vn.mean),
            diff.model,
            diff.nll_kinds().join(", "),
            num(dn.mean),
            lower.model,
            num((vn.mean - dn.mean).abs()),
            overlap_words(overlap, vn.n.min(dn.n)),
            bound_clause(p, vn.mean, dn.mean)
        ));
    } else {
        text.push(format!(
            "Likelihood: not measured for both ({} n = {}, {} n = {}).",
            vae.model, vn.n, diff.model, dn.n
        ));
    }
    if let (Some(v), Some((_, d))) = (&vterms, &dterms) {
        let get = |t: &Terms, n: &str| t.terms.iter().find(|(k, _)| k == n).map(|p| p.1);
        if let (Some(rate), Some(dist)) = (get(v, "rate"), get(v, "distortion")) {
            let share = if rate + dist != 0.0 {
                100.0 * rate / (rate + dist)
            } else {
                f64::NAN
            };
            text.push(format!(
                "Bound, seed {}: the VAE pays {} {} of rate KL(q(z|x) ‖ p(z)) and {} {} of distortion −E log p(x|z); the rate is {}% of its bound.",
                vr.s(col::SEED), num(rate), v.unit, num(dist), v.unit, num(share)
            ));
        }
        let (lt, mid, l0) = (d.terms[0].1, d.terms[1].1, d.terms[2].1);
        let largest = d
            .terms
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|p| p.0.clone())
            .unwrap_or_default();
        text.push(format!(
            "Diffusion's bound, seed {}: L_T = {} (the prior term: how far q(x_T|x_0) is from N(0, I)), Σ L_t = {} over the intermediate steps, L_0 = {} (the decoder of x_0 from x_1), all in {}; the largest part is {}.",
            dr.s(col::SEED), num(lt), num(mid), num(l0), d.unit, largest
        ));
    } else {
        let missing: Vec<&str> = [
            (vterms.is_none(), vae_files::BOUND_CSV),
            (dterms.is_none(), diffusion_files::VLB_TERMS_CSV),
        ]
        .into_iter()
        .filter_map(|(missing, name)| missing.then_some(name))
        .collect();
        text.push(format!(
            "Bound terms: {} not recorded.",
            missing.join(" and ")
        ));
    }
    let (ve, de) = (
        vae.summary(col::EVALS_PER_SAMPLE),
        diff.summary(col::EVALS_PER_SAMPLE),
    );
    if ve.n > 0 && de.n > 0 && ve.mean > 0.0 {
        let mut s = format!(
            "Sampling cost: the VAE decodes a sample in {} network evaluation(s), diffusion in {}: {}× as many.",
            num(ve.mean),
            num(de.mean),
            num(de.mean / ve.mean)
        );
        let (vs, dsps) = (
            vae.summary(col::SAMPLES_PER_SECOND),
            diff.summary(col::SAMPLES_PER_SECOND),
        );
        if vs.n > 0 && dsps.n > 0 {
            s.push_str(&format!(
                " Measured: {} vs {} samples/s.",
                num(vs.mean),
                num(dsps.mean)
            ));
        }
        if let Some(best) = ddim
            .iter()
            .filter(|v| v.columns[1].n > 0)
            .min_by(|a, b| a.columns[1].mean.total_cmp(&b.columns[1].mean))
        {
            s.push_str(&format!(
                " Over the DDIM sweep the lowest {fd_label} is {} at k = {} ({} evaluations).",
                num(best.columns[1].mean),
                num(best.value),
                num(best.columns[0].mean)
            ));
        }
        text.push(s);
    }
    let (vf, df) = (vae.summary(col::FD), diff.summary(col::FD));
    if let Some((vae_lower, overlap)) = compare(&vf, &df) {
        text.push(format!(
            "Sample quality: {fd_label} {} for the VAE and {} for diffusion; the {} has the lower (better) {fd_label} {}.",
            num(vf.mean), num(df.mean), if vae_lower { &vae.model } else { &diff.model }, overlap_words(overlap, vf.n.min(df.n))
        ));
    }
    let (vt, dt) = (
        vae.summary(col::TRAIN_SECONDS),
        diff.summary(col::TRAIN_SECONDS),
    );
    if vt.n > 0 && dt.n > 0 {
        text.push(format!(
            "Training: {} s for the VAE, {} s for diffusion (mean over seeds).",
            num(vt.mean),
            num(dt.mean)
        ));
    }
    for t in text {
        ctx.line(&format!("{t}\n"));
    }
}

/// What the two NLL numbers guarantee: both are exact or upper bounds (so the lower is the tighter
/// guarantee) unless one sits below the true entropy on 2-D data, which no bound can.
fn bound_clause(p: &Pair, vae_nll: f64, diff_nll: f64) -> String {
    let (vae_class, diff_class) = (p.vae.nll_class(), p.diff.nll_class());
    if vae_class.is_none() || diff_class.is_none() {
        return String::new();
    }
    if vae_class != diff_class {
        return " One is conditioned on the label and the other is not, so they bound different quantities (−log p(x | y) and −log p(x)): the gap does not rank the models.".into();
    }
    let entropy = p
        .vae
        .runs
        .iter()
        .chain(&p.diff.runs)
        .find_map(|r| r.num(col::ENTROPY_NATS));
    if let (false, Some(h)) = (p.images, entropy) {
        let below: Vec<&str> = [(p.vae, vae_nll), (p.diff, diff_nll)]
            .iter()
            .filter(|(_, v)| *v < h)
            .map(|(m, _)| m.model.as_str())
            .collect();
        if !below.is_empty() {
            return format!(
                " But {} below the true entropy H(p*) = {} nats, which no valid upper bound can be: the comparison is not meaningful until that likelihood is checked.",
                below
                    .iter()
                    .map(|m| format!("the {m}'s mean NLL is"))
                    .collect::<Vec<_>>()
                    .join(" and "),
                num(h)
            );
        }
    }
    " Both numbers are exact or upper bounds on the true NLL, so the lower one is the tighter guarantee.".into()
}

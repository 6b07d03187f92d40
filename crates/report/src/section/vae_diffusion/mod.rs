//! VAE vs diffusion on the same data: two answers to one question (a latent-variable model
//! trained by a variational bound). The text is generated from the measured numbers: every
//! comparison word ("lower", "overlap") is computed, never written by hand.

mod faces;
mod figures;
mod pair;
mod text;

use crate::context::Context;
use crate::model::{ModelRuns, is_images};
use crate::variants;
use genbench_core::results::schema::col;
use genbench_diffusion::artifacts as diffusion_files;
use genbench_vae::artifacts as vae_files;
use pair::{Pair, diffusion_terms, vae_terms};
use std::collections::BTreeMap;

/// The "VAE vs diffusion" section: every dataset with a finished VAE and diffusion run.
pub fn write(ctx: &mut Context, groups: &BTreeMap<String, Vec<ModelRuns>>) -> anyhow::Result<()> {
    ctx.line("## VAE vs diffusion\n");
    let pairs: Vec<(&ModelRuns, &ModelRuns)> = groups
        .values()
        .filter_map(|models| {
            let vae = models
                .iter()
                .find(|m| m.family == "vae" && m.shown().is_some())?;
            let diff = models
                .iter()
                .find(|m| m.family == "diffusion" && m.shown().is_some())?;
            Some((vae, diff))
        })
        .collect();
    if pairs.is_empty() {
        ctx.line("This experiment has no dataset with both a finished VAE and a finished diffusion run (experiments/vae-vs-diffusion.toml runs the pair).\n");
        return Ok(());
    }
    ctx.line("Both are latent-variable models trained by maximising a variational bound on log p(x). The VAE learns its encoder q(z|x) and a low-dimensional latent; diffusion fixes its encoder to q(x_t|x_0) = N(√ᾱ_t x_0, (1−ᾱ_t) I), keeps the data's dimension at every step, and learns only the decoder, one step at a time.\n");
    for (vae, diff) in pairs {
        pair(ctx, vae, diff)?;
    }
    for (ds, models) in groups {
        faces::write(ctx, ds, models, is_images(ds))?;
    }
    Ok(())
}

fn pair(ctx: &mut Context, vae: &ModelRuns, diff: &ModelRuns) -> anyhow::Result<()> {
    let ds = vae.dataset.clone();
    let images = is_images(&ds);
    let (Some(vr), Some(dr)) = (vae.shown(), diff.shown()) else {
        return Ok(());
    };
    ctx.line(&format!("### {ds}: {} vs {}\n", vae.model, diff.model));
    let kl = vr.artifact_table(vae_files::KL_PER_DIM_CSV)?;
    let bound = vr.artifact_table(vae_files::BOUND_CSV)?;
    let vlb = dr.artifact_table(diffusion_files::VLB_TERMS_CSV)?;
    let dim = if images {
        let (n, b) = (diff.summary(col::NLL_NATS), diff.summary(col::NLL_BPD));
        (n.n > 0 && b.n > 0 && b.mean != 0.0)
            .then(|| (n.mean / (b.mean * std::f64::consts::LN_2)).round() as usize)
    } else {
        Some(2)
    };
    let p = Pair {
        images,
        nll_key: if images { col::NLL_BPD } else { col::NLL_NATS },
        unit: if images { "bits/dim" } else { "nats" },
        fd_label: if images { "FID-approx" } else { "FD" },
        vae,
        diff,
        vr,
        dr,
        vterms: bound.as_ref().map(|t| vae_terms(t, images)),
        dterms: vlb.as_ref().map(|t| diffusion_terms(t, images)),
        d_z: kl.as_ref().map(|t| t.rows.len()),
        kl,
        bound,
        dim,
        ddim: variants::points(diff, "ddim_steps", &[col::EVALS_PER_SAMPLE, col::FD])?,
        ds,
    };
    text::table(ctx, &p);
    text::paragraphs(ctx, &p);
    figures::write(ctx, &p)
}

//! VAE vs diffusion on the same data: two answers to one question (a latent-variable model
//! trained by a variational bound). The text is generated from the measured numbers: every
//! comparison word ("lower", "overlap") is computed, never written by hand.

mod faces;
mod figures;
mod text;

use crate::context::Context;
use crate::data::{Run, Table};
use crate::model::{ModelRuns, is_images};
use crate::variants::{self, VariantPoint};
use genbench_core::results::schema::col;
use genbench_eval::stats::SeedSummary;
use std::collections::BTreeMap;

/// The bound's terms of one model in one unit: `(name, value)`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Terms {
    pub unit: &'static str,
    pub terms: Vec<(String, f64)>,
}

/// VAE terms from vae_bound.csv (term, nats, bits_per_dim) in bits/dim when `bpd`, else nats.
pub fn vae_terms(table: &Table, bpd: bool) -> Terms {
    let col = if bpd { "bits_per_dim" } else { "nats" };
    let terms = (0..table.rows.len())
        .filter_map(|i| Some((table.get(i, "term")?.to_string(), table.num(i, col)?)))
        .collect();
    Terms {
        unit: if bpd { "bits/dim" } else { "nats" },
        terms,
    }
}

/// Diffusion's per-timestep terms `(t, value)` from diffusion_vlb_terms.csv and their split
/// into L_0 (t = 0), Σ L_t (0 < t < T) and L_T (t = T, the largest t).
pub fn diffusion_terms(table: &Table, bpd: bool) -> (Vec<(f64, f64)>, Terms) {
    let col = if bpd { "term_bpd" } else { "term_nats" };
    let mut per_t: Vec<(f64, f64)> = (0..table.rows.len())
        .filter_map(|i| Some((table.num(i, "t")?, table.num(i, col)?)))
        .collect();
    per_t.sort_by(|a, b| a.0.total_cmp(&b.0));
    let t_max = per_t.last().map(|p| p.0).unwrap_or(0.0);
    let (mut l0, mut mid, mut lt) = (0.0, 0.0, 0.0);
    for &(t, v) in &per_t {
        if t == 0.0 {
            l0 += v;
        } else if t == t_max {
            lt += v;
        } else {
            mid += v;
        }
    }
    let terms = vec![
        ("L_T".to_string(), lt),
        ("Σ L_t (0<t<T)".to_string(), mid),
        ("L_0".to_string(), l0),
    ];
    (
        per_t,
        Terms {
            unit: if bpd { "bits/dim" } else { "nats" },
            terms,
        },
    )
}

/// "lower" / "higher" comparison of two summaries with whether their intervals overlap.
pub fn compare(a: &SeedSummary, b: &SeedSummary) -> Option<(bool, bool)> {
    if a.n == 0 || b.n == 0 {
        return None;
    }
    let a_lower = a.mean < b.mean;
    let overlap = a.ci95_low <= b.ci95_high && b.ci95_low <= a.ci95_high;
    Some((a_lower, overlap))
}

fn overlap_words(overlap: bool, n: usize) -> &'static str {
    if n < 2 {
        "(one seed each: no interval)"
    } else if overlap {
        "(the 95% intervals overlap: these seeds do not separate them)"
    } else {
        "(the 95% intervals do not overlap)"
    }
}

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

/// Everything the section needs about one (VAE, diffusion) pair on one dataset.
struct Pair<'a> {
    ds: String,
    images: bool,
    nll_key: &'static str,
    unit: &'static str,
    fd_label: &'static str,
    vae: &'a ModelRuns,
    diff: &'a ModelRuns,
    /// The runs (first finished seed) whose artifacts are shown.
    vr: &'a Run,
    dr: &'a Run,
    kl: Option<Table>,
    bound: Option<Table>,
    vterms: Option<Terms>,
    dterms: Option<(Vec<(f64, f64)>, Terms)>,
    d_z: Option<usize>,
    dim: Option<usize>,
    ddim: Vec<VariantPoint>,
}

fn pair(ctx: &mut Context, vae: &ModelRuns, diff: &ModelRuns) -> anyhow::Result<()> {
    let ds = vae.dataset.clone();
    let images = is_images(&ds);
    let (Some(vr), Some(dr)) = (vae.shown(), diff.shown()) else {
        return Ok(());
    };
    ctx.line(&format!("### {ds}: {} vs {}\n", vae.model, diff.model));
    let kl = vr.table("artifacts/vae_kl_per_dim.csv")?;
    let bound = vr.table("artifacts/vae_bound.csv")?;
    let vlb = dr.table("artifacts/diffusion_vlb_terms.csv")?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use genbench_eval::stats::summarize;

    #[test]
    fn diffusion_terms_split_into_l0_middle_and_lt() {
        let rows = vec![
            vec!["0".into(), "5".into(), "0.5".into()],
            vec!["1".into(), "1".into(), "0.1".into()],
            vec!["2".into(), "2".into(), "0.2".into()],
            vec!["3".into(), "0.25".into(), "0.025".into()],
        ];
        let table = Table {
            header: vec!["t".into(), "term_nats".into(), "term_bpd".into()],
            rows,
        };
        let (per_t, terms) = diffusion_terms(&table, false);
        assert_eq!(per_t.len(), 4);
        assert_eq!(
            terms.terms.iter().map(|t| t.1).collect::<Vec<_>>(),
            vec![0.25, 3.0, 5.0]
        );
        assert_eq!(diffusion_terms(&table, true).1.unit, "bits/dim");
    }

    #[test]
    fn comparison_words_are_computed() {
        let a = summarize(&[1.0, 1.1, 1.2]);
        let b = summarize(&[2.0, 2.1, 2.2]);
        assert_eq!(compare(&a, &b), Some((true, false)));
        assert_eq!(compare(&b, &a), Some((false, false)));
        let c = summarize(&[1.0, 3.0, 2.0]);
        assert_eq!(compare(&a, &c), Some((true, true)));
        assert_eq!(compare(&a, &summarize(&[])), None);
    }
}

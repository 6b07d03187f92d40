//! What the analysis reads from a run (written by `write_artifacts` from fixed test examples),
//! under the names below; the report reads them through these constants.

use crate::model::VaeModel;
use genbench_core::fsutil::write_csv;
use genbench_core::grid::save_image_grid;
use genbench_core::likelihood::nats_to_bpd;
use genbench_core::{Batch, Rng, seed};
use std::path::Path;

/// Points on the interpolation segment.
pub const INTERPOLATION_STEPS: usize = 8;

/// Images: the test images (first row) and their reconstructions, the decoder mean at z = the
/// encoder mean (second row).
pub const RECONSTRUCTIONS_PNG: &str = "vae_reconstructions.png";
/// 2-D: the test points and their reconstructions, columns x0,x1,rx0,rx1.
pub const RECONSTRUCTIONS_CSV: &str = "vae_reconstructions.csv";
/// Images: decoder means at 64 draws z ~ N(0, I) (the run's samples.png holds draws from p(x|z)).
pub const PRIOR_SAMPLES_PNG: &str = "vae_prior_samples.png";
/// 2-D: decoder means at 2,000 draws z ~ N(0, I), columns x0,x1[,label].
pub const PRIOR_SAMPLES_CSV: &str = "vae_prior_samples.csv";
/// Images: decoder means along [`INTERPOLATION_STEPS`] evenly spaced points of the segment
/// between the encoder means of the first two test examples.
pub const INTERPOLATION_PNG: &str = "vae_interpolation.png";
/// 2-D: the same path as points, columns x0,x1.
pub const INTERPOLATION_CSV: &str = "vae_interpolation.csv";
/// dim,kl_nats: KL(q(z_j|x) || N(0,1)) per latent dimension j, mean over the test examples; a
/// collapsed unit has KL near 0.
pub const KL_PER_DIM_CSV: &str = "vae_kl_per_dim.csv";
/// term,nats,bits_per_dim: rate, distortion, neg_elbo and neg_iwae (k = `iwae_k`) as means over
/// the test examples; bits_per_dim only for discrete data.
pub const BOUND_CSV: &str = "vae_bound.csv";

/// Write the VAE's figures and tables for `test` into `dir`: reconstructions, prior samples, an
/// interpolation, the rate per latent dimension and the bounds (draws from `seed`).
pub fn write(model: &VaeModel, test: &Batch, dir: &Path, seed: u64) -> anyhow::Result<()> {
    anyhow::ensure!(!test.is_empty(), "no test examples for the VAE artifacts");
    std::fs::create_dir_all(dir)?;
    let spec = model.spec();
    let latent = model.config().latent_dim;
    let d = spec.dim();
    let image = spec.is_image();
    let fmt = |v: f64| format!("{v:.6}");

    // Reconstructions from the encoder means.
    let mu = model.encoder_means(test)?;
    let recon = model.decode_mean(&mu, &test.labels)?;
    if image {
        let scale = (64 / spec.shape[2]).max(2);
        let mut x = test.x.clone();
        x.extend_from_slice(&recon);
        save_image_grid(
            &Batch::new(x, vec![], d),
            spec,
            test.len(),
            scale,
            &dir.join(RECONSTRUCTIONS_PNG),
        )?;
    } else {
        let header = ["x0", "x1", "rx0", "rx1"].map(String::from).to_vec();
        let rows = (0..test.len())
            .map(|i| {
                test.row(i)
                    .iter()
                    .chain(&recon[i * d..(i + 1) * d])
                    .map(|&v| fmt(v as f64))
                    .collect()
            })
            .collect::<Vec<Vec<_>>>();
        write_csv(&dir.join(RECONSTRUCTIONS_CSV), &header, &rows)?;
    }

    // Prior samples (decoder means).
    let n_prior = if image { 64 } else { 2000 };
    let labels = model.sample_labels(n_prior, None)?;
    let z = model.prior(n_prior, &mut Rng::new(seed::derive(seed, 2)));
    let prior = model.decode_mean(&z, &labels)?;
    if image {
        let scale = (64 / spec.shape[2]).max(2);
        save_image_grid(
            &Batch::new(prior, vec![], d),
            spec,
            8,
            scale,
            &dir.join(PRIOR_SAMPLES_PNG),
        )?;
    } else {
        write_points(&dir.join(PRIOR_SAMPLES_CSV), &prior, d, &labels)?;
    }

    // Interpolation between the encoder means of the first two test examples (the first
    // example's label for a conditional model).
    if test.len() >= 2 {
        let (a, b) = (&mu[..latent], &mu[latent..2 * latent]);
        let z: Vec<f32> = (0..INTERPOLATION_STEPS)
            .flat_map(|s| {
                let t = s as f32 / (INTERPOLATION_STEPS - 1) as f32;
                a.iter().zip(b).map(move |(&a, &b)| (1.0 - t) * a + t * b)
            })
            .collect();
        let labels = if model.classes() > 0 {
            vec![test.labels[0]; INTERPOLATION_STEPS]
        } else {
            Vec::new()
        };
        let path = model.decode_mean(&z, &labels)?;
        if image {
            let scale = (64 / spec.shape[2]).max(2);
            save_image_grid(
                &Batch::new(path, vec![], d),
                spec,
                INTERPOLATION_STEPS,
                scale,
                &dir.join(INTERPOLATION_PNG),
            )?;
        } else {
            write_points(&dir.join(INTERPOLATION_CSV), &path, d, &[])?;
        }
    }

    // Rate per latent dimension, and the bound's terms.
    let terms = model.elbo_terms(test, seed::derive(seed, 0))?;
    let n = test.len() as f64;
    let rows: Vec<Vec<String>> = terms
        .kl_per_dim_sum
        .iter()
        .enumerate()
        .map(|(j, s)| vec![j.to_string(), fmt(s / n)])
        .collect();
    write_csv(
        &dir.join(KL_PER_DIM_CSV),
        &["dim".into(), "kl_nats".into()],
        &rows,
    )?;

    let iwae = model.iwae(test, model.config().iwae_k, seed::derive(seed, 1))?;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (rate, distortion) = (mean(&terms.rate), mean(&terms.distortion));
    let bpd = |nats: f64| {
        if spec.is_discrete() {
            fmt(nats_to_bpd(nats, d))
        } else {
            String::new()
        }
    };
    let rows: Vec<Vec<String>> = [
        ("rate", rate),
        ("distortion", distortion),
        ("neg_elbo", rate + distortion),
        ("neg_iwae", -mean(&iwae)),
    ]
    .iter()
    .map(|&(term, nats)| vec![term.to_string(), fmt(nats), bpd(nats)])
    .collect();
    write_csv(
        &dir.join(BOUND_CSV),
        &["term".into(), "nats".into(), "bits_per_dim".into()],
        &rows,
    )
}

/// 2-D points as x0,x1[,label] rows.
fn write_points(path: &Path, x: &[f32], d: usize, labels: &[usize]) -> anyhow::Result<()> {
    let mut header: Vec<String> = (0..d).map(|j| format!("x{j}")).collect();
    if !labels.is_empty() {
        header.push("label".into());
    }
    let rows: Vec<Vec<String>> = x
        .chunks(d)
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .map(|v| format!("{v:.6}"))
                .chain(labels.get(i).map(ToString::to_string))
                .collect()
        })
        .collect();
    write_csv(path, &header, &rows)
}

//! The final evaluation of a run: one function that scores any family's model on its data.

use crate::manifest::EvalOptions;
use crate::results::Row;
use genbench_core::{Batch, GenerativeModel, Seeds};
use genbench_dataset::Dataset;
use genbench_eval::{FeatureSet, toy2d};
use std::time::Instant;

/// Likelihood on the test set (capped at `opts.likelihood_examples`), with its kind.
pub fn likelihood(model: &mut dyn GenerativeModel, data: &Dataset, examples: usize, seed: u64, row: &mut Row) -> anyhow::Result<()> {
    let test = if examples == 0 { data.test.clone() } else { data.test.head(examples) };
    let started = Instant::now();
    let ll = model.log_likelihood(&test, seed)?;
    row.set_f("ll_seconds", Some(started.elapsed().as_secs_f64()));
    row.set("nll_kind", ll.kind);
    row.set_f("nll_nats", ll.mean_nll_nats());
    row.set_f("nll_bpd", if data.spec.is_discrete() { ll.mean_nll_bpd(data.spec.dim()) } else { None });
    row.set("nll_n", if ll.log_px_nats.is_empty() { String::new() } else { ll.log_px_nats.len().to_string() });
    for (name, value) in &ll.extras {
        row.set_f(&format!("ll_{name}"), Some(*value));
    }
    if let (Some(density), Some(nll)) = (&data.density, ll.mean_nll_nats()) {
        let entropy = density.entropy().nats;
        row.set_f("nll_minus_entropy_nats", Some(nll - entropy));
    }
    Ok(())
}

/// Everything measured on samples: draws `opts.samples` (labels cycled through the classes for
/// a conditional model) and compares them with as many test examples.
pub fn samples(model: &mut dyn GenerativeModel, data: &Dataset, opts: &EvalOptions, seeds: &Seeds, row: &mut Row) -> anyhow::Result<Batch> {
    let n = opts.samples;
    let labels: Option<Vec<usize>> =
        model.is_conditional().then(|| (0..n).map(|i| i % data.spec.num_classes.max(1)).collect());
    let started = Instant::now();
    let fake = model.sample(n, labels.as_deref(), seeds.stream("eval"))?;
    row.set_f("samples_per_second", Some(n as f64 / started.elapsed().as_secs_f64().max(1e-9)));
    row.set_f("evals_per_sample", Some(model.evals_per_sample()));
    anyhow::ensure!(fake.len() == n && fake.dim == data.spec.dim(), "the model returned {} samples of dim {}", fake.len(), fake.dim);

    if let Some(density) = &data.density {
        let points: Vec<[f64; 2]> = (0..n).map(|i| [fake.row(i)[0] as f64, fake.row(i)[1] as f64]).collect();
        row.set_f("entropy_nats", Some(density.entropy().nats));
        row.set_f("true_logp_of_samples", Some(toy2d::mean_true_log_density(&points, &|x| density.log_prob(x))));
        if let Some((modes, sigma)) = density.modes() {
            let cov = toy2d::mode_coverage(&points, &modes, sigma);
            row.set("modes_covered", cov.modes_covered);
            row.set("modes_total", cov.modes);
            row.set_f("high_quality", Some(cov.high_quality));
            if let Some(labels) = &labels {
                let hits = points.iter().zip(labels).filter(|(p, l)| nearest(p, &modes) == **l).count();
                row.set_f("cond_accuracy", Some(hits as f64 / n as f64));
            }
        }
        let real = data.test.head(n);
        let (a, b) = (FeatureSet::from_f32(&real.x, real.dim), FeatureSet::from_f32(&fake.x, fake.dim));
        sample_metrics(&a, &b, opts, seeds, row)?;
    }
    Ok(fake)
}

/// FD, KID, precision/recall, density/coverage between real and generated features, each with
/// its sample count.
pub fn sample_metrics(real: &FeatureSet, fake: &FeatureSet, opts: &EvalOptions, seeds: &Seeds, row: &mut Row) -> anyhow::Result<()> {
    let n = real.rows.min(fake.rows);
    row.set_f("fd", Some(genbench_eval::frechet_distance(real, fake)?));
    row.set("fd_n", format!("{}/{}", real.rows, fake.rows));
    let m = opts.kid_subset_size.min(n);
    let kid = genbench_eval::kid(real, fake, opts.kid_subsets, m, seeds.stream("eval"))?;
    row.set_f("kid", Some(kid.mean));
    row.set_f("kid_std", Some(kid.std));
    row.set("kid_n", format!("{}x{}", kid.subsets, kid.subset_size));
    let pr = genbench_eval::precision_recall(real, fake, 3);
    row.set_f("precision", Some(pr.precision));
    row.set_f("recall", Some(pr.recall));
    row.set("pr_n", format!("{}/{} k={}", real.rows, fake.rows, pr.k));
    let dc = genbench_eval::density_coverage(real, fake, 5);
    row.set_f("density", Some(dc.density));
    row.set_f("coverage", Some(dc.coverage));
    row.set("dc_n", format!("{}/{} k={}", real.rows, fake.rows, dc.k));
    Ok(())
}

fn nearest(p: &[f64; 2], modes: &[[f64; 2]]) -> usize {
    let d = |m: &[f64; 2]| (p[0] - m[0]).powi(2) + (p[1] - m[1]).powi(2);
    (0..modes.len()).min_by(|&a, &b| d(&modes[a]).total_cmp(&d(&modes[b]))).unwrap_or(0)
}

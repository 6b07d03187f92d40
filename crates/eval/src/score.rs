//! The final evaluation of a run: one function per question, the same for every family. The
//! runner (`genbench run`) and the rescoring of a saved run (`genbench eval`) both call these.

use crate::featureset::FeatureSet;
use crate::memorisation::MemorisationOptions;
use crate::options::EvalOptions;
use crate::reference::Reference;
use crate::toy2d;
use genbench_core::results::Row;
use genbench_core::results::schema::col;
use genbench_core::{
    Batch, DataSpec, Diverged, GenerativeModel, Likelihood, SamplerVariant, Seeds,
};
use genbench_dataset::Dataset;
use std::time::Instant;

/// Likelihood on the test set (capped at `examples`, 0 = all), with its kind and timing; a
/// conditional model's is −log p(x | y) (the row's `conditional` column says which).
pub fn likelihood(
    model: &mut dyn GenerativeModel,
    data: &Dataset,
    examples: usize,
    seed: u64,
    row: &mut Row,
) -> anyhow::Result<()> {
    let test = if examples == 0 {
        data.test.clone()
    } else {
        data.test.head(examples)
    };
    let started = Instant::now();
    let ll = model.log_likelihood(&test, seed)?;
    row.set_f(col::LL_SECONDS, Some(started.elapsed().as_secs_f64()));
    likelihood_columns(&ll, data, model.is_conditional(), row);
    Ok(())
}

/// Every likelihood column of a row: the kind and mean ([`nll_columns`]), the number of
/// examples, the family's side quantities, and on 2-D data the gap to the true entropy (for
/// −log p(x) only: a `conditional` model's −log p(x | y) has no such reading). An unavailable
/// likelihood leaves every number empty, never 0.
pub fn likelihood_columns(ll: &Likelihood, data: &Dataset, conditional: bool, row: &mut Row) {
    nll_columns(ll, &data.spec, row);
    row.set(
        col::NLL_N,
        if ll.log_px_nats.is_empty() {
            String::new()
        } else {
            ll.log_px_nats.len().to_string()
        },
    );
    row.set_f(col::NLL_SE_NATS, nll_standard_error(ll));
    for (name, value) in &ll.extras {
        row.set_f(&format!("{}{name}", col::LL_EXTRA_PREFIX), Some(*value));
    }
    if let Some(density) = &data.density {
        let entropy = density.entropy().nats;
        row.set_f(col::ENTROPY_NATS, Some(entropy));
        // KL(p* ‖ model) for −log p(x); a conditional model's −log p(x | y) has no such reading.
        let marginal_nll = ll.mean_nll_nats().filter(|_| !conditional);
        row.set_f(
            col::NLL_MINUS_ENTROPY_NATS,
            marginal_nll.map(|nll| nll - entropy),
        );
        let scored = data.test.head(ll.log_px_nats.len());
        let kl = (!conditional)
            .then(|| paired_kl(ll, &scored, &|x| density.log_prob(x)))
            .flatten();
        row.set_f(col::KL_NATS, kl);
    }
}

/// The standard error of the mean NLL over its examples, sd(−log p(x_i)) / √n (n − 1 in the
/// variance): the test sample's spread and, for a Monte Carlo bound (VDM's t, IWAE's z), the
/// estimator's own noise. `None` when unavailable or with fewer than two examples.
pub fn nll_standard_error(ll: &Likelihood) -> Option<f64> {
    let mean_nll = ll.mean_nll_nats()?;
    let n = ll.log_px_nats.len();
    if n < 2 {
        return None;
    }
    let ss: f64 = ll
        .log_px_nats
        .iter()
        .map(|lp| (-lp - mean_nll).powi(2))
        .sum();
    Some((ss / (n - 1) as f64).sqrt() / (n as f64).sqrt())
}

/// KL(p* ‖ model) on the scored examples themselves: mean_i [log p*(x_i) − log p_model(x_i)]
/// over `scored` (the first n test examples, the ones `ll` scores). `nll_minus_entropy_nats`
/// (mean NLL − H(p*)) also carries the sample's own deviation from H(p*),
/// −mean log p*(x_i) − H(p*), about sd(log p*) / √n ≈ 1/√n nats: 0.045 at n = 500, enough to
/// put a good model's NLL below the entropy. The pairing cancels it. `None` when unavailable.
pub fn paired_kl(
    ll: &Likelihood,
    scored: &Batch,
    log_density: &dyn Fn([f64; 2]) -> f64,
) -> Option<f64> {
    ll.mean_nll_nats()?;
    let n = ll.log_px_nats.len();
    let gap: f64 = (0..n)
        .map(|i| {
            let x = scored.row(i);
            log_density([f64::from(x[0]), f64::from(x[1])]) - ll.log_px_nats[i]
        })
        .sum();
    Some(gap / n as f64)
}

/// The mean NLL with its kind: in nats, and in bits/dim on discrete data.
pub fn nll_columns(ll: &Likelihood, spec: &DataSpec, row: &mut Row) {
    row.set(col::NLL_KIND, ll.kind);
    row.set_f(col::NLL_NATS, ll.mean_nll_nats());
    row.set_f(
        col::NLL_BPD,
        if spec.is_discrete() {
            ll.mean_nll_bpd(spec.dim())
        } else {
            None
        },
    );
}

/// The features FD compares in for `batch`: the reference's feature space, or the coordinates
/// themselves on 2-D data; `None` for images without a feature space.
pub fn fd_features(reference: &Reference, batch: &Batch) -> Option<FeatureSet> {
    match (reference.features, &reference.data.density) {
        (Some(net), _) => Some(net.features(batch)),
        (None, Some(_)) => Some(FeatureSet::from_f32(&batch.x, batch.dim)),
        (None, None) => None,
    }
}

/// FD between `real` (features of held-out examples, see [`fd_features`]) and as many samples
/// of the model's default sampler (the classes in turn when conditional), drawn from `seed`:
/// the FD of a periodic evaluation. `None` without a feature space, or when the samples are
/// not finite (a model between two evaluations may be).
pub fn fd_of_samples(
    model: &mut dyn GenerativeModel,
    reference: &Reference,
    real: &FeatureSet,
    seed: u64,
) -> anyhow::Result<Option<f64>> {
    let n = real.rows;
    let labels = cycled_labels(model, reference.data, n);
    let fake = model.sample(n, labels.as_deref(), seed)?;
    if fake.x.iter().any(|v| !v.is_finite()) {
        return Ok(None);
    }
    Ok(match fd_features(reference, &fake) {
        Some(fake) => Some(crate::fd::frechet_distance(real, &fake)?),
        None => None,
    })
}

/// Labels for `n` samples of a conditional model: the classes in turn.
pub fn cycled_labels(model: &dyn GenerativeModel, data: &Dataset, n: usize) -> Option<Vec<usize>> {
    model
        .is_conditional()
        .then(|| genbench_core::labels::cycled(n, data.spec.num_classes.max(1)))
}

/// Draw `opts.samples` from the default sampler (`variant == None`) or a named variant, time
/// them, and score them.
pub fn samples(
    model: &mut dyn GenerativeModel,
    reference: &Reference,
    variant: Option<&SamplerVariant>,
    opts: &EvalOptions,
    seeds: &Seeds,
    row: &mut Row,
) -> anyhow::Result<Batch> {
    let data = reference.data;
    let n = opts.samples;
    let labels = cycled_labels(model, data, n);
    let started = Instant::now();
    let fake = match variant {
        None => model.sample(n, labels.as_deref(), seeds.stream("eval"))?,
        Some(v) => model.sample_variant(&v.name, n, labels.as_deref(), seeds.stream("eval"))?,
    };
    row.set_f(
        col::SAMPLES_PER_SECOND,
        Some(n as f64 / started.elapsed().as_secs_f64().max(1e-9)),
    );
    // Asked after sampling: a variant with an adaptive cost (the ODE sampler) reports the
    // evaluations the draw just measured.
    let evals = match variant {
        Some(v) => model
            .sampler_variants()
            .into_iter()
            .find(|m| m.name == v.name)
            .map_or(v.evals_per_sample, |m| m.evals_per_sample),
        None => model.evals_per_sample(),
    };
    row.set_f(col::EVALS_PER_SAMPLE, Some(evals));
    anyhow::ensure!(
        fake.len() == n && fake.dim == data.spec.dim(),
        "the model returned {} samples of dim {} (asked for {n} of dim {})",
        fake.len(),
        fake.dim,
        data.spec.dim()
    );
    if let Some(why) = genbench_core::model::absurd_samples(&fake, &data.train) {
        return Err(Diverged(why).into());
    }
    quality(&fake, labels.as_deref(), reference, opts, seeds, row)?;
    Ok(fake)
}

/// Everything measured on a set of samples (`labels`: the class each was drawn for), with the
/// evaluator's sample counts and seeds: what a run's samples and an external model's both get.
pub fn quality(
    fake: &Batch,
    labels: Option<&[usize]>,
    reference: &Reference,
    opts: &EvalOptions,
    seeds: &Seeds,
    row: &mut Row,
) -> anyhow::Result<()> {
    let data = reference.data;
    let n = fake.len();
    let real = data.test.head(n);
    if let Some(density) = &data.density {
        let points: Vec<[f64; 2]> = (0..n)
            .map(|i| [fake.row(i)[0] as f64, fake.row(i)[1] as f64])
            .collect();
        row.set_f(col::ENTROPY_NATS, Some(density.entropy().nats));
        row.set_f(
            col::TRUE_LOGP_OF_SAMPLES,
            Some(toy2d::mean_true_log_density(&points, &|x| {
                density.log_prob(x)
            })),
        );
        if let Some((modes, sigma)) = density.modes() {
            let cov = toy2d::mode_coverage(&points, &modes, sigma);
            row.set(col::MODES_COVERED, cov.modes_covered);
            row.set(col::MODES_TOTAL, cov.modes);
            row.set_f(col::HIGH_QUALITY, Some(cov.high_quality));
            if let Some(labels) = labels {
                let hits = points
                    .iter()
                    .zip(labels)
                    .filter(|(p, l)| nearest(p, &modes) == **l)
                    .count();
                row.set_f(col::COND_ACCURACY, Some(hits as f64 / n as f64));
            }
        }
        let (a, b) = (
            FeatureSet::from_f32(&real.x, real.dim),
            FeatureSet::from_f32(&fake.x, fake.dim),
        );
        let train = FeatureSet::from_f32(&data.train.x, data.train.dim);
        data_copying(&train, &a, &b, row);
        return sample_metrics(&a, &b, opts, seeds, row);
    }
    if let Some(net) = reference.features {
        row.set_f(col::CLASSIFIER_ACCURACY, Some(net.test_accuracy()));
        if let Some(labels) = labels {
            let predicted = net.classify(fake);
            let hits = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
            row.set_f(col::COND_ACCURACY, Some(hits as f64 / n as f64));
        }
        let (a, b) = (net.features(&real), net.features(fake));
        data_copying(&net.features(&data.train), &a, &b, row);
        sample_metrics(&a, &b, opts, seeds, row)?;
    }
    Ok(())
}

/// Seed of the k-means cells of the data-copying test: fixed, so every model on a dataset is
/// tested on the same partition of its training set.
pub const COPYING_CELLS_SEED: u64 = 0;

/// Meehan et al.'s data-copying test of the samples `fake` against the held-out examples
/// `real` (FD's real side), distances to the training set `train`, all in FD's feature space:
/// C_T, its z, the share of samples closer than the median held-out example, the counts, and
/// the memorisation flag (no flag when no cell holds enough samples for a statistic).
pub fn data_copying(train: &FeatureSet, real: &FeatureSet, fake: &FeatureSet, row: &mut Row) {
    let opts = MemorisationOptions::for_held_out(real.rows, COPYING_CELLS_SEED);
    let m = crate::memorisation::memorisation(train, real, fake, &opts);
    row.set_f(col::MEM_CT, Some(m.c_t));
    row.set_f(col::MEM_Z, Some(m.z));
    row.set_f(col::MEM_CLOSER, Some(m.closer_share));
    row.set(col::MEM_N, m.counts());
    row.set(
        col::MEMORISING,
        if m.z.is_finite() {
            m.flagged.to_string()
        } else {
            String::new()
        },
    );
}

/// FD, KID, precision/recall, density/coverage between real and generated features, each with
/// its sample counts.
pub fn sample_metrics(
    real: &FeatureSet,
    fake: &FeatureSet,
    opts: &EvalOptions,
    seeds: &Seeds,
    row: &mut Row,
) -> anyhow::Result<()> {
    let n = real.rows.min(fake.rows);
    row.set_f(col::FD, Some(crate::fd::frechet_distance(real, fake)?));
    row.set(col::FD_N, format!("{}/{}", real.rows, fake.rows));
    let m = opts.kid_subset_size.min(n);
    let kid = crate::kid::kid(real, fake, opts.kid_subsets, m, seeds.stream("eval"))?;
    row.set_f(col::KID, Some(kid.mean));
    row.set_f(col::KID_STD, Some(kid.std));
    row.set(col::KID_N, format!("{}x{}", kid.subsets, kid.subset_size));
    let pr = crate::knn::precision_recall(real, fake, 3);
    row.set_f(col::PRECISION, Some(pr.precision));
    row.set_f(col::RECALL, Some(pr.recall));
    row.set(col::PR_N, format!("{}/{} k={}", real.rows, fake.rows, pr.k));
    let dc = crate::knn::density_coverage(real, fake, 5);
    row.set_f(col::DENSITY, Some(dc.density));
    row.set_f(col::COVERAGE, Some(dc.coverage));
    row.set(col::DC_N, format!("{}/{} k={}", real.rows, fake.rows, dc.k));
    Ok(())
}

/// [`samples`], except that absurd samples are no error: `row` keeps what it had before and
/// gets `divergence` (why) instead of metrics, and the result is `None`.
pub fn samples_unless_diverged(
    model: &mut dyn GenerativeModel,
    reference: &Reference,
    variant: Option<&SamplerVariant>,
    opts: &EvalOptions,
    seeds: &Seeds,
    row: &mut Row,
) -> anyhow::Result<Option<Batch>> {
    let head = row.clone();
    match samples(model, reference, variant, opts, seeds, row) {
        Ok(fake) => Ok(Some(fake)),
        Err(e) => {
            let Some(diverged) = e.downcast_ref::<Diverged>() else {
                return Err(e);
            };
            *row = head;
            row.set(col::DIVERGENCE, &diverged.0);
            Ok(None)
        }
    }
}

/// Every sampler variant of the model, scored like the default sampler: one row each. A variant
/// whose samples are absurd (a large guidance scale on a young model) gets its `divergence`
/// and no metric; the others are scored as usual.
pub fn variants(
    model: &mut dyn GenerativeModel,
    reference: &Reference,
    opts: &EvalOptions,
    seeds: &Seeds,
) -> anyhow::Result<Vec<Row>> {
    let mut rows = Vec::new();
    for v in model.sampler_variants() {
        let mut row = Row::default();
        row.set(col::VARIANT, &v.name);
        row.set(col::KNOB, v.knob);
        row.set_f(col::VALUE, Some(v.value));
        row.set_f(col::EVALS_PER_SAMPLE, Some(v.evals_per_sample));
        samples_unless_diverged(model, reference, Some(&v), opts, seeds, &mut row)?;
        rows.push(row);
    }
    Ok(rows)
}

fn nearest(p: &[f64; 2], modes: &[[f64; 2]]) -> usize {
    let d = |m: &[f64; 2]| (p[0] - m[0]).powi(2) + (p[1] - m[1]).powi(2);
    (0..modes.len())
        .min_by(|&a, &b| d(&modes[a]).total_cmp(&d(&modes[b])))
        .unwrap_or(0)
}

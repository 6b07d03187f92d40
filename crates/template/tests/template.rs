//! The template model end to end: copies of the training set have zero FID-approx to it and are
//! flagged by the data-copying test, held-out data is not; the KDE is a density (it integrates
//! to 1) with its bandwidth chosen on validation; deformations stay within what they state.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::results::Row;
use genbench_core::results::schema::col;
use genbench_core::{
    Batch, BuildContext, Family, GenerativeModel, Likelihood, ModelInfo, Seeds, StepMetrics,
    labels, testing,
};
use genbench_dataset::{DataConfig, Dataset};
use genbench_eval::{
    EvalOptions, FeatureSet, MemorisationOptions, Reference, frechet_distance, memorisation, score,
};
use genbench_eval::{FeatureNet, FeatureSpace};
use genbench_template::{Template, TemplateConfig, deform};
use std::collections::HashSet;

fn load(name: &str, train_size: Option<usize>) -> Dataset {
    let mut config = DataConfig::new(name);
    config.train_size = train_size;
    genbench_dataset::load(&config).unwrap()
}

fn ctx(data: &Dataset, conditional: bool) -> BuildContext {
    testing::context(data.spec.clone(), 0).with_conditional(conditional)
}

/// A template model after `begin` and its one fitting step; the step's bandwidth.
fn fitted(
    data: &Dataset,
    config: TemplateConfig,
    conditional: bool,
) -> (Box<dyn GenerativeModel>, f64) {
    let mut model = Template::build(config, &ctx(data, conditional)).unwrap();
    model.begin(&data.train).unwrap();
    let step = model.train_step(&data.train).unwrap();
    (model, step.extras["bandwidth"])
}

/// The image feature space of FID-approx, found (or trained once) the way a run finds it, with
/// the cache beside a results folder in cargo's scratch space.
fn feature_net(data: &Dataset) -> FeatureNet {
    let experiment = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("results");
    let device = testing::device();
    genbench_eval::feature_net(data, &experiment, &device)
        .unwrap()
        .expect("digits have a feature space")
}

fn rows(batch: &Batch) -> HashSet<Vec<u32>> {
    (0..batch.len())
        .map(|i| batch.row(i).iter().map(|v| v.to_bits()).collect())
        .collect()
}

#[test]
fn copies_have_zero_fid_approx_to_the_training_set() {
    let data = load("digits", None);
    let net = feature_net(&data);
    let (mut model, _) = fitted(&data, TemplateConfig::default(), false);
    let n = data.train.len();
    let samples = model.sample(n, None, 3).unwrap();
    // Every training image once, in another order.
    let mut a: Vec<Vec<u32>> = (0..n)
        .map(|i| samples.row(i).iter().map(|v| v.to_bits()).collect())
        .collect();
    let mut b: Vec<Vec<u32>> = (0..n)
        .map(|i| data.train.row(i).iter().map(|v| v.to_bits()).collect())
        .collect();
    assert_ne!(a, b, "the order is random");
    a.sort();
    b.sort();
    assert_eq!(a, b);

    let train = net.features(&data.train);
    let fid = frechet_distance(&train, &net.features(&samples)).unwrap();
    assert!(
        fid.abs() < 1e-6,
        "FID-approx of the copies to the training set: {fid}"
    );
}

/// Scores `model` the way a run does (`eval::score::samples` against the test set, in the
/// classifier's features) with `samples` samples; the row.
fn scored(
    model: &mut dyn GenerativeModel,
    data: &Dataset,
    net: &FeatureNet,
    samples: usize,
) -> Row {
    let reference = Reference::new(data, Some(net));
    let opts = EvalOptions {
        samples,
        ..EvalOptions::default()
    };
    let mut row = Row::default();
    score::samples(model, &reference, None, &opts, &Seeds::new(0), &mut row).unwrap();
    row
}

/// A "model" whose samples are held-out images: test examples `from..from + n`.
struct HeldOut {
    test: Batch,
    from: usize,
}

impl GenerativeModel for HeldOut {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            family: "held-out",
            arch: "test images".into(),
            paper: "",
            year: 0,
        }
    }
    fn train_step(&mut self, _: &Batch) -> anyhow::Result<StepMetrics> {
        Ok(StepMetrics::new(0.0))
    }
    fn sample(&mut self, n: usize, _: Option<&[usize]>, _: u64) -> anyhow::Result<Batch> {
        Ok(self
            .test
            .select(&(self.from..self.from + n).collect::<Vec<_>>()))
    }
    fn log_likelihood(&mut self, _: &Batch, _: u64) -> anyhow::Result<Likelihood> {
        Ok(Likelihood::unavailable())
    }
    fn evals_per_sample(&self) -> f64 {
        0.0
    }
    fn num_params(&self) -> usize {
        0
    }
    fn save(&self, _: &std::path::Path) -> anyhow::Result<()> {
        Ok(())
    }
    fn load(&mut self, _: &std::path::Path) -> anyhow::Result<()> {
        Ok(())
    }
}

#[test]
fn the_evaluator_flags_copies_as_memorising_and_not_held_out_images() {
    let data = load("digits", None);
    let net = feature_net(&data);
    let half = data.test.len() / 2;

    let (mut model, _) = fitted(&data, TemplateConfig::default(), false);
    let row = scored(model.as_mut(), &data, &net, 2000);
    assert_eq!(row.get(col::MEMORISING), Some("true"), "{row:?}");
    let c_t: f64 = row.get(col::MEM_CT).unwrap().parse().unwrap();
    assert!(c_t < -5.0, "copies: C_T {c_t}");
    assert_eq!(row.get(col::MEM_CLOSER), Some("1"));
    assert_eq!(
        row.get(col::MEM_N),
        Some(format!("2000/{}/{} k=7/7", data.test.len(), data.train.len()).as_str())
    );

    // Held-out images as samples, scored against the other half of the test set ...
    let mut other_half = HeldOut {
        test: data.test.clone(),
        from: half,
    };
    let row = scored(&mut other_half, &data, &net, half);
    assert_eq!(row.get(col::MEMORISING), Some("false"), "{row:?}");
    // ... and against themselves (the evaluator's held-out side is test.head(n)).
    let mut same = HeldOut {
        test: data.test.clone(),
        from: 0,
    };
    let row = scored(&mut same, &data, &net, half);
    assert_eq!(row.get(col::MEMORISING), Some("false"), "{row:?}");
}

#[test]
fn points_without_jitter_are_flagged_fresh_draws_are_not() {
    let data = load("8gaussians", Some(2000));
    let (mut model, _) = fitted(&data, TemplateConfig::default(), false);
    let train = FeatureSet::from_f32(&data.train.x, 2);
    let held = FeatureSet::from_f32(&data.test.head(1000).x, 2);
    let opts = MemorisationOptions::for_held_out(held.rows, 0);
    let copies = model.sample(1000, None, 1).unwrap();
    let m = memorisation(&train, &held, &FeatureSet::from_f32(&copies.x, 2), &opts);
    assert!(m.flagged, "copies: C_T {}", m.c_t);
    let fresh = FeatureSet::from_f32(&data.test.x[2000..4000], 2);
    let m = memorisation(&train, &held, &fresh, &opts);
    assert!(!m.flagged, "fresh draws: C_T {} z {}", m.c_t, m.z);
}

#[test]
fn the_kde_integrates_to_one_over_a_2d_grid() {
    let data = load("8gaussians", Some(300));
    let (mut model, h) = fitted(&data, TemplateConfig::default(), false);
    assert!(h > 0.0);
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for i in 0..data.train.len() {
        for d in 0..2 {
            let v = data.train.row(i)[d] as f64;
            lo[d] = lo[d].min(v - 8.0 * h);
            hi[d] = hi[d].max(v + 8.0 * h);
        }
    }
    // Midpoint rule with cells of h/4: far finer than the kernels.
    let step = h / 4.0;
    let (nx, ny) = (
        ((hi[0] - lo[0]) / step).ceil() as usize,
        ((hi[1] - lo[1]) / step).ceil() as usize,
    );
    let mut total = 0.0;
    for row in 0..ny {
        let y = lo[1] + (row as f64 + 0.5) * step;
        let points: Vec<f32> = (0..nx)
            .flat_map(|col| [(lo[0] + (col as f64 + 0.5) * step) as f32, y as f32])
            .collect();
        let ll = model
            .log_likelihood(&Batch::new(points, Vec::new(), 2), 0)
            .unwrap();
        assert_eq!(ll.kind.to_string(), "kde");
        total += ll.log_px_nats.iter().map(|v| v.exp()).sum::<f64>() * step * step;
    }
    assert!((total - 1.0).abs() < 1e-3, "∫ p = {total} (h = {h})");
}

#[test]
fn the_bandwidth_is_chosen_on_validation() {
    let data = load("two-moons", Some(1000));
    let config = TemplateConfig {
        bandwidths: vec![1e-4, 0.1, 10.0],
        ..TemplateConfig::default()
    };
    let (_, h) = fitted(&data, config, false);
    assert_eq!(
        h, 0.1,
        "too narrow and too wide both lose on held-out points"
    );
}

#[test]
fn a_shift_of_at_most_one_pixel_gives_shifted_training_images() {
    let data = load("digits", None);
    let config = TemplateConfig {
        max_shift: 1,
        ..TemplateConfig::default()
    };
    let (mut model, _) = fitted(&data, config, false);
    let samples = model.sample(40, None, 5).unwrap();
    let shape = data.spec.image_shape();
    let mut shifted = HashSet::new();
    for i in 0..data.train.len() {
        for dx in -1..=1 {
            for dy in -1..=1 {
                let img = deform::translate(data.train.row(i), shape, dx, dy);
                shifted.insert(img.iter().map(|v| v.to_bits()).collect::<Vec<u32>>());
            }
        }
    }
    assert!(rows(&samples).is_subset(&shifted));
    assert!(
        !rows(&samples).is_subset(&rows(&data.train)),
        "some samples moved"
    );
}

#[test]
fn a_conditional_model_draws_from_the_class_and_saves_what_it_draws() {
    let data = load("digits", None);
    let (mut model, _) = fitted(&data, TemplateConfig::default(), true);
    assert!(model.is_conditional());
    let labels = labels::cycled(30, 10);
    let samples = model.sample(30, Some(&labels), 9).unwrap();
    let by_image: std::collections::HashMap<Vec<u32>, usize> = (0..data.train.len())
        .map(|i| {
            (
                data.train.row(i).iter().map(|v| v.to_bits()).collect(),
                data.train.labels[i],
            )
        })
        .collect();
    for (i, label) in labels.iter().enumerate() {
        let key: Vec<u32> = samples.row(i).iter().map(|v| v.to_bits()).collect();
        assert_eq!(
            by_image.get(&key),
            Some(label),
            "sample {i} is a training image of its class"
        );
    }
    let ll = model.log_likelihood(&data.test.head(50), 0).unwrap();
    assert!(ll.mean_nll_nats().unwrap().is_finite());

    let dir = tempfile::tempdir().unwrap();
    model.save(dir.path()).unwrap();
    let mut restored = Template::build(TemplateConfig::default(), &ctx(&data, true)).unwrap();
    restored.load(dir.path()).unwrap();
    assert_eq!(restored.sample(30, Some(&labels), 9).unwrap(), samples);
    assert_eq!(restored.log_likelihood(&data.test.head(50), 0).unwrap(), ll);
}

#[test]
fn deformations_that_do_not_fit_the_data_are_refused() {
    let points = load("two-moons", Some(100));
    let bad = TemplateConfig {
        max_shift: 2,
        ..TemplateConfig::default()
    };
    let err = Template::build(bad, &ctx(&points, false)).err().unwrap();
    assert!(format!("{err:#}").contains("jitter"), "{err:#}");
}

//! The mixture recovers what it should: the likelihood of a known mixture, and the eight
//! modes of 8gaussians, through the same training loop every family uses.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::seed::Rng;
use genbench_core::{Batch, BuildContext, DataSpec, Family, TrainPlan, testing, train};
use genbench_gmm::{Covariance, Gmm, GmmConfig, Mixture};
use nalgebra::{DMatrix, DVector};

fn spec(name: &str) -> DataSpec {
    DataSpec {
        name: name.into(),
        shape: vec![2],
        levels: None,
        num_classes: 0,
    }
}

fn ctx(spec: DataSpec, seed: u64) -> BuildContext {
    testing::context(spec, seed).with_learning_rate(1.0)
}

fn plan(steps: u64, dir: &std::path::Path) -> TrainPlan {
    TrainPlan {
        label: "gmm".into(),
        ..TrainPlan::steps(steps, usize::MAX, dir)
    }
}

/// A 3-component 2-D mixture with correlated covariances, written out by hand.
fn truth() -> Mixture {
    let comp = |w: f64, m: [f64; 2], l: [f64; 3]| {
        let chol = DMatrix::from_row_slice(2, 2, &[l[0], 0.0, l[1], l[2]]);
        genbench_gmm::mixture_component(w, DVector::from_row_slice(&m), chol)
    };
    Mixture {
        components: vec![
            comp(0.5, [0.0, 0.0], [1.0, 0.5, 0.6]),
            comp(0.3, [4.0, 1.0], [0.5, -0.2, 0.3]),
            comp(0.2, [-2.0, 4.0], [0.8, 0.0, 0.4]),
        ],
        covariance: Covariance::Full,
        variance_floor: 1e-6,
    }
}

fn draw(m: &Mixture, n: usize, seed: u64) -> Batch {
    let mut rng = Rng::new(seed);
    let x = (0..n)
        .flat_map(|_| {
            m.sample(&mut rng)
                .iter()
                .map(|&v| v as f32)
                .collect::<Vec<_>>()
        })
        .collect();
    Batch::new(x, vec![], 2)
}

#[test]
fn test_likelihood_is_within_002_nats_of_the_true_mixture() {
    let truth = truth();
    let (train_set, test_set) = (draw(&truth, 20_000, 1), draw(&truth, 20_000, 2));
    let config = GmmConfig {
        components: 3,
        covariance: Covariance::Full,
        variance_floor: 1e-6,
        restarts: 3,
    };
    let mut model = Gmm::build(config, &ctx(spec("known"), 0)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    train(
        model.as_mut(),
        &train_set,
        &plan(200, dir.path()),
        &mut |_, _, _| Ok(()),
    )
    .unwrap();
    let fitted = model.log_likelihood(&test_set, 0).unwrap();
    let fitted = -fitted.mean_nll_nats().unwrap();
    let exact: f64 = (0..test_set.len())
        .map(|i| {
            truth.log_prob(&DVector::from_iterator(
                2,
                test_set.row(i).iter().map(|&v| v as f64),
            ))
        })
        .sum::<f64>()
        / test_set.len() as f64;
    assert!(
        (fitted - exact).abs() < 0.02,
        "fitted {fitted} vs true {exact} nats/sample"
    );
}

#[test]
fn finds_all_eight_modes_of_8gaussians() {
    let data = genbench_dataset::load(&genbench_dataset::DataConfig::new("8gaussians")).unwrap();
    let (modes, sigma) = data.density.as_ref().unwrap().modes().unwrap();
    let config = GmmConfig {
        components: 8,
        ..GmmConfig::default()
    };
    let mut model = Gmm::build(config, &ctx(data.spec.clone(), 3)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    train(
        model.as_mut(),
        &data.train,
        &plan(60, dir.path()),
        &mut |_, _, _| Ok(()),
    )
    .unwrap();
    let samples = model.sample(4000, None, 9).unwrap();
    for (m, mode) in modes.iter().enumerate() {
        let near = (0..samples.len())
            .filter(|&i| {
                let p = samples.row(i);
                ((p[0] as f64 - mode[0]).powi(2) + (p[1] as f64 - mode[1]).powi(2)).sqrt()
                    < 3.0 * sigma
            })
            .count();
        assert!(
            near > 4000 / 8 / 2,
            "mode {m} at {mode:?} has only {near} of 4000 samples within 3 sigma"
        );
    }
}

#[test]
fn em_never_lowers_the_training_likelihood() {
    let truth = truth();
    let points: Vec<DVector<f64>> = (0..2000).map(|i| truth.sample(&mut Rng::new(i))).collect();
    let xs = DMatrix::from_fn(points.len(), 2, |i, j| points[i][j]);
    let mut rng = Rng::new(5);
    let mut m = Mixture::kmeans_plus_plus(&xs, 3, Covariance::Full, 1e-6, &mut rng);
    let mut last = f64::NEG_INFINITY;
    for _ in 0..30 {
        let ll = m.em_step(&xs, &mut rng);
        assert!(
            ll >= last - 1e-9,
            "EM lowered the likelihood: {last} -> {ll}"
        );
        last = ll;
    }
}

#[test]
fn save_then_load_gives_the_same_likelihood() {
    let truth = truth();
    let data = draw(&truth, 3000, 4);
    let mut a = Gmm::build(
        GmmConfig {
            components: 3,
            ..GmmConfig::default()
        },
        &ctx(spec("known"), 1),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    train(a.as_mut(), &data, &plan(10, dir.path()), &mut |_, _, _| {
        Ok(())
    })
    .unwrap();
    a.save(dir.path()).unwrap();
    let mut b = Gmm::build(
        GmmConfig {
            components: 3,
            ..GmmConfig::default()
        },
        &ctx(spec("known"), 2),
    )
    .unwrap();
    b.load(dir.path()).unwrap();
    assert_eq!(
        a.log_likelihood(&data, 0).unwrap(),
        b.log_likelihood(&data, 0).unwrap()
    );
}

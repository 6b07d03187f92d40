//! The data-copying test against hand computations, and its two reference behaviours: copies
//! are flagged, held-out data is not.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::seed::Rng;
use genbench_eval::memorisation::{closer_share, mann_whitney_z};
use genbench_eval::{FeatureSet, MemorisationOptions, memorisation};

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() < tol, "{a} vs {b}");
}

#[test]
fn mann_whitney_z_by_hand() {
    // Samples {1, 2} all below held-out {3, 4}: U = 0, m = n = 2,
    // Z = (0 − 2 + ½) / sqrt(2·2·5/12) = −1.5 / 1.290994.
    close(mann_whitney_z(&[1.0, 2.0], &[3.0, 4.0]), -1.161895, 1e-6);
    // {1, 3} against {1, 2}: pairs (1,1) ½, (1,2) 0, (3,1) 1, (3,2) 1 -> U = 2.5,
    // Z = (2.5 − 2 + ½) / 1.290994.
    close(mann_whitney_z(&[1.0, 3.0], &[1.0, 2.0]), 0.774597, 1e-6);
}

#[test]
fn closer_share_by_hand() {
    // Held-out median of {0.5, 0.2, 0.3} is 0.3; samples {0.1, 0.1, 0.5, 0} -> 3 of 4 below.
    close(
        closer_share(&[0.1, 0.1, 0.5, 0.0], &[0.5, 0.2, 0.3]),
        0.75,
        1e-12,
    );
    // Even count: median of {1, 2, 3, 4} is 2.5.
    close(closer_share(&[2.4, 2.6], &[1.0, 2.0, 3.0, 4.0]), 0.5, 1e-12);
}

#[test]
fn c_t_by_hand_on_two_cells() {
    // 1-D. Training set {0, 1, 10, 11}: k-means with k = 2 gives cells {0, 1} and {10, 11}.
    let train = FeatureSet::new(vec![0.0, 1.0, 10.0, 11.0], 1);
    // Held-out: 0.5 (L 0.5) in cell A; 10.2 (L 0.2), 10.7 (L 0.3) in cell B.
    let held = FeatureSet::new(vec![0.5, 10.2, 10.7], 1);
    // Samples: 0.1, 0.9 (L 0.1 each) in A; 10.5 (L 0.5), 11 (L 0) in B.
    let samples = FeatureSet::new(vec![0.1, 0.9, 10.5, 11.0], 1);
    let opts = MemorisationOptions {
        cells: 2,
        min_cell_samples: 1,
        seed: 0,
    };
    let m = memorisation(&train, &held, &samples, &opts);
    // Cell A: U = 0, m = 2, n = 1: Z = (0 − 1 + ½)/sqrt(2·1·4/12) = −0.612372.
    // Cell B: U = 2, m = n = 2:      Z = (2 − 2 + ½)/sqrt(4·5/12)   =  0.387298.
    // Weights P_n = 1/3, 2/3: C_T = −0.204124 + 0.258199 = 0.054075;
    // z = C_T / sqrt(1/9 + 4/9) = 0.054075 / 0.745356 = 0.072549.
    close(m.c_t, 0.054075, 1e-5);
    close(m.z, 0.072549, 1e-5);
    close(m.closer_share, 0.75, 1e-12);
    assert!(!m.flagged);
    assert_eq!(
        (m.samples, m.held_out, m.train, m.cells, m.cells_used),
        (4, 3, 4, 2, 2)
    );
    assert_eq!(m.counts(), "4/3/4 k=2/2");
    // τ: with at least 3 samples per cell neither cell is used, and there is no statistic.
    let none = memorisation(
        &train,
        &held,
        &samples,
        &MemorisationOptions {
            min_cell_samples: 3,
            ..opts
        },
    );
    assert_eq!(none.cells_used, 0);
    assert!(none.c_t.is_nan() && !none.flagged);
}

fn gaussian_cloud(n: usize, dim: usize, rng: &mut Rng) -> FeatureSet {
    FeatureSet::new((0..n * dim).map(|_| rng.normal()).collect(), dim)
}

#[test]
fn copies_are_flagged_and_held_out_data_is_not() {
    let mut rng = Rng::new(7);
    let train = gaussian_cloud(1500, 4, &mut rng);
    let held = gaussian_cloud(400, 4, &mut rng);
    let opts = MemorisationOptions::for_held_out(held.rows, 0);
    assert_eq!(opts.cells, 8);

    let copies = train.select(&(0..1000).collect::<Vec<_>>());
    let m = memorisation(&train, &held, &copies, &opts);
    assert!(
        m.flagged && m.c_t < -10.0,
        "copies: C_T {} z {}",
        m.c_t,
        m.z
    );
    assert_eq!(m.closer_share, 1.0);

    let fresh = gaussian_cloud(1000, 4, &mut rng);
    let m = memorisation(&train, &held, &fresh, &opts);
    assert!(
        !m.flagged && m.z.abs() < 3.0,
        "held-out-like: C_T {} z {}",
        m.c_t,
        m.z
    );
    assert!((m.closer_share - 0.5).abs() < 0.1, "{}", m.closer_share);

    // Samples spread wider than the data sit farther from it: C_T > 0, not flagged.
    let wide = FeatureSet::new(fresh.values.iter().map(|v| 3.0 * v).collect(), 4);
    let m = memorisation(&train, &held, &wide, &opts);
    assert!(!m.flagged && m.c_t > 3.0, "underfit: C_T {}", m.c_t);
}

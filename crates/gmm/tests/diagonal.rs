//! Diagonal covariances take an O(n K D) path: its log-densities are the dense path's bit for
//! bit and the closed form's, and one EM step's M-step gives the responsibility-weighted means
//! and variances (plus the floor) computed by hand.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::seed::Rng;
use genbench_gmm::{Covariance, Mixture, mixture_component};
use nalgebra::{DMatrix, DVector};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// Three components in D = 5 with unequal diagonal scales, and 40 points around them.
fn fixture() -> (Mixture, DMatrix<f64>) {
    let mut rng = Rng::new(11);
    let (k, d, n) = (3, 5, 40);
    let components = (0..k)
        .map(|c| {
            let mean = DVector::from_fn(d, |j, _| c as f64 * 1.5 - j as f64 * 0.3);
            let sd = DVector::from_fn(d, |j, _| 0.4 + 0.25 * ((c + j) % 4) as f64);
            mixture_component([0.5, 0.3, 0.2][c], mean, DMatrix::from_diagonal(&sd))
        })
        .collect();
    let mixture = Mixture {
        components,
        covariance: Covariance::Diagonal,
        variance_floor: 1e-3,
    };
    let xs = DMatrix::from_fn(n, d, |i, j| {
        (i % 3) as f64 * 1.5 + rng.normal() - j as f64 * 0.3
    });
    (mixture, xs)
}

#[test]
fn diagonal_log_densities_equal_the_dense_path_and_the_closed_form() {
    let (diag, xs) = fixture();
    let dense = Mixture {
        covariance: Covariance::Full,
        ..diag.clone()
    };
    let fast = diag.joint_log_probs(&xs);
    assert_eq!(fast, dense.joint_log_probs(&xs), "bit for bit");
    for i in 0..xs.nrows() {
        for (k, c) in diag.components.iter().enumerate() {
            // log w + Σ_j log N(x_j; μ_j, σ_j²), written out.
            let by_hand: f64 = c.weight.ln()
                + (0..xs.ncols())
                    .map(|j| {
                        let sd = c.chol[(j, j)];
                        let z = (xs[(i, j)] - c.mean[j]) / sd;
                        -0.5 * (LN_2PI + z * z) - sd.ln()
                    })
                    .sum::<f64>();
            let got = fast[(i, k)];
            assert!(
                (got - by_hand).abs() < 1e-12 * by_hand.abs().max(1.0),
                "{got} vs {by_hand}"
            );
        }
    }
}

#[test]
fn one_diagonal_em_step_gives_weighted_means_and_variances() {
    let (mut mixture, xs) = fixture();
    let (n, d) = xs.shape();
    // Responsibilities by hand from the log-densities before the step.
    let joint = mixture.joint_log_probs(&xs);
    let resp: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            let row: Vec<f64> = (0..3).map(|k| joint[(i, k)]).collect();
            let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let z: f64 = row.iter().map(|v| (v - m).exp()).sum();
            row.iter().map(|v| (v - m).exp() / z).collect()
        })
        .collect();
    mixture.em_step(&xs, &mut Rng::new(0));
    for (k, c) in mixture.components.iter().enumerate() {
        let nk: f64 = resp.iter().map(|r| r[k]).sum();
        assert!((c.weight - nk / n as f64).abs() < 1e-12);
        for j in 0..d {
            let mean: f64 = (0..n).map(|i| resp[i][k] * xs[(i, j)]).sum::<f64>() / nk;
            let var: f64 = (0..n)
                .map(|i| resp[i][k] * (xs[(i, j)] - mean).powi(2))
                .sum::<f64>()
                / nk
                + 1e-3;
            assert!((c.mean[j] - mean).abs() < 1e-10, "mean {k},{j}");
            assert!((c.chol[(j, j)] - var.sqrt()).abs() < 1e-10, "sd {k},{j}");
            for i in 0..d {
                if i != j {
                    assert_eq!(c.chol[(i, j)], 0.0, "a diagonal factor stays diagonal");
                }
            }
        }
        let log_det: f64 = (0..d).map(|j| 2.0 * c.chol[(j, j)].ln()).sum();
        assert!((c.log_det - log_det).abs() < 1e-12);
    }
}

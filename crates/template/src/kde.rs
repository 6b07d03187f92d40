//! The Gaussian kernel density estimate (Rosenblatt 1956, Parzen 1962) over N centres c_i in D
//! dimensions with bandwidth h:
//!
//! ```text
//! log p_h(v) = logsumexp_i( −|v − c_i|² / (2h²) ) − log N − (D/2) log(2π h²)
//! ```
//!
//! Centres are row-major `[N, D]` slices of f64; every function takes the squared distances
//! once and evaluates them at as many bandwidths as asked, so choosing h on a grid costs one
//! distance pass.

use rayon::prelude::*;
use std::f64::consts::PI;

/// Squared Euclidean distance from `x` (`D` values) to every centre (`[N, D]`): `[N]`.
pub fn sq_distances(x: &[f64], centres: &[f64]) -> Vec<f64> {
    let dim = x.len();
    centres
        .chunks_exact(dim)
        .map(|c| c.iter().zip(x).map(|(a, b)| (a - b) * (a - b)).sum())
        .collect()
}

/// Kernels more than this many nats below the nearest one are left out of the sum: each adds
/// less than e^−46 ≈ 1e−20 of the nearest kernel's mass, below f64 resolution even summed over
/// 10⁴ centres, and skipping their `exp` is what makes small bandwidths cheap.
const NEGLIGIBLE_NATS: f64 = 46.0;

/// log p_h(v) from the squared distances of v to every centre, in `dim` dimensions.
pub fn log_density(sq_dists: &[f64], dim: usize, h: f64) -> f64 {
    assert!(!sq_dists.is_empty(), "a KDE needs at least one centre");
    let scale = -0.5 / (h * h);
    let nearest = sq_dists.iter().copied().fold(f64::INFINITY, f64::min);
    let top = nearest * scale;
    let cutoff = nearest + NEGLIGIBLE_NATS * 2.0 * h * h;
    let sum: f64 = sq_dists
        .iter()
        .filter(|&&d| d <= cutoff)
        .map(|d| (d * scale - top).exp())
        .sum();
    top + sum.ln() - (sq_dists.len() as f64).ln() - 0.5 * dim as f64 * (2.0 * PI * h * h).ln()
}

/// log p_h of every row of `points` (`[M, D]`), one bandwidth: `[M]`.
pub fn log_densities(points: &[f64], centres: &[f64], dim: usize, h: f64) -> Vec<f64> {
    points
        .par_chunks_exact(dim)
        .map(|x| log_density(&sq_distances(x, centres), dim, h))
        .collect()
}

/// Σ_rows log p_h(row) for each h of `grid`: `[grid.len()]`.
pub fn summed_log_density_per_bandwidth(
    points: &[f64],
    centres: &[f64],
    dim: usize,
    grid: &[f64],
) -> Vec<f64> {
    points
        .par_chunks_exact(dim)
        .map(|x| {
            let d = sq_distances(x, centres);
            grid.iter()
                .map(|&h| log_density(&d, dim, h))
                .collect::<Vec<_>>()
        })
        .reduce(
            || vec![0.0; grid.len()],
            |a, b| a.iter().zip(&b).map(|(x, y)| x + y).collect(),
        )
}

/// The default grid h = s · 2^(j/2), j = −12, …, 3 (s/64 to 2.8 s), where s² is the mean
/// per-coordinate variance of `points` (`[N, D]`).
pub fn default_grid(points: &[f64], dim: usize) -> Vec<f64> {
    let n = (points.len() / dim) as f64;
    let mut var = 0.0;
    for d in 0..dim {
        let column = points.iter().skip(d).step_by(dim);
        let mean = column.clone().sum::<f64>() / n;
        var += column.map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    }
    let s = (var / dim as f64).sqrt().max(1e-6);
    (-12..=3).map(|j| s * 2f64.powf(j as f64 / 2.0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_centre_is_a_gaussian() {
        // N((1, 2); (0, 0), 0.5² I) by hand: −(1 + 4)/(2·0.25) − log(2π·0.25) = −10 − 0.4516.
        let lp = log_density(&sq_distances(&[1.0, 2.0], &[0.0, 0.0]), 2, 0.5);
        assert!(
            (lp - (-10.0 - (2.0 * PI * 0.25).ln())).abs() < 1e-12,
            "{lp}"
        );
    }

    #[test]
    fn two_centres_average_their_kernels() {
        // 1-D, centres 0 and 3, h = 1, at v = 1: ½ (φ(1) + φ(2)).
        let phi = |z: f64| (-0.5 * z * z).exp() / (2.0 * PI).sqrt();
        let want = (0.5 * (phi(1.0) + phi(2.0))).ln();
        let got = log_density(&sq_distances(&[1.0], &[0.0, 3.0]), 1, 1.0);
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        // Far from both centres the log-sum-exp must not underflow to −∞.
        assert!(log_density(&sq_distances(&[1e3], &[0.0, 3.0]), 1, 0.01).is_finite());
    }

    #[test]
    fn leaving_out_negligible_kernels_changes_nothing() {
        // Centres at 0 and 10, h = 1, v = 0: the far kernel is e^−50 of the near one.
        let d = sq_distances(&[0.0], &[0.0, 10.0]);
        let exact = ((1.0 + (-50.0f64).exp()) / 2.0).ln() - 0.5 * (2.0 * PI).ln();
        assert!((log_density(&d, 1, 1.0) - exact).abs() < 1e-15);
    }

    #[test]
    fn the_grid_sum_matches_one_bandwidth_at_a_time() {
        let centres = [0.0, 0.0, 1.0, 1.0, -1.0, 2.0];
        let points = [0.5, 0.5, 3.0, -1.0];
        let grid = [0.1, 1.0];
        let sums = summed_log_density_per_bandwidth(&points, &centres, 2, &grid);
        for (h, s) in grid.iter().zip(sums) {
            let each: f64 = log_densities(&points, &centres, 2, *h).iter().sum();
            assert!((s - each).abs() < 1e-12);
        }
    }
}

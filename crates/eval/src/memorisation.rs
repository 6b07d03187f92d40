//! Memorisation: are a model's samples closer to its training set than held-out data is?
//!
//! For a point x let L(x) = min_t |x − t| be its distance to the nearest training example. A
//! model that copies its training data has L(sample) ≪ L(held-out example); one that
//! generalises has the two distributions equal. This is Meehan, Chaudhuri & Dasgupta's (2020)
//! three-sample test of data copying, on `m` samples Q, `n` held-out examples P and `l`
//! training examples T:
//!
//! ```text
//! U    = Σ_{q ∈ Q} Σ_{p ∈ P} ( [L(q) > L(p)] + ½ [L(q) = L(p)] )      (Mann–Whitney)
//! Z_U  = (U − m n / 2 + ½) / sqrt(m n (m + n + 1) / 12)                 (½: the authors' continuity correction)
//! C_T  = Σ_{π ∈ Π_τ} P_n(π) Z_U(π) / Σ_{π ∈ Π_τ} P_n(π)
//! ```
//!
//! The space is cut into cells π by k-means on T; Z_U(π) compares the samples and held-out
//! examples in π, with L measured to the training examples in π (as in the authors' code);
//! P_n(π) is the share of held-out examples in π; Π_τ keeps the cells holding at least
//! `min_cell_samples` samples and one held-out example. C_T ≈ 0 for held-out-like samples,
//! ≪ 0 for data copying, ≫ 0 for samples farther from the data than held-out data (underfitting).
//!
//! Significance: under H0 (samples distributed like held-out data) the cells' Z_U are
//! independent standard normals, so C_T has standard deviation sqrt(Σ w_π²) with
//! w_π = P_n(π) / Σ_{Π_τ} P_n. A run is flagged as memorising when z = C_T / sqrt(Σ w_π²) lies
//! below Φ⁻¹(α), one-sided α = [`FLAG_ALPHA`].
//!
//! Beside it, the plainer reading: the share of samples closer to the training set than the
//! median held-out example is (½ for held-out-like samples, 1 for copies).

use crate::featureset::FeatureSet;
use crate::knn::scan_rows;
use genbench_core::seed::Rng;
use statrs::distribution::{ContinuousCDF, Normal};

/// One-sided level of the memorisation flag.
pub const FLAG_ALPHA: f64 = 0.01;

/// Knobs of the test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemorisationOptions {
    /// k of the k-means partition of the training set.
    pub cells: usize,
    /// A cell enters C_T only with at least this many samples (Meehan et al.'s τ, as a count).
    pub min_cell_samples: usize,
    /// Seed of the k-means++ initialisation.
    pub seed: u64,
}

impl MemorisationOptions {
    /// genbench's defaults for `held_out` examples: one cell per 50 held-out examples (1 to 20),
    /// τ = 20 samples per cell.
    pub fn for_held_out(held_out: usize, seed: u64) -> Self {
        Self {
            cells: (held_out / 50).clamp(1, 20),
            min_cell_samples: 20,
            seed,
        }
    }
}

/// The outcome of the test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Memorisation {
    /// Meehan et al.'s C_T.
    pub c_t: f64,
    /// C_T over its standard deviation under H0.
    pub z: f64,
    /// Share of samples with L(q) below the median L(p) of the held-out examples.
    pub closer_share: f64,
    /// Whether z < Φ⁻¹(FLAG_ALPHA): the samples are significantly closer to the training set
    /// than held-out data is.
    pub flagged: bool,
    /// m: generated samples tested.
    pub samples: usize,
    /// n: held-out (test) examples.
    pub held_out: usize,
    /// l: training examples.
    pub train: usize,
    /// Cells of the partition.
    pub cells: usize,
    /// Cells in Π_τ, those the score averages over.
    pub cells_used: usize,
}

impl Memorisation {
    /// The sample counts as one cell of a table: `m/n/l k=used/cells`.
    pub fn counts(&self) -> String {
        format!(
            "{}/{}/{} k={}/{}",
            self.samples, self.held_out, self.train, self.cells_used, self.cells
        )
    }
}

/// Z_U of `samples` against `held_out` (the L values of each), as defined in the module docs.
pub fn mann_whitney_z(samples: &[f64], held_out: &[f64]) -> f64 {
    let (m, n) = (samples.len() as f64, held_out.len() as f64);
    let mut sorted = held_out.to_vec();
    sorted.sort_by(f64::total_cmp);
    let u: f64 = samples
        .iter()
        .map(|q| {
            let below = sorted.partition_point(|p| p.total_cmp(q).is_lt());
            let not_above = sorted.partition_point(|p| p.total_cmp(q).is_le());
            below as f64 + 0.5 * (not_above - below) as f64
        })
        .sum();
    (u - m * n / 2.0 + 0.5) / (m * n * (m + n + 1.0) / 12.0).sqrt()
}

/// The three-sample test of `samples` against `held_out`, distances to `train` (all in one
/// feature space).
pub fn memorisation(
    train: &FeatureSet,
    held_out: &FeatureSet,
    samples: &FeatureSet,
    opts: &MemorisationOptions,
) -> Memorisation {
    assert!(
        train.dim == held_out.dim && train.dim == samples.dim,
        "memorisation of {}-d samples, {}-d held-out and {}-d training features",
        samples.dim,
        held_out.dim,
        train.dim
    );
    assert!(train.rows > 0 && held_out.rows > 0 && samples.rows > 0);
    let centroids = kmeans(train, opts.cells.clamp(1, train.rows), opts.seed);
    let k = centroids.rows;
    let train_cell = assign(train, &centroids);
    let (held_cell, held_l, held_global) = distances(held_out, &centroids, train, &train_cell);
    let (sample_cell, sample_l, sample_global) = distances(samples, &centroids, train, &train_cell);

    let n = held_out.rows as f64;
    let (mut weighted, mut weights, mut squares, mut used) = (0.0, 0.0, 0.0, 0);
    for cell in 0..k {
        let pick = |cells: &[usize], l: &[f64]| -> Vec<f64> {
            cells
                .iter()
                .zip(l)
                .filter(|(c, _)| **c == cell)
                .map(|(_, v)| *v)
                .collect()
        };
        let (q, p) = (pick(&sample_cell, &sample_l), pick(&held_cell, &held_l));
        if p.is_empty() || q.len() < opts.min_cell_samples.max(1) {
            continue;
        }
        let w = p.len() as f64 / n;
        weighted += w * mann_whitney_z(&q, &p);
        weights += w;
        squares += w * w;
        used += 1;
    }
    let (c_t, z) = if used == 0 {
        (f64::NAN, f64::NAN)
    } else {
        (weighted / weights, weighted / squares.sqrt())
    };
    let threshold = Normal::standard().inverse_cdf(FLAG_ALPHA);
    Memorisation {
        c_t,
        z,
        closer_share: closer_share(&sample_global, &held_global),
        flagged: z < threshold,
        samples: samples.rows,
        held_out: held_out.rows,
        train: train.rows,
        cells: k,
        cells_used: used,
    }
}

/// Share of `samples` strictly below the median of `held_out`.
pub fn closer_share(samples: &[f64], held_out: &[f64]) -> f64 {
    let mut sorted = held_out.to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = crate::stats::median_of_sorted(&sorted);
    samples.iter().filter(|&&v| v < median).count() as f64 / samples.len() as f64
}

/// For each row of `x`: its cell (nearest centroid), its distance to the nearest training
/// example of that cell, and to the nearest training example overall. A non-finite row is at
/// distance +∞ (never evidence of copying).
fn distances(
    x: &FeatureSet,
    centroids: &FeatureSet,
    train: &FeatureSet,
    train_cell: &[usize],
) -> (Vec<usize>, Vec<f64>, Vec<f64>) {
    let cells = assign(x, centroids);
    let nearest = scan_rows(
        x,
        train,
        (f64::INFINITY, f64::INFINITY),
        |(in_cell, global), i, j0, d2| {
            for (j, &d) in (j0..).zip(d2) {
                if d.is_nan() {
                    continue;
                }
                *global = global.min(d);
                if train_cell[j] == cells[i] {
                    *in_cell = in_cell.min(d);
                }
            }
        },
    );
    let (in_cell, global) = nearest
        .into_iter()
        .map(|(a, b)| (a.sqrt(), b.sqrt()))
        .unzip();
    (cells, in_cell, global)
}

/// Index of the nearest centroid of each row (0 for a non-finite row).
fn assign(x: &FeatureSet, centroids: &FeatureSet) -> Vec<usize> {
    scan_rows(x, centroids, (f64::INFINITY, 0usize), |best, _, j0, d2| {
        for (j, &d) in (j0..).zip(d2) {
            if d < best.0 {
                *best = (d, j);
            }
        }
    })
    .into_iter()
    .map(|(_, j)| j)
    .collect()
}

/// k-means (Lloyd's iterations from a k-means++ start, until no assignment changes or 100
/// rounds) on at most 5,000 evenly strided rows of `x`; the centroids, `[k', dim]` with
/// k' ≤ k distinct ones.
pub fn kmeans(x: &FeatureSet, k: usize, seed: u64) -> FeatureSet {
    let stride = x.rows.div_ceil(5000).max(1);
    let fit = x.select(&(0..x.rows).step_by(stride).collect::<Vec<_>>());
    let mut rng = Rng::new(seed);
    let mut chosen = vec![rng.below(fit.rows)];
    let sq = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(u, v)| (u - v) * (u - v)).sum::<f64>();
    while chosen.len() < k {
        let d2: Vec<f64> = (0..fit.rows)
            .map(|i| {
                chosen
                    .iter()
                    .map(|&c| sq(fit.row(i), fit.row(c)))
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        if d2.iter().sum::<f64>() <= 0.0 {
            break; // fewer distinct points than k
        }
        chosen.push(rng.categorical(&d2));
    }
    let mut centroids = fit.select(&chosen);
    let mut cells = assign(&fit, &centroids);
    for _ in 0..100 {
        let mut sums = vec![0.0; centroids.rows * fit.dim];
        let mut counts = vec![0usize; centroids.rows];
        for (i, &c) in cells.iter().enumerate() {
            counts[c] += 1;
            for (s, v) in sums[c * fit.dim..(c + 1) * fit.dim]
                .iter_mut()
                .zip(fit.row(i))
            {
                *s += v;
            }
        }
        for c in 0..centroids.rows {
            if counts[c] > 0 {
                for d in 0..fit.dim {
                    centroids.values[c * fit.dim + d] = sums[c * fit.dim + d] / counts[c] as f64;
                }
            }
        }
        let next = assign(&fit, &centroids);
        if next == cells {
            break;
        }
        cells = next;
    }
    centroids
}

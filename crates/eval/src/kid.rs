//! Kernel Inception Distance: the unbiased MMD^2 with a cubic polynomial kernel, averaged
//! over random subsets (Bińkowski et al. 2018; torch-fidelity's `kid`).

use crate::featureset::FeatureSet;
use anyhow::ensure;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// torch-fidelity's default number of subsets.
pub const KID_SUBSETS: usize = 100;
/// torch-fidelity's default subset size (clamped to the smaller set).
pub const KID_SUBSET_SIZE: usize = 1000;

/// KID over `subsets` subset pairs of `subset_size` samples each.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Kid {
    /// Mean of the per-subset unbiased MMD^2.
    pub mean: f64,
    /// Population standard deviation (divisor `subsets`, like `numpy.std`) of the MMD^2 values.
    pub std: f64,
    /// Subset pairs drawn.
    pub subsets: usize,
    /// Samples per subset actually used: `min(requested, a.rows, b.rows)`.
    pub subset_size: usize,
}

/// KID between `a` and `b`: for each of `subsets` rounds draw `m` rows of `a` and `m` rows of
/// `b` without replacement (`m = min(subset_size, a.rows, b.rows)`) and take
/// [`mmd2_unbiased`] of the pair. Deterministic given `seed` (all draws are made up front from
/// one ChaCha8 stream, then the subsets are scored in parallel).
pub fn kid(
    a: &FeatureSet,
    b: &FeatureSet,
    subsets: usize,
    subset_size: usize,
    seed: u64,
) -> anyhow::Result<Kid> {
    ensure!(
        a.dim == b.dim,
        "KID of {}-d and {}-d features",
        a.dim,
        b.dim
    );
    ensure!(subsets >= 1, "KID needs at least one subset");
    let m = subset_size.min(a.rows).min(b.rows);
    ensure!(m >= 2, "KID needs subsets of at least 2 samples, got {m}");
    ensure!(
        a.is_finite() && b.is_finite(),
        "features contain non-finite values"
    );
    let draws = subset_indices(a.rows, b.rows, m, subsets, seed);
    let mmds: Vec<f64> = draws
        .par_iter()
        .map(|(ia, ib)| mmd2_unbiased(&a.select(ia), &b.select(ib)))
        .collect();
    let mean = mmds.iter().sum::<f64>() / subsets as f64;
    let var = mmds.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / subsets as f64;
    Ok(Kid {
        mean,
        std: var.sqrt(),
        subsets,
        subset_size: m,
    })
}

/// The index pairs `(rows of a, rows of b)` of each subset: `m` distinct indices below `na`
/// and `m` distinct indices below `nb`, drawn by a partial Fisher–Yates shuffle.
pub fn subset_indices(
    na: usize,
    nb: usize,
    m: usize,
    subsets: usize,
    seed: u64,
) -> Vec<(Vec<usize>, Vec<usize>)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..subsets)
        .map(|_| (choose(&mut rng, na, m), choose(&mut rng, nb, m)))
        .collect()
}

fn choose(rng: &mut ChaCha8Rng, n: usize, m: usize) -> Vec<usize> {
    let mut pool: Vec<usize> = (0..n).collect();
    for i in 0..m {
        let j = rng.random_range(i..n);
        pool.swap(i, j);
    }
    pool.truncate(m);
    pool
}

/// The cubic polynomial kernel `k(x, y) = (x.y / d + 1)^3`.
pub fn kernel(x: &[f64], y: &[f64]) -> f64 {
    let dot: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
    (dot / x.len() as f64 + 1.0).powi(3)
}

/// Unbiased MMD^2 of two sets of `m` samples each (torch-fidelity's `mmd2`):
///
/// ```text
/// MMD^2 = [sum_{i != j} k(x_i, x_j) + sum_{i != j} k(y_i, y_j)] / (m (m - 1))
///         - 2 sum_{i, j} k(x_i, y_j) / m^2
/// ```
///
/// The Gram matrices are computed as matrix products, `[m, d] x [d, m]`.
pub fn mmd2_unbiased(x: &FeatureSet, y: &FeatureSet) -> f64 {
    assert_eq!(x.rows, y.rows, "MMD^2 of subsets of different sizes");
    assert_eq!(x.dim, y.dim, "MMD^2 of features of different dimension");
    let m = x.rows as f64;
    let xx = kernel_sum(x, x, true);
    let yy = kernel_sum(y, y, true);
    let xy = kernel_sum(x, y, false);
    (xx + yy) / (m * (m - 1.0)) - 2.0 * xy / (m * m)
}

/// `sum_{i, j} k(x_i, y_j)`, leaving out `i == j` when `off_diagonal`.
fn kernel_sum(x: &FeatureSet, y: &FeatureSet, off_diagonal: bool) -> f64 {
    let dots = crate::knn::gram(x, 0..x.rows, y, 0..y.rows);
    let inv_d = 1.0 / x.dim as f64;
    let mut total = 0.0;
    for (i, row) in dots.chunks_exact(y.rows).enumerate() {
        let mut sum = 0.0;
        for (j, &dot) in row.iter().enumerate() {
            if !(off_diagonal && i == j) {
                sum += (dot * inv_d + 1.0).powi(3);
            }
        }
        total += sum;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_are_distinct_in_range_and_seeded() {
        let draws = subset_indices(50, 30, 20, 10, 7);
        assert_eq!(draws.len(), 10);
        for (ia, ib) in &draws {
            assert_eq!((ia.len(), ib.len()), (20, 20));
            let (mut sa, mut sb) = (ia.clone(), ib.clone());
            sa.sort();
            sa.dedup();
            sb.sort();
            sb.dedup();
            assert_eq!((sa.len(), sb.len()), (20, 20), "drawn with replacement");
            assert!(ia.iter().all(|&i| i < 50) && ib.iter().all(|&i| i < 30));
        }
        assert_ne!(draws[0], draws[1], "every subset is the same");
        assert_eq!(draws, subset_indices(50, 30, 20, 10, 7));
        assert_ne!(draws, subset_indices(50, 30, 20, 10, 8));
    }

    #[test]
    fn full_size_subsets_are_permutations() {
        for (ia, ib) in subset_indices(12, 12, 12, 5, 1) {
            let (mut sa, mut sb) = (ia, ib);
            sa.sort();
            sb.sort();
            assert_eq!(sa, (0..12).collect::<Vec<_>>());
            assert_eq!(sb, (0..12).collect::<Vec<_>>());
        }
    }

    /// Subsets of the whole sets are permutations, and MMD^2 does not depend on the order of
    /// samples: every subset gives the same value, so mean = MMD^2 of the full sets, std = 0.
    #[test]
    fn kid_of_whole_sets_equals_their_mmd() {
        let x = FeatureSet::new((0..40).map(|i| (i as f64 * 0.37).sin()).collect(), 4);
        let y = FeatureSet::new((0..40).map(|i| (i as f64 * 0.53).cos() + 0.2).collect(), 4);
        let full = mmd2_unbiased(&x, &y);
        let k = kid(&x, &y, 6, 1000, 3).unwrap();
        assert_eq!((k.subsets, k.subset_size), (6, 10));
        assert!(
            (k.mean - full).abs() < 1e-12 * full.abs().max(1.0),
            "{} vs {full}",
            k.mean
        );
        assert!(k.std < 1e-12, "{}", k.std);
    }

    /// Hand-computed MMD^2 of x = {(0), (1)} and y = {(1), (2)} in 1-D (d = 1, k = (xy + 1)^3):
    /// k_xx(0,1) = 1, so sum_{i != j} = 2; k_yy(1,2) = 27, sum = 54;
    /// k_xy: (0,1) -> 1, (0,2) -> 1, (1,1) -> 8, (1,2) -> 27, sum = 37;
    /// MMD^2 = (2 + 54) / 2 - 2 * 37 / 4 = 28 - 18.5 = 9.5.
    #[test]
    fn mmd_by_hand() {
        let x = FeatureSet::new(vec![0.0, 1.0], 1);
        let y = FeatureSet::new(vec![1.0, 2.0], 1);
        assert!((mmd2_unbiased(&x, &y) - 9.5).abs() < 1e-12);
        assert!((kernel(&[1.0, 2.0], &[3.0, 1.0]) - 42.875).abs() < 1e-12); // (5/2 + 1)^3
    }

    #[test]
    fn kid_std_varies_over_proper_subsets() {
        let x = FeatureSet::new((0..400).map(|i| (i as f64 * 0.37).sin()).collect(), 4);
        let y = FeatureSet::new((0..400).map(|i| (i as f64 * 0.53).cos()).collect(), 4);
        let k = kid(&x, &y, 20, 30, 1).unwrap();
        assert_eq!(k.subset_size, 30);
        assert!(k.std > 0.0);
        assert_eq!(k, kid(&x, &y, 20, 30, 1).unwrap());
    }
}

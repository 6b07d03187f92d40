//! k-nearest-neighbour metrics: improved precision/recall (Kynkäänniemi et al. 2019) and
//! density/coverage (Naeem et al. 2020).
//!
//! Every point `x` of a set gets a ball of radius `NND_k(x)`, the distance to its k-th nearest
//! neighbour in the same set (itself excluded). Distances are Euclidean, computed tile by tile
//! as `|x|^2 + |y|^2 - 2 x.y` (the dot products by a matrix product) with rows split across
//! rayon threads, so memory stays at one `ROW_BLOCK x COL_TILE` tile per thread.
//!
//! A sample with a non-finite feature (a diverged model's output) lies in no ball, and its own
//! ball holds nothing: it counts against precision and recall rather than for them.

use crate::featureset::FeatureSet;
use rayon::prelude::*;
use std::ops::Range;

const ROW_BLOCK: usize = 128;
const COL_TILE: usize = 2048;

/// Improved precision and recall with k-NN balls.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrecisionRecall {
    /// Share of fake samples inside at least one real ball.
    pub precision: f64,
    /// Share of real samples inside at least one fake ball.
    pub recall: f64,
    /// Neighbours per ball: the radius is the distance to the k-th nearest.
    pub k: usize,
}

/// Density and coverage with k-NN balls around the real samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DensityCoverage {
    /// `(1 / (k M)) sum_j sum_i 1[fake_j in ball(real_i)]` over `M` fake samples; 1 when fake
    /// and real come from the same distribution, unbounded above.
    pub density: f64,
    /// Share of real samples whose ball holds at least one fake sample.
    pub coverage: f64,
    /// Neighbours per ball: the radius is the distance to the k-th nearest real sample.
    pub k: usize,
}

/// Kynkäänniemi et al.'s precision and recall (default `k = 3`):
///
/// ```text
/// precision = (1/M) sum_j 1[exists i: |fake_j - real_i| <= NND_k(real_i)]
/// recall    = (1/N) sum_i 1[exists j: |real_i - fake_j| <= NND_k(fake_j)]
/// ```
///
/// Balls are closed (`<=`), as in the authors' code. Both values are NaN when either set has
/// `k` rows or fewer (a k-th neighbour does not exist). Panics when the dimensions differ.
pub fn precision_recall(real: &FeatureSet, fake: &FeatureSet, k: usize) -> PrecisionRecall {
    check(real, fake, k);
    if real.rows <= k || fake.rows <= k {
        return PrecisionRecall {
            precision: f64::NAN,
            recall: f64::NAN,
            k,
        };
    }
    let real_r2 = kth_neighbour_sq_distances(real, k);
    let fake_r2 = kth_neighbour_sq_distances(fake, k);
    let precision = share(&in_any_closed_ball(fake, real, &real_r2));
    let recall = share(&in_any_closed_ball(real, fake, &fake_r2));
    PrecisionRecall {
        precision,
        recall,
        k,
    }
}

/// Naeem et al.'s density and coverage (default `k = 5`), with balls around real samples only:
///
/// ```text
/// density  = (1/(k M)) sum_j sum_i 1[|fake_j - real_i| < NND_k(real_i)]
/// coverage = (1/N) sum_i 1[min_j |real_i - fake_j| < NND_k(real_i)]
/// ```
///
/// Balls are open (`<`), as in the authors' `prdc` package. Both values are NaN when `real` has
/// `k` rows or fewer, or `fake` is empty. Panics when the dimensions differ.
pub fn density_coverage(real: &FeatureSet, fake: &FeatureSet, k: usize) -> DensityCoverage {
    check(real, fake, k);
    if real.rows <= k || fake.rows == 0 {
        return DensityCoverage {
            density: f64::NAN,
            coverage: f64::NAN,
            k,
        };
    }
    let real_r2 = kth_neighbour_sq_distances(real, k);
    let counts = scan_rows(fake, real, 0usize, |count, _, j0, d2| {
        *count += d2.iter().zip(&real_r2[j0..]).filter(|(d, r)| d < r).count();
    });
    let density = counts.iter().sum::<usize>() as f64 / (k * fake.rows) as f64;
    let nearest_fake = scan_rows(real, fake, f64::INFINITY, |nearest, _, _, d2| {
        *nearest = d2.iter().fold(*nearest, |m, &d| m.min(d));
    });
    let covered: Vec<bool> = nearest_fake
        .iter()
        .zip(&real_r2)
        .map(|(d, r)| d < r)
        .collect();
    DensityCoverage {
        density,
        coverage: share(&covered),
        k,
    }
}

fn check(real: &FeatureSet, fake: &FeatureSet, k: usize) {
    assert_eq!(
        real.dim, fake.dim,
        "k-NN metrics of {}-d and {}-d features",
        real.dim, fake.dim
    );
    assert!(k >= 1, "k-NN metrics need k >= 1");
}

/// For each row `x_i`: whether `|x_i - y_j|^2 <= y_sq_radii[j]` for some `j`.
fn in_any_closed_ball(x: &FeatureSet, y: &FeatureSet, y_sq_radii: &[f64]) -> Vec<bool> {
    scan_rows(x, y, false, |hit, _, j0, d2| {
        if !*hit {
            *hit = d2.iter().zip(&y_sq_radii[j0..]).any(|(d, r)| d <= r);
        }
    })
}

fn share(flags: &[bool]) -> f64 {
    flags.iter().filter(|&&f| f).count() as f64 / flags.len() as f64
}

/// Squared distance from each row of `x` to its k-th nearest other row of `x` (`[x.rows]`);
/// needs `x.rows > k`. NaN for a row with fewer than `k` other rows at a finite distance.
pub fn kth_neighbour_sq_distances(x: &FeatureSet, k: usize) -> Vec<f64> {
    assert!(x.rows > k, "{} rows have no {k}-th neighbour", x.rows);
    let nearest = scan_rows(
        x,
        x,
        Vec::with_capacity(k + 1),
        |best: &mut Vec<f64>, i, j0, d2| {
            for (j, &d) in (j0..).zip(d2) {
                if j != i && !d.is_nan() && (best.len() < k || d < best[k - 1]) {
                    let at = best.partition_point(|&b| b <= d);
                    best.insert(at, d);
                    best.truncate(k);
                }
            }
        },
    );
    nearest
        .into_iter()
        .map(|best| best.get(k - 1).copied().unwrap_or(f64::NAN))
        .collect()
}

/// One state per row of `x`, updated by `visit(state_i, i, j0, d2)` where
/// `d2[t] = |x_i - y_{j0 + t}|^2` for one tile of columns; tiles arrive in column order.
/// Rows are processed in parallel blocks of `ROW_BLOCK`.
pub(crate) fn scan_rows<S, F>(x: &FeatureSet, y: &FeatureSet, init: S, visit: F) -> Vec<S>
where
    S: Clone + Send + Sync,
    F: Fn(&mut S, usize, usize, &[f64]) + Sync,
{
    let x_norms = sq_norms(x);
    let y_norms = sq_norms(y);
    let blocks: Vec<Vec<S>> = (0..x.rows.div_ceil(ROW_BLOCK))
        .into_par_iter()
        .map(|b| {
            let rows = b * ROW_BLOCK..((b + 1) * ROW_BLOCK).min(x.rows);
            let mut states = vec![init.clone(); rows.len()];
            for c in 0..y.rows.div_ceil(COL_TILE) {
                let cols = c * COL_TILE..((c + 1) * COL_TILE).min(y.rows);
                let mut tile = gram(x, rows.clone(), y, cols.clone());
                for (t, i) in tile.chunks_exact_mut(cols.len()).zip(rows.clone()) {
                    for (d, &ny) in t.iter_mut().zip(&y_norms[cols.clone()]) {
                        let d2 = x_norms[i] + ny - 2.0 * *d;
                        // Rounding can make d2 slightly negative; NaN must stay NaN.
                        *d = if d2 < 0.0 { 0.0 } else { d2 };
                    }
                    visit(&mut states[i - rows.start], i, cols.start, t);
                }
            }
            states
        })
        .collect();
    blocks.into_iter().flatten().collect()
}

fn sq_norms(x: &FeatureSet) -> Vec<f64> {
    (0..x.rows)
        .map(|i| x.row(i).iter().map(|v| v * v).sum())
        .collect()
}

/// Dot products `G[i, j] = x_r . y_c` for `r` in `rows`, `c` in `cols`: a row-major
/// `[rows.len(), cols.len()]` buffer, computed as the matrix product `X[rows] Y[cols]^T`.
pub(crate) fn gram(
    x: &FeatureSet,
    rows: Range<usize>,
    y: &FeatureSet,
    cols: Range<usize>,
) -> Vec<f64> {
    assert_eq!(x.dim, y.dim);
    assert!(rows.end <= x.rows && cols.end <= y.rows);
    let (m, n, d) = (rows.len(), cols.len(), x.dim);
    let mut out = vec![0.0; m * n];
    if m == 0 || n == 0 {
        return out;
    }
    let a = &x.values[rows.start * d..rows.end * d];
    let b = &y.values[cols.start * d..cols.end * d];
    // SAFETY: `a` is [m, d] row-major (row stride d, column stride 1); `b` is [n, d] row-major,
    // read as the [d, n] matrix B^T (row stride 1, column stride d); `out` is [m, n] row-major.
    // All three slices have exactly the lengths these strides address, and `out` is not aliased.
    unsafe {
        matrixmultiply::dgemm(
            m,
            d,
            n,
            1.0,
            a.as_ptr(),
            d as isize,
            1,
            b.as_ptr(),
            1,
            d as isize,
            0.0,
            out.as_mut_ptr(),
            n as isize,
            1,
        );
    }
    out
}

//! Fréchet distance between the Gaussians fitted to two feature sets (FID's formula).
//!
//! For N(mu1, S1) and N(mu2, S2) the squared 2-Wasserstein distance is
//!
//! ```text
//! FD = |mu1 - mu2|^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2)
//! ```
//!
//! and `tr sqrt(S1 S2) = sum_i sqrt(lambda_i)` over the eigenvalues of the symmetric PSD matrix
//! `sqrt(S1) S2 sqrt(S1)`, which has the same spectrum as `S1 S2` (torch-fidelity's form; equal
//! to pytorch-fid's `scipy.linalg.sqrtm(S1 @ S2)` trace up to rounding).

use crate::featureset::FeatureSet;
use anyhow::{bail, ensure};
use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// Added to both covariance diagonals when the first attempt fails (pytorch-fid's `eps`).
pub const FD_EPS: f64 = 1e-6;

/// Fréchet distance between the Gaussians fitted to `a` and `b` (means, and covariances with
/// the `n - 1` divisor like `numpy.cov(rowvar=False)`).
///
/// Needs at least two rows in each set, equal dimensions and finite values. FD is biased
/// upwards at small `n`: compare values only at equal sample counts.
pub fn frechet_distance(a: &FeatureSet, b: &FeatureSet) -> anyhow::Result<f64> {
    ensure!(
        a.dim == b.dim,
        "Fréchet distance of {}-d and {}-d features",
        a.dim,
        b.dim
    );
    let (mu1, s1) = mean_cov(a)?;
    let (mu2, s2) = mean_cov(b)?;
    frechet_from_moments(&mu1, &s1, &mu2, &s2)
}

/// Mean `[d]` and covariance `[d, d]` (divisor `n - 1`) of the rows of `x`.
pub fn mean_cov(x: &FeatureSet) -> anyhow::Result<(DVector<f64>, DMatrix<f64>)> {
    ensure!(
        x.rows >= 2,
        "a covariance needs at least 2 samples, got {}",
        x.rows
    );
    ensure!(x.is_finite(), "features contain non-finite values");
    let (n, d) = (x.rows, x.dim);
    let mut mean = DVector::zeros(d);
    for i in 0..n {
        for (m, v) in mean.iter_mut().zip(x.row(i)) {
            *m += v;
        }
    }
    mean /= n as f64;
    // Column-major [d, n] view of the row-major data, centred: cov = C C^T / (n - 1).
    let mut centred = DMatrix::from_column_slice(d, n, &x.values);
    for mut column in centred.column_iter_mut() {
        column -= &mean;
    }
    let cov = &centred * centred.transpose() / (n as f64 - 1.0);
    Ok((mean, cov))
}

/// The Fréchet distance of N(mu1, s1) and N(mu2, s2), exact for Gaussians.
///
/// When the result is not finite, or the product `sqrt(S1) S2 sqrt(S1)` has an eigenvalue below
/// `-1e-8 * lambda_max` (numerically singular beyond rounding), it is recomputed with
/// `FD_EPS * I` added to both covariances, as pytorch-fid does. Tiny negative eigenvalues
/// (rounding) are clamped to 0.
pub fn frechet_from_moments(
    mu1: &DVector<f64>,
    s1: &DMatrix<f64>,
    mu2: &DVector<f64>,
    s2: &DMatrix<f64>,
) -> anyhow::Result<f64> {
    let d = mu1.len();
    ensure!(
        mu2.len() == d && s1.shape() == (d, d) && s2.shape() == (d, d),
        "moments of mismatched dimensions"
    );
    let mean_term = (mu1 - mu2).norm_squared();
    if let Some(fd) = covariance_term(s1, s2).map(|c| mean_term + c) {
        return Ok(fd);
    }
    let offset = DMatrix::identity(d, d) * FD_EPS;
    match covariance_term(&(s1 + &offset), &(s2 + &offset)).map(|c| mean_term + c) {
        Some(fd) => Ok(fd),
        None => bail!(
            "Fréchet distance is not finite even with eps = {FD_EPS} added to the covariances"
        ),
    }
}

/// `tr S1 + tr S2 - 2 tr sqrt(S1 S2)`, or `None` when not finite or numerically singular.
fn covariance_term(s1: &DMatrix<f64>, s2: &DMatrix<f64>) -> Option<f64> {
    let root1 = psd_sqrt(s1)?;
    let product = symmetrize(&root1 * s2 * &root1);
    let eigenvalues = SymmetricEigen::try_new(product, f64::EPSILON, 0)?.eigenvalues;
    let largest = eigenvalues.iter().fold(0.0_f64, |m, &l| m.max(l.abs()));
    if eigenvalues
        .iter()
        .any(|&l| !l.is_finite() || l < -1e-8 * largest)
    {
        return None;
    }
    let tr_sqrt: f64 = eigenvalues.iter().map(|&l| l.max(0.0).sqrt()).sum();
    let term = s1.trace() + s2.trace() - 2.0 * tr_sqrt;
    term.is_finite().then_some(term)
}

/// The symmetric PSD square root `V diag(sqrt(max(l, 0))) V^T` of a symmetric matrix.
fn psd_sqrt(s: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    let eigen = SymmetricEigen::try_new(symmetrize(s.clone()), f64::EPSILON, 0)?;
    if eigen.eigenvalues.iter().any(|l| !l.is_finite()) {
        return None;
    }
    let roots = eigen.eigenvalues.map(|l| l.max(0.0).sqrt());
    let v = &eigen.eigenvectors;
    Some(v * DMatrix::from_diagonal(&roots) * v.transpose())
}

fn symmetrize(m: DMatrix<f64>) -> DMatrix<f64> {
    (&m + m.transpose()) * 0.5
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Diagonal covariances: tr sqrt(S1 S2) = sum_i sqrt(s1_i s2_i). With mu1 = (0, 0, 0),
    /// mu2 = (1, 2, -2), s1 = (1, 4, 9), s2 = (4, 1, 16):
    /// |mu1 - mu2|^2 = 1 + 4 + 4 = 9; tr S1 + tr S2 = 14 + 21 = 35;
    /// tr sqrt = sqrt(4) + sqrt(4) + sqrt(144) = 2 + 2 + 12 = 16; FD = 9 + 35 - 32 = 12.
    #[test]
    fn diagonal_gaussians_match_the_closed_form() {
        let mu1 = DVector::from_vec(vec![0.0, 0.0, 0.0]);
        let mu2 = DVector::from_vec(vec![1.0, 2.0, -2.0]);
        let s1 = DMatrix::from_diagonal(&DVector::from_vec(vec![1.0, 4.0, 9.0]));
        let s2 = DMatrix::from_diagonal(&DVector::from_vec(vec![4.0, 1.0, 16.0]));
        let fd = frechet_from_moments(&mu1, &s1, &mu2, &s2).unwrap();
        assert!((fd - 12.0).abs() < 1e-12, "{fd}");
    }

    /// Rotating both Gaussians by the same orthogonal matrix leaves FD unchanged, so full
    /// covariances R D R^T must give the diagonal answer (12) too; and FD(N, N) = 0.
    #[test]
    fn rotated_gaussians_keep_their_distance() {
        let (c, s) = (0.6_f64, 0.8_f64);
        let r = DMatrix::from_row_slice(3, 3, &[c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0]);
        let rot =
            |d: &[f64]| &r * DMatrix::from_diagonal(&DVector::from_row_slice(d)) * r.transpose();
        let mu1 = DVector::from_vec(vec![0.5, 0.5, 0.5]);
        let mu2 = &mu1 + &r * DVector::from_vec(vec![1.0, 2.0, -2.0]);
        let (s1, s2) = (rot(&[1.0, 4.0, 9.0]), rot(&[4.0, 1.0, 16.0]));
        let fd = frechet_from_moments(&mu1, &s1, &mu2, &s2).unwrap();
        assert!((fd - 12.0).abs() < 1e-10, "{fd}");
        let zero = frechet_from_moments(&mu1, &s1, &mu1, &s1).unwrap();
        assert!(zero.abs() < 1e-10, "{zero}");
    }

    /// A singular covariance (rank 1) still gives the exact answer: for s1 = diag(1, 0) and
    /// s2 = diag(4, 0), FD = 1 + 4 - 2 * sqrt(4) = 1.
    #[test]
    fn singular_covariances_are_handled() {
        let mu = DVector::zeros(2);
        let s1 = DMatrix::from_diagonal(&DVector::from_vec(vec![1.0, 0.0]));
        let s2 = DMatrix::from_diagonal(&DVector::from_vec(vec![4.0, 0.0]));
        let fd = frechet_from_moments(&mu, &s1, &mu, &s2).unwrap();
        assert!((fd - 1.0).abs() < 1e-9, "{fd}");
    }

    /// numpy.cov(rowvar=False) of rows (1, 2), (3, 6), (5, 4): mean (3, 4);
    /// centred rows (-2, -2), (0, 2), (2, 0); cov = [[8, 4], [4, 8]] / 2 = [[4, 2], [2, 4]].
    #[test]
    fn covariance_uses_n_minus_one() {
        let x = FeatureSet::new(vec![1.0, 2.0, 3.0, 6.0, 5.0, 4.0], 2);
        let (mean, cov) = mean_cov(&x).unwrap();
        assert_eq!(mean.as_slice(), &[3.0, 4.0]);
        assert_eq!(cov, DMatrix::from_row_slice(2, 2, &[4.0, 2.0, 2.0, 4.0]));
    }
}

//! FD, KID's MMD^2 and the k-NN metrics on fixed feature sets against numpy/scipy.
//!
//! `data/ref.py` writes `data/a.csv` (60 x 5, with a header) and `data/b.csv` (50 x 5) and
//! prints the reference values, kept in `data/ref.txt`:
//!
//! ```text
//! fd_sqrtm 1.3739062338376336        (pytorch-fid: scipy.linalg.sqrtm(S1 @ S2))
//! fd_eig 1.3739062338376193          (eigvalsh of sqrt(S1) S2 sqrt(S1))
//! mmd2_40 0.6192160625840724         (torch-fidelity's mmd2 on a[:40], b[:40])
//! precision3 0.86 recall3 0.7666666666666667
//! density5 1.068 coverage5 0.9
//! ```
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_eval::{FeatureSet, density_coverage, frechet_distance, kid, precision_recall};
use std::path::PathBuf;

fn data(name: &str) -> FeatureSet {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    FeatureSet::read_csv(path).unwrap()
}

fn assert_rel(actual: f64, expected: f64, tol: f64) {
    let rel = (actual - expected).abs() / expected.abs();
    assert!(rel < tol, "{actual} vs {expected}: relative error {rel:e}");
}

#[test]
fn csv_inputs_have_the_expected_shape() {
    let (a, b) = (data("a.csv"), data("b.csv"));
    assert_eq!((a.rows, a.dim, b.rows, b.dim), (60, 5, 50, 5));
    assert_eq!(&a.values[..2], &[0.647906, 0.469321]);
}

#[test]
fn frechet_distance_matches_scipy() {
    let fd = frechet_distance(&data("a.csv"), &data("b.csv")).unwrap();
    assert_rel(fd, 1.3739062338376336, 1e-9);
    assert_rel(fd, 1.3739062338376193, 1e-9);
}

#[test]
fn mmd_of_a_fixed_subset_pair_matches_numpy() {
    let first40: Vec<usize> = (0..40).collect();
    let (a, b) = (
        data("a.csv").select(&first40),
        data("b.csv").select(&first40),
    );
    assert_rel(
        genbench_eval::kid::mmd2_unbiased(&a, &b),
        0.6192160625840724,
        1e-9,
    );
    let whole = kid(&a, &b, 3, 40, 0).unwrap();
    assert_rel(whole.mean, 0.6192160625840724, 1e-9);
}

#[test]
fn knn_metrics_match_numpy() {
    let (real, fake) = (data("a.csv"), data("b.csv"));
    let pr = precision_recall(&real, &fake, 3);
    assert_rel(pr.precision, 0.86, 1e-12);
    assert_rel(pr.recall, 0.7666666666666667, 1e-12);
    let dc = density_coverage(&real, &fake, 5);
    assert_rel(dc.density, 1.068, 1e-12);
    assert_rel(dc.coverage, 0.9, 1e-12);
}

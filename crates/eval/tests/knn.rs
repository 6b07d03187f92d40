//! Precision/recall and density/coverage on sets small enough to check by hand, and the tiled
//! distance scan against brute force on sets spanning several tiles.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_eval::knn::kth_neighbour_sq_distances;
use genbench_eval::{FeatureSet, density_coverage, precision_recall};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

fn on_x_axis(xs: &[f64]) -> FeatureSet {
    FeatureSet::new(xs.iter().flat_map(|&x| [x, 0.0]).collect(), 2)
}

/// Real: two clusters {0, 1, 2, 3} and {100, 101, 102, 103}; fake: {0.5, 1.5, 2.5, 3.5, 50}.
/// With k = 2 (itself excluded) the real radii are 2, 1, 1, 2 in each cluster and the fake
/// radii are 2, 1, 1, 2 and, for fake 50 (distances 49.5, 48.5, 47.5, 46.5), 47.5.
///
/// Precision: 0.5, 1.5, 2.5, 3.5 lie 0.5 from a real point with radius >= 1; 50 is >= 47 from
/// every real point, whose radii are <= 2: 4/5 = 0.8.
/// Recall: 0..3 lie 0.5 from a fake point of radius >= 1; 100..103 are 50..53 from fake 50
/// (radius 47.5) and farther from the rest: 4/8 = 0.5.
#[test]
fn precision_recall_by_hand() {
    let real = on_x_axis(&[0.0, 1.0, 2.0, 3.0, 100.0, 101.0, 102.0, 103.0]);
    let fake = on_x_axis(&[0.5, 1.5, 2.5, 3.5, 50.0]);
    let pr = precision_recall(&real, &fake, 2);
    assert_eq!((pr.precision, pr.recall, pr.k), (0.8, 0.5, 2));
}

/// Same sets, k = 2, open balls around the real points (radii 0 -> 2, 1 -> 1, 2 -> 1, 3 -> 2):
/// fake 0.5 is inside the balls of 0 (0.5 < 2) and 1 (0.5 < 1): 2;
/// fake 1.5: 0 (1.5 < 2), 1 (0.5 < 1), 2 (0.5 < 1), 3 (1.5 < 2): 4;
/// fake 2.5: 2 (0.5 < 1), 3 (0.5 < 2): 2; fake 3.5: 3 (0.5 < 2): 1; fake 50: 0.
/// density = (2 + 4 + 2 + 1 + 0) / (k M) = 9 / 10 = 0.9.
/// coverage: 0..3 have a fake 0.5 away (< radius), 100..103 the nearest fake 50+ away: 0.5.
/// (Without excluding the point itself the radii would be 1 and density 0.7.)
#[test]
fn density_coverage_by_hand() {
    let real = on_x_axis(&[0.0, 1.0, 2.0, 3.0, 100.0, 101.0, 102.0, 103.0]);
    let fake = on_x_axis(&[0.5, 1.5, 2.5, 3.5, 50.0]);
    let dc = density_coverage(&real, &fake, 2);
    assert_eq!((dc.density, dc.coverage, dc.k), (0.9, 0.5, 2));
}

/// Real {0, 1, 2}, k = 1: every radius is 1. Fake {3} is exactly 1 from real 2: inside the
/// closed ball of precision (precision 1) but outside the open ball of density/coverage
/// (density 0, coverage 0). Fake {3} has no neighbour, so recall needs 2 fakes: with fakes
/// {3, 5} (radii 2), real 1 (2 from 3) is in, real 0 (3 away) is out: recall 2/3.
#[test]
fn ball_boundaries() {
    let real = on_x_axis(&[0.0, 1.0, 2.0]);
    let fake = on_x_axis(&[3.0]);
    let dc = density_coverage(&real, &fake, 1);
    assert_eq!((dc.density, dc.coverage), (0.0, 0.0));
    let pr = precision_recall(&real, &on_x_axis(&[3.0, 5.0]), 1);
    assert_eq!(pr.precision, 0.5);
    assert!((pr.recall - 2.0 / 3.0).abs() < 1e-15);
    assert!(precision_recall(&real, &fake, 1).recall.is_nan());
}

/// Real {0, 1, 2, 3} (k = 1: radii 1), fake {0.5, NaN, 2.5, 3.5}. The NaN sample is in no
/// real ball: precision 3/4; density (2 + 0 + 2 + 1) / 4 = 1.25 (0.5 is inside the balls of
/// 0 and 1, 2.5 of 2 and 3, 3.5 of 3). Its own ball is empty; the other fakes have radii
/// 2, 1, 1 (their nearest finite fake) and every real point is 0.5 from one: recall 1,
/// coverage 1.
#[test]
fn non_finite_samples_are_in_no_ball() {
    let real = on_x_axis(&[0.0, 1.0, 2.0, 3.0]);
    let fake = on_x_axis(&[0.5, f64::NAN, 2.5, 3.5]);
    let pr = precision_recall(&real, &fake, 1);
    assert_eq!((pr.precision, pr.recall), (0.75, 1.0));
    let dc = density_coverage(&real, &fake, 1);
    assert_eq!((dc.density, dc.coverage), (1.25, 1.0));
}

fn normal_set(rows: usize, dim: usize, shift: f64, seed: u64) -> FeatureSet {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let values = (0..rows * dim)
        .map(|_| shift + Distribution::<f64>::sample(&StandardNormal, &mut rng))
        .collect();
    FeatureSet::new(values, dim)
}

fn sq_dist(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum()
}

fn brute_radii(x: &FeatureSet, k: usize) -> Vec<f64> {
    (0..x.rows)
        .map(|i| {
            let mut d: Vec<f64> = (0..x.rows)
                .filter(|&j| j != i)
                .map(|j| sq_dist(x.row(i), x.row(j)))
                .collect();
            d.sort_by(f64::total_cmp);
            d[k - 1]
        })
        .collect()
}

/// 2,300 x 300 points in 3-D cross the 128-row blocks and 2,048-column tiles of the scan.
#[test]
fn tiled_scan_matches_brute_force() {
    let real = normal_set(2300, 3, 0.0, 1);
    let fake = normal_set(300, 3, 0.5, 2);
    let (rr, fr) = (brute_radii(&real, 3), brute_radii(&fake, 3));
    for (fast, slow) in kth_neighbour_sq_distances(&real, 3).iter().zip(&rr) {
        assert!(
            (fast - slow).abs() < 1e-9 * slow.max(1e-3),
            "{fast} vs {slow}"
        );
    }
    let inside = |p: &[f64], set: &FeatureSet, radii: &[f64]| {
        (0..set.rows).any(|j| sq_dist(p, set.row(j)) <= radii[j])
    };
    let precision = (0..fake.rows)
        .filter(|&j| inside(fake.row(j), &real, &rr))
        .count() as f64
        / fake.rows as f64;
    let recall = (0..real.rows)
        .filter(|&i| inside(real.row(i), &fake, &fr))
        .count() as f64
        / real.rows as f64;
    let pr = precision_recall(&real, &fake, 3);
    assert_eq!((pr.precision, pr.recall), (precision, recall));

    let r5 = brute_radii(&real, 5);
    let hits: usize = (0..fake.rows)
        .map(|j| {
            (0..real.rows)
                .filter(|&i| sq_dist(fake.row(j), real.row(i)) < r5[i])
                .count()
        })
        .sum();
    let covered = (0..real.rows)
        .filter(|&i| (0..fake.rows).any(|j| sq_dist(real.row(i), fake.row(j)) < r5[i]))
        .count();
    let dc = density_coverage(&real, &fake, 5);
    assert!((dc.density - hits as f64 / (5.0 * 300.0)).abs() < 1e-12);
    assert!((dc.coverage - covered as f64 / 2300.0).abs() < 1e-12);
    assert!(pr.precision > 0.3 && pr.precision < 1.0 && dc.coverage > 0.05 && dc.coverage < 1.0);
}

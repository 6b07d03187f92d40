use super::*;
use crate::registry::{DATASETS, DataKind, density};
use genbench_core::seed::Rng;

/// Midpoint rule on an `n x n` grid over `bounds()` of `(int p, -int p log p)`: the mass and a
/// quadrature of the entropy that does not use the sampler.
fn grid_mass_and_entropy(d: &dyn Density2d, n: usize) -> (f64, f64) {
    let (lo, hi) = d.bounds();
    let (hx, hy) = ((hi[0] - lo[0]) / n as f64, (hi[1] - lo[1]) / n as f64);
    let (mut mass, mut entropy) = (0.0, 0.0);
    for i in 0..n {
        for j in 0..n {
            let lp = d.log_prob([lo[0] + (i as f64 + 0.5) * hx, lo[1] + (j as f64 + 0.5) * hy]);
            if lp > f64::NEG_INFINITY {
                mass += lp.exp();
                entropy -= lp.exp() * lp;
            }
        }
    }
    (mass * hx * hy, entropy * hx * hy)
}

/// Pearson's chi-square of a `bins x bins` histogram over `bounds()` of `n` samples against the
/// exact bin masses (a `sub x sub` midpoint rule inside each bin); bins expecting fewer than 5
/// samples, and the mass outside the box, are pooled into one cell. Returns `(X^2, dof)`.
fn histogram_chi_square(
    d: &dyn Density2d,
    bins: usize,
    sub: usize,
    n: usize,
    seed: u64,
) -> (f64, usize) {
    let (lo, hi) = d.bounds();
    let (wx, wy) = ((hi[0] - lo[0]) / bins as f64, (hi[1] - lo[1]) / bins as f64);
    let mut counts = vec![0usize; bins * bins];
    for x in d.sample(n, &mut Rng::new(seed)) {
        let (i, j) = (((x[0] - lo[0]) / wx).floor(), ((x[1] - lo[1]) / wy).floor());
        if (0.0..bins as f64).contains(&i) && (0.0..bins as f64).contains(&j) {
            counts[i as usize * bins + j as usize] += 1;
        }
    }
    let (hx, hy) = (wx / sub as f64, wy / sub as f64);
    let (mut chi2, mut cells) = (0.0, 0);
    let (mut pooled_expected, mut pooled_observed) = (n as f64, n as f64);
    for i in 0..bins {
        for j in 0..bins {
            let mut mass = 0.0;
            for a in 0..sub {
                for b in 0..sub {
                    let x = lo[0] + i as f64 * wx + (a as f64 + 0.5) * hx;
                    let y = lo[1] + j as f64 * wy + (b as f64 + 0.5) * hy;
                    mass += d.log_prob([x, y]).exp() * hx * hy;
                }
            }
            let (expected, observed) = (mass * n as f64, counts[i * bins + j] as f64);
            if expected >= 5.0 {
                chi2 += (observed - expected).powi(2) / expected;
                cells += 1;
                pooled_expected -= expected;
                pooled_observed -= observed;
            }
        }
    }
    if pooled_expected >= 5.0 {
        chi2 += (pooled_observed - pooled_expected).powi(2) / pooled_expected;
        cells += 1;
    }
    (chi2, cells - 1)
}

/// Normalisation, sampler against density, and entropy against an independent estimate.
fn check(name: &str) {
    let d = density(name).unwrap();
    assert_eq!(d.name(), name);

    let (mass, grid_entropy) = grid_mass_and_entropy(d.as_ref(), 400);
    assert!((mass - 1.0).abs() < 0.01, "{name}: mass {mass}");

    let (chi2, dof) = histogram_chi_square(d.as_ref(), 24, 8, 50_000, 11);
    let limit = dof as f64 + 6.0 * (2.0 * dof as f64).sqrt();
    assert!(
        chi2 < limit,
        "{name}: histogram chi-square {chi2} over {dof} dof (limit {limit})"
    );

    let h = d.entropy();
    if h.method != "closed form" {
        assert!(h.std_error > 0.0 && h.std_error < 0.005, "{name}: {h:?}");
        assert!(
            h.method.contains(&ENTROPY_MC_SAMPLES.to_string()),
            "{name}: {h:?}"
        );
    }
    assert!(
        (grid_entropy - h.nats).abs() < 4.0 * h.std_error + 1e-3,
        "{name}: grid entropy {grid_entropy} vs {h:?}"
    );
    let n = 20_000;
    let lp: Vec<f64> = d
        .sample(n, &mut Rng::new(99))
        .into_iter()
        .map(|x| d.log_prob(x))
        .collect();
    let mean = lp.iter().sum::<f64>() / n as f64;
    let se = (lp.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n * n) as f64).sqrt();
    let tol = 4.0 * (se * se + h.std_error * h.std_error).sqrt() + 1e-9;
    assert!(
        (-mean - h.nats).abs() < tol,
        "{name}: -mean log p {} vs entropy {h:?}",
        -mean
    );

    let (a, b) = (
        d.sample(10, &mut Rng::new(5)),
        d.sample(10, &mut Rng::new(5)),
    );
    assert_eq!(a, b);
    let (points, labels) = d.sample_labeled(1000, &mut Rng::new(5));
    assert_eq!(points.len(), 1000);
    assert!(
        labels.iter().all(|&l| l < d.num_classes().max(1)),
        "{name}: labels out of range"
    );
}

#[test]
fn two_moons() {
    check("two-moons");
}

#[test]
fn eight_gaussians() {
    check("8gaussians");
}

#[test]
fn twenty_five_gaussians() {
    check("25gaussians");
}

#[test]
fn checkerboard() {
    check("checkerboard");
}

#[test]
fn rings() {
    check("rings");
}

#[test]
fn swiss_roll() {
    check("swiss-roll");
}

#[test]
fn checkerboard_entropy_is_log_of_black_area() {
    let h = Checkerboard::new().entropy();
    assert_eq!(h.nats, (8.0f64 * (2.0 * 2.0)).ln());
    assert_eq!((h.std_error, h.method), (0.0, "closed form"));
    let c = Checkerboard::new();
    assert_eq!(c.log_prob([-3.0, -3.0]), -(32.0f64).ln());
    assert_eq!(c.log_prob([-1.0, -3.0]), f64::NEG_INFINITY);
    assert_eq!(c.log_prob([5.0, 0.5]), f64::NEG_INFINITY);
}

#[test]
fn separated_gaussian_mixture_entropy_is_log_k_plus_one_gaussian() {
    for d in [
        GaussianMixture::eight_gaussians(),
        GaussianMixture::twenty_five_gaussians(),
    ] {
        let (centres, s) = d.modes().unwrap();
        let k = centres.len() as f64;
        let expected = k.ln() + 1.0 + (2.0 * std::f64::consts::PI * s * s).ln();
        let h = d.entropy();
        assert!(
            (h.nats - expected).abs() < 4.0 * h.std_error,
            "{}: {h:?} vs {expected}",
            d.name()
        );
    }
}

#[test]
fn curve_quadrature_is_converged() {
    let mut rng = Rng::new(3);
    for (coarse, fine) in [
        (
            CurveDensity::two_moons(),
            CurveDensity::two_moons_refined(3),
        ),
        (
            CurveDensity::swiss_roll(),
            CurveDensity::swiss_roll_refined(3),
        ),
    ] {
        let mut points = coarse.sample(100, &mut rng);
        points.extend((0..100).map(|_| [10.0 * rng.uniform() - 5.0, 10.0 * rng.uniform() - 5.0]));
        for x in points {
            let (a, b) = (coarse.log_prob(x), fine.log_prob(x));
            assert!(
                (a - b).abs() < 1e-7,
                "{} at {x:?}: {a} vs {b}",
                coarse.name()
            );
        }
    }
}

#[test]
fn labels_follow_the_generating_component() {
    let (points, labels) = CurveDensity::two_moons().sample_labeled(2000, &mut Rng::new(1));
    let mean_y = |moon| {
        let ys: Vec<f64> = points
            .iter()
            .zip(&labels)
            .filter(|(_, l)| **l == moon)
            .map(|(p, _)| p[1])
            .collect();
        ys.iter().sum::<f64>() / ys.len() as f64
    };
    assert!(mean_y(0) > 0.5 && mean_y(1) < -0.5);

    let d = GaussianMixture::eight_gaussians();
    let (centres, _) = d.modes().unwrap();
    let (points, labels) = d.sample_labeled(500, &mut Rng::new(2));
    for (p, l) in points.iter().zip(labels) {
        assert!((p[0] - centres[l][0]).hypot(p[1] - centres[l][1]) < 1.0);
    }

    let n = 30_000;
    let (points, labels) = Rings::new().sample_labeled(n, &mut Rng::new(2));
    for (p, &l) in points.iter().zip(&labels) {
        assert!((p[0].hypot(p[1]) - (l + 1) as f64).abs() < 0.7);
    }
    for ring in 0..3 {
        let w = (ring + 1) as f64 / 6.0;
        let freq = labels.iter().filter(|&&l| l == ring).count() as f64 / n as f64;
        assert!(
            (freq - w).abs() < 4.0 * (w * (1.0 - w) / n as f64).sqrt(),
            "ring {ring}: {freq} vs {w}"
        );
    }
}

#[test]
fn rings_log_prob_is_finite_at_the_origin() {
    let lp = Rings::new().log_prob([0.0, 0.0]);
    assert!(lp.is_finite() && lp < -20.0, "{lp}");
}

#[test]
fn unknown_density_is_none() {
    assert!(density("nine-gaussians").is_none());
    for entry in DATASETS {
        assert_eq!(
            density(entry.name).is_some(),
            entry.kind == DataKind::Density2d,
            "{}",
            entry.name
        );
    }
}

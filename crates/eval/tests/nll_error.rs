//! The NLL's standard error and the paired KL on 2-D data, against hand computations; and the
//! reason for the pairing: a model equal to p* has KL exactly 0 on any sample, while its mean
//! NLL minus H(p*) is off by the sample's own deviation.

use genbench_core::{Batch, Likelihood, LikelihoodKind};
use genbench_eval::score::{nll_standard_error, paired_kl};

/// log p(x) = −1, −2, −3, −6: NLLs 1, 2, 3, 6 with mean 3, squared deviations 4, 1, 0, 9;
/// variance 14 / 3, standard error √(14/3) / √4.
#[test]
fn the_standard_error_is_the_sample_sd_over_root_n() {
    let ll = Likelihood::new(LikelihoodKind::Exact, vec![-1.0, -2.0, -3.0, -6.0]);
    let se = nll_standard_error(&ll).unwrap();
    assert!((se - (14.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-12, "{se}");
    assert_eq!(
        nll_standard_error(&Likelihood::new(LikelihoodKind::Exact, vec![-1.0])),
        None
    );
    assert_eq!(nll_standard_error(&Likelihood::unavailable()), None);
}

/// log p*(x) = −x₀ − 1 at x = (0, 0), (1, 0): −1, −2; the model's log p = −1.5, −2:
/// gaps 0.5 and 0, KL = 0.25.
#[test]
fn the_paired_kl_is_the_mean_log_ratio_on_the_scored_examples() {
    let scored = Batch::new(vec![0.0, 0.0, 1.0, 0.0], vec![0, 0], 2);
    let log_p_star = |x: [f64; 2]| -x[0] - 1.0;
    let ll = Likelihood::new(LikelihoodKind::Exact, vec![-1.5, -2.0]);
    let kl = paired_kl(&ll, &scored, &log_p_star).unwrap();
    assert!((kl - 0.25).abs() < 1e-12, "{kl}");
    assert_eq!(
        paired_kl(&Likelihood::unavailable(), &scored, &log_p_star),
        None
    );
}

/// A standard normal model of standard normal data, on 500 draws: the paired KL is 0 to
/// rounding, while mean NLL − H(p*) is the sample's deviation, −mean log p*(x) − H, which is
/// not.
#[test]
fn pairing_removes_the_samples_own_deviation_from_the_entropy() {
    let mut rng = genbench_core::seed::Rng::new(7);
    let x: Vec<f32> = (0..1000).map(|_| rng.normal() as f32).collect();
    let scored = Batch::new(x, vec![0; 500], 2);
    let log_p =
        |x: [f64; 2]| -0.5 * (x[0] * x[0] + x[1] * x[1]) - (2.0 * std::f64::consts::PI).ln();
    let log_px: Vec<f64> = (0..500)
        .map(|i| log_p([f64::from(scored.row(i)[0]), f64::from(scored.row(i)[1])]))
        .collect();
    let ll = Likelihood::new(LikelihoodKind::Exact, log_px);
    let entropy = 1.0 + (2.0 * std::f64::consts::PI).ln(); // a 2-D standard normal's
    let unpaired = ll.mean_nll_nats().unwrap() - entropy;
    let kl = paired_kl(&ll, &scored, &log_p).unwrap();
    assert!(kl.abs() < 1e-6, "{kl}");
    assert!(unpaired.abs() > 1e-3, "{unpaired}");
}

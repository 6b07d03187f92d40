//! What every 2-D density provides ([`Density2d`]), its entropy, and the log-space helpers the
//! densities share.

use genbench_core::seed::{Rng, derive};

/// A 2-D density known exactly.
pub trait Density2d: Send + Sync {
    /// The dataset name of the density.
    fn name(&self) -> &str;
    /// `log p(x)` in nats: closed form, or a quadrature whose error is far below 1e-4.
    /// `-inf` outside the support (checkerboard).
    fn log_prob(&self, x: [f64; 2]) -> f64;
    /// `n` exact draws from `p` (the generative process that defines `p`).
    fn sample(&self, n: usize, rng: &mut Rng) -> Vec<[f64; 2]>;
    /// `n` exact draws with their labels (see [`Density2d::num_classes`]); all 0 when unlabelled.
    /// The points are the ones [`Density2d::sample`] draws from the same generator state.
    fn sample_labeled(&self, n: usize, rng: &mut Rng) -> (Vec<[f64; 2]>, Vec<usize>) {
        (self.sample(n, rng), vec![0; n])
    }
    /// The differential entropy `H(p) = -E_p[log p(x)]` in nats.
    fn entropy(&self) -> Entropy;
    /// The mixture centres and their common std (Gaussian mixtures), else `None`.
    fn modes(&self) -> Option<(Vec<[f64; 2]>, f64)>;
    /// `(lo, hi)`: a box holding all the mass but a fraction below 1e-6.
    fn bounds(&self) -> ([f64; 2], [f64; 2]);
    /// The number of label classes of conditional models (mode, moon or ring index), 0 if none.
    fn num_classes(&self) -> usize;
}

/// A true differential entropy and how it was obtained.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entropy {
    /// The entropy in nats.
    pub nats: f64,
    /// 0 for a closed form; the Monte Carlo standard error otherwise.
    pub std_error: f64,
    /// `"closed form"` or `"Monte Carlo, n = ..."`.
    pub method: &'static str,
}

/// Draws of the Monte Carlo entropy estimates: `sd(log p)` is about 1 nat for every density here
/// (the 2-D Gaussian noise alone gives exactly 1), so the standard error is about 0.003 nats.
pub const ENTROPY_MC_SAMPLES: usize = 100_000;
const ENTROPY_MC_METHOD: &str = "Monte Carlo -mean log p over n = 100000 exact draws (fixed seed)";
const ENTROPY_MC_SEED: u64 = 0x0065_6e74_726f_7079;

/// `-mean log p(x_i)` over [`ENTROPY_MC_SAMPLES`] draws from a fixed seed, with its standard
/// error `sd(log p) / sqrt(n)`: the same value on every run.
pub fn monte_carlo_entropy(density: &dyn Density2d) -> Entropy {
    let mut rng = Rng::new(derive(ENTROPY_MC_SEED, 0));
    let lp: Vec<f64> = density
        .sample(ENTROPY_MC_SAMPLES, &mut rng)
        .into_iter()
        .map(|x| density.log_prob(x))
        .collect();
    let n = lp.len() as f64;
    let mean = lp.iter().sum::<f64>() / n;
    let var = lp.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0);
    Entropy {
        nats: -mean,
        std_error: (var / n).sqrt(),
        method: ENTROPY_MC_METHOD,
    }
}

/// `log(sum_j exp(l_j))` over a stream of terms, skipping `exp` for terms more than 40 nats below
/// the running maximum (their relative weight is below 4e-18 each).
#[derive(Clone, Copy, Debug)]
pub(crate) struct LogSumExp {
    max: f64,
    sum: f64,
}

impl LogSumExp {
    pub(crate) fn new() -> Self {
        Self {
            max: f64::NEG_INFINITY,
            sum: 0.0,
        }
    }

    pub(crate) fn add(&mut self, l: f64) {
        if l > self.max {
            self.sum = self.sum * (self.max - l).exp() + 1.0;
            self.max = l;
        } else if l > self.max - 40.0 {
            self.sum += (l - self.max).exp();
        }
    }

    pub(crate) fn value(&self) -> f64 {
        if self.max == f64::NEG_INFINITY {
            f64::NEG_INFINITY
        } else {
            self.max + self.sum.ln()
        }
    }
}

/// `log N(d; 0, s^2 I_2)` for a squared distance `d2`.
pub(crate) fn log_normal_2d(d2: f64, s: f64) -> f64 {
    -d2 / (2.0 * s * s) - (2.0 * std::f64::consts::PI * s * s).ln()
}

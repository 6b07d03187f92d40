//! The fixed forward process of DDPM (Ho et al. 2020) and everything derived from it, on the
//! host in f64: β_t, α_t = 1 − β_t, ᾱ_t = Π_{s≤t} α_s, the closed form q(x_t | x_0), the
//! posterior q(x_{t−1} | x_t, x_0) and the model's reverse mean from an ε-prediction.
//!
//! Indexing follows improved-diffusion: array index `i ∈ 0..T` is the paper's timestep
//! t = i + 1, so `alpha_bar[i]` is ᾱ_{i+1} and the network sees `i`. x_0 is the data.
//!
//! - q(x_t | x_0)        = N(√ᾱ_t x_0, (1 − ᾱ_t) I)
//! - q(x_{t−1} | x_t, x_0) = N(c1_t x_0 + c2_t x_t, β̃_t I) with
//!   c1_t = β_t √ᾱ_{t−1} / (1 − ᾱ_t), c2_t = (1 − ᾱ_{t−1}) √α_t / (1 − ᾱ_t),
//!   β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t), and ᾱ_0 = 1.
//! - x̂_0(x_t, ε) = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t.
//! - learned reverse variances (Nichol & Dhariwal 2021): the network outputs v per coordinate and
//!   Σ_θ = exp(v log β_t + (1 − v) log β̃_t), interpolating in the log domain between the two
//!   fixed choices ([`Schedule::learned_log_variance`]).
//! - continuous time (for the probability-flow ODE): t ∈ [0, 1] with paper step t·T, and
//!   γ(t) = log((1 − ᾱ(t)) / ᾱ(t)) (minus the log signal-to-noise ratio) and its derivative
//!   ([`ScheduleKind::gamma`], [`ScheduleKind::gamma_dot`]). Linear: ᾱ(t) = exp(−B(t)) with
//!   B(t) = β̄_0 t + ½ (β̄_1 − β̄_0) t², β̄_0 = T β_1 = 0.1, β̄_1 = T β_T = 20 (the T→∞ limit of
//!   the scaled linear schedule, as score_sde's VP SDE); cosine: ᾱ(t) = f(t)/f(0) (t ≤ 0.9999).

use serde::{Deserialize, Serialize};

/// How β_t grows with t.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScheduleKind {
    /// β linear from 1e-4 to 0.02 at T = 1000, both ends scaled by 1000/T (Ho et al. 2020;
    /// the scaling is improved-diffusion's, so ᾱ_T stays near 4e-5 for any T).
    Linear,
    /// ᾱ_t = f(t)/f(0), f(t) = cos²(((t/T) + s)/(1 + s) · π/2), s = 0.008, β clipped at 0.999
    /// (Nichol & Dhariwal 2021).
    Cosine,
}

impl ScheduleKind {
    /// ᾱ(t) of the continuous-time limit, t ∈ [0, 1], and β(t) = −d log ᾱ/dt.
    fn alpha_bar_and_beta(self, t: f64) -> (f64, f64) {
        match self {
            ScheduleKind::Linear => {
                let (b0, b1) = (0.1, 20.0);
                (
                    (-(b0 * t + 0.5 * (b1 - b0) * t * t)).exp(),
                    b0 + (b1 - b0) * t,
                )
            }
            ScheduleKind::Cosine => {
                let s = 0.008;
                let t = t.min(0.9999);
                let u = |t: f64| (t + s) / (1.0 + s) * std::f64::consts::FRAC_PI_2;
                let f = |t: f64| u(t).cos().powi(2);
                (f(t) / f(0.0), std::f64::consts::PI * u(t).tan() / (1.0 + s))
            }
        }
    }

    /// γ(t) = log((1 − ᾱ(t)) / ᾱ(t)): σ_t² = sigmoid(γ), α_t² = sigmoid(−γ).
    pub fn gamma(self, t: f64) -> f64 {
        let (ab, _) = self.alpha_bar_and_beta(t);
        (-ab).ln_1p() - ab.ln()
    }

    /// dγ/dt = β(t) / (1 − ᾱ(t)).
    pub fn gamma_dot(self, t: f64) -> f64 {
        let (ab, beta) = self.alpha_bar_and_beta(t);
        beta / (1.0 - ab)
    }
}

/// The reverse process's fixed variance Σ_θ(x_t, t) = σ_t² I.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReverseVariance {
    /// σ_t² = β_t (improved-diffusion's "fixed large"; σ_1² = β̃_2 so the decoder is not too wide).
    Beta,
    /// σ_t² = β̃_t, the posterior variance ("fixed small"; σ_1² = β̃_2 since β̃_1 = 0).
    BetaTilde,
    /// Σ_θ = exp(v log β_t + (1 − v) log β̃_t) with v predicted per coordinate
    /// (Nichol & Dhariwal 2021; [`Schedule::learned_log_variance`]).
    Learned,
}

/// Every per-timestep constant of the forward process, index `i` = paper t − 1.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// β_t.
    pub betas: Vec<f64>,
    /// α_t = 1 − β_t.
    pub alphas: Vec<f64>,
    /// ᾱ_t.
    pub alpha_bar: Vec<f64>,
    /// ᾱ_{t−1} (1 at t = 1).
    pub alpha_bar_prev: Vec<f64>,
    /// β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t) (0 at t = 1).
    pub posterior_variance: Vec<f64>,
    /// log β̃_t with β̃_1 replaced by β̃_2 (finite at t = 1).
    pub posterior_log_variance_clipped: Vec<f64>,
    /// c1_t: the coefficient of x_0 in the posterior mean.
    pub posterior_mean_coef1: Vec<f64>,
    /// c2_t: the coefficient of x_t in the posterior mean.
    pub posterior_mean_coef2: Vec<f64>,
}

impl Schedule {
    /// The schedule of `kind` with `steps` = T timesteps (T ≥ 2).
    pub fn new(kind: ScheduleKind, steps: usize) -> anyhow::Result<Self> {
        anyhow::ensure!(steps >= 2, "timesteps must be at least 2 (got {steps})");
        let betas = match kind {
            ScheduleKind::Linear => {
                let scale = 1000.0 / steps as f64;
                let (start, end) = (scale * 1e-4, scale * 0.02);
                anyhow::ensure!(
                    end < 1.0,
                    "linear schedule with T = {steps} has β_T = {end} ≥ 1; use T ≥ 21"
                );
                (0..steps)
                    .map(|i| start + (end - start) * i as f64 / (steps - 1) as f64)
                    .collect()
            }
            ScheduleKind::Cosine => {
                let f = |t: f64| {
                    ((t / steps as f64 + 0.008) / 1.008 * std::f64::consts::FRAC_PI_2)
                        .cos()
                        .powi(2)
                };
                (0..steps)
                    .map(|i| (1.0 - f((i + 1) as f64) / f(i as f64)).min(0.999))
                    .collect()
            }
        };
        Ok(Self::from_betas(betas))
    }

    /// Every derived constant from β_1..β_T.
    pub fn from_betas(betas: Vec<f64>) -> Self {
        let alphas: Vec<f64> = betas.iter().map(|b| 1.0 - b).collect();
        let mut alpha_bar = Vec::with_capacity(betas.len());
        let mut acc = 1.0;
        for a in &alphas {
            acc *= a;
            alpha_bar.push(acc);
        }
        let alpha_bar_prev: Vec<f64> = std::iter::once(1.0)
            .chain(alpha_bar[..alpha_bar.len() - 1].iter().copied())
            .collect();
        let n = betas.len();
        let posterior_variance: Vec<f64> = (0..n)
            .map(|i| betas[i] * (1.0 - alpha_bar_prev[i]) / (1.0 - alpha_bar[i]))
            .collect();
        let posterior_log_variance_clipped = (0..n)
            .map(|i| {
                if i == 0 {
                    posterior_variance[1.min(n - 1)].ln()
                } else {
                    posterior_variance[i].ln()
                }
            })
            .collect();
        let posterior_mean_coef1 = (0..n)
            .map(|i| betas[i] * alpha_bar_prev[i].sqrt() / (1.0 - alpha_bar[i]))
            .collect();
        let posterior_mean_coef2 = (0..n)
            .map(|i| (1.0 - alpha_bar_prev[i]) * alphas[i].sqrt() / (1.0 - alpha_bar[i]))
            .collect();
        Self {
            betas,
            alphas,
            alpha_bar,
            alpha_bar_prev,
            posterior_variance,
            posterior_log_variance_clipped,
            posterior_mean_coef1,
            posterior_mean_coef2,
        }
    }

    /// T.
    pub fn steps(&self) -> usize {
        self.betas.len()
    }

    /// Mean and variance of q(x_t | x_0) for one coordinate: (√ᾱ_t x_0, 1 − ᾱ_t).
    pub fn q_mean_variance(&self, x0: f64, i: usize) -> (f64, f64) {
        (self.alpha_bar[i].sqrt() * x0, 1.0 - self.alpha_bar[i])
    }

    /// A draw of x_t ~ q(x_t | x_0) given standard normal `noise`: √ᾱ_t x_0 + √(1 − ᾱ_t) ε.
    pub fn q_sample(&self, x0: f64, i: usize, noise: f64) -> f64 {
        self.alpha_bar[i].sqrt() * x0 + (1.0 - self.alpha_bar[i]).sqrt() * noise
    }

    /// Mean, variance and clipped log-variance of q(x_{t−1} | x_t, x_0) for one coordinate.
    pub fn q_posterior(&self, x0: f64, xt: f64, i: usize) -> (f64, f64, f64) {
        let mean = self.posterior_mean_coef1[i] * x0 + self.posterior_mean_coef2[i] * xt;
        (
            mean,
            self.posterior_variance[i],
            self.posterior_log_variance_clipped[i],
        )
    }

    /// x̂_0 = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t.
    pub fn predict_x0(&self, xt: f64, i: usize, eps: f64) -> f64 {
        (xt - (1.0 - self.alpha_bar[i]).sqrt() * eps) / self.alpha_bar[i].sqrt()
    }

    /// ε consistent with x_t and x̂_0: (x_t − √ᾱ_t x̂_0) / √(1 − ᾱ_t).
    pub fn eps_from_x0(&self, xt: f64, i: usize, x0: f64) -> f64 {
        (xt - self.alpha_bar[i].sqrt() * x0) / (1.0 - self.alpha_bar[i]).sqrt()
    }

    /// Learned log-variance of p(x_{t−1} | x_t) for the interpolation weight `v`:
    /// v log β_t + (1 − v) log β̃_t (β̃_1 replaced by β̃_2, as improved-diffusion's
    /// `posterior_log_variance_clipped`). v = 1 gives β_t, v = 0 gives β̃_t.
    pub fn learned_log_variance(&self, v: f64, i: usize) -> f64 {
        v * self.betas[i].ln() + (1.0 - v) * self.posterior_log_variance_clipped[i]
    }

    /// log σ_t² of the reverse process p(x_{t−1} | x_t) (both fixed choices use β̃_2 at t = 1);
    /// `v` is the network's interpolation weight, read only when `var` is `Learned`.
    pub fn model_log_variance(&self, var: ReverseVariance, i: usize, v: f64) -> f64 {
        match var {
            ReverseVariance::Learned => self.learned_log_variance(v, i),
            ReverseVariance::BetaTilde => self.posterior_log_variance_clipped[i],
            ReverseVariance::Beta if i == 0 => {
                self.posterior_variance[1.min(self.steps() - 1)].ln()
            }
            ReverseVariance::Beta => self.betas[i].ln(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand computation, T = 3 with β = (0.1, 0.2, 0.3):
    ///   α = (0.9, 0.8, 0.7), ᾱ = (0.9, 0.72, 0.504), ᾱ_prev = (1, 0.9, 0.72).
    ///   t = 2 (i = 1): c1 = β_2 √ᾱ_1 / (1 − ᾱ_2) = 0.2 · √0.9 / 0.28 = 0.6776309271789…
    ///                  c2 = (1 − ᾱ_1) √α_2 / (1 − ᾱ_2) = 0.1 · √0.8 / 0.28 = 0.3194382824999…
    ///                  β̃_2 = β_2 (1 − ᾱ_1) / (1 − ᾱ_2) = 0.2 · 0.1 / 0.28 = 0.0714285714285…
    ///   With x_0 = 0.5, x_t = −0.3: mean = 0.5 c1 − 0.3 c2 = 0.3388154635894 − 0.0958314847500
    ///                                    = 0.2429839788394…
    ///   t = 3 (i = 2): β̃_3 = 0.3 · (1 − 0.72) / (1 − 0.504) = 0.084 / 0.496 = 0.1693548387096…
    ///   t = 1 (i = 0): β̃_1 = 0 (x_0 is known), c1 = 1, c2 = 0; clipped log-variance = ln β̃_2.
    #[test]
    fn posterior_matches_hand_computation() {
        let s = Schedule::from_betas(vec![0.1, 0.2, 0.3]);
        assert!((s.alpha_bar[2] - 0.504).abs() < 1e-15);
        let (mean, var, logvar) = s.q_posterior(0.5, -0.3, 1);
        assert!(
            (s.posterior_mean_coef1[1] - 0.677_630_927_178_9).abs() < 1e-12,
            "{}",
            s.posterior_mean_coef1[1]
        );
        assert!(
            (s.posterior_mean_coef2[1] - 0.319_438_282_499_9).abs() < 1e-12,
            "{}",
            s.posterior_mean_coef2[1]
        );
        assert!((mean - 0.242_983_978_839_4).abs() < 1e-12, "{mean}");
        assert!((var - 0.071_428_571_428_571).abs() < 1e-14, "{var}");
        assert!((logvar - var.ln()).abs() < 1e-14);
        assert!((s.posterior_variance[2] - 0.169_354_838_709_677).abs() < 1e-14);
        assert_eq!(s.posterior_variance[0], 0.0);
        assert!(
            (s.posterior_mean_coef1[0] - 1.0).abs() < 1e-15
                && s.posterior_mean_coef2[0].abs() < 1e-15
        );
        assert_eq!(
            s.posterior_log_variance_clipped[0],
            s.posterior_log_variance_clipped[1]
        );
    }

    /// The posterior is the Gaussian conditional of the joint (x_{t−1}, x_t) given x_0:
    /// its mean, evaluated at x_t = √α_t x_{t−1}-consistent points, must reproduce Bayes' rule
    /// 1/β̃ = 1/(1 − ᾱ_{t−1}) + α_t/β_t for every t of a real schedule.
    #[test]
    fn posterior_precision_is_the_sum_of_precisions() {
        for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
            let s = Schedule::new(kind, 1000).unwrap();
            for i in 1..1000 {
                let prec = 1.0 / (1.0 - s.alpha_bar_prev[i]) + s.alphas[i] / s.betas[i];
                assert!(
                    (s.posterior_variance[i] * prec - 1.0).abs() < 1e-9,
                    "{kind:?} t={}",
                    i + 1
                );
            }
        }
    }

    /// Linear at T = 1000: β_1 = 1e-4, β_T = 0.02, ᾱ_T = Π(1 − β_t) ≈ 4.04e-5 (improved-diffusion
    /// prints 4.0358e-05). Cosine: ᾱ decreasing, β ≤ 0.999.
    #[test]
    fn schedules_have_their_published_end_points() {
        let s = Schedule::new(ScheduleKind::Linear, 1000).unwrap();
        assert!((s.betas[0] - 1e-4).abs() < 1e-15 && (s.betas[999] - 0.02).abs() < 1e-15);
        assert!(
            (s.alpha_bar[999] - 4.0358e-5).abs() < 1e-8,
            "{}",
            s.alpha_bar[999]
        );
        let s100 = Schedule::new(ScheduleKind::Linear, 100).unwrap();
        assert!((s100.betas[0] - 1e-3).abs() < 1e-15 && (s100.betas[99] - 0.2).abs() < 1e-15);
        let c = Schedule::new(ScheduleKind::Cosine, 1000).unwrap();
        assert!(c.alpha_bar.windows(2).all(|w| w[1] < w[0]));
        assert!(c.betas.iter().all(|&b| b > 0.0 && b <= 0.999));
        assert!(c.alpha_bar[999] < 1e-6);
        assert!(Schedule::new(ScheduleKind::Linear, 1).is_err());
    }

    /// v = 1 gives β_t and v = 0 gives β̃_t at every t ≥ 2 (hand schedule β = 0.1, 0.2, 0.3:
    /// β̃_2 = 0.2 · 0.1 / 0.28, β̃_3 = 0.084 / 0.496); v = ½ is their geometric mean.
    #[test]
    fn learned_variance_interpolates_between_beta_tilde_and_beta() {
        let s = Schedule::from_betas(vec![0.1, 0.2, 0.3]);
        for (i, beta_tilde) in [(1, 0.2 * 0.1 / 0.28), (2, 0.084 / 0.496)] {
            assert!((s.learned_log_variance(1.0, i).exp() - s.betas[i]).abs() < 1e-15);
            assert!((s.learned_log_variance(0.0, i).exp() - beta_tilde).abs() < 1e-15);
            let mid = s.learned_log_variance(0.5, i).exp();
            assert!((mid - (s.betas[i] * beta_tilde).sqrt()).abs() < 1e-15);
        }
        // t = 1: β̃_1 = 0, so v = 0 uses the clipped β̃_2.
        assert!((s.learned_log_variance(0.0, 0).exp() - 0.2 * 0.1 / 0.28).abs() < 1e-15);
    }

    /// The continuous-time limits agree with the discrete schedules at t = (i + 1)/T up to the
    /// O(1/T) difference between Σ β_j and ∫ β (0.05 in γ at t = 0.01 for the linear one), and
    /// γ' matches a central difference of γ.
    #[test]
    fn continuous_gamma_matches_the_discrete_schedule() {
        for kind in [ScheduleKind::Linear, ScheduleKind::Cosine] {
            let s = Schedule::new(kind, 1000).unwrap();
            for i in [9usize, 99, 499, 998] {
                let ab = s.alpha_bar[i];
                let discrete = ((1.0 - ab) / ab).ln();
                let cont = kind.gamma((i + 1) as f64 / 1000.0);
                assert!(
                    (discrete - cont).abs() < 0.1,
                    "{kind:?} i={i}: {discrete} vs {cont}"
                );
            }
            for t in [0.01, 0.3, 0.7, 0.95] {
                let h = 1e-6;
                let fd = (kind.gamma(t + h) - kind.gamma(t - h)) / (2.0 * h);
                assert!(
                    (fd / kind.gamma_dot(t) - 1.0).abs() < 1e-6,
                    "{kind:?} t={t}"
                );
            }
        }
    }

    #[test]
    fn x0_and_eps_predictions_invert_q_sample() {
        let s = Schedule::new(ScheduleKind::Cosine, 50).unwrap();
        let xt = s.q_sample(0.7, 20, -1.3);
        assert!((s.predict_x0(xt, 20, -1.3) - 0.7).abs() < 1e-12);
        assert!((s.eps_from_x0(xt, 20, 0.7) + 1.3).abs() < 1e-12);
    }
}

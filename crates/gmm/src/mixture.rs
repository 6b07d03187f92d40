//! A Gaussian mixture p(x) = sum_k w_k N(x; mu_k, Sigma_k) fitted by EM, in f64.
//!
//! Covariances are full (Sigma_k = L_k L_k^T by Cholesky) or diagonal; a variance floor is
//! added to every diagonal in the M-step (sklearn's `reg_covar`) so no component collapses
//! onto a point.

use genbench_core::seed::Rng;
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Covariance {
    #[default]
    Full,
    Diagonal,
}

/// One component: weight, mean and the lower Cholesky factor of its covariance (diagonal
/// covariances keep a diagonal factor).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Component {
    pub weight: f64,
    pub mean: DVector<f64>,
    pub chol: DMatrix<f64>,
    /// log |Sigma| = 2 sum log diag(L).
    pub log_det: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mixture {
    pub components: Vec<Component>,
    pub covariance: Covariance,
    pub variance_floor: f64,
}

/// Rows of a data matrix as f64 vectors.
pub type Points = [DVector<f64>];

impl Mixture {
    pub fn dim(&self) -> usize {
        self.components[0].mean.len()
    }

    /// Free parameters: (K-1) weights + K D means + K D(D+1)/2 (full) or K D (diagonal).
    pub fn num_params(&self) -> usize {
        let (k, d) = (self.components.len(), self.dim());
        let cov = match self.covariance {
            Covariance::Full => d * (d + 1) / 2,
            Covariance::Diagonal => d,
        };
        k - 1 + k * d + k * cov
    }

    /// log N(x; mu_k, Sigma_k) + log w_k for every component k.
    fn joint_log_probs(&self, x: &DVector<f64>) -> Vec<f64> {
        self.components
            .iter()
            .map(|c| {
                let diff = x - &c.mean;
                let y = c.chol.solve_lower_triangular(&diff).expect("Cholesky factor is invertible");
                c.weight.ln() - 0.5 * (x.len() as f64 * LN_2PI + c.log_det + y.norm_squared())
            })
            .collect()
    }

    /// log p(x) in nats.
    pub fn log_prob(&self, x: &DVector<f64>) -> f64 {
        log_sum_exp(&self.joint_log_probs(x))
    }

    /// log p(x) for every point, in parallel.
    pub fn log_probs(&self, xs: &Points) -> Vec<f64> {
        xs.par_iter().map(|x| self.log_prob(x)).collect()
    }

    /// k-means++ seeding: the first mean uniform over the points, each next one drawn with
    /// probability proportional to the squared distance to the nearest mean so far. Every
    /// covariance starts as the data's per-coordinate variance (diagonal), weights uniform.
    pub fn kmeans_plus_plus(xs: &Points, k: usize, covariance: Covariance, variance_floor: f64, rng: &mut Rng) -> Self {
        let mut means = vec![xs[rng.below(xs.len())].clone()];
        let mut nearest: Vec<f64> = xs.iter().map(|x| (x - &means[0]).norm_squared()).collect();
        while means.len() < k {
            let next = xs[rng.categorical(&nearest)].clone();
            for (d, x) in nearest.iter_mut().zip(xs) {
                *d = d.min((x - &next).norm_squared());
            }
            means.push(next);
        }
        let n = xs.len() as f64;
        let mean: DVector<f64> = xs.iter().fold(DVector::zeros(xs[0].len()), |a, x| a + x) / n;
        let var = xs.iter().fold(DVector::zeros(mean.len()), |a, x| a + (x - &mean).map(|v| v * v)) / n;
        let chol = DMatrix::from_diagonal(&var.map(|v| (v + variance_floor).sqrt()));
        let log_det = 2.0 * chol.diagonal().iter().map(|v| v.ln()).sum::<f64>();
        let components = means
            .into_iter()
            .map(|mean| Component { weight: 1.0 / k as f64, mean, chol: chol.clone(), log_det })
            .collect();
        Self { components, covariance, variance_floor }
    }

    /// One EM iteration on `xs`; returns the mean log-likelihood of `xs` under the mixture
    /// *before* the update (EM guarantees it never falls from one iteration to the next).
    ///
    /// E: r_nk = w_k N(x_n; mu_k, Sigma_k) / p(x_n).
    /// M: N_k = sum_n r_nk, w_k = N_k / N, mu_k = sum_n r_nk x_n / N_k,
    ///    Sigma_k = sum_n r_nk (x_n - mu_k)(x_n - mu_k)^T / N_k + floor I.
    /// A component left with N_k < 1e-6 N is moved to a random point (with the data's spread).
    pub fn em_step(&mut self, xs: &Points, rng: &mut Rng) -> f64 {
        let k = self.components.len();
        let d = self.dim();
        let (resp, log_px): (Vec<Vec<f64>>, Vec<f64>) = xs
            .par_iter()
            .map(|x| {
                let joint = self.joint_log_probs(x);
                let lse = log_sum_exp(&joint);
                (joint.iter().map(|j| (j - lse).exp()).collect(), lse)
            })
            .unzip();
        let n = xs.len() as f64;
        let mean_ll = log_px.iter().sum::<f64>() / n;
        let diagonal = self.covariance == Covariance::Diagonal;
        let stats: Vec<(f64, DVector<f64>, DMatrix<f64>)> = (0..k)
            .into_par_iter()
            .map(|j| {
                let nk: f64 = resp.iter().map(|r| r[j]).sum();
                let mu = xs.iter().zip(&resp).fold(DVector::zeros(d), |a, (x, r)| a + x * r[j]) / nk.max(1e-300);
                let cov = if diagonal {
                    let v = xs.iter().zip(&resp).fold(DVector::zeros(d), |a, (x, r)| a + (x - &mu).map(|t| t * t) * r[j]);
                    DMatrix::from_diagonal(&(v / nk.max(1e-300)))
                } else {
                    let mut s = DMatrix::zeros(d, d);
                    for (x, r) in xs.iter().zip(&resp) {
                        let diff = x - &mu;
                        s.ger(r[j], &diff, &diff, 1.0);
                    }
                    s / nk.max(1e-300)
                };
                (nk, mu, cov)
            })
            .collect();
        for (c, (nk, mu, mut cov)) in self.components.iter_mut().zip(stats) {
            if nk < 1e-6 * n {
                let fresh = xs[rng.below(xs.len())].clone();
                c.mean = fresh;
                c.weight = 1.0 / n;
                continue;
            }
            for i in 0..d {
                cov[(i, i)] += self.variance_floor;
            }
            let chol = cov.cholesky().expect("covariance + floor I is positive definite").l();
            c.log_det = 2.0 * chol.diagonal().iter().map(|v| v.ln()).sum::<f64>();
            c.chol = chol;
            c.mean = mu;
            c.weight = nk / n;
        }
        let total: f64 = self.components.iter().map(|c| c.weight).sum();
        for c in &mut self.components {
            c.weight /= total;
        }
        mean_ll
    }

    /// One draw: k ~ Categorical(w), x = mu_k + L_k z, z ~ N(0, I).
    pub fn sample(&self, rng: &mut Rng) -> DVector<f64> {
        let weights: Vec<f64> = self.components.iter().map(|c| c.weight).collect();
        let c = &self.components[rng.categorical(&weights)];
        let z = DVector::from_fn(c.mean.len(), |_, _| rng.normal());
        &c.mean + &c.chol * z
    }
}

/// A component from its weight, mean and lower Cholesky factor (log |Sigma| derived).
pub fn mixture_component(weight: f64, mean: DVector<f64>, chol: DMatrix<f64>) -> Component {
    let log_det = 2.0 * chol.diagonal().iter().map(|v| v.abs().ln()).sum::<f64>();
    Component { weight, mean, chol, log_det }
}

/// log sum_i exp(v_i), stable.
pub fn log_sum_exp(v: &[f64]) -> f64 {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

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

/// The form of every component's covariance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Covariance {
    /// Σ_k = L_k L_kᵀ with any lower-triangular Cholesky factor L_k.
    #[default]
    Full,
    /// Σ_k diagonal: the coordinates are independent within a component.
    Diagonal,
}

/// One component: weight, mean and the lower Cholesky factor of its covariance (diagonal
/// covariances keep a diagonal factor).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Component {
    /// Mixing weight w_k (the weights sum to 1).
    pub weight: f64,
    /// Mean μ_k, `[D]`.
    pub mean: DVector<f64>,
    /// Lower Cholesky factor L_k of Σ_k, `[D, D]`.
    pub chol: DMatrix<f64>,
    /// log |Sigma| = 2 sum log diag(L).
    pub log_det: f64,
}

/// A Gaussian mixture p(x) = Σ_k w_k N(x; μ_k, Σ_k), in f64.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mixture {
    /// The K components.
    pub components: Vec<Component>,
    /// Full or diagonal covariances.
    pub covariance: Covariance,
    /// Added to every covariance diagonal in the M-step (sklearn's `reg_covar`).
    pub variance_floor: f64,
}

impl Mixture {
    /// The dimension D of a point.
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

    /// log w_k + log N(x_n; mu_k, Sigma_k) for every point (row of `xs`, `[n, D]`) and
    /// component: an `[n, K]` matrix. With y = L_k^{-1} (x - mu_k):
    /// log N = -(D log 2 pi + log |Sigma_k| + |y|^2) / 2, computed as one product per component.
    pub fn joint_log_probs(&self, xs: &DMatrix<f64>) -> DMatrix<f64> {
        if self.covariance == Covariance::Diagonal {
            return self.joint_log_probs_diagonal(xs);
        }
        let (n, d) = xs.shape();
        let mut out = DMatrix::zeros(n, self.components.len());
        for (k, c) in self.components.iter().enumerate() {
            let inv = c
                .chol
                .clone()
                .solve_lower_triangular(&DMatrix::identity(d, d))
                .expect("Cholesky factor is invertible");
            let mut centred = xs.clone();
            for mut row in centred.row_iter_mut() {
                row -= c.mean.transpose();
            }
            let y = centred * inv.transpose(); // [n, D]
            let constant = c.weight.ln() - 0.5 * (d as f64 * LN_2PI + c.log_det);
            for (i, row) in y.row_iter().enumerate() {
                out[(i, k)] = constant - 0.5 * row.norm_squared();
            }
        }
        out
    }

    /// [`Self::joint_log_probs`] for diagonal factors in O(n K D) instead of O(n K D²) (a
    /// 784-D image costs 784 times less): y_nd = (x_nd − μ_kd) · (1 / L_k,dd), the very
    /// products the dense path forms (its other terms are exact zeros), squared and summed in
    /// the same order, so the numbers are the dense path's bit for bit. Points in parallel.
    fn joint_log_probs_diagonal(&self, xs: &DMatrix<f64>) -> DMatrix<f64> {
        let (n, d) = xs.shape();
        let k = self.components.len();
        let inv_sd: Vec<Vec<f64>> = self
            .components
            .iter()
            .map(|c| (0..d).map(|j| 1.0 / c.chol[(j, j)]).collect())
            .collect();
        let constants: Vec<f64> = self
            .components
            .iter()
            .map(|c| c.weight.ln() - 0.5 * (d as f64 * LN_2PI + c.log_det))
            .collect();
        // [n, K] row-major while computing (one point's K values together), then transposed.
        let mut rows = vec![0.0; n * k];
        rows.par_chunks_mut(k).enumerate().for_each(|(i, out)| {
            for (c, comp) in self.components.iter().enumerate() {
                let mut sq = 0.0;
                for j in 0..d {
                    let y = (xs[(i, j)] - comp.mean[j]) * inv_sd[c][j];
                    sq += y * y;
                }
                out[c] = constants[c] - 0.5 * sq;
            }
        });
        DMatrix::from_row_slice(n, k, &rows)
    }

    /// log p(x) in nats for one point.
    pub fn log_prob(&self, x: &DVector<f64>) -> f64 {
        self.log_probs(&DMatrix::from_row_slice(1, x.len(), x.as_slice()))[0]
    }

    /// log p(x) for every row of `xs` (`[n, D]`).
    pub fn log_probs(&self, xs: &DMatrix<f64>) -> Vec<f64> {
        let joint = self.joint_log_probs(xs);
        joint
            .row_iter()
            .map(|r| log_sum_exp(r.transpose().as_slice()))
            .collect()
    }

    /// k-means++ seeding: the first mean uniform over the points, each next one drawn with
    /// probability proportional to the squared distance to the nearest mean so far. Every
    /// covariance starts as the data's per-coordinate variance (diagonal), weights uniform.
    pub fn kmeans_plus_plus(
        xs: &DMatrix<f64>,
        k: usize,
        covariance: Covariance,
        variance_floor: f64,
        rng: &mut Rng,
    ) -> Self {
        let (n, d) = xs.shape();
        let point = |i: usize| xs.row(i).transpose();
        let mut means = vec![point(rng.below(n))];
        let mut nearest: Vec<f64> = (0..n)
            .map(|i| (point(i) - &means[0]).norm_squared())
            .collect();
        while means.len() < k {
            let next = point(rng.categorical(&nearest));
            for (i, dist) in nearest.iter_mut().enumerate() {
                *dist = dist.min((point(i) - &next).norm_squared());
            }
            means.push(next);
        }
        let mean: DVector<f64> = xs.row_mean().transpose();
        let var = DVector::from_fn(d, |j, _| {
            xs.column(j)
                .iter()
                .map(|v| (v - mean[j]).powi(2))
                .sum::<f64>()
                / n as f64
        });
        let chol = DMatrix::from_diagonal(&var.map(|v| (v + variance_floor).sqrt()));
        let log_det = 2.0 * chol.diagonal().iter().map(|v| v.ln()).sum::<f64>();
        let components = means
            .into_iter()
            .map(|mean| Component {
                weight: 1.0 / k as f64,
                mean,
                chol: chol.clone(),
                log_det,
            })
            .collect();
        Self {
            components,
            covariance,
            variance_floor,
        }
    }

    /// One EM iteration on the rows of `xs` (`[n, D]`); returns the mean log-likelihood of
    /// `xs` under the mixture *before* the update (EM never lowers it from one iteration to
    /// the next).
    ///
    /// E: r_nk = w_k N(x_n; mu_k, Sigma_k) / p(x_n).
    /// M: N_k = sum_n r_nk, w_k = N_k / N, mu_k = X^T r_k / N_k,
    ///    Sigma_k = (X - mu_k)^T diag(r_k) (X - mu_k) / N_k + floor I.
    /// A component left with N_k < 1e-6 N is moved to a random point (its covariance kept).
    pub fn em_step(&mut self, xs: &DMatrix<f64>, rng: &mut Rng) -> f64 {
        let (n, d) = xs.shape();
        let mut resp = self.joint_log_probs(xs); // [n, K]
        let mut total_ll = 0.0;
        for mut row in resp.row_iter_mut() {
            let lse = log_sum_exp(row.transpose().as_slice());
            total_ll += lse;
            row.apply(|v| *v = (*v - lse).exp());
        }
        let diagonal = self.covariance == Covariance::Diagonal;
        let updates: Vec<(f64, DVector<f64>, DMatrix<f64>)> = (0..self.components.len())
            .into_par_iter()
            .map(|k| {
                let r = resp.column(k);
                let nk = r.sum();
                let mu = xs.tr_mul(&r) / nk.max(1e-300); // [D]
                if diagonal {
                    // Σ_n r_nk (x_nj − μ_kj)², column by column, without an [n, D] copy.
                    let v = DVector::from_fn(d, |j, _| {
                        xs.column(j)
                            .iter()
                            .zip(r.iter())
                            .map(|(x, w)| {
                                let c = x - mu[j];
                                w * c * c
                            })
                            .sum::<f64>()
                    });
                    return (nk, mu, DMatrix::from_diagonal(&(v / nk.max(1e-300))));
                }
                let mut centred = xs.clone();
                for mut row in centred.row_iter_mut() {
                    row -= mu.transpose();
                }
                let mut weighted = centred.clone();
                for (mut row, w) in weighted.row_iter_mut().zip(r.iter()) {
                    row *= *w;
                }
                (nk, mu, centred.tr_mul(&weighted) / nk.max(1e-300)) // Σ_k: [D, D]
            })
            .collect();
        for (c, (nk, mu, mut cov)) in self.components.iter_mut().zip(updates) {
            if nk < 1e-6 * n as f64 {
                c.mean = xs.row(rng.below(n)).transpose();
                c.weight = 1.0 / n as f64;
                continue;
            }
            for i in 0..d {
                cov[(i, i)] += self.variance_floor;
            }
            let chol = if diagonal {
                // The Cholesky factor of a diagonal matrix is its square root (O(D), not O(D³)).
                DMatrix::from_diagonal(&cov.diagonal().map(f64::sqrt))
            } else {
                cov.cholesky()
                    .expect("covariance + floor I is positive definite")
                    .l()
            };
            c.log_det = 2.0 * chol.diagonal().iter().map(|v| v.ln()).sum::<f64>();
            c.chol = chol;
            c.mean = mu;
            c.weight = nk / n as f64;
        }
        let total: f64 = self.components.iter().map(|c| c.weight).sum();
        for c in &mut self.components {
            c.weight /= total;
        }
        total_ll / n as f64
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
    Component {
        weight,
        mean,
        chol,
        log_det,
    }
}

/// log sum_i exp(v_i), stable.
pub fn log_sum_exp(v: &[f64]) -> f64 {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

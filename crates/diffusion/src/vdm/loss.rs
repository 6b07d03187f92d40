//! The three terms of VDM's bound (Kingma et al. 2021, eq. 11–17; google-research/vdm's
//! `VDM.__call__`), per example in nats, with α_t² = sigmoid(−γ_t), σ_t² = sigmoid(γ_t):
//!
//! - prior:          KL(q(z_1 | x) ‖ N(0, I)) = ½ Σ_i (α_1² x_i² + σ_1² − log σ_1² − 1);
//! - reconstruction: −log p(x | z_0) with z_0/α_0 = x + e^{γ_0/2} ε_0. On images a categorical
//!   over the L levels x_k with logits −½ (z_0/α_0 − x_k)² e^{−γ_0} (exact when the dimensions
//!   are independent given z_0); on continuous data the Gaussian N(x; z_0/α_0, e^{γ_0});
//! - diffusion:      continuous time ½ γ'(t) ‖ε − ε̂(z_t; t)‖² with t ~ U(0, 1), or with T steps
//!   ½ T (e^{γ_t − γ_s} − 1) ‖ε − ε̂‖², s = t − 1/T, t on the grid {1/T, …, 1}.

use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use genbench_core::host;
use std::f64::consts::PI;

/// ½ γ'(t) ‖ε − ε̂‖²: `gamma_dot` [n, 1], `sq_err` = ‖ε − ε̂‖² [n, 1] -> [n, 1].
pub fn diffusion_continuous(gamma_dot: Tensor<2>, sq_err: Tensor<2>) -> Tensor<2> {
    (gamma_dot * sq_err).mul_scalar(0.5)
}

/// ½ T (e^{γ_t − γ_s} − 1) ‖ε − ε̂‖²: `gamma_t`, `gamma_s`, `sq_err` [n, 1] -> [n, 1].
pub fn diffusion_discrete(
    gamma_t: Tensor<2>,
    gamma_s: Tensor<2>,
    sq_err: Tensor<2>,
    steps: usize,
) -> Tensor<2> {
    ((gamma_t - gamma_s).exp().sub_scalar(1.0) * sq_err).mul_scalar(0.5 * steps as f64)
}

/// KL(q(z_1 | x) ‖ N(0, I)): `x` [n, d], `gamma_1` [1, 1] -> [n, 1].
pub fn prior_kl(x: Tensor<2>, gamma_1: Tensor<2>) -> Tensor<2> {
    let [n, d] = x.dims();
    let alpha2 = gamma_1.exp().add_scalar(1.0).recip(); // sigmoid(−γ_1) = 1/(1 + e^γ_1) [1, 1]
    let sigma2 = alpha2.clone().neg().add_scalar(1.0); // sigmoid(γ_1) [1, 1]
    let per_dim = sigma2.clone() - sigma2.log() - Tensor::ones([1, 1], &x.device()); // [1, 1]
    (x.powf_scalar(2.0) * alpha2.expand([n, d]))
        .sum_dim(1)
        .mul_scalar(0.5)
        + per_dim.mul_scalar(0.5 * d as f64).expand([n, 1]) // [n, 1]
}

/// −log p(x | z_0): `x` model-space values (n · d, on the levels when `levels` is given),
/// `z0_rescaled` = z_0/α_0 [n, d], `gamma_0` [1, 1] -> [n, 1].
pub fn reconstruction_nll(
    x: &[f32],
    z0_rescaled: Tensor<2>,
    gamma_0: Tensor<2>,
    levels: Option<u32>,
) -> Tensor<2> {
    let [n, d] = z0_rescaled.dims();
    let device = z0_rescaled.device();
    let inv_var = gamma_0.clone().neg().exp(); // e^{−γ_0} [1, 1]
    match levels {
        Some(l) => {
            let l = l as usize;
            let values: Vec<f32> = (0..l)
                .map(|k| 2.0 * k as f32 / (l - 1) as f32 - 1.0)
                .collect();
            let values = host::tensor(values, [1, 1, l], &device);
            let z = z0_rescaled.reshape([n, d, 1]).expand([n, d, l]); // [n, d, L]
            let logits = (z - values.expand([n, d, l]))
                .powf_scalar(2.0)
                .mul(inv_var.reshape([1, 1, 1]).expand([n, d, l]))
                .mul_scalar(-0.5); // [n, d, L]
            let log_probs = log_softmax(logits, 2); // [n, d, L]
            let one_hot: Vec<f32> = x
                .iter()
                .flat_map(|&v| {
                    let k = ((v as f64 + 1.0) * (l - 1) as f64 / 2.0).round() as usize;
                    (0..l).map(move |j| if j == k { 1.0 } else { 0.0 })
                })
                .collect();
            let one_hot = host::tensor(one_hot, [n, d, l], &device);
            (log_probs * one_hot)
                .sum_dim(2)
                .reshape([n, d])
                .sum_dim(1)
                .neg() // [n, 1]
        }
        None => {
            let xt = host::tensor(x.to_vec(), [n, d], &device);
            let sq = (xt - z0_rescaled).powf_scalar(2.0) * inv_var.expand([n, d]); // [n, d]
            (sq + gamma_0.expand([n, d]))
                .add_scalar((2.0 * PI).ln())
                .sum_dim(1)
                .mul_scalar(0.5) // [n, 1]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genbench_core::DeviceChoice;

    fn t2(v: &[f32], n: usize, d: usize, dev: &Device) -> Tensor<2> {
        host::tensor(v.to_vec(), [n, d], dev)
    }

    fn scalar(t: Tensor<2>) -> f64 {
        t.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap()[0] as f64
    }

    /// One example, D = 2, hand-computed (python, float64):
    /// - ε = (1, −½), ε̂ = (½, 0): ‖ε − ε̂‖² = ½; continuous with γ' = 10: ½ · 10 · ½ = 2.5;
    ///   T = 10 with γ_t = 1, γ_s = ½: ½ · 10 · (e^{½} − 1) · ½ = 1.6218031767503205;
    /// - prior, x = (1, 0), γ_1 = 5: ½ (α_1² · 1 + 2 (σ_1² − log σ_1² − 1)) = 0.0033689230269757786;
    /// - reconstruction, L = 3 levels (−1, 0, 1), x = (1, 0), z_0/α_0 = (0.8, 0.1),
    ///   γ_0 = log ¼: −log softmax(−2 (1.8², 0.8², 0.2²))_2 − log softmax(−2 (1.1², 0.1², 0.9²))_1
    ///   = 0.5212254899461515; as a Gaussian: Σ ½ (log 2π + γ_0 + 4 (x − z)²) = 0.5515827052894547.
    #[test]
    fn terms_match_a_hand_computation() {
        let dev = DeviceChoice::Flex.device().unwrap();
        let eps = t2(&[1.0, -0.5], 1, 2, &dev);
        let eps_hat = t2(&[0.5, 0.0], 1, 2, &dev);
        let sq = (eps - eps_hat).powf_scalar(2.0).sum_dim(1);
        let cont = diffusion_continuous(t2(&[10.0], 1, 1, &dev), sq.clone());
        assert!((scalar(cont) - 2.5).abs() < 1e-6);
        let disc = diffusion_discrete(t2(&[1.0], 1, 1, &dev), t2(&[0.5], 1, 1, &dev), sq, 10);
        assert!((scalar(disc) - 1.621_803_176_750_320_5).abs() < 1e-5);
        let x = t2(&[1.0, 0.0], 1, 2, &dev);
        let prior = prior_kl(x, t2(&[5.0], 1, 1, &dev));
        assert!((scalar(prior) - 0.003_368_923_026_975_778_6).abs() < 1e-6);
        let z = t2(&[0.8, 0.1], 1, 2, &dev);
        let g0 = t2(&[0.25f32.ln()], 1, 1, &dev);
        let recon = reconstruction_nll(&[1.0, 0.0], z.clone(), g0.clone(), Some(3));
        assert!((scalar(recon) - 0.521_225_489_946_151_5).abs() < 1e-5);
        let gauss = reconstruction_nll(&[1.0, 0.0], z, g0, None);
        assert!((scalar(gauss) - 0.551_582_705_289_454_7).abs() < 1e-5);
    }
}

//! VDM's learned noise schedule γ_η(t) = log(σ_t² / α_t²) = −log SNR(t) (Kingma et al. 2021,
//! §4 and google-research/vdm's `NoiseSchedule_NNet`): a monotone network whose weights are
//! used through |·| (every weight positive, sigmoid increasing, so γ̃ increases in t),
//!
//!   γ̃(t) = |w₁| t + (1/H) Σ_k |w₃,k| · 2 (sigmoid(|w₂,k| (2t − 1) + b₂,k) − ½),
//!
//! rescaled between two learned endpoints (the paper's γ_0 and γ_1, here γ_1 = γ_0 + e^ρ so
//! γ_1 > γ_0 always):
//!
//!   γ(t) = γ_0 + (γ_1 − γ_0) (γ̃(t) − γ̃(0)) / (γ̃(1) − γ̃(0)),
//!
//! and its time derivative in closed form (for the continuous-time loss, which needs γ'(t) and
//! its gradient with respect to η):
//!
//!   γ̃'(t) = |w₁| + (1/H) Σ_k |w₃,k| · 4 s_k (1 − s_k) |w₂,k|,  s_k = sigmoid(|w₂,k| (2t − 1) + b₂,k),
//!   γ'(t) = (γ_1 − γ_0) γ̃'(t) / (γ̃(1) − γ̃(0)) > 0.

use burn::module::Param;
use burn::nn::Initializer;
use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use genbench_core::host;

/// VDM's learned schedule γ_η(t) (see the module documentation).
#[derive(Config, Debug)]
pub struct GammaConfig {
    /// γ(0) at initialisation (VDM: −13.3).
    pub gamma_min: f64,
    /// γ(1) at initialisation (VDM: 5).
    pub gamma_max: f64,
    /// Hidden width H (VDM: 1024).
    #[config(default = 1024)]
    pub hidden: usize,
    /// Standard deviation of w₂ and w₃ at initialisation (VDM: small, so γ starts nearly
    /// linear; tests use a large one for a curved schedule).
    #[config(default = 0.01)]
    pub init_std: f64,
}

/// The monotone network γ_η(t) [`GammaConfig`] describes.
#[derive(Module, Debug)]
pub struct Gamma {
    /// w₁: [1, 1].
    w1: Param<Tensor<2>>,
    /// w₂: [1, H], b₂: [1, H].
    w2: Param<Tensor<2>>,
    b2: Param<Tensor<2>>,
    /// w₃: [H, 1].
    w3: Param<Tensor<2>>,
    /// γ_0: [1, 1].
    gamma_0: Param<Tensor<2>>,
    /// ρ = log(γ_1 − γ_0): [1, 1].
    log_range: Param<Tensor<2>>,
}

impl GammaConfig {
    /// The network, initialised on `device` with γ(0) = `gamma_min` and γ(1) = `gamma_max`.
    pub fn init(&self, device: &Device) -> Gamma {
        let h = self.hidden;
        let small = Initializer::Normal {
            mean: 0.0,
            std: self.init_std,
        };
        Gamma {
            w1: Initializer::Constant { value: 1.0 }.init([1, 1], device),
            w2: small.init([1, h], device),
            b2: Initializer::Zeros.init([1, h], device),
            w3: small.init([h, 1], device),
            gamma_0: Initializer::Constant {
                value: self.gamma_min,
            }
            .init([1, 1], device),
            log_range: Initializer::Constant {
                value: (self.gamma_max - self.gamma_min).ln(),
            }
            .init([1, 1], device),
        }
    }
}

impl Gamma {
    /// γ̃ and γ̃' at each t: `t` [n, 1] -> ([n, 1], [n, 1]).
    fn raw(&self, t: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let hidden = self.w2.val().dims()[1] as f64;
        let (w1, w2, w3) = (
            self.w1.val().abs(),
            self.w2.val().abs(),
            self.w3.val().abs(),
        );
        let h = t.clone().mul_scalar(2.0).sub_scalar(1.0).matmul(w2.clone()) + self.b2.val(); // [n, H]
        let s = sigmoid(h); // [n, H]
        let value = t.matmul(w1.clone())
            + s.clone()
                .sub_scalar(0.5)
                .mul_scalar(2.0)
                .matmul(w3.clone())
                .div_scalar(hidden); // [n, 1]
        let slope = (s.clone() * s.neg().add_scalar(1.0)).mul_scalar(4.0) * w2; // [n, H]
        let derivative = slope.matmul(w3).div_scalar(hidden) + w1; // [n, 1]
        (value, derivative)
    }

    /// γ(t) and γ'(t): `t` [n, 1] on [0, 1] -> ([n, 1], [n, 1]).
    pub fn forward(&self, t: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let n = t.dims()[0];
        let device = t.device();
        let ends: Tensor<2> = host::tensor(vec![0.0f32, 1.0], [2, 1], &device);
        let (value, derivative) = self.raw(Tensor::cat(vec![t, ends], 0)); // [n + 2, 1]
        let g0 = value.clone().slice([n..n + 1, 0..1]); // [1, 1]
        let g1 = value.clone().slice([n + 1..n + 2, 0..1]); // [1, 1]
        let scale = self.log_range.val().exp() / (g1 - g0.clone()); // [1, 1]
        let gamma = (value.slice([0..n, 0..1]) - g0) * scale.clone() + self.gamma_0.val(); // [n, 1]
        let gamma_dot = derivative.slice([0..n, 0..1]) * scale; // [n, 1]
        (gamma, gamma_dot)
    }

    /// γ(t) and γ'(t) on the host for the times `t`.
    pub fn eval(&self, t: &[f64]) -> anyhow::Result<(Vec<f64>, Vec<f64>)> {
        let device = self.w1.val().device();
        let n = t.len();
        let tt: Tensor<2> = host::tensor(t.iter().map(|&v| v as f32).collect(), [n, 1], &device);
        let (g, gd) = self.forward(tt);
        Ok((host::floats_f64(g), host::floats_f64(gd)))
    }

    /// γ(t) and γ'(t) at one time (the probability-flow ODE's view of the schedule).
    pub fn at(&self, t: f64) -> anyhow::Result<(f64, f64)> {
        let (g, gd) = self.eval(&[t])?;
        Ok((g[0], gd[0]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use genbench_core::DeviceChoice;

    /// At initialisation γ runs from gamma_min to gamma_max, increases, and its closed-form
    /// derivative matches a central difference.
    #[test]
    fn gamma_hits_its_endpoints_and_its_derivative_is_right() {
        let device = DeviceChoice::Flex.device().unwrap();
        let g = GammaConfig::new(-13.3, 5.0).with_hidden(16).init(&device);
        let t: Vec<f64> = (0..=20).map(|k| k as f64 / 20.0).collect();
        let (gamma, gamma_dot) = g.eval(&t).unwrap();
        assert!((gamma[0] + 13.3).abs() < 1e-4 && (gamma[20] - 5.0).abs() < 1e-4);
        assert!(gamma.windows(2).all(|w| w[1] > w[0]));
        let h = 1e-2;
        let (ends, _) = g.eval(&[0.5 - h, 0.5 + h]).unwrap();
        let fd = (ends[1] - ends[0]) / (2.0 * h);
        assert!(
            (fd / gamma_dot[10] - 1.0).abs() < 1e-3,
            "{fd} vs {}",
            gamma_dot[10]
        );
    }
}

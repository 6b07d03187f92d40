//! The vector flow: act-norm and affine coupling layers whose conditioners are small MLPs, with
//! an optional fixed orthogonal mixing between couplings.
//!
//! Why mix: with coordinate masks alone, data whose coordinates are independent (25gaussians, a
//! grid) is a saddle point of the zero-initialised flow: the conditioner of x1 given x0 sees the
//! same multimodal marginal at every x0, and an affine map of x1 cannot Gaussianize it, so the
//! expected gradient is zero. A fixed rotation after each coupling (|det| = 1, log-det 0) makes
//! the next coupling's two halves dependent.

use crate::actnorm::{ActNorm, ActNormConfig};
use crate::coupling::{MaskKind, affine_forward, affine_inverse, masked_scale_shift};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::silu;
use genbench_core::host;
use genbench_core::seed::Rng;

/// The fixed orthogonal `[D, D]` matrix after coupling `layer`: Gram-Schmidt of a normal matrix
/// drawn from a seed that depends only on the layer index (so the config alone defines it).
pub fn mixing_matrix(dim: usize, layer: usize) -> Vec<f64> {
    let mut rng = Rng::new(0x6d69_7869_6e67 ^ layer as u64);
    let mut q: Vec<Vec<f64>> = Vec::with_capacity(dim);
    while q.len() < dim {
        let mut v: Vec<f64> = (0..dim).map(|_| rng.normal()).collect();
        for u in &q {
            let dot: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(a, b)| *a -= dot * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            q.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    q.into_iter().flatten().collect()
}

/// A coupling layer on `[n, dim]` vectors.
#[derive(Config, Debug)]
pub struct MlpCouplingConfig {
    /// Dimensions D of the vectors.
    pub dim: usize,
    /// Width of the conditioner's hidden layers.
    pub hidden: usize,
    /// Hidden layers of the conditioner.
    pub hidden_layers: usize,
    /// Classes of the label the conditioner sees (0: unconditional).
    pub classes: usize,
    /// Which half passes through: the first when false.
    pub parity: bool,
    /// c of the log-scale clamp s = c · tanh(s_raw / c).
    pub scale_clamp: f64,
}

/// Conditioner: m*x -> [Linear -> SiLU] x hidden_layers -> Linear (zero-initialised) -> (s_raw, t).
/// The label enters as a learned embedding added to the first hidden layer.
#[derive(Module, Debug)]
pub struct MlpCoupling {
    input: Linear,
    label: Option<Linear>,
    hidden: Vec<Linear>,
    output: Linear,
    dim: usize,
    parity: bool,
    scale_clamp: f64,
}

impl MlpCouplingConfig {
    /// The coupling, initialised on `device` as the identity (zero output layer).
    pub fn init(&self, device: &Device) -> MlpCoupling {
        MlpCoupling {
            input: LinearConfig::new(self.dim, self.hidden).init(device),
            label: (self.classes > 0).then(|| {
                LinearConfig::new(self.classes, self.hidden)
                    .with_bias(false)
                    .init(device)
            }),
            hidden: (1..self.hidden_layers)
                .map(|_| LinearConfig::new(self.hidden, self.hidden).init(device))
                .collect(),
            // Zero weights and bias: s = t = 0, so the layer starts as the identity.
            output: LinearConfig::new(self.hidden, 2 * self.dim)
                .with_initializer(Initializer::Zeros)
                .init(device),
            dim: self.dim,
            parity: self.parity,
            scale_clamp: self.scale_clamp,
        }
    }
}

impl MlpCoupling {
    fn mask(&self, device: &Device) -> Tensor<2> {
        MaskKind::Halves {
            parity: self.parity,
        }
        .vector(self.dim, device) // [1, D]
    }

    /// (s, t), each `[n, D]`, from the passed-through part of `x`.
    fn scale_shift(
        &self,
        x: &Tensor<2>,
        mask: &Tensor<2>,
        cond: Option<&Tensor<2>>,
    ) -> (Tensor<2>, Tensor<2>) {
        let mut h = self.input.forward(x.clone() * mask.clone()); // [n, hidden]
        if let (Some(label), Some(c)) = (&self.label, cond) {
            h = h + label.forward(c.clone()); // [n, hidden]
        }
        let mut h = silu(h); // [n, hidden]
        for layer in &self.hidden {
            h = silu(layer.forward(h)); // [n, hidden]
        }
        let out = self.output.forward(h); // [n, 2D]
        let s_raw = out.clone().narrow(1, 0, self.dim); // [n, D]
        let t = out.narrow(1, self.dim, self.dim); // [n, D]
        masked_scale_shift(s_raw, t, mask.clone(), self.scale_clamp)
    }

    /// y and log|det dy/dx| (`[n]`).
    pub fn forward(&self, x: Tensor<2>, cond: Option<&Tensor<2>>) -> (Tensor<2>, Tensor<1>) {
        let mask = self.mask(&x.device());
        let (s, t) = self.scale_shift(&x, &mask, cond); // [n, D] each
        affine_forward(x, s, t)
    }

    /// x = f⁻¹(y), `[n, D]`.
    pub fn inverse(&self, y: Tensor<2>, cond: Option<&Tensor<2>>) -> Tensor<2> {
        let mask = self.mask(&y.device());
        let (s, t) = self.scale_shift(&y, &mask, cond); // [n, D] each
        affine_inverse(y, s, t)
    }
}

/// RealNVP on vectors: [act-norm -> coupling -> rotation] x couplings (no rotation after the last).
#[derive(Config, Debug)]
pub struct VectorFlowConfig {
    /// Dimensions D of the vectors.
    pub dim: usize,
    /// Coupling layers.
    pub couplings: usize,
    /// Width of every conditioner's hidden layers.
    pub hidden: usize,
    /// Hidden layers of every conditioner.
    pub hidden_layers: usize,
    /// Classes of the label (0: unconditional).
    pub classes: usize,
    /// c of the log-scale clamp s = c · tanh(s_raw / c).
    pub scale_clamp: f64,
    /// A fixed rotation after every coupling but the last.
    pub mixing: bool,
}

/// The vector flow [`VectorFlowConfig`] describes.
#[derive(Module, Debug)]
pub struct VectorFlow {
    norms: Vec<ActNorm>,
    couplings: Vec<MlpCoupling>,
    dim: usize,
    mixing: bool,
}

impl VectorFlowConfig {
    /// The flow, initialised on `device` (every coupling the identity).
    pub fn init(&self, device: &Device) -> VectorFlow {
        VectorFlow {
            norms: (0..self.couplings)
                .map(|_| ActNormConfig::new(self.dim).init(device))
                .collect(),
            couplings: (0..self.couplings)
                .map(|i| {
                    MlpCouplingConfig::new(
                        self.dim,
                        self.hidden,
                        self.hidden_layers,
                        self.classes,
                        i % 2 == 1,
                        self.scale_clamp,
                    )
                    .init(device)
                })
                .collect(),
            dim: self.dim,
            mixing: self.mixing,
        }
    }
}

impl VectorFlow {
    /// The rotation Q after coupling `layer` as a `[D, D]` tensor, transposed when `transpose`;
    /// `None` where there is none (no mixing, or the last coupling).
    fn mixing(&self, layer: usize, transpose: bool, device: &Device) -> Option<Tensor<2>> {
        if !self.mixing || layer + 1 >= self.couplings.len() {
            return None;
        }
        let q = mixing_matrix(self.dim, layer);
        let d = self.dim;
        let values: Vec<f32> = (0..d * d).map(|k| if transpose { q[(k % d) * d + k / d] } else { q[k] } as f32).collect();
        Some(host::tensor(values, [d, d], device))
    }

    /// z = f(x) and log|det df/dx| (`[n]`).
    pub fn forward(&self, x: Tensor<2>, cond: Option<&Tensor<2>>) -> (Tensor<2>, Tensor<1>) {
        let n = x.dims()[0];
        let mut log_det = Tensor::zeros([n], &x.device()); // [n]
        let mut h = x; // [n, D]
        for (i, (norm, coupling)) in self.norms.iter().zip(&self.couplings).enumerate() {
            let (a, ld) = norm.forward(h); // [n, D], [1]
            let (b, lc) = coupling.forward(a, cond); // [n, D], [n]
            log_det = log_det + ld + lc;
            // Rows times Q^T: each row rotated by Q (log-det 0).
            h = match self.mixing(i, true, &b.device()) {
                Some(qt) => b.matmul(qt), // [n, D]
                None => b,
            };
        }
        (h, log_det)
    }

    /// x = f^{-1}(z): the layers undone in reverse order.
    pub fn inverse(&self, z: Tensor<2>, cond: Option<&Tensor<2>>) -> Tensor<2> {
        let mut h = z; // [n, D]
        for (i, (norm, coupling)) in self.norms.iter().zip(&self.couplings).enumerate().rev() {
            if let Some(q) = self.mixing(i, false, &h.device()) {
                h = h.matmul(q); // [n, D]: Q^{-T} = Q
            }
            h = norm.inverse(coupling.inverse(h, cond)); // [n, D]
        }
        h
    }

    /// Act-norm statistics layer by layer from `x` (each norm sees what the layers before it output).
    pub fn initialise(&mut self, x: Tensor<2>, cond: Option<&Tensor<2>>) {
        let mut h = x; // [n, D]
        for i in 0..self.couplings.len() {
            self.norms[i].initialise(&h);
            let b = self.couplings[i]
                .forward(self.norms[i].forward(h).0, cond)
                .0; // [n, D]
            h = match self.mixing(i, true, &b.device()) {
                Some(qt) => b.matmul(qt),
                None => b,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::mixing_matrix;

    #[test]
    fn mixing_matrices_are_orthogonal_and_differ_by_layer() {
        for d in [2, 5] {
            let q = mixing_matrix(d, 3);
            for i in 0..d {
                for j in 0..d {
                    let dot: f64 = (0..d).map(|k| q[i * d + k] * q[j * d + k]).sum();
                    assert!(
                        (dot - f64::from(u8::from(i == j))).abs() < 1e-12,
                        "Q Q^T [{i}][{j}] = {dot}"
                    );
                }
            }
        }
        assert_ne!(mixing_matrix(2, 0), mixing_matrix(2, 1));
    }
}

//! The conditioning signal every denoiser block receives: a sinusoidal embedding of the
//! timestep (Vaswani et al. 2017, as in DDPM) through a small MLP, plus a learned class
//! embedding when the model is conditional (index `num_classes` is the null class ∅ of
//! classifier-free guidance).

use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::silu;

/// Sinusoidal features of timesteps on the host, row-major `[n, dim]` (dim even):
/// `[cos(s f_0) … cos(s f_{h−1}), sin(s f_0) … sin(s f_{h−1})]` with h = dim/2,
/// f_k = 10000^{−k/h} and s = 1000 t / T (the time rescaled to the usual 0..1000 range).
pub fn sinusoidal_features(t: &[usize], steps: usize, dim: usize) -> Vec<f32> {
    let s: Vec<f64> = t
        .iter()
        .map(|&ti| ti as f64 * 1000.0 / steps as f64)
        .collect();
    sinusoidal_features_at(&s, dim)
}

/// The same features at real-valued times `s` already on the 0..1000 scale (continuous-time
/// models and the probability-flow ODE between the discrete steps).
pub fn sinusoidal_features_at(s: &[f64], dim: usize) -> Vec<f32> {
    let half = dim / 2;
    let mut out = Vec::with_capacity(s.len() * dim);
    for &s in s {
        let freqs = (0..half).map(|k| (-(10000f64.ln()) * k as f64 / half as f64).exp());
        let args: Vec<f64> = freqs.map(|f| s * f).collect();
        out.extend(args.iter().map(|a| a.cos() as f32));
        out.extend(args.iter().map(|a| a.sin() as f32));
    }
    out
}

/// The conditioning embedding of t (and the label): sinusoidal features through a 2-layer MLP.
#[derive(Config, Debug)]
pub struct ConditioningConfig {
    /// Width of the sinusoidal features (even).
    pub features: usize,
    /// Width of the embedding handed to the blocks.
    pub embed: usize,
    /// Number of classes (0: unconditional); the embedding table has one more row for ∅.
    #[config(default = 0)]
    pub classes: usize,
}

/// emb = W2 silu(W1 sin(t)) (+ E[y] when conditional).
#[derive(Module, Debug)]
pub struct Conditioning {
    time_in: Linear,
    time_out: Linear,
    label: Option<Embedding>,
}

impl ConditioningConfig {
    /// The embedding, initialised on `device`.
    pub fn init(&self, device: &Device) -> Conditioning {
        Conditioning {
            time_in: LinearConfig::new(self.features, self.embed).init(device),
            time_out: LinearConfig::new(self.embed, self.embed).init(device),
            label: (self.classes > 0)
                .then(|| EmbeddingConfig::new(self.classes + 1, self.embed).init(device)),
        }
    }
}

impl Conditioning {
    /// `t_features`: [n, features] from [`sinusoidal_features`], or [1, features] when every
    /// row has the same t (computed once, broadcast to n rows); `labels`: [n, 1] class indices
    /// (∅ = num_classes) or `None` for an unconditional model.
    pub fn forward(
        &self,
        t_features: Tensor<2>,
        labels: Option<Tensor<2, Int>>,
        n: usize,
    ) -> Tensor<2> {
        let h = silu(self.time_in.forward(t_features)); // [n or 1, embed]
        let emb = self.time_out.forward(h); // [n or 1, embed]
        let width = emb.dims()[1];
        let emb = if emb.dims()[0] == n {
            emb
        } else {
            emb.expand([n, width])
        }; // [n, embed]
        match (&self.label, labels) {
            (Some(table), Some(y)) => {
                let e = table.forward(y); // [n, 1, embed]
                emb + e.reshape([n, width]) // [n, embed]
            }
            _ => emb,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinusoidal_features_at_zero_are_cos_one_sin_zero() {
        let f = sinusoidal_features(&[0, 500], 1000, 8);
        assert_eq!(&f[..8], &[1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
        // t = 500 of T = 1000 -> s = 500; the first frequency is 1: cos(500), sin(500).
        assert!(
            (f[8] - 500f64.cos() as f32).abs() < 1e-6 && (f[12] - 500f64.sin() as f32).abs() < 1e-6
        );
    }
}

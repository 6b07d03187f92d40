//! A trained DDPM seen as a continuous-time ε-model for the probability-flow ODE: time t ∈ [0, 1]
//! is the paper step t·T, so the network (trained at indices i = step − 1) is asked at the real
//! index i = t·T − 1, and γ(t), γ'(t) are the schedule's continuous-time limits
//! ([`crate::schedule::ScheduleKind::gamma`]). Unconditional models only (the model refuses
//! `ode_likelihood` and `ode_sampler` when conditional).

use crate::config::CONDITIONAL;
use crate::denoiser::Denoiser;
use crate::flow::{Divergence, EpsField, autodiff_divergence};
use crate::model::DiffusionModel;
use burn::module::Module;
use burn::prelude::*;
use genbench_core::host;

/// The probability-flow ODE's vector field of a DDPM, through its EMA weights.
pub struct DdpmField<'a> {
    model: &'a DiffusionModel,
    /// The EMA weights on the autodiff device, frozen (gradients reach only the input).
    net: Denoiser,
    ad: Device,
}

impl<'a> DdpmField<'a> {
    /// The field of `model`'s EMA weights.
    pub fn new(model: &'a DiffusionModel) -> Self {
        let ad = model.device.clone().autodiff();
        Self {
            model,
            net: model.ema.clone().fork(&ad).freeze(),
            ad,
        }
    }

    fn index(&self, t: f64) -> f64 {
        t * self.model.schedule.steps() as f64 - 1.0
    }
}

impl EpsField for DdpmField<'_> {
    fn gamma(&self, t: f64) -> f64 {
        self.model.config.schedule.gamma(t)
    }

    fn gamma_dot(&self, t: f64) -> f64 {
        self.model.config.schedule.gamma_dot(t)
    }

    fn eps(&self, x: &[f32], t: f64) -> anyhow::Result<Vec<f32>> {
        Ok(self.model.predict(x, self.index(t), None, CONDITIONAL)?.eps)
    }

    fn eps_and_divergence(
        &self,
        x: &[f32],
        t: f64,
        div: &Divergence,
    ) -> anyhow::Result<(Vec<f32>, Vec<f64>)> {
        let m = self.model;
        let d = m.spec.dim();
        let rows = x.len() / d;
        let f = m.config.time_features;
        let feats: Tensor<2> = host::tensor(m.time_features(self.index(t)), [1, f], &self.ad);
        let forward = |x: Tensor<2>| {
            let out = self.net.forward(x, feats.clone(), None, &m.spec.shape); // [rows, G·d]
            out.slice([0..rows, 0..d]) // [rows, d]
        };
        autodiff_divergence(&forward, x, d, div, &self.ad)
    }
}

impl DiffusionModel {
    /// The `ode-decoder` bound's encoder and decoder at t = 1/T (x_1):
    /// q(x_1 | x_0) = N(√ᾱ_1 x_0, (1 − ᾱ_1) I) and L_0's −log p_θ(x_0 | x_1) (`nll`).
    pub fn ode_decoder<'a>(
        &self,
        nll: crate::ode_score::DecoderNll<'a>,
    ) -> crate::ode_score::Decoder<'a> {
        let alpha_bar = self.schedule.alpha_bar[0];
        crate::ode_score::Decoder {
            t: 1.0 / self.schedule.steps() as f64,
            alpha: alpha_bar.sqrt(),
            sigma: (1.0 - alpha_bar).sqrt(),
            nll,
        }
    }
}

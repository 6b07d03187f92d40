//! A trained VDM as a continuous-time ε-model for the probability-flow ODE: γ(t) and γ'(t) from
//! the (EMA) learned schedule, ε̂ from the (EMA) denoiser with its Fourier features.

use super::VdmModel;
use crate::denoiser::Denoiser;
use crate::flow::{Divergence, EpsField, autodiff_divergence};
use burn::module::Module;
use burn::prelude::*;
use genbench_core::host;

/// A trained VDM's ε-field for the probability-flow ODE (EMA weights).
pub struct VdmField<'a> {
    model: &'a VdmModel,
    /// The EMA denoiser on the autodiff device, frozen (gradients reach only the input).
    net: Denoiser,
    ad: Device,
}

impl<'a> VdmField<'a> {
    /// The field of `model`'s EMA networks, the denoiser frozen on the autodiff device.
    pub fn new(model: &'a VdmModel) -> Self {
        let ad = model.device.clone().autodiff();
        Self {
            model,
            net: model.ema.denoiser.clone().fork(&ad).freeze(),
            ad,
        }
    }

    fn gamma_and_slope(&self, t: f64) -> (f64, f64) {
        self.model.ema.gamma.at(t).unwrap_or((f64::NAN, f64::NAN))
    }
}

impl EpsField for VdmField<'_> {
    fn gamma(&self, t: f64) -> f64 {
        self.gamma_and_slope(t).0
    }

    fn gamma_dot(&self, t: f64) -> f64 {
        self.gamma_and_slope(t).1
    }

    fn eps(&self, x: &[f32], t: f64) -> anyhow::Result<Vec<f32>> {
        let m = self.model;
        let d = m.spec.dim();
        let z = host::tensor(x.to_vec(), [x.len() / d, d], &m.device);
        super::read(m.eps_tensor(&m.ema.denoiser, z, &[self.gamma(t)]))
    }

    fn eps_and_divergence(
        &self,
        x: &[f32],
        t: f64,
        div: &Divergence,
    ) -> anyhow::Result<(Vec<f32>, Vec<f64>)> {
        let m = self.model;
        let gamma = [self.gamma(t)];
        let forward = |z: Tensor<2>| m.eps_tensor(&self.net, z, &gamma);
        autodiff_divergence(&forward, x, m.spec.dim(), div, &self.ad)
    }
}

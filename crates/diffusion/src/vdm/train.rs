//! One VDM training step: an Adam step on the bound of [`super::bound`] (bits/dim) over the
//! denoiser θ and the schedule η jointly, with antithetic times t_i = (u + i/B) mod 1 across
//! the batch, then the EMA update.

use super::VdmModel;
use super::bound;
use crate::ema;
use anyhow::Context;
use burn::module::Module;
use burn::optim::GradientsParams;
use genbench_core::Batch;
use genbench_core::grad_clip::clip_global_norm;
use genbench_core::seed::{self, Rng};
use std::f64::consts::LN_2;

impl VdmModel {
    /// One Adam step on the bound (bits/dim) over θ and η; returns it.
    pub(crate) fn train_on(&mut self, batch: &Batch) -> anyhow::Result<f64> {
        let (n, d) = (batch.len(), self.spec.dim());
        let mut rng = Rng::new(seed::derive(self.noise_seed, self.step));
        let x = self.to_model_space(&batch.x);
        let dev = self
            .net
            .devices()
            .into_iter()
            .next()
            .context("the VDM has no device")?;
        let u0 = rng.uniform();
        let t: Vec<f64> = (0..n).map(|i| (u0 + i as f64 / n as f64) % 1.0).collect();
        let noise =
            |rng: &mut Rng| -> Vec<f32> { (0..n * d).map(|_| rng.normal() as f32).collect() };
        let (eps, eps0) = (noise(&mut rng), noise(&mut rng));
        let terms = bound::terms(self, &self.net, &x, &t, eps, eps0, &dev)?;
        let total = (terms.prior + terms.reconstruction + terms.diffusion).mean(); // [1]
        let loss = total.div_scalar(d as f64 * LN_2);
        let value = loss.clone().into_scalar::<f32>() as f64;
        let grads = GradientsParams::from_grads(loss.backward(), &self.net);
        let grads = clip_global_norm(grads, &self.net, self.config.grad_clip);
        self.net = self.optim.step(self.lr, self.net.clone(), grads);
        let decay = ema::effective_decay(self.config.ema_decay, self.step);
        self.ema = ema::update(self.ema.clone(), &self.net.valid(), decay);
        self.step += 1;
        Ok(value)
    }
}

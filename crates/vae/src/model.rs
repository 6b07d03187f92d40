//! The VAE behind the genbench contract: training on the (β-weighted, warmed-up) negative ELBO,
//! the IWAE bound as the reported likelihood, sampling from the prior, save and load.

use crate::bound::{self, ElboTerms, Inputs, kl_per_dim};
use crate::config::{DecoderSample, VaeConfig};
use crate::nets::VaeNet;
use crate::observation::Observation;
use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use genbench_core::{
    Batch, BuildContext, DataSpec, Rng, StepMetrics, checkpoint, fsutil, host, init, labels, seed,
};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A VAE: the networks (on the autodiff device), their Adam state, and the affine map that
/// standardizes continuous data (identity for images).
pub struct VaeModel {
    config: VaeConfig,
    spec: DataSpec,
    obs: Observation,
    /// Classes of the one-hot label (0: unconditional).
    classes: usize,
    net: VaeNet,
    optim: ModuleOptimizer,
    /// The plain device (evaluation, sampling); training runs on its autodiff twin.
    device: Device,
    train_device: Device,
    learning_rate: f64,
    step: u64,
    noise_seed: u64,
    /// Continuous data enter the networks as (x - shift) / scale, per dimension.
    shift: Vec<f32>,
    scale: Vec<f32>,
}

/// What `save` writes besides the weights and the optimizer state.
#[derive(Serialize, Deserialize)]
struct SavedState {
    step: u64,
    shift: Vec<f32>,
    scale: Vec<f32>,
}

impl VaeModel {
    /// The networks `config` describes for the data of `ctx`, initialised from its seeds; an error
    /// for a config the data cannot take.
    pub fn new(config: VaeConfig, ctx: &BuildContext) -> anyhow::Result<Self> {
        let obs = config.validate(&ctx.spec)?;
        anyhow::ensure!(
            ctx.learning_rate > 0.0 && ctx.learning_rate.is_finite(),
            "learning_rate must be positive, got {}",
            ctx.learning_rate
        );
        let classes = ctx.condition_classes()?;
        let train_device = ctx.device.clone().autodiff();
        let net = init::on_host(&train_device, |d| {
            VaeNet::new(&config, &ctx.spec, obs, classes, d)
        });
        let d = ctx.spec.dim();
        Ok(Self {
            config,
            spec: ctx.spec.clone(),
            obs,
            classes,
            net,
            optim: AdamConfig::new().init(),
            device: ctx.device.clone(),
            train_device,
            learning_rate: ctx.learning_rate,
            step: 0,
            noise_seed: ctx.seeds.stream("noise"),
            shift: vec![0.0; d],
            scale: vec![1.0; d],
        })
    }

    /// The config the model was built from.
    pub fn config(&self) -> &VaeConfig {
        &self.config
    }

    /// The decoder's distribution.
    pub fn observation(&self) -> Observation {
        self.obs
    }

    /// log of the Jacobian from data space to the networks' space: log p_data(x) =
    /// log p_model(standardized x) - sum_d log scale_d (0 for images).
    fn log_jacobian(&self) -> f64 {
        -self.scale.iter().map(|&s| (s as f64).ln()).sum::<f64>()
    }

    /// `batch` in the networks' input space, with one-hot labels when conditional.
    pub(crate) fn inputs(&self, batch: &Batch) -> anyhow::Result<Inputs> {
        let d = self.spec.dim();
        anyhow::ensure!(
            batch.dim == d,
            "batch of dim {} for a model of dim {d}",
            batch.dim
        );
        let x = batch
            .x
            .iter()
            .enumerate()
            .map(|(i, &v)| match self.obs {
                Observation::Gaussian => (v - self.shift[i % d]) / self.scale[i % d],
                obs => obs.to_model(v),
            })
            .collect();
        Ok(Inputs {
            x,
            y: self.one_hot(&batch.labels, batch.len())?,
            dim: d,
            classes: self.classes,
        })
    }

    /// `[n, classes]` one-hot rows (empty when unconditional).
    pub(crate) fn one_hot(&self, labels: &[usize], n: usize) -> anyhow::Result<Vec<f32>> {
        if self.classes == 0 {
            return Ok(Vec::new());
        }
        labels::check(labels, n, self.classes)?;
        Ok(host::one_hot_rows(labels, self.classes))
    }

    /// Model-space values `[n, D]` back to data values (levels rounded when `round`).
    pub(crate) fn to_data(&self, v: Vec<f32>, round: bool) -> Vec<f32> {
        let d = self.spec.dim();
        v.into_iter()
            .enumerate()
            .map(|(i, v)| match self.obs {
                Observation::Gaussian => v * self.scale[i % d] + self.shift[i % d],
                obs => obs.to_data(v, round),
            })
            .collect()
    }

    /// The KL weight at the current step: β, ramped linearly over the warm-up.
    fn kl_weight(&self) -> f64 {
        match self.config.kl_warmup_steps {
            0 => self.config.beta,
            w => self.config.beta * ((self.step + 1) as f64 / w as f64).min(1.0),
        }
    }

    /// Rate and one-draw distortion per example, in data-space nats (the distortion includes
    /// the standardization's Jacobian), with the rate per latent dimension.
    pub fn elbo_terms(&self, batch: &Batch, seed: u64) -> anyhow::Result<ElboTerms> {
        let inputs = self.inputs(batch)?;
        let net = self.net.valid();
        let mut terms = bound::elbo_terms(
            &net,
            self.obs,
            &inputs,
            self.config.eval_rows,
            &mut Rng::new(seed),
            &self.device,
        );
        let jac = self.log_jacobian();
        terms.distortion.iter_mut().for_each(|d| *d -= jac);
        Ok(terms)
    }

    /// IWAE_k per example, in data-space nats.
    pub fn iwae(&self, batch: &Batch, k: usize, seed: u64) -> anyhow::Result<Vec<f64>> {
        anyhow::ensure!(k >= 1, "k must be at least 1");
        let inputs = self.inputs(batch)?;
        let net = self.net.valid();
        let mut ll = bound::iwae(
            &net,
            self.obs,
            &inputs,
            k,
            self.config.eval_rows,
            &mut Rng::new(seed),
            &self.device,
        );
        let jac = self.log_jacobian();
        ll.iter_mut().for_each(|v| *v += jac);
        Ok(ll)
    }

    /// The encoder means `[n, latent]` of `batch`.
    pub(crate) fn encoder_means(&self, batch: &Batch) -> anyhow::Result<Vec<f32>> {
        let inputs = self.inputs(batch)?;
        let (x, y) = inputs.tensors(0, inputs.len(), 1, &self.device);
        let (mu, _) = self.net.valid().encode(x, y);
        Ok(host::floats(mu))
    }

    /// The decoder's output `[n, P*D]` on the host for latents `z` (`[n, latent]`, row-major).
    pub(crate) fn decode_host(&self, z: &[f32], labels: &[usize]) -> anyhow::Result<Vec<f32>> {
        let latent = self.config.latent_dim;
        let n = z.len() / latent;
        let y = self.one_hot(labels, n)?;
        let net = self.net.valid();
        let mut out = Vec::new();
        let rows = self.config.eval_rows;
        for start in (0..n).step_by(rows.max(1)) {
            let m = rows.min(n - start);
            let zt = host::tensor(
                z[start * latent..(start + m) * latent].to_vec(),
                [m, latent],
                &self.device,
            );
            let yt = (self.classes > 0).then(|| {
                host::tensor(
                    y[start * self.classes..(start + m) * self.classes].to_vec(),
                    [m, self.classes],
                    &self.device,
                )
            });
            out.extend(host::floats(net.decode(zt, yt)));
        }
        Ok(out)
    }

    /// The decoder's mean (continuous, data space) for latents `z`.
    pub(crate) fn decode_mean(&self, z: &[f32], labels: &[usize]) -> anyhow::Result<Vec<f32>> {
        let out = self.decode_host(z, labels)?;
        let d = self.spec.dim();
        let n = z.len() / self.config.latent_dim;
        let t = host::tensor(out, [n, self.obs.params_per_dim() * d], &self.device);
        Ok(self.to_data(host::floats(self.obs.mean(t, d)), false))
    }

    /// Labels for `n` samples: as given, or cycled through the classes; none when unconditional.
    pub(crate) fn sample_labels(
        &self,
        n: usize,
        given: Option<&[usize]>,
    ) -> anyhow::Result<Vec<usize>> {
        labels::for_samples(n, given, self.classes)
    }

    /// `n * latent` prior draws z ~ N(0, I).
    pub(crate) fn prior(&self, n: usize, rng: &mut Rng) -> Vec<f32> {
        (0..n * self.config.latent_dim)
            .map(|_| rng.normal() as f32)
            .collect()
    }

    /// Classes of the one-hot label (0: unconditional).
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// What the model was built for.
    pub fn spec(&self) -> &DataSpec {
        &self.spec
    }

    /// Trainable parameters of the encoder, the decoder and the decoder's variance.
    pub fn num_params(&self) -> usize {
        self.net.num_params()
    }

    /// Continuous data: the per-dimension mean and standard deviation of the training set
    /// become the standardization (its Jacobian is added back to every likelihood).
    pub(crate) fn standardize_from(&mut self, train: &Batch) {
        if self.obs != Observation::Gaussian || train.is_empty() {
            return;
        }
        let (d, n) = (self.spec.dim(), train.len() as f64);
        for j in 0..d {
            let mean = (0..train.len())
                .map(|i| train.row(i)[j] as f64)
                .sum::<f64>()
                / n;
            let var = (0..train.len())
                .map(|i| (train.row(i)[j] as f64 - mean).powi(2))
                .sum::<f64>()
                / n;
            self.shift[j] = mean as f32;
            self.scale[j] = var.sqrt().max(1e-6) as f32;
        }
    }

    /// One Adam step on distortion + w_t * rate, the negative ELBO per example with the KL weight
    /// w_t (β after the warm-up); extras `rate` and `distortion` in nats per example.
    pub(crate) fn train_on(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        let inputs = self.inputs(batch)?;
        let n = inputs.len();
        anyhow::ensure!(n > 0, "empty batch");
        let (x, y) = inputs.tensors(0, n, 1, &self.train_device);
        let (mu, log_var) = self.net.encode(x.clone(), y.clone()); // [n, latent] twice
        let latent = self.config.latent_dim;
        let mut rng = Rng::new(seed::derive(self.noise_seed, self.step));
        let eps = host::standard_normal([n, latent], &mut rng, &self.train_device); // [n, latent]
        let z = mu.clone() + log_var.clone().mul_scalar(0.5).exp() * eps; // [n, latent]
        let rate = kl_per_dim(mu, log_var).sum_dim(1).mean(); // [1]
        let log_px = self
            .obs
            .log_prob(x, self.net.decode(z, y), self.net.log_var()); // [n, D]
        let distortion = log_px.sum_dim(1).mean().neg(); // [1]
        let weight = self.kl_weight();
        let loss = distortion.clone() + rate.clone().mul_scalar(weight); // [1]
        let (rate_v, dist_v) = (
            rate.into_scalar::<f32>() as f64,
            distortion.into_scalar::<f32>() as f64 - self.log_jacobian(),
        );
        let grads = GradientsParams::from_grads(loss.backward(), &self.net);
        self.net = self.optim.step(self.learning_rate, self.net.clone(), grads);
        self.step += 1;
        Ok(StepMetrics::new(dist_v + weight * rate_v)
            .with("rate", rate_v)
            .with("distortion", dist_v)
            .with("kl_weight", weight))
    }

    /// z ~ N(0, I), then a draw from p(x|z) (`decoder_sample = "sample"`) or its mode.
    pub(crate) fn draw(
        &self,
        n: usize,
        labels: Option<&[usize]>,
        seed: u64,
    ) -> anyhow::Result<Batch> {
        let labels = self.sample_labels(n, labels)?;
        let mut rng = Rng::new(seed);
        let z = self.prior(n, &mut rng);
        let d = self.spec.dim();
        let x = match self.config.decoder_sample {
            DecoderSample::Sample => {
                let out = self.decode_host(&z, &labels)?;
                let log_var = self.net.log_var().map(host::floats);
                let drawn = self.obs.draw(&out, d, log_var.as_deref(), &mut rng);
                match self.obs {
                    Observation::Gaussian => self.to_data(drawn, true),
                    _ => drawn,
                }
            }
            DecoderSample::Mode => {
                let mean = self.decode_mean(&z, &labels)?;
                match self.obs {
                    Observation::Gaussian => mean,
                    _ => mean.into_iter().map(f32::round).collect(),
                }
            }
        };
        Ok(Batch::new(x, labels, d))
    }

    /// Weights, Adam state, step and standardization into `dir`.
    pub(crate) fn save_to(&self, dir: &Path) -> anyhow::Result<()> {
        checkpoint::save_module(&self.net, &dir.join("vae.bpk"))?;
        checkpoint::save_optimizer(&self.optim, &dir.join("vae-adam.bpk"))?;
        let state = SavedState {
            step: self.step,
            shift: self.shift.clone(),
            scale: self.scale.clone(),
        };
        fsutil::write_json(&dir.join("vae.json"), &state)
    }

    /// What [`Self::save_to`] wrote.
    pub(crate) fn load_from(&mut self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join("vae.json");
        let state: SavedState = fsutil::read_json(&path)?;
        let d = self.spec.dim();
        anyhow::ensure!(
            state.shift.len() == d && state.scale.len() == d,
            "{} is for data of another dimension",
            path.display()
        );
        self.net = checkpoint::load_module(self.net.clone(), &dir.join("vae.bpk"))?;
        self.optim = checkpoint::load_optimizer(self.optim.clone(), &dir.join("vae-adam.bpk"))?;
        self.step = state.step;
        self.shift = state.shift;
        self.scale = state.scale;
        Ok(())
    }
}

//! The DDPM model behind the contract: ε-prediction (and, with learned variances, the
//! interpolation weight v) trained by [`crate::train`], an EMA copy of the weights that samples
//! and scores, the samplers of [`crate::sampler`] and the bound of [`crate::bound`].
//!
//! Images are modelled on [−1, 1] (x = 2k/(L−1) − 1) and samples mapped back to levels;
//! vectors are modelled as they are.

use crate::config::{DenoiserKind, DiffusionConfig, SamplerKind};
use crate::denoiser::embedding::{ConditioningConfig, sinusoidal_features_at};
use crate::denoiser::mlp::MlpDenoiserConfig;
use crate::denoiser::unet::UNetConfig;
use crate::denoiser::{BackboneConfig, Denoiser};
use crate::resample::TimestepWeights;
use crate::sampler::{Prediction, Run, Sampler, Trajectory};
use crate::schedule::ReverseVariance;
use crate::schedule::Schedule;
use burn::module::Module;
use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::prelude::*;
use genbench_core::init;
use genbench_core::preprocess::{level_to_signed, signed_to_level};
use genbench_core::seed::Rng;
use genbench_core::{Batch, BuildContext, DataSpec, checkpoint, fsutil, host, labels};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A DDPM (Ho et al. 2020; Nichol & Dhariwal 2021's learned variances and hybrid loss) with its EMA
/// weights, schedule and samplers.
pub struct DiffusionModel {
    pub(crate) config: DiffusionConfig,
    pub(crate) spec: DataSpec,
    pub(crate) schedule: Schedule,
    /// Number of classes when conditional, 0 otherwise; ∅ is index `classes`.
    pub(crate) classes: usize,
    kind: DenoiserKind,
    pub(crate) device: Device,
    /// The trained weights (autodiff device).
    pub(crate) net: Denoiser,
    /// The EMA weights (plain device): every sample and bound uses these.
    pub(crate) ema: Denoiser,
    pub(crate) optim: ModuleOptimizer,
    pub(crate) lr: f64,
    pub(crate) step: u64,
    pub(crate) noise_seed: u64,
    /// How training draws t (uniform, or importance-sampled from the loss history).
    pub(crate) timesteps: TimestepWeights,
    /// Up to 1,000 training points (vectors only) for the forward-process cloud.
    pub(crate) cloud: Option<Batch>,
    /// NFE of the last ODE sampling run (the `ode` variant's cost is measured, not known).
    pub(crate) last_ode_nfe: f64,
}

#[derive(Serialize, Deserialize)]
struct SavedState {
    step: u64,
    /// The importance sampler's loss history per t (empty under uniform t).
    #[serde(default)]
    timestep_history: Vec<Vec<f64>>,
}

/// Data values -> model space: levels to [−1, 1], coordinates unchanged.
pub(crate) fn to_model_space(spec: &DataSpec, x: &[f32]) -> Vec<f32> {
    match spec.levels {
        Some(l) => x.iter().map(|&k| level_to_signed(k, l)).collect(),
        None => x.to_vec(),
    }
}

/// Model space -> data values: [−1, 1] to the nearest level, coordinates unchanged.
pub(crate) fn to_data_space(spec: &DataSpec, x: &[f32]) -> Vec<f32> {
    match spec.levels {
        Some(l) => x.iter().map(|&v| signed_to_level(v, l)).collect(),
        None => x.to_vec(),
    }
}

/// Adam without clipping of its own: `grad_clip` clips the global norm in the training step.
pub(crate) fn new_optim() -> ModuleOptimizer {
    AdamConfig::new().init()
}

impl DiffusionModel {
    /// The denoiser and schedule `config` describes for the data of `ctx`, initialised from its
    /// seeds; an error for a config the data cannot take.
    pub fn new(config: DiffusionConfig, ctx: &BuildContext) -> anyhow::Result<Self> {
        config.validate(&ctx.spec)?;
        let spec = ctx.spec.clone();
        let classes = ctx.condition_classes()?;
        anyhow::ensure!(
            classes == 0 || !(config.ode_likelihood || config.ode_sampler),
            "ode_likelihood and ode_sampler are for unconditional models"
        );
        let kind = config.denoiser_for(&spec);
        let outputs = if config.reverse_variance == ReverseVariance::Learned {
            2
        } else {
            1
        };
        let backbone = match kind {
            DenoiserKind::Unet => {
                anyhow::ensure!(
                    spec.is_image(),
                    "the U-Net denoiser needs images; {} has shape {:?}",
                    spec.name,
                    spec.shape
                );
                let c = UNetConfig::new(spec.image_shape(), config.embed)
                    .with_channels(config.unet_channels)
                    .with_levels(config.unet_levels)
                    .with_groups(config.unet_groups)
                    .with_output_groups(outputs);
                c.validate()?;
                BackboneConfig::UNet(c)
            }
            _ => BackboneConfig::Mlp(
                MlpDenoiserConfig::new(spec.dim(), config.embed)
                    .with_hidden(config.mlp_hidden)
                    .with_blocks(config.mlp_blocks)
                    .with_output_groups(outputs),
            ),
        };
        let conditioning =
            ConditioningConfig::new(config.time_features, config.embed).with_classes(classes);
        let ad = ctx.device.clone().autodiff();
        let net = init::on_host(&ad, |d| Denoiser::new(&conditioning, &backbone, d));
        let ema = net.valid();
        Ok(Self {
            schedule: Schedule::new(config.schedule, config.timesteps)?,
            timesteps: TimestepWeights::new(config.timestep_sampler, config.loss, config.timesteps),
            optim: new_optim(),
            config,
            spec,
            classes,
            kind,
            device: ctx.device.clone(),
            net,
            ema,
            lr: ctx.learning_rate,
            step: 0,
            noise_seed: ctx.seeds.stream("noise"),
            cloud: None,
            last_ode_nfe: 0.0,
        })
    }

    pub(crate) fn arch(&self) -> String {
        let net = if self.kind == DenoiserKind::Unet {
            "U-Net"
        } else {
            "MLP"
        };
        let schedule = match self.config.schedule {
            crate::schedule::ScheduleKind::Linear => "linear",
            crate::schedule::ScheduleKind::Cosine => "cosine",
        };
        let loss = match self.config.loss {
            crate::config::LossKind::Simple => "L_simple",
            crate::config::LossKind::Vlb => "L_vlb",
            crate::config::LossKind::Hybrid => "L_hybrid",
        };
        let learned = if self.config.reverse_variance == ReverseVariance::Learned {
            ", learned Σ"
        } else {
            ""
        };
        format!(
            "DDPM ({net}, T={}, {schedule}, {loss}{learned})",
            self.schedule.steps()
        )
    }

    pub(crate) fn is_images(&self) -> bool {
        self.spec.levels.is_some()
    }

    /// Data values -> model space: levels to [−1, 1], coordinates unchanged.
    pub(crate) fn to_model_space(&self, x: &[f32]) -> Vec<f32> {
        to_model_space(&self.spec, x)
    }

    /// Model space -> data values: [−1, 1] to the nearest level, coordinates unchanged.
    pub(crate) fn to_data_space(&self, x: &[f32]) -> Vec<f32> {
        to_data_space(&self.spec, x)
    }

    pub(crate) fn labels_tensor(&self, labels: &[usize], device: &Device) -> Tensor<2, Int> {
        host::class_ids(labels, device).unsqueeze_dim(1) // [n, 1]
    }

    /// ε̂ from the EMA network for every row of `x` (model space) at index `i`.
    pub(crate) fn eps(
        &self,
        x: &[f32],
        i: usize,
        labels: Option<&[usize]>,
        w: f64,
    ) -> anyhow::Result<Vec<f32>> {
        Ok(self.predict(x, i as f64, labels, w)?.eps)
    }

    /// ε̂ (and v ∈ [0, 1] with learned variances) from the EMA network for every row of `x`
    /// (model space) at the real-valued index `i` (the network's time features are smooth in
    /// it, so the probability-flow ODE can ask between the steps).
    ///
    /// A conditional model applies classifier-free guidance with scale `w`:
    /// ε̂ = ε(x, ∅) + w (ε(x, y) − ε(x, ∅)). So w = 0 is the unconditional model (one pass with
    /// ∅), w = 1 the conditional model as trained (one pass with y), and any other w one batched
    /// pass of 2n rows. (Ho & Salimans 2022 write (1+w′) ε(x, y) − w′ ε(x, ∅): their w′ = w − 1.)
    /// `labels = None` on a conditional model means ∅ for every row.
    pub(crate) fn predict(
        &self,
        x: &[f32],
        i: f64,
        labels: Option<&[usize]>,
        w: f64,
    ) -> anyhow::Result<Prediction> {
        let d = self.spec.dim();
        let n = x.len() / d;
        let labels = labels.filter(|_| w != 0.0);
        let guided = self.classes > 0 && w != 1.0 && labels.is_some();
        let rows = if guided { 2 * n } else { n };
        let mut xs = x.to_vec();
        if guided {
            xs.extend_from_slice(x);
        }
        let label_rows: Option<Vec<usize>> = (self.classes > 0).then(|| {
            let mut l: Vec<usize> = labels
                .map(<[usize]>::to_vec)
                .unwrap_or_else(|| vec![self.classes; n]);
            if guided {
                l.extend(std::iter::repeat_n(self.classes, n));
            }
            l
        });
        let dev = &self.device;
        let xt: Tensor<2> = host::tensor(xs, [rows, d], dev);
        let f = self.config.time_features;
        let feats: Tensor<2> = host::tensor(self.time_features(i), [1, f], dev);
        let labels = label_rows.map(|l| self.labels_tensor(&l, dev));
        let out = self.ema.forward(xt, feats, labels, &self.spec.shape); // [rows, G·d]
        let groups = out.dims()[1] / d;
        let out = host::floats(out);
        // Row r holds ε̂ in columns 0..d and the raw v ∈ [−1, 1] in d..2d: v = (raw + 1)/2.
        let block = |r: usize, g: usize| &out[(r * groups + g) * d..(r * groups + g + 1) * d];
        let eps_rows: Vec<f32> = (0..rows).flat_map(|r| block(r, 0).to_vec()).collect();
        let v = (groups == 2).then(|| {
            (0..n)
                .flat_map(|r| block(r, 1).iter().map(|raw| (raw + 1.0) / 2.0))
                .collect()
        });
        if !guided {
            return Ok(Prediction { eps: eps_rows, v });
        }
        let (cond, uncond) = eps_rows.split_at(n * d);
        let eps = cond
            .iter()
            .zip(uncond)
            .map(|(&c, &u)| (u as f64 + w * (c as f64 - u as f64)) as f32)
            .collect();
        Ok(Prediction { eps, v })
    }

    /// Sinusoidal features of the (real-valued) index `i` on the network's 0..1000 scale.
    pub(crate) fn time_features(&self, i: f64) -> Vec<f32> {
        let s = i * 1000.0 / self.schedule.steps() as f64;
        sinusoidal_features_at(&[s], self.config.time_features)
    }

    /// The default sampler of the config.
    pub(crate) fn default_sampler(&self) -> Sampler {
        match self.config.sampler {
            SamplerKind::Ddpm => Sampler::Ddpm,
            SamplerKind::Ddim => Sampler::Ddim {
                steps: self.steps_or_t(self.config.sample_steps),
                eta: self.config.eta,
            },
        }
    }

    pub(crate) fn steps_or_t(&self, steps: usize) -> usize {
        if steps == 0 {
            self.schedule.steps()
        } else {
            steps.min(self.schedule.steps())
        }
    }

    /// Network evaluations per sample of `sampler` with guidance scale `w`.
    pub(crate) fn evals(&self, sampler: Sampler, w: f64) -> f64 {
        let passes = if self.classes > 0 && w != 0.0 && w != 1.0 {
            2.0
        } else {
            1.0
        };
        sampler.evals(&self.schedule) as f64 * passes
    }

    /// Labels for `n` samples: those given, or the classes cycled (conditional models only).
    pub(crate) fn sample_labels(
        &self,
        n: usize,
        labels: Option<&[usize]>,
    ) -> anyhow::Result<Option<Vec<usize>>> {
        if self.classes == 0 {
            return Ok(None);
        }
        labels::for_samples(n, labels, self.classes).map(Some)
    }

    /// Run `sampler` from the given x_T (model space, n·dim values) in chunks of `eval_batch`;
    /// returns x_0 in model space and the states at `capture` times (all rows per time).
    pub(crate) fn reverse(
        &self,
        x_t: Vec<f32>,
        labels: Option<&[usize]>,
        sampler: Sampler,
        w: f64,
        rng: &mut Rng,
        capture: &[usize],
    ) -> anyhow::Result<(Vec<f32>, Trajectory)> {
        let d = self.spec.dim();
        let n = x_t.len() / d;
        let run = Run {
            schedule: &self.schedule,
            variance: self.config.reverse_variance,
            sampler,
            clip: self.is_images(),
        };
        let (mut out, mut traj): (Vec<f32>, Trajectory) = (Vec::with_capacity(n * d), Vec::new());
        for start in (0..n).step_by(self.config.eval_batch) {
            let end = (start + self.config.eval_batch).min(n);
            let chunk_labels = labels.map(|l| l[start..end].to_vec());
            let mut eps =
                |x: &[f32], i: usize| self.predict(x, i as f64, chunk_labels.as_deref(), w);
            let (x0, tr) = run.run(x_t[start * d..end * d].to_vec(), &mut eps, rng, capture)?;
            out.extend(x0);
            if traj.is_empty() {
                traj = tr;
            } else {
                for ((_, all), (_, part)) in traj.iter_mut().zip(tr) {
                    all.extend(part);
                }
            }
        }
        Ok((out, traj))
    }

    /// `n` samples in data space from `sampler` with guidance `w`, x_T and z drawn from `seed`.
    pub(crate) fn sample_with(
        &self,
        n: usize,
        labels: Option<&[usize]>,
        seed: u64,
        sampler: Sampler,
        w: f64,
    ) -> anyhow::Result<Batch> {
        let labels = self.sample_labels(n, labels)?;
        let mut rng = Rng::new(seed);
        let x_t: Vec<f32> = (0..n * self.spec.dim())
            .map(|_| rng.normal() as f32)
            .collect();
        let (x0, _) = self.reverse(x_t, labels.as_deref(), sampler, w, &mut rng, &[])?;
        Ok(Batch::new(
            self.to_data_space(&x0),
            labels.unwrap_or_default(),
            self.spec.dim(),
        ))
    }

    pub(crate) fn num_params(&self) -> usize {
        self.net.num_params()
    }

    pub(crate) fn save_to(&self, dir: &Path) -> anyhow::Result<()> {
        checkpoint::save_module(&self.net, &dir.join("denoiser.bpk"))?;
        checkpoint::save_module(&self.ema, &dir.join("ema.bpk"))?;
        checkpoint::save_optimizer(&self.optim, &dir.join("optimizer.bpk"))?;
        let state = SavedState {
            step: self.step,
            timestep_history: self.timesteps.history().to_vec(),
        };
        fsutil::write_json(&dir.join("diffusion.json"), &state)
    }

    pub(crate) fn load_from(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.net = checkpoint::load_module(self.net.clone(), &dir.join("denoiser.bpk"))?;
        self.ema = checkpoint::load_module(self.ema.clone(), &dir.join("ema.bpk"))?;
        self.optim = checkpoint::load_optimizer(new_optim(), &dir.join("optimizer.bpk"))?;
        let state: SavedState = fsutil::read_json(&dir.join("diffusion.json"))?;
        self.step = state.step;
        self.timesteps.restore(state.timestep_history)?;
        Ok(())
    }
}

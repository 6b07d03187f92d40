//! [`GanModel`]: the two networks, their optimisers, the D and G updates and sampling.

use crate::config::{AdamSettings, Arch, GanConfig, Loss, Resolved};
use crate::conv::{ConvGeneratorConfig, ConvTrunkConfig};
use crate::losses;
use crate::mlp::{MlpGeneratorConfig, MlpTrunkConfig};
use crate::nets::{Critic, Generator, Trunk};
use burn::module::{ModuleVisitor, Param};
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use genbench_core::init;
use genbench_core::preprocess::{level_to_signed, signed_to_level};
use genbench_core::seed::{self, Rng};
use genbench_core::{Batch, BuildContext, DataSpec, StepMetrics, checkpoint, fsutil, host, labels};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Rows generated per forward pass when sampling.
pub(crate) const SAMPLE_CHUNK: usize = 500;

/// A generator and a critic trained against each other (non-saturating or WGAN-GP); samples only,
/// no likelihood.
pub struct GanModel {
    config: GanConfig,
    resolved: Resolved,
    spec: DataSpec,
    /// Number of classes when conditional, 0 otherwise.
    classes: usize,
    /// The autodiff device the networks train on.
    device: Device,
    generator: Generator,
    critic: Critic,
    g_optim: ModuleOptimizer,
    d_optim: ModuleOptimizer,
    /// Noise of step s is drawn from `derive(noise_seed, s)`, so a resumed run draws the same.
    noise_seed: u64,
    steps_done: u64,
}

fn adam(s: AdamSettings) -> ModuleOptimizer {
    AdamConfig::new()
        .with_beta_1(s.betas[0] as f32)
        .with_beta_2(s.betas[1] as f32)
        .init()
}

impl GanModel {
    /// The networks and optimisers `config` describes for the data of `ctx`, initialised from its
    /// seeds.
    pub fn new(config: GanConfig, ctx: &BuildContext) -> anyhow::Result<Self> {
        let spec = ctx.spec.clone();
        let resolved = config.resolve(spec.is_image(), ctx.learning_rate)?;
        let classes = ctx.condition_classes()?;
        let device = ctx.device.clone().autodiff();
        let g_input = config.latent_dim + classes;
        let dim = spec.dim();
        let slope = config.leaky_slope;
        if resolved.arch == Arch::Conv {
            let [_, h, w] = spec.image_shape();
            anyhow::ensure!(
                h % 4 == 0 && w % 4 == 0 && h >= 4 && w >= 4,
                "the DCGAN nets need height and width divisible by 4, got {h}x{w}"
            );
        }
        let (generator, critic) = init::on_host(&device, |device| {
            let (generator, trunk) = match resolved.arch {
                Arch::Conv => {
                    let image = spec.image_shape();
                    let g = ConvGeneratorConfig::new(g_input, image, config.channels)
                        .with_batch_norm(config.g_batch_norm)
                        .init(device);
                    let t = ConvTrunkConfig::new(image, config.channels)
                        .with_slope(slope)
                        .with_batch_norm(resolved.d_batch_norm)
                        .init(device);
                    (Generator::Conv(g), Trunk::Conv(t))
                }
                _ => {
                    let g = MlpGeneratorConfig::new(g_input, dim, config.hidden, config.layers)
                        .init(device);
                    let t = MlpTrunkConfig::new(dim, config.hidden, config.layers)
                        .with_slope(slope)
                        .init(device);
                    (Generator::Mlp(g), Trunk::Mlp(t))
                }
            };
            (generator, Critic::new(trunk, classes, device))
        });
        Ok(Self {
            g_optim: adam(resolved.g),
            d_optim: adam(resolved.d),
            config,
            resolved,
            spec,
            classes,
            device,
            generator,
            critic,
            noise_seed: ctx.seeds.stream("noise"),
            steps_done: 0,
        })
    }

    /// Data values -> model space: coordinates unchanged, levels to [-1, 1].
    fn to_model_space(&self, batch: &Batch) -> Tensor<2> {
        let x: Vec<f32> = match self.spec.levels {
            Some(l) => batch.x.iter().map(|&k| level_to_signed(k, l)).collect(),
            None => batch.x.clone(),
        };
        host::tensor(x, [batch.len(), batch.dim], &self.device)
    }

    /// One-hot labels `[n, classes]` on `device`, or `None` when unconditional.
    fn onehot(&self, labels: &[usize], device: &Device) -> anyhow::Result<Option<Tensor<2>>> {
        anyhow::ensure!(
            self.classes == 0 || !labels.is_empty(),
            "a conditional GAN needs labelled data"
        );
        host::condition(labels, labels.len(), self.classes, device)
    }

    /// The generator's input `[z; onehot]` `[n, latent (+ classes)]` with z ~ N(0, I) from `rng`.
    fn generator_input(
        &self,
        rng: &mut Rng,
        onehot: Option<Tensor<2>>,
        n: usize,
        device: &Device,
    ) -> Tensor<2> {
        let z = host::standard_normal([n, self.config.latent_dim], rng, device); // [n, latent]
        match onehot {
            Some(y) => Tensor::cat(vec![z, y], 1),
            None => z,
        }
    }

    /// One critic update on `real` `[n, dim]` (model space): returns (critic loss incl. the
    /// penalty, penalty, mean D(x) - mean D(G(z))).
    pub(crate) fn critic_step(
        &mut self,
        real: Tensor<2>,
        onehot: Option<Tensor<2>>,
        rng: &mut Rng,
    ) -> (f64, f64, f64) {
        let [n, _] = real.dims();
        let fake = self
            .generator
            .forward(self.generator_input(rng, onehot.clone(), n, &self.device))
            .detach(); // [n, dim]
        let d_real = self.critic.forward(real.clone(), onehot.clone()); // [n]
        let d_fake = self.critic.forward(fake.clone(), onehot.clone()); // [n]
        let gap = (d_real.clone().mean() - d_fake.clone().mean()).into_scalar::<f32>() as f64;
        let (loss, gp) = match self.config.loss {
            Loss::NonSaturating => (losses::ns_critic_loss(d_real, d_fake), None),
            Loss::WganGp => {
                let eps: Vec<f32> = (0..n).map(|_| rng.uniform() as f32).collect();
                let eps = host::tensor(eps, [n, 1], &self.device);
                let gp = losses::gradient_penalty(&self.critic, real, fake, eps, onehot);
                (
                    losses::wgan_critic_loss(d_real, d_fake)
                        + gp.clone().mul_scalar(self.config.gp_weight),
                    Some(gp),
                )
            }
        };
        let loss_value = loss.clone().into_scalar::<f32>() as f64;
        let gp_value = gp.map(|g| g.into_scalar::<f32>() as f64).unwrap_or(0.0);
        let grads = GradientsParams::from_grads(loss.backward(), &self.critic);
        self.critic = self
            .d_optim
            .step(self.resolved.d.lr, self.critic.clone(), grads);
        (loss_value, gp_value, gap)
    }

    /// One generator update with `n` fresh samples (labels `onehot` when conditional).
    pub(crate) fn generator_step(
        &mut self,
        n: usize,
        onehot: Option<Tensor<2>>,
        rng: &mut Rng,
    ) -> f64 {
        let fake =
            self.generator
                .forward(self.generator_input(rng, onehot.clone(), n, &self.device)); // [n, dim]
        let d_fake = self.critic.forward(fake, onehot); // [n]
        let loss = match self.config.loss {
            Loss::NonSaturating => losses::ns_generator_loss(d_fake),
            Loss::WganGp => losses::wgan_generator_loss(d_fake),
        };
        let value = loss.clone().into_scalar::<f32>() as f64;
        // Only G's parameters are taken from the gradients: D is not updated here.
        let grads = GradientsParams::from_grads(loss.backward(), &self.generator);
        self.generator = self
            .g_optim
            .step(self.resolved.g.lr, self.generator.clone(), grads);
        value
    }

    /// The config it was built from.
    pub fn config(&self) -> &GanConfig {
        &self.config
    }

    /// The networks' kind after `arch = "auto"` is resolved for the data.
    pub fn arch(&self) -> Arch {
        self.resolved.arch
    }

    /// Number of classes when conditional, 0 otherwise.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The autodiff device the networks train on (for the unit tests).
    #[cfg(test)]
    pub(crate) fn device(&self) -> &Device {
        &self.device
    }

    #[cfg(test)]
    pub(crate) fn generator(&self) -> &Generator {
        &self.generator
    }

    #[cfg(test)]
    pub(crate) fn critic(&self) -> &Critic {
        &self.critic
    }

    /// `n_critic` critic updates on `batch` (fresh fakes each), then one generator update.
    /// `loss` is G's loss; extras: `d_loss` (mean over the critic updates, penalty included),
    /// `g_loss`, and for WGAN-GP `gp` and `w_gap` (mean D(x) - mean D(G(z)), the critic's
    /// Wasserstein estimate).
    pub(crate) fn train_on(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        let mut rng = Rng::new(seed::derive(self.noise_seed, self.steps_done));
        let real = self.to_model_space(batch);
        let onehot = self.onehot(&batch.labels, &self.device)?;
        let (mut d_loss, mut gp, mut gap) = (0.0, 0.0, 0.0);
        for _ in 0..self.resolved.n_critic {
            let (l, p, w) = self.critic_step(real.clone(), onehot.clone(), &mut rng);
            d_loss += l;
            gp += p;
            gap += w;
        }
        let k = self.resolved.n_critic as f64;
        let g_loss = self.generator_step(batch.len(), onehot, &mut rng);
        self.steps_done += 1;
        let metrics = StepMetrics::new(g_loss)
            .with("d_loss", d_loss / k)
            .with("g_loss", g_loss);
        Ok(match self.config.loss {
            Loss::NonSaturating => metrics,
            Loss::WganGp => metrics.with("gp", gp / k).with("w_gap", gap / k),
        })
    }

    /// `n` samples G(z, y), z drawn on the host from `seed`; labels as given or cycled.
    pub(crate) fn draw(
        &self,
        n: usize,
        labels: Option<&[usize]>,
        seed: u64,
    ) -> anyhow::Result<Batch> {
        let labels = labels::for_samples(n, labels, self.classes)?;
        let generator = self.generator.valid();
        let plain = self.device.clone().inner();
        let mut rng = Rng::new(seed);
        let mut x = Vec::with_capacity(n * self.spec.dim());
        for start in (0..n).step_by(SAMPLE_CHUNK) {
            let end = (start + SAMPLE_CHUNK).min(n);
            let onehot = if self.classes > 0 {
                self.onehot(&labels[start..end], &plain)?
            } else {
                None
            };
            let out =
                generator.forward(self.generator_input(&mut rng, onehot, end - start, &plain)); // [m, dim]
            let values = host::floats(out);
            match self.spec.levels {
                Some(l) => x.extend(values.into_iter().map(|v| signed_to_level(v, l))),
                None => x.extend(values),
            }
        }
        Ok(Batch::new(x, labels, self.spec.dim()))
    }

    /// Trainable parameters of both networks (G alone draws the samples); batch norm's running
    /// statistics are buffers and not counted.
    pub fn num_params(&self) -> usize {
        trainable_params(&self.generator) + trainable_params(&self.critic)
    }

    /// Both networks, both Adam states and the step into `dir`.
    pub(crate) fn save_to(&self, dir: &Path) -> anyhow::Result<()> {
        checkpoint::save_module(&self.generator, &dir.join("generator.bpk"))?;
        checkpoint::save_module(&self.critic, &dir.join("critic.bpk"))?;
        checkpoint::save_optimizer(&self.g_optim, &dir.join("g_optim.bpk"))?;
        checkpoint::save_optimizer(&self.d_optim, &dir.join("d_optim.bpk"))?;
        fsutil::write_json(
            &dir.join("gan.json"),
            &SavedState {
                steps_done: self.steps_done,
                noise_seed: self.noise_seed,
            },
        )
    }

    /// What [`Self::save_to`] wrote.
    pub(crate) fn load_from(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.generator =
            checkpoint::load_module(self.generator.clone(), &dir.join("generator.bpk"))?;
        self.critic = checkpoint::load_module(self.critic.clone(), &dir.join("critic.bpk"))?;
        self.g_optim = checkpoint::load_optimizer(adam(self.resolved.g), &dir.join("g_optim.bpk"))?;
        self.d_optim = checkpoint::load_optimizer(adam(self.resolved.d), &dir.join("d_optim.bpk"))?;
        let state: SavedState = fsutil::read_json(&dir.join("gan.json"))?;
        self.steps_done = state.steps_done;
        self.noise_seed = state.noise_seed;
        Ok(())
    }
}

/// Number of values in the parameters that require grad (not burn's `num_params`, which also
/// counts running statistics).
fn trainable_params<M: Module>(module: &M) -> usize {
    struct Count(usize);
    impl ModuleVisitor for Count {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let t = param.val();
            if t.is_require_grad() {
                self.0 += t.shape().num_elements();
            }
        }
    }
    let mut count = Count(0);
    module.visit(&mut count);
    count.0
}

#[derive(Serialize, Deserialize)]
struct SavedState {
    steps_done: u64,
    noise_seed: u64,
}

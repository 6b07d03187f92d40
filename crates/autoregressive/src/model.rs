//! The autoregressive model behind the contract: exact log p(x) = sum_d log p(x_d | x_<d) in one
//! pass, samples in D passes (one dimension per pass, batched over the samples).

use crate::config::{Arch, AutoregressiveConfig};
use crate::heads::Head;
use crate::made::MadeConfig;
use crate::masks::Ordering;
use crate::net::{Condition, Net};
use crate::pixelcnn::PixelCnnConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use genbench_core::init;
use genbench_core::likelihood::{Likelihood, LikelihoodKind};
use genbench_core::preprocess::{level_to_signed, level_to_unit};
use genbench_core::seed::Rng;
use genbench_core::{Batch, BuildContext, DataSpec, StepMetrics, checkpoint, host, labels};
use std::path::Path;

/// An autoregressive model p(x) = Π_d p(x_d | x_<d) (MADE or PixelCNN): exact likelihood, one pass
/// per dimension to sample.
pub struct ArModel {
    config: AutoregressiveConfig,
    spec: DataSpec,
    head: Head,
    /// The network on the autodiff device (training); `net.valid()` scores and samples.
    net: Net,
    optim: ModuleOptimizer,
    /// Autodiff device (training) and plain device (scoring, sampling).
    train_device: Device,
    device: Device,
    learning_rate: f64,
    /// Classes of the label (0 when unconditional).
    classes: usize,
    /// The dimensions in generation order.
    order: Vec<usize>,
}

impl ArModel {
    /// MADE or PixelCNN for `ctx.spec`, with a categorical head on levels and a mixture of
    /// Gaussians per dimension on coordinates.
    pub fn new(config: AutoregressiveConfig, ctx: &BuildContext) -> anyhow::Result<Self> {
        let spec = &ctx.spec;
        config.validate(spec)?;
        let classes = ctx.condition_classes()?;
        anyhow::ensure!(ctx.learning_rate > 0.0, "learning_rate must be positive");
        let head = match spec.levels {
            Some(l) => Head::Categorical { levels: l as usize },
            None => Head::Gaussians {
                components: config.components,
            },
        };
        let train_device = ctx.device.clone().autodiff();
        let (net, order) = match config.arch {
            Arch::Made => {
                let made = MadeConfig::new(spec.dim(), config.hidden.clone(), head.per_dim())
                    .with_random_order(config.order == Ordering::Random)
                    .with_mask_seed(config.mask_seed)
                    .with_num_classes(classes)
                    .with_logit_rank(if spec.levels.is_some() {
                        config.logit_rank
                    } else {
                        0
                    });
                let order = made.degrees().order();
                (
                    Net::Made(init::on_host(&train_device, |d| made.init(d))),
                    order,
                )
            }
            Arch::Pixelcnn => {
                let [_, height, width] = spec.image_shape();
                let pcnn = PixelCnnConfig::new(head.per_dim())
                    .with_channels(config.channels)
                    .with_blocks(config.blocks)
                    .with_first_kernel(config.first_kernel)
                    .with_kernel(config.kernel)
                    .with_head_channels(config.head_channels)
                    .with_gated(config.gated)
                    .with_num_classes(classes);
                let net = Net::PixelCnn {
                    net: init::on_host(&train_device, |d| pcnn.init(d)),
                    height,
                    width,
                    crop: config.crop,
                };
                (net, (0..spec.dim()).collect())
            }
        };
        Ok(Self {
            config,
            spec: spec.clone(),
            head,
            net,
            optim: AdamConfig::new().init(),
            train_device,
            device: ctx.device.clone(),
            learning_rate: ctx.learning_rate,
            classes,
            order,
        })
    }

    /// Data values -> network inputs: levels to [0, 1] (MADE) or [-1, 1] (PixelCNN); coordinates as they are.
    fn encode(&self, x: &[f32]) -> Vec<f32> {
        match (self.spec.levels, self.config.arch) {
            (Some(l), Arch::Made) => x.iter().map(|&k| level_to_unit(k, l)).collect(),
            (Some(l), Arch::Pixelcnn) => x.iter().map(|&k| level_to_signed(k, l)).collect(),
            (None, _) => x.to_vec(),
        }
    }

    fn condition(&self, batch: &Batch, device: &Device) -> anyhow::Result<Option<Condition>> {
        if self.classes == 0 {
            return Ok(None);
        }
        labels::check(&batch.labels, batch.len(), self.classes)?;
        Ok(Some(Condition::new(&batch.labels, self.classes, device)))
    }

    /// Rows of data values (`[n, D]` row-major) as the network's inputs on `device`.
    fn inputs(&self, x: &[f32], device: &Device) -> Tensor<2> {
        let d = self.spec.dim();
        host::tensor(self.encode(x), [x.len() / d, d], device) // [n, D]
    }

    /// log p(x) per example `[batch]` with `net` on `device`.
    fn log_prob(&self, net: &Net, batch: &Batch, device: &Device) -> anyhow::Result<Tensor<1>> {
        let inputs = self.inputs(&batch.x, device); // [batch, D]
        let cond = self.condition(batch, device)?;
        let params = net.params(inputs, cond.as_ref()); // [batch, D, per_dim]
        Ok(self.head.log_prob(params, batch.to_tensor(device))) // [batch]
    }

    /// Fill the dimensions of `x` (`n` rows, data values) not marked in `given`, one pass per
    /// dimension in the model's order, each drawn from its conditional given all the values
    /// filled so far. With the natural order and `given` a prefix, this samples p(rest | given).
    pub(crate) fn generate(
        &self,
        mut x: Vec<f32>,
        labels: &[usize],
        given: &[bool],
        rng: &mut Rng,
    ) -> anyhow::Result<Vec<f32>> {
        let d = self.spec.dim();
        let net = self.net.valid();
        let n = x.len() / d;
        let chunk = self.config.eval_batch;
        for start in (0..n).step_by(chunk) {
            let end = (start + chunk).min(n);
            let rows = end - start;
            let part_labels = if self.classes > 0 {
                labels[start..end].to_vec()
            } else {
                Vec::new()
            };
            let cond = (self.classes > 0)
                .then(|| Condition::new(&part_labels, self.classes, &self.device));
            for &pos in self.order.iter().filter(|&&p| !given[p]) {
                let inputs = self.inputs(&x[start * d..end * d], &self.device); // [rows, D]
                let p = host::floats(net.params_at(inputs, cond.as_ref(), pos)); // [rows, per_dim]
                let per = self.head.per_dim();
                for i in 0..rows {
                    x[(start + i) * d + pos] = self.head.draw(&p[i * per..(i + 1) * per], rng);
                }
            }
        }
        Ok(x)
    }

    /// Complete `images`: the dimensions marked in `given` are kept, the others are drawn one
    /// pass per dimension in the model's order (labels from `images` when conditional).
    pub fn complete(&self, images: &Batch, given: &[bool], seed: u64) -> anyhow::Result<Batch> {
        anyhow::ensure!(
            given.len() == self.spec.dim(),
            "`given` has {} flags for {} dimensions",
            given.len(),
            self.spec.dim()
        );
        let labels = labels::for_samples(
            images.len(),
            images.has_labels().then_some(&images.labels[..]),
            self.classes,
        )?;
        let x = self.generate(images.x.clone(), &labels, given, &mut Rng::new(seed))?;
        Ok(Batch::new(x, images.labels.clone(), images.dim))
    }

    /// The dimensions in generation order.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The raw parameters of every conditional (logits per level, or the mixture's K logits,
    /// K means, K log-scales), `[n, D, per_dim]` row-major on the host, from one full pass.
    pub fn conditionals(&self, batch: &Batch) -> anyhow::Result<Vec<f32>> {
        let inputs = self.inputs(&batch.x, &self.device); // [n, D]
        let cond = self.condition(batch, &self.device)?;
        Ok(host::floats(self.net.valid().params(inputs, cond.as_ref()))) // [n, D, per_dim]
    }

    /// The parameters of dimension `pos` alone, `[n, per_dim]`, by the sampling path (MADE's
    /// output columns of `pos`; PixelCNN's receptive-field crop when `crop` is on).
    pub fn conditional_at(&self, batch: &Batch, pos: usize) -> anyhow::Result<Vec<f32>> {
        let inputs = self.inputs(&batch.x, &self.device); // [n, D]
        let cond = self.condition(batch, &self.device)?;
        Ok(host::floats(self.net.valid().params_at(
            inputs,
            cond.as_ref(),
            pos,
        ))) // [n, per_dim]
    }

    /// Classes of the label (0 when unconditional).
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// What the model was built for.
    pub fn spec(&self) -> &DataSpec {
        &self.spec
    }

    /// The config it was built from.
    pub fn config(&self) -> &AutoregressiveConfig {
        &self.config
    }

    /// Trainable parameters.
    pub fn num_params(&self) -> usize {
        self.net.num_params()
    }

    /// Mixture heads: spread each dimension's K component means over the training data's
    /// quantiles (j + 1/2)/K, with scales of half the spacing of the central 98%.
    pub(crate) fn initialise_mixtures(&mut self, train: &Batch) -> anyhow::Result<()> {
        let (Head::Gaussians { components: k }, Net::Made(made)) = (self.head, &self.net) else {
            return Ok(());
        };
        anyhow::ensure!(!train.is_empty(), "no training data");
        let d = self.spec.dim();
        let mut means = Vec::with_capacity(d);
        let mut log_scales = Vec::with_capacity(d);
        for j in 0..d {
            let mut v: Vec<f32> = (0..train.len()).map(|i| train.row(i)[j]).collect();
            v.sort_by(f32::total_cmp);
            let q = |p: f64| v[((p * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
            means.push((0..k).map(|c| q((c as f64 + 0.5) / k as f64)).collect());
            log_scales.push((0.5 * (q(0.99) - q(0.01)).max(1e-3) / k as f32).ln());
        }
        self.net = Net::Made(made.clone().with_mixture_bias(&means, &log_scales));
        Ok(())
    }

    /// One Adam step on the mean NLL (nats per example).
    pub(crate) fn train_on(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        let logp = self.log_prob(&self.net, batch, &self.train_device)?; // [batch]
        let loss = logp.mean().neg();
        let value = loss.clone().into_scalar::<f32>() as f64;
        let grads = loss.backward();
        let lr = self.learning_rate;
        self.net = match self.net.clone() {
            Net::Made(m) => {
                let g = GradientsParams::from_grads(grads, &m);
                Net::Made(self.optim.step(lr, m, g))
            }
            Net::PixelCnn {
                net,
                height,
                width,
                crop,
            } => {
                let g = GradientsParams::from_grads(grads, &net);
                Net::PixelCnn {
                    net: self.optim.step(lr, net, g),
                    height,
                    width,
                    crop,
                }
            }
        };
        Ok(StepMetrics::new(value))
    }

    /// `n` samples, one dimension per network pass in the model's order.
    pub(crate) fn draw(
        &self,
        n: usize,
        labels: Option<&[usize]>,
        seed: u64,
    ) -> anyhow::Result<Batch> {
        let labels = labels::for_samples(n, labels, self.classes)?;
        let d = self.spec.dim();
        let x = self.generate(
            vec![0.0; n * d],
            &labels,
            &vec![false; d],
            &mut Rng::new(seed),
        )?;
        Ok(Batch::new(x, labels, d))
    }

    /// Exact log p(x) in nats: the sum of the D conditionals' log-probabilities (discrete levels
    /// for images, a density for vectors).
    pub(crate) fn likelihood(&self, batch: &Batch) -> anyhow::Result<Likelihood> {
        let net = self.net.valid();
        let mut out = Vec::with_capacity(batch.len());
        let idx: Vec<usize> = (0..batch.len()).collect();
        for part in idx.chunks(self.config.eval_batch) {
            let lp = self.log_prob(&net, &batch.select(part), &self.device)?;
            out.extend(host::floats_f64(lp));
        }
        Ok(Likelihood::new(LikelihoodKind::Exact, out))
    }

    /// Weights and Adam state into `dir`.
    pub(crate) fn save_to(&self, dir: &Path) -> anyhow::Result<()> {
        self.net.save(&dir.join("net"))?;
        checkpoint::save_optimizer(&self.optim, &dir.join("optim"))
    }

    /// What [`Self::save_to`] wrote.
    pub(crate) fn load_from(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.net = self.net.clone().load(&dir.join("net"))?;
        let optim = std::mem::replace(&mut self.optim, burn::optim::AdamConfig::new().init());
        self.optim = checkpoint::load_optimizer(optim, &dir.join("optim"))?;
        Ok(())
    }
}

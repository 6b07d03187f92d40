//! The flow behind the contract: exact log-density by change of variables, sampling by the
//! exact inverse.
//!
//! Vectors: log p(x) = log N(f(x); 0, I) + log|det df/dx|, exact.
//! Images of L levels: x = (k + u) / L with u ~ U[0,1)^D (uniform dequantization), then
//! y = logit(a + (1 - 2a) x) (when `logit_alpha` = a > 0), and
//!   log P(k) >= E_u[ log N(f(y)) + log|det df/dy| + log|det dy/dx| ] - D log L,
//! reported per example with one u (an unbiased estimate of the bound), kind `Dequantized`.

use crate::config::FlowConfig;
use crate::image::ImageFlowConfig;
use crate::mlp::VectorFlowConfig;
use crate::net::FlowNet;
use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::prelude::*;
use genbench_core::init;
use genbench_core::likelihood::{Likelihood, LikelihoodKind};
use genbench_core::preprocess::{dequantization_log_jacobian, dequantize};
use genbench_core::seed::{Rng, derive};
use genbench_core::{Batch, BuildContext, DataSpec, StepMetrics, checkpoint, fsutil, host, labels};
use std::f64::consts::{LN_2, PI};
use std::path::Path;

/// A RealNVP flow on one dataset's examples.
pub struct FlowModel {
    config: FlowConfig,
    spec: DataSpec,
    /// The flow on the autodiff device (training); `net.valid()` scores and samples.
    net: FlowNet,
    optim: ModuleOptimizer,
    train_device: Device,
    device: Device,
    learning_rate: f64,
    /// Classes of the label (0 when unconditional).
    classes: usize,
    /// Seed of the act-norm initialisation subset and its dequantization noise.
    init_seed: u64,
    /// Dequantization noise of training step s is drawn from `derive(noise_seed, s)`, so a
    /// resumed run sees the same noise as an uninterrupted one.
    noise_seed: u64,
    /// Training steps taken (saved with the checkpoint).
    steps_done: u64,
}

/// What a checkpoint holds besides the weights and the optimizer.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedState {
    steps_done: u64,
}

/// Adam without clipping of its own: `grad_clip` clips the global norm in [`FlowNet::step`].
fn new_optim() -> ModuleOptimizer {
    AdamConfig::new().init()
}

/// log N(z; 0, I) per row of `z` (`[n, D]` -> `[n]`).
fn standard_normal_log_prob(z: Tensor<2>) -> Tensor<1> {
    let [n, d] = z.dims();
    z.square()
        .sum_dim(1)
        .reshape([n])
        .mul_scalar(-0.5)
        .sub_scalar(0.5 * d as f64 * (2.0 * PI).ln()) // [n]
}

impl FlowModel {
    /// The model for `ctx.spec`: the MLP-coupling flow on vectors, the multi-scale conv flow on images.
    pub fn new(config: FlowConfig, ctx: &BuildContext) -> anyhow::Result<Self> {
        config.validate(&ctx.spec)?;
        let spec = ctx.spec.clone();
        let classes = ctx.condition_classes()?;
        let train_device = ctx.device.clone().autodiff();
        let net = if spec.is_image() {
            let image = ImageFlowConfig::new(
                spec.image_shape(),
                config.scales,
                config.couplings_per_scale,
                config.channels,
                classes,
                config.scale_clamp,
            );
            image.check()?;
            FlowNet::Image(init::on_host(&train_device, |d| image.init(d)))
        } else {
            anyhow::ensure!(
                spec.shape.len() == 1 && spec.dim() >= 2,
                "a coupling flow needs vectors of 2 or more values, got shape {:?}",
                spec.shape
            );
            let vector = VectorFlowConfig::new(
                spec.dim(),
                config.couplings,
                config.hidden,
                config.hidden_layers,
                classes,
                config.scale_clamp,
                config.mixing,
            );
            FlowNet::Vector(init::on_host(&train_device, |d| vector.init(d)))
        };
        Ok(Self {
            optim: new_optim(),
            config,
            spec,
            net,
            train_device,
            device: ctx.device.clone(),
            learning_rate: ctx.learning_rate,
            classes,
            init_seed: ctx.seeds.stream("init"),
            noise_seed: ctx.seeds.stream("noise"),
            steps_done: 0,
        })
    }

    /// Data values -> the flow's input space with log|det| of that map per example:
    /// coordinates as they are (0); levels dequantized with `rng`, then the logit transform.
    /// The -D log L of the dequantization is not included here.
    fn preprocess(&self, batch: &Batch, rng: &mut Rng) -> (Vec<f32>, Vec<f64>) {
        let Some(levels) = self.spec.levels else {
            return (batch.x.clone(), vec![0.0; batch.len()]);
        };
        let a = self.config.logit_alpha;
        let mut out = Vec::with_capacity(batch.x.len());
        let mut log_det = Vec::with_capacity(batch.len());
        for i in 0..batch.len() {
            let mut ld = 0.0;
            for &k in batch.row(i) {
                let x = dequantize(k, rng.uniform() as f32, levels) as f64;
                if a > 0.0 {
                    // y = log p - log(1 - p), p = a + (1 - 2a) x; dy/dx = (1 - 2a) / (p (1 - p)).
                    let p = a + (1.0 - 2.0 * a) * x;
                    out.push((p.ln() - (1.0 - p).ln()) as f32);
                    ld += (1.0 - 2.0 * a).ln() - p.ln() - (1.0 - p).ln();
                } else {
                    out.push(x as f32);
                }
            }
            log_det.push(ld);
        }
        (out, log_det)
    }

    /// The flow's input space -> data values: the inverse logit, then the level whose bin holds x.
    pub fn levels_of(&self, y: &[f32]) -> Vec<f32> {
        let Some(levels) = self.spec.levels else {
            return y.to_vec();
        };
        let a = self.config.logit_alpha;
        let top = (levels - 1) as f64;
        y.iter()
            .map(|&v| {
                let x = if a > 0.0 {
                    (1.0 / (1.0 + (-(v as f64)).exp()) - a) / (1.0 - 2.0 * a)
                } else {
                    v as f64
                };
                (x * levels as f64).floor().clamp(0.0, top) as f32
            })
            .collect()
    }

    fn condition(
        &self,
        labels: &[usize],
        n: usize,
        device: &Device,
    ) -> anyhow::Result<Option<Tensor<2>>> {
        host::condition(labels, n, self.classes, device)
    }

    /// log p(y) = log N(f(y)) + log|det df/dy| per example (`[n]`) of the flow-space values `y`.
    fn flow_log_prob(
        &self,
        net: &FlowNet,
        y: Vec<f32>,
        labels: &[usize],
        device: &Device,
    ) -> anyhow::Result<Tensor<1>> {
        let d = self.spec.dim();
        let n = y.len() / d;
        let cond = self.condition(labels, n, device)?;
        let y = host::tensor(y, [n, d], device); // [n, D]
        let (z, log_det) = net.forward(y, cond.as_ref()); // [n, D], [n]
        Ok(standard_normal_log_prob(z) + log_det)
    }

    /// The flow as a bijection in its own input space (coordinates for vectors, logit-space
    /// values for images), without autodiff: z = f(y) row by row and log|det df/dy| per row.
    pub fn transform(&self, y: &[f32], labels: &[usize]) -> anyhow::Result<(Vec<f32>, Vec<f64>)> {
        let d = self.spec.dim();
        let n = y.len() / d;
        let cond = self.condition(labels, n, &self.device)?;
        let (z, log_det) = self.net.valid().forward(
            host::tensor(y.to_vec(), [n, d], &self.device),
            cond.as_ref(),
        );
        Ok((host::floats(z), host::floats_f64(log_det)))
    }

    /// y = f^{-1}(z) row by row, in the flow's input space.
    pub fn inverse(&self, z: &[f32], labels: &[usize]) -> anyhow::Result<Vec<f32>> {
        let d = self.spec.dim();
        let n = z.len() / d;
        let cond = self.condition(labels, n, &self.device)?;
        let y = self.net.valid().inverse(
            host::tensor(z.to_vec(), [n, d], &self.device),
            cond.as_ref(),
        );
        Ok(host::floats(y))
    }

    /// What the flow models.
    pub fn spec(&self) -> &DataSpec {
        &self.spec
    }

    fn dequantization_term(&self) -> f64 {
        self.spec
            .levels
            .map(|l| dequantization_log_jacobian(self.spec.dim(), l))
            .unwrap_or(0.0)
    }

    /// Classes of the label (0 when unconditional).
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// The architecture, for tables.
    pub(crate) fn arch(&self) -> String {
        match self.net {
            FlowNet::Vector(_) => format!("RealNVP ({} MLP couplings)", self.config.couplings),
            FlowNet::Image(_) => format!("RealNVP (multi-scale, {} scales)", self.config.scales),
        }
    }

    /// Trainable parameters.
    pub fn num_params(&self) -> usize {
        self.net.num_params()
    }

    /// Act-norm data-dependent initialisation from up to `init_examples` training examples
    /// (a seeded subset), each norm from the outputs of the layers before it.
    pub(crate) fn initialise_actnorm(&mut self, train: &Batch) -> anyhow::Result<()> {
        let mut rng = Rng::new(derive(self.init_seed, 1));
        let mut idx = rng.permutation(train.len());
        idx.truncate(self.config.init_examples);
        let subset = train.select(&idx);
        let (y, _) = self.preprocess(&subset, &mut rng);
        let labels = if self.classes > 0 {
            subset.labels.clone()
        } else {
            Vec::new()
        };
        let cond = self.condition(&labels, subset.len(), &self.train_device)?;
        let y = host::tensor(y, [subset.len(), self.spec.dim()], &self.train_device); // [n, D]
        self.net.initialise(y, cond.as_ref());
        Ok(())
    }

    /// One Adam step on the mean NLL per dimension; the reported loss is the NLL per example in
    /// nats (for images, of the discrete data through the dequantization bound), with `bpd`.
    pub(crate) fn train_on(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        let (y, pre_log_det) = self.preprocess(
            batch,
            &mut Rng::new(derive(self.noise_seed, self.steps_done)),
        );
        self.steps_done += 1;
        let log_p = self.flow_log_prob(&self.net, y, &batch.labels, &self.train_device)?; // [n]
        let d = self.spec.dim() as f64;
        let loss = log_p.mean().neg().div_scalar(d); // [1]
        let flow_nll = loss.clone().into_scalar::<f32>() as f64 * d;
        let nll = flow_nll
            - pre_log_det.iter().sum::<f64>() / batch.len() as f64
            - self.dequantization_term();
        let grads = loss.backward();
        let net = self.net.clone();
        self.net = net.step(
            &mut self.optim,
            self.learning_rate,
            self.config.grad_clip,
            grads,
        );
        let metrics = StepMetrics::new(nll);
        Ok(if self.spec.is_discrete() {
            metrics.with("bpd", nll / (d * LN_2))
        } else {
            metrics
        })
    }

    /// z ~ N(0, temperature^2 I) drawn on the host from `seed`, then x = f^{-1}(z).
    pub(crate) fn draw(
        &self,
        n: usize,
        labels: Option<&[usize]>,
        seed: u64,
    ) -> anyhow::Result<Batch> {
        let labels = labels::for_samples(n, labels, self.classes)?;
        let d = self.spec.dim();
        let mut rng = Rng::new(seed);
        let t = self.config.temperature;
        let z: Vec<f32> = (0..n * d).map(|_| (rng.normal() * t) as f32).collect();
        let mut x = Vec::with_capacity(n * d);
        for start in (0..n).step_by(self.config.eval_batch) {
            let end = (start + self.config.eval_batch).min(n);
            let part_labels = if self.classes > 0 {
                &labels[start..end]
            } else {
                &[][..]
            };
            let y = self.inverse(&z[start * d..end * d], part_labels)?;
            x.extend(self.levels_of(&y));
        }
        Ok(Batch::new(x, labels, d))
    }

    /// Exact log p(x) on vectors (kind `Exact`); on images the dequantized bound on log P(k)
    /// with one u ~ U[0,1)^D per example drawn from `seed` (kind `Dequantized`).
    pub(crate) fn likelihood(&self, batch: &Batch, seed: u64) -> anyhow::Result<Likelihood> {
        let net = self.net.valid();
        let mut rng = Rng::new(seed);
        let mut out = Vec::with_capacity(batch.len());
        let idx: Vec<usize> = (0..batch.len()).collect();
        for part in idx.chunks(self.config.eval_batch) {
            let sub = batch.select(part);
            let (y, pre) = self.preprocess(&sub, &mut rng);
            let labels = if self.classes > 0 {
                sub.labels.clone()
            } else {
                Vec::new()
            };
            let lp = host::floats_f64(self.flow_log_prob(&net, y, &labels, &self.device)?);
            out.extend(
                lp.iter()
                    .zip(&pre)
                    .map(|(l, p)| l + p + self.dequantization_term()),
            );
        }
        let kind = if self.spec.is_discrete() {
            LikelihoodKind::Dequantized
        } else {
            LikelihoodKind::Exact
        };
        Ok(Likelihood::new(kind, out))
    }

    pub(crate) fn save_to(&self, dir: &Path) -> anyhow::Result<()> {
        self.net.save(&dir.join("flow.bpk"))?;
        checkpoint::save_optimizer(&self.optim, &dir.join("optimizer.bpk"))?;
        fsutil::write_json(
            &dir.join("flow.json"),
            &SavedState {
                steps_done: self.steps_done,
            },
        )
    }

    pub(crate) fn load_from(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.net = self.net.clone().load(&dir.join("flow.bpk"))?;
        self.optim = checkpoint::load_optimizer(new_optim(), &dir.join("optimizer.bpk"))?;
        let state: SavedState = fsutil::read_json(&dir.join("flow.json"))?;
        self.steps_done = state.steps_done;
        Ok(())
    }
}

//! The autoregressive model behind the contract: exact log p(x) = sum_d log p(x_d | x_<d) in one
//! pass, samples in D passes (one dimension per pass, batched over the samples).

use crate::config::{Arch, AutoregressiveConfig};
use crate::heads::Head;
use crate::net::{Condition, Net};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use genbench_core::likelihood::{Likelihood, LikelihoodKind};
use genbench_core::preprocess::{level_to_signed, level_to_unit};
use genbench_core::seed::Rng;
use genbench_core::{Batch, DataSpec, GenerativeModel, ModelInfo, StepMetrics, checkpoint};
use std::path::Path;

pub struct ArModel {
    pub(crate) config: AutoregressiveConfig,
    pub(crate) spec: DataSpec,
    pub(crate) head: Head,
    /// The network on the autodiff device (training); `net.valid()` scores and samples.
    pub(crate) net: Net,
    pub(crate) optim: ModuleOptimizer,
    /// Autodiff device (training) and plain device (scoring, sampling).
    pub(crate) train_device: Device,
    pub(crate) device: Device,
    pub(crate) learning_rate: f64,
    /// Classes of the label (0 when unconditional).
    pub(crate) classes: usize,
    /// The dimensions in generation order.
    pub(crate) order: Vec<usize>,
}

impl ArModel {
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
        anyhow::ensure!(
            batch.labels.len() == batch.len(),
            "a conditional model needs labelled data"
        );
        anyhow::ensure!(
            batch.labels.iter().all(|&l| l < self.classes),
            "a label is out of range 0..{}",
            self.classes
        );
        Ok(Some(Condition::new(&batch.labels, self.classes, device)))
    }

    /// log p(x) per example `[batch]` with `net` on `device`.
    fn log_prob(&self, net: &Net, batch: &Batch, device: &Device) -> anyhow::Result<Tensor<1>> {
        let n = batch.len();
        let inputs = Tensor::from_data(
            TensorData::new(self.encode(&batch.x), [n, batch.dim]),
            device,
        ); // [batch, D]
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
                let inputs = Tensor::from_data(
                    TensorData::new(self.encode(&x[start * d..end * d]), [rows, d]),
                    &self.device,
                ); // [rows, D]
                let p = net.params_at(inputs, cond.as_ref(), pos); // [rows, per_dim]
                let p = p
                    .into_data()
                    .convert::<f32>()
                    .try_into_vec::<f32>()
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
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
        let labels = self.labels_for(
            images.len(),
            images.has_labels().then_some(&images.labels[..]),
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
        let inputs = Tensor::from_data(
            TensorData::new(self.encode(&batch.x), [batch.len(), batch.dim]),
            &self.device,
        ); // [n, D]
        let cond = self.condition(batch, &self.device)?;
        let p = self.net.valid().params(inputs, cond.as_ref()); // [n, D, per_dim]
        p.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("{e:?}"))
    }

    /// The parameters of dimension `pos` alone, `[n, per_dim]`, by the sampling path (MADE's
    /// output columns of `pos`; PixelCNN's receptive-field crop when `crop` is on).
    pub fn conditional_at(&self, batch: &Batch, pos: usize) -> anyhow::Result<Vec<f32>> {
        let inputs = Tensor::from_data(
            TensorData::new(self.encode(&batch.x), [batch.len(), batch.dim]),
            &self.device,
        ); // [n, D]
        let cond = self.condition(batch, &self.device)?;
        let p = self.net.valid().params_at(inputs, cond.as_ref(), pos); // [n, per_dim]
        p.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("{e:?}"))
    }

    fn labels_for(&self, n: usize, labels: Option<&[usize]>) -> anyhow::Result<Vec<usize>> {
        if self.classes == 0 {
            return Ok(Vec::new());
        }
        match labels {
            Some(l) => {
                anyhow::ensure!(l.len() == n, "{} labels for {n} samples", l.len());
                anyhow::ensure!(
                    l.iter().all(|&c| c < self.classes),
                    "a label is out of range 0..{}",
                    self.classes
                );
                Ok(l.to_vec())
            }
            None => Ok((0..n).map(|i| i % self.classes).collect()),
        }
    }
}

impl GenerativeModel for ArModel {
    fn info(&self) -> ModelInfo {
        match self.config.arch {
            Arch::Made => ModelInfo {
                family: crate::NAME,
                arch: "MADE".into(),
                paper: "Germain et al. 2015",
                year: 2015,
            },
            Arch::Pixelcnn => ModelInfo {
                family: crate::NAME,
                arch: if self.config.gated {
                    "PixelCNN (gated)".into()
                } else {
                    "PixelCNN".into()
                },
                paper: "van den Oord et al. 2016",
                year: 2016,
            },
        }
    }

    /// Mixture heads: spread each dimension's K component means over the training data's
    /// quantiles (j + 1/2)/K, with scales of half the spacing of the central 98%.
    fn begin(&mut self, train: &Batch) -> anyhow::Result<()> {
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
    fn train_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
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

    fn sample(&mut self, n: usize, labels: Option<&[usize]>, seed: u64) -> anyhow::Result<Batch> {
        let labels = self.labels_for(n, labels)?;
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
    fn log_likelihood(&mut self, batch: &Batch, _seed: u64) -> anyhow::Result<Likelihood> {
        let net = self.net.valid();
        let mut out = Vec::with_capacity(batch.len());
        let idx: Vec<usize> = (0..batch.len()).collect();
        for part in idx.chunks(self.config.eval_batch) {
            let lp = self.log_prob(&net, &batch.select(part), &self.device)?;
            out.extend(
                lp.into_data()
                    .convert::<f64>()
                    .try_into_vec::<f64>()
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?,
            );
        }
        Ok(Likelihood::new(LikelihoodKind::Exact, out))
    }

    fn evals_per_sample(&self) -> f64 {
        self.spec.dim() as f64
    }

    fn num_params(&self) -> usize {
        self.net.num_params()
    }

    fn is_conditional(&self) -> bool {
        self.classes > 0
    }

    fn save(&self, dir: &Path) -> anyhow::Result<()> {
        self.net.save(&dir.join("net"))?;
        checkpoint::save_optimizer(&self.optim, &dir.join("optim"))
    }

    fn load(&mut self, dir: &Path) -> anyhow::Result<()> {
        self.net = self.net.clone().load(&dir.join("net"))?;
        let optim = std::mem::replace(&mut self.optim, burn::optim::AdamConfig::new().init());
        self.optim = checkpoint::load_optimizer(optim, &dir.join("optim"))?;
        Ok(())
    }

    fn write_artifacts(&mut self, test: &Batch, dir: &Path, seed: u64) -> anyhow::Result<()> {
        if self.spec.is_image() {
            crate::completion::write_completions(
                self,
                test,
                &dir.join("ar_completions.png"),
                seed,
            )?;
        }
        Ok(())
    }
}

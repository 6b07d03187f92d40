//! [`GmmModel`]: the restarts' mixtures per class, EM steps on the model's space, sampling and
//! the exact (vectors) or dequantized (images) log-likelihood.

use crate::config::GmmConfig;
use crate::mixture::Mixture;
use anyhow::Context;
use genbench_core::likelihood::{Likelihood, LikelihoodKind};
use genbench_core::preprocess::{dequantization_log_jacobian, dequantize};
use genbench_core::seed::Rng;
use genbench_core::{Batch, BuildContext, DataSpec, StepMetrics, labels};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// `restarts[r][c]`: restart r's mixture for class c (one class when unconditional).
pub struct GmmModel {
    config: GmmConfig,
    spec: DataSpec,
    classes: usize,
    restarts: Vec<Vec<Mixture>>,
    best: usize,
    init_rng: Rng,
    noise_rng: Rng,
}

impl GmmModel {
    /// An unfitted mixture for `ctx.spec` (fitted by [`Self::initialise`] and EM steps).
    pub fn new(config: GmmConfig, ctx: &BuildContext) -> anyhow::Result<Self> {
        config.validate()?;
        let classes = ctx.condition_classes()?.max(1);
        Ok(Self {
            config,
            spec: ctx.spec.clone(),
            classes,
            restarts: Vec::new(),
            best: 0,
            init_rng: ctx.seeds.rng("init"),
            noise_rng: ctx.seeds.rng("noise"),
        })
    }

    /// Whether the mixture is one per class.
    pub fn conditional(&self) -> bool {
        self.classes > 1
    }

    /// Data values -> the mixture's space: coordinates as they are; levels dequantized to
    /// (k + u)/L with fresh u ~ U[0,1).
    /// Returns `[n, D]`.
    #[allow(clippy::wrong_self_convention)] // &mut: the dequantization noise comes from self's rng
    fn to_model_space(&mut self, batch: &Batch) -> DMatrix<f64> {
        let values: Vec<f64> = match self.spec.levels {
            Some(l) => batch
                .x
                .iter()
                .map(|&k| dequantize(k, self.noise_rng.uniform() as f32, l) as f64)
                .collect(),
            None => batch.x.iter().map(|&v| v as f64).collect(),
        };
        DMatrix::from_row_slice(batch.len(), batch.dim, &values)
    }

    /// Indices of `batch` per class (all in class 0 when unconditional).
    fn split_by_class(&self, batch: &Batch) -> anyhow::Result<Vec<Vec<usize>>> {
        let mut groups = vec![Vec::new(); self.classes];
        for i in 0..batch.len() {
            let c = if self.conditional() {
                *batch
                    .labels
                    .get(i)
                    .context("a conditional mixture needs labelled data")?
            } else {
                0
            };
            anyhow::ensure!(
                c < self.classes,
                "label {c} out of range 0..{}",
                self.classes
            );
            groups[c].push(i);
        }
        Ok(groups)
    }

    /// k-means++ starts of every restart (per class) from `train`.
    pub(crate) fn initialise(&mut self, train: &Batch) -> anyhow::Result<()> {
        let xs = self.to_model_space(train);
        let groups = self.split_by_class(train)?;
        self.restarts = (0..self.config.restarts)
            .map(|_| {
                groups
                    .iter()
                    .map(|idx| {
                        let pts = xs.select_rows(idx);
                        let k = self.config.components.min(pts.nrows().max(1));
                        Mixture::kmeans_plus_plus(
                            &pts,
                            k,
                            self.config.covariance,
                            self.config.variance_floor,
                            &mut self.init_rng,
                        )
                    })
                    .collect()
            })
            .collect();
        Ok(())
    }

    /// The config it was built from.
    pub fn config(&self) -> &GmmConfig {
        &self.config
    }

    /// One EM iteration per restart and class; the loss is the best restart's NLL per example
    /// (nats, in the model's space) before the update.
    pub(crate) fn em_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        if self.restarts.is_empty() {
            self.initialise(batch)?;
        }
        let xs = self.to_model_space(batch);
        let groups = self.split_by_class(batch)?;
        let mut nll = Vec::with_capacity(self.restarts.len());
        for mixtures in &mut self.restarts {
            let mut total = 0.0;
            for (mixture, idx) in mixtures.iter_mut().zip(&groups) {
                if idx.is_empty() {
                    continue;
                }
                total +=
                    mixture.em_step(&xs.select_rows(idx), &mut self.init_rng) * idx.len() as f64;
            }
            nll.push(-total / batch.len() as f64);
        }
        self.best = (0..nll.len())
            .min_by(|&a, &b| nll[a].total_cmp(&nll[b]))
            .unwrap_or(0);
        Ok(StepMetrics::new(nll[self.best]))
    }

    /// `n` draws from the best restart (per class), levels floored back from [0, 1].
    pub(crate) fn draw(
        &self,
        n: usize,
        labels: Option<&[usize]>,
        seed: u64,
    ) -> anyhow::Result<Batch> {
        anyhow::ensure!(!self.restarts.is_empty(), "the mixture has not been fitted");
        let mut rng = Rng::new(seed);
        let condition_classes = if self.conditional() { self.classes } else { 0 };
        let labels = labels::for_samples(n, labels, condition_classes)?;
        let mut x = Vec::with_capacity(n * self.spec.dim());
        for i in 0..n {
            let class = labels.get(i).copied().unwrap_or(0);
            let v = self.restarts[self.best][class].sample(&mut rng);
            match self.spec.levels {
                Some(l) => x.extend(
                    v.iter()
                        .map(|&u| (u * l as f64).floor().clamp(0.0, (l - 1) as f64) as f32),
                ),
                None => x.extend(v.iter().map(|&u| u as f32)),
            }
        }
        Ok(Batch::new(x, labels, self.spec.dim()))
    }

    /// Exact log p(x) on vectors; on images log p((k+u)/L) - D log L with one u per example,
    /// an unbiased estimate of the dequantized bound on log P(k).
    pub(crate) fn likelihood(&mut self, batch: &Batch, seed: u64) -> anyhow::Result<Likelihood> {
        anyhow::ensure!(!self.restarts.is_empty(), "the mixture has not been fitted");
        self.noise_rng = Rng::new(seed);
        let xs = self.to_model_space(batch);
        let groups = self.split_by_class(batch)?;
        let mut ll = vec![0.0; batch.len()];
        for (mixture, idx) in self.restarts[self.best].iter().zip(&groups) {
            if idx.is_empty() {
                continue;
            }
            for (&i, v) in idx.iter().zip(mixture.log_probs(&xs.select_rows(idx))) {
                ll[i] = v;
            }
        }
        let kind = match self.spec.levels {
            Some(l) => {
                let jac = dequantization_log_jacobian(self.spec.dim(), l);
                ll.iter_mut().for_each(|v| *v += jac);
                LikelihoodKind::Dequantized
            }
            None => LikelihoodKind::Exact,
        };
        Ok(Likelihood::new(kind, ll))
    }

    /// Free parameters of one restart's mixtures.
    pub fn num_params(&self) -> usize {
        self.restarts
            .first()
            .map(|m| m.iter().map(Mixture::num_params).sum())
            .unwrap_or(0)
    }

    /// The best restart's index and every restart's mixtures into `dir`.
    pub(crate) fn save_to(&self, dir: &Path) -> anyhow::Result<()> {
        let state = SavedState {
            best: self.best,
            restarts: self.restarts.clone(),
        };
        genbench_core::fsutil::write_json(&dir.join("gmm.json"), &state)
    }

    /// What [`Self::save_to`] wrote.
    pub(crate) fn load_from(&mut self, dir: &Path) -> anyhow::Result<()> {
        let state: SavedState = genbench_core::fsutil::read_json(&dir.join("gmm.json"))?;
        self.best = state.best;
        self.restarts = state.restarts;
        Ok(())
    }
}

#[derive(Serialize, Deserialize)]
struct SavedState {
    best: usize,
    restarts: Vec<Vec<Mixture>>,
}

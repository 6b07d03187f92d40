//! The classical baseline: a Gaussian mixture fitted by EM (Dempster, Laird & Rubin 1977),
//! behind the same contract as the neural families.
//!
//! Each training step is one EM iteration of every restart on the batch (the manifest gives
//! the mixture `batch_size = "full"`); the restart with the highest likelihood so far is the
//! model that samples and scores. On images the mixture models uniformly dequantized data
//! (k + u)/L in [0,1]^D, so its NLL bounds the discrete NLL like every other family's.
// Issue #17: the workspace denies missing_docs; this crate's public items are not all
// documented yet. Remove this line once `cargo clippy -p genbench-gmm` passes without it.
#![allow(missing_docs)]

mod mixture;

use anyhow::Context;
use genbench_core::check::{require, require_positive};
use genbench_core::likelihood::{Likelihood, LikelihoodKind};
use genbench_core::preprocess::{dequantization_log_jacobian, dequantize};
use genbench_core::seed::Rng;
use genbench_core::{
    Batch, BuildContext, ConfigError, DataSpec, Family, Footprint, GenerativeModel, ModelInfo,
    StepMetrics,
};
pub use mixture::{Component, Covariance, Mixture, log_sum_exp, mixture_component};
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The manifest's `[models.config]` for `family = "gmm"`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GmmConfig {
    /// Mixture components K (per class when conditional).
    pub components: usize,
    pub covariance: Covariance,
    /// Added to every covariance diagonal in the M-step, in the model's space (coordinates for
    /// vectors, [0,1] pixel units for images).
    pub variance_floor: f64,
    /// Independent k-means++ initialisations trained side by side; the best is kept.
    pub restarts: usize,
}

impl Default for GmmConfig {
    fn default() -> Self {
        Self {
            components: 8,
            covariance: Covariance::Full,
            variance_floor: 1e-4,
            restarts: 3,
        }
    }
}

pub struct Gmm;

impl Family for Gmm {
    const NAME: &'static str = "gmm";
    const SUMMARY: &'static str =
        "Gaussian mixture by EM (full or diagonal covariance), exact likelihood, 1 pass per sample";
    type Config = GmmConfig;

    fn validate(config: &GmmConfig, _spec: &DataSpec) -> Result<(), ConfigError> {
        require_positive("components", config.components)?;
        require_positive("restarts", config.restarts)?;
        require(
            config.variance_floor > 0.0 && config.variance_floor.is_finite(),
            "variance_floor",
            || format!("must be positive, got {}", config.variance_floor),
        )
    }

    /// Every restart keeps K weights, means and covariances per class in f64 (two 4-byte values
    /// each); an EM step holds the n x K responsibilities of every restart.
    fn footprint(config: &GmmConfig, spec: &DataSpec, classes: usize) -> Footprint {
        let d = spec.dim() as u64;
        let cov = match config.covariance {
            Covariance::Full => d.saturating_mul(d),
            Covariance::Diagonal => d,
        };
        let k = config.components as u64;
        let mixtures = (config.restarts as u64).saturating_mul(classes.max(1) as u64);
        let per_mixture = k.saturating_mul(cov.saturating_add(d).saturating_add(1));
        Footprint {
            params: mixtures.saturating_mul(per_mixture).saturating_mul(2),
            activations_per_example: k
                .saturating_mul(config.restarts as u64)
                .saturating_add(d)
                .saturating_mul(2),
            fixed: 0,
            eval_batch: 0,
            eval_per_example: 0,
        }
    }

    fn build(config: GmmConfig, ctx: &BuildContext) -> anyhow::Result<Box<dyn GenerativeModel>> {
        Self::validate(&config, &ctx.spec)?;
        let classes = ctx.condition_classes()?.max(1);
        Ok(Box::new(GmmModel {
            config,
            spec: ctx.spec.clone(),
            classes,
            restarts: Vec::new(),
            best: 0,
            init_rng: ctx.seeds.rng("init"),
            noise_rng: ctx.seeds.rng("noise"),
        }))
    }
}

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
    fn conditional(&self) -> bool {
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

    fn initialise(&mut self, train: &Batch) -> anyhow::Result<()> {
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
}

impl GenerativeModel for GmmModel {
    fn info(&self) -> ModelInfo {
        let cov = match self.config.covariance {
            Covariance::Full => "full",
            Covariance::Diagonal => "diag",
        };
        ModelInfo {
            family: Gmm::NAME,
            arch: format!("GMM K={} ({cov})", self.config.components),
            paper: "Dempster et al. 1977",
            year: 1977,
        }
    }

    fn begin(&mut self, train: &Batch) -> anyhow::Result<()> {
        self.initialise(train)
    }

    /// One EM iteration per restart and class; the loss is the best restart's NLL per example
    /// (nats, in the model's space) before the update.
    fn train_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
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

    fn sample(&mut self, n: usize, labels: Option<&[usize]>, seed: u64) -> anyhow::Result<Batch> {
        anyhow::ensure!(!self.restarts.is_empty(), "the mixture has not been fitted");
        let mut rng = Rng::new(seed);
        let labels: Vec<usize> = match (self.conditional(), labels) {
            (true, Some(l)) => l.to_vec(),
            (true, None) => (0..n).map(|i| i % self.classes).collect(),
            (false, _) => Vec::new(),
        };
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
    fn log_likelihood(&mut self, batch: &Batch, seed: u64) -> anyhow::Result<Likelihood> {
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

    fn evals_per_sample(&self) -> f64 {
        1.0
    }

    fn num_params(&self) -> usize {
        self.restarts
            .first()
            .map(|m| m.iter().map(Mixture::num_params).sum())
            .unwrap_or(0)
    }

    fn is_conditional(&self) -> bool {
        self.conditional()
    }

    fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let state = SavedState {
            best: self.best,
            restarts: self.restarts.clone(),
        };
        genbench_core::fsutil::write_json(&dir.join("gmm.json"), &state)
    }

    fn load(&mut self, dir: &Path) -> anyhow::Result<()> {
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

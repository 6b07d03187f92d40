//! The template model's state: the training set (the templates, kept whole), its indices per
//! class, the KDE's bandwidth once chosen, and the cycling order in which samples are drawn.

use crate::config::TemplateConfig;
use crate::deform;
use crate::kde;
use genbench_core::preprocess::{dequantization_log_jacobian, dequantize};
use genbench_core::seed::{self, Rng};
use genbench_core::{Batch, BuildContext, DataSpec, fsutil, labels};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Training examples kept whole, deformed (images) or jittered (vectors) to sample, and a KDE over
/// them for the likelihood.
pub struct TemplateModel {
    pub(crate) config: TemplateConfig,
    pub(crate) spec: DataSpec,
    /// Classes when conditional; 0 otherwise.
    pub(crate) classes: usize,
    /// The training set, as given to `begin`.
    pub(crate) templates: Option<Batch>,
    /// The chosen bandwidth and the validation NLL (nats per example) it reached.
    pub(crate) fit: Option<Fit>,
    init_seed: u64,
    noise_seed: u64,
}

/// The KDE bandwidth chosen on the held-out examples, and what it scored there.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fit {
    /// The chosen bandwidth h, in the model's space.
    pub bandwidth: f64,
    /// The held-out negative log-likelihood at h, in nats per example.
    pub validation_nll_nats: f64,
    /// Examples held out to choose h.
    pub validation_examples: usize,
}

#[derive(Serialize, Deserialize)]
struct SavedState {
    dim: usize,
    x: Vec<f32>,
    labels: Vec<usize>,
    fit: Option<Fit>,
}

impl TemplateModel {
    /// The model `config` describes for the data of `ctx`; it holds no examples before `begin`.
    pub fn new(config: TemplateConfig, ctx: &BuildContext) -> anyhow::Result<Self> {
        config.validate()?;
        anyhow::ensure!(
            ctx.spec.is_image() || (config.max_shift == 0 && config.elastic_alpha == 0.0),
            "max_shift and elastic_alpha deform images; {} holds vectors (use jitter)",
            ctx.spec.name
        );
        anyhow::ensure!(
            !ctx.spec.is_image() || config.jitter == 0.0,
            "jitter perturbs vectors; {} holds images (use max_shift or elastic_alpha)",
            ctx.spec.name
        );
        Ok(Self {
            config,
            spec: ctx.spec.clone(),
            classes: ctx.condition_classes()?,
            templates: None,
            fit: None,
            init_seed: ctx.seeds.stream("init"),
            noise_seed: ctx.seeds.stream("noise"),
        })
    }

    pub(crate) fn templates(&self) -> anyhow::Result<&Batch> {
        self.templates
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the template model has seen no training data"))
    }

    /// The class of example `i` of `batch` (0 when unconditional).
    fn class_of(&self, batch: &Batch, i: usize) -> anyhow::Result<usize> {
        if self.classes == 0 {
            return Ok(0);
        }
        let c = *batch
            .labels
            .get(i)
            .ok_or_else(|| anyhow::anyhow!("a conditional template model needs labels"))?;
        anyhow::ensure!(
            c < self.classes,
            "label {c} out of range 0..{}",
            self.classes
        );
        Ok(c)
    }

    /// Indices of `batch` per class (one group when unconditional).
    pub(crate) fn groups(&self, batch: &Batch) -> anyhow::Result<Vec<Vec<usize>>> {
        let mut groups = vec![Vec::new(); self.classes.max(1)];
        for i in 0..batch.len() {
            groups[self.class_of(batch, i)?].push(i);
        }
        Ok(groups)
    }

    /// Data values -> the KDE's space, `[n, D]` f64: coordinates as they are; levels k
    /// dequantized to (k + u)/L with u drawn from `rng`, or to the bin centre (k + ½)/L when
    /// `rng` is None (the centres).
    fn to_kde_space(&self, batch: &Batch, mut rng: Option<&mut Rng>) -> Vec<f64> {
        match self.spec.levels {
            None => batch.x.iter().map(|&v| v as f64).collect(),
            Some(l) => batch
                .x
                .iter()
                .map(|&k| {
                    let u = rng.as_mut().map(|r| r.uniform() as f32).unwrap_or(0.5);
                    dequantize(k, u, l) as f64
                })
                .collect(),
        }
    }

    /// Choose h on a validation split of the templates: the candidate with the highest mean
    /// log-density of the held-out examples under the KDE of the rest (per class when
    /// conditional).
    pub(crate) fn choose_bandwidth(&mut self) -> anyhow::Result<Fit> {
        let train = self.templates()?.clone();
        let dim = train.dim;
        let mut rng = Rng::new(self.init_seed);
        let order = rng.permutation(train.len());
        let held = ((train.len() as f64 * self.config.validation_fraction).round() as usize)
            .clamp(1, self.config.max_validation)
            .min(train.len().saturating_sub(self.classes.max(1)));
        anyhow::ensure!(
            held >= 1,
            "{} training examples are too few to hold any out for the bandwidth",
            train.len()
        );
        let (validation, fit) = (train.select(&order[..held]), train.select(&order[held..]));
        let centres = self.to_kde_space(&fit, None);
        let grid = if self.config.bandwidths.is_empty() {
            kde::default_grid(&centres, dim)
        } else {
            self.config.bandwidths.clone()
        };
        let points = self.to_kde_space(&validation, Some(&mut rng));
        let mut total = vec![0.0; grid.len()];
        for (v_idx, f_idx) in self.groups(&validation)?.iter().zip(self.groups(&fit)?) {
            if v_idx.is_empty() {
                continue;
            }
            anyhow::ensure!(
                !f_idx.is_empty(),
                "a class has validation examples but no centres"
            );
            let sums = kde::summed_log_density_per_bandwidth(
                &rows(&points, dim, v_idx),
                &rows(&centres, dim, &f_idx),
                dim,
                &grid,
            );
            total.iter_mut().zip(sums).for_each(|(t, s)| *t += s);
        }
        let best = (0..grid.len())
            .max_by(|&a, &b| total[a].total_cmp(&total[b]))
            .expect("a non-empty grid");
        let mut nll = -total[best] / held as f64;
        if let Some(l) = self.spec.levels {
            nll -= dequantization_log_jacobian(dim, l);
        }
        Ok(Fit {
            bandwidth: grid[best],
            validation_nll_nats: nll,
            validation_examples: held,
        })
    }

    /// log p_h(x) per example of `batch`, in nats: exact on vectors; on images the dequantized
    /// bound log p_h((k + u)/L) − D log L with one u per value drawn from `seed`.
    pub(crate) fn log_density(&self, batch: &Batch, seed: u64) -> anyhow::Result<Vec<f64>> {
        let fit = self
            .fit
            .ok_or_else(|| anyhow::anyhow!("the bandwidth has not been chosen (train first)"))?;
        let train = self.templates()?;
        let dim = train.dim;
        let centres = self.to_kde_space(train, None);
        let points = self.to_kde_space(batch, Some(&mut Rng::new(seed)));
        let jacobian = self
            .spec
            .levels
            .map(|l| dequantization_log_jacobian(dim, l))
            .unwrap_or(0.0);
        let mut out = vec![0.0; batch.len()];
        for (b_idx, t_idx) in self.groups(batch)?.iter().zip(self.groups(train)?) {
            if b_idx.is_empty() {
                continue;
            }
            let lp = kde::log_densities(
                &rows(&points, dim, b_idx),
                &rows(&centres, dim, &t_idx),
                dim,
                fit.bandwidth,
            );
            for (&i, v) in b_idx.iter().zip(lp) {
                out[i] = v + jacobian;
            }
        }
        Ok(out)
    }

    /// `n` samples: for each class asked for, its templates in a random order, each once before
    /// any repeats (so n = N returns the training set itself, shuffled), then deformed.
    pub(crate) fn draw(
        &self,
        n: usize,
        labels: Option<&[usize]>,
        seed: u64,
    ) -> anyhow::Result<Batch> {
        let train = self.templates()?;
        let groups = self.groups(train)?;
        let labels = labels::for_samples(n, labels, self.classes)?;
        let mut rng = Rng::new(seed);
        let mut cursors: Vec<(Vec<usize>, usize)> = vec![(Vec::new(), 0); groups.len()];
        let mut x = Vec::with_capacity(n * train.dim);
        for i in 0..n {
            let class = labels.get(i).copied().unwrap_or(0);
            anyhow::ensure!(class < groups.len(), "label {class} out of range");
            let group = &groups[class];
            anyhow::ensure!(!group.is_empty(), "class {class} has no training examples");
            let (order, next) = &mut cursors[class];
            if *next == order.len() {
                *order = rng.permutation(group.len());
                *next = 0;
            }
            let template = train.row(group[order[*next]]);
            *next += 1;
            let mut deform_rng = Rng::new(seed::derive(seed ^ self.noise_seed, i as u64));
            x.extend(self.deform(template, &mut deform_rng));
        }
        Ok(Batch::new(x, labels, train.dim))
    }

    /// One template through the configured deformations (elastic, then shift; jitter on vectors).
    fn deform(&self, template: &[f32], rng: &mut Rng) -> Vec<f32> {
        if !self.spec.is_image() {
            let s = self.config.jitter;
            return template
                .iter()
                .map(|&v| {
                    if s > 0.0 {
                        (v as f64 + s * rng.normal()) as f32
                    } else {
                        v
                    }
                })
                .collect();
        }
        let shape = self.spec.image_shape();
        let mut img = template.to_vec();
        if self.config.elastic_alpha > 0.0 {
            let levels = self.spec.levels.unwrap_or(256);
            img = deform::elastic(
                &img,
                shape,
                self.config.elastic_alpha,
                self.config.elastic_sigma,
                levels,
                rng,
            );
        }
        if self.config.max_shift > 0 {
            let (dx, dy) = deform::random_shift(rng, self.config.max_shift);
            img = deform::translate(&img, shape, dx, dy);
        }
        img
    }

    pub(crate) fn save_to(&self, dir: &Path) -> anyhow::Result<()> {
        let train = self.templates()?;
        let state = SavedState {
            dim: train.dim,
            x: train.x.clone(),
            labels: train.labels.clone(),
            fit: self.fit,
        };
        fsutil::write_json(&dir.join("template.json"), &state)
    }

    pub(crate) fn load_from(&mut self, dir: &Path) -> anyhow::Result<()> {
        let state: SavedState = fsutil::read_json(&dir.join("template.json"))?;
        anyhow::ensure!(
            state.dim == self.spec.dim(),
            "checkpoint holds examples of dim {}, the data has {}",
            state.dim,
            self.spec.dim()
        );
        self.templates = Some(Batch::new(state.x, state.labels, state.dim));
        self.fit = state.fit;
        Ok(())
    }
}

/// The rows `idx` of a row-major `[n, dim]` buffer, concatenated.
fn rows(values: &[f64], dim: usize, idx: &[usize]) -> Vec<f64> {
    idx.iter()
        .flat_map(|&i| values[i * dim..(i + 1) * dim].iter().copied())
        .collect()
}

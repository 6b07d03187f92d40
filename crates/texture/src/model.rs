//! The texture model's state: the training set (the source of every copied pixel) on the scale
//! the distances use, its indices per class, and the sampler over it.

use crate::config::TextureConfig;
use crate::synth::{self, Rule};
use crate::window::CausalWindow;
use genbench_core::preprocess::{level_to_unit, unit_to_level};
use genbench_core::seed::{self, Rng};
use genbench_core::{Batch, BuildContext, DataSpec, fsutil, labels};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Efros–Leung non-parametric synthesis: each value copied from a training example whose causal
/// neighbourhood matches.
pub struct TextureModel {
    pub(crate) config: TextureConfig,
    pub(crate) spec: DataSpec,
    /// Classes when conditional; 0 otherwise.
    pub(crate) classes: usize,
    /// The training set as given to `begin` (levels for images).
    pub(crate) sources: Option<Batch>,
    /// The same values on the distances' scale: [0, 1] for images, as they are for vectors.
    scaled: Vec<f32>,
    window: CausalWindow,
}

#[derive(Serialize, Deserialize)]
struct SavedState {
    dim: usize,
    x: Vec<f32>,
    labels: Vec<usize>,
}

impl TextureModel {
    /// The model `config` describes for the data of `ctx`; it holds no examples before `begin`.
    pub fn new(config: TextureConfig, ctx: &BuildContext) -> anyhow::Result<Self> {
        config.validate()?;
        let window = if ctx.spec.is_image() {
            CausalWindow::image(config.half(), config.gaussian_weights)
        } else {
            CausalWindow::vector(config.half(), config.gaussian_weights)
        };
        Ok(Self {
            config,
            spec: ctx.spec.clone(),
            classes: ctx.condition_classes()?,
            sources: None,
            scaled: Vec::new(),
            window,
        })
    }

    pub(crate) fn keep(&mut self, train: &Batch) -> anyhow::Result<()> {
        anyhow::ensure!(
            train.dim == self.spec.dim(),
            "training data of the wrong dim"
        );
        anyhow::ensure!(!train.is_empty(), "no training examples to copy from");
        self.scaled = match self.spec.levels {
            Some(l) => train.x.iter().map(|&k| level_to_unit(k, l)).collect(),
            None => train.x.clone(),
        };
        self.sources = Some(train.clone());
        Ok(())
    }

    fn rule(&self) -> Rule {
        Rule {
            selection: self.config.selection,
            k: self.config.k,
            epsilon: self.config.epsilon,
        }
    }

    /// `n` samples, each synthesised from its own pool of training examples (of its class when
    /// conditional) with its own generator, so the result does not depend on the thread count.
    pub(crate) fn draw(
        &self,
        n: usize,
        labels: Option<&[usize]>,
        seed: u64,
    ) -> anyhow::Result<Batch> {
        let train = self
            .sources
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the texture model has seen no training data"))?;
        let dim = train.dim;
        let labels = labels::for_samples(n, labels, self.classes)?;
        let mut groups = vec![Vec::new(); self.classes.max(1)];
        for i in 0..train.len() {
            let c = if self.classes > 0 { train.labels[i] } else { 0 };
            groups[c].push(i);
        }
        for &c in &labels {
            anyhow::ensure!(
                c < groups.len() && !groups[c].is_empty(),
                "class {c} has no training examples"
            );
        }
        let rule = self.rule();
        let examples: Vec<Vec<f32>> = (0..n)
            .into_par_iter()
            .map(|i| {
                let mut rng = Rng::new(seed::derive(seed, i as u64));
                let group = &groups[labels.get(i).copied().unwrap_or(0)];
                let size = match self.config.pool {
                    0 => group.len(),
                    p => p.min(group.len()),
                };
                let pool = random_subset(group, size, &mut rng);
                let sources: Vec<&[f32]> = pool
                    .iter()
                    .map(|&j| &self.scaled[j * dim..(j + 1) * dim])
                    .collect();
                if self.spec.is_image() {
                    let v = synth::image(
                        &sources,
                        self.spec.image_shape(),
                        &self.window,
                        &rule,
                        self.config.search_radius,
                        &mut rng,
                    );
                    let l = self.spec.levels.unwrap_or(256);
                    v.iter().map(|&u| unit_to_level(u, l)).collect()
                } else {
                    synth::vector(&sources, &self.window, &rule, &mut rng)
                }
            })
            .collect();
        Ok(Batch::new(examples.concat(), labels, dim))
    }

    pub(crate) fn save_to(&self, dir: &Path) -> anyhow::Result<()> {
        let train = self
            .sources
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("nothing to save: no training data seen"))?;
        let state = SavedState {
            dim: train.dim,
            x: train.x.clone(),
            labels: train.labels.clone(),
        };
        fsutil::write_json(&dir.join("texture.json"), &state)
    }

    pub(crate) fn load_from(&mut self, dir: &Path) -> anyhow::Result<()> {
        let state: SavedState = fsutil::read_json(&dir.join("texture.json"))?;
        self.keep(&Batch::new(state.x, state.labels, state.dim))
    }
}

/// `size` distinct members of `group` in a random order (a partial Fisher–Yates shuffle).
fn random_subset(group: &[usize], size: usize, rng: &mut Rng) -> Vec<usize> {
    let mut items = group.to_vec();
    for i in 0..size {
        let j = i + rng.below(items.len() - i);
        items.swap(i, j);
    }
    items.truncate(size);
    items
}

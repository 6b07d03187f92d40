//! [`FeatureNet`]: the small classifier whose penultimate layer is the feature space of FD,
//! KID and the k-NN metrics on images (the "Fréchet LeNet distance" of the MNIST literature).
//!
//! Architecture ([`ARCH`]), for `[C, H, W]` images scaled to `[0, 1]`:
//!
//! ```text
//! conv 3x3 C->32, same, ReLU   (+ max-pool 2x2 when H >= 16)
//! conv 3x3 32->32, same, ReLU, max-pool 2x2
//! adaptive average pool to 4x4            -> 512
//! linear 512 -> 64                        -> the features (pre-activation)
//! ReLU, linear 64 -> classes              -> logits
//! ```
//!
//! The features are taken before the ReLU so that dead units do not leave constant (and so
//! singular) directions in the covariance.

use anyhow::{Context, bail, ensure};
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::activation::relu;
use genbench_core::{Batch, DataSpec, Seeds, init};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

use crate::featureset::FeatureSet;

/// Names the architecture and training recipe in cache folder names; change it with either.
pub const ARCH: &str = "lenet-c32c32-f64-v2";
/// Width of the feature layer.
pub const FEATURE_DIM: usize = 64;
const BATCH: usize = 64;
const LEARNING_RATE: f64 = 1e-3;
/// Training examples seen, `epochs * n_train ~ EXAMPLES_SEEN` with 3..=30 epochs (one epoch of
/// Fashion-MNIST's 60k left the classifier at 0.795 test accuracy).
const EXAMPLES_SEEN: usize = 30_000;
const EVAL_BATCH: usize = 500;

#[derive(Module, Debug)]
struct Cnn {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    squeeze: AdaptiveAvgPool2d,
    hidden: Linear,
    out: Linear,
    early_pool: bool,
}

impl Cnn {
    fn new(spec: &DataSpec, device: &Device) -> Self {
        let [channels, height, _] = spec.image_shape();
        let conv = |c_in, c_out| {
            Conv2dConfig::new([c_in, c_out], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(device)
        };
        Cnn {
            conv1: conv(channels, 32),
            conv2: conv(32, 32),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            squeeze: AdaptiveAvgPool2dConfig::new([4, 4]).init(),
            hidden: LinearConfig::new(32 * 16, FEATURE_DIM).init(device),
            out: LinearConfig::new(FEATURE_DIM, spec.num_classes).init(device),
            early_pool: height >= 16,
        }
    }

    /// `[n, C, H, W]` in `[0, 1]` -> features `[n, FEATURE_DIM]`.
    fn features(&self, x: Tensor<4>) -> Tensor<2> {
        let mut h = relu(self.conv1.forward(x));
        if self.early_pool {
            h = self.pool.forward(h);
        }
        let h = self
            .squeeze
            .forward(self.pool.forward(relu(self.conv2.forward(h))));
        self.hidden.forward(h.flatten(1, 3))
    }

    /// `[n, C, H, W]` -> logits `[n, classes]`.
    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        self.out.forward(relu(self.features(x)))
    }
}

/// What `featurenet.json` beside the weights records.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FeatureNetInfo {
    /// The dataset's name.
    pub dataset: String,
    /// Hash of the dataset's `preprocessing` line (levels, split sizes, seed): names the cache.
    pub split_key: String,
    /// The network's architecture id ([`ARCH`]).
    pub arch: String,
    /// The seed of its initialisation and shuffling.
    pub seed: u64,
    /// Image shape `[C, H, W]` it reads.
    pub shape: Vec<usize>,
    /// Pixel levels `L` of its input (values `0..L`).
    pub levels: u32,
    /// Classes it predicts.
    pub num_classes: usize,
    /// Training images it was fitted on.
    pub train_examples: usize,
    /// Test images its accuracy is measured on.
    pub test_examples: usize,
    /// Passes over the training images.
    pub epochs: usize,
    /// Share of test images classified correctly.
    pub test_accuracy: f64,
    /// Wall-clock seconds of its training.
    pub train_seconds: f64,
}

/// A trained feature network on the plain (inference) device.
#[derive(Debug)]
pub struct FeatureNet {
    net: Cnn,
    spec: DataSpec,
    levels: u32,
    device: Device,
    info: FeatureNetInfo,
}

impl FeatureNet {
    /// Load the network from `cache_dir/<dataset>-<split_key>-<ARCH>-seed<seed>/`, or train it
    /// there when the folder does not exist.
    ///
    /// Training: Adam (lr 1e-3), batches of 64, cross-entropy on the labels, pixels scaled
    /// from levels `0..L` to `k / (L - 1)`, `ceil(30,000 / n_train)` epochs clamped to 1..=30.
    /// Initialisation and shuffling derive from `seed`; with the same backend and thread count
    /// the weights are reproducible. The folder is written under a temporary name and renamed,
    /// so a concurrent or interrupted run never leaves half a network.
    pub fn load_or_train(
        spec: &DataSpec,
        train: &Batch,
        test: &Batch,
        split_key: &str,
        cache_dir: &Path,
        seed: u64,
        device: &Device,
    ) -> anyhow::Result<Self> {
        let levels = check_spec(spec)?;
        let dir = cache_dir.join(format!("{}-{split_key}-{ARCH}-seed{seed}", spec.name));
        if dir.join(INFO_FILE).exists() {
            return Self::load(spec, &dir, device);
        }
        ensure!(
            train.has_labels() && test.has_labels(),
            "the feature network needs labelled images"
        );
        ensure!(
            train.dim == spec.dim() && test.dim == spec.dim(),
            "batches do not match {:?}",
            spec.shape
        );
        let start = Instant::now();
        let (net, epochs) = fit(spec, levels, train, seed, device);
        let mut this = FeatureNet {
            net,
            spec: spec.clone(),
            levels,
            device: device.clone(),
            info: FeatureNetInfo {
                dataset: spec.name.clone(),
                split_key: split_key.to_string(),
                arch: ARCH.to_string(),
                seed,
                shape: spec.shape.clone(),
                levels,
                num_classes: spec.num_classes,
                train_examples: train.len(),
                test_examples: test.len(),
                epochs,
                test_accuracy: f64::NAN,
                train_seconds: start.elapsed().as_secs_f64(),
            },
        };
        let predicted = this.classify(test);
        let correct = predicted
            .iter()
            .zip(&test.labels)
            .filter(|(p, y)| p == y)
            .count();
        this.info.test_accuracy = correct as f64 / test.len() as f64;
        this.save(&dir)?;
        Ok(this)
    }

    fn load(spec: &DataSpec, dir: &Path, device: &Device) -> anyhow::Result<Self> {
        let path = dir.join(INFO_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let info: FeatureNetInfo =
            serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let levels = check_spec(spec)?;
        if info.shape != spec.shape || info.num_classes != spec.num_classes || info.levels != levels
        {
            bail!(
                "{} was trained for {:?} with {} classes, not {:?}",
                dir.display(),
                info.shape,
                info.num_classes,
                spec
            );
        }
        let net = Cnn::new(spec, device)
            .try_load_file(dir.join(WEIGHTS_FILE))
            .map_err(|e| anyhow::anyhow!("loading {}: {e:?}", dir.join(WEIGHTS_FILE).display()))?;
        Ok(FeatureNet {
            net,
            spec: spec.clone(),
            levels,
            device: device.clone(),
            info,
        })
    }

    fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let tmp = genbench_core::fsutil::temp_sibling(dir, "tmp");
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        self.net
            .clone()
            .into_record()
            .save(tmp.join(WEIGHTS_FILE))
            .map_err(|e| {
                anyhow::anyhow!("saving the feature network to {}: {e:?}", tmp.display())
            })?;
        genbench_core::fsutil::write_json(&tmp.join(INFO_FILE), &self.info)?;
        if std::fs::rename(&tmp, dir).is_err() && dir.join(INFO_FILE).exists() {
            // Another process finished the same network first; keep its copy.
            std::fs::remove_dir_all(&tmp).ok();
            return Ok(());
        }
        ensure!(
            dir.join(INFO_FILE).exists(),
            "could not move {} to {}",
            tmp.display(),
            dir.display()
        );
        Ok(())
    }

    /// What was recorded when the network was trained.
    pub fn info(&self) -> &FeatureNetInfo {
        &self.info
    }

    /// The batch as `[<= 500, C, H, W]` tensors in `[0, 1]`.
    fn chunks<'a>(&'a self, batch: &'a Batch) -> impl Iterator<Item = Tensor<4>> + 'a {
        assert_eq!(
            batch.dim,
            self.spec.dim(),
            "images of {} values, the network expects {:?}",
            batch.dim,
            self.spec.shape
        );
        (0..batch.len()).step_by(EVAL_BATCH).map(move |start| {
            let rows: Vec<usize> = (start..(start + EVAL_BATCH).min(batch.len())).collect();
            images(&self.spec, self.levels, batch, &rows, &self.device)
        })
    }
}

/// A learned feature space for images: the penultimate layer of a classifier trained on the
/// dataset (FID-approx is the Fréchet distance there) and the classifier itself. The scoring
/// reads images only through it ([`crate::reference::Reference`]), so another extractor plugs
/// in here.
pub trait FeatureSpace {
    /// Share of the held-out test images the classifier gets right.
    fn test_accuracy(&self) -> f64;
    /// The most likely class of each image.
    fn classify(&self, batch: &Batch) -> Vec<usize>;
    /// The features of each image, one row per image.
    fn features(&self, batch: &Batch) -> FeatureSet;
}

impl FeatureSpace for FeatureNet {
    /// Share of the held-out test images the network classifies correctly.
    fn test_accuracy(&self) -> f64 {
        self.info.test_accuracy
    }

    /// Penultimate-layer features `[n, FEATURE_DIM]` of a batch of images in levels,
    /// computed in batches of 500.
    fn features(&self, batch: &Batch) -> FeatureSet {
        let mut values = Vec::with_capacity(batch.len() * FEATURE_DIM);
        for x in self.chunks(batch) {
            let f = self.net.features(x).into_data().convert::<f32>();
            values.extend(f.iter::<f32>().map(f64::from));
        }
        FeatureSet::new(values, FEATURE_DIM)
    }

    /// The most likely class of each image.
    fn classify(&self, batch: &Batch) -> Vec<usize> {
        let mut classes = Vec::with_capacity(batch.len());
        for x in self.chunks(batch) {
            let predicted = self.net.forward(x).argmax(1).into_data().convert::<i64>();
            classes.extend(predicted.iter::<i64>().map(|c| c as usize));
        }
        classes
    }
}

const WEIGHTS_FILE: &str = "model.bpk";
const INFO_FILE: &str = "featurenet.json";

fn check_spec(spec: &DataSpec) -> anyhow::Result<u32> {
    ensure!(
        spec.is_image(),
        "the feature network needs images; {} has shape {:?}",
        spec.name,
        spec.shape
    );
    ensure!(
        spec.num_classes >= 2,
        "the feature network needs labels; {} has none",
        spec.name
    );
    match spec.levels {
        Some(levels) if levels >= 2 => Ok(levels),
        _ => bail!(
            "the feature network needs discrete levels; {} has {:?}",
            spec.name,
            spec.levels
        ),
    }
}

/// Rows `indices` of `batch` as a `[n, C, H, W]` tensor of `k / (L - 1)`.
fn images(
    spec: &DataSpec,
    levels: u32,
    batch: &Batch,
    indices: &[usize],
    device: &Device,
) -> Tensor<4> {
    let scale = 1.0 / (levels - 1) as f32;
    let mut x = Vec::with_capacity(indices.len() * batch.dim);
    for &i in indices {
        x.extend(batch.row(i).iter().map(|v| v * scale));
    }
    let [c, h, w] = spec.image_shape();
    Tensor::from_data(TensorData::new(x, [indices.len(), c, h, w]), device)
}

/// Train a fresh network; returns it on the plain device and the number of epochs.
fn fit(spec: &DataSpec, levels: u32, train: &Batch, seed: u64, device: &Device) -> (Cnn, usize) {
    let seeds = Seeds::new(seed);
    let ad = device.clone().autodiff();
    init::seed(&ad, seeds.stream("init"));
    let mut net = init::on_host(&ad, |d| Cnn::new(spec, d));
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&ad);
    let mut shuffle = seeds.rng("shuffle");
    let epochs = EXAMPLES_SEEN.div_ceil(train.len()).clamp(3, 30);
    for _ in 0..epochs {
        let order = shuffle.permutation(train.len());
        for chunk in order.chunks(BATCH) {
            let x = images(spec, levels, train, chunk, &ad);
            let labels: Vec<i64> = chunk.iter().map(|&i| train.labels[i] as i64).collect();
            let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [chunk.len()]), &ad);
            let loss = loss_fn.forward(net.forward(x), y);
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            net = optim.step(LEARNING_RATE, net, grads);
        }
    }
    (net.valid(), epochs)
}

//! What samples are scored against: the test data and, for images, the project's own
//! classifier as the feature space, trained once per dataset and split, cached under
//! `<results>/feature-nets/`, and used by every run on that data.

use crate::features::{FeatureNet, FeatureSpace};
use burn::prelude::Device;
use genbench_dataset::Dataset;
use std::path::Path;

/// Seed of the classifier: fixed, so every experiment on a dataset shares one feature space.
pub const FEATURE_NET_SEED: u64 = 0;

/// What sample-based metrics compare against: the data, and for images a feature space.
pub struct Reference<'a> {
    /// The dataset; its test split is the real side of every comparison.
    pub data: &'a Dataset,
    /// The image feature space (`None` for 2-D data, scored on raw coordinates).
    pub features: Option<&'a dyn FeatureSpace>,
}

impl<'a> Reference<'a> {
    /// The reference for `data`, with the feature network `net` when there is one.
    pub fn new(data: &'a Dataset, net: Option<&'a FeatureNet>) -> Self {
        Self {
            data,
            features: net.map(|n| n as &dyn FeatureSpace),
        }
    }
}

/// The classifier for an image dataset (None for 2-D data, whose features are its coordinates).
/// The cache sits beside the experiment folder: results/feature-nets/ for results/<experiment>.
pub fn feature_net(
    data: &Dataset,
    experiment_dir: &Path,
    device: &Device,
) -> anyhow::Result<Option<FeatureNet>> {
    if !data.spec.is_image() || data.spec.num_classes == 0 {
        return Ok(None);
    }
    let cache = experiment_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("feature-nets");
    let split_key = split_key(data);
    eprintln!(
        "feature space for {}: classifier {split_key} (cached in {})",
        data.spec.name,
        cache.display()
    );
    let net = FeatureNet::load_or_train(
        &data.spec,
        &data.train,
        &data.test,
        &split_key,
        &cache,
        FEATURE_NET_SEED,
        device,
    )?;
    eprintln!("    classifier test accuracy {:.4}", net.test_accuracy());
    Ok(Some(net))
}

/// A key that changes whenever the data the classifier sees changes: the preprocessing line
/// (levels, binarization, split sizes and seed) reduced to a file-name-safe hash.
fn split_key(data: &Dataset) -> String {
    let h = genbench_core::hash::fnv1a(data.preprocessing.as_bytes());
    format!("{:016x}", h)
}

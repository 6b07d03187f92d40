//! What `genbench list` shows about each dataset, without reading any folder.

use crate::config::{DEFAULT_TEST_POINTS, DEFAULT_TRAIN_POINTS};
use crate::registry::{DATASETS, DatasetEntry};
use crate::toy2d::Entropy;

/// One dataset as listed: sizes are those of the default configuration, `None` when they depend
/// on files not yet read; `entropy` is the true entropy of 2-D densities.
#[derive(Clone, Debug, PartialEq)]
pub struct DatasetInfo {
    /// The manifest's `[[datasets]] name`.
    pub name: &'static str,
    /// `"2-D density"` or `"image"`.
    pub kind: &'static str,
    /// The shape of one example (`[2]`, or `[1, H, W]`).
    pub shape: Vec<usize>,
    /// Grey levels of images as stored; `None` for 2-D densities.
    pub levels: Option<u32>,
    /// Label classes (0 when unlabelled).
    pub num_classes: usize,
    /// Training examples by default.
    pub train_size: Option<usize>,
    /// Test examples by default.
    pub test_size: Option<usize>,
    /// The true entropy (2-D densities).
    pub entropy: Option<Entropy>,
    /// Where the data come from and under which licence.
    pub source: &'static str,
}

/// Every dataset of [`DATASETS`], in that order. Computes the Monte Carlo entropies (well
/// under a second in a release build).
pub fn catalogue() -> Vec<DatasetInfo> {
    DATASETS.iter().map(info).collect()
}

fn info(entry: &DatasetEntry) -> DatasetInfo {
    match (entry.image_listing(), entry.density()) {
        (Some(image), _) => DatasetInfo {
            name: entry.name,
            kind: "image",
            shape: vec![1, image.side, image.side],
            levels: Some(image.levels),
            num_classes: 10,
            train_size: image.default_sizes.map(|s| s.0),
            test_size: image.default_sizes.map(|s| s.1),
            entropy: None,
            source: entry.origin,
        },
        (None, density) => {
            let d = density.expect("an entry is images or a density");
            DatasetInfo {
                name: entry.name,
                kind: "2-D density",
                shape: vec![2],
                levels: None,
                num_classes: d.num_classes(),
                train_size: Some(DEFAULT_TRAIN_POINTS),
                test_size: Some(DEFAULT_TEST_POINTS),
                entropy: Some(d.entropy()),
                source: entry.origin,
            }
        }
    }
}

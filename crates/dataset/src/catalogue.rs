//! What `genbench list` shows about each dataset, without reading any folder.

use crate::config::{DEFAULT_TEST_POINTS, DEFAULT_TRAIN_POINTS};
use crate::{DATASET_NAMES, Entropy, density};

/// One dataset as listed: sizes are those of the default configuration, `None` when they depend
/// on files not yet read; `entropy` is the true entropy of 2-D densities.
#[derive(Clone, Debug, PartialEq)]
pub struct DatasetInfo {
    pub name: &'static str,
    /// `"2-D density"` or `"image"`.
    pub kind: &'static str,
    pub shape: Vec<usize>,
    pub levels: Option<u32>,
    pub num_classes: usize,
    pub train_size: Option<usize>,
    pub test_size: Option<usize>,
    pub entropy: Option<Entropy>,
    pub source: &'static str,
}

/// Every dataset of [`DATASET_NAMES`], in that order. Computes the Monte Carlo entropies (well
/// under a second in a release build).
pub fn catalogue() -> Vec<DatasetInfo> {
    DATASET_NAMES.iter().map(|&name| info(name)).collect()
}

fn info(name: &'static str) -> DatasetInfo {
    let image = |side, levels, sizes: Option<(usize, usize)>, source| DatasetInfo {
        name,
        kind: "image",
        shape: vec![1, side, side],
        levels: Some(levels),
        num_classes: 10,
        train_size: sizes.map(|s: (usize, usize)| s.0),
        test_size: sizes.map(|s| s.1),
        entropy: None,
        source,
    };
    match name {
        "digits" => image(
            8,
            17,
            Some((1437, 360)),
            "UCI optical digits (embedded), CC BY 4.0",
        ),
        "mnist5k" => image(
            28,
            256,
            Some((4000, 1000)),
            "5,000 MNIST training images (embedded), CC BY-SA 3.0",
        ),
        "fashion-mnist" => image(
            28,
            256,
            Some((60_000, 10_000)),
            "Zalando Fashion-MNIST, IDX folder (apt-get install dataset-fashion-mnist), MIT",
        ),
        "mnist" => image(28, 256, None, "MNIST IDX files from data_dir, CC BY-SA 3.0"),
        _ => {
            let d = density(name).expect("every DATASET_NAMES entry is an image or a density");
            DatasetInfo {
                name,
                kind: "2-D density",
                shape: vec![2],
                levels: None,
                num_classes: d.num_classes(),
                train_size: Some(DEFAULT_TRAIN_POINTS),
                test_size: Some(DEFAULT_TEST_POINTS),
                entropy: Some(d.entropy()),
                source: "synthetic, exact density",
            }
        }
    }
}

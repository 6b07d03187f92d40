//! The manifest's `[data]` table.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Which dataset to load and how to preprocess and split it.
///
/// Everything the data depends on — the split, the 2-D draws, the binarization — is a function of
/// this table alone (in particular of `split_seed`, never of a run's seed), so every family trained
/// on the same table sees the same train and test examples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// One of [`crate::DATASET_NAMES`].
    pub name: String,
    /// Folder of IDX files: fashion-mnist (default `/usr/share/datasets/fashion-mnist`) and mnist
    /// (required). Not allowed for the other datasets.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// Images only: map `L` levels to 2, pixel = 1 with probability `k / (L - 1)`, drawn once per
    /// image from `split_seed` (so the test set is fixed).
    #[serde(default)]
    pub binarize: bool,
    /// Images only: requantize `L` levels to `L'` by `k' = floor(k * L' / L)`, `2 <= L' <= L`.
    #[serde(default)]
    pub levels: Option<u32>,
    /// 2-D: points drawn for training (default 20,000). Images: cap on training images (default all).
    #[serde(default)]
    pub train_size: Option<usize>,
    /// 2-D: points drawn for testing (default 5,000). Images: cap on test images (default all).
    #[serde(default)]
    pub test_size: Option<usize>,
    /// Fraction held out for testing where there is no official split (digits, mnist5k), in (0, 1).
    #[serde(default = "default_test_fraction")]
    pub test_fraction: f64,
    /// Seed of the split, the 2-D draws and the binarization.
    #[serde(default)]
    pub split_seed: u64,
}

/// Points drawn for training when a 2-D dataset's `train_size` is not set.
pub const DEFAULT_TRAIN_POINTS: usize = 20_000;
/// Points drawn for testing when a 2-D dataset's `test_size` is not set.
pub const DEFAULT_TEST_POINTS: usize = 5_000;
/// `test_fraction` when not set.
pub const DEFAULT_TEST_FRACTION: f64 = 0.2;

fn default_test_fraction() -> f64 {
    DEFAULT_TEST_FRACTION
}

impl DataConfig {
    /// The table with every field but `name` at its default.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            data_dir: None,
            binarize: false,
            levels: None,
            train_size: None,
            test_size: None,
            test_fraction: DEFAULT_TEST_FRACTION,
            split_seed: 0,
        }
    }
}

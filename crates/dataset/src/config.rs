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
    /// The name of one entry of [`crate::DATASETS`].
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
    /// Share of the training set held out as the validation split, in [0, 1) (0: none), drawn
    /// stratified by label where there are labels. Periodic evaluations and the choice of the
    /// reported checkpoint use it; the model never trains on it, and the test set is scored
    /// once, at the end.
    #[serde(default = "default_validation_fraction")]
    pub validation_fraction: f64,
    /// Seed of the validation split (independent of `split_seed`: the test set stays the same
    /// whatever validation split is drawn).
    #[serde(default)]
    pub validation_seed: u64,
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

/// `validation_fraction` when not set.
pub const DEFAULT_VALIDATION_FRACTION: f64 = 0.1;

fn default_validation_fraction() -> f64 {
    DEFAULT_VALIDATION_FRACTION
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
            validation_fraction: DEFAULT_VALIDATION_FRACTION,
            validation_seed: 0,
        }
    }
}

//! The manifest's `[data]` table.

use genbench_core::check::{ConfigError, require};
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

impl DataConfig {
    /// Every check of the table that needs no file: the name, the keys that apply to this
    /// dataset and their ranges. An error names the key. [`crate::load`] makes the same checks.
    pub fn check(&self) -> Result<(), ConfigError> {
        let name = self.name.as_str();
        require(crate::DATASET_NAMES.contains(&name), "name", || {
            format!(
                "unknown dataset `{name}`; allowed: {}",
                crate::DATASET_NAMES.join(", ")
            )
        })?;
        require(self.train_size != Some(0), "train_size", || {
            "must be at least 1, got 0".into()
        })?;
        require(self.test_size != Some(0), "test_size", || {
            "must be at least 1, got 0".into()
        })?;
        let v = self.validation_fraction;
        require((0.0..1.0).contains(&v), "validation_fraction", || {
            format!("must lie in [0, 1) (0: no validation split), got {v}")
        })?;
        let Some(native) = native_levels(name) else {
            for (key, set) in [
                ("data_dir", self.data_dir.is_some()),
                ("binarize", self.binarize),
                ("levels", self.levels.is_some()),
            ] {
                require(!set, key, || {
                    format!(
                        "{name} is a 2-D density: data_dir, binarize and levels apply to images only"
                    )
                })?;
            }
            return Ok(());
        };
        if let Some(target) = self.levels {
            require(!self.binarize, "levels", || {
                "set either binarize or levels, not both".into()
            })?;
            require((2..=native).contains(&target), "levels", || {
                format!("must lie in 2..={native} for {name}, got {target}")
            })?;
        }
        if matches!(name, "digits" | "mnist5k") {
            require(self.data_dir.is_none(), "data_dir", || {
                format!("{name} is embedded in genbench and takes no data_dir")
            })?;
            let f = self.test_fraction;
            require(f > 0.0 && f < 1.0, "test_fraction", || {
                format!("must lie in (0, 1), got {f}")
            })?;
        }
        Ok(())
    }

    /// Values (4 bytes each) the loaded train and test sets hold at most, from the table alone
    /// (`None` when that depends on files not read yet): what the planner counts before loading.
    pub fn max_values(&self) -> Option<u64> {
        let (train, test, dim) = match native_levels(&self.name) {
            None => (
                self.train_size.unwrap_or(DEFAULT_TRAIN_POINTS),
                self.test_size.unwrap_or(DEFAULT_TEST_POINTS),
                2,
            ),
            Some(_) => return None,
        };
        Some(
            (train as u64)
                .saturating_add(test as u64)
                .saturating_mul(dim + 1),
        )
    }
}

/// Grey levels of an image dataset as stored; `None` for the 2-D densities.
fn native_levels(name: &str) -> Option<u32> {
    match name {
        "digits" => Some(17),
        "mnist5k" | "fashion-mnist" | "mnist" => Some(256),
        _ => None,
    }
}

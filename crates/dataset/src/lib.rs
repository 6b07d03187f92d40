//! genbench-dataset: every dataset genbench trains on, as a [`Dataset`] of host [`Batch`]es.
//!
//! - 2-D densities with an exact log-density, exact sampler and true entropy ([`Density2d`]):
//!   two-moons, 8gaussians, 25gaussians, checkerboard, rings, swiss-roll.
//! - Images of discrete levels `[1, H, W]`: UCI digits (8x8, 17 levels) and MNIST-5k (28x28, 256
//!   levels), both embedded in the binary; Fashion-MNIST and MNIST from a folder of IDX files.
//!
//! [`load`] is a pure function of the [`DataConfig`]: the same table gives the same examples.
// Issue #17: the workspace denies missing_docs; this crate's public items are not all
// documented yet. Remove this line once `cargo clippy -p genbench-dataset` passes without it.
#![allow(missing_docs)]

mod catalogue;
mod config;
mod error;
pub mod external;
mod fingerprint;
mod idx;
mod images;
mod split;
#[cfg(test)]
mod tests;
pub mod toy2d;
#[cfg(test)]
mod validation_tests;

pub use catalogue::{DatasetInfo, catalogue};
pub use config::{
    DEFAULT_TEST_FRACTION, DEFAULT_TEST_POINTS, DEFAULT_TRAIN_POINTS, DEFAULT_VALIDATION_FRACTION,
    DataConfig,
};
pub use error::DataError;
pub use idx::{IdxArray, read_idx, write_idx};
pub use images::FASHION_MNIST_DIR;
pub use split::{holdout, shuffled_head, stratified};
pub use toy2d::{DENSITY_NAMES, Density2d, Entropy, density};

use genbench_core::{Batch, DataSpec};

/// Every dataset name [`load`] accepts.
pub const DATASET_NAMES: &[&str] = &[
    "digits",
    "mnist5k",
    "fashion-mnist",
    "mnist",
    "two-moons",
    "8gaussians",
    "25gaussians",
    "checkerboard",
    "rings",
    "swiss-roll",
];

/// A loaded dataset: `train`, `validation` and `test` are `[n, spec.dim()]` with labels when
/// `spec.num_classes > 0`; `density` is the exact density of 2-D datasets. `validation` is
/// carved from the training examples (`validation_fraction`; empty when 0) and shares none with
/// `train` or `test`.
pub struct Dataset {
    pub spec: DataSpec,
    pub train: Batch,
    pub validation: Batch,
    pub test: Batch,
    /// One human-readable line: levels, binarization, split sizes and seed.
    pub preprocessing: String,
    pub density: Option<Box<dyn Density2d>>,
}

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataset")
            .field("spec", &self.spec)
            .field("train", &format_args!("{} examples", self.train.len()))
            .field(
                "validation",
                &format_args!("{} examples", self.validation.len()),
            )
            .field("test", &format_args!("{} examples", self.test.len()))
            .field("preprocessing", &self.preprocessing)
            .field(
                "density",
                &self.density.as_ref().map(|d| d.name().to_string()),
            )
            .finish()
    }
}

/// Load and preprocess the dataset `config` names (see [`DataConfig`]).
///
/// Checks the table first ([`DataConfig::check`]) and the loaded sets after: a training or test
/// set without examples, or labelled images of a single class, is an error that says so.
pub fn load(config: &DataConfig) -> Result<Dataset, DataError> {
    config.check().map_err(|e| match e.key.as_str() {
        "name" => DataError::UnknownDataset {
            name: config.name.clone(),
            allowed: DATASET_NAMES.iter().map(ToString::to_string).collect(),
        },
        _ => DataError::Invalid(e.to_string()),
    })?;
    let data = carve_validation(config, load_checked(config)?);
    check_sizes(config, &data)?;
    Ok(data)
}

/// `validation_fraction` of the training set moved to `validation`: stratified by label where
/// there are labels ([`stratified`]), else a seeded draw ([`split::holdout`]), from
/// `validation_seed`. With 0 the training set is left as loaded.
fn carve_validation(config: &DataConfig, mut data: Dataset) -> Dataset {
    let fraction = config.validation_fraction;
    if fraction <= 0.0 {
        return data;
    }
    let seed = genbench_core::seed::derive(config.validation_seed, VALIDATION_STREAM);
    let (train, validation) = if data.train.has_labels() {
        stratified(&data.train.labels, fraction, seed)
    } else {
        holdout(data.train.len(), fraction, seed)
    };
    data.preprocessing = format!(
        "{}, validation {} of the {} training examples (fraction {fraction}, seed {})",
        data.preprocessing,
        validation.len(),
        data.train.len(),
        config.validation_seed
    );
    data.validation = data.train.select(&validation);
    data.train = data.train.select(&train);
    data
}

/// The stream of `validation_seed` the validation split is drawn from.
const VALIDATION_STREAM: u64 = 0x7661_6c69;

fn load_checked(config: &DataConfig) -> Result<Dataset, DataError> {
    match config.name.as_str() {
        "digits" | "mnist5k" => images::load_embedded(config),
        "fashion-mnist" | "mnist" => images::load_idx_folder(config),
        name => match density(name) {
            Some(d) => toy2d::dataset::load(config, d),
            None => Err(DataError::UnknownDataset {
                name: name.to_string(),
                allowed: DATASET_NAMES.iter().map(ToString::to_string).collect(),
            }),
        },
    }
}

/// Each set holds examples, and labelled images hold at least two classes (the feature
/// classifier and every class-wise metric need them).
fn check_sizes(config: &DataConfig, data: &Dataset) -> Result<(), DataError> {
    let source = || match (&config.data_dir, config.name.as_str()) {
        (Some(dir), _) => format!("{} ({})", config.name, dir.display()),
        (None, "fashion-mnist") => format!("{} ({FASHION_MNIST_DIR})", config.name),
        (None, name) => name.to_string(),
    };
    for (set, batch) in [("training", &data.train), ("test", &data.test)] {
        if batch.is_empty() {
            return Err(DataError::TooFew {
                dataset: source(),
                what: format!("the {set} set has no examples"),
            });
        }
    }
    if data.spec.is_image() {
        let classes = distinct(&data.train.labels);
        if classes < 2 {
            return Err(DataError::TooFew {
                dataset: source(),
                what: format!(
                    "the training images hold {classes} class(es); the feature classifier that scores image samples needs at least 2"
                ),
            });
        }
    }
    Ok(())
}

/// Number of distinct labels.
pub fn distinct(labels: &[usize]) -> usize {
    labels
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

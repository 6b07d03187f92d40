//! genbench-dataset: every dataset genbench trains on, as a [`Dataset`] of host [`Batch`]es.
//!
//! - 2-D densities with an exact log-density, exact sampler and true entropy ([`Density2d`]):
//!   two-moons, 8gaussians, 25gaussians, checkerboard, rings, swiss-roll.
//! - Images of discrete levels `[1, H, W]`: UCI digits (8x8, 17 levels) and MNIST-5k (28x28, 256
//!   levels), both embedded in the binary; Fashion-MNIST and MNIST from a folder of IDX files.
//!
//! Every dataset is one entry of [`DATASETS`] (its name, kind, loader and, for 2-D data, its
//! density); [`load`] is a pure function of the [`DataConfig`]: the same table gives the same
//! examples.

mod catalogue;
mod check;
mod config;
mod dataset;
mod error;
pub mod external;
mod fingerprint;
mod idx;
mod images;
mod registry;
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
pub use dataset::Dataset;
pub use error::DataError;
pub use idx::{IdxArray, read_idx, write_idx};
pub use images::FASHION_MNIST_DIR;
pub use registry::{DATASETS, DataKind, DatasetEntry, density, find, names};
pub use split::{holdout, shuffled_head, stratified};
pub use toy2d::{Density2d, Entropy};

/// Load and preprocess the dataset `config` names (see [`DataConfig`]).
///
/// Checks the table first ([`DataConfig::check`]) and the loaded sets after: a training or test
/// set without examples, or labelled images of a single class, is an error that says so.
pub fn load(config: &DataConfig) -> Result<Dataset, DataError> {
    config.check().map_err(|e| match e.key.as_str() {
        "name" => unknown(&config.name),
        _ => DataError::Invalid(e.to_string()),
    })?;
    let entry = find(&config.name).ok_or_else(|| unknown(&config.name))?;
    let data = carve_validation(config, entry.load(config)?);
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

fn unknown(name: &str) -> DataError {
    DataError::UnknownDataset {
        name: name.to_string(),
        allowed: names().iter().map(ToString::to_string).collect(),
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

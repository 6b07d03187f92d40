//! A 2-D dataset: train and test points drawn from the exact density.

use super::density::Density2d;
use crate::config::{DEFAULT_TEST_POINTS, DEFAULT_TRAIN_POINTS, DataConfig};
use crate::dataset::Dataset;
use crate::error::DataError;
use genbench_core::seed::{Rng, derive};
use genbench_core::{Batch, DataSpec};

/// Train points are drawn from `derive(split_seed, 0)`, test points from `derive(split_seed, 1)`.
/// The table passed [`DataConfig::check`] (no data_dir, binarize or levels).
pub(crate) fn load(config: &DataConfig, density: Box<dyn Density2d>) -> Result<Dataset, DataError> {
    let name = &config.name;
    let n_train = config.train_size.unwrap_or(DEFAULT_TRAIN_POINTS);
    let n_test = config.test_size.unwrap_or(DEFAULT_TEST_POINTS);
    let draw = |n: usize, stream: u64| {
        let (points, labels) =
            density.sample_labeled(n, &mut Rng::new(derive(config.split_seed, stream)));
        let x = points
            .iter()
            .flat_map(|p| [p[0] as f32, p[1] as f32])
            .collect();
        Batch::new(
            x,
            if density.num_classes() > 0 {
                labels
            } else {
                Vec::new()
            },
            2,
        )
    };
    Ok(Dataset {
        spec: DataSpec {
            name: name.clone(),
            shape: vec![2],
            levels: None,
            num_classes: density.num_classes(),
        },
        train: draw(n_train, 0),
        validation: draw(0, 2),
        test: draw(n_test, 1),
        preprocessing: format!(
            "continuous 2-D, {n_train} train / {n_test} test points drawn from the exact density, seed {}",
            config.split_seed
        ),
        density: Some(density),
    })
}

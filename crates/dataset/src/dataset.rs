//! A loaded dataset: the spec, the train, validation and test examples, how they were made.

use crate::toy2d::Density2d;
use genbench_core::{Batch, DataSpec};

/// A loaded dataset: `train`, `validation` and `test` are `[n, spec.dim()]` with labels when
/// `spec.num_classes > 0`; `density` is the exact density of 2-D datasets. `validation` is
/// carved from the training examples (`validation_fraction`; empty when 0) and shares none with
/// `train` or `test`.
pub struct Dataset {
    /// What an example is: name, shape, levels, classes.
    pub spec: DataSpec,
    /// The examples a model trains on.
    pub train: Batch,
    /// Examples held out of `train` for periodic evaluations and the choice of checkpoint.
    pub validation: Batch,
    /// The examples a model is scored on, once, at the end.
    pub test: Batch,
    /// One human-readable line: levels, binarization, split sizes and seed.
    pub preprocessing: String,
    /// The exact density the examples were drawn from (2-D datasets); `None` for images.
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

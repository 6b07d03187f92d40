//! A family's checkpoint files: a module's weights or an optimizer's state as one burnpack file
//! each (burn writes it to a scratch file and renames it, so a reader never sees half a file),
//! with the file named in every error. The training loop decides when; a family's `save` and
//! `load` say which modules and which JSON state go in its folder.

use anyhow::Context;
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use std::path::Path;

/// Write `module`'s parameters to `path` (its folder is created).
pub fn save_module<M: Module>(module: &M, path: &Path) -> anyhow::Result<()> {
    create_parent(path)?;
    module
        .clone()
        .save_file(path)
        .map_err(|e| anyhow::anyhow!("saving {}: {e:?}", path.display()))
}

/// `module` with the parameters read from `path` (same architecture, else an error).
pub fn load_module<M: Module>(module: M, path: &Path) -> anyhow::Result<M> {
    module
        .try_load_file(path)
        .map_err(|e| anyhow::anyhow!("loading {}: {e:?}", path.display()))
}

/// Write an optimizer's state (Adam's moments and step counts) to `path`.
pub fn save_optimizer(optim: &ModuleOptimizer, path: &Path) -> anyhow::Result<()> {
    create_parent(path)?;
    optim
        .save(path)
        .map_err(|e| anyhow::anyhow!("saving the optimizer state {}: {e:?}", path.display()))
}

/// `optim` (freshly configured: clipping and hyperparameters come from the config, not the file)
/// with the state read from `path`.
pub fn load_optimizer(optim: ModuleOptimizer, path: &Path) -> anyhow::Result<ModuleOptimizer> {
    optim
        .load(path)
        .map_err(|e| anyhow::anyhow!("loading the optimizer state {}: {e:?}", path.display()))
}

fn create_parent(path: &Path) -> anyhow::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::prelude::*;

    /// Weights written and read back are bit-identical; a file for another shape is an error
    /// that names the file.
    #[test]
    fn module_round_trips_and_a_wrong_shape_is_an_error() {
        let device = Device::flex();
        device.seed(3);
        let a: Linear = LinearConfig::new(4, 3).init(&device);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new").join("a.bpk");
        save_module(&a, &path).unwrap();
        device.seed(4);
        let fresh: Linear = LinearConfig::new(4, 3).init(&device);
        let weights = |m: &Linear| m.weight.val().into_data().to_vec::<f32>().unwrap();
        assert_ne!(weights(&fresh), weights(&a));
        let loaded = load_module(fresh, &path).unwrap();
        assert_eq!(weights(&loaded), weights(&a));

        let other: Linear = LinearConfig::new(5, 3).init(&device);
        let err = load_module(other, &path).unwrap_err().to_string();
        assert!(err.contains("a.bpk"), "{err}");
        let missing = load_module(a, &dir.path().join("none.bpk")).unwrap_err();
        assert!(missing.to_string().contains("none.bpk"));
    }
}

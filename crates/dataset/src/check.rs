//! The checks of a `[[datasets]]` table that need no file, against the registry's entry.

use crate::config::{DEFAULT_TEST_POINTS, DEFAULT_TRAIN_POINTS, DataConfig};
use crate::registry::{DatasetEntry, find, names};
use genbench_core::check::{ConfigError, require};

impl DataConfig {
    /// Every check of the table that needs no file: the name, the keys that apply to this
    /// dataset and their ranges. An error names the key. [`crate::load`] makes the same checks.
    pub fn check(&self) -> Result<(), ConfigError> {
        let name = self.name.as_str();
        let entry = find(name);
        require(entry.is_some(), "name", || {
            format!("unknown dataset `{name}`; allowed: {}", names().join(", "))
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
        let Some(native) = entry.and_then(DatasetEntry::native_levels) else {
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
        if entry.is_some_and(DatasetEntry::is_embedded) {
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
        let (train, test, dim) = match find(&self.name).and_then(DatasetEntry::native_levels) {
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

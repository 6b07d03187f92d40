//! `genbench export-split`: the very examples genbench trains, validates and tests on, as
//! `.npy`, with the split's fingerprint, so a model trained elsewhere sees the same split.

use crate::{DataConfig, Dataset};
use std::path::{Path, PathBuf};

/// The description written beside the arrays.
pub const SPLIT_FILE: &str = "split.json";

/// Write every split of `data` that has examples (a validation split of fraction 0 has none)
/// into `dir`: `<split>.npy` (images `uint8` levels
/// `[n, C, H, W]`, vectors `float32` `[n, d]`), `<split>_labels.npy` (`int64`, when the data has
/// labels) and [`SPLIT_FILE`] (the data table, shape, levels, sizes and the fingerprint).
/// Returns the files written.
pub fn export_split(
    data: &Dataset,
    config: &DataConfig,
    dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut splits = serde_json::Map::new();
    for (name, batch) in data.splits() {
        if batch.is_empty() {
            continue;
        }
        let x = dir.join(format!("{name}.npy"));
        super::write_values_npy(&x, batch, &data.spec)?;
        written.push(x);
        let mut entry = serde_json::json!({ "examples": batch.len(), "x": format!("{name}.npy") });
        if batch.has_labels() {
            let labels = format!("{name}_labels.npy");
            super::write_labels_npy(&dir.join(&labels), &batch.labels)?;
            entry["labels"] = labels.clone().into();
            written.push(dir.join(labels));
        }
        splits.insert(name.to_string(), entry);
    }
    let values = match data.spec.levels {
        Some(l) => format!("uint8 integer levels 0..{}", l - 1),
        None => "float32 coordinates".to_string(),
    };
    let info = serde_json::json!({
        "split_fingerprint": data.split_fingerprint(),
        "dataset": config,
        "shape": data.spec.shape,
        "levels": data.spec.levels,
        "num_classes": data.spec.num_classes,
        "values": values,
        "preprocessing": data.preprocessing,
        "splits": splits,
    });
    let path = dir.join(SPLIT_FILE);
    genbench_core::fsutil::write_json(&path, &info)?;
    written.push(path);
    Ok(written)
}

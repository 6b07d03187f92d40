//! `.npy` written for other frameworks: samples ([`write_samples_npy`]), and for `genbench
//! export-split` the very examples genbench trains, validates and tests on, with the split's
//! fingerprint, so a model trained elsewhere sees the same split.

use super::npy;
use crate::{DataConfig, Dataset};
use genbench_core::{Batch, DataSpec};
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
        write_values_npy(&x, batch, &data.spec)?;
        written.push(x);
        let mut entry = serde_json::json!({ "examples": batch.len(), "x": format!("{name}.npy") });
        if batch.has_labels() {
            let labels = format!("{name}_labels.npy");
            write_labels_npy(&dir.join(&labels), &batch.labels)?;
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

/// Samples as `.npy`: images as `uint8` levels `[n, C, H, W]`, vectors as `float32` `[n, d]`;
/// their labels, if any, as `int64` in `<stem>.labels.npy` beside. Returns the files written.
pub fn write_samples_npy(
    path: &Path,
    batch: &Batch,
    spec: &DataSpec,
) -> anyhow::Result<Vec<PathBuf>> {
    write_values_npy(path, batch, spec)?;
    let mut written = vec![path.to_path_buf()];
    if batch.has_labels() {
        let labels = path.with_extension("labels.npy");
        write_labels_npy(&labels, &batch.labels)?;
        written.push(labels);
    }
    Ok(written)
}

/// The values of `batch` (not its labels) as `.npy`, see [`write_samples_npy`].
fn write_values_npy(path: &Path, batch: &Batch, spec: &DataSpec) -> anyhow::Result<()> {
    let mut shape = vec![batch.len()];
    shape.extend(&spec.shape);
    match spec.levels {
        Some(l) => {
            anyhow::ensure!(l <= 256, "{l} levels do not fit uint8");
            npy::write_npy(
                path,
                &shape,
                &batch.x.iter().map(|&v| v as u8).collect::<Vec<_>>(),
            )
        }
        None => npy::write_npy(path, &shape, &batch.x),
    }
}

fn write_labels_npy(path: &Path, labels: &[usize]) -> anyhow::Result<()> {
    let labels: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
    npy::write_npy(path, &[labels.len()], &labels)
}

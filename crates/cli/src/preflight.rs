//! Every check before the first write. After the manifest parses (its own values checked by
//! [`crate::manifest_checks`]: the experiment name and output folder, `[eval]`, the device), the
//! whole plan is checked: every dataset's table, the data each loads, every run's family config
//! against its data, and each run's memory. Any failure is one [`UsageError`] naming
//! `file:line` and the key (exit 2); nothing has been written.

use crate::families;
use crate::manifest::{Plan, RunSpec};
use crate::source::{KeyPath, Source};
use crate::usage::UsageError;
use genbench_core::Footprint;
use genbench_core::check::human_bytes;
use genbench_dataset::Dataset;
use std::collections::BTreeMap;

/// The memory the runs may use: `--max-memory`, else the machine's (when it can be read).
#[derive(Clone, Copy, Debug)]
pub struct MemoryLimit {
    pub bytes: u64,
    /// Where the number comes from, for the message.
    pub from_flag: bool,
}

impl MemoryLimit {
    /// `--max-memory` when given, else the machine's total memory (`/proc/meminfo`), else none.
    pub fn new(flag: Option<u64>) -> Option<Self> {
        match flag {
            Some(bytes) => Some(Self {
                bytes,
                from_flag: true,
            }),
            None => machine_memory().map(|bytes| Self {
                bytes,
                from_flag: false,
            }),
        }
    }
}

/// `MemTotal` of `/proc/meminfo`, in bytes.
fn machine_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024))
}

/// `--max-memory`: bytes with an optional unit, `8G`, `512MiB`, `1.5 GB` (powers of 1024).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a size such as 8G or 512M"))?;
    let scale = match unit.trim().to_ascii_lowercase().trim_end_matches('b') {
        "" => 1u64,
        "k" | "ki" => 1 << 10,
        "m" | "mi" => 1 << 20,
        "g" | "gi" => 1 << 30,
        "t" | "ti" => 1 << 40,
        _ => return Err(format!("unknown unit in `{s}`; use K, M, G or T")),
    };
    let bytes = value * scale as f64;
    if !(bytes.is_finite() && bytes >= 1.0) {
        return Err(format!("`{s}` is not a positive size"));
    }
    Ok(bytes as u64)
}

/// Every check that needs the data, for the runs of `plan` that will run: the size of generated
/// data (before it is drawn), the data each loads, every run's family config against its data
/// and every run's memory (against `--max-memory`, else the machine's). Returns the loaded data.
pub fn check_plan(
    plan: &Plan,
    runs: &[&RunSpec],
    max_memory: Option<u64>,
) -> Result<BTreeMap<String, Dataset>, UsageError> {
    let src = plan.source();
    let limit = MemoryLimit::new(max_memory);
    let mut datasets = BTreeMap::new();
    for run in runs {
        if datasets.contains_key(&run.data.name) {
            continue;
        }
        let at = KeyPath::root().key("datasets").index(run.data_index);
        let bytes = run.data.max_values().unwrap_or(0).saturating_mul(4);
        if let Some(limit) = limit.filter(|l| bytes > l.bytes) {
            let key = if run.data.train_size.is_some() {
                "train_size"
            } else {
                "test_size"
            };
            return Err(src.error(
                &at.key(key),
                format!(
                    "{} points need {}; {}",
                    run.data.name,
                    human_bytes(bytes),
                    limit_text(limit)
                ),
            ));
        }
        let data = genbench_dataset::load(&run.data).map_err(|e| {
            let key = match (&e, &run.data.data_dir) {
                (genbench_dataset::DataError::UnknownDataset { .. }, _) | (_, None) => "name",
                (_, Some(_)) => "data_dir",
            };
            src.error(&at.key(key), e)
        })?;
        datasets.insert(run.data.name.clone(), data);
    }
    check_runs(&src, plan, runs, &datasets, limit)?;
    Ok(datasets)
}

/// The loaded data of `run` is large enough for what its run asks.
fn check_data_for_run(src: &Source, run: &RunSpec, data: &Dataset) -> Result<(), UsageError> {
    let at = KeyPath::root().key("datasets").index(run.data_index);
    if data.test.len() < 2 {
        let key = if run.data.test_size.is_some() {
            "test_size"
        } else {
            "name"
        };
        return Err(src.error(
            &at.key(key),
            format!(
                "{}: the test set has {} example(s); scoring needs at least 2",
                run.data.name,
                data.test.len()
            ),
        ));
    }
    if run.model.conditional && data.spec.num_classes >= 2 {
        let mut seen = vec![false; data.spec.num_classes];
        for &y in &data.train.labels {
            if let Some(s) = seen.get_mut(y) {
                *s = true;
            }
        }
        let missing: Vec<usize> = (0..seen.len()).filter(|&c| !seen[c]).collect();
        if let Some(first) = missing.first() {
            return Err(src.error(
                &KeyPath::root().key("models").index(run.model_index).key("conditional"),
                format!(
                    "the training set of {} has no example of {} of its {} classes (labels 0 to {}; first missing: {first}); a conditional model learns every class from its examples",
                    run.data.name,
                    missing.len(),
                    seen.len(),
                    seen.len() - 1
                ),
            ));
        }
        let classes = genbench_dataset::distinct(&data.test.labels);
        if classes < 2 {
            return Err(src.error(
                &KeyPath::root().key("models").index(run.model_index).key("conditional"),
                format!(
                    "the test set of {} holds {classes} class(es); a conditional model's class-wise metrics need at least 2",
                    run.data.name
                ),
            ));
        }
    }
    Ok(())
}

/// Every run: its data, its family config against the data, its memory. `datasets` holds the
/// loaded data of every run.
fn check_runs(
    src: &Source,
    plan: &Plan,
    runs: &[&RunSpec],
    datasets: &BTreeMap<String, Dataset>,
    limit: Option<MemoryLimit>,
) -> Result<(), UsageError> {
    let data_bytes: u64 = datasets.values().map(loaded_bytes).sum();
    for run in runs {
        let data = &datasets[&run.data.name];
        check_data_for_run(src, run, data)?;
        let model = KeyPath::root().key("models").index(run.model_index);
        let family = families::find(run.model.family.get_ref()).expect("checked by the manifest");
        let footprint = (family.check)(
            run.model.config.get_ref().clone(),
            &data.spec,
            run.model.conditional,
        )
        .map_err(|e| {
            let key = if e.key == "conditional" {
                model.key("conditional")
            } else {
                model.key("config").key(&e.key)
            };
            src.error(
                &key,
                format!("{} on {}: {}", run.model.name, run.data.name, e.msg),
            )
        })?;
        if let Some(limit) = limit {
            check_memory(src, plan, run, data, &footprint, data_bytes, limit)?;
        }
    }
    Ok(())
}

/// Bytes a loaded dataset holds: its values (f32) and labels.
fn loaded_bytes(d: &Dataset) -> u64 {
    let values = (d.train.x.len() + d.test.x.len()) as u64 * 4;
    let labels = (d.train.labels.len() + d.test.labels.len()) as u64 * 8;
    values + labels
}

/// The run's estimate against the limit: the model while training or scoring, the samples and
/// their features during evaluation, and every loaded dataset.
fn check_memory(
    src: &Source,
    plan: &Plan,
    run: &RunSpec,
    data: &Dataset,
    footprint: &Footprint,
    data_bytes: u64,
    limit: MemoryLimit,
) -> Result<(), UsageError> {
    let batch = run.batch_size.min(data.train.len()) as u64;
    let model_bytes = footprint.bytes(batch);
    // Samples as f32, their features and the test set's as f64 (FD, KID, k-NN).
    let feature_dim = data.spec.dim().max(64) as u64;
    let eval_bytes =
        (plan.eval.samples as u64).saturating_mul(data.spec.dim() as u64 * 4 + 2 * feature_dim * 8);
    let total = model_bytes
        .saturating_add(eval_bytes)
        .saturating_add(data_bytes);
    if total <= limit.bytes {
        return Ok(());
    }
    let model = KeyPath::root().key("models").index(run.model_index);
    let key = if eval_bytes > model_bytes {
        KeyPath::root().key("eval").key("samples")
    } else if footprint.activations_per_example.saturating_mul(batch)
        > footprint.params.saturating_mul(4)
    {
        model.key("batch_size")
    } else {
        model.key("config")
    };
    Err(src.error(
        &key,
        format!(
            "run {} needs about {} (model {} with {} parameters at batch {batch}, evaluation {}, data {}); {}",
            run.id,
            human_bytes(total),
            human_bytes(model_bytes),
            footprint.params,
            human_bytes(eval_bytes),
            human_bytes(data_bytes),
            limit_text(limit)
        ),
    ))
}

fn limit_text(limit: MemoryLimit) -> String {
    if limit.from_flag {
        format!("--max-memory allows {}", human_bytes(limit.bytes))
    } else {
        format!(
            "this machine has {} (--max-memory sets another bound)",
            human_bytes(limit.bytes)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_bytes("512"), Ok(512));
        assert_eq!(parse_bytes("8G"), Ok(8 << 30));
        assert_eq!(parse_bytes("1.5 GiB"), Ok(3 << 29));
        assert_eq!(parse_bytes("64mb"), Ok(64 << 20));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("5X").is_err());
    }
}

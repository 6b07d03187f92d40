//! The settings that define a run's numbers and the check that a run folder holds nothing made
//! under other settings.
//!
//! A run's settings are its family and resolved family config (defaults filled in), the data
//! (the `[[datasets]]` table but `data_dir`, and a checksum of the loaded train and test sets,
//! so moving the data folder is no change but other data is), the seed, budget, batch size,
//! learning rate, conditioning, early stopping's patience (when set), backend, and the `[eval]`
//! keys that change numbers (not `checkpoint_every` or `keep_checkpoint`). config.json records
//! them with their fingerprint; result.json and every checkpoint carry the fingerprint. A rerun
//! or a resume whose settings changed is refused with the keys that changed (exit 2), unless
//! `--force`.

use crate::manifest::{Plan, RunSpec};
use crate::source::KeyPath;
use genbench_core::{results, settings, train};
use genbench_dataset::Dataset;
use serde_json::{Value, json};
use std::path::Path;

/// The `[eval]` keys that change a run's numbers.
const EVAL_KEYS: [&str; 7] = [
    "samples",
    "likelihood_examples",
    "kid_subsets",
    "kid_subset_size",
    "eval_every",
    "eval_examples",
    "anytime",
];

/// A run's settings and their fingerprint.
#[derive(Clone, Debug)]
pub struct RunSettings {
    pub value: Value,
    pub fingerprint: String,
}

/// The settings of `run` on `data`; `config` is the family's resolved config.
pub fn of_run(plan: &Plan, run: &RunSpec, data: &Dataset, config: Value) -> RunSettings {
    let eval = serde_json::to_value(&plan.eval).unwrap_or(Value::Null);
    let mut value = json!({
        "family": run.model.family.get_ref(),
        "config": config,
        "dataset": without_data_dir(serde_json::to_value(&run.data).unwrap_or(Value::Null)),
        "data": {
            "train": data.train.len(),
            "test": data.test.len(),
            "checksum": format!("{:016x}", data.train.checksum() ^ data.test.checksum().rotate_left(1)),
        },
        "seed": run.seed,
        "budget": run.budget,
        "batch_size": batch_size(run.batch_size),
        "learning_rate": run.model.learning_rate.get_ref(),
        "conditional": run.model.conditional,
        "eval": eval_subset(&eval),
        "backend": plan.device.to_string(),
    });
    // Only when set: the runs without early stopping keep the fingerprints they had before it.
    if let Some(p) = &run.model.patience {
        value["patience"] = json!(p.get_ref());
    }
    RunSettings {
        fingerprint: settings::fingerprint(&value),
        value,
    }
}

/// How config.json writes a batch size.
pub fn batch_size(n: usize) -> String {
    if n == usize::MAX {
        "full".into()
    } else {
        n.to_string()
    }
}

/// A data table as config.json writes it without `data_dir` (moving the data is no change).
pub(crate) fn without_data_dir(mut dataset: Value) -> Value {
    if let Some(map) = dataset.as_object_mut() {
        map.remove("data_dir");
    }
    dataset
}

fn eval_subset(eval: &Value) -> Value {
    Value::Object(
        EVAL_KEYS
            .iter()
            .filter_map(|k| Some((k.to_string(), eval.get(*k)?.clone())))
            .collect(),
    )
}

/// The settings a config.json written before fingerprints existed implies (no data checksum).
fn legacy(config_json: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in [
        "family",
        "config",
        "seed",
        "budget",
        "batch_size",
        "learning_rate",
        "conditional",
        "backend",
    ] {
        if let Some(v) = config_json.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    if let Some(d) = config_json.get("dataset") {
        out.insert("dataset".into(), without_data_dir(d.clone()));
    }
    if let Some(e) = config_json.get("eval") {
        out.insert("eval".into(), eval_subset(e));
    }
    Value::Object(out)
}

/// Why a run folder's contents cannot be kept under the new settings.
#[derive(Debug)]
pub struct Refusal {
    /// The first changed settings key (`budget.steps`, `config.hidden`), if one is known.
    pub key: Option<String>,
    pub message: String,
}

/// `Err` when `dir` holds a result or a checkpoint made under settings other than `new`; the
/// message names every key that changed, with the old and new values.
pub fn check(dir: &Path, new: &RunSettings) -> Result<(), Refusal> {
    let (what, old_fingerprint) = match results::finished(dir) {
        Some(done) => ("results", Some(done.fingerprint).filter(|f| !f.is_empty())),
        None => match train::checkpoint_fingerprint(dir) {
            Some(fp) => ("a checkpoint", Some(fp)),
            None => return Ok(()),
        },
    };
    if old_fingerprint.as_deref() == Some(new.fingerprint.as_str()) {
        return Ok(());
    }
    let config: Option<Value> = genbench_core::fsutil::read_json(&dir.join("config.json")).ok();
    let changes = match (&config, &old_fingerprint) {
        (Some(c), Some(_)) if c.get("settings").is_some() => {
            settings::diff(&c["settings"], &new.value)
        }
        // Written before fingerprints: judge by the keys it has.
        (Some(c), None) => settings::diff(&legacy(c), &new.value)
            .into_iter()
            .filter(|change| change.old != "-")
            .collect(),
        (None, None) => return Ok(()),
        _ => Vec::new(),
    };
    if old_fingerprint.is_none() && changes.is_empty() {
        return Ok(());
    }
    let list = if changes.is_empty() {
        format!(
            "fingerprint {} -> {}",
            old_fingerprint.unwrap_or_default(),
            new.fingerprint
        )
    } else {
        changes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    Err(Refusal {
        key: changes.first().map(|c| c.key.clone()),
        message: format!(
            "{} holds {what} made with other settings: {list}; rerun with --force to redo it under the new ones, or give the experiment another name or output",
            dir.display()
        ),
    })
}

/// Where a settings key (`budget.steps`, `config.hidden`, `eval.samples`, `dataset.train_size`)
/// is written in the manifest, for run `run`: the key of its `[[models]]` or `[[datasets]]`
/// table, `[eval]`, `seeds` or `device`.
pub fn manifest_key(run: &RunSpec, key: &str) -> KeyPath {
    let mut parts = key.split('.');
    let head = parts.next().unwrap_or_default();
    let next = parts.next();
    let model = KeyPath::root().key("models").index(run.model_index);
    let data = KeyPath::root().key("datasets").index(run.data_index);
    match (head, next) {
        ("config", Some(k)) => model.key("config").key(k),
        ("config", None) => model.key("config"),
        ("budget", Some(k)) => model.key(k),
        ("eval", Some(k)) => KeyPath::root().key("eval").key(k),
        ("dataset", Some(k)) => data.key(k),
        ("dataset" | "data", _) => data,
        ("seed", _) => KeyPath::root().key("seeds"),
        ("backend", _) => KeyPath::root().key("device"),
        ("family" | "learning_rate" | "batch_size" | "conditional" | "patience", _) => {
            model.key(head)
        }
        _ => model,
    }
}

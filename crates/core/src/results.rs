//! Result rows: one per run (result.json), merged into summary.csv. A row is an ordered list of
//! (column, value); an empty value means "not measured for this run" — never a stand-in 0.

use crate::fsutil;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Columns every summary.csv starts with, in this order; other columns follow sorted.
pub const LEADING_COLUMNS: &[&str] = &[
    "run_id",
    "experiment",
    "family",
    "model",
    "arch",
    "paper",
    "year",
    "dataset",
    "seed",
    "conditional",
    "status",
    "diverged_at",
    "steps",
    "train_seconds",
    "wall_seconds",
    "backend",
    "threads",
    "commit",
    "params",
    "nll_kind",
    "nll_nats",
    "nll_bpd",
    "nll_n",
    "ll_seconds",
    "entropy_nats",
    "nll_minus_entropy_nats",
    "fd",
    "fd_n",
    "kid",
    "kid_std",
    "kid_n",
    "precision",
    "recall",
    "pr_n",
    "density",
    "coverage",
    "dc_n",
    "true_logp_of_samples",
    "modes_covered",
    "modes_total",
    "high_quality",
    "cond_accuracy",
    "classifier_accuracy",
    "samples_per_second",
    "evals_per_sample",
    "preprocessing",
];

/// The columns that say which run a row is about. The runner writes them once per run; summary.csv
/// leads with them; metrics.csv leaves them out (the run folder's name says them).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunIdentity {
    /// `<model>--<dataset>--s<seed>`, the run folder's name.
    pub run_id: String,
    /// The manifest's `name`.
    pub experiment: String,
    /// The family, as the registry names it.
    pub family: String,
    /// The manifest's model name.
    pub model: String,
    /// The architecture, e.g. `DDPM (U-Net)`.
    pub arch: String,
    /// The paper that introduced the model.
    pub paper: String,
    /// That paper's year.
    #[serde(with = "text")]
    pub year: u16,
    /// The dataset's name.
    pub dataset: String,
    /// The run's master seed.
    #[serde(with = "text")]
    pub seed: u64,
}

/// Where the numbers came from: the backend, its threads, and the code's commit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `flex`, `ndarray` or `cuda`.
    pub backend: String,
    /// CPU threads the backend used.
    #[serde(with = "text")]
    pub threads: usize,
    /// The commit, `-dirty` when tracked sources differed from it.
    pub commit: String,
}

/// The column names of a record type, in its field order.
pub fn columns_of<T: Default + Serialize>() -> Vec<String> {
    Row::record(&T::default())
        .map(|r| r.0.into_iter().map(|(k, _)| k).collect())
        .unwrap_or_default()
}

/// Serde for a value stored as text (result rows keep every value as a string).
mod text {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::fmt::Display;
    use std::str::FromStr;

    pub fn serialize<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(value)
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        String::deserialize(d)?.parse().map_err(D::Error::custom)
    }
}

/// One row of a results table: (column, value) in the order they were set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Row(pub Vec<(String, String)>);

impl Row {
    /// A record's fields as a row, in field order; every value becomes its text.
    pub fn record(value: &impl Serialize) -> anyhow::Result<Row> {
        let serde_json::Value::Object(map) = serde_json::to_value(value)? else {
            anyhow::bail!("a result record serializes to a JSON object");
        };
        Ok(Row(map
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect()))
    }

    /// Sets every column of `other` (in its order).
    pub fn extend(&mut self, other: Row) {
        for (k, v) in other.0 {
            self.set(&k, v);
        }
    }

    /// This row without `columns`.
    pub fn without(&self, columns: &[String]) -> Row {
        Row(self
            .0
            .iter()
            .filter(|(k, _)| !columns.contains(k))
            .cloned()
            .collect())
    }

    pub fn set(&mut self, key: &str, value: impl ToString) {
        let value = value.to_string();
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key.to_string(), value)),
        }
    }

    /// A float, or empty when `None` or not finite.
    pub fn set_f(&mut self, key: &str, value: Option<f64>) {
        self.set(
            key,
            value
                .filter(|v| v.is_finite())
                .map(|v| v.to_string())
                .unwrap_or_default(),
        );
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let map: serde_json::Map<String, serde_json::Value> = self
            .0
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        fsutil::write_json(path, &map)
    }

    pub fn load(path: &Path) -> anyhow::Result<Row> {
        let map: serde_json::Map<String, serde_json::Value> = fsutil::read_json(path)?;
        Ok(Row(map
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
            .collect()))
    }
}

/// The result of the run folder `run_dir`: its result.json when it parses and names its run
/// and status, else `None` — an empty or truncated file (a full disk, a copy cut short) means
/// "not done", never an error.
pub fn finished(run_dir: &Path) -> Option<Row> {
    Row::load(&run_dir.join("result.json"))
        .ok()
        .filter(|r| r.get("run_id").is_some_and(|v| !v.is_empty()) && r.get("status").is_some())
}

/// summary.csv from every runs/*/result.json under `output` (sorted by run id), so shards
/// written by several machines merge by copying their runs/ folders together.
pub fn write_summary(output: &Path) -> anyhow::Result<usize> {
    let mut rows = Vec::new();
    let runs = output.join("runs");
    if runs.exists() {
        for entry in
            std::fs::read_dir(&runs).with_context(|| format!("listing {}", runs.display()))?
        {
            let dir = entry?.path();
            match finished(&dir) {
                Some(row) => rows.push(row),
                None if dir.join("result.json").exists() => eprintln!(
                    "warning: {}: unreadable, left out of summary.csv (rerun to redo the run)",
                    dir.join("result.json").display()
                ),
                None => {}
            }
        }
    }
    rows.sort_by(|a, b| a.get("run_id").cmp(&b.get("run_id")));
    write_summary_rows(&output.join("summary.csv"), &rows)?;
    Ok(rows.len())
}

/// `rows` as a summary CSV in the given order: [`LEADING_COLUMNS`], then every other column
/// any row has, sorted; a column a row lacks is empty.
pub fn write_summary_rows(path: &Path, rows: &[Row]) -> anyhow::Result<()> {
    let mut header: Vec<String> = LEADING_COLUMNS.iter().map(|s| s.to_string()).collect();
    let mut extra: Vec<String> = rows
        .iter()
        .flat_map(|r| r.0.iter().map(|(k, _)| k.clone()))
        .filter(|k| !LEADING_COLUMNS.contains(&k.as_str()))
        .collect();
    extra.sort();
    extra.dedup();
    header.extend(extra);
    write_table(path, &header, rows)
}

/// Rows with possibly different columns as one CSV (union of columns, first-seen order):
/// variants.csv, metrics.csv.
pub fn write_rows(path: &Path, rows: &[Row]) -> anyhow::Result<()> {
    let mut header: Vec<String> = Vec::new();
    for r in rows {
        for (k, _) in &r.0 {
            if !header.contains(k) {
                header.push(k.clone());
            }
        }
    }
    write_table(path, &header, rows)
}

fn write_table(path: &Path, header: &[String], rows: &[Row]) -> anyhow::Result<()> {
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            header
                .iter()
                .map(|h| r.get(h).unwrap_or("").to_string())
                .collect()
        })
        .collect();
    fsutil::write_csv(path, header, &body)
}

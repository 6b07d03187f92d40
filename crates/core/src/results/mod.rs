//! Result rows: one per run (result.json), merged into summary.csv. A run's row is the typed
//! [`RunResult`]; its scores, and the rows of metrics.csv and variants.csv, are a [`Row`]: an
//! ordered list of (column, value). Every column is named once, in [`schema`]. An empty value
//! means "not measured for this run" — never a stand-in 0.

pub mod schema;

use crate::fsutil;
use anyhow::Context;
use schema::{SUMMARY_COLUMNS, col};
use serde::{Deserialize, Serialize};
use std::path::Path;

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
    /// That paper's year (empty when an external model names none).
    #[serde(with = "text_opt")]
    pub year: Option<u16>,
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

/// A run's result row (result.json; one line of summary.csv): who the run is, how training went,
/// where it ran, then every score the evaluator measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Which run.
    #[serde(flatten)]
    pub identity: RunIdentity,
    /// Whether the model was conditioned on the label (its NLL is then −log p(x | y)).
    #[serde(with = "text")]
    pub conditional: bool,
    /// `ok`, or `diverged` when a loss or the samples were not finite or absurd.
    pub status: Status,
    /// The step at which it diverged.
    #[serde(with = "text_opt")]
    pub diverged_at: Option<u64>,
    /// Why it diverged (the loss or the samples), empty when it did not.
    #[serde(with = "text_opt", default)]
    pub divergence: Option<String>,
    /// Training steps completed (empty for a model genbench did not train: `genbench score`).
    #[serde(with = "text_opt")]
    pub steps: Option<u64>,
    /// The step whose weights were scored on the test set: the one with the best validation
    /// score among the periodic evaluations, else the last (empty in results made before the
    /// validation split, and for external runs).
    #[serde(with = "text_opt", default)]
    pub selected_step: Option<u64>,
    /// Anytime runs: whether the validation score improved by less than
    /// [`schema::CONVERGED_TOLERANCE`] over the last half of the budget, or (early stopping) not
    /// at all over the last `patience` steps (empty otherwise).
    #[serde(with = "text_opt", default)]
    pub converged: Option<bool>,
    /// With a `patience`: whether training stopped before the budget because the validation
    /// score had not improved for `patience` steps (`steps` is then the stopping step); empty
    /// without early stopping.
    #[serde(with = "text_opt", default)]
    pub stopped_early: Option<bool>,
    /// Seconds spent in `train_step` (an external model's as its user states them, or empty).
    #[serde(with = "text_opt")]
    pub train_seconds: Option<f64>,
    /// Where it ran.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// The fingerprint of the run's settings (config.json lists them); empty in results written
    /// before fingerprints and for external runs.
    #[serde(default)]
    pub fingerprint: String,
    /// Trainable parameters (an external model's as its user states them, or empty).
    #[serde(with = "text_opt")]
    pub params: Option<usize>,
    /// What was done to the data (levels, split, seed).
    pub preprocessing: String,
    /// Mean training loss over the last logged window (empty when not finite).
    #[serde(with = "text_opt")]
    pub final_train_loss: Option<f64>,
    /// The evaluator's columns ([`schema::col`]), in the order they were measured.
    #[serde(flatten)]
    pub scores: Row,
    /// Seconds for the whole run, scoring included.
    #[serde(with = "text_opt", default)]
    pub wall_seconds: Option<f64>,
}

/// How training ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every loss was finite and sane, and so were the samples.
    #[default]
    Ok,
    /// A loss or the samples were not finite or absurd (see `StepMetrics::divergence` and
    /// `model::absurd_samples`): the run is not scored.
    Diverged,
}

impl Status {
    /// The word in the `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Diverged => "diverged",
        }
    }
}

impl RunResult {
    /// The row of this result, every value as text.
    pub fn row(&self) -> anyhow::Result<Row> {
        Row::record(self)
    }

    /// Writes `path` (result.json).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        fsutil::write_json(path, self)
    }

    /// Reads `path` (result.json); a missing or mistyped field is an error naming the file.
    pub fn load(path: &Path) -> anyhow::Result<RunResult> {
        fsutil::read_json(path)
    }
}

/// The column names of a record type, in its field order.
pub fn columns_of<T: Default + Serialize>() -> Vec<String> {
    Row::record(&T::default())
        .map(|r| r.0.into_iter().map(|(k, _)| k).collect())
        .unwrap_or_default()
}

/// Serde for an optional value stored as text: `None` is the empty string.
mod text_opt {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};
    use std::fmt::Display;
    use std::str::FromStr;

    pub fn serialize<T: Display, S: Serializer>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.collect_str(v),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr,
        T::Err: Display,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(d)?;
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(D::Error::custom)
    }
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
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row(pub Vec<(String, String)>);

impl Serialize for Row {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        Ok(Row::from_json(map))
    }
}

impl Row {
    /// A record's fields as a row, in field order; every value becomes its text.
    pub fn record(value: &impl Serialize) -> anyhow::Result<Row> {
        let serde_json::Value::Object(map) = serde_json::to_value(value)? else {
            anyhow::bail!("a result record serializes to a JSON object");
        };
        Ok(Row::from_json(map))
    }

    /// A JSON object as a row: strings as they are, any other value as its JSON text.
    fn from_json(map: serde_json::Map<String, serde_json::Value>) -> Row {
        Row(map
            .into_iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect())
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

    /// Set column `key` to `value` (appended when new).
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

    /// The value of column `key`, if the row has it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Writes the row as a JSON object of strings (rescore.json).
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        fsutil::write_json(path, self)
    }
}

/// The result of the run folder `run_dir`: its result.json when it parses as a [`RunResult`]
/// that names its run, else `None` — an empty or truncated file (a full disk, a copy cut short)
/// means "not done", never an error.
pub fn finished(run_dir: &Path) -> Option<RunResult> {
    RunResult::load(&run_dir.join(RESULT_FILE))
        .ok()
        .filter(|r| !r.identity.run_id.is_empty())
}

/// A run folder's result row.
pub const RESULT_FILE: &str = "result.json";
/// A run folder's periodic and final metrics, one row per evaluation.
pub const METRICS_FILE: &str = "metrics.csv";
/// A run folder's scores of its sampler variants, one row each.
pub const VARIANTS_FILE: &str = "variants.csv";
/// The experiment folder's table of every run's result row.
pub const SUMMARY_FILE: &str = "summary.csv";

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
                Some(result) => rows.push(result.row()?),
                None if dir.join(RESULT_FILE).exists() => eprintln!(
                    "warning: {}: unreadable, left out of summary.csv (rerun to redo the run)",
                    dir.join(RESULT_FILE).display()
                ),
                None => {}
            }
        }
    }
    rows.sort_by(|a, b| a.get(col::RUN_ID).cmp(&b.get(col::RUN_ID)));
    write_summary_rows(&output.join(SUMMARY_FILE), &rows)?;
    Ok(rows.len())
}

/// `rows` as a summary CSV in the given order: [`SUMMARY_COLUMNS`], then every other column
/// any row has, sorted; a column a row lacks is empty.
pub fn write_summary_rows(path: &Path, rows: &[Row]) -> anyhow::Result<()> {
    let mut header: Vec<String> = SUMMARY_COLUMNS.iter().map(ToString::to_string).collect();
    let mut extra: Vec<String> = rows
        .iter()
        .flat_map(|r| r.0.iter().map(|(k, _)| k.clone()))
        .filter(|k| !SUMMARY_COLUMNS.contains(&k.as_str()))
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

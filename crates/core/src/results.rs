//! Result rows: one per run (result.json), merged into summary.csv. A row is an ordered list of
//! (column, value); an empty value means "not measured for this run" — never a stand-in 0.

use crate::fsutil;
use anyhow::Context;
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

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row(pub Vec<(String, String)>);

impl Row {
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

/// summary.csv from every runs/*/result.json under `output` (sorted by run id), so shards
/// written by several machines merge by copying their runs/ folders together.
pub fn write_summary(output: &Path) -> anyhow::Result<usize> {
    let mut rows = Vec::new();
    let runs = output.join("runs");
    if runs.exists() {
        for entry in
            std::fs::read_dir(&runs).with_context(|| format!("listing {}", runs.display()))?
        {
            let path = entry?.path().join("result.json");
            if path.exists() {
                rows.push(Row::load(&path)?);
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

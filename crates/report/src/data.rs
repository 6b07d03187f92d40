//! The report's inputs: CSV files read as tables of strings, and the runs of summary.csv.
//!
//! An empty cell means "not measured" and reads as `None`, never as 0.

use anyhow::Context;
use genbench_core::results::schema::col;
use genbench_core::results::{SUMMARY_FILE, Status};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The folder of a run where its family writes its own figures' data (the runner makes it).
pub const ARTIFACTS: &str = "artifacts";

/// A CSV file: its header and rows of cells (rows padded or cut to the header's length).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// Column names, trimmed.
    pub header: Vec<String>,
    /// Cells, trimmed, one row per record, as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The table at `path`, or `None` when the file does not exist.
    pub fn read(path: &Path) -> anyhow::Result<Option<Table>> {
        if !path.is_file() {
            return Ok(None);
        }
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .with_context(|| format!("opening {}", path.display()))?;
        let header: Vec<String> = reader
            .headers()?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.with_context(|| format!("reading {}", path.display()))?;
            let mut row: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
            row.resize(header.len(), String::new());
            rows.push(row);
        }
        Ok(Some(Table { header, rows }))
    }

    /// Index of column `name`.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The non-empty cell of `row` in column `name`.
    pub fn get(&self, row: usize, name: &str) -> Option<&str> {
        let c = self.col(name)?;
        self.rows
            .get(row)?
            .get(c)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// The cell as a finite number.
    pub fn num(&self, row: usize, name: &str) -> Option<f64> {
        self.get(row, name).and_then(parse_finite)
    }

    /// The rows as column -> value maps.
    pub fn records(&self) -> Vec<BTreeMap<String, String>> {
        self.rows
            .iter()
            .map(|r| self.header.iter().cloned().zip(r.iter().cloned()).collect())
            .collect()
    }
}

/// `s` as a finite number (`None` for empty, unparsable, infinite or NaN).
pub fn parse_finite(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// One row of summary.csv: a run of one model on one dataset with one seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Column -> cell of its summary.csv row.
    pub fields: BTreeMap<String, String>,
    /// `experiment_dir/runs/<run_id>`.
    pub dir: PathBuf,
}

/// The run folder `dir`'s config.json (everything that defined the run), parsed; `None` when it
/// is missing or unreadable (a model scored by `genbench score` keeps less).
pub fn read_config(dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("config.json")).ok()?;
    serde_json::from_str(&text).ok()
}

impl Run {
    /// This run's config.json ([`read_config`]).
    pub fn config(&self) -> Option<serde_json::Value> {
        read_config(&self.dir)
    }

    /// The non-empty value of column `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .get(key)
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// The value of column `key`, `""` when empty or absent.
    pub fn s(&self, key: &str) -> &str {
        self.get(key).unwrap_or("")
    }

    /// The value of column `key` as a finite number.
    pub fn num(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(parse_finite)
    }

    /// The run's seed (`u64::MAX` when the column cannot be read, so it sorts last).
    pub fn seed(&self) -> u64 {
        self.get(col::SEED)
            .and_then(|s| s.parse().ok())
            .unwrap_or(u64::MAX)
    }

    /// Whether the run did not diverge (its numbers count in the summaries).
    pub fn ok(&self) -> bool {
        self.s(col::STATUS) != Status::Diverged.as_str()
    }

    /// Whether the model was conditioned on the label (its NLL is then −log p(x | y)).
    pub fn conditional(&self) -> bool {
        self.s(col::CONDITIONAL) == "true"
    }

    /// A CSV of this run's folder (`train.csv`, `variants.csv`, ...), if present.
    pub fn table(&self, relative: &str) -> anyhow::Result<Option<Table>> {
        Table::read(&self.dir.join(relative))
    }

    /// A CSV the family wrote into the run's artifacts folder, named by the family's constant
    /// (`genbench_vae::artifacts::BOUND_CSV`, ...), if present.
    pub fn artifact_table(&self, name: &str) -> anyhow::Result<Option<Table>> {
        self.table(&format!("{ARTIFACTS}/{name}"))
    }

    /// [`Run::file`] of a file in the run's artifacts folder.
    pub fn artifact_file(&self, name: &str) -> Option<String> {
        self.file(&format!("{ARTIFACTS}/{name}"))
    }

    /// `runs/<run_id>/<relative>` when that file exists, as a path relative to the experiment.
    pub fn file(&self, relative: &str) -> Option<String> {
        self.dir
            .join(relative)
            .is_file()
            .then(|| format!("runs/{}/{}", self.s(col::RUN_ID), relative))
    }
}

/// Every run of `experiment_dir/summary.csv`, or an error naming the missing file.
pub fn read_runs(experiment_dir: &Path) -> anyhow::Result<Vec<Run>> {
    let path = experiment_dir.join(SUMMARY_FILE);
    let table = Table::read(&path)?.with_context(|| format!("{} not found", path.display()))?;
    let mut runs: Vec<Run> = table
        .records()
        .into_iter()
        .filter(|f| f.get(col::RUN_ID).is_some_and(|id| !id.is_empty()))
        .map(|fields| {
            let dir = experiment_dir.join("runs").join(&fields[col::RUN_ID]);
            Run { fields, dir }
        })
        .collect();
    runs.sort_by(|a, b| a.s(col::RUN_ID).cmp(b.s(col::RUN_ID)));
    runs.dedup_by(|a, b| a.s(col::RUN_ID) == b.s(col::RUN_ID));
    Ok(runs)
}

//! The workloads file of `genbench bench` (experiments/bench.toml): what to time, read and checked
//! in full before anything is timed. scripts/torch_reference.py reads the same file.

use crate::families;
use crate::source::{KeyPath, Source};
use crate::usage::UsageError;
use genbench_dataset::{DataConfig, Dataset};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::Path;

/// What a repetition of a workload does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `steps` training steps of `batch_size` examples.
    Train,
    /// `n` samples in one call.
    Sample,
    /// The log-likelihood (or bound) of the first `n` test examples.
    Likelihood,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Train => "train",
            Kind::Sample => "sample",
            Kind::Likelihood => "likelihood",
        }
    }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenchFile {
    /// Untimed repetitions before the timed ones.
    #[serde(default = "default_warmup")]
    pub warmup: usize,
    /// Timed repetitions.
    #[serde(default = "default_reps")]
    pub reps: usize,
    pub workloads: Vec<Workload>,
}

fn default_warmup() -> usize {
    1
}

fn default_reps() -> usize {
    3
}

fn default_learning_rate() -> f64 {
    1e-3
}

/// One `[[workloads]]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    pub name: String,
    pub kind: Kind,
    /// A family of `genbench list`.
    pub family: String,
    /// The dataset, as a manifest's `[[datasets]]` table.
    pub data: DataConfig,
    /// Train: examples per step.
    pub batch_size: Option<usize>,
    #[serde(default = "default_learning_rate")]
    pub learning_rate: f64,
    /// Train: steps per repetition.
    pub steps: Option<usize>,
    /// Sample: samples per repetition; likelihood: test examples per repetition.
    pub n: Option<usize>,
    /// The family's `[models.config]`.
    #[serde(default)]
    pub config: toml::Table,
}

impl Workload {
    /// Examples a repetition processes (the numerator of its samples/s).
    pub fn items_per_rep(&self) -> usize {
        match self.kind {
            Kind::Train => self.steps.unwrap_or(0) * self.batch_size.unwrap_or(0),
            Kind::Sample | Kind::Likelihood => self.n.unwrap_or(0),
        }
    }
}

/// A checked file with each workload's data loaded.
pub struct Loaded {
    pub file: BenchFile,
    /// `data[i]` is workload i's dataset.
    pub data: Vec<Dataset>,
}

/// Read, parse and check `path`; keep the workloads named in `only` (all when empty). Every
/// error names the file, the line and the key.
pub fn load(path: &Path, only: &[String]) -> Result<Loaded, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError::new(format!("{}: cannot read: {e}", path.display())))?;
    let src = Source::new(path, &text);
    let mut file: BenchFile = toml::from_str(&text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        src.error_at(span.start, e.message().trim())
    })?;
    let root = KeyPath::root();
    if file.reps == 0 {
        return Err(src.error(&root.key("reps"), "must be at least 1"));
    }
    let mut names = BTreeSet::new();
    for (i, w) in file.workloads.iter().enumerate() {
        let at = root.key("workloads").index(i);
        if !names.insert(w.name.clone()) {
            return Err(src.error(&at.key("name"), format!("`{}` twice", w.name)));
        }
        check_counts(&src, &at, w)?;
    }
    for name in only {
        if !names.contains(name) {
            let all: Vec<&str> = file.workloads.iter().map(|w| w.name.as_str()).collect();
            return Err(UsageError::new(format!(
                "--only {name}: no such workload in {}; there are: {}",
                path.display(),
                all.join(", ")
            )));
        }
    }
    let keep: Vec<bool> = file
        .workloads
        .iter()
        .map(|w| only.is_empty() || only.contains(&w.name))
        .collect();
    let mut data = Vec::new();
    for (i, w) in file.workloads.iter().enumerate().filter(|(i, _)| keep[*i]) {
        data.push(check_workload(&src, &root.key("workloads").index(i), w)?);
    }
    let mut k = keep.into_iter();
    file.workloads.retain(|_| k.next().unwrap_or(false));
    Ok(Loaded { file, data })
}

/// The counts each kind needs, positive.
fn check_counts(src: &Source, at: &KeyPath, w: &Workload) -> Result<(), UsageError> {
    let needed: &[(&str, Option<usize>)] = match w.kind {
        Kind::Train => &[("batch_size", w.batch_size), ("steps", w.steps)],
        Kind::Sample | Kind::Likelihood => &[("n", w.n)],
    };
    for &(key, value) in needed {
        match value {
            None => {
                return Err(src.error(
                    &at.key(key),
                    format!("missing; a {} workload needs it", w.kind.as_str()),
                ));
            }
            Some(0) => return Err(src.error(&at.key(key), "must be at least 1")),
            Some(_) => {}
        }
    }
    if !(w.learning_rate > 0.0 && w.learning_rate.is_finite()) {
        return Err(src.error(&at.key("learning_rate"), "must be positive"));
    }
    Ok(())
}

/// The family, the data and the family's config against that data; returns the data.
fn check_workload(src: &Source, at: &KeyPath, w: &Workload) -> Result<Dataset, UsageError> {
    let family = families::find(&w.family).ok_or_else(|| {
        src.error(
            &at.key("family"),
            format!(
                "unknown family `{}`; allowed: {}",
                w.family,
                families::names().join(", ")
            ),
        )
    })?;
    w.data
        .check()
        .map_err(|e| src.error(&at.key("data").key(&e.key), e.msg))?;
    let data = genbench_dataset::load(&w.data).map_err(|e| src.error(&at.key("data"), e))?;
    (family.check)(w.config.clone(), &data.spec, false)
        .map_err(|e| src.error(&at.key("config").key(&e.key), e.msg))?;
    if w.kind == Kind::Likelihood && w.n.unwrap_or(0) > data.test.len() {
        return Err(src.error(
            &at.key("n"),
            format!(
                "{} test examples asked, {} has {}",
                w.n.unwrap_or(0),
                w.data.name,
                data.test.len()
            ),
        ));
    }
    Ok(data)
}

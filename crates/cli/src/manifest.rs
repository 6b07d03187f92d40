//! Experiment manifests: TOML in, a validated list of runs out. Every check that can fail on
//! bad input happens here, before anything is written under results/.

use crate::families;
use crate::usage::UsageError;
use genbench_core::{Budget, DeviceChoice};
use genbench_dataset::DataConfig;
use genbench_eval::EvalOptions;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The whole manifest. See README.md ("Manifest reference") for every key.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Experiment name: results go to `<output>/` (default `results/<name>`).
    pub name: String,
    pub output: Option<PathBuf>,
    /// Master seeds: every model runs once per seed and dataset.
    #[serde(default = "default_seeds")]
    pub seeds: Vec<u64>,
    #[serde(default)]
    pub device: Option<Spanned<String>>,
    #[serde(default)]
    pub eval: EvalOptions,
    pub datasets: Vec<Spanned<DataConfig>>,
    pub models: Vec<Spanned<ModelSpec>>,
}

fn default_seeds() -> Vec<u64> {
    vec![0]
}

/// Examples per step: a number or "full" (the whole training set: EM).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum BatchSize {
    Examples(i64),
    Named(FullBatch),
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub enum FullBatch {
    Full,
}

/// One `[[models]]` entry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Unique name; part of every run id.
    pub name: String,
    pub family: Spanned<String>,
    /// The datasets (by name) this model runs on; default: every dataset of the manifest.
    #[serde(default)]
    pub datasets: Option<Vec<Spanned<String>>>,
    /// Budget: exactly one of `steps` and `seconds`.
    pub steps: Option<Spanned<i64>>,
    pub seconds: Option<Spanned<f64>>,
    pub batch_size: Spanned<BatchSize>,
    #[serde(default = "default_lr")]
    pub learning_rate: Spanned<f64>,
    #[serde(default)]
    pub conditional: bool,
    /// The family's own keys.
    #[serde(default = "empty_table")]
    pub config: Spanned<toml::Table>,
}

fn empty_table() -> Spanned<toml::Table> {
    Spanned::new(0..0, toml::Table::new())
}

fn default_lr() -> Spanned<f64> {
    Spanned::new(0..0, 1e-3)
}

/// One run: a model on a dataset with a seed.
#[derive(Clone, Debug)]
pub struct RunSpec {
    pub id: String,
    pub model: ModelSpec,
    pub data: DataConfig,
    pub seed: u64,
    pub budget: Budget,
    /// `usize::MAX` for "full".
    pub batch_size: usize,
}

/// A parsed, validated manifest.
#[derive(Debug)]
pub struct Plan {
    pub path: PathBuf,
    pub text: String,
    pub name: String,
    pub output: PathBuf,
    pub device: DeviceChoice,
    pub eval: EvalOptions,
    pub runs: Vec<RunSpec>,
}

/// Read, parse and validate `path`. Every error is a [`UsageError`] that names the file, the
/// line and the key.
pub fn load(path: &Path, device_override: Option<DeviceChoice>) -> Result<Plan, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError::new(format!("{}: cannot read: {e}", path.display())))?;
    let src = Source { path, text: &text };
    let manifest: Manifest =
        toml::from_str(&text).map_err(|e| src.at(e.span(), e.message().to_string()))?;
    let device = device(&src, &manifest, device_override)?;
    if manifest.seeds.is_empty() {
        return Err(src.at(None, "seeds: give at least one seed".into()));
    }
    if manifest.eval.samples == 0 {
        return Err(src.at(None, "eval.samples must be at least 1".into()));
    }
    let datasets = datasets(&src, &manifest)?;
    let mut runs = Vec::new();
    let mut ids = BTreeSet::new();
    for m in &manifest.models {
        runs.extend(model_runs(&src, m, &datasets, &manifest.seeds, &mut ids)?);
    }
    if runs.is_empty() {
        return Err(src.at(None, "models: give at least one [[models]] table".into()));
    }
    let output = manifest
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&manifest.name));
    Ok(Plan {
        path: path.to_path_buf(),
        name: manifest.name,
        output,
        device,
        eval: manifest.eval,
        runs,
        text,
    })
}

/// The manifest's file and text, to point an error at a line.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    /// An error at the line of `span` (or the file, without one).
    fn at(&self, span: Option<Range<usize>>, msg: String) -> UsageError {
        located(self.path, self.text, span, msg)
    }
}

/// `--device`, else the manifest's `device`, else the default.
fn device(
    src: &Source,
    manifest: &Manifest,
    device_override: Option<DeviceChoice>,
) -> Result<DeviceChoice, UsageError> {
    match (device_override, &manifest.device) {
        (Some(d), _) => Ok(d),
        (None, Some(d)) => d
            .get_ref()
            .parse()
            .map_err(|e: String| src.at(Some(d.span()), format!("device: {e}"))),
        (None, None) => Ok(DeviceChoice::default()),
    }
}

/// The `[[datasets]]` tables: known names, each once, at least one.
fn datasets(src: &Source, manifest: &Manifest) -> Result<Vec<DataConfig>, UsageError> {
    let mut datasets = Vec::new();
    for d in &manifest.datasets {
        let cfg = d.get_ref().clone();
        if !genbench_dataset::DATASET_NAMES.contains(&cfg.name.as_str()) {
            return Err(src.at(
                Some(d.span()),
                format!(
                    "datasets.name: unknown dataset `{}`; allowed: {}",
                    cfg.name,
                    genbench_dataset::DATASET_NAMES.join(", ")
                ),
            ));
        }
        if datasets.iter().any(|x: &DataConfig| x.name == cfg.name) {
            return Err(src.at(
                Some(d.span()),
                format!("datasets: `{}` is listed twice", cfg.name),
            ));
        }
        datasets.push(cfg);
    }
    if datasets.is_empty() {
        return Err(src.at(
            None,
            "datasets: give at least one [[datasets]] table".into(),
        ));
    }
    Ok(datasets)
}

/// The runs of one `[[models]]` entry, one per dataset and seed, after checking its name,
/// family, config, budget, batch size and learning rate; `ids` refuses a run id seen before.
fn model_runs(
    src: &Source,
    m: &Spanned<ModelSpec>,
    datasets: &[DataConfig],
    seeds: &[u64],
    ids: &mut BTreeSet<String>,
) -> Result<Vec<RunSpec>, UsageError> {
    let spec = m.get_ref();
    let err = |span: Range<usize>, what: &str| {
        src.at(Some(span), format!("models `{}`: {what}", spec.name))
    };
    check_name(spec).map_err(|what| err(m.span(), &what))?;
    check_family(spec).map_err(|(span, what)| err(span, &what))?;
    let budget = budget(spec).map_err(|(span, what)| err(span.unwrap_or(m.span()), &what))?;
    let batch_size = batch_size(spec).map_err(|what| err(spec.batch_size.span(), &what))?;
    let lr = *spec.learning_rate.get_ref();
    if !(lr.is_finite() && lr > 0.0) {
        return Err(err(
            spec.learning_rate.span(),
            &format!("learning_rate: must be positive, got {lr}"),
        ));
    }
    let targets = targets(spec, datasets).map_err(|(span, what)| err(span, &what))?;
    let mut runs = Vec::new();
    for data in targets {
        for &seed in seeds {
            let id = format!("{}--{}--s{}", spec.name, data.name, seed);
            if !ids.insert(id.clone()) {
                return Err(err(
                    m.span(),
                    &format!("run `{id}` appears twice (same name, dataset and seed)"),
                ));
            }
            runs.push(RunSpec {
                id,
                model: spec.clone(),
                data: data.clone(),
                seed,
                budget,
                batch_size,
            });
        }
    }
    Ok(runs)
}

/// A model name is part of file names: letters, digits, '-' and '_'.
fn check_name(spec: &ModelSpec) -> Result<(), String> {
    let ok = !spec.name.is_empty()
        && spec
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err("name: use letters, digits, '-' and '_' only".into())
    }
}

/// The family is registered and its `[models.config]` parses as that family's config.
fn check_family(spec: &ModelSpec) -> Result<(), (Range<usize>, String)> {
    let family = families::find(spec.family.get_ref()).ok_or_else(|| {
        (
            spec.family.span(),
            format!(
                "family: unknown family `{}`; allowed: {}",
                spec.family.get_ref(),
                families::names().join(", ")
            ),
        )
    })?;
    (family.validate)(spec.config.get_ref().clone())
        .map_err(|e| (spec.config.span(), format!("config: {e}")))
}

/// Exactly one of `steps` (positive) and `seconds` (positive, finite). The span is `None` when
/// the error is about the entry as a whole.
fn budget(spec: &ModelSpec) -> Result<Budget, (Option<Range<usize>>, String)> {
    match (&spec.steps, &spec.seconds) {
        (Some(s), None) if *s.get_ref() > 0 => Ok(Budget::Steps(*s.get_ref() as u64)),
        (Some(s), None) => Err((
            Some(s.span()),
            format!(
                "steps: must be a positive number of steps, got {}",
                s.get_ref()
            ),
        )),
        (None, Some(s)) if s.get_ref().is_finite() && *s.get_ref() > 0.0 => {
            Ok(Budget::Seconds(*s.get_ref()))
        }
        (None, Some(s)) => Err((
            Some(s.span()),
            format!(
                "seconds: must be a positive number of seconds, got {}",
                s.get_ref()
            ),
        )),
        _ => Err((
            None,
            "give exactly one budget: `steps = N` or `seconds = S`".into(),
        )),
    }
}

/// Examples per step; `usize::MAX` for "full".
fn batch_size(spec: &ModelSpec) -> Result<usize, String> {
    match spec.batch_size.get_ref() {
        BatchSize::Examples(n) if *n > 0 => Ok(*n as usize),
        BatchSize::Named(FullBatch::Full) => Ok(usize::MAX),
        BatchSize::Examples(n) => Err(format!(
            "batch_size: must be a positive number of examples or \"full\", got {n}"
        )),
    }
}

/// The datasets the model runs on: its `datasets` list (each among the manifest's), or all.
fn targets<'a>(
    spec: &ModelSpec,
    datasets: &'a [DataConfig],
) -> Result<Vec<&'a DataConfig>, (Range<usize>, String)> {
    let Some(list) = &spec.datasets else {
        return Ok(datasets.iter().collect());
    };
    list.iter()
        .map(|n| {
            datasets
                .iter()
                .find(|d| d.name == *n.get_ref())
                .ok_or_else(|| {
                    let known: Vec<&str> = datasets.iter().map(|d| d.name.as_str()).collect();
                    (
                        n.span(),
                        format!(
                            "datasets: `{}` is not among the manifest's [[datasets]] ({})",
                            n.get_ref(),
                            known.join(", ")
                        ),
                    )
                })
        })
        .collect()
}

/// `file:line: message` (line from the byte span when TOML gives one).
fn located(path: &Path, text: &str, span: Option<Range<usize>>, msg: String) -> UsageError {
    let msg = msg.trim().replace('\n', " ");
    match span.filter(|s| s.end > 0 || s.start > 0) {
        Some(s) => {
            let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
            UsageError::new(format!("{}:{line}: {msg}", path.display()))
        }
        None => UsageError::new(format!("{}: {msg}", path.display())),
    }
}

//! Experiment manifests: TOML in, a validated list of runs out. Every check that can fail on
//! bad input happens here, before anything is written under results/.

use crate::families;
use crate::usage::UsageError;
use genbench_core::{Budget, DeviceChoice};
use genbench_dataset::DataConfig;
use serde::{Deserialize, Serialize};
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

/// `[eval]`: how every run is scored.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvalOptions {
    /// Samples drawn per run for sample-based metrics (FD, KID, precision/recall, ...).
    pub samples: usize,
    /// Test examples scored for the likelihood (0 = the whole test set).
    pub likelihood_examples: usize,
    /// KID: number of random subsets and their size (capped at the sample count).
    pub kid_subsets: usize,
    pub kid_subset_size: usize,
    /// Test-set likelihood every this many training steps into metrics.csv (0 = only at the end).
    pub eval_every: u64,
    /// Test examples for the periodic evaluation.
    pub eval_examples: usize,
    /// Checkpoint every this many steps (0 = only at the end).
    pub checkpoint_every: u64,
    /// Keep the final checkpoint in the run folder.
    pub keep_checkpoint: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            samples: 2000,
            likelihood_examples: 0,
            kid_subsets: 100,
            kid_subset_size: 1000,
            eval_every: 0,
            eval_examples: 500,
            checkpoint_every: 0,
            keep_checkpoint: false,
        }
    }
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
    let at = |span: Option<std::ops::Range<usize>>, msg: String| located(path, &text, span, msg);
    let manifest: Manifest =
        toml::from_str(&text).map_err(|e| at(e.span(), e.message().to_string()))?;

    let device = match (device_override, &manifest.device) {
        (Some(d), _) => d,
        (None, Some(d)) => d
            .get_ref()
            .parse()
            .map_err(|e: String| at(Some(d.span()), format!("device: {e}")))?,
        (None, None) => DeviceChoice::default(),
    };
    if manifest.seeds.is_empty() {
        return Err(at(None, "seeds: give at least one seed".into()));
    }
    let eval = manifest.eval.clone();
    if eval.samples == 0 {
        return Err(at(None, "eval.samples must be at least 1".into()));
    }

    let mut datasets = Vec::new();
    for d in &manifest.datasets {
        let cfg = d.get_ref().clone();
        if !genbench_dataset::DATASET_NAMES.contains(&cfg.name.as_str()) {
            return Err(at(
                Some(d.span()),
                format!(
                    "datasets.name: unknown dataset `{}`; allowed: {}",
                    cfg.name,
                    genbench_dataset::DATASET_NAMES.join(", ")
                ),
            ));
        }
        if datasets.iter().any(|x: &DataConfig| x.name == cfg.name) {
            return Err(at(
                Some(d.span()),
                format!("datasets: `{}` is listed twice", cfg.name),
            ));
        }
        datasets.push(cfg);
    }
    if datasets.is_empty() {
        return Err(at(
            None,
            "datasets: give at least one [[datasets]] table".into(),
        ));
    }

    let mut runs = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for m in &manifest.models {
        let spec = m.get_ref();
        let ctx = |what: &str| format!("models `{}`: {what}", spec.name);
        if spec.name.is_empty()
            || !spec
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(at(
                Some(m.span()),
                ctx("name: use letters, digits, '-' and '_' only"),
            ));
        }
        let family = families::find(spec.family.get_ref()).ok_or_else(|| {
            at(
                Some(spec.family.span()),
                ctx(&format!(
                    "family: unknown family `{}`; allowed: {}",
                    spec.family.get_ref(),
                    families::names().join(", ")
                )),
            )
        })?;
        (family.validate)(spec.config.get_ref().clone())
            .map_err(|e| at(Some(spec.config.span()), ctx(&format!("config: {e}"))))?;
        let budget = match (&spec.steps, &spec.seconds) {
            (Some(s), None) if *s.get_ref() > 0 => Budget::Steps(*s.get_ref() as u64),
            (Some(s), None) => {
                return Err(at(
                    Some(s.span()),
                    ctx(&format!(
                        "steps: must be a positive number of steps, got {}",
                        s.get_ref()
                    )),
                ));
            }
            (None, Some(s)) if s.get_ref().is_finite() && *s.get_ref() > 0.0 => {
                Budget::Seconds(*s.get_ref())
            }
            (None, Some(s)) => {
                return Err(at(
                    Some(s.span()),
                    ctx(&format!(
                        "seconds: must be a positive number of seconds, got {}",
                        s.get_ref()
                    )),
                ));
            }
            _ => {
                return Err(at(
                    Some(m.span()),
                    ctx("give exactly one budget: `steps = N` or `seconds = S`"),
                ));
            }
        };
        let batch_size = match spec.batch_size.get_ref() {
            BatchSize::Examples(n) if *n > 0 => *n as usize,
            BatchSize::Named(FullBatch::Full) => usize::MAX,
            BatchSize::Examples(n) => {
                return Err(at(
                    Some(spec.batch_size.span()),
                    ctx(&format!(
                        "batch_size: must be a positive number of examples or \"full\", got {n}"
                    )),
                ));
            }
        };
        let lr = *spec.learning_rate.get_ref();
        if !(lr.is_finite() && lr > 0.0) {
            return Err(at(
                Some(spec.learning_rate.span()),
                ctx(&format!("learning_rate: must be positive, got {lr}")),
            ));
        }
        let targets: Vec<&DataConfig> = match &spec.datasets {
            None => datasets.iter().collect(),
            Some(list) => {
                let mut out = Vec::new();
                for n in list {
                    let d = datasets
                        .iter()
                        .find(|d| d.name == *n.get_ref())
                        .ok_or_else(|| {
                            at(
                                Some(n.span()),
                                ctx(&format!(
                                    "datasets: `{}` is not among the manifest's [[datasets]] ({})",
                                    n.get_ref(),
                                    datasets
                                        .iter()
                                        .map(|d| d.name.as_str())
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )),
                            )
                        })?;
                    out.push(d);
                }
                out
            }
        };
        for data in targets {
            for &seed in &manifest.seeds {
                let id = format!("{}--{}--s{}", spec.name, data.name, seed);
                if !ids.insert(id.clone()) {
                    return Err(at(
                        Some(m.span()),
                        ctx(&format!(
                            "run `{id}` appears twice (same name, dataset and seed)"
                        )),
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
    }
    if runs.is_empty() {
        return Err(at(
            None,
            "models: give at least one [[models]] table".into(),
        ));
    }
    let output = manifest
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&manifest.name));
    Ok(Plan {
        path: path.to_path_buf(),
        text,
        name: manifest.name,
        output,
        device,
        eval,
        runs,
    })
}

/// `file:line: message` (line from the byte span when TOML gives one).
fn located(
    path: &Path,
    text: &str,
    span: Option<std::ops::Range<usize>>,
    msg: String,
) -> UsageError {
    let msg = msg.trim().replace('\n', " ");
    match span.filter(|s| s.end > 0 || s.start > 0) {
        Some(s) => {
            let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
            UsageError::new(format!("{}:{line}: {msg}", path.display()))
        }
        None => UsageError::new(format!("{}: {msg}", path.display())),
    }
}

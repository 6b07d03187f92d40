//! Experiment manifests: TOML in, a list of runs out. Every check that needs no data happens
//! here and in [`crate::manifest_checks`] (the rest, against the loaded data, in
//! [`crate::preflight`]), before anything is written under results/; every error names the
//! file, the line and the key.

use crate::families;
use crate::manifest_checks;
use crate::source::{KeyPath, Source};
use crate::usage::UsageError;
use genbench_core::{Budget, DeviceChoice};
use genbench_dataset::DataConfig;
use genbench_eval::EvalOptions;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
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
    /// Early stopping: end training when the validation score (NLL, else FD) has not improved
    /// for this many steps, checked at each periodic evaluation; needs `[eval] eval_every` and a
    /// validation split. Default: train the whole budget.
    #[serde(default)]
    pub patience: Option<Spanned<i64>>,
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
    /// Index of the model's `[[models]]` table (for error lines).
    pub model_index: usize,
    pub data: DataConfig,
    /// Index of the dataset's `[[datasets]]` table.
    pub data_index: usize,
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
    /// Whether the manifest names `output` (else it is results/<name>).
    pub output_given: bool,
    pub device: DeviceChoice,
    pub eval: EvalOptions,
    pub runs: Vec<RunSpec>,
}

impl Plan {
    /// The manifest's text with its spans, to point an error at a key.
    pub fn source(&self) -> Source<'_> {
        Source::new(&self.path, &self.text)
    }
}

/// Read, parse and check `path`. Every error is a [`UsageError`] that names the file, the line
/// and the key.
pub fn load(path: &Path, device_override: Option<DeviceChoice>) -> Result<Plan, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError::new(format!("{}: cannot read: {e}", path.display())))?;
    let src = Source::new(path, &text);
    let manifest: Manifest = toml::from_str(&text).map_err(|e| parse_error(&src, &e))?;
    let root = KeyPath::root();
    let device = device(&src, &manifest, device_override)?;
    manifest_checks::check_device(&src, device, device_override.is_some())?;
    if manifest.seeds.is_empty() {
        return Err(src.error(
            &root.key("seeds"),
            "give at least one seed, e.g. seeds = [0]",
        ));
    }
    manifest_checks::check_names(&src, &manifest.name, manifest.output.as_deref())?;
    manifest_checks::check_eval(&src, &manifest.eval)?;
    let datasets = datasets(&src, &manifest)?;
    let mut runs = Vec::new();
    let mut ids = BTreeSet::new();
    for (i, m) in manifest.models.iter().enumerate() {
        let model = ModelRuns {
            src: &src,
            index: i,
            spec: m.get_ref(),
        };
        runs.extend(model.runs(
            manifest.eval.eval_every,
            &datasets,
            &manifest.seeds,
            &mut ids,
        )?);
    }
    if runs.is_empty() {
        return Err(src.error(&root.key("models"), "give at least one [[models]] table"));
    }
    let output = manifest
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("results").join(&manifest.name));
    Ok(Plan {
        path: path.to_path_buf(),
        name: manifest.name,
        output,
        output_given: manifest.output.is_some(),
        device,
        eval: manifest.eval,
        runs,
        text,
    })
}

/// A TOML or serde error at its line, with the key it concerns: the key whose value holds the
/// error, or for a missing key the table it is missing from.
fn parse_error(src: &Source, e: &toml::de::Error) -> UsageError {
    let msg = e.message().trim();
    let span = e.span().unwrap_or(0..0);
    if let Some(field) = msg
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next())
    {
        let table = src.table_at(&span);
        return src.error_at_line(
            src.line_of(span.start),
            Some(&table.key(field)),
            "missing; this key is required",
        );
    }
    let msg = if msg.contains("untagged enum BatchSize") {
        "must be a positive number of examples or \"full\""
    } else {
        msg
    };
    src.error_at(span.start, msg)
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
            .map_err(|e: String| src.error(&KeyPath::root().key("device"), e)),
        (None, None) => Ok(DeviceChoice::default()),
    }
}

/// The `[[datasets]]` tables: each passes [`DataConfig::check`], each name once, at least one.
fn datasets(src: &Source, manifest: &Manifest) -> Result<Vec<DataConfig>, UsageError> {
    let mut datasets: Vec<DataConfig> = Vec::new();
    for (i, d) in manifest.datasets.iter().enumerate() {
        let at = KeyPath::root().key("datasets").index(i);
        let cfg = d.get_ref().clone();
        cfg.check().map_err(|e| src.error(&at.key(&e.key), e.msg))?;
        if datasets.iter().any(|x| x.name == cfg.name) {
            return Err(src.error(&at.key("name"), format!("`{}` is listed twice", cfg.name)));
        }
        datasets.push(cfg);
    }
    if datasets.is_empty() {
        return Err(src.error(
            &KeyPath::root().key("datasets"),
            "give at least one [[datasets]] table",
        ));
    }
    Ok(datasets)
}

/// One `[[models]]` table, to check and expand into runs.
struct ModelRuns<'a> {
    src: &'a Source<'a>,
    index: usize,
    spec: &'a ModelSpec,
}

impl ModelRuns<'_> {
    /// `file:line: models[i].key: msg`.
    fn error(&self, key: &str, msg: impl std::fmt::Display) -> UsageError {
        let path = KeyPath::root().key("models").index(self.index).key(key);
        self.src.error(&path, msg)
    }

    /// One run per dataset and seed, after checking the name, family, config, budget, batch
    /// size and learning rate; `ids` refuses a run id seen before.
    fn runs(
        &self,
        eval_every: u64,
        datasets: &[DataConfig],
        seeds: &[u64],
        ids: &mut BTreeSet<String>,
    ) -> Result<Vec<RunSpec>, UsageError> {
        let spec = self.spec;
        check_name(&spec.name).map_err(|msg| self.error("name", msg))?;
        self.check_family()?;
        let budget = budget(spec).map_err(|(key, msg)| self.error(key, msg))?;
        let batch_size = batch_size(spec).map_err(|msg| self.error("batch_size", msg))?;
        let lr = *spec.learning_rate.get_ref();
        if !(lr.is_finite() && lr > 0.0) {
            return Err(self.error("learning_rate", format!("must be positive, got {lr}")));
        }
        let targets = targets(spec, datasets).map_err(|msg| self.error("datasets", msg))?;
        self.check_patience(eval_every, &targets)?;
        let mut runs = Vec::new();
        for (data_index, data) in targets {
            for &seed in seeds {
                let id = format!("{}--{}--s{}", spec.name, data.name, seed);
                if !ids.insert(id.clone()) {
                    return Err(self.error(
                        "name",
                        format!("run `{id}` appears twice (same name, dataset and seed)"),
                    ));
                }
                runs.push(RunSpec {
                    id,
                    model: spec.clone(),
                    model_index: self.index,
                    data: data.clone(),
                    data_index,
                    seed,
                    budget,
                    batch_size,
                });
            }
        }
        Ok(runs)
    }

    /// `patience`, when given, is a positive number of steps, with periodic evaluations to
    /// watch and a validation split on every dataset of the model to score them on.
    fn check_patience(
        &self,
        eval_every: u64,
        targets: &[(usize, &DataConfig)],
    ) -> Result<(), UsageError> {
        let Some(patience) = &self.spec.patience else {
            return Ok(());
        };
        let steps = *patience.get_ref();
        if steps < 1 {
            return Err(self.error(
                "patience",
                format!("must be a positive number of steps, got {steps}"),
            ));
        }
        if eval_every == 0 {
            return Err(self.error(
                "patience",
                "early stopping watches the periodic evaluations: set [eval] eval_every",
            ));
        }
        if let Some((_, d)) = targets.iter().find(|(_, d)| d.validation_fraction <= 0.0) {
            return Err(self.error(
                "patience",
                format!(
                    "early stopping reads the validation split, and dataset `{}` has none (validation_fraction = 0)",
                    d.name
                ),
            ));
        }
        Ok(())
    }

    /// The family is registered and its `[models.config]` parses as that family's config.
    fn check_family(&self) -> Result<(), UsageError> {
        let spec = self.spec;
        let family = families::find(spec.family.get_ref()).ok_or_else(|| {
            self.error(
                "family",
                format!(
                    "unknown family `{}`; allowed: {}",
                    spec.family.get_ref(),
                    families::names().join(", ")
                ),
            )
        })?;
        (family.validate)(spec.config.get_ref().clone()).map_err(|e| {
            let msg = format!("{} (family `{}`)", e.msg, family.name);
            self.error(&format!("config.{}", e.key), msg)
        })
    }
}

/// A model name is part of file names: letters, digits, '-' and '_'.
fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}`: use letters, digits, '-' and '_' only"))
    }
}

/// Exactly one of `steps` (positive) and `seconds` (positive, finite); an error names its key.
fn budget(spec: &ModelSpec) -> Result<Budget, (&'static str, String)> {
    match (&spec.steps, &spec.seconds) {
        (Some(s), None) if *s.get_ref() > 0 => Ok(Budget::Steps(*s.get_ref() as u64)),
        (Some(s), None) => Err((
            "steps",
            format!("must be a positive number of steps, got {}", s.get_ref()),
        )),
        (None, Some(s)) if s.get_ref().is_finite() && *s.get_ref() > 0.0 => {
            Ok(Budget::Seconds(*s.get_ref()))
        }
        (None, Some(s)) => Err((
            "seconds",
            format!("must be a positive number of seconds, got {}", s.get_ref()),
        )),
        (Some(_), Some(_)) => Err((
            "seconds",
            "give exactly one budget: `steps = N` or `seconds = S`, not both".into(),
        )),
        (None, None) => Err((
            "steps",
            "missing; give a budget: `steps = N` or `seconds = S`".into(),
        )),
    }
}

/// Examples per step; `usize::MAX` for "full".
fn batch_size(spec: &ModelSpec) -> Result<usize, String> {
    match spec.batch_size.get_ref() {
        BatchSize::Examples(n) if *n > 0 => Ok(*n as usize),
        BatchSize::Named(FullBatch::Full) => Ok(usize::MAX),
        BatchSize::Examples(n) => Err(format!(
            "must be a positive number of examples or \"full\", got {n}"
        )),
    }
}

/// The datasets the model runs on, with their indices: its `datasets` list (not empty, each
/// among the manifest's), or all.
fn targets<'a>(
    spec: &ModelSpec,
    datasets: &'a [DataConfig],
) -> Result<Vec<(usize, &'a DataConfig)>, String> {
    let Some(list) = &spec.datasets else {
        return Ok(datasets.iter().enumerate().collect());
    };
    if list.is_empty() {
        return Err(
            "list at least one dataset, or leave the key out to run on every dataset".into(),
        );
    }
    list.iter()
        .map(|n| {
            datasets
                .iter()
                .enumerate()
                .find(|(_, d)| d.name == *n.get_ref())
                .ok_or_else(|| {
                    let known: Vec<&str> = datasets.iter().map(|d| d.name.as_str()).collect();
                    format!(
                        "`{}` is not among the manifest's [[datasets]] ({})",
                        n.get_ref(),
                        known.join(", ")
                    )
                })
        })
        .collect()
}

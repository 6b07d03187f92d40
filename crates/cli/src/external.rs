//! `genbench score`: samples (and, if the model has one, per-example test likelihoods) made by
//! any framework, scored with exactly the evaluator of a genbench run — the same feature network
//! (found by the same cache key), the same test examples, sample count and KID seed — and written
//! as a run folder of family `external`, so `genbench report` puts the model in every table and
//! plot beside the families genbench trains.
//!
//! Every check on the inputs happens in [`check`], before anything is written (the feature
//! network's cache included); each failure is one line and exit code 2.

use crate::runner;
use crate::usage::UsageError;
use genbench_core::results::schema::col;
use genbench_core::results::{
    self, METRICS_FILE, Provenance, RESULT_FILE, Row, RunIdentity, RunResult, Status,
};
use genbench_core::{Batch, DeviceChoice, Likelihood, LikelihoodKind, Seeds, fsutil};
use genbench_dataset::external::{Scale, read_labels, read_numbers, read_samples};
use genbench_dataset::{DataConfig, Dataset};
use genbench_eval::{EvalOptions, Reference, score};
use std::path::{Path, PathBuf};

/// Per-example test log-likelihoods computed elsewhere.
#[derive(Clone, Debug)]
pub struct LikelihoodFile {
    /// `log p(x_i)` in nats (natural log, a lower bound for the bound kinds), one per test
    /// example in the order of `genbench export-split`'s test.npy.
    pub path: PathBuf,
    pub kind: LikelihoodKind,
    /// The fingerprint of the split they were computed on (split.json of export-split).
    pub split_fingerprint: String,
}

/// How the external model is named in the tables, and what it cost.
#[derive(Clone, Debug)]
pub struct ModelCard {
    pub name: String,
    pub family: String,
    pub arch: String,
    pub paper: String,
    pub year: Option<u16>,
    pub params: Option<usize>,
    pub train_seconds: Option<f64>,
    pub evals_per_sample: Option<f64>,
    pub samples_per_second: Option<f64>,
}

/// Everything `genbench score` needs, resolved from the command line.
#[derive(Clone, Debug)]
pub struct ScoreRequest {
    pub data: DataConfig,
    pub eval: EvalOptions,
    /// The experiment folder the run goes into (`<dir>/runs/<run-id>/`).
    pub experiment_dir: PathBuf,
    pub experiment: String,
    pub samples: PathBuf,
    pub scale: Option<Scale>,
    /// Labels of conditional samples (else taken from the samples file, if it has them).
    pub labels: Option<PathBuf>,
    pub likelihood: Option<LikelihoodFile>,
    pub model: ModelCard,
    /// Seed of the evaluation streams (KID's subsets), as a genbench run's master seed.
    pub seed: u64,
    pub force: bool,
    pub device: DeviceChoice,
}

impl ScoreRequest {
    pub fn run_id(&self) -> String {
        format!("{}--{}--s{}", self.model.name, self.data.name, self.seed)
    }

    pub fn run_dir(&self) -> PathBuf {
        self.experiment_dir.join("runs").join(self.run_id())
    }
}

/// The inputs, read and checked against the data; nothing has been written yet.
pub struct Checked {
    pub data: Dataset,
    /// The first `eval.samples` samples, with their labels when conditional.
    pub fake: Batch,
    pub description: String,
    pub likelihood: Likelihood,
}

/// Read every input and refuse any that does not fit the dataset or the experiment.
pub fn check(req: &ScoreRequest) -> Result<Checked, UsageError> {
    let usage = |e: genbench_dataset::DataError| UsageError::new(e.to_string());
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !name_ok(&req.model.name) || !name_ok(&req.model.family) {
        return Err(UsageError::new(format!(
            "--name {} / --family {}: use letters, digits, '-' and '_' only",
            req.model.name, req.model.family
        )));
    }
    let run_dir = req.run_dir();
    if run_dir.exists() && !req.force {
        return Err(UsageError::new(format!(
            "{}: exists already (use --force to replace it)",
            run_dir.display()
        )));
    }
    let data = genbench_dataset::load(&req.data)
        .map_err(|e| UsageError::new(format!("dataset `{}`: {e}", req.data.name)))?;
    same_split_as_the_experiment(req, &data)?;

    let samples = read_samples(&req.samples, &data.spec, req.scale).map_err(usage)?;
    let mut fake = samples.batch;
    if let Some(path) = &req.labels {
        if fake.has_labels() {
            return Err(UsageError::new(format!(
                "--labels {}: {} carries labels already",
                path.display(),
                req.samples.display()
            )));
        }
        let labels = read_labels(path, data.spec.num_classes).map_err(usage)?;
        if labels.len() != fake.len() {
            return Err(UsageError::new(format!(
                "{}: {} labels for {} samples",
                path.display(),
                labels.len(),
                fake.len()
            )));
        }
        fake = Batch::new(fake.x, labels, fake.dim);
    }
    let n = req.eval.samples;
    if fake.len() < n {
        return Err(UsageError::new(format!(
            "{}: {} samples, but the experiment scores {n} per model ([eval] samples): give at least {n}",
            req.samples.display(),
            fake.len()
        )));
    }
    let fake = fake.head(n);
    let likelihood = match &req.likelihood {
        None => Likelihood::unavailable(),
        Some(file) => read_likelihood(file, &data, req.eval.likelihood_examples)?,
    };
    Ok(Checked {
        data,
        fake,
        description: samples.description,
        likelihood,
    })
}

/// The experiment's own runs on this dataset must have seen the same split, or the external row
/// would be compared on other test examples (and in another feature space).
fn same_split_as_the_experiment(req: &ScoreRequest, data: &Dataset) -> Result<(), UsageError> {
    let Ok(entries) = std::fs::read_dir(req.experiment_dir.join("runs")) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let Some(result) = results::finished(&entry.path()) else {
            continue;
        };
        let row = result.row().unwrap_or_default();
        if row.get(col::DATASET) != Some(data.spec.name.as_str())
            || row.get(col::RUN_ID) == Some(req.run_id().as_str())
        {
            continue;
        }
        let theirs = row.get(col::PREPROCESSING).unwrap_or_default();
        if theirs != data.preprocessing {
            return Err(UsageError::new(format!(
                "{}: run {} saw {} as `{theirs}`, these options give `{}`; score with the experiment's [[datasets]] table (--manifest) or another --out",
                req.experiment_dir.display(),
                row.get(col::RUN_ID).unwrap_or_default(),
                data.spec.name,
                data.preprocessing
            )));
        }
    }
    Ok(())
}

/// Per-example log-likelihoods on the test set, checked: the split they were computed on, one
/// per test example, finite, and at most 0 on discrete data (a probability is at most 1).
fn read_likelihood(
    file: &LikelihoodFile,
    data: &Dataset,
    examples: usize,
) -> Result<Likelihood, UsageError> {
    let at = |msg: String| UsageError::new(format!("{}: {msg}", file.path.display()));
    if file.kind == LikelihoodKind::Unavailable {
        return Err(at(
            "--kind unavailable: a model without a likelihood gives no --log-likelihood".into(),
        ));
    }
    let ours = data.split_fingerprint();
    if file.split_fingerprint != ours {
        return Err(at(format!(
            "computed on split {}, but {} with these options is split {ours}: export the split with `genbench export-split` and score its test.npy",
            file.split_fingerprint, data.spec.name
        )));
    }
    let values = read_numbers(&file.path).map_err(|e| UsageError::new(e.to_string()))?;
    if values.len() != data.test.len() {
        return Err(at(format!(
            "{} log-likelihoods, but the test set of {} has {} examples",
            values.len(),
            data.spec.name,
            data.test.len()
        )));
    }
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(at(format!("example {i}: {} is not finite", values[i])));
    }
    if data.spec.is_discrete()
        && let Some(i) = values.iter().position(|&v| v > 0.0)
    {
        return Err(at(format!(
            "example {i}: log p(x) = {} > 0 on discrete data; give log-likelihoods in nats (not NLLs or bits/dim)",
            values[i]
        )));
    }
    let kept = if examples == 0 {
        values.len()
    } else {
        examples.min(values.len())
    };
    Ok(Likelihood::new(file.kind, values[..kept].to_vec()))
}

/// Score the checked inputs with the evaluator of a genbench run and write the run folder:
/// config.json (what was scored), result.json, metrics.csv and the samples (grid or CSV); then
/// summary.csv and the report of the experiment are redrawn.
pub fn score(req: &ScoreRequest, checked: Checked) -> anyhow::Result<RunResult> {
    let data = &checked.data;
    let device = req.device.device()?;
    let net = genbench_eval::feature_net(data, &req.experiment_dir, &device)?;
    let reference = Reference::new(data, net.as_ref());
    let conditional = checked.fake.has_labels();
    let card = &req.model;
    let provenance = runner::provenance(&req.device);
    let mut result = RunResult {
        identity: RunIdentity {
            run_id: req.run_id(),
            experiment: req.experiment.clone(),
            family: card.family.clone(),
            model: card.name.clone(),
            arch: card.arch.clone(),
            paper: card.paper.clone(),
            year: card.year,
            dataset: data.spec.name.clone(),
            seed: req.seed,
        },
        conditional,
        status: Status::Ok,
        diverged_at: None,
        divergence: None,
        steps: None,
        selected_step: None,
        converged: None,
        stopped_early: None,
        train_seconds: card.train_seconds,
        provenance: provenance.clone(),
        fingerprint: String::new(),
        params: card.params,
        preprocessing: data.preprocessing.clone(),
        final_train_loss: None,
        scores: Row::default(),
        wall_seconds: None,
    };
    let scores = &mut result.scores;
    score::likelihood_columns(&checked.likelihood, data, conditional, scores);
    let labels = conditional.then(|| checked.fake.labels.clone());
    let seeds = Seeds::new(req.seed);
    score::quality(
        &checked.fake,
        labels.as_deref(),
        &reference,
        &req.eval,
        &seeds,
        scores,
    )?;
    scores.set_f(col::SAMPLES_PER_SECOND, card.samples_per_second);
    scores.set_f(col::EVALS_PER_SAMPLE, card.evals_per_sample);
    scores.set(col::SPLIT_FINGERPRINT, data.split_fingerprint());
    scores.set(col::SAMPLES_SOURCE, &checked.description);

    let dir = req.run_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    fsutil::write_json(
        &dir.join("config.json"),
        &config_json(req, &checked, &provenance),
    )?;
    runner::save_samples(&checked.fake, data, &dir.join(runner::samples_file(data)))?;
    results::write_rows(&dir.join(METRICS_FILE), &[result.row()?])?;
    result.save(&dir.join(RESULT_FILE))?;
    Ok(result)
}

fn config_json(req: &ScoreRequest, checked: &Checked, prov: &Provenance) -> serde_json::Value {
    let path = |p: &Path| p.display().to_string();
    serde_json::json!({
        "run_id": req.run_id(), "experiment": req.experiment, "model": req.model.name,
        "family": req.model.family, "arch": req.model.arch, "dataset": req.data,
        "seed": req.seed, "conditional": checked.fake.has_labels(), "eval": req.eval,
        "external": {
            "samples": path(&req.samples), "samples_read": checked.description,
            "scale": req.scale.map(|s| s.to_string()),
            "labels": req.labels.as_deref().map(path),
            "log_likelihood": req.likelihood.as_ref().map(|l| path(&l.path)),
            "likelihood_kind": checked.likelihood.kind,
            "split_fingerprint": checked.data.split_fingerprint(),
            "params": req.model.params, "train_seconds": req.model.train_seconds,
            "evals_per_sample": req.model.evals_per_sample,
            "samples_per_second": req.model.samples_per_second,
        },
        "backend": prov.backend, "threads": prov.threads, "commit": prov.commit,
    })
}

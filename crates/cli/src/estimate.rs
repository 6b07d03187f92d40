//! How long a run takes, for `genbench plan --shards N`: from a recorded run when one exists,
//! else from a per-family cost model of the budget.
//!
//! - **recorded**: a result.json of the same run id, in the manifest's output folder or in a
//!   `--from` folder, whose config.json says it ran the same model config on the same data
//!   table (`data_dir` aside, and keys genbench gained after the record was written; another
//!   manifest's folder may hold the same id on other data, binarized MNIST-5k against 256
//!   levels). Training seconds are scaled to the planned budget (steps: by planned ÷
//!   recorded steps; seconds: the budget itself); the rest of its wall time (evaluation,
//!   sampling, writing) is taken as it was.
//! - **seed N**: no run of this id finished, but seed N of the same model on the same dataset
//!   did: its record, scaled as above (seeds differ only in their random numbers, and in where
//!   early stopping ends them).
//! - **D seed N**: no run of this model on this data finished, but seed N of its config on other
//!   data D did (another dataset, or the same one under other settings, named by the keys that
//!   differ: `mnist5k binarize=false`), and the model's footprint there is the same (same
//!   example shape and levels: the same work per example; MNIST-5k and Fashion-MNIST, two 2-D
//!   densities, a GAN on binarized and 256-level images). Training seconds are
//!   scaled by planned ÷ recorded examples seen (steps × batch, the batch capped at each
//!   training set; the whole budget even where early stopping ended the record, since a larger
//!   training set need not stop as soon); the rest of its wall time is taken as it was, its
//!   likelihood seconds scaled to the test examples this dataset scores. Not modelled: the
//!   validation evaluations' examples (capped at `eval_examples`, 400 on MNIST-5k and 500 on
//!   Fashion-MNIST) and evaluations that grow with the training set (the template's KDE, the
//!   texture's search: 6 s and 553 s on MNIST-5k, 96 s and 736 s on Fashion-MNIST).
//! - **model**: training `steps × batch × work × SECONDS_PER_WORK[family]`, where `work` is the
//!   family's own memory footprint per example (parameters + activations per example, the
//!   planner's [`Footprint`]) — values touched per example and step, a FLOP proxy; a seconds
//!   budget is its seconds. Evaluation: `evaluations × samples × dim-factor ×
//!   EVAL_SECONDS[family]`, one evaluation at the end plus the periodic and anytime ones.
//!   The constants are the geometric means of recorded ÷ modelled over the seed-0 runs of
//!   results/quick, results/diffusion and results/vae-vs-diffusion (`genbench plan
//!   --model-only` on those manifests with their recorded steps, this project's shared 2-core
//!   machine): recorded ÷ model then spans 0.07–16 per run for diffusion (the likelihood, not
//!   the samples, dominates its evaluation) and 0.1–12 for the other families. The model is
//!   good to a factor of ten; the recorded estimate to the machine's noise.

use crate::families;
use crate::manifest::{Plan, RunSpec};
use crate::runner::without_data_dir;
use genbench_core::results::{self, RunResult, schema::col};
use genbench_core::settings::diff;
use genbench_core::train::ANYTIME_FRACTIONS;
use genbench_core::{Budget, ConfigError, Footprint, fsutil};
use genbench_dataset::{DataConfig, Dataset};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where an estimate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Recorded,
    /// The record of another seed of the same model and dataset.
    OtherSeed(u64),
    /// The record of the same model on another dataset where its footprint is the same.
    OtherData {
        dataset: String,
        seed: u64,
    },
    Model,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Recorded => f.write_str("recorded"),
            Source::OtherSeed(seed) => write!(f, "seed {seed}"),
            Source::OtherData { dataset, seed } => write!(f, "{dataset} seed {seed}"),
            Source::Model => f.write_str("model"),
        }
    }
}

/// A run's estimated wall seconds and where the number comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub seconds: f64,
    pub source: Source,
}

/// Training seconds per unit of work (one example × one value of the footprint) and step, by
/// family; families not named use [`DEFAULT_SECONDS_PER_WORK`].
const SECONDS_PER_WORK: [(&str, f64); 8] = [
    ("gmm", 5.0e-9),
    ("autoregressive", 1.0e-9),
    ("vae", 1.6e-9),
    ("gan", 3.0e-9),
    ("flow", 2.0e-9),
    ("diffusion", 2.0e-9),
    ("template", 0.0),
    ("texture", 0.0),
];
const DEFAULT_SECONDS_PER_WORK: f64 = 2.0e-9;

/// Seconds of one evaluation per 1,000 samples of a 64-dimensional dataset (scaled by the
/// dataset's dimension over 64, at least 1), by family.
const EVAL_SECONDS: [(&str, f64); 8] = [
    ("gmm", 0.9),
    ("autoregressive", 1.2),
    ("vae", 6.0),
    ("gan", 1.1),
    ("flow", 0.6),
    ("diffusion", 30.0),
    ("template", 1.7),
    ("texture", 2.3),
];
const DEFAULT_EVAL_SECONDS: f64 = 2.0;

fn constant(table: &[(&str, f64)], family: &str, default: f64) -> f64 {
    table
        .iter()
        .find(|(f, _)| *f == family)
        .map_or(default, |(_, v)| *v)
}

/// Evaluations a run makes: the final one, every `eval_every` steps, and the anytime ones
/// (fractions that land on one step make one; counted as at most one each).
pub fn evaluations(plan: &Plan, run: &RunSpec) -> f64 {
    let periodic = match (run.budget, plan.eval.eval_every) {
        (Budget::Steps(n), every) if every > 0 => (n / every) as f64,
        _ => 0.0,
    };
    let anytime = if plan.eval.anytime {
        match run.budget {
            Budget::Steps(n) => {
                let mut steps: Vec<u64> = ANYTIME_FRACTIONS
                    .iter()
                    .map(|f| ((f * n as f64).ceil() as u64).max(1))
                    .collect();
                steps.dedup();
                steps.len() as f64
            }
            Budget::Seconds(_) => ANYTIME_FRACTIONS.len() as f64,
        }
    } else {
        0.0
    };
    1.0 + periodic + anytime
}

/// The cost model's seconds for `run` with `footprint` on `data`.
pub fn modelled(plan: &Plan, run: &RunSpec, footprint: &Footprint, data: &Dataset) -> f64 {
    let family = run.model.family.get_ref().as_str();
    let batch = run.batch_size.min(data.train.len()) as f64;
    let work = (footprint.params + footprint.activations_per_example) as f64;
    let train = match run.budget {
        Budget::Steps(n) => {
            n as f64 * batch * work * constant(&SECONDS_PER_WORK, family, DEFAULT_SECONDS_PER_WORK)
        }
        Budget::Seconds(s) => s,
    };
    let dim_factor = (data.spec.dim() as f64 / 64.0).max(1.0);
    let one_eval = plan.eval.samples as f64 / 1000.0
        * dim_factor
        * constant(&EVAL_SECONDS, family, DEFAULT_EVAL_SECONDS);
    train + evaluations(plan, run) * one_eval
}

/// `run`'s own record (same id, in the output folder or one of `from`) when it ran the same
/// model on the same data, scaled to the planned budget (as it was when early stopping ended
/// it); `None` when there is none, it did not finish with steps and seconds, or it ran other
/// settings (a `--from` folder of another manifest: binarized against 256 levels).
pub fn recorded(plan: &Plan, run: &RunSpec, model: &Value, from: &[PathBuf]) -> Option<f64> {
    let r = record(plan, &run.id, from).filter(|r| r.ran(model, &run.data))?;
    Some(r.scaled(run.budget))
}

/// The first other seed in `plan` of `run`'s model and dataset whose record ran the same model
/// on the same data (see [`recorded`]), and that record scaled to `run`'s budget.
pub fn recorded_seed(
    plan: &Plan,
    run: &RunSpec,
    model: &Value,
    from: &[PathBuf],
) -> Option<(u64, f64)> {
    plan.runs
        .iter()
        .filter(|o| {
            o.seed != run.seed && o.model.name == run.model.name && o.data.name == run.data.name
        })
        .find_map(|o| {
            let r = record(plan, &o.id, from).filter(|r| r.ran(model, &run.data))?;
            Some((o.seed, r.scaled(run.budget)))
        })
}

/// `run`'s model config with every default filled in, as config.json records it (what
/// [`recorded`], [`recorded_seed`] and [`recorded_other_data`] compare a record's with).
pub fn resolved(run: &RunSpec) -> Option<Value> {
    let family = families::find(run.model.family.get_ref())?;
    (family.resolve)(run.model.config.get_ref().clone()).ok()
}

/// What a finished run's result.json and config.json say of its cost and of what it ran.
struct Record {
    steps: u64,
    train: f64,
    wall: f64,
    stopped_early: bool,
    /// Seconds of the test likelihood, and the test examples it scored.
    likelihood: Option<(f64, usize)>,
    /// The data table it ran on, without `data_dir` (`None` when config.json cannot say).
    data: Option<Value>,
    /// Its model's resolved config.
    config: Option<Value>,
    /// Its batch size (`usize::MAX` for "full").
    batch_size: Option<usize>,
}

impl Record {
    /// Wall seconds outside training: evaluation, sampling, writing.
    fn rest(&self) -> f64 {
        (self.wall - self.train).max(0.0)
    }

    /// Whether it ran the model `config` on `data` (whatever the folder it was read from).
    fn ran(&self, config: &Value, data: &DataConfig) -> bool {
        self.ran_config(config) && self.data.as_ref().is_some_and(|d| agrees(d, &table(data)))
    }

    /// Whether it ran the model `config`.
    fn ran_config(&self, config: &Value) -> bool {
        self.config.as_ref().is_some_and(|c| agrees(c, config))
    }

    /// Its wall seconds with training scaled to `budget`.
    fn scaled(&self, budget: Budget) -> f64 {
        let planned_train = match budget {
            // Early stopping ended it: the same settings stop at the same step.
            _ if self.stopped_early => self.train,
            Budget::Steps(n) => self.train * n as f64 / self.steps as f64,
            Budget::Seconds(s) => s,
        };
        planned_train + self.rest()
    }
}

/// A data table as config.json writes it, without `data_dir` (moving the data is no change).
fn table(data: &DataConfig) -> Value {
    without_data_dir(serde_json::to_value(data).unwrap_or(Value::Null))
}

/// Whether `planned` holds every value `recorded` has: keys the record lacks were added to
/// genbench after it ran, with defaults that do not change its cost (as the runner judges a
/// config.json written before settings were recorded).
fn agrees(recorded: &Value, planned: &Value) -> bool {
    diff(recorded, planned).iter().all(|c| c.old == "-")
}

/// The finished run `id` in the output folder or one of `from` (the first with steps and finite
/// seconds).
fn record(plan: &Plan, id: &str, from: &[PathBuf]) -> Option<Record> {
    let dirs = std::iter::once(plan.output.as_path()).chain(from.iter().map(PathBuf::as_path));
    dirs.filter_map(|d| record_in(&d.join("runs").join(id)))
        .next()
}

fn record_in(dir: &Path) -> Option<Record> {
    let r: RunResult = results::finished(dir)?;
    let (steps, train, wall) = (r.steps?, r.train_seconds?, r.wall_seconds?);
    if steps == 0 || !(train.is_finite() && wall.is_finite()) {
        return None;
    }
    let number = |col: &str| r.scores.get(col).and_then(|v| v.parse::<f64>().ok());
    let likelihood = match (number(col::LL_SECONDS), number(col::NLL_N)) {
        (Some(s), Some(n)) if s.is_finite() && n >= 1.0 => Some((s, n as usize)),
        _ => None,
    };
    let written: Option<Value> = fsutil::read_json(&dir.join("config.json")).ok();
    let key = |k: &str| written.as_ref().and_then(|w| w.get(k)).cloned();
    let data = key("dataset").map(without_data_dir);
    let batch_size = key("batch_size").and_then(|b| match b.as_str()? {
        "full" => Some(usize::MAX),
        n => n.parse().ok(),
    });
    Some(Record {
        steps,
        train,
        wall,
        stopped_early: r.stopped_early == Some(true),
        likelihood,
        data,
        config: key("config"),
        batch_size,
    })
}

/// What the planner knows of a run's model on a dataset: the model's footprint there and the
/// dataset's training and test examples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataFit {
    pub footprint: Footprint,
    pub train: usize,
    pub test: usize,
}

impl DataFit {
    /// `run`'s model on `data`: the footprint its family's check gives, and the data's sizes.
    pub fn of(run: &RunSpec, data: &Dataset) -> Result<DataFit, ConfigError> {
        let family = families::find(run.model.family.get_ref()).expect("checked by the manifest");
        let footprint = (family.check)(
            run.model.config.get_ref().clone(),
            &data.spec,
            run.model.conditional,
        )?;
        Ok(DataFit {
            footprint,
            train: data.train.len(),
            test: data.test.len(),
        })
    }
}

/// The first record of `run`'s model (any dataset and seed `plan` runs it on, in the output
/// folder or one of `from`) that ran its config on other data where its footprint is `here`'s
/// (`fit_of`: `run`'s model on that data, `None` when it cannot be read): where it ran, its
/// seed, and its record scaled to `run` (see the module doc).
pub fn recorded_other_data(
    plan: &Plan,
    run: &RunSpec,
    model: &Value,
    here: &DataFit,
    from: &[PathBuf],
    fit_of: &mut dyn FnMut(&RunSpec, &DataConfig) -> Option<DataFit>,
) -> Option<(String, u64, f64)> {
    let planned = table(&run.data);
    plan.runs
        .iter()
        .filter(|o| o.model.name == run.model.name)
        .find_map(|o| {
            let r = record(plan, &o.id, from).filter(|r| r.ran_config(model))?;
            let recorded = r.data.clone().filter(|d| !agrees(d, &planned))?;
            let data: DataConfig = serde_json::from_value(recorded.clone()).ok()?;
            let there = fit_of(run, &data).filter(|t| t.footprint == here.footprint)?;
            let seconds = scaled_across(plan, run, here, &there, &r);
            Some((data_label(&recorded, &planned), o.seed, seconds))
        })
}

/// Other data as the plan names it: its dataset, and where the name is the planned one's the
/// recorded values that differ (`mnist5k binarize=false`).
fn data_label(recorded: &Value, planned: &Value) -> String {
    let name = recorded["name"].as_str().unwrap_or_default();
    if recorded["name"] != planned["name"] {
        return name.to_string();
    }
    let differ: Vec<String> = diff(recorded, planned)
        .into_iter()
        .filter(|c| c.old != "-")
        .map(|c| format!("{}={}", c.key, c.old))
        .collect();
    format!("{name} {}", differ.join(","))
}

/// The record `r` (where `run`'s model fits as `there`) scaled to `run` on `here`.
fn scaled_across(plan: &Plan, run: &RunSpec, here: &DataFit, there: &DataFit, r: &Record) -> f64 {
    let batch = |size: usize, train: usize| size.min(train).max(1) as f64;
    let recorded_batch = r.batch_size.unwrap_or(run.batch_size);
    let train = match run.budget {
        Budget::Steps(n) => {
            r.train * (n as f64 * batch(run.batch_size, here.train))
                / (r.steps as f64 * batch(recorded_batch, there.train))
        }
        Budget::Seconds(s) => s,
    };
    let scored = |test: usize| match plan.eval.likelihood_examples {
        0 => test,
        k => k.min(test),
    };
    // A family's own cap on the examples it scores (the diffusion bound's `vlb_examples`) is
    // the same on both datasets: only a count set by the test set's size scales.
    let likelihood = match r.likelihood {
        Some((seconds, n)) if n == scored(there.test) => {
            seconds * (scored(here.test) as f64 / n as f64 - 1.0)
        }
        _ => 0.0,
    };
    train + r.rest() + likelihood
}

/// `run`'s estimate: its own record, else another seed's, else the same model's on other data
/// where it has the same footprint (`fit_of`: the model's fit there), else the model.
pub fn estimate(
    plan: &Plan,
    run: &RunSpec,
    here: &DataFit,
    data: &Dataset,
    from: &[PathBuf],
    fit_of: &mut dyn FnMut(&RunSpec, &DataConfig) -> Option<DataFit>,
) -> Estimate {
    let modelled = || Estimate {
        seconds: modelled(plan, run, &here.footprint, data),
        source: Source::Model,
    };
    let Some(model) = resolved(run) else {
        return modelled();
    };
    if let Some(seconds) = recorded(plan, run, &model, from) {
        return Estimate {
            seconds,
            source: Source::Recorded,
        };
    }
    if let Some((seed, seconds)) = recorded_seed(plan, run, &model, from) {
        return Estimate {
            seconds,
            source: Source::OtherSeed(seed),
        };
    }
    match recorded_other_data(plan, run, &model, here, from, fit_of) {
        Some((dataset, seed, seconds)) => Estimate {
            seconds,
            source: Source::OtherData { dataset, seed },
        },
        None => modelled(),
    }
}

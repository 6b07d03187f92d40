//! How long a run takes, for `genbench plan --shards N`: from a recorded run when one exists,
//! else from a per-family cost model of the budget.
//!
//! - **recorded**: a result.json of the same run id, in the manifest's output folder or in a
//!   `--from` folder. Training seconds are scaled to the planned budget (steps: by planned ÷
//!   recorded steps; seconds: the budget itself); the rest of its wall time (evaluation,
//!   sampling, writing) is taken as it was.
//! - **seed N**: no run of this id finished, but seed N of the same model on the same dataset
//!   did: its record, scaled as above (seeds differ only in their random numbers, and in where
//!   early stopping ends them).
//! - **D seed N**: no run of this model on this dataset finished, but seed N of it on dataset D
//!   did, and the model's footprint there is the same (same example shape and levels: the same
//!   work per example; MNIST-5k and Fashion-MNIST, or two 2-D densities). Training seconds are
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
use genbench_core::results::{self, RunResult, schema::col};
use genbench_core::train::ANYTIME_FRACTIONS;
use genbench_core::{Budget, ConfigError, Footprint};
use genbench_dataset::Dataset;
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

/// The recorded run of `run`'s id in the output folder or one of `from`, scaled to the planned
/// budget (as it was when early stopping ended it); `None` when none finished with steps and
/// seconds.
pub fn recorded(plan: &Plan, run: &RunSpec, from: &[PathBuf]) -> Option<f64> {
    recorded_as(plan, &run.id, run.budget, from)
}

/// The first other seed in `plan` of `run`'s model and dataset whose run is recorded (see
/// [`recorded`]), and that record scaled to `run`'s budget.
pub fn recorded_seed(plan: &Plan, run: &RunSpec, from: &[PathBuf]) -> Option<(u64, f64)> {
    plan.runs
        .iter()
        .filter(|o| {
            o.seed != run.seed && o.model.name == run.model.name && o.data.name == run.data.name
        })
        .find_map(|o| Some((o.seed, recorded_as(plan, &o.id, run.budget, from)?)))
}

fn recorded_as(plan: &Plan, id: &str, budget: Budget, from: &[PathBuf]) -> Option<f64> {
    let r = record(plan, id, from)?;
    let planned_train = match budget {
        // Early stopping ended it: the same settings stop at the same step.
        _ if r.stopped_early => r.train,
        Budget::Steps(n) => r.train * n as f64 / r.steps as f64,
        Budget::Seconds(s) => s,
    };
    Some(planned_train + r.rest())
}

/// What a finished run's result.json says of its cost.
struct Record {
    steps: u64,
    train: f64,
    wall: f64,
    stopped_early: bool,
    /// Seconds of the test likelihood, and the test examples it scored.
    likelihood: Option<(f64, usize)>,
}

impl Record {
    /// Wall seconds outside training: evaluation, sampling, writing.
    fn rest(&self) -> f64 {
        (self.wall - self.train).max(0.0)
    }
}

/// The finished run `id` in the output folder or one of `from` (the first with steps and finite
/// seconds).
fn record(plan: &Plan, id: &str, from: &[PathBuf]) -> Option<Record> {
    let dirs = std::iter::once(plan.output.as_path()).chain(from.iter().map(PathBuf::as_path));
    dirs.filter_map(|d| record_in(d, id)).next()
}

fn record_in(experiment: &Path, id: &str) -> Option<Record> {
    let r: RunResult = results::finished(&experiment.join("runs").join(id))?;
    let (steps, train, wall) = (r.steps?, r.train_seconds?, r.wall_seconds?);
    if steps == 0 || !(train.is_finite() && wall.is_finite()) {
        return None;
    }
    let number = |col: &str| r.scores.get(col).and_then(|v| v.parse::<f64>().ok());
    let likelihood = match (number(col::LL_SECONDS), number(col::NLL_N)) {
        (Some(s), Some(n)) if s.is_finite() && n >= 1.0 => Some((s, n as usize)),
        _ => None,
    };
    Some(Record {
        steps,
        train,
        wall,
        stopped_early: r.stopped_early == Some(true),
        likelihood,
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

/// The first run in `plan` of `run`'s model on another dataset that finished and where the
/// model's footprint is `here`'s (`fit_of` says what it is there, `None` when that dataset
/// cannot be read): its dataset, its seed, and its record scaled to `run` (see the module doc).
pub fn recorded_other_data(
    plan: &Plan,
    run: &RunSpec,
    here: &DataFit,
    from: &[PathBuf],
    fit_of: &mut dyn FnMut(&RunSpec) -> Option<DataFit>,
) -> Option<(String, u64, f64)> {
    plan.runs
        .iter()
        .filter(|o| o.model.name == run.model.name && o.data.name != run.data.name)
        .find_map(|o| {
            let r = record(plan, &o.id, from)?;
            let there = fit_of(o).filter(|t| t.footprint == here.footprint)?;
            let seconds = scaled_across(plan, run, here, o, &there, &r);
            Some((o.data.name.clone(), o.seed, seconds))
        })
}

/// The record `r` of `other` (on a dataset it fits as `there`) scaled to `run` on `here`.
fn scaled_across(
    plan: &Plan,
    run: &RunSpec,
    here: &DataFit,
    other: &RunSpec,
    there: &DataFit,
    r: &Record,
) -> f64 {
    let batch = |size: usize, train: usize| size.min(train).max(1) as f64;
    let train = match run.budget {
        Budget::Steps(n) => {
            r.train * (n as f64 * batch(run.batch_size, here.train))
                / (r.steps as f64 * batch(other.batch_size, there.train))
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

/// `run`'s estimate: its own record, else another seed's, else the same model's on another
/// dataset where it has the same footprint (`fit_of`: the model's fit there), else the model.
pub fn estimate(
    plan: &Plan,
    run: &RunSpec,
    here: &DataFit,
    data: &Dataset,
    from: &[PathBuf],
    fit_of: &mut dyn FnMut(&RunSpec) -> Option<DataFit>,
) -> Estimate {
    if let Some(seconds) = recorded(plan, run, from) {
        return Estimate {
            seconds,
            source: Source::Recorded,
        };
    }
    if let Some((seed, seconds)) = recorded_seed(plan, run, from) {
        return Estimate {
            seconds,
            source: Source::OtherSeed(seed),
        };
    }
    match recorded_other_data(plan, run, here, from, fit_of) {
        Some((dataset, seed, seconds)) => Estimate {
            seconds,
            source: Source::OtherData { dataset, seed },
        },
        None => Estimate {
            seconds: modelled(plan, run, &here.footprint, data),
            source: Source::Model,
        },
    }
}

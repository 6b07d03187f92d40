//! The one training loop every family goes through.
//!
//! Budget in steps or seconds; deterministic shuffled batches (the batch at step s is a pure
//! function of the shuffle seed and s, so a resumed run sees the same batches); a progress bar
//! with loss and rate (hidden when stderr is not a terminal); periodic evaluation through a
//! callback; a non-finite or absurd loss (see [`StepMetrics::divergence`]) ends the run as
//! "diverged at step s"; a checkpoint every N steps and exact resume from it: the checkpoint
//! holds the weights, the loss window of the next train.csv row, the last logged loss and every
//! periodic evaluation so far, so a resumed run writes the same train.csv and metrics.csv as an
//! uninterrupted one. With `select_by`, the weights of the best periodic evaluation are the
//! ones returned (see [`crate::selection`]); with `patience` too, training stops early at the
//! first evaluation that comes `patience` steps or more after the best one (early stopping: the
//! stop is a pure function of the evaluations, so a rerun or a resume stops at the same step).

use crate::data::Batch;
use crate::model::GenerativeModel;
use crate::results::Row;
use crate::train_log::{LogRow, read_log, write_log};
use crate::{checkpoint, fsutil, seed, selection};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Fractions of the budget at which an anytime evaluation is made (log-spaced): 1, 2, 5, 10,
/// 20, 50 and 100 %. With a budget of N steps, fraction f falls on step max(1, ceil(f·N));
/// with S seconds, on the first step whose training seconds reach f·S. Fractions that fall on
/// one step make one evaluation, marked with the largest.
pub const ANYTIME_FRACTIONS: [f64; 7] = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0];

/// How long to train.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Budget {
    /// This many optimisation steps.
    Steps(u64),
    /// This many seconds of training (evaluations not counted).
    Seconds(f64),
}

/// Everything the loop needs besides the model and the data.
#[derive(Clone, Debug)]
pub struct TrainPlan {
    /// How long to train.
    pub budget: Budget,
    /// Examples per step; clamped to the training set's size (a full-batch method such as EM
    /// asks for at least the whole set).
    pub batch_size: usize,
    /// Call the evaluation callback every this many steps (0: never during training).
    pub eval_every: u64,
    /// Write a checkpoint every this many steps and when the budget is spent (0: never).
    pub checkpoint_every: u64,
    /// Write a checkpoint when the budget is spent even if `checkpoint_every` is 0.
    pub final_checkpoint: bool,
    /// Record a train.csv row every this many steps.
    pub log_every: u64,
    /// Seed of the permutations the batches are drawn from.
    pub shuffle_seed: u64,
    /// The run's folder: train.csv and checkpoint/ go here.
    pub run_dir: PathBuf,
    /// Shown beside the progress bar.
    pub label: String,
    /// Whether to draw a progress bar on stderr.
    pub show_progress: bool,
    /// The fingerprint of the run's settings (see [`crate::settings`]), stored in every
    /// checkpoint; a checkpoint with another one is refused.
    pub fingerprint: String,
    /// Choose the weights to return by the evaluations (lower is better): an evaluation row's
    /// score is the first of these columns it holds as a finite number. Empty: no choice, the
    /// last weights. With columns (and `eval_every` > 0) the loop also evaluates the last step,
    /// keeps the best weights in `run_dir/best/` and loads them into the model at the end.
    pub select_by: Vec<&'static str>,
    /// Evaluate also at each of [`ANYTIME_FRACTIONS`] of the budget; the row gets the fraction
    /// in `budget_fraction`.
    pub anytime: bool,
    /// Early stopping (with `select_by`): end training at the first evaluation made this many
    /// steps or more after the best evaluation so far, i.e. when the score has not improved for
    /// `patience` steps. `None`: train the whole budget.
    pub patience: Option<u64>,
    /// The code that trains (the binary's `GENBENCH_BUILD_CODE`), stored in every checkpoint:
    /// a checkpoint written by other code is refused, since the steps before it were computed
    /// by that code. Empty: not checked (nor is a checkpoint that does not record it).
    pub build: String,
}

impl TrainPlan {
    /// A plain plan for tests and scripts: `steps` steps of `batch_size`, no evaluation or
    /// checkpoints, silent, with train.csv in `run_dir`.
    pub fn steps(steps: u64, batch_size: usize, run_dir: &Path) -> Self {
        Self {
            budget: Budget::Steps(steps),
            batch_size,
            eval_every: 0,
            checkpoint_every: 0,
            final_checkpoint: false,
            log_every: 1,
            shuffle_seed: 0,
            run_dir: run_dir.to_path_buf(),
            label: "train".into(),
            show_progress: false,
            fingerprint: String::new(),
            select_by: Vec::new(),
            anytime: false,
            patience: None,
            build: String::new(),
        }
    }
}

/// How the loop ended.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOutcome {
    /// Steps completed (including those before a resume).
    pub steps: u64,
    /// Seconds spent in `train_step` (evaluation and checkpoints excluded).
    pub train_seconds: f64,
    /// The step whose loss was not finite or absurd, if any.
    pub diverged_at: Option<u64>,
    /// Why it diverged (the loss or value that was not finite or absurd).
    pub divergence: Option<String>,
    /// The checkpoint step the run resumed from, if any.
    pub resumed_from: Option<u64>,
    /// Mean loss over the last logged window.
    pub final_loss: f64,
    /// The rows the evaluation callback returned, in step order (before a resume included).
    pub evaluations: Vec<Row>,
    /// The step of the weights the model holds on return: the best evaluation's with
    /// `select_by`, else the last step.
    pub selected_step: u64,
    /// Whether training ended before the budget because the score had not improved for the
    /// plan's `patience` steps (then `steps` is the stopping step).
    pub stopped_early: bool,
    /// Wall seconds of the earlier processes' loops up to the checkpoint this one resumed from
    /// (0 without a resume): a resumed run's wall time is this plus its own process's, the time
    /// an uninterrupted run would have taken (the work lost after the checkpoint not counted).
    pub wall_seconds_before: f64,
}

/// What the evaluation callback gives back: nothing, or a row the loop keeps (in the
/// checkpoint too) and returns in [`TrainOutcome::evaluations`].
pub trait Evaluation {
    /// The row to keep, if any.
    fn into_row(self) -> Option<Row>;
}

impl Evaluation for () {
    fn into_row(self) -> Option<Row> {
        None
    }
}

impl Evaluation for Row {
    fn into_row(self) -> Option<Row> {
        Some(self)
    }
}

/// What a checkpoint folder's state.json holds besides the file list.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CheckpointState {
    step: u64,
    train_seconds: f64,
    fingerprint: String,
    /// Sum and count of the losses since the last train.csv row.
    window: (f64, u64),
    /// Mean loss of the last train.csv row (none before the first).
    last_loss: Option<f64>,
    evaluations: Vec<Row>,
    /// The step of each evaluation (for the choice of the best; empty in older checkpoints).
    #[serde(default)]
    evaluation_steps: Vec<u64>,
    /// Anytime fractions evaluated so far.
    #[serde(default)]
    anytime_done: usize,
    /// Whether early stopping ended training (a resume from this checkpoint trains no more).
    #[serde(default)]
    stopped_early: bool,
    /// Wall seconds the loop ran to reach this checkpoint, summed over the processes that
    /// trained it (0 in checkpoints older than this field).
    #[serde(default)]
    wall_seconds: f64,
    /// The code that wrote it ([`TrainPlan::build`]; empty in older checkpoints).
    #[serde(default)]
    build: String,
}

/// The settings fingerprint of the complete checkpoint in `run_dir`, if there is one.
pub fn checkpoint_fingerprint(run_dir: &Path) -> Option<String> {
    checkpoint::peek_folder::<CheckpointState>(&run_dir.join("checkpoint")).map(|s| s.fingerprint)
}

/// Yields the training batch of each step: epochs of a seeded permutation, last partial batch
/// dropped, so `batch_at(s)` never depends on what came before.
pub struct Batches<'a> {
    data: &'a Batch,
    batch_size: usize,
    seed: u64,
    cached_epoch: Option<(u64, Vec<usize>)>,
}

impl<'a> Batches<'a> {
    /// Batches of `batch_size` (clamped to 1..=len) from `data`, shuffled from `seed`.
    pub fn new(data: &'a Batch, batch_size: usize, seed: u64) -> Self {
        let batch_size = batch_size.clamp(1, data.len());
        Self {
            data,
            batch_size,
            seed,
            cached_epoch: None,
        }
    }

    /// Examples per batch, after clamping.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The batch of step `step`.
    pub fn batch_at(&mut self, step: u64) -> Batch {
        let per_epoch = (self.data.len() / self.batch_size) as u64;
        let (epoch, index) = (step / per_epoch, (step % per_epoch) as usize);
        if self.batch_size == self.data.len() {
            return self.data.clone();
        }
        let perm = match &self.cached_epoch {
            Some((e, perm)) if *e == epoch => perm,
            _ => {
                let perm =
                    seed::Rng::new(seed::derive(self.seed, epoch)).permutation(self.data.len());
                &self.cached_epoch.insert((epoch, perm)).1
            }
        };
        self.data
            .select(&perm[index * self.batch_size..(index + 1) * self.batch_size])
    }
}

/// Train `model` on `train_set` under `plan`. `on_eval(model, step, train_seconds)` runs every
/// `plan.eval_every` steps. Resumes from `run_dir/checkpoint` when a complete one is there (an
/// incomplete one is removed and training starts over); a checkpoint made with other settings
/// (another fingerprint) is an error.
pub fn train<E: Evaluation>(
    model: &mut dyn GenerativeModel,
    train_set: &Batch,
    plan: &TrainPlan,
    on_eval: &mut dyn FnMut(&mut dyn GenerativeModel, u64, f64) -> anyhow::Result<E>,
) -> anyhow::Result<TrainOutcome> {
    let ckpt_dir = plan.run_dir.join("checkpoint");
    let train_csv = plan.run_dir.join("train.csv");
    let mut rows = Vec::new();
    let mut state = match checkpoint::read_folder::<CheckpointState>(&ckpt_dir)? {
        Some(state) => {
            anyhow::ensure!(
                state.fingerprint == plan.fingerprint,
                "{}: made with other settings (fingerprint {}, now {}); rerun with --force",
                ckpt_dir.display(),
                state.fingerprint,
                plan.fingerprint
            );
            anyhow::ensure!(
                state.build.is_empty() || plan.build.is_empty() || state.build == plan.build,
                "{}: written by another build of genbench (code {}; this build's is {}), whose steps \
                 this one would continue: resume it with that build, or rerun with --force to \
                 start over",
                ckpt_dir.display(),
                state.build,
                plan.build
            );
            if let Err(e) = model.load(&ckpt_dir) {
                fsutil::remove_any(&ckpt_dir);
                return Err(e.context(format!(
                    "loading checkpoint {} (removed: a rerun starts over)",
                    ckpt_dir.display()
                )));
            }
            rows = read_log(&train_csv, state.step)?;
            selection::restore_from_checkpoint(&plan.run_dir, &ckpt_dir)?;
            state
        }
        None => {
            selection::discard(&plan.run_dir);
            model
                .begin(train_set)
                .context("data-dependent initialisation")?;
            CheckpointState {
                step: 0,
                train_seconds: 0.0,
                fingerprint: plan.fingerprint.clone(),
                window: (0.0, 0),
                last_loss: None,
                evaluations: Vec::new(),
                evaluation_steps: Vec::new(),
                anytime_done: 0,
                stopped_early: false,
                wall_seconds: 0.0,
                build: plan.build.clone(),
            }
        }
    };
    let resumed_from = (state.step > 0).then_some(state.step);
    let (invocation, wall_seconds_before) = (Instant::now(), state.wall_seconds);
    let selecting = plan.eval_every > 0 && !plan.select_by.is_empty();
    let mut best = selection::best_of(&state.evaluations, &state.evaluation_steps, &plan.select_by);

    let mut batches = Batches::new(train_set, plan.batch_size, plan.shuffle_seed);
    let progress = progress_bar(plan, state.step, state.train_seconds);
    let mut diverged_at = None;
    let mut divergence = None;
    let checkpoints = plan.checkpoint_every > 0 || plan.final_checkpoint;
    while !state.stopped_early && !budget_spent(plan.budget, state.step, state.train_seconds) {
        let batch = batches.batch_at(state.step);
        let started = Instant::now();
        let metrics = model
            .train_step(&batch)
            .with_context(|| format!("training step {}", state.step))?;
        state.train_seconds += started.elapsed().as_secs_f64();
        state.step += 1;
        let step = state.step;
        if let Some(why) = metrics.divergence() {
            progress.suspend(|| eprintln!("{}: diverged at step {step}: {why}", plan.label));
            diverged_at = Some(step);
            divergence = Some(why);
            break;
        }
        state.window.0 += metrics.loss;
        state.window.1 += 1;
        if step % plan.log_every.max(1) == 0 || budget_spent(plan.budget, step, state.train_seconds)
        {
            let loss = state.window.0 / state.window.1 as f64;
            state.last_loss = Some(loss);
            let extras = metrics
                .extras
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            rows.push(LogRow {
                step,
                seconds: state.train_seconds,
                loss,
                extras,
            });
            state.window = (0.0, 0);
            progress.set_message(format!(
                "loss {loss:.4}  {:.1} steps/s",
                step as f64 / state.train_seconds.max(1e-9)
            ));
        }
        advance(&progress, plan.budget, step, state.train_seconds);
        let last = budget_spent(plan.budget, step, state.train_seconds);
        let due = plan.eval_every > 0 && step % plan.eval_every == 0;
        let mut fraction = None;
        while plan.anytime
            && let Some(&f) = ANYTIME_FRACTIONS.get(state.anytime_done)
            && fraction_reached(plan.budget, f, step, state.train_seconds)
        {
            fraction = Some(f);
            state.anytime_done += 1;
        }
        if ((due && !last) || (selecting && last) || fraction.is_some())
            && let Some(mut row) = on_eval(model, step, state.train_seconds)?.into_row()
        {
            if let Some(f) = fraction {
                row.set(crate::results::schema::col::BUDGET_FRACTION, f);
            }
            if let Some(score) = selection::score_of(&row, &plan.select_by)
                && selecting
                && best.is_none_or(|b| score < b.score)
            {
                selection::save_best(model, &plan.run_dir, step)?;
                best = Some(selection::Best { step, score });
            }
            state.evaluations.push(row);
            state.evaluation_steps.push(step);
            state.stopped_early = selecting
                && !last
                && plan
                    .patience
                    .zip(best)
                    .is_some_and(|(patience, b)| step - b.step >= patience);
            if state.stopped_early {
                progress.suspend(|| {
                    eprintln!(
                        "{}: stopped early at step {step}: no better evaluation since step {}",
                        plan.label,
                        best.map_or(0, |b| b.step)
                    );
                });
            }
        }
        if plan.checkpoint_every > 0 && step % plan.checkpoint_every == 0 {
            write_log(&train_csv, &rows)?;
            state.wall_seconds = wall_seconds_before + invocation.elapsed().as_secs_f64();
            write_checkpoint(model, plan, &state)?;
        }
    }
    progress.finish_and_clear();
    write_log(&train_csv, &rows)?;
    let saved = plan.checkpoint_every > 0 && state.step % plan.checkpoint_every == 0;
    if diverged_at.is_none() && checkpoints && !saved {
        state.wall_seconds = wall_seconds_before + invocation.elapsed().as_secs_f64();
        write_checkpoint(model, plan, &state)?;
    }
    let selected_step = match best.filter(|_| selecting && diverged_at.is_none()) {
        Some(b) if b.step != state.step => {
            selection::load_best(model, &plan.run_dir, b.step)?;
            b.step
        }
        _ => state.step,
    };
    Ok(TrainOutcome {
        steps: state.step,
        train_seconds: state.train_seconds,
        diverged_at,
        divergence,
        resumed_from,
        final_loss: state.last_loss.unwrap_or(f64::NAN),
        evaluations: state.evaluations,
        selected_step,
        stopped_early: state.stopped_early,
        wall_seconds_before,
    })
}

/// The checkpoint of `state`: the model, and a copy of the best weights so far.
fn write_checkpoint(
    model: &dyn GenerativeModel,
    plan: &TrainPlan,
    state: &CheckpointState,
) -> anyhow::Result<()> {
    let dir = plan.run_dir.join("checkpoint");
    let save = |d: &Path| {
        model.save(d)?;
        selection::copy_into_checkpoint(&plan.run_dir, d)
    };
    checkpoint::write_folder(&dir, save, state)
}

/// Whether `step` (after `seconds` of training) is at or past fraction `f` of the budget.
fn fraction_reached(budget: Budget, f: f64, step: u64, seconds: f64) -> bool {
    match budget {
        Budget::Steps(n) => step >= ((f * n as f64 - 1e-9).ceil() as u64).max(1),
        Budget::Seconds(s) => seconds >= f * s,
    }
}

fn budget_spent(budget: Budget, step: u64, seconds: f64) -> bool {
    match budget {
        Budget::Steps(n) => step >= n,
        Budget::Seconds(s) => seconds >= s,
    }
}

fn progress_bar(plan: &TrainPlan, step: u64, seconds: f64) -> ProgressBar {
    let (len, unit) = match plan.budget {
        Budget::Steps(n) => (n, "steps"),
        Budget::Seconds(s) => ((s * 10.0).ceil() as u64, "x0.1 s"),
    };
    let bar = ProgressBar::with_draw_target(
        Some(len),
        if plan.show_progress {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    let template = format!("{{prefix}} [{{bar:30}}] {{pos}}/{{len}} {unit} {{msg}} (eta {{eta}})");
    bar.set_style(
        ProgressStyle::with_template(&template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(plan.label.clone());
    advance(&bar, plan.budget, step, seconds);
    bar
}

fn advance(bar: &ProgressBar, budget: Budget, step: u64, seconds: f64) {
    match budget {
        Budget::Steps(_) => bar.set_position(step),
        Budget::Seconds(_) => bar.set_position((seconds * 10.0) as u64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_each_epoch_once_and_are_reproducible() {
        let data = Batch::new((0..10).map(|v| v as f32).collect(), vec![], 1);
        let mut a = Batches::new(&data, 3, 5);
        let mut seen: Vec<f32> = (0..3).flat_map(|s| a.batch_at(s).x).collect();
        seen.sort_by(f32::total_cmp);
        seen.dedup();
        assert_eq!(seen.len(), 9, "three batches of one epoch are disjoint");
        let mut b = Batches::new(&data, 3, 5);
        assert_eq!(a.batch_at(7), b.batch_at(7));
        assert_ne!(a.batch_at(0), a.batch_at(3), "the next epoch reshuffles");
    }
}

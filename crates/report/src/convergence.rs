//! When a run converged, read from the validation evaluations its metrics.csv records (the
//! periodic ones every `eval_every` steps and the anytime ones at fractions of the budget), and
//! what its validation score was at the step whose weights were scored on the test set.
//!
//! **Seconds to converge** of a run: the training seconds (`train_seconds`, evaluation
//! excluded) of its first validation evaluation after which the validation score never
//! improves by the `converged` column's tolerance or more. With the evaluations in step order
//! and their scores s_0, s_1, … (lower is better; [`VALIDATION_SCORE`]: the NLL in nats, else
//! FD), it is the seconds of the smallest k such that [`converged`]`(s_k, s_j)` holds for every
//! later j, i.e. s_k − s_j < [`CONVERGED_TOLERANCE`] × max(1, |s_j|): the same test, with the
//! same tolerance, that the runner's `converged` column applies to 50 % and 100 % of the budget.
//! The last evaluation always qualifies, so a run that improved until its end converges at its
//! end; the table's † (the `converged` column) tells whether it had settled.
//!
//! [`CONVERGED_TOLERANCE`]: genbench_core::results::schema::CONVERGED_TOLERANCE

use crate::data::Run;
use crate::model::ModelRuns;
use genbench_core::results::METRICS_FILE;
use genbench_core::results::schema::{SPLIT_VALIDATION, VALIDATION_SCORE, col, converged};
use genbench_eval::stats::{SeedSummary, summarize};

/// One validation evaluation of a run: its step, training seconds and score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// The training step.
    pub step: f64,
    /// Seconds of training (train_step) until this step.
    pub seconds: f64,
    /// The validation score (lower is better): the first of [`VALIDATION_SCORE`] the row holds.
    pub score: f64,
}

/// The validation evaluations of `run`'s metrics.csv (rows on the validation split with a
/// score), in step order; `None` without the file.
pub fn evaluations(run: &Run) -> anyhow::Result<Option<Vec<Evaluation>>> {
    let Some(table) = run.table(METRICS_FILE)? else {
        return Ok(None);
    };
    let mut out: Vec<Evaluation> = (0..table.rows.len())
        .filter(|&i| table.get(i, col::SPLIT) == Some(SPLIT_VALIDATION))
        .filter_map(|i| {
            Some(Evaluation {
                step: table.num(i, col::STEP)?,
                seconds: table.num(i, col::TRAIN_SECONDS)?,
                score: VALIDATION_SCORE.iter().find_map(|c| table.num(i, c))?,
            })
        })
        .collect();
    out.sort_by(|a, b| a.step.total_cmp(&b.step));
    Ok(Some(out))
}

/// The index of the first score after which no later score improves on it by the tolerance or
/// more (see the module's docs); `None` for no scores.
pub fn converged_from(scores: &[f64]) -> Option<usize> {
    (0..scores.len()).find(|&k| scores[k + 1..].iter().all(|&s| converged(scores[k], s)))
}

/// A run's seconds to converge (see the module's docs); `None` without validation evaluations.
pub fn seconds_to_converge(evaluations: &[Evaluation]) -> Option<f64> {
    let scores: Vec<f64> = evaluations.iter().map(|e| e.score).collect();
    converged_from(&scores).map(|k| evaluations[k].seconds)
}

/// Seconds to converge over the model's finished seeds that recorded validation evaluations.
pub fn model_seconds_to_converge(model: &ModelRuns) -> anyhow::Result<SeedSummary> {
    let mut values = Vec::new();
    for run in model.ok_runs() {
        if let Some(s) = evaluations(run)?.as_deref().and_then(seconds_to_converge) {
            values.push(s);
        }
    }
    Ok(summarize(&values))
}

/// Whether every finished seed of `model` trained a single step: a one-step (closed-form) fit
/// such as the template's lookup table or texture synthesis's copy, with nothing to converge.
pub fn one_step(model: &ModelRuns) -> bool {
    let mut runs = model.ok_runs().peekable();
    runs.peek().is_some() && runs.all(|r| r.num(col::STEPS) == Some(1.0))
}

/// What a run's validation score at its selected step was measured as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoreKind {
    /// The NLL (in the column read), with the run's likelihood kind.
    Nll,
    /// FD on samples: the model has no likelihood.
    Fd,
}

/// The validation score of `run` at its `selected_step`: the NLL in column `nll_key` where the
/// row has one, else FD; `None` without metrics.csv, a selected step or such a row.
pub fn selected_score(run: &Run, nll_key: &str) -> anyhow::Result<Option<(f64, ScoreKind)>> {
    let Some(selected) = run.num(col::SELECTED_STEP) else {
        return Ok(None);
    };
    let Some(table) = run.table(METRICS_FILE)? else {
        return Ok(None);
    };
    Ok((0..table.rows.len())
        .filter(|&i| {
            table.get(i, col::SPLIT) == Some(SPLIT_VALIDATION)
                && table.num(i, col::STEP) == Some(selected)
        })
        .find_map(|i| match (table.num(i, nll_key), table.num(i, col::FD)) {
            (Some(nll), _) => Some((nll, ScoreKind::Nll)),
            (None, Some(fd)) => Some((fd, ScoreKind::Fd)),
            (None, None) => None,
        }))
}

/// The model's validation score at the selected step over its finished seeds, and what it
/// is; `None` when no seed recorded one or the seeds measured different things.
pub fn model_selected_score(
    model: &ModelRuns,
    nll_key: &str,
) -> anyhow::Result<Option<(SeedSummary, ScoreKind)>> {
    let mut values = Vec::new();
    let mut kinds = Vec::new();
    for run in model.ok_runs() {
        if let Some((v, kind)) = selected_score(run, nll_key)? {
            values.push(v);
            kinds.push(kind);
        }
    }
    let Some(&kind) = kinds.first() else {
        return Ok(None);
    };
    Ok(kinds
        .iter()
        .all(|k| *k == kind)
        .then(|| (summarize(&values), kind)))
}

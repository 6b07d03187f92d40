//! The reported checkpoint: the weights of the periodic evaluation with the lowest score (the
//! validation NLL, or FD where there is no likelihood), kept in `run_dir/best/` while training.
//!
//! Exact resume: every checkpoint carries a copy of `best/` (as `checkpoint/best/`), and a
//! resumed run puts that copy back, so the best weights and their step are the ones an
//! uninterrupted run would have at the checkpoint's step; which step is best is read again from
//! the evaluations the checkpoint keeps.

use crate::model::GenerativeModel;
use crate::results::Row;
use crate::{checkpoint, fsutil};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The folder of the best weights inside a run folder and inside its checkpoint.
pub const BEST_DIR: &str = "best";

/// The best evaluation so far.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Best {
    /// Its step.
    pub step: u64,
    /// Its score (lower is better).
    pub score: f64,
}

/// What `best/state.json` holds.
#[derive(Serialize, Deserialize)]
struct BestState {
    step: u64,
}

/// The score of an evaluation row: the first of `columns` it holds as a finite number.
pub fn score_of(row: &Row, columns: &[&str]) -> Option<f64> {
    columns.iter().find_map(|c| {
        row.get(c)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite())
    })
}

/// The evaluation with the lowest score among `rows` (`steps[i]` is row i's step), the earliest
/// on ties.
pub fn best_of(rows: &[Row], steps: &[u64], columns: &[&str]) -> Option<Best> {
    let mut best: Option<Best> = None;
    for (row, &step) in rows.iter().zip(steps) {
        if let Some(score) = score_of(row, columns)
            && best.is_none_or(|b| score < b.score)
        {
            best = Some(Best { step, score });
        }
    }
    best
}

/// The best weights of the run folder `run_dir`.
pub fn best_dir(run_dir: &Path) -> PathBuf {
    run_dir.join(BEST_DIR)
}

/// Save `model` (evaluated at `step`) as the run's best weights.
pub fn save_best(model: &dyn GenerativeModel, run_dir: &Path, step: u64) -> anyhow::Result<()> {
    checkpoint::write_folder(&best_dir(run_dir), |d| model.save(d), &BestState { step })
}

/// Load the run's best weights into `model`; they must be those of `step`.
pub fn load_best(model: &mut dyn GenerativeModel, run_dir: &Path, step: u64) -> anyhow::Result<()> {
    let dir = best_dir(run_dir);
    let state = checkpoint::read_folder::<BestState>(&dir)?
        .with_context(|| format!("{}: the best weights are missing", dir.display()))?;
    anyhow::ensure!(
        state.step == step,
        "{}: holds the weights of step {}, the evaluations chose step {step}",
        dir.display(),
        state.step
    );
    model
        .load(&dir)
        .with_context(|| format!("loading the best weights {}", dir.display()))
}

/// Copy the run's best weights (if any) into the checkpoint being written in `checkpoint_tmp`.
pub fn copy_into_checkpoint(run_dir: &Path, checkpoint_tmp: &Path) -> anyhow::Result<()> {
    let from = best_dir(run_dir);
    if checkpoint::peek_folder::<BestState>(&from).is_some() {
        copy_dir(&from, &checkpoint_tmp.join(BEST_DIR))?;
    }
    Ok(())
}

/// Put the best weights a checkpoint carries back in place of the run's (none: remove the
/// run's, which are then from after the checkpoint or from another attempt).
pub fn restore_from_checkpoint(run_dir: &Path, checkpoint_dir: &Path) -> anyhow::Result<()> {
    let carried = checkpoint_dir.join(BEST_DIR);
    let dir = best_dir(run_dir);
    match checkpoint::peek_folder::<BestState>(&carried) {
        // write_folder writes state.json itself.
        Some(state) => checkpoint::write_folder(&dir, |d| copy_files(&carried, d, false), &state),
        None => {
            discard(run_dir);
            Ok(())
        }
    }
}

/// Remove the run's best weights and any leftover of writing them.
pub fn discard(run_dir: &Path) {
    let dir = best_dir(run_dir);
    fsutil::remove_any(&dir);
    let _ = checkpoint::read_folder::<BestState>(&dir);
    fsutil::remove_any(&dir);
}

/// Copy the folder `from` (files and subfolders) to `to`.
fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    copy_files(from, to, true)
}

/// Copy every file and subfolder of `from` into the existing folder `to`; its top-level
/// `state.json` only `with_state`.
fn copy_files(from: &Path, to: &Path, with_state: bool) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(from).with_context(|| format!("listing {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if with_state || entry.file_name() != checkpoint::STATE_FILE {
            std::fs::copy(entry.path(), &target).with_context(|| {
                format!("copying {} to {}", entry.path().display(), target.display())
            })?;
        }
    }
    Ok(())
}

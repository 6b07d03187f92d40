//! One attempt at a run under its lock (see [`genbench_core::lock`]): a run is trained only by
//! the process that holds `runs/<id>/.lock`, which first looks again at what the folder holds
//! (another process may have finished it meanwhile), clears what a dead writer left, and
//! trains.

use super::execute;
use super::outcome::{DONE_ALREADY, DONE_BY_ANOTHER, RESULT_INDENT, RunReport, one_line};
use super::prepare::RunOptions;
use super::settings::RunSettings;
use crate::manifest::{Plan, RunSpec};
use genbench_core::fsutil;
use genbench_core::lock::{self, RunLock};
use genbench_core::results::{self, Provenance};
use genbench_dataset::Dataset;
use genbench_eval::{FeatureNet, Reference};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::SystemTime;

/// The lock file inside a run folder.
pub const LOCK_FILE: &str = ".lock";

/// What every run of one `genbench run` shares.
pub struct Job<'a> {
    pub plan: &'a Plan,
    pub opts: &'a RunOptions,
    pub provenance: Provenance,
    pub datasets: &'a BTreeMap<String, Dataset>,
    pub nets: BTreeMap<String, Option<FeatureNet>>,
    /// When this process started running: a result written since then (under `--force`) was
    /// made by a concurrent process of this same request, not one to redo.
    pub started: SystemTime,
}

impl Job<'_> {
    /// Train and score `run` while holding `lock`, unless another process finished it first.
    pub fn attempt(
        &self,
        progress: &str,
        run: &RunSpec,
        settings: &RunSettings,
        lock: RunLock,
        report: &mut RunReport,
    ) {
        let dir = self.plan.output.join("runs").join(&run.id);
        if let Some(done) = results::finished(&dir)
            && (!self.opts.force || written_since(&dir, self.started))
        {
            if done.fingerprint == settings.fingerprint {
                eprintln!("{progress} {}: {DONE_BY_ANOTHER}", run.id);
                report.skipped += 1;
            } else {
                let e = format!(
                    "{}: finished by another process under other settings",
                    dir.display()
                );
                eprintln!("{progress} {}: {e}", run.id);
                report.failed.push((run.id.clone(), e));
            }
            return;
        }
        if self.opts.force {
            clear_except_lock(&dir);
        } else {
            fsutil::remove_temporaries(&dir);
        }
        eprintln!("{progress} {}", run.id);
        if let Some(holder) = &lock.taken_over {
            eprintln!("{RESULT_INDENT}{}", took_over(holder));
        }
        let reference = Reference::new(
            &self.datasets[&run.data.name],
            self.nets[&run.data.name].as_ref(),
        );
        let outcome = execute::execute(
            self.plan,
            run,
            &reference,
            &dir,
            &self.provenance,
            settings,
            self.opts,
        );
        match outcome {
            Ok(result) => {
                eprintln!("{RESULT_INDENT}{}", one_line(&result));
                report.ran += 1;
            }
            Err(e) => {
                eprintln!("{RESULT_INDENT}failed: {e:#}");
                report.failed.push((run.id.clone(), format!("{e:#}")));
            }
        }
        drop(lock);
    }
}

/// What is said when the lock file of a dead `holder` is taken over.
pub fn took_over(holder: &str) -> String {
    format!("took over the lock of process {holder}, which is no longer running")
}

/// Whether `dir`'s result was written at or after `t`.
fn written_since(dir: &Path, t: SystemTime) -> bool {
    std::fs::metadata(dir.join(results::RESULT_FILE))
        .and_then(|m| m.modified())
        .is_ok_and(|m| m >= t)
}

/// What `--jobs` does with a run before it starts a child process for it.
#[derive(Debug)]
pub enum Handover {
    /// Finished: before this process started (`DONE_ALREADY`), or since, by another process
    /// (under `--force` too: `DONE_BY_ANOTHER`); no child.
    Done(&'static str),
    /// Nobody trains it (under `--force` its folder was cleared): a child now. `Some(HOST PID)`
    /// when a lock file of a dead holder was taken over (and removed).
    Free(Option<String>),
    /// Another live process (`HOST PID`) trains it: a child after the free runs, which will
    /// most likely find it done.
    Busy(String),
}

/// How `--jobs` hands the run at `dir` to a child process. The parent holds no lock past this
/// call: the child takes the run's lock itself (a lock the parent kept would make the child wait
/// for its own parent). Under `--force` the folder is cleared while the lock is briefly held,
/// unless a concurrent process wrote its result since `started`.
pub fn hand_over(dir: &Path, force: bool, started: SystemTime) -> anyhow::Result<Handover> {
    if results::finished(dir).is_some() {
        if !force {
            remove_stale_lock(dir);
            return Ok(Handover::Done(DONE_ALREADY));
        }
        if written_since(dir, started) {
            return Ok(Handover::Done(DONE_BY_ANOTHER));
        }
    }
    match lock::try_lock(&dir.join(LOCK_FILE))? {
        lock::Acquired::Held(held) => {
            if force {
                clear_except_lock(dir);
            }
            let taken_over = held.taken_over.clone();
            drop(held);
            Ok(Handover::Free(taken_over))
        }
        lock::Acquired::Busy(holder) => Ok(Handover::Busy(holder)),
    }
}

/// Remove the lock file a killed process left in the finished run `dir` (a live holder's stays).
pub fn remove_stale_lock(dir: &Path) {
    let path = dir.join(LOCK_FILE);
    if path.exists()
        && let Ok(lock::Acquired::Held(stale)) = lock::try_lock(&path)
    {
        drop(stale);
    }
}

/// Everything in `dir` but the lock file (`--force`).
pub fn clear_except_lock(dir: &Path) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_name() != LOCK_FILE {
            fsutil::remove_any(&entry.path());
        }
    }
}

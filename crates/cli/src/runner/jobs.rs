//! `genbench run M --jobs N`: independent runs side by side on one machine, N at a time, each in
//! its own process with its share of the CPU threads.
//!
//! Processes, not thread pools: burn-flex draws every random tensor (the weight initialisation)
//! from one generator shared by the whole process, so two runs in one process would interleave
//! their draws and neither would get the numbers it gets alone. Each run is the child process
//! `genbench run M --only ID --no-report` with RAYON_NUM_THREADS set to its share: the command a
//! sequential run with that thread count executes, so its numbers are that run's.
//!
//! The parent validates the manifest and loads the data first (bad input writes nothing), trains
//! the image feature spaces once into their cache, then hands every selected run to exactly one
//! child. The parent keeps no run lock (see `claim::hand_over`): each child takes its run's lock
//! itself, so a run that another process on the same output trains is queued last, and its child
//! waits for that process and then finds the run done by it.

use super::claim::{Handover, hand_over};
use super::outcome::{DONE_ALREADY, DONE_BY_ANOTHER, RESULT_INDENT, RunReport};
use super::prepare::{RunOptions, checked_settings, feature_nets, run_dir, select, write_manifest};
use crate::manifest::{Plan, RunSpec};
use anyhow::Context;
use genbench_report::format::noun;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;

/// Threads per job: the CPU threads (RAYON_NUM_THREADS, else every core) split evenly, at
/// least one.
pub fn threads_per_job(total_threads: usize, jobs: usize) -> usize {
    (total_threads / jobs.max(1)).max(1)
}

/// Every selected run of `plan`, `jobs` at a time in child processes; a failed run is reported
/// and the others go on. Ends by rebuilding summary.csv.
pub fn run_plan_parallel(plan: &Plan, opts: &RunOptions, jobs: usize) -> anyhow::Result<RunReport> {
    let started = std::time::SystemTime::now();
    let runs = select(plan, opts)?;
    let datasets = crate::preflight::check_plan(plan, &runs, opts.max_memory)?;
    checked_settings(plan, &runs, &datasets, opts)?;
    write_manifest(plan)?;
    feature_nets(&datasets, &plan.output, &plan.device.device()?)?;
    drop(datasets);

    let total = genbench_core::device::cpu_threads();
    let threads = threads_per_job(total, jobs);
    eprintln!(
        "{}, {jobs} at a time, {} each ({total} in all)",
        noun(runs.len(), "run"),
        noun(threads, "thread")
    );
    let mut report = RunReport::default();
    let (mut queue, mut held): (Vec<&RunSpec>, Vec<&RunSpec>) = (Vec::new(), Vec::new());
    for run in &runs {
        match hand_over(&run_dir(plan, run), opts.force, started)? {
            Handover::Free(taken_over) => {
                if let Some(holder) = taken_over {
                    eprintln!("{}: {}", run.id, super::claim::took_over(&holder));
                }
                queue.push(run);
            }
            Handover::Busy(holder) => {
                eprintln!("{}: being trained by process {holder}; queued last", run.id);
                held.push(run);
            }
            Handover::Done(why) => {
                eprintln!("{}: {why}", run.id);
                report.skipped += 1;
            }
        }
    }
    queue.extend(held);
    let exe = std::env::current_exe().context("locating the genbench binary")?;
    let (done_tx, done_rx) = mpsc::channel::<(String, std::io::Result<Output>)>();
    let (mut next, mut running, mut finished) = (0, 0, 0);
    while finished < queue.len() {
        while running < jobs && next < queue.len() {
            let id = queue[next].id.clone();
            let mut child = Command::new(&exe);
            child
                .args([
                    "run",
                    &plan.path.to_string_lossy(),
                    "--only",
                    &id,
                    "--no-report",
                ])
                .args(["--device", &plan.device.to_string()])
                .env("RAYON_NUM_THREADS", threads.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            let tx = done_tx.clone();
            std::thread::spawn(move || {
                let out = child
                    .spawn()
                    .and_then(std::process::Child::wait_with_output);
                tx.send((id, out)).ok();
            });
            next += 1;
            running += 1;
        }
        let (id, out) = done_rx.recv().expect("a job thread reports");
        running -= 1;
        finished += 1;
        let progress = format!("[{}/{}]", finished, queue.len());
        match out {
            // Done by another process before the child looked, or while it waited.
            Ok(out)
                if out.status.success()
                    && (said(&out, &id, DONE_ALREADY) || said(&out, &id, DONE_BY_ANOTHER)) =>
            {
                eprintln!("{progress} {id}: {DONE_BY_ANOTHER}");
                report.skipped += 1;
            }
            Ok(out) if out.status.success() => {
                eprintln!("{progress} {id}");
                for line in result_lines(&out) {
                    eprintln!("{line}");
                }
                report.ran += 1;
            }
            Ok(out) => {
                let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
                eprintln!("{progress} {id}\n    failed ({}):\n{err}", out.status);
                report.failed.push((id, err));
            }
            Err(e) => {
                eprintln!("{progress} {id}\n    failed to start: {e}");
                report.failed.push((id, e.to_string()));
            }
        }
    }
    let rows = genbench_core::results::write_summary(&plan.output)?;
    eprintln!(
        "{}: {} rows",
        plan.output.join("summary.csv").display(),
        rows
    );
    Ok(report)
}

/// Whether a child said `what` of run `id` (on its `[k/n] ID: what` line).
fn said(out: &Output, id: &str, what: &str) -> bool {
    let line = format!("] {id}: {what}");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .any(|l| l.starts_with('[') && l.ends_with(&line))
}

/// The lines a child prints about its run's result (indented under its header).
fn result_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with(RESULT_INDENT))
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::threads_per_job;

    #[test]
    fn threads_are_shared_evenly_and_never_zero() {
        assert_eq!(threads_per_job(8, 1), 8);
        assert_eq!(threads_per_job(8, 2), 4);
        assert_eq!(threads_per_job(8, 3), 2);
        assert_eq!(threads_per_job(2, 2), 1);
        assert_eq!(threads_per_job(2, 4), 1);
        assert_eq!(threads_per_job(1, 0), 1);
    }
}

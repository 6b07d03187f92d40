//! `genbench run M`: every selected run of a plan in this process, one after another.

use super::claim;
use super::outcome::{DONE_ALREADY, RunReport};
use super::prepare::{RunOptions, checked_settings, feature_nets, run_dir, select, write_manifest};
use super::provenance::provenance;
use crate::manifest::Plan;
use crate::preflight;
use genbench_core::lock::{self, Acquired};
use genbench_core::results::{self, SUMMARY_FILE};

/// Every selected run of `plan`, one after another; a failed run is reported and the others go
/// on. Before anything is written, every run's settings are compared with what its folder holds
/// (a result or a checkpoint made under other settings is refused, unless `--force`). A run that
/// another live process is training is left to it and taken up at the end, when that process
/// has let it go (done by then, it is skipped). Ends by rebuilding summary.csv.
pub fn run_plan(plan: &Plan, opts: &RunOptions) -> anyhow::Result<RunReport> {
    let runs = select(plan, opts)?;
    let datasets = preflight::check_plan(plan, &runs, opts.max_memory)?;
    let settings = checked_settings(plan, &runs, &datasets, opts)?;
    write_manifest(plan)?;
    let job = claim::Job {
        plan,
        opts,
        provenance: provenance(&plan.device),
        nets: feature_nets(&datasets, &plan.output, &plan.device.device()?)?,
        datasets: &datasets,
        started: std::time::SystemTime::now(),
    };
    let mut report = RunReport::default();
    let mut busy = Vec::new();
    for (k, run) in runs.iter().enumerate() {
        let progress = format!("[{}/{}]", k + 1, runs.len());
        let dir = run_dir(plan, run);
        if !opts.force && results::finished(&dir).is_some() {
            claim::remove_stale_lock(&dir);
            eprintln!("{progress} {}: {DONE_ALREADY}", run.id);
            report.skipped += 1;
            continue;
        }
        match lock::try_lock(&dir.join(claim::LOCK_FILE))? {
            Acquired::Held(lock) => job.attempt(&progress, run, &settings[k], lock, &mut report),
            Acquired::Busy(holder) => {
                eprintln!(
                    "{progress} {}: being trained by process {holder}; back to it at the end",
                    run.id
                );
                busy.push(k);
            }
        }
    }
    for k in busy {
        let (run, progress) = (runs[k], format!("[{}/{}]", k + 1, runs.len()));
        eprintln!(
            "{progress} {}: waiting for the process that trains it",
            run.id
        );
        let lock = lock::lock(&run_dir(plan, run).join(claim::LOCK_FILE))?;
        job.attempt(&progress, run, &settings[k], lock, &mut report);
    }
    let rows = results::write_summary(&plan.output)?;
    eprintln!(
        "{}: {} rows",
        plan.output.join(SUMMARY_FILE).display(),
        rows
    );
    Ok(report)
}

//! `genbench run`: every run of a plan through the one loop and the one evaluator.

mod claim;
mod execute;
mod files;
mod jobs;
mod settings;

use crate::families;
use crate::manifest::{Plan, RunSpec};
use crate::preflight;
use crate::usage::UsageError;
use genbench_core::lock::{self, Acquired};
use genbench_core::results::schema::col;
use genbench_core::results::{self, Provenance, RunResult, SUMMARY_FILE};
use genbench_core::{DeviceChoice, burn::prelude::Device, fsutil};
use genbench_dataset::Dataset;
use genbench_eval::FeatureNet;
use std::collections::BTreeMap;
use std::path::Path;

pub use files::{samples_file, save_samples};
pub use jobs::run_plan_parallel;

/// The indent of the lines under a run's header that say how it ended (`--jobs` forwards them
/// from each child).
const RESULT_INDENT: &str = "    ";

/// What `genbench run` says of a run that finished before it started.
const DONE_ALREADY: &str = "done already (use --force to rerun)";

/// What it says of a run that another process finished while this one ran (`--jobs` reads it
/// from its children).
const DONE_BY_ANOTHER: &str = "done by another process";

#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub force: bool,
    /// `(i, n)`: run the runs whose index is i-1 modulo n (1-based i).
    pub shard: Option<(usize, usize)>,
    pub only: Option<String>,
    pub show_progress: bool,
    /// `--max-memory` in bytes (else the machine's memory bounds each run's estimate).
    pub max_memory: Option<u64>,
}

/// What happened to the selected runs.
#[derive(Debug, Default)]
pub struct RunReport {
    pub ran: usize,
    pub skipped: usize,
    pub failed: Vec<(String, String)>,
}

/// The runs of `plan` that `opts` selects, in plan order.
pub fn select<'a>(plan: &'a Plan, opts: &RunOptions) -> Result<Vec<&'a RunSpec>, UsageError> {
    let mut runs: Vec<&RunSpec> = plan.runs.iter().collect();
    if let Some((i, n)) = opts.shard {
        runs = runs
            .into_iter()
            .enumerate()
            .filter(|(k, _)| k % n == i - 1)
            .map(|(_, r)| r)
            .collect();
    }
    if let Some(id) = &opts.only {
        runs.retain(|r| &r.id == id);
        if runs.is_empty() {
            return Err(UsageError::new(format!(
                "--only {id}: no such run in {} (see `genbench plan`)",
                plan.path.display()
            )));
        }
    }
    Ok(runs)
}

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

/// The first write: the manifest's copy in the output folder. An output folder that cannot be
/// written (read-only file system, no permission, a file in the way) is bad input, and nothing
/// has been written.
fn write_manifest(plan: &Plan) -> anyhow::Result<()> {
    use std::io::ErrorKind::*;
    let path = plan.output.join("manifest.toml");
    fsutil::write_atomic(&path, plan.text.as_bytes()).map_err(|e| {
        let io = e.chain().find_map(|c| c.downcast_ref::<std::io::Error>());
        match io.map(std::io::Error::kind) {
            Some(PermissionDenied | ReadOnlyFilesystem | NotADirectory | AlreadyExists) => {
                let key = if plan.output_given { "output" } else { "name" };
                let at = crate::source::KeyPath::root().key(key);
                let msg = format!(
                    "cannot write the results to {}: {}",
                    plan.output.display(),
                    io.map(std::string::ToString::to_string).unwrap_or_default()
                );
                plan.source().error(&at, msg).into()
            }
            _ => e,
        }
    })
}

/// The folder of `run`.
fn run_dir(plan: &Plan, run: &RunSpec) -> std::path::PathBuf {
    plan.output.join("runs").join(&run.id)
}

/// Every selected run's settings (its family config resolved), in `runs` order; unless
/// `--force`, an error naming the changed keys when a run's folder holds a result or a
/// checkpoint made under other settings. Reads only: called before the first write.
fn checked_settings(
    plan: &Plan,
    runs: &[&RunSpec],
    datasets: &BTreeMap<String, Dataset>,
    opts: &RunOptions,
) -> anyhow::Result<Vec<settings::RunSettings>> {
    let mut out = Vec::new();
    for run in runs {
        let family = families::find(run.model.family.get_ref()).expect("validated");
        let config = (family.resolve)(run.model.config.get_ref().clone())?;
        let s = settings::of_run(plan, run, &datasets[&run.data.name], config);
        if !opts.force
            && let Err(refusal) = settings::check(&run_dir(plan, run), &s)
        {
            let at = settings::manifest_key(run, refusal.key.as_deref().unwrap_or_default());
            let msg = format!("run `{}`: {}", run.id, refusal.message);
            return Err(plan.source().error(&at, msg).into());
        }
        out.push(s);
    }
    Ok(out)
}

/// The image feature space of each dataset (trained once, cached beside the experiment).
fn feature_nets(
    datasets: &BTreeMap<String, Dataset>,
    output: &Path,
    device: &Device,
) -> anyhow::Result<BTreeMap<String, Option<FeatureNet>>> {
    let mut nets = BTreeMap::new();
    for (name, data) in datasets {
        nets.insert(
            name.clone(),
            genbench_eval::feature_net(data, output, device)?,
        );
    }
    Ok(nets)
}

/// Where numbers computed on `device` come from: the code's commit, the backend and its threads.
pub fn provenance(device: &DeviceChoice) -> Provenance {
    Provenance {
        backend: device.to_string(),
        threads: genbench_core::device::cpu_threads(),
        commit: git_commit(),
    }
}

/// `git describe`-like id of the checkout: the commit, with `-dirty` when tracked source files
/// (outside results/) differ from it; `unknown` outside a git checkout.
fn git_commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    let Some(head) = git(&["rev-parse", "--short=12", "HEAD"]) else {
        return "unknown".into();
    };
    let mut commit = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let clean = std::process::Command::new("git")
        .args(["diff", "--quiet", "HEAD", "--", ".", ":(exclude)results"])
        .status()
        .map(|s| s.success())
        .unwrap_or(true);
    if !clean {
        commit.push_str("-dirty");
    }
    commit
}

/// The run's result in one line for the terminal.
fn one_line(result: &RunResult) -> String {
    let row = &result.scores;
    let g = |k: &str| row.get(k).unwrap_or("").to_string();
    let short = |k: &str| {
        row.get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .map_or_else(|| "-".into(), |v| format!("{v:.4}"))
    };
    format!(
        "{}  nll({}) {} nats{}  fd {}  train {:.4}s",
        result.status.as_str(),
        g(col::NLL_KIND),
        short(col::NLL_NATS),
        row.get(col::NLL_BPD)
            .filter(|v| !v.is_empty())
            .map(|_| format!(" = {} bpd", short(col::NLL_BPD)))
            .unwrap_or_default(),
        short(col::FD),
        result.train_seconds.unwrap_or_default()
    )
}

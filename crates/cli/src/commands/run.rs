//! `genbench run`: train and score every run of a manifest, then draw the report.

use crate::{manifest, runner};
use clap::Args;
use genbench_core::DeviceChoice;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct RunArgs {
    /// The experiment manifest (TOML), e.g. experiments/quick.toml.
    manifest: PathBuf,
    /// Run only shard I of N (1-based): runs whose index is I-1 modulo N. For job arrays.
    #[arg(long, value_name = "I/N", value_parser = super::parse_shard)]
    shard: Option<(usize, usize)>,
    /// Run only this run id (see `genbench plan`).
    #[arg(long, value_name = "RUN_ID")]
    only: Option<String>,
    /// Run only the runs on this dataset (repeatable). With --shard, the dataset's runs are
    /// split: `--dataset digits --shard 1/3`. A benchmark's natural shard is one dataset.
    #[arg(long = "dataset", value_name = "NAME")]
    datasets: Vec<String>,
    /// Rerun runs that already finished, and runs whose results or checkpoint were made under
    /// other settings (without it, those are refused with exit 2 and the keys that changed).
    #[arg(long)]
    force: bool,
    /// Backend: flex (default CPU), ndarray (deprecated upstream), wgpu (a GPU through
    /// Vulkan/Metal/DX12; needs --features wgpu), cuda (needs --features cuda).
    #[arg(long, value_name = "D")]
    device: Option<DeviceChoice>,
    /// Runs side by side, each in its own process with 1/N of the CPU threads
    /// (RAYON_NUM_THREADS, else every core). A run's numbers depend on its thread count, not on
    /// N: `--jobs 2` with 2 threads gives each run exactly what `RAYON_NUM_THREADS=1` gives it
    /// alone.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: u16,
    /// Do not draw REPORT.md at the end (the shards of a job array: one `genbench report`
    /// afterwards draws it once).
    #[arg(long)]
    no_report: bool,
    /// Refuse (exit 2, before anything is written) runs whose estimated memory — parameters,
    /// optimizer state, activations at the batch size, evaluation buffers, data — exceeds this,
    /// e.g. 8G or 512M (default: the machine's memory).
    #[arg(long, value_name = "SIZE", value_parser = crate::preflight::parse_bytes)]
    max_memory: Option<u64>,
}

pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let plan = manifest::load(&args.manifest, args.device)?;
    let opts = runner::RunOptions {
        force: args.force,
        shard: args.shard,
        only: args.only,
        datasets: args.datasets,
        show_progress: std::io::stderr().is_terminal(),
        max_memory: args.max_memory,
    };
    let report = if args.jobs > 1 {
        runner::run_plan_parallel(&plan, &opts, usize::from(args.jobs))?
    } else {
        runner::run_plan(&plan, &opts)?
    };
    if !args.no_report {
        super::report::draw(&plan.output)?;
    }
    eprintln!(
        "{} ran, {} skipped, {} failed",
        report.ran,
        report.skipped,
        report.failed.len()
    );
    for (id, err) in &report.failed {
        eprintln!("  failed {id}: {err}");
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

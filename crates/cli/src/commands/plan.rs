//! `genbench plan`: every check `genbench run` makes before its first write, then the run ids
//! of a manifest, one per line; nothing runs and nothing is written.

use crate::{manifest, preflight, runner};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct PlanArgs {
    manifest: PathBuf,
    #[arg(long, value_name = "I/N", value_parser = super::parse_shard)]
    shard: Option<(usize, usize)>,
    /// Refuse runs whose estimated memory exceeds this (e.g. 8G; default: the machine's memory).
    #[arg(long, value_name = "SIZE", value_parser = preflight::parse_bytes)]
    max_memory: Option<u64>,
}

pub fn run(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let plan = manifest::load(&args.manifest, None)?;
    let opts = runner::RunOptions {
        shard: args.shard,
        ..Default::default()
    };
    let runs = runner::select(&plan, &opts)?;
    preflight::check_plan(&plan, &runs, args.max_memory)?;
    for run in runs {
        println!("{}", run.id);
    }
    Ok(ExitCode::SUCCESS)
}

//! `genbench plan`: the run ids of a manifest, one per line; nothing runs.

use crate::{manifest, runner};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct PlanArgs {
    manifest: PathBuf,
    #[arg(long, value_name = "I/N", value_parser = super::parse_shard)]
    shard: Option<(usize, usize)>,
}

pub fn run(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let plan = manifest::load(&args.manifest, None)?;
    let opts = runner::RunOptions {
        shard: args.shard,
        ..Default::default()
    };
    for run in runner::select(&plan, &opts)? {
        println!("{}", run.id);
    }
    Ok(ExitCode::SUCCESS)
}

//! `genbench fd`: the Fréchet distance between two feature CSVs.

use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct FdArgs {
    a: PathBuf,
    b: PathBuf,
}

pub fn run(args: FdArgs) -> anyhow::Result<ExitCode> {
    let (a, b) = (
        super::read_features(&args.a)?,
        super::read_features(&args.b)?,
    );
    println!("{}", genbench_eval::frechet_distance(&a, &b)?);
    Ok(ExitCode::SUCCESS)
}

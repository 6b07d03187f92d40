//! `genbench kid`: KID (unbiased MMD², cubic kernel) between two feature CSVs.

use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct KidArgs {
    a: PathBuf,
    b: PathBuf,
    #[arg(long, default_value_t = 100)]
    subsets: usize,
    #[arg(long, default_value_t = 1000)]
    subset_size: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(args: KidArgs) -> anyhow::Result<ExitCode> {
    let (a, b) = (
        super::read_features(&args.a)?,
        super::read_features(&args.b)?,
    );
    let m = args.subset_size.min(a.rows).min(b.rows);
    let kid = genbench_eval::kid(&a, &b, args.subsets, m, args.seed)?;
    println!("{} {}", kid.mean, kid.std);
    Ok(ExitCode::SUCCESS)
}

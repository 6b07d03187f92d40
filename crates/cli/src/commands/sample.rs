//! `genbench sample`: draw samples from a finished run's checkpoint.

use crate::saved_run;
use clap::Args;
use genbench_core::DeviceChoice;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct SampleArgs {
    run_dir: PathBuf,
    /// How many samples.
    #[arg(short, default_value_t = 100)]
    n: usize,
    /// Every sample of this class (conditional models; default: the classes in turn).
    #[arg(long, value_name = "CLASS")]
    label: Option<usize>,
    /// Override a key of the family's config (see `genbench eval --help`). Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = saved_run::parse_override)]
    overrides: Vec<saved_run::Override>,
    /// Sampling seed (default: the run's evaluation seed, which redraws its samples).
    #[arg(long)]
    seed: Option<u64>,
    /// .png (a grid of the first 100 images), .npy (all of them; images as uint8 levels
    /// [n, C, H, W], labels in .labels.npy beside), .csv, or DIR/ (one PNG per image)
    /// (default RUN_DIR/sample.png or sample.csv).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[arg(long, value_name = "D")]
    device: Option<DeviceChoice>,
}

pub fn run(args: SampleArgs) -> anyhow::Result<ExitCode> {
    let req = saved_run::SampleRequest {
        device: args.device,
        overrides: &args.overrides,
        n: args.n,
        label: args.label,
        seed: args.seed,
        out: args.out,
    };
    let (path, seconds) = saved_run::sample(&args.run_dir, &req)?;
    eprintln!("{} samples in {seconds:.2} s", args.n);
    println!("{}", path.display());
    Ok(ExitCode::SUCCESS)
}

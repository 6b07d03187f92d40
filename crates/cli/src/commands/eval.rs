//! `genbench eval`: score a finished run again from its checkpoint.

use crate::saved_run;
use clap::Args;
use genbench_core::DeviceChoice;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct EvalArgs {
    run_dir: PathBuf,
    /// Override a key of the family's config, e.g. guidance_scale=3, sample_steps=20,
    /// eta=1 (diffusion). VALUE is a TOML value. Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = saved_run::parse_override)]
    overrides: Vec<saved_run::Override>,
    /// Also score every sampler variant (DDIM steps, guidance scales) into
    /// <out>.variants.csv.
    #[arg(long)]
    variants: bool,
    /// Samples per sample-based metric (default: the run's [eval] samples).
    #[arg(long, value_name = "N")]
    samples: Option<usize>,
    /// Where the metrics go (default RUN_DIR/rescore.json).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[arg(long, value_name = "D")]
    device: Option<DeviceChoice>,
}

pub fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let req = saved_run::EvalRequest {
        device: args.device,
        overrides: &args.overrides,
        variants: args.variants,
        samples: args.samples,
        out: args
            .out
            .unwrap_or_else(|| args.run_dir.join("rescore.json")),
    };
    let rows = saved_run::rescore(&args.run_dir, &req)?;
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            println!();
        }
        for (k, v) in &row.0 {
            println!("{k} = {v}");
        }
    }
    eprintln!("wrote {}", req.out.display());
    Ok(ExitCode::SUCCESS)
}

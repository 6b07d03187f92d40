//! `genbench export-split`: the split a genbench run trains and tests on, as `.npy` files.

use super::data_args::DataArgs;
use crate::usage::UsageError;
use clap::Args;
use genbench_dataset::external::{SPLIT_FILE, export_split};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ExportSplitArgs {
    #[command(flatten)]
    data: DataArgs,
    /// The folder to write train.npy, test.npy, their *_labels.npy and split.json into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub fn run(args: ExportSplitArgs) -> anyhow::Result<ExitCode> {
    let resolved = args.data.resolve(None, None)?;
    let data = genbench_dataset::load(&resolved.data)
        .map_err(|e| UsageError::new(format!("dataset `{}`: {e}", resolved.data.name)))?;
    let files = export_split(&data, &resolved.data, &args.out)?;
    for (name, batch) in data.splits() {
        eprintln!("{name}: {} examples", batch.len());
    }
    eprintln!(
        "wrote {} files to {}; split fingerprint {} (also in {SPLIT_FILE})",
        files.len(),
        args.out.display(),
        data.split_fingerprint()
    );
    println!("{}", data.split_fingerprint());
    Ok(ExitCode::SUCCESS)
}

//! `genbench report`: REPORT.md and plots/ of an experiment folder, from its CSVs alone.

use crate::usage::UsageError;
use crate::{families, manifest};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct ReportArgs {
    /// An experiment folder, or the manifest (.toml) whose output folder to draw.
    dir: PathBuf,
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let dir = if args.dir.is_file() {
        manifest::load(&args.dir, None)?.output
    } else {
        args.dir
    };
    if !dir.join("runs").is_dir() && !dir.join("summary.csv").is_file() {
        return Err(UsageError::new(format!(
            "{}: not an experiment folder (no runs/ or summary.csv)",
            dir.display()
        ))
        .into());
    }
    draw(&dir)?;
    Ok(ExitCode::SUCCESS)
}

/// Rebuild summary.csv from the runs (when there are any) and draw the report, the families in
/// the registry's order.
pub fn draw(dir: &Path) -> anyhow::Result<()> {
    if dir.join("runs").is_dir() {
        genbench_core::results::write_summary(dir)?;
    }
    let summary = genbench_report::write_report(dir, &families::names())?;
    eprintln!(
        "{}: {} runs, {} models on {} datasets, {} plots",
        dir.join("REPORT.md").display(),
        summary.runs,
        summary.models,
        summary.datasets,
        summary.plots.len()
    );
    Ok(())
}

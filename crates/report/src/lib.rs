//! genbench-report: summary.csv and the runs' CSVs in, plots (plotters; PNG and SVG) and
//! REPORT.md out.
//!
//! [`write_report`] reads only files under the experiment folder and writes
//! `REPORT.md` and `plots/`. The output is a pure function of those files: rows are sorted,
//! maps are ordered, numbers are formatted deterministically and nothing records the time, so a
//! rerun gives the same bytes and shards merged by copying their `runs/` folders together (with
//! summary.csv rebuilt) give the same report as one unsharded run. Missing optional files
//! (a family's figures, variants.csv, train.csv) are listed in the report, never an error.

pub mod anytime;
pub mod context;
pub mod convergence;
pub mod data;
pub mod format;
pub mod kinds;
pub mod model;
pub mod plan;
pub mod plot;
pub mod section;
pub mod seeds;
pub mod variants;

pub use model::Objective;

use anyhow::Context as _;
use std::path::Path;

/// What [`write_report`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportSummary {
    /// Rows of summary.csv.
    pub runs: usize,
    /// Datasets, one section each.
    pub datasets: usize,
    /// Models, each counted once however many datasets it ran on.
    pub models: usize,
    /// (dataset, model) pairs: a model on two datasets is two.
    pub pairs: usize,
    /// Every figure drawn, as `plots/<stem>.png` relative to the experiment folder (each has an
    /// `.svg` beside it).
    pub plots: Vec<String>,
    /// Optional inputs that were missing, one line each (also listed in REPORT.md).
    pub missing: Vec<String>,
}

/// Draws `experiment_dir/REPORT.md` and `experiment_dir/plots/*.{png,svg}` from
/// `experiment_dir/summary.csv` and `experiment_dir/runs/<run_id>/`. Models are listed family
/// by family in `family_order` (the CLI passes its family registry's order, so the registry is
/// the one list of families), then by paper year.
pub fn write_report(experiment_dir: &Path, family_order: &[&str]) -> anyhow::Result<ReportSummary> {
    write_report_planned(experiment_dir, family_order, None, |_, _| None)
}

/// [`write_report`] with the runs the experiment's manifest plans (`genbench report` reads
/// them from its manifest.toml): the headline marks planned pairs without runs `not run` and
/// unplanned ones `·`, and a section lists both; and with what each model's training loss is
/// (`objective`), which labels its training curves and the families table.
pub fn write_report_planned(
    experiment_dir: &Path,
    family_order: &[&str],
    planned: Option<&plan::Planned>,
    objective: Objective,
) -> anyhow::Result<ReportSummary> {
    let runs = data::read_runs(experiment_dir)?;
    let mut groups = model::group(&runs, family_order);
    model::label_objectives(&mut groups, objective);
    let disagreements = seeds::disagreements(&groups);
    if !disagreements.is_empty() {
        return Err(seeds::SeedsDisagree(disagreements).into());
    }
    let plots_dir = experiment_dir.join("plots");
    // Stale figures of an earlier report would otherwise survive beside the new ones.
    if plots_dir.is_dir() {
        for entry in std::fs::read_dir(&plots_dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "png" || e == "svg") {
                std::fs::remove_file(&path)
                    .with_context(|| format!("removing {}", path.display()))?;
            }
        }
    }
    let mut ctx = context::Context::new(experiment_dir);
    section::overview::head(&mut ctx, &runs, &groups);
    section::headline::write(&mut ctx, &groups, family_order, planned)?;
    section::planned::write(&mut ctx, &groups, planned);
    section::protocol::write(&mut ctx, &runs);
    section::overview::history(&mut ctx, &groups)?;
    for (dataset, models) in &groups {
        section::dataset::write(&mut ctx, dataset, models)?;
    }
    section::vae_diffusion::write(&mut ctx, &groups)?;
    section::diffusion::ink_drop(&mut ctx, &groups)?;
    section::diffusion::conditioning(&mut ctx, &groups)?;
    section::published::write(&mut ctx, &groups);
    ctx.line("## Not available\n");
    if ctx.missing.is_empty() {
        ctx.line("Every optional input the report looks for was present.");
    } else {
        ctx.line("Optional inputs the report looked for and did not find (drawn when a rerun of `genbench report` finds them):\n");
        let lines: Vec<String> = ctx.missing.iter().map(|m| format!("- {m}")).collect();
        ctx.line(&lines.join("\n"));
    }
    let report = experiment_dir.join("REPORT.md");
    genbench_core::fsutil::write_atomic(&report, ctx.md.as_bytes())?;
    Ok(ReportSummary {
        runs: runs.len(),
        datasets: groups.len(),
        models: model::distinct_models(&groups),
        pairs: groups.values().map(Vec::len).sum(),
        plots: ctx.plots,
        missing: ctx.missing,
    })
}

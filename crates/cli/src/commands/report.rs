//! `genbench report`: REPORT.md and plots/ of an experiment folder, from its CSVs alone.

use crate::manifest::{Plan, RunSpec};
use crate::usage::UsageError;
use crate::{families, manifest};
use clap::Args;
use genbench_report::format::noun;
use genbench_report::plan::{Planned, PlannedRun, Refusal};
use genbench_report::seeds;
use std::collections::BTreeMap;
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
    let planned = planned(dir);
    let summary = genbench_report::write_report_planned(
        dir,
        &families::names(),
        planned.as_ref(),
        families::objective,
    )
    .map_err(|e| match e.downcast::<seeds::SeedsDisagree>() {
        // Bad input: the folder's runs, not the program (exit 2).
        Ok(refusal) => UsageError::new(format!("{}: {refusal}", dir.display())).into(),
        Err(e) => e,
    })?;
    eprintln!(
        "{}: {} runs of {} on {} ({}), {} plots",
        dir.join("REPORT.md").display(),
        summary.runs,
        noun(summary.models, "model"),
        noun(summary.datasets, "dataset"),
        noun(summary.pairs, "model–dataset pair"),
        summary.plots.len()
    );
    Ok(())
}

/// The copy of the manifest the runner leaves in the experiment folder.
const MANIFEST_COPY: &str = "manifest.toml";

/// The runs `dir/manifest.toml` plans, read with the manifest loader, and the families'
/// refusals of the pairs it does not plan; `None` without the file, or (with a warning) when it
/// does not load.
fn planned(dir: &Path) -> Option<Planned> {
    let path = dir.join(MANIFEST_COPY);
    if !path.is_file() {
        return None;
    }
    let plan = match manifest::load(&path, None) {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("warning: {e}; REPORT.md does not list the planned runs");
            return None;
        }
    };
    let mut datasets: Vec<(usize, String)> = plan
        .runs
        .iter()
        .map(|r| (r.data_index, r.data.name.clone()))
        .collect();
    datasets.sort();
    datasets.dedup();
    Some(Planned {
        source: MANIFEST_COPY.into(),
        datasets: datasets.into_iter().map(|(_, d)| d).collect(),
        runs: plan
            .runs
            .iter()
            .map(|r| PlannedRun {
                model: r.model.name.clone(),
                family: r.model.family.get_ref().clone(),
                dataset: r.data.name.clone(),
                seed: r.seed,
            })
            .collect(),
        refusals: refusals(&plan),
    })
}

/// For each model and each of the manifest's datasets it does not run on: the family's config
/// check (the model's first `[[models]]` table) against that dataset's data, where it refuses.
/// The data are loaded from the manifest's table capped to a few examples (shape, levels and
/// classes, all the check reads, do not depend on the sizes); a dataset that does not load is
/// not checked.
fn refusals(plan: &Plan) -> Vec<Refusal> {
    let mut models: Vec<&RunSpec> = Vec::new();
    let mut data: BTreeMap<&str, &RunSpec> = BTreeMap::new();
    for r in &plan.runs {
        if !models.iter().any(|m| m.model.name == r.model.name) {
            models.push(r);
        }
        data.entry(&r.data.name).or_insert(r);
    }
    let mut specs = BTreeMap::new();
    for (name, r) in &data {
        let probe = genbench_dataset::DataConfig {
            train_size: Some(64),
            test_size: Some(16),
            validation_fraction: 0.0,
            ..r.data.clone()
        };
        if let Ok(d) = genbench_dataset::load(&probe) {
            specs.insert(*name, d.spec);
        }
    }
    let mut out = Vec::new();
    for m in models {
        let planned = |d: &str| {
            plan.runs
                .iter()
                .any(|r| r.model.name == m.model.name && r.data.name == d)
        };
        let Some(family) = families::find(m.model.family.get_ref()) else {
            continue;
        };
        for (dataset, spec) in specs.iter().filter(|(d, _)| !planned(d)) {
            if let Err(e) =
                (family.check)(m.model.config.get_ref().clone(), spec, m.model.conditional)
            {
                out.push(Refusal {
                    model: m.model.name.clone(),
                    dataset: dataset.to_string(),
                    message: format!("`{}`: {}", e.key, e.msg),
                });
            }
        }
    }
    out
}

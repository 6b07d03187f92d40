//! `genbench plan`: every check `genbench run` makes before its first write, then the run ids
//! of a manifest, one per line, or with `--shards N` each shard's runs and estimated minutes;
//! nothing runs and nothing is written.

use crate::estimate::{self, Source};
use crate::{manifest, preflight, runner};
use clap::Args;
use genbench_dataset::{DataConfig, Dataset};
use genbench_report::format::noun;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct PlanArgs {
    manifest: PathBuf,
    #[arg(long, value_name = "I/N", value_parser = super::parse_shard)]
    shard: Option<(usize, usize)>,
    /// Only the runs on this dataset (repeatable), as `genbench run --dataset` selects them:
    /// `genbench plan experiments/benchmark.toml --dataset digits --shards 1` is the digits
    /// shard's runs and minutes.
    #[arg(long = "dataset", value_name = "NAME")]
    datasets: Vec<String>,
    /// List the N shards `--shard I/N` would run (run k of the plan goes to shard k mod N),
    /// each with its runs and its estimated minutes in one process (`--jobs 1`).
    ///
    /// A run's estimate is "recorded" when a finished run of the same id, model config and
    /// data table is found (in the manifest's output folder, or a --from folder): its training
    /// seconds scaled to the planned budget (steps: planned ÷ recorded steps; seconds: the
    /// budget) plus the rest of its wall time as it was. Else "seed N" when seed N of the same
    /// model and data finished: that run's record, scaled the same way. Else "D seed N" when
    /// seed N of the same model finished on other data D where it has the same footprint
    /// (MNIST-5k for Fashion-MNIST; "mnist5k binarize=false" for a GAN on binarized MNIST-5k):
    /// training scaled by the examples seen over the whole budget, the test likelihood by the
    /// test examples scored. Otherwise "model": a per-family cost model — training steps ×
    /// batch × (parameters + activations per example, the planner's memory footprint) × a
    /// family constant, plus per evaluation (the final one, every eval_every steps, and the
    /// anytime ones) samples ÷ 1000 × max(1, dimensions ÷ 64) × a family constant; constants
    /// fitted to results/quick, results/diffusion and results/vae-vs-diffusion on a 2-core
    /// CPU, good to a factor of ten (see --model-only). Run one seed or a search first to get
    /// recorded figures. A model estimate is the whole budget's: with `patience` (early
    /// stopping) a run may take less.
    #[arg(long, value_name = "N", conflicts_with = "shard", value_parser = clap::value_parser!(u64).range(1..))]
    shards: Option<u64>,
    /// An experiment folder whose finished runs (same run id, another seed, other data) the
    /// estimate reads, besides the manifest's output folder; repeatable.
    #[arg(long, value_name = "DIR", requires = "shards")]
    from: Vec<PathBuf>,
    /// Estimate every run with the cost model, even where a recorded run exists (to compare
    /// the model with what was measured).
    #[arg(long, requires = "shards")]
    model_only: bool,
    /// Refuse runs whose estimated memory exceeds this (e.g. 8G; default: the machine's memory).
    #[arg(long, value_name = "SIZE", value_parser = preflight::parse_bytes)]
    max_memory: Option<u64>,
}

pub fn run(args: PlanArgs) -> anyhow::Result<ExitCode> {
    let plan = manifest::load(&args.manifest, None)?;
    let opts = runner::RunOptions {
        shard: args.shard,
        datasets: args.datasets,
        ..Default::default()
    };
    let runs = runner::select(&plan, &opts)?;
    let datasets = preflight::check_plan(&plan, &runs, args.max_memory)?;
    let Some(n) = args.shards else {
        for run in runs {
            println!("{}", run.id);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let n = n as usize;
    let mut shards: Vec<Vec<(String, estimate::Estimate)>> = vec![Vec::new(); n];
    // Data a record ran on, read only when that record could stand in for a run (by its table
    // as config.json wrote it; the folder is the manifest's for a dataset of the same name).
    let mut read: BTreeMap<String, Option<Dataset>> = BTreeMap::new();
    let mut fit_of = |run: &manifest::RunSpec, data: &DataConfig| -> Option<estimate::DataFit> {
        let mut data = data.clone();
        if let Some(same) = plan.runs.iter().find(|r| r.data.name == data.name) {
            data.data_dir.clone_from(&same.data.data_dir);
        }
        let key = serde_json::to_string(&data).ok()?;
        let loaded = read
            .entry(key)
            .or_insert_with(|| genbench_dataset::load(&data).ok());
        estimate::DataFit::of(run, loaded.as_ref()?).ok()
    };
    for (k, run) in runs.iter().enumerate() {
        let data = &datasets[&run.data.name];
        let here = estimate::DataFit::of(run, data)
            .map_err(|e| anyhow::anyhow!("{}: {}", run.id, e.msg))?;
        let e = if args.model_only {
            estimate::Estimate {
                seconds: estimate::modelled(&plan, run, &here.footprint, data),
                source: Source::Model,
            }
        } else {
            estimate::estimate(&plan, run, &here, data, &args.from, &mut fit_of)
        };
        shards[k % n].push((run.id.clone(), e));
    }
    let minutes = |runs: &[(String, estimate::Estimate)]| {
        runs.iter().map(|(_, e)| e.seconds).sum::<f64>() / 60.0
    };
    let count = |runs: &[(String, estimate::Estimate)], of: fn(&Source) -> bool| {
        runs.iter().filter(|(_, e)| of(&e.source)).count()
    };
    let recorded = |s: &Source| *s == Source::Recorded;
    let other_seed = |s: &Source| matches!(s, Source::OtherSeed(_));
    let other_data = |s: &Source| matches!(s, Source::OtherData { .. });
    let model = |s: &Source| *s == Source::Model;
    for (i, runs) in shards.iter().enumerate() {
        println!(
            "shard {}/{n}: {}, {:.1} min ({} recorded, {} from another seed, {} from another dataset, {} model)",
            i + 1,
            noun(runs.len(), "run"),
            minutes(runs),
            count(runs, recorded),
            count(runs, other_seed),
            count(runs, other_data),
            count(runs, model)
        );
        for (id, e) in runs {
            println!("  {id}  {:.1} s  {}", e.seconds, e.source);
        }
    }
    let all: Vec<(String, estimate::Estimate)> = shards.into_iter().flatten().collect();
    println!(
        "total: {}, {:.1} min in one process ({} recorded, {} from another seed, {} from another dataset, {} model)",
        noun(all.len(), "run"),
        minutes(&all),
        count(&all, recorded),
        count(&all, other_seed),
        count(&all, other_data),
        count(&all, model)
    );
    Ok(ExitCode::SUCCESS)
}

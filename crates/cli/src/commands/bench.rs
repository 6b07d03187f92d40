//! `genbench bench`: the speed of each family's canonical workloads — training steps, sampling
//! and likelihood — through the same `GenerativeModel` calls the runner makes, as CSV.

use super::bench_file::{self, Kind, Workload};
use crate::families;
use crate::runner::provenance;
use crate::usage::UsageError;
use clap::Args;
use genbench_core::train::Batches;
use genbench_core::{Batch, BuildContext, DeviceChoice, GenerativeModel, Seeds};
use genbench_dataset::Dataset;
use genbench_report::plot::ratios::{Ratio, RatioBars};
use genbench_report::plot::render;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// The CSV's header: one row per workload.
pub const CSV_HEADER: &str =
    "workload,kind,unit,median,min,max,reps,items_per_rep,params,threads,backend,commit";

/// The header of `--list`.
pub const LIST_HEADER: &str = "workload,kind,family,dataset,params";

#[derive(Args)]
pub struct BenchArgs {
    /// The workloads file.
    #[arg(default_value = "experiments/bench.toml")]
    file: PathBuf,
    /// Time only this workload (repeatable).
    #[arg(long, value_name = "NAME")]
    only: Vec<String>,
    /// Timed repetitions (default: the file's `reps`).
    #[arg(long)]
    reps: Option<usize>,
    /// Untimed repetitions first (default: the file's `warmup`).
    #[arg(long)]
    warmup: Option<usize>,
    /// Print each workload's parameter count (CSV: workload,kind,family,dataset,params) and time
    /// nothing.
    #[arg(long)]
    list: bool,
    /// Also write the CSV to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[arg(long, value_name = "D", default_value = "flex")]
    device: DeviceChoice,
    /// No CSV header line (to append to an existing file).
    #[arg(long)]
    no_header: bool,
    /// Time nothing: draw RATIOS.png (and .svg) beside RATIOS, a CSV with the columns workload,
    /// kind and ratio (what scripts/bench_compare.py writes).
    #[arg(long, value_name = "RATIOS")]
    plot: Option<PathBuf>,
}

/// One workload's throughput over the timed repetitions, in items (examples or samples) per
/// second.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub reps: usize,
}

impl Timing {
    /// The statistics of `rates` (at least one): the median of an even count is the mean of the
    /// middle two.
    pub fn of(mut rates: Vec<f64>) -> Self {
        rates.sort_by(f64::total_cmp);
        let n = rates.len();
        Self {
            median: genbench_eval::stats::median_of_sorted(&rates),
            min: rates[0],
            max: rates[n - 1],
            reps: n,
        }
    }
}

pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    if let Some(ratios) = &args.plot {
        let png = plot_ratios(ratios)?;
        println!("{}", png.display());
        return Ok(ExitCode::SUCCESS);
    }
    let loaded = bench_file::load(&args.file, &args.only)?;
    let warmup = args.warmup.unwrap_or(loaded.file.warmup);
    let reps = args.reps.unwrap_or(loaded.file.reps).max(1);
    let prov = provenance(&args.device);
    let mut lines = Vec::new();
    let header = if args.list { LIST_HEADER } else { CSV_HEADER };
    if !args.no_header {
        println!("{header}");
        lines.push(header.to_string());
    }
    let total = loaded.file.workloads.len();
    for (k, (w, data)) in loaded.file.workloads.iter().zip(&loaded.data).enumerate() {
        let mut model = build(w, data, args.device)?;
        let line = if args.list {
            format!(
                "{},{},{},{},{}",
                w.name,
                w.kind.as_str(),
                w.family,
                w.data.name,
                model.num_params()
            )
        } else {
            eprintln!(
                "[{}/{total}] {} ({}, {} per repetition, {warmup} warm-up + {reps} timed)",
                k + 1,
                w.name,
                w.kind.as_str(),
                w.items_per_rep()
            );
            let t = time(model.as_mut(), w, data, warmup, reps)?;
            eprintln!(
                "    {:.1} samples/s (min {:.1}, max {:.1})",
                t.median, t.min, t.max
            );
            format!(
                "{},{},samples/s,{:.4},{:.4},{:.4},{},{},{},{},{},{}",
                w.name,
                w.kind.as_str(),
                t.median,
                t.min,
                t.max,
                t.reps,
                w.items_per_rep(),
                model.num_params(),
                prov.threads,
                prov.backend,
                prov.commit
            )
        };
        println!("{line}");
        std::io::stdout().flush()?;
        lines.push(line);
    }
    if let Some(out) = &args.out {
        let mut text = lines.join("\n");
        text.push('\n');
        genbench_core::fsutil::write_atomic(out, text.as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The workload's model, built as the runner builds a run's (device seeded from seed 0), with
/// its data-dependent initialisation done.
fn build(
    w: &Workload,
    data: &Dataset,
    device: DeviceChoice,
) -> anyhow::Result<Box<dyn GenerativeModel>> {
    let ctx = BuildContext::new(
        data.spec.clone(),
        device.device()?,
        Seeds::new(0),
        w.learning_rate,
        false,
    );
    let family = families::find(&w.family).expect("checked by bench_file::load");
    let (_, mut model) = (family.build)(w.config.clone(), &ctx)?;
    model.begin(&data.train)?;
    Ok(model)
}

/// `warmup` untimed then `reps` timed repetitions of the workload; items per second of each.
fn time(
    model: &mut dyn GenerativeModel,
    w: &Workload,
    data: &Dataset,
    warmup: usize,
    reps: usize,
) -> anyhow::Result<Timing> {
    let mut batches = Batches::new(&data.train, w.batch_size.unwrap_or(1), 0);
    let test = data.test.head(w.n.unwrap_or(0));
    let mut step = 0;
    let mut rates = Vec::with_capacity(reps);
    for rep in 0..warmup + reps {
        let seconds = match w.kind {
            Kind::Train => {
                let steps = w.steps.unwrap_or(1) as u64;
                let batch: Vec<Batch> = (step..step + steps).map(|s| batches.batch_at(s)).collect();
                step += steps;
                let started = Instant::now();
                for b in &batch {
                    model.train_step(b)?;
                }
                started.elapsed().as_secs_f64()
            }
            Kind::Sample => {
                let started = Instant::now();
                model.sample(w.n.unwrap_or(1), None, rep as u64)?;
                started.elapsed().as_secs_f64()
            }
            Kind::Likelihood => {
                let started = Instant::now();
                model.log_likelihood(&test, rep as u64)?;
                started.elapsed().as_secs_f64()
            }
        };
        if rep >= warmup {
            rates.push(w.items_per_rep() as f64 / seconds.max(1e-9));
        }
    }
    Ok(Timing::of(rates))
}

/// Draw the ratios of `csv` (columns workload, kind, ratio) to the PNG and SVG beside it.
fn plot_ratios(csv_path: &Path) -> anyhow::Result<PathBuf> {
    let bad = |msg: String| UsageError::new(format!("{}: {msg}", csv_path.display()));
    let mut reader = csv::Reader::from_path(csv_path).map_err(|e| bad(e.to_string()))?;
    let header = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(format!("no column `{name}`")))
    };
    let (w, k, r) = (column("workload")?, column("kind")?, column("ratio")?);
    let mut rows = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        let ratio = record[r].parse::<f64>().map_err(|_| {
            bad(format!(
                "line {}: ratio `{}` is not a number",
                line + 2,
                &record[r]
            ))
        })?;
        rows.push(Ratio {
            workload: record[w].to_string(),
            kind: record[k].to_string(),
            ratio,
        });
    }
    let figure = RatioBars {
        title: "genbench vs PyTorch eager, same workloads (train / sample / likelihood)".into(),
        x_desc: "genbench samples/s ÷ PyTorch samples/s (log scale; 1 = as fast)".into(),
        rows,
    };
    let dir = csv_path.parent().unwrap_or(Path::new("."));
    let stem = csv_path
        .file_stem()
        .map_or_else(|| "ratios".into(), |s| s.to_string_lossy().into_owned());
    render(&figure, dir, &stem)?;
    Ok(dir.join(format!("{stem}.png")))
}

#[cfg(test)]
mod tests {
    use super::Timing;

    #[test]
    fn timing_is_median_min_max() {
        let t = Timing::of(vec![3.0, 1.0, 2.0]);
        assert_eq!((t.median, t.min, t.max, t.reps), (2.0, 1.0, 3.0, 3));
        let t = Timing::of(vec![4.0, 1.0, 2.0, 10.0]);
        assert_eq!((t.median, t.min, t.max, t.reps), (3.0, 1.0, 10.0, 4));
    }
}

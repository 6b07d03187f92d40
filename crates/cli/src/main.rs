//! `genbench`: train every family of generative model on the same data, score them with one
//! evaluator, and draw the comparison.

mod families;
mod features;
mod manifest;
mod runner;
mod saved_run;
mod score;
mod usage;

use clap::{Parser, Subcommand};
use genbench_core::DeviceChoice;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use usage::UsageError;

#[derive(Parser)]
#[command(
    name = "genbench",
    version,
    about = "Train every family of generative model on the same data and compare them with one evaluator",
    long_about = "genbench trains a Gaussian mixture, autoregressive models, VAEs, GANs, normalizing flows and \
diffusion models on the same data, scores every one with the same evaluator (likelihood with its kind, \
Fréchet distance, KID, precision/recall, density/coverage, cost) and writes CSVs, plots and a report.\n\n\
Start with:  genbench run experiments/quick.toml",
    after_help = "Exit codes: 0 success, 1 a run failed, 2 bad input (manifest, data folder, arguments)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train and score every run of a manifest; finished runs are skipped.
    ///
    /// Results go to the manifest's output folder (default results/<name>/): runs/<run-id>/
    /// holds config.json, train.csv, metrics.csv and samples; summary.csv has one row per run.
    Run {
        /// The experiment manifest (TOML), e.g. experiments/quick.toml.
        manifest: PathBuf,
        /// Run only shard I of N (1-based): runs whose index is I-1 modulo N. For job arrays.
        #[arg(long, value_name = "I/N", value_parser = parse_shard)]
        shard: Option<(usize, usize)>,
        /// Run only this run id (see `genbench plan`).
        #[arg(long, value_name = "RUN_ID")]
        only: Option<String>,
        /// Rerun runs that already finished.
        #[arg(long)]
        force: bool,
        /// Backend: flex (default CPU), ndarray (deprecated upstream), cuda (needs --features cuda).
        #[arg(long, value_name = "D")]
        device: Option<DeviceChoice>,
    },
    /// Print the run ids of a manifest, one per line, without running anything.
    Plan {
        manifest: PathBuf,
        #[arg(long, value_name = "I/N", value_parser = parse_shard)]
        shard: Option<(usize, usize)>,
    },
    /// Score a finished run again (its folder must hold a checkpoint: `keep_checkpoint = true`).
    ///
    /// Rebuilds the model from RUN_DIR/config.json with any --set overrides, loads
    /// RUN_DIR/checkpoint, prints the metrics and writes them to RUN_DIR/rescore.json (--out).
    /// Sampling-time keys can change without retraining, e.g. a conditional diffusion model's
    /// guidance sweep:
    ///
    ///   genbench eval RUN_DIR --set guidance_sweep=[0,1,2,4] --variants
    Eval {
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
    },
    /// Draw samples from a finished run's checkpoint into an image grid or a CSV.
    ///
    /// Images: the first 100 as a 10-column grid, so with the classes in turn each column is
    /// one class. Compare classifier-free guidance scales of a conditional diffusion model
    /// (0 = unconditional, 1 = conditional, >1 = guided):
    ///
    ///   genbench sample RUN_DIR --set guidance_scale=0 --out w0.png
    ///
    ///   genbench sample RUN_DIR --set guidance_scale=3 --out w3.png
    Sample {
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
        /// .png (images) or .csv (default RUN_DIR/sample.png or sample.csv).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long, value_name = "D")]
        device: Option<DeviceChoice>,
    },
    /// Draw REPORT.md and plots/ of an experiment folder from its CSVs alone.
    ///
    /// Reads DIR/summary.csv (rebuilt first from DIR/runs/*/result.json, so shard folders
    /// copied together merge) and the runs' CSVs and images; writes DIR/REPORT.md and
    /// DIR/plots/*.png|svg. `genbench run` calls this at the end.
    Report { dir: PathBuf },
    /// List the datasets (shapes, sizes, true entropies) and the model families.
    List,
    /// Fréchet distance between two CSV feature files (rows = samples, columns = features,
    /// optional header line). Prints one number.
    Fd { a: PathBuf, b: PathBuf },
    /// Kernel inception distance (unbiased MMD², cubic polynomial kernel) between two CSV
    /// feature files. Prints mean and std over random subsets.
    Kid {
        a: PathBuf,
        b: PathBuf,
        #[arg(long, default_value_t = 100)]
        subsets: usize,
        #[arg(long, default_value_t = 1000)]
        subset_size: usize,
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s.split_once('/').ok_or("expected I/N, e.g. 2/4")?;
    let (i, n): (usize, usize) = (
        i.parse().map_err(|_| "I is not a number")?,
        n.parse().map_err(|_| "N is not a number")?,
    );
    if n == 0 || i == 0 || i > n {
        return Err(format!("shard {i}/{n}: need 1 <= I <= N"));
    }
    Ok((i, n))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            if let Some(u) = e.downcast_ref::<UsageError>() {
                eprintln!("error: {u}");
                ExitCode::from(2)
            } else {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        }
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run {
            manifest,
            shard,
            only,
            force,
            device,
        } => {
            let plan = manifest::load(&manifest, device)?;
            let opts = runner::RunOptions {
                force,
                shard,
                only,
                show_progress: std::io::stderr().is_terminal(),
            };
            let report = runner::run_plan(&plan, &opts)?;
            self::report(&plan.output)?;
            eprintln!(
                "{} ran, {} skipped, {} failed",
                report.ran,
                report.skipped,
                report.failed.len()
            );
            for (id, err) in &report.failed {
                eprintln!("  failed {id}: {err}");
            }
            Ok(if report.failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Plan { manifest, shard } => {
            let plan = manifest::load(&manifest, None)?;
            let opts = runner::RunOptions {
                shard,
                ..Default::default()
            };
            for run in runner::select(&plan, &opts)? {
                println!("{}", run.id);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            run_dir,
            overrides,
            variants,
            samples,
            out,
            device,
        } => {
            let req = saved_run::EvalRequest {
                device,
                overrides: &overrides,
                variants,
                samples,
                out: out.unwrap_or_else(|| run_dir.join("rescore.json")),
                show_progress: std::io::stderr().is_terminal(),
            };
            let rows = saved_run::rescore(&run_dir, &req)?;
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
        Command::Sample {
            run_dir,
            n,
            label,
            overrides,
            seed,
            out,
            device,
        } => {
            let req = saved_run::SampleRequest {
                device,
                overrides: &overrides,
                n,
                label,
                seed,
                out,
            };
            let (path, seconds) = saved_run::sample(&run_dir, &req)?;
            eprintln!("{n} samples in {seconds:.2} s");
            println!("{}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { dir } => {
            if !dir.join("runs").is_dir() && !dir.join("summary.csv").is_file() {
                return Err(UsageError::new(format!(
                    "{}: not an experiment folder (no runs/ or summary.csv)",
                    dir.display()
                ))
                .into());
            }
            report(&dir)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::List => {
            println!("datasets:");
            println!(
                "  {:<14} {:<12} {:<10} {:>6} {:>7} {:>6}  {:<22} source",
                "name", "kind", "shape", "levels", "train", "test", "true entropy (nats)"
            );
            let size = |s: Option<usize>| s.map(|v| v.to_string()).unwrap_or_else(|| "-".into());
            for d in genbench_dataset::catalogue() {
                let shape = d
                    .shape
                    .iter()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join("x");
                let levels = d
                    .levels
                    .map(|l| l.to_string())
                    .unwrap_or_else(|| "cont.".into());
                let entropy = d
                    .entropy
                    .map(|e| format!("{:.4} ± {:.4}", e.nats, e.std_error))
                    .unwrap_or_else(|| "-".into());
                println!(
                    "  {:<14} {:<12} {:<10} {:>6} {:>7} {:>6}  {:<22} {}",
                    d.name,
                    d.kind,
                    shape,
                    levels,
                    size(d.train_size),
                    size(d.test_size),
                    entropy,
                    d.source
                );
            }
            println!("families:");
            for f in families::families() {
                println!("  {:<16} {}", f.name, f.summary);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Fd { a, b } => {
            let (a, b) = (read_features(&a)?, read_features(&b)?);
            println!("{}", genbench_eval::frechet_distance(&a, &b)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Kid {
            a,
            b,
            subsets,
            subset_size,
            seed,
        } => {
            let (a, b) = (read_features(&a)?, read_features(&b)?);
            let m = subset_size.min(a.rows).min(b.rows);
            let kid = genbench_eval::kid(&a, &b, subsets, m, seed)?;
            println!("{} {}", kid.mean, kid.std);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Rebuild summary.csv from the runs (when there are any) and draw the report.
fn report(dir: &std::path::Path) -> anyhow::Result<()> {
    if dir.join("runs").is_dir() {
        genbench_core::results::write_summary(dir)?;
    }
    let summary = genbench_report::write_report(dir)?;
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

fn read_features(path: &std::path::Path) -> anyhow::Result<genbench_eval::FeatureSet> {
    genbench_eval::FeatureSet::read_csv(path).map_err(|e| UsageError::new(format!("{e:#}")).into())
}

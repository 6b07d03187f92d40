//! `genbench`: train every family of generative model on the same data, score them with one
//! evaluator, and draw the comparison.

mod commands;
mod estimate;
mod external;
mod families;
mod manifest;
mod manifest_checks;
mod preflight;
mod process;
mod runner;
mod saved_run;
mod source;
mod usage;

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use usage::UsageError;

#[derive(Parser)]
#[command(
    name = "genbench",
    version = concat!(
        env!("CARGO_PKG_VERSION"),
        " (commit ",
        env!("GENBENCH_BUILD_COMMIT"),
        ", code ",
        env!("GENBENCH_BUILD_CODE"),
        ")"
    ),
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

// Parsed once per process: the size of the largest arguments does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Train and score every run of a manifest; finished runs are skipped.
    ///
    /// Results go to the manifest's output folder (default results/<name>/): runs/<run-id>/
    /// holds config.json, train.csv, metrics.csv and samples; summary.csv has one row per run.
    Run(commands::run::RunArgs),
    /// Print the run ids of a manifest, one per line, without running anything; with
    /// `--shards N`, each shard's runs and estimated minutes (see `genbench plan --help`).
    Plan(commands::plan::PlanArgs),
    /// Score a finished run again (its folder must hold a checkpoint: `keep_checkpoint = true`).
    ///
    /// Rebuilds the model from RUN_DIR/config.json with any --set overrides, loads
    /// RUN_DIR/checkpoint, prints the metrics and writes them to RUN_DIR/rescore.json (--out).
    /// Sampling-time keys can change without retraining, e.g. a conditional diffusion model's
    /// guidance sweep:
    ///
    ///   genbench eval RUN_DIR --set guidance_sweep=[0,1,2,4] --variants
    Eval(commands::eval::EvalArgs),
    /// Draw samples from a finished run's checkpoint into an image grid or a CSV.
    ///
    /// Images: the first 100 as a 10-column grid, so with the classes in turn each column is
    /// one class. Compare classifier-free guidance scales of a conditional diffusion model
    /// (0 = unconditional, 1 = conditional, >1 = guided):
    ///
    ///   genbench sample RUN_DIR --set guidance_scale=0 --out w0.png
    ///
    ///   genbench sample RUN_DIR --set guidance_scale=3 --out w3.png
    Sample(commands::sample::SampleArgs),
    /// Draw REPORT.md and plots/ of an experiment folder from its CSVs alone.
    ///
    /// Reads DIR/summary.csv (rebuilt first from DIR/runs/*/result.json, so shard folders
    /// copied together merge) and the runs' CSVs and images; writes DIR/REPORT.md and
    /// DIR/plots/*.png|svg. `genbench run` calls this at the end. DIR may also be a manifest:
    /// its output folder is drawn (the last job of a Slurm array: scripts/slurm/).
    Report(commands::report::ReportArgs),
    /// Score samples (and likelihoods) of a model trained anywhere with the evaluator of a
    /// genbench run, as a run of family `external` in an experiment folder.
    ///
    /// Same feature network (same cache key), test examples, sample count and KID seed as the
    /// experiment's own runs, so `genbench report` puts the model in every table and plot:
    ///
    ///   genbench export-split --manifest experiments/quick.toml --dataset digits --out split
    ///
    ///   genbench score --manifest experiments/quick.toml --dataset digits --samples s.npy --name mine
    Score(commands::score::ScoreArgs),
    /// Write the splits a run trains and tests on as .npy (with labels and the split's
    /// fingerprint), so a model trained elsewhere sees the very same examples.
    ExportSplit(commands::export_split::ExportSplitArgs),
    /// List the datasets (shapes, sizes, true entropies) and the model families.
    List,
    /// Time each family's canonical workloads: training steps, sampling and likelihood.
    ///
    /// The workloads are defined in one file (default experiments/bench.toml), which
    /// scripts/torch_reference.py reads too, so the PyTorch replicas time the same work. Each
    /// model is built and initialised as `genbench run` builds it, then every workload runs
    /// `warmup` untimed and `reps` timed repetitions of the same calls the runner makes
    /// (`train_step`, `sample`, `log_likelihood`). One CSV row per workload on stdout:
    /// workload, kind (train/sample/likelihood), unit (samples/s: training examples, samples or
    /// test examples per second), median/min/max over the repetitions, reps, items per
    /// repetition, parameters, threads (RAYON_NUM_THREADS), backend and commit.
    ///
    ///   genbench bench --list                          # parameter count of each workload
    ///
    ///   genbench bench --only pixelcnn-digits --reps 5 --out pixelcnn.csv
    ///
    ///   python3 scripts/bench_compare.py               # against PyTorch, ratios in results/bench/
    ///
    /// The machine should be otherwise idle; on a shared one alternate the sides and compare
    /// medians (what scripts/bench_compare.py does).
    Bench(commands::bench::BenchArgs),
    /// Fréchet distance between two CSV feature files (rows = samples, columns = features,
    /// optional header line). Prints one number.
    Fd(commands::fd::FdArgs),
    /// Kernel inception distance (unbiased MMD², cubic polynomial kernel) between two CSV
    /// feature files. Prints mean and std over random subsets.
    Kid(commands::kid::KidArgs),
}

fn main() -> ExitCode {
    process::keep_freed_memory();
    process::die_quietly_on_closed_stdout();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return command_line_error(e),
    };
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

/// `--help` and `--version` print as clap draws them; a bad command line is one `error:` line
/// (clap's first, with where to look) and exit code 2.
fn command_line_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
    }
    let text = e.kind().as_str().map(str::to_string).unwrap_or_default();
    let rendered = e.render().to_string();
    let first = rendered
        .lines()
        .next()
        .map(|l| l.trim_start_matches("error: ").to_string())
        .unwrap_or(text);
    eprintln!("error: {first} (see `genbench --help`)");
    ExitCode::from(2)
}

/// The subcommand's `run`.
fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => commands::run::run(args),
        Command::Plan(args) => commands::plan::run(args),
        Command::Eval(args) => commands::eval::run(args),
        Command::Sample(args) => commands::sample::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Score(args) => commands::score::run(args),
        Command::ExportSplit(args) => commands::export_split::run(args),
        Command::List => commands::list::run(),
        Command::Bench(args) => commands::bench::run(args),
        Command::Fd(args) => commands::fd::run(args),
        Command::Kid(args) => commands::kid::run(args),
    }
}

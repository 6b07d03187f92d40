//! `genbench score`: a model trained anywhere, scored beside the families (see external.rs).

use super::data_args::DataArgs;
use crate::external::{self, LikelihoodFile, ModelCard, ScoreRequest};
use crate::usage::UsageError;
use clap::Args;
use genbench_core::{DeviceChoice, LikelihoodKind};
use genbench_dataset::external::Scale;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct ScoreArgs {
    /// The samples: .npy, .npz (array `samples`, optional `labels`), .csv/.txt (one sample a
    /// row; a header may name a `label` column) or a folder of .png files (sorted by name).
    /// Images as [n, C, H, W], [n, H, W] or [n, H*W].
    #[arg(long, value_name = "FILE|DIR")]
    samples: PathBuf,
    /// The model's name in the tables (run id <name>--<dataset>--s<seed>).
    #[arg(long)]
    name: String,
    #[command(flatten)]
    data: DataArgs,
    /// The experiment folder the run goes into (default: the manifest's output).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Image values: `levels` (integers 0..L-1) or `unit` (floats in [0, 1], mapped to
    /// round(v (L-1))). Default: levels for integer arrays, unit for PNG; floats must say.
    #[arg(long, value_name = "S")]
    scale: Option<Scale>,
    /// The class each sample was drawn for (conditional models): .npy, .csv or .txt.
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// Per-example log p(x) in nats on the test set, in the order of export-split's test.npy
    /// (.npy, .csv or .txt). Needs --kind and --split-fingerprint.
    #[arg(long, value_name = "FILE", requires_all = ["kind", "split_fingerprint"])]
    log_likelihood: Option<PathBuf>,
    /// What the log-likelihood is: exact, dequantized, elbo, iwae-K, vlb-T.
    #[arg(long, value_name = "K", value_parser = parse_kind, requires = "log_likelihood")]
    kind: Option<LikelihoodKind>,
    /// The split_fingerprint of export-split's split.json the likelihoods were computed on.
    #[arg(long, value_name = "HEX", requires = "log_likelihood")]
    split_fingerprint: Option<String>,
    /// The family column (default `external`).
    #[arg(long, default_value = genbench_core::results::schema::FAMILY_EXTERNAL)]
    family: String,
    /// The architecture column, e.g. "mixture of 30 categoricals (numpy)".
    #[arg(long, default_value = "external")]
    arch: String,
    /// The paper the model comes from.
    #[arg(long, default_value = "")]
    paper: String,
    /// That paper's year.
    #[arg(long)]
    year: Option<u16>,
    /// Cost: trainable parameters.
    #[arg(long)]
    params: Option<usize>,
    /// Cost: seconds of training.
    #[arg(long, value_name = "S")]
    train_seconds: Option<f64>,
    /// Cost: network evaluations per sample.
    #[arg(long, value_name = "E")]
    evals_per_sample: Option<f64>,
    /// Cost: samples drawn per second.
    #[arg(long, value_name = "R")]
    samples_per_second: Option<f64>,
    /// Seed of the evaluation (KID's subsets): a genbench run with master seed S uses S.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Replace a run folder of the same id.
    #[arg(long)]
    force: bool,
    /// Backend of the feature network: flex (default), ndarray, cuda.
    #[arg(long, value_name = "D")]
    device: Option<DeviceChoice>,
}

fn parse_kind(s: &str) -> Result<LikelihoodKind, String> {
    LikelihoodKind::parse(s)
        .ok_or_else(|| format!("`{s}`: use exact, dequantized, elbo, iwae-K or vlb-T"))
}

pub fn run(args: ScoreArgs) -> anyhow::Result<ExitCode> {
    let req = request(args)?;
    let checked = external::check(&req)?;
    let row = external::score(&req, checked)?.row()?;
    super::report::draw(&req.experiment_dir)?;
    let g = |k: &str| row.get(k).filter(|v| !v.is_empty()).unwrap_or("-");
    eprintln!(
        "{}: nll({}) {} bpd / {} nats, fd {} (n {}), kid {}, precision {}, recall {}",
        req.run_id(),
        g("nll_kind"),
        g("nll_bpd"),
        g("nll_nats"),
        g("fd"),
        g("fd_n"),
        g("kid"),
        g("precision"),
        g("recall")
    );
    println!("{}", req.run_dir().display());
    Ok(ExitCode::SUCCESS)
}

/// The request from the arguments: data, [eval] and folder from [`DataArgs::resolve`].
fn request(args: ScoreArgs) -> Result<ScoreRequest, UsageError> {
    let resolved = args.data.resolve(args.out.as_deref(), args.device)?;
    let likelihood = match (args.log_likelihood, args.kind, args.split_fingerprint) {
        (Some(path), Some(kind), Some(split_fingerprint)) => Some(LikelihoodFile {
            path,
            kind,
            split_fingerprint,
        }),
        _ => None,
    };
    Ok(ScoreRequest {
        data: resolved.data,
        eval: resolved.eval,
        experiment_dir: resolved.output.ok_or_else(|| {
            UsageError::new("--out DIR: the experiment folder to write into (or give --manifest)")
        })?,
        experiment: resolved.experiment,
        samples: args.samples,
        scale: args.scale,
        labels: args.labels,
        likelihood,
        model: ModelCard {
            name: args.name,
            family: args.family,
            arch: args.arch,
            paper: args.paper,
            year: args.year,
            params: args.params,
            train_seconds: args.train_seconds,
            evals_per_sample: args.evals_per_sample,
            samples_per_second: args.samples_per_second,
        },
        seed: args.seed,
        force: args.force,
        device: resolved.device,
    })
}

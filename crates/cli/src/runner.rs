//! `genbench run`: every run of a plan through the one loop and the one evaluator.

use crate::manifest::{Plan, RunSpec};
use crate::usage::UsageError;
use crate::{families, features, score};
use anyhow::Context;
use genbench_core::results::{self, Row};
use genbench_core::{BuildContext, Seeds, TrainPlan, fsutil, grid, train};
use genbench_dataset::Dataset;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub force: bool,
    /// `(i, n)`: run the runs whose index is i-1 modulo n (1-based i).
    pub shard: Option<(usize, usize)>,
    pub only: Option<String>,
    pub show_progress: bool,
}

/// What happened to the selected runs.
#[derive(Debug, Default)]
pub struct RunReport {
    pub ran: usize,
    pub skipped: usize,
    pub failed: Vec<(String, String)>,
}

/// The runs of `plan` that `opts` selects, in plan order.
pub fn select<'a>(plan: &'a Plan, opts: &RunOptions) -> Result<Vec<&'a RunSpec>, UsageError> {
    let mut runs: Vec<&RunSpec> = plan.runs.iter().collect();
    if let Some((i, n)) = opts.shard {
        runs = runs
            .into_iter()
            .enumerate()
            .filter(|(k, _)| k % n == i - 1)
            .map(|(_, r)| r)
            .collect();
    }
    if let Some(id) = &opts.only {
        runs.retain(|r| &r.id == id);
        if runs.is_empty() {
            return Err(UsageError::new(format!(
                "--only {id}: no such run in {} (see `genbench plan`)",
                plan.path.display()
            )));
        }
    }
    Ok(runs)
}

/// Load every dataset the selected runs need (before anything is written).
pub fn load_datasets(
    manifest: &Path,
    runs: &[&RunSpec],
) -> Result<BTreeMap<String, Dataset>, UsageError> {
    let mut out = BTreeMap::new();
    for run in runs {
        if !out.contains_key(&run.data.name) {
            let data = genbench_dataset::load(&run.data).map_err(|e| {
                UsageError::new(format!(
                    "{}: dataset `{}`: {e}",
                    manifest.display(),
                    run.data.name
                ))
            })?;
            out.insert(run.data.name.clone(), data);
        }
    }
    Ok(out)
}

pub fn run_plan(plan: &Plan, opts: &RunOptions) -> anyhow::Result<RunReport> {
    let runs = select(plan, opts)?;
    let datasets = load_datasets(&plan.path, &runs)?;
    fsutil::write_atomic(&plan.output.join("manifest.toml"), plan.text.as_bytes())?;
    let provenance = Provenance::detect(plan);
    let device = plan.device.device()?;
    let mut nets = BTreeMap::new();
    for (name, data) in &datasets {
        nets.insert(
            name.clone(),
            features::for_dataset(data, &plan.output, &device, opts.show_progress)?,
        );
    }
    let mut report = RunReport::default();
    for (k, run) in runs.iter().enumerate() {
        let dir = plan.output.join("runs").join(&run.id);
        if dir.join("result.json").exists() && !opts.force {
            eprintln!(
                "[{}/{}] {}: done already (use --force to rerun)",
                k + 1,
                runs.len(),
                run.id
            );
            report.skipped += 1;
            continue;
        }
        if opts.force && dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        eprintln!("[{}/{}] {}", k + 1, runs.len(), run.id);
        let reference = score::Reference {
            data: &datasets[&run.data.name],
            features: nets[&run.data.name]
                .as_ref()
                .map(|n| n as &dyn score::FeatureSpace),
        };
        match execute(plan, run, &reference, &dir, &provenance, opts) {
            Ok(row) => {
                eprintln!("    {}", one_line(&row));
                report.ran += 1;
            }
            Err(e) => {
                eprintln!("    failed: {e:#}");
                report.failed.push((run.id.clone(), format!("{e:#}")));
            }
        }
    }
    let rows = results::write_summary(&plan.output)?;
    eprintln!(
        "{}: {} rows",
        plan.output.join("summary.csv").display(),
        rows
    );
    Ok(report)
}

/// Where the numbers came from: the code's commit, the backend and its threads.
pub struct Provenance {
    pub commit: String,
    pub backend: String,
    pub threads: usize,
}

impl Provenance {
    pub fn detect(plan: &Plan) -> Self {
        Self {
            commit: git_commit(),
            backend: plan.device.to_string(),
            threads: genbench_core::device::cpu_threads(),
        }
    }
}

/// `git describe`-like id of the checkout: the commit, with `-dirty` when tracked source files
/// (outside results/) differ from it; `unknown` outside a git checkout.
fn git_commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    let Some(head) = git(&["rev-parse", "--short=12", "HEAD"]) else {
        return "unknown".into();
    };
    let mut commit = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let clean = std::process::Command::new("git")
        .args(["diff", "--quiet", "HEAD", "--", ".", ":(exclude)results"])
        .status()
        .map(|s| s.success())
        .unwrap_or(true);
    if !clean {
        commit.push_str("-dirty");
    }
    commit
}

fn execute(
    plan: &Plan,
    run: &RunSpec,
    reference: &score::Reference,
    dir: &Path,
    prov: &Provenance,
    opts: &RunOptions,
) -> anyhow::Result<Row> {
    let wall = Instant::now();
    let data = reference.data;
    let seeds = Seeds::new(run.seed);
    let device = plan.device.device()?;
    device.seed(seeds.stream("init"));
    let ctx = BuildContext {
        spec: data.spec.clone(),
        device,
        seeds,
        learning_rate: *run.model.learning_rate.get_ref(),
        conditional: run.model.conditional,
    };
    let family = families::find(run.model.family.get_ref()).expect("validated");
    let (config_json, mut model) = (family.build)(run.model.config.get_ref().clone(), &ctx)?;
    let info = model.info();
    fsutil::write_json(
        &dir.join("config.json"),
        &serde_json::json!({
            "run_id": run.id, "experiment": plan.name, "model": run.model.name, "family": info.family,
            "arch": info.arch, "dataset": run.data, "seed": run.seed, "budget": run.budget,
            "batch_size": if run.batch_size == usize::MAX { "full".to_string() } else { run.batch_size.to_string() },
            "learning_rate": ctx.learning_rate, "conditional": run.model.conditional, "config": config_json,
            "eval": plan.eval, "backend": prov.backend, "threads": prov.threads, "commit": prov.commit,
        }),
    )?;

    let eval_set = data.test.head(plan.eval.eval_examples);
    let mut periodic: Vec<Row> = Vec::new();
    let mut on_eval =
        |m: &mut dyn genbench_core::GenerativeModel, step: u64, secs: f64| -> anyhow::Result<()> {
            let mut r = Row::default();
            r.set("step", step);
            r.set_f("train_seconds", Some(secs));
            let ll = m.log_likelihood(&eval_set, seeds.stream("eval"))?;
            r.set("nll_kind", ll.kind);
            r.set_f("nll_nats", ll.mean_nll_nats());
            r.set_f(
                "nll_bpd",
                if data.spec.is_discrete() {
                    ll.mean_nll_bpd(data.spec.dim())
                } else {
                    None
                },
            );
            r.set("nll_n", eval_set.len());
            periodic.push(r);
            Ok(())
        };
    let log_every = match run.budget {
        genbench_core::Budget::Steps(n) => (n / 200).max(1),
        genbench_core::Budget::Seconds(_) => 10,
    };
    let train_plan = TrainPlan {
        budget: run.budget,
        batch_size: run.batch_size,
        eval_every: plan.eval.eval_every,
        checkpoint_every: plan.eval.checkpoint_every,
        log_every,
        shuffle_seed: seeds.stream("shuffle"),
        run_dir: dir.to_path_buf(),
        label: run.id.clone(),
        show_progress: opts.show_progress,
    };
    let outcome = train(model.as_mut(), &data.train, &train_plan, &mut on_eval)?;

    let mut row = Row::default();
    for (k, v) in [
        ("run_id", run.id.clone()),
        ("experiment", plan.name.clone()),
        ("family", info.family.to_string()),
        ("model", run.model.name.clone()),
        ("arch", info.arch.clone()),
        ("paper", info.paper.to_string()),
        ("year", info.year.to_string()),
        ("dataset", run.data.name.clone()),
        ("seed", run.seed.to_string()),
        ("conditional", model.is_conditional().to_string()),
    ] {
        row.set(k, v);
    }
    row.set(
        "status",
        if outcome.diverged_at.is_some() {
            "diverged"
        } else {
            "ok"
        },
    );
    row.set(
        "diverged_at",
        outcome
            .diverged_at
            .map(|s| s.to_string())
            .unwrap_or_default(),
    );
    row.set("steps", outcome.steps);
    row.set_f("train_seconds", Some(outcome.train_seconds));
    row.set("backend", &prov.backend);
    row.set("threads", prov.threads);
    row.set("commit", &prov.commit);
    row.set("params", model.num_params());
    row.set("preprocessing", &data.preprocessing);
    row.set_f("final_train_loss", Some(outcome.final_loss));

    if outcome.diverged_at.is_none() {
        score::likelihood(
            model.as_mut(),
            data,
            plan.eval.likelihood_examples,
            seeds.stream("eval"),
            &mut row,
        )?;
        let fake = score::samples(
            model.as_mut(),
            reference,
            None,
            &plan.eval,
            &seeds,
            &mut row,
        )?;
        save_samples(&fake, data, &dir.join(samples_file(data)))?;
        let variants = score::variants(model.as_mut(), reference, &plan.eval, &seeds)?;
        if !variants.is_empty() {
            results::write_rows(&dir.join("variants.csv"), &variants)?;
        }
        let artifacts = dir.join("artifacts");
        model.write_artifacts(&data.test.head(16), &artifacts, seeds.stream("eval"))?;
        if row.get("nll_kind") == Some("exact") && !model.is_conditional() {
            write_density_grid(
                model.as_mut(),
                data,
                &artifacts.join("model_density.csv"),
                seeds.stream("eval"),
            )?;
        }
    } else {
        row.set("nll_kind", "diverged");
    }
    if plan.eval.keep_checkpoint {
        let ckpt = dir.join("checkpoint");
        std::fs::create_dir_all(&ckpt)?;
        model.save(&ckpt)?;
    } else if dir.join("checkpoint").exists() {
        std::fs::remove_dir_all(dir.join("checkpoint"))?;
    }
    row.set_f("wall_seconds", Some(wall.elapsed().as_secs_f64()));

    let mut final_metrics = Row::default();
    final_metrics.set("step", outcome.steps);
    final_metrics.set_f("train_seconds", Some(outcome.train_seconds));
    for (k, v) in &row.0 {
        if !matches!(
            k.as_str(),
            "run_id"
                | "experiment"
                | "family"
                | "model"
                | "arch"
                | "paper"
                | "year"
                | "dataset"
                | "seed"
                | "backend"
                | "threads"
                | "commit"
                | "preprocessing"
                | "steps"
                | "train_seconds"
        ) {
            final_metrics.set(k, v);
        }
    }
    periodic.push(final_metrics);
    results::write_rows(&dir.join("metrics.csv"), &periodic)?;
    row.save(&dir.join("result.json"))?;
    Ok(row)
}

/// The samples file of a run folder: an image grid, or a CSV of coordinates.
fn samples_file(data: &Dataset) -> &'static str {
    if data.spec.is_image() {
        "samples.png"
    } else {
        "samples.csv"
    }
}

/// Samples to `path`: `.png` draws the first 100 images as a 10-column grid; anything else is a
/// CSV with one row per sample (`x0..x{d-1}`, then `label` for a conditional model).
pub(crate) fn save_samples(
    fake: &genbench_core::Batch,
    data: &Dataset,
    path: &Path,
) -> anyhow::Result<()> {
    if path.extension().is_some_and(|e| e == "png") {
        let scale = (64 / data.spec.shape[2]).max(2);
        grid::save_image_grid(&fake.head(100), &data.spec, 10, scale, path)
    } else {
        let header: Vec<String> = (0..fake.dim)
            .map(|i| format!("x{i}"))
            .chain(fake.has_labels().then(|| "label".to_string()))
            .collect();
        let rows: Vec<Vec<String>> = (0..fake.len())
            .map(|i| {
                fake.row(i)
                    .iter()
                    .map(|v| v.to_string())
                    .chain(fake.labels.get(i).map(|l| l.to_string()))
                    .collect()
            })
            .collect();
        fsutil::write_csv(path, &header, &rows)
    }
}

/// The model's own log-density on a 64 x 64 grid over the true density's bounds (2-D models
/// with an exact likelihood), for the report's contour panels.
fn write_density_grid(
    model: &mut dyn genbench_core::GenerativeModel,
    data: &Dataset,
    path: &Path,
    seed: u64,
) -> anyhow::Result<()> {
    let Some(density) = &data.density else {
        return Ok(());
    };
    const SIDE: usize = 64;
    let (lo, hi) = density.bounds();
    let at = |i: usize, d: usize| lo[d] + (hi[d] - lo[d]) * (i as f64 + 0.5) / SIDE as f64;
    let points: Vec<f32> = (0..SIDE * SIDE)
        .flat_map(|k| [at(k % SIDE, 0) as f32, at(k / SIDE, 1) as f32])
        .collect();
    let grid = genbench_core::Batch::new(points, Vec::new(), 2);
    let ll = model.log_likelihood(&grid, seed)?;
    let rows: Vec<Vec<String>> = (0..grid.len())
        .map(|i| {
            vec![
                grid.row(i)[0].to_string(),
                grid.row(i)[1].to_string(),
                ll.log_px_nats[i].to_string(),
            ]
        })
        .collect();
    fsutil::write_csv(path, &["x0".into(), "x1".into(), "logp".into()], &rows)
}

fn one_line(row: &Row) -> String {
    let g = |k: &str| row.get(k).unwrap_or("").to_string();
    let short = |k: &str| {
        row.get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .map(|v| format!("{v:.4}"))
            .unwrap_or_else(|| "-".into())
    };
    format!(
        "{}  nll({}) {} nats{}  fd {}  train {}s",
        g("status"),
        g("nll_kind"),
        short("nll_nats"),
        row.get("nll_bpd")
            .filter(|v| !v.is_empty())
            .map(|_| format!(" = {} bpd", short("nll_bpd")))
            .unwrap_or_default(),
        short("fd"),
        short("train_seconds")
    )
}

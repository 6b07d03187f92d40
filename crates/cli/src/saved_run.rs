//! Commands on a finished run: rebuild its model from RUN_DIR/config.json (optionally with
//! `--set KEY=VALUE` overrides of the family's config), load the weights the run scored
//! (RUN_DIR/best, the validation-best ones, else RUN_DIR/checkpoint), then score it
//! again (`genbench eval`) or draw samples (`genbench sample`).

use crate::usage::UsageError;
use crate::{families, runner};
use anyhow::Context;
use genbench_core::results::Row;
use genbench_core::results::schema::col;
use genbench_core::{BuildContext, DeviceChoice, GenerativeModel, Seeds};
use genbench_dataset::{DataConfig, Dataset};
use genbench_eval::{EvalOptions, Reference, score};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One `--set KEY=VALUE`: a key of the family's config and its new value (a TOML value; a bare
/// word that is not one is taken as a string, so `--set schedule=cosine` works unquoted).
#[derive(Clone, Debug)]
pub struct Override {
    pub key: String,
    pub value: toml::Value,
}

pub fn parse_override(s: &str) -> Result<Override, String> {
    let (key, value) = s
        .split_once('=')
        .ok_or("expected KEY=VALUE, e.g. guidance_scale=3")?;
    let key = key.trim();
    if key.is_empty() || key.contains(|c: char| c.is_whitespace() || c == '.') {
        return Err(format!(
            "`{key}` is not a config key (a bare name, e.g. guidance_scale)"
        ));
    }
    let value = toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    Ok(Override {
        key: key.to_string(),
        value,
    })
}

/// `guidance_scale=3 eta=0.5`, as recorded beside the numbers they produced.
fn describe(overrides: &[Override]) -> String {
    overrides
        .iter()
        .map(|o| format!("{}={}", o.key, o.value))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A finished run's model with its checkpoint loaded, and what it was trained and scored on.
pub struct SavedRun {
    pub run_id: String,
    pub model: Box<dyn GenerativeModel>,
    pub data: Dataset,
    pub seeds: Seeds,
    pub eval: EvalOptions,
    pub ctx: BuildContext,
}

pub fn open(
    run_dir: &Path,
    device: Option<DeviceChoice>,
    overrides: &[Override],
) -> anyhow::Result<SavedRun> {
    let config_path = run_dir.join("config.json");
    let config: serde_json::Value = read_config(&config_path)?;
    let checkpoint = run_dir.join("checkpoint");
    if !checkpoint.exists() {
        return Err(UsageError::new(format!(
            "{}: no checkpoint; set `keep_checkpoint = true` under [eval] in the manifest and rerun with --force",
            run_dir.display()
        ))
        .into());
    }
    let field = |k: &str| {
        config
            .get(k)
            .with_context(|| format!("{}: missing `{k}`", config_path.display()))
    };
    let family_name = field("family")?.as_str().unwrap_or_default().to_string();
    let family = families::find(&family_name).ok_or_else(|| {
        UsageError::new(format!(
            "unknown family `{family_name}` in {}",
            config_path.display()
        ))
    })?;
    let data_config: DataConfig = serde_json::from_value(field("dataset")?.clone())?;
    let eval: EvalOptions = serde_json::from_value(field("eval")?.clone())?;
    let seed = field("seed")?.as_u64().unwrap_or(0);
    let device = match device {
        Some(d) => d,
        None => field("backend")?
            .as_str()
            .unwrap_or("flex")
            .parse()
            .map_err(|e: String| anyhow::anyhow!(e))?,
    };
    let data = genbench_dataset::load(&data_config)
        .map_err(|e| UsageError::new(format!("dataset `{}`: {e}", data_config.name)))?;
    let seeds = Seeds::new(seed);
    let ctx = BuildContext::new(
        data.spec.clone(),
        device.device()?,
        seeds,
        field("learning_rate")?.as_f64().unwrap_or(1e-3),
        field("conditional")?.as_bool().unwrap_or(false),
    );
    let mut family_config: toml::Table =
        serde_json::from_value(strip_nulls(field("config")?.clone()))?;
    for o in overrides {
        family_config.insert(o.key.clone(), o.value.clone());
    }
    let (_, mut model) = (family.build)(family_config, &ctx).map_err(|e| {
        if overrides.is_empty() {
            e
        } else {
            UsageError::new(format!(
                "{family_name} config with --set {}: {e:#}",
                describe(overrides)
            ))
            .into()
        }
    })?;
    // The weights the run scored: the validation-best ones when the run kept them.
    let best = genbench_core::selection::best_dir(run_dir);
    let checkpoint = if best.join(genbench_core::checkpoint::STATE_FILE).is_file() {
        best
    } else {
        checkpoint
    };
    if let Err(e) = model.load(&checkpoint) {
        let context = format!("loading {}", checkpoint.display());
        if overrides.is_empty() {
            return Err(e.context(context));
        }
        let cause: String = format!("{e:#}").chars().take(300).collect();
        return Err(UsageError::new(format!(
            "{context}: the checkpoint does not fit the config with --set {}; only keys that \
             leave the network's shape alone can change after training ({cause}…)",
            describe(overrides)
        ))
        .into());
    }
    Ok(SavedRun {
        run_id: field("run_id")?.as_str().unwrap_or_default().to_string(),
        model,
        data,
        seeds,
        eval,
        ctx,
    })
}

fn read_config(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        UsageError::new(format!(
            "{}: cannot read ({e}); RUN_DIR is a folder under results/<experiment>/runs/",
            path.display()
        ))
    })?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// What `genbench eval` asks for beyond the run folder.
pub struct EvalRequest<'a> {
    pub device: Option<DeviceChoice>,
    pub overrides: &'a [Override],
    /// Also score every sampler variant of the (overridden) config.
    pub variants: bool,
    /// Samples per metric (default: the run's `[eval] samples`).
    pub samples: Option<usize>,
    pub out: PathBuf,
}

/// Score the run again: the likelihood and the default sampler in one row, then (if asked)
/// one row per sampler variant. Writes `req.out` (JSON, the first row) and, with variants, the
/// same path with `.variants.csv`.
pub fn rescore(run_dir: &Path, req: &EvalRequest) -> anyhow::Result<Vec<Row>> {
    let mut run = open(run_dir, req.device, req.overrides)?;
    if let Some(n) = req.samples {
        run.eval.samples = n;
    }
    let experiment_dir = run_dir
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    let net = genbench_eval::feature_net(&run.data, experiment_dir, &run.ctx.device)?;
    let reference = Reference::new(&run.data, net.as_ref());
    let mut row = Row::default();
    row.set(col::RUN_ID, &run.run_id);
    row.set(col::OVERRIDES, describe(req.overrides));
    score::likelihood(
        run.model.as_mut(),
        &run.data,
        run.eval.likelihood_examples,
        run.seeds.stream("eval"),
        &mut row,
    )?;
    score::samples_unless_diverged(
        run.model.as_mut(),
        &reference,
        None,
        &run.eval,
        &run.seeds,
        &mut row,
    )?;
    row.save(&req.out)?;
    let mut rows = vec![row];
    if req.variants {
        let variants = score::variants(run.model.as_mut(), &reference, &run.eval, &run.seeds)?;
        if !variants.is_empty() {
            genbench_core::results::write_rows(&req.out.with_extension("variants.csv"), &variants)?;
        }
        rows.extend(variants);
    }
    Ok(rows)
}

/// What `genbench sample` asks for beyond the run folder.
pub struct SampleRequest<'a> {
    pub device: Option<DeviceChoice>,
    pub overrides: &'a [Override],
    pub n: usize,
    /// Every sample of this class (conditional models); default: the classes in turn.
    pub label: Option<usize>,
    /// Default: the run's own evaluation seed, so `sample` redraws the run's samples.
    pub seed: Option<u64>,
    /// `.png` (image grid) or `.csv`; default RUN_DIR/sample.png or RUN_DIR/sample.csv.
    pub out: Option<PathBuf>,
}

/// Draw samples from the run's model and write them; returns the path and the seconds taken.
pub fn sample(run_dir: &Path, req: &SampleRequest) -> anyhow::Result<(PathBuf, f64)> {
    if req.n == 0 {
        return Err(UsageError::new("-n 0: ask for at least one sample").into());
    }
    let mut run = open(run_dir, req.device, req.overrides)?;
    let classes = run.data.spec.num_classes;
    let labels: Option<Vec<usize>> = match (run.model.is_conditional(), req.label) {
        (false, Some(_)) => {
            return Err(UsageError::new(format!(
                "--label: {} is not a conditional model",
                run.run_id
            ))
            .into());
        }
        (true, Some(l)) if l >= classes => {
            return Err(UsageError::new(format!(
                "--label {l}: {} has classes 0..{}",
                run.data.spec.name,
                classes.saturating_sub(1)
            ))
            .into());
        }
        (true, Some(l)) => Some(vec![l; req.n]),
        (_, None) => score::cycled_labels(run.model.as_ref(), &run.data, req.n),
    };
    let out = req.out.clone().unwrap_or_else(|| {
        run_dir.join(if run.data.spec.is_image() {
            "sample.png"
        } else {
            "sample.csv"
        })
    });
    let image = run.data.spec.is_image();
    match out.extension().and_then(|e| e.to_str()) {
        Some("png") | None if image => {}
        Some("csv" | "npy") => {}
        _ => {
            return Err(UsageError::new(format!(
                "--out {}: write .npy, .csv{}",
                out.display(),
                if image {
                    ", .png (a grid of the first 100) or DIR/ (one PNG per sample)"
                } else {
                    ""
                }
            ))
            .into());
        }
    }
    let seed = req.seed.unwrap_or_else(|| run.seeds.stream("eval"));
    let started = Instant::now();
    let fake = run.model.sample(req.n, labels.as_deref(), seed)?;
    let seconds = started.elapsed().as_secs_f64();
    runner::save_samples(&fake, &run.data, &out)?;
    Ok((out, seconds))
}

/// TOML has no null: drop null entries (serde's `None`) so the family's defaults apply.
fn strip_nulls(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(strip_nulls).collect())
        }
        other => other,
    }
}

//! `genbench eval RUN_DIR`: rebuild a finished run's model from its config.json, load its
//! checkpoint, and score it again with the current evaluator.

use crate::manifest::EvalOptions;
use crate::results::Row;
use crate::usage::UsageError;
use crate::{families, features, score};
use anyhow::Context;
use genbench_core::{BuildContext, DeviceChoice, Seeds};
use genbench_dataset::DataConfig;
use std::path::Path;

pub fn rescore(
    run_dir: &Path,
    device: Option<DeviceChoice>,
    show_progress: bool,
) -> anyhow::Result<Row> {
    let config_path = run_dir.join("config.json");
    let text = std::fs::read_to_string(&config_path).map_err(|e| {
        UsageError::new(format!(
            "{}: cannot read ({e}); RUN_DIR is a folder under results/<experiment>/runs/",
            config_path.display()
        ))
    })?;
    let config: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("parsing {}", config_path.display()))?;
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
    let ctx = BuildContext {
        spec: data.spec.clone(),
        device: device.device()?,
        seeds,
        learning_rate: field("learning_rate")?.as_f64().unwrap_or(1e-3),
        conditional: field("conditional")?.as_bool().unwrap_or(false),
    };
    let family_config: toml::Table = serde_json::from_value(strip_nulls(field("config")?.clone()))?;
    let (_, mut model) = (family.build)(family_config, &ctx)?;
    model
        .load(&checkpoint)
        .with_context(|| format!("loading {}", checkpoint.display()))?;

    let experiment_dir = run_dir
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    let net = features::for_dataset(&data, experiment_dir, &ctx.device, show_progress)?;
    let reference = score::Reference {
        data: &data,
        features: net.as_ref().map(|n| n as &dyn score::FeatureSpace),
    };
    let mut row = Row::default();
    row.set("run_id", field("run_id")?.as_str().unwrap_or_default());
    score::likelihood(
        model.as_mut(),
        &data,
        eval.likelihood_examples,
        seeds.stream("eval"),
        &mut row,
    )?;
    score::samples(model.as_mut(), &reference, None, &eval, &seeds, &mut row)?;
    row.save(&run_dir.join("rescore.json"))?;
    Ok(row)
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

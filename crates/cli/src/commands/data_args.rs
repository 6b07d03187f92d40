//! The dataset of `genbench score` and `genbench export-split`: a manifest's [[datasets]] table
//! or a dataset by name, with options on top, exactly as a run would load it.

use crate::manifest;
use crate::saved_run::{self, Override};
use crate::usage::UsageError;
use clap::Args;
use genbench_core::DeviceChoice;
use genbench_dataset::DataConfig;
use genbench_eval::EvalOptions;
use std::path::{Path, PathBuf};

#[derive(Args, Clone, Debug)]
pub struct DataArgs {
    /// Take the dataset table and [eval] from this manifest (default: OUT/manifest.toml when
    /// OUT is an experiment folder).
    #[arg(long, value_name = "M")]
    pub manifest: Option<PathBuf>,
    /// The dataset: a [[datasets]] name of the manifest, or any of `genbench list`.
    #[arg(long, value_name = "D")]
    pub dataset: Option<String>,
    /// A dataset option as in a manifest's [[datasets]] table, e.g. levels=4, binarize=true,
    /// split_seed=1, test_size=500. Repeatable.
    #[arg(long = "data", value_name = "KEY=VALUE", value_parser = saved_run::parse_override)]
    pub options: Vec<Override>,
}

/// What [`DataArgs::resolve`] found.
pub struct Resolved {
    pub data: DataConfig,
    /// The manifest's [eval] (defaults without one).
    pub eval: EvalOptions,
    /// The experiment folder: `out`, else the manifest's output.
    pub output: Option<PathBuf>,
    /// The manifest's name, else the folder's.
    pub experiment: String,
    pub device: DeviceChoice,
}

impl DataArgs {
    pub fn resolve(
        &self,
        out: Option<&Path>,
        device: Option<DeviceChoice>,
    ) -> Result<Resolved, UsageError> {
        let manifest_path = self
            .manifest
            .clone()
            .or_else(|| out.map(|o| o.join("manifest.toml")).filter(|p| p.is_file()));
        let folder_name = |dir: &Path| {
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "external".into())
        };
        let resolved = match &manifest_path {
            Some(path) => {
                let plan = manifest::load(path, device)?;
                let mut tables: Vec<&DataConfig> = Vec::new();
                for run in &plan.runs {
                    if !tables.iter().any(|d| d.name == run.data.name) {
                        tables.push(&run.data);
                    }
                }
                let names = tables
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                let data = match &self.dataset {
                    Some(name) => tables.iter().find(|d| &d.name == name).ok_or_else(|| {
                        UsageError::new(format!(
                            "--dataset {name}: {} has no such [[datasets]] table ({names})",
                            path.display()
                        ))
                    })?,
                    None if tables.len() == 1 => &tables[0],
                    None => {
                        return Err(UsageError::new(format!(
                            "--dataset: {} has several datasets ({names}); name one",
                            path.display()
                        )));
                    }
                };
                Resolved {
                    data: (*data).clone(),
                    eval: plan.eval.clone(),
                    output: Some(out.map_or_else(|| plan.output.clone(), Path::to_path_buf)),
                    experiment: plan.name.clone(),
                    device: plan.device,
                }
            }
            None => {
                let name = self.dataset.clone().ok_or_else(|| {
                    UsageError::new("--dataset: name the dataset (or give --manifest)")
                })?;
                Resolved {
                    data: DataConfig::new(name),
                    eval: EvalOptions::default(),
                    output: out.map(Path::to_path_buf),
                    experiment: out.map_or_else(|| "external".into(), folder_name),
                    device: device.unwrap_or_default(),
                }
            }
        };
        Ok(Resolved {
            data: with_options(resolved.data, &self.options)?,
            ..resolved
        })
    }
}

/// `--data KEY=VALUE` on top of a dataset table; an unknown key or a wrong type is named.
fn with_options(config: DataConfig, options: &[Override]) -> Result<DataConfig, UsageError> {
    if options.is_empty() {
        return Ok(config);
    }
    let mut table = toml::Table::try_from(&config)
        .map_err(|e| UsageError::new(format!("dataset `{}`: {e}", config.name)))?;
    for o in options {
        table.insert(o.key.clone(), o.value.clone());
    }
    toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| {
            let given: Vec<String> = options
                .iter()
                .map(|o| format!("{}={}", o.key, o.value))
                .collect();
            UsageError::new(
                format!("--data {}: {}", given.join(" "), e.message()).replace('\n', " "),
            )
        })
}

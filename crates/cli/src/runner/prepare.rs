//! What both ways of running a plan (one run after another, and `--jobs`) do before the first
//! run: the runs the options select, every run's settings checked against its folder, the
//! manifest's copy (the first write), and the image feature spaces.

use super::settings;
use crate::families;
use crate::manifest::{Plan, RunSpec};
use crate::usage::UsageError;
use genbench_core::{burn::prelude::Device, fsutil, results};
use genbench_dataset::Dataset;
use genbench_eval::FeatureNet;
use genbench_report::seeds;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub force: bool,
    /// `(i, n)`: run the runs whose index is i-1 modulo n (1-based i).
    pub shard: Option<(usize, usize)>,
    pub only: Option<String>,
    /// `--dataset`: only the runs on these datasets (empty: every dataset); applied before
    /// `shard`, so `--dataset D --shard I/N` splits D's runs.
    pub datasets: Vec<String>,
    pub show_progress: bool,
    /// `--max-memory` in bytes (else the machine's memory bounds each run's estimate).
    pub max_memory: Option<u64>,
}

/// The runs of `plan` that `opts` selects, in plan order.
pub fn select<'a>(plan: &'a Plan, opts: &RunOptions) -> Result<Vec<&'a RunSpec>, UsageError> {
    let mut runs: Vec<&RunSpec> = plan.runs.iter().collect();
    for name in &opts.datasets {
        if !runs.iter().any(|r| &r.data.name == name) {
            let mut known: Vec<&str> = plan.runs.iter().map(|r| r.data.name.as_str()).collect();
            known.sort_unstable();
            known.dedup();
            return Err(UsageError::new(format!(
                "--dataset {name}: no run of {} is on it; its datasets: {}",
                plan.path.display(),
                known.join(", ")
            )));
        }
    }
    if !opts.datasets.is_empty() {
        runs.retain(|r| opts.datasets.contains(&r.data.name));
    }
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

/// The first write: the manifest's copy in the output folder. An output folder that cannot be
/// written (read-only file system, no permission, a file in the way) is bad input, and nothing
/// has been written.
pub fn write_manifest(plan: &Plan) -> anyhow::Result<()> {
    use std::io::ErrorKind::*;
    let path = plan.output.join("manifest.toml");
    fsutil::write_atomic(&path, plan.text.as_bytes()).map_err(|e| {
        let io = e.chain().find_map(|c| c.downcast_ref::<std::io::Error>());
        match io.map(std::io::Error::kind) {
            Some(PermissionDenied | ReadOnlyFilesystem | NotADirectory | AlreadyExists) => {
                let key = if plan.output_given { "output" } else { "name" };
                let at = crate::source::KeyPath::root().key(key);
                let msg = format!(
                    "cannot write the results to {}: {}",
                    plan.output.display(),
                    io.map(std::string::ToString::to_string).unwrap_or_default()
                );
                plan.source().error(&at, msg).into()
            }
            _ => e,
        }
    })
}

/// The folder of `run`.
pub fn run_dir(plan: &Plan, run: &RunSpec) -> std::path::PathBuf {
    plan.output.join("runs").join(&run.id)
}

/// Every selected run's settings (its family config resolved), in `runs` order; unless
/// `--force`, an error naming the changed keys when a run's folder holds a result or a
/// checkpoint made under other settings. Reads only: called before the first write.
pub fn checked_settings(
    plan: &Plan,
    runs: &[&RunSpec],
    datasets: &BTreeMap<String, Dataset>,
    opts: &RunOptions,
) -> anyhow::Result<Vec<settings::RunSettings>> {
    let mut out = Vec::new();
    for run in runs {
        let family = families::find(run.model.family.get_ref()).expect("validated");
        let config = (family.resolve)(run.model.config.get_ref().clone())?;
        let s = settings::of_run(plan, run, &datasets[&run.data.name], config);
        if !opts.force
            && let Err(refusal) = settings::check(&run_dir(plan, run), &s)
        {
            let at = settings::manifest_key(run, refusal.key.as_deref().unwrap_or_default());
            let msg = format!("run `{}`: {}", run.id, refusal.message);
            return Err(plan.source().error(&at, msg).into());
        }
        if !opts.force {
            siblings_agree(plan, run, &s)?;
        }
        out.push(s);
    }
    Ok(out)
}

/// `Err` naming the changed keys when a finished seed of `run`'s model on its dataset ran other
/// settings than `s` (but for the seed and backend): the report summarises a model's seeds
/// together and would refuse them.
fn siblings_agree(plan: &Plan, run: &RunSpec, s: &settings::RunSettings) -> anyhow::Result<()> {
    let new = seeds::shared(&s.value);
    let siblings = plan.runs.iter().filter(|o| {
        o.seed != run.seed && o.model.name == run.model.name && o.data.name == run.data.name
    });
    for o in siblings {
        let dir = run_dir(plan, o);
        if results::finished(&dir).is_none() {
            continue;
        }
        let changes = seeds::departures(&dir, &new);
        let Some(first) = changes.first() else {
            continue;
        };
        let keys: Vec<String> = changes.iter().map(ToString::to_string).collect();
        let msg = format!(
            "run `{}`: seed {} of its model on {} (`{}`, finished) ran other settings: {}; the \
             seeds of a model are summarised together, so they must share every setting but the \
             seed and backend: rerun it under these ones (`--only {} --force`), give the \
             experiment another name or output, or --force this run regardless",
            run.id,
            o.seed,
            run.data.name,
            o.id,
            keys.join("; "),
            o.id
        );
        let at = settings::manifest_key(run, &first.key);
        return Err(plan.source().error(&at, msg).into());
    }
    Ok(())
}

/// The image feature space of each dataset (trained once, cached beside the experiment).
pub fn feature_nets(
    datasets: &BTreeMap<String, Dataset>,
    output: &Path,
    device: &Device,
) -> anyhow::Result<BTreeMap<String, Option<FeatureNet>>> {
    let mut nets = BTreeMap::new();
    for (name, data) in datasets {
        nets.insert(
            name.clone(),
            genbench_eval::feature_net(data, output, device)?,
        );
    }
    Ok(nets)
}

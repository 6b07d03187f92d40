//! Seeds of one model on one dataset are summarised together (a mean and its interval), so they
//! must have run the same settings but for their seed. [`shared`] is what they share;
//! [`disagreements`] lists the runs of an experiment that break it. `genbench run` refuses to
//! start a seed whose finished siblings ran other settings, and the report refuses to average
//! them: a budget, learning rate or data table changed between two sessions of a sharded
//! benchmark would otherwise become one number.

use crate::data::Run;
use crate::model::ModelRuns;
use genbench_core::settings::{Change, diff};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Keys of a run's settings its seeds need not share: the seed itself, and the backend (seeds
/// on two backends differ by rounding, which each run records).
const PER_SEED: [&str; 2] = ["seed", "backend"];

/// What every seed of one model on one dataset must share: a run's settings (config.json's
/// `settings`) without [`PER_SEED`].
pub fn shared(settings: &Value) -> Value {
    let mut out = settings.clone();
    if let Some(map) = out.as_object_mut() {
        for key in PER_SEED {
            map.remove(key);
        }
    }
    out
}

/// The shared settings of the run in `dir`; `None` when its config.json records none (a model
/// scored by `genbench score`, a run made before settings were recorded).
pub fn shared_in(dir: &Path) -> Option<Value> {
    crate::data::read_config(dir)?.get("settings").map(shared)
}

/// Where `new` (shared settings) departs from the finished run in `dir`: empty when they agree
/// or `dir` records no settings.
pub fn departures(dir: &Path, new: &Value) -> Vec<Change> {
    shared_in(dir).map_or_else(Vec::new, |old| diff(&old, new))
}

/// One line per run whose settings differ from its model's lowest seed that records settings on
/// the same dataset: the two run ids and the keys, old (that seed's) -> new.
pub fn disagreements(groups: &BTreeMap<String, Vec<ModelRuns>>) -> Vec<String> {
    let mut out = Vec::new();
    for model in groups.values().flatten() {
        let mut with_settings = model
            .runs
            .iter()
            .filter_map(|r| Some((r, shared_in(&r.dir)?)));
        let Some((first, reference)) = with_settings.next() else {
            continue;
        };
        for (run, settings) in with_settings {
            let changes = diff(&reference, &settings);
            if !changes.is_empty() {
                out.push(line(first, run, &changes));
            }
        }
    }
    out
}

fn line(first: &Run, run: &Run, changes: &[Change]) -> String {
    let keys: Vec<String> = changes.iter().map(ToString::to_string).collect();
    format!(
        "{} ran other settings than {}: {}",
        run.dir.file_name().unwrap_or_default().to_string_lossy(),
        first.dir.file_name().unwrap_or_default().to_string_lossy(),
        keys.join("; ")
    )
}

/// The error a report refuses with: one line per run of [`disagreements`].
#[derive(Debug)]
pub struct SeedsDisagree(pub Vec<String>);

impl std::fmt::Display for SeedsDisagree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the seeds of a model are summarised together, so they must share every setting but \
             the seed and backend; {}; rerun those runs under one manifest (`genbench run M \
             --only ID --force`) or move them to another experiment folder",
            self.0.join("; ")
        )
    }
}

impl std::error::Error for SeedsDisagree {}

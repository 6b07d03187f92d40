//! Sampler variants (runs/<id>/variants.csv): one row per (knob, value) per seed, summarised
//! over seeds like the main table.

use crate::model::ModelRuns;
use genbench_core::results::VARIANTS_FILE;
use genbench_core::results::schema::col;
use genbench_eval::stats::{SeedSummary, summarize};

/// One knob setting of one model: the knob's value and each requested column over seeds.
#[derive(Clone, Debug)]
pub struct VariantPoint {
    /// The knob's value.
    pub value: f64,
    /// Each requested column over the seeds, in the order asked.
    pub columns: Vec<SeedSummary>,
}

/// The settings of `knob` (e.g. `ddim_steps`, `guidance_scale`) of `model`, sorted by value,
/// each with `columns` summarised over the seeds whose variants.csv has that setting.
pub fn points(
    model: &ModelRuns,
    knob: &str,
    columns: &[&str],
) -> anyhow::Result<Vec<VariantPoint>> {
    // (value, per column: values over seeds)
    let mut acc: Vec<(f64, Vec<Vec<f64>>)> = Vec::new();
    for run in model.ok_runs() {
        let Some(table) = run.table(VARIANTS_FILE)? else {
            continue;
        };
        for i in 0..table.rows.len() {
            if table.get(i, col::KNOB) != Some(knob) {
                continue;
            }
            let Some(value) = table.num(i, col::VALUE) else {
                continue;
            };
            let slot = match acc.iter().position(|(v, _)| *v == value) {
                Some(p) => p,
                None => {
                    acc.push((value, vec![Vec::new(); columns.len()]));
                    acc.len() - 1
                }
            };
            for (c, name) in columns.iter().enumerate() {
                if let Some(x) = table.num(i, name) {
                    acc[slot].1[c].push(x);
                }
            }
        }
    }
    acc.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(acc
        .into_iter()
        .map(|(value, cols)| VariantPoint {
            value,
            columns: cols.iter().map(|v| summarize(v)).collect(),
        })
        .collect())
}

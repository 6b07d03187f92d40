//! Anytime curves: the rows of a run's metrics.csv that carry a `budget_fraction` (the
//! evaluations `[eval] anytime = true` makes at 1, 2, 5, … 100 % of the budget), summarised
//! over a model's seeds fraction by fraction.

use crate::model::ModelRuns;
use genbench_core::results::METRICS_FILE;
use genbench_core::results::schema::{SPLIT_VALIDATION, col};
use genbench_eval::stats::{SeedSummary, summarize};
use std::collections::BTreeMap;

/// One anytime evaluation of one run: a metrics.csv row with a budget fraction.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPoint {
    /// The largest fraction of the budget reached at this step.
    pub fraction: f64,
    /// The training step.
    pub step: f64,
    /// Seconds of training (train_step) until this step.
    pub seconds: f64,
    /// The NLL in the column asked for (bits/dim on images, nats on 2-D); `None` when the
    /// model has no likelihood.
    pub nll: Option<f64>,
    /// The Fréchet distance of samples against the evaluated examples.
    pub fd: Option<f64>,
    /// `validation`, or `test` for a run without a validation split.
    pub split: String,
    /// FD's sample counts, `real/generated`.
    pub fd_n: String,
}

/// The anytime rows of one run's metrics.csv, in step order; `None` without the file.
pub fn run_points(run: &crate::data::Run, nll_key: &str) -> anyhow::Result<Option<Vec<RunPoint>>> {
    let Some(table) = run.table(METRICS_FILE)? else {
        return Ok(None);
    };
    let mut points: Vec<RunPoint> = (0..table.rows.len())
        .filter_map(|i| {
            Some(RunPoint {
                fraction: table.num(i, col::BUDGET_FRACTION)?,
                step: table.num(i, col::STEP)?,
                seconds: table.num(i, col::TRAIN_SECONDS)?,
                nll: table.num(i, nll_key),
                fd: table.num(i, col::FD),
                split: table.get(i, col::SPLIT).unwrap_or_default().to_string(),
                fd_n: table.get(i, col::FD_N).unwrap_or_default().to_string(),
            })
        })
        .collect();
    points.sort_by(|a, b| a.step.total_cmp(&b.step));
    Ok(Some(points))
}

/// One fraction of the budget over a model's seeds.
#[derive(Clone, Debug)]
pub struct CurvePoint {
    /// The fraction of the budget.
    pub fraction: f64,
    /// The step, over seeds (equal for step budgets).
    pub step: SeedSummary,
    /// Training seconds until then, over seeds.
    pub seconds: SeedSummary,
    /// The validation NLL, over seeds (`n = 0` without a likelihood).
    pub nll: SeedSummary,
    /// The validation FD, over seeds.
    pub fd: SeedSummary,
}

/// A model's anytime curve: its finished seeds' points grouped by budget fraction (in order),
/// and what the rows say of how they were measured.
#[derive(Clone, Debug, Default)]
pub struct Curve {
    /// One point per budget fraction, in order.
    pub points: Vec<CurvePoint>,
    /// Every split the rows were measured on (`validation`; `test` without a validation split).
    pub splits: Vec<String>,
    /// Every FD sample count of the rows.
    pub fd_n: Vec<String>,
    /// Seeds without metrics.csv (listed under "Not available").
    pub missing_seeds: Vec<String>,
}

/// `m`'s anytime curve with the NLL read from `nll_key`.
pub fn curve(m: &ModelRuns, nll_key: &str) -> anyhow::Result<Curve> {
    let mut out = Curve::default();
    // fraction in millionths -> the seeds' points at it
    let mut by_fraction: BTreeMap<i64, Vec<RunPoint>> = BTreeMap::new();
    for r in m.ok_runs() {
        let Some(points) = run_points(r, nll_key)? else {
            out.missing_seeds.push(r.s(col::SEED).to_string());
            continue;
        };
        for p in points {
            for (list, v) in [(&mut out.splits, &p.split), (&mut out.fd_n, &p.fd_n)] {
                if !v.is_empty() && !list.contains(v) {
                    list.push(v.clone());
                }
            }
            by_fraction
                .entry((p.fraction * 1e6).round() as i64)
                .or_default()
                .push(p);
        }
    }
    for points in by_fraction.into_values() {
        let of = |f: &dyn Fn(&RunPoint) -> Option<f64>| {
            summarize(&points.iter().filter_map(f).collect::<Vec<f64>>())
        };
        out.points.push(CurvePoint {
            fraction: points[0].fraction,
            step: of(&|p| Some(p.step)),
            seconds: of(&|p| Some(p.seconds)),
            nll: of(&|p| p.nll),
            fd: of(&|p| p.fd),
        });
    }
    Ok(out)
}

impl Curve {
    /// Whether every row was measured on the validation split.
    pub fn on_validation(&self) -> bool {
        self.splits.iter().all(|s| s == SPLIT_VALIDATION)
    }

    /// The model's value of `metric` by `seconds` of training: its last point at or before
    /// then (a run that ended earlier keeps its final value); `None` before its first.
    pub fn value_at(
        &self,
        seconds: f64,
        metric: impl Fn(&CurvePoint) -> &SeedSummary,
    ) -> Option<f64> {
        let mut points: Vec<&CurvePoint> = self
            .points
            .iter()
            .filter(|&p| p.seconds.n > 0 && p.seconds.mean <= seconds && metric(p).n > 0)
            .collect();
        points.sort_by(|a, b| a.seconds.mean.total_cmp(&b.seconds.mean));
        points.last().map(|&p| metric(p).mean)
    }
}

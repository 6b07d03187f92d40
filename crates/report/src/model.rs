//! Runs grouped into models: one [`ModelRuns`] per (dataset, model), with each metric summarised
//! over seeds (mean, 95% Student-t interval) by `genbench_eval::stats::summarize`.

use crate::data::Run;
use genbench_core::results::schema::{NLL_KIND_DIVERGED, col, metric_of};
use genbench_eval::stats::{SeedSummary, summarize};
use std::collections::BTreeMap;

/// Position of `family` in `family_order` (the CLI's family registry, in the order the field
/// grew up); a family the order does not name sorts after the named ones.
pub fn family_rank(family_order: &[&str], family: &str) -> usize {
    family_order
        .iter()
        .position(|f| *f == family)
        .unwrap_or(family_order.len())
}

pub use genbench_core::results::schema::Direction;

/// The table header's mark for `direction`.
pub fn arrow(direction: Direction) -> &'static str {
    match direction {
        Direction::Lower => " ↓",
        Direction::Higher => " ↑",
        Direction::Neither => "",
    }
}

/// A column of the per-dataset table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metric {
    /// The summary.csv column.
    pub key: &'static str,
    /// Header text in REPORT.md and on the plots.
    pub label: &'static str,
    /// Which way it improves (the schema's metric table says).
    pub better: Direction,
    /// A quality score drawn as a bar chart.
    pub bar: bool,
}

/// The table column for schema column `key`, its direction from the schema's metric table.
fn m(key: &'static str, label: &'static str, bar: bool) -> Metric {
    Metric {
        key,
        label,
        better: metric_of(key).map_or(Direction::Neither, |m| m.direction),
        bar,
    }
}

/// The table's columns for an image dataset (`images`) or a 2-D one, NLL first.
pub fn metrics(images: bool) -> Vec<Metric> {
    let mut v = vec![if images {
        m(col::NLL_BPD, "NLL (bits/dim)", true)
    } else {
        m(col::NLL_NATS, "NLL (nats)", true)
    }];
    if images {
        // Per image, the unit the literature reports on binarized MNIST.
        v.push(m(col::NLL_NATS, "NLL (nats/image)", false));
    } else {
        v.push(m(col::NLL_MINUS_ENTROPY_NATS, "NLL − H(p*) (nats)", false));
        v.push(m(col::KL_NATS, "KL (paired, nats)", false));
    }
    v.push(m(col::FD, if images { "FID-approx" } else { "FD" }, true));
    v.extend([
        m(col::KID, "KID", true),
        m(col::PRECISION, "precision", true),
        m(col::RECALL, "recall", true),
        m(col::DENSITY, "density", true),
        m(col::COVERAGE, "coverage", true),
        m(col::MEM_CT, "C_T (memorisation)", false),
    ]);
    if !images {
        v.extend([
            m(col::TRUE_LOGP_OF_SAMPLES, "log p*(samples)", true),
            m(col::MODES_COVERED, "modes covered", false),
            m(col::HIGH_QUALITY, "high quality", false),
        ]);
    }
    v.extend([
        m(col::COND_ACCURACY, "cond. accuracy", true),
        m(col::PARAMS, "params", false),
        m(col::TRAIN_SECONDS, "train s", false),
        m(col::SAMPLES_PER_SECOND, "samples/s", false),
        m(col::EVALS_PER_SAMPLE, "evals/sample", false),
    ]);
    v
}

/// The class of NLLs that bound (or equal) −log p(x) of the test data: comparable with each other.
pub const NLL_MARGINAL: &str = "-log p(x) or an upper bound on it";
/// The class of a conditional model's NLL, −log p(x | y) or a bound on it: comparable only with
/// other conditional models' (it can sit below every −log p(x), and below H(p*), by up to I(x; y)).
pub const NLL_CONDITIONAL: &str = "-log p(x | y) or an upper bound on it";

/// The class of a likelihood kind, given whether the model was conditioned on the label: kinds
/// in one class bound (or equal) the same quantity; `None` for kinds with no number.
pub fn nll_class(kind: &str, conditional: bool) -> Option<&'static str> {
    let bound = matches!(kind, "exact" | "dequantized" | "elbo" | "kde")
        || kind.starts_with("iwae")
        || kind.starts_with("vlb")
        || kind.starts_with("vdm")
        || kind.starts_with("ode");
    bound.then_some(if conditional {
        NLL_CONDITIONAL
    } else {
        NLL_MARGINAL
    })
}

/// The runs of one model on one dataset, every seed.
#[derive(Clone, Debug)]
pub struct ModelRuns {
    /// The dataset's name.
    pub dataset: String,
    /// The model's name in the manifest.
    pub model: String,
    /// Its family (`gmm`, `vae`, `diffusion`, ...).
    pub family: String,
    /// The family's place in the order the report was given ([`family_rank`]).
    pub family_rank: usize,
    /// Its architecture in one line, as the run recorded it (first finished seed).
    pub arch: String,
    /// The paper it reproduces.
    pub paper: String,
    /// That paper's year, when recorded.
    pub year: Option<u32>,
    /// What its train.csv `loss` is, with its unit ([`Objective`], read from its seeds'
    /// config.json by [`label_objectives`]); `None` when not known.
    pub objective: Option<String>,
    /// Sorted by seed.
    pub runs: Vec<Run>,
}

impl ModelRuns {
    /// The runs that did not diverge, by seed.
    pub fn ok_runs(&self) -> impl Iterator<Item = &Run> {
        self.runs.iter().filter(|r| r.ok())
    }

    /// The first finished run (lowest seed): the one whose figures the report shows.
    pub fn shown(&self) -> Option<&Run> {
        self.ok_runs().next()
    }

    /// `key` over the finished seeds (empty cells skipped).
    pub fn summary(&self, key: &str) -> SeedSummary {
        let values: Vec<f64> = self.ok_runs().filter_map(|r| r.num(key)).collect();
        summarize(&values)
    }

    /// The NLL kinds of the finished seeds, deduplicated, in seed order; a conditional run's
    /// kind ends in ` | y` (its number is −log p(x | y)).
    pub fn nll_kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = Vec::new();
        for r in &self.runs {
            let k = r.get(col::NLL_KIND).unwrap_or(if r.ok() {
                "unavailable"
            } else {
                NLL_KIND_DIVERGED
            });
            let k = if r.conditional() && nll_class(k, false).is_some() {
                format!("{k} | y")
            } else {
                k.to_string()
            };
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        kinds
    }

    /// The one likelihood class of this model's NLL, if every finished seed shares it.
    pub fn nll_class(&self) -> Option<&'static str> {
        let classes: Vec<Option<&'static str>> = self
            .ok_runs()
            .map(|r| nll_class(r.s(col::NLL_KIND), r.conditional()))
            .collect();
        let first = *classes.first()?;
        classes
            .iter()
            .all(|c| *c == first)
            .then_some(first)
            .flatten()
    }

    /// The paper's year, `?` when unknown.
    pub fn year_label(&self) -> String {
        self.year
            .map(|y| y.to_string())
            .unwrap_or_else(|| "?".into())
    }

    /// A file name part naming this model on this dataset.
    pub fn slug(&self) -> String {
        format!("{}-{}", slug(&self.dataset), slug(&self.model))
    }
}

/// `s` with every character but ASCII letters, digits, `-` and `_` replaced by `_`.
pub fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Runs grouped by dataset (sorted by name), then by model in the order the field grew up
/// (family in `family_order`, then paper year, then model name).
pub fn group(runs: &[Run], family_order: &[&str]) -> BTreeMap<String, Vec<ModelRuns>> {
    let mut by_key: BTreeMap<(String, String), Vec<Run>> = BTreeMap::new();
    for r in runs {
        by_key
            .entry((r.s(col::DATASET).to_string(), r.s(col::MODEL).to_string()))
            .or_default()
            .push(r.clone());
    }
    let mut out: BTreeMap<String, Vec<ModelRuns>> = BTreeMap::new();
    for ((dataset, model), mut runs) in by_key {
        runs.sort_by(|a, b| {
            a.seed()
                .cmp(&b.seed())
                .then_with(|| a.s(col::RUN_ID).cmp(b.s(col::RUN_ID)))
        });
        let first = runs.iter().find(|r| r.ok()).unwrap_or(&runs[0]).clone();
        out.entry(dataset.clone()).or_default().push(ModelRuns {
            dataset,
            model,
            family: first.s(col::FAMILY).to_string(),
            family_rank: family_rank(family_order, first.s(col::FAMILY)),
            arch: first.s(col::ARCH).to_string(),
            paper: first.s(col::PAPER).to_string(),
            year: first.get(col::YEAR).and_then(|y| y.parse().ok()),
            objective: None,
            runs,
        });
    }
    for models in out.values_mut() {
        models.sort_by(|a, b| {
            (a.family_rank, &a.family, a.year, &a.model).cmp(&(
                b.family_rank,
                &b.family,
                b.year,
                &b.model,
            ))
        });
    }
    out
}

/// What a run's train.csv `loss` is, with its unit, from its family's name and its config.json
/// `config` (the CLI asks the family registry; `None`: not known, the curves say only "loss").
pub type Objective = fn(family: &str, config: &serde_json::Value) -> Option<String>;

/// Fills each model's `objective` through `objective`, from the config.json (its `family` and
/// resolved `config`) of the first seed that has a readable one, finished seeds first (seeds
/// share their settings: [`crate::seeds`]).
pub fn label_objectives(groups: &mut BTreeMap<String, Vec<ModelRuns>>, objective: Objective) {
    let of_run = |r: &Run| {
        let config = r.config()?;
        objective(config["family"].as_str()?, &config["config"])
    };
    for m in groups.values_mut().flatten() {
        let (finished, rest): (Vec<&Run>, Vec<&Run>) = m.runs.iter().partition(|r| r.ok());
        m.objective = finished.into_iter().chain(rest).find_map(of_run);
    }
}

/// The 95% interval of `s`, a summary of schema column `key` over seeds, clipped to the values
/// the column can take (the schema's `Metric::range`: an FD is never below 0, a recall never
/// above 1): the error bar the plots draw. The tables print the interval's half-width as it is.
pub fn drawn_interval(key: &str, s: &SeedSummary) -> (f64, f64) {
    let raw = (s.ci95_low, s.ci95_high);
    metric_of(key).map_or(raw, |m| m.clip(raw))
}

/// How many models the groups hold, each counted once however many datasets it ran on.
pub fn distinct_models(groups: &BTreeMap<String, Vec<ModelRuns>>) -> usize {
    let mut names: Vec<&str> = groups
        .values()
        .flatten()
        .map(|m| m.model.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    names.len()
}

/// Whether `dataset` is an image dataset (no exact 2-D density by that name).
pub fn is_images(dataset: &str) -> bool {
    genbench_dataset::density(dataset).is_none()
}

/// The first non-empty value of `key` over the models' runs.
pub fn first<'a>(models: &'a [ModelRuns], key: &str) -> Option<&'a str> {
    models
        .iter()
        .flat_map(|m| m.runs.iter())
        .find_map(|r| r.get(key))
}

/// Models of one family share its colour in shades: the k-th of its family gets shade k.
pub fn shades(models: &[ModelRuns]) -> Vec<usize> {
    (0..models.len())
        .map(|i| {
            models[..i]
                .iter()
                .filter(|o| o.family == models[i].family)
                .count()
        })
        .collect()
}

/// Indices of the models holding the best mean of `metric` (all ties) among at least two that
/// count. NLLs are compared within one class (see [`nll_class`]): the best −log p(x) and,
/// separately, the best −log p(x | y).
pub fn best(models: &[ModelRuns], metric: &Metric) -> Vec<usize> {
    if metric.better == Direction::Neither {
        return Vec::new();
    }
    let means: Vec<Option<f64>> = models
        .iter()
        .map(|m| {
            let s = m.summary(metric.key);
            (s.n > 0).then_some(s.mean)
        })
        .collect();
    if !metric.key.starts_with("nll_") {
        return best_of(&means, metric.better);
    }
    let mut marked = Vec::new();
    for class in [NLL_MARGINAL, NLL_CONDITIONAL] {
        let in_class: Vec<Option<f64>> = models
            .iter()
            .zip(&means)
            .map(|(m, v)| v.filter(|_| m.nll_class() == Some(class)))
            .collect();
        marked.extend(best_of(&in_class, metric.better));
    }
    marked.sort_unstable();
    marked
}

/// Indices holding the best of the present `values` (all ties); none when fewer than two count.
fn best_of(values: &[Option<f64>], better: Direction) -> Vec<usize> {
    let pick = |a: f64, b: f64| {
        if better == Direction::Lower {
            a.min(b)
        } else {
            a.max(b)
        }
    };
    let Some(best) = values.iter().flatten().copied().reduce(pick) else {
        return Vec::new();
    };
    if values.iter().flatten().count() < 2 {
        return Vec::new();
    }
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| **v == Some(best))
        .map(|(i, _)| i)
        .collect()
}

//! The protocol paragraph: how much of each training set was held out for validation and with
//! which seed, what was chosen on it, and that the test set was scored once, at the selected
//! step. Read from the runs' config.json (what each run was given), never assumed.

use crate::context::Context;
use crate::data::Run;
use genbench_core::results::schema::{CONVERGED_TOLERANCE, col};
use std::collections::BTreeMap;

/// What a run's config.json says of its validation split and evaluations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunProtocol {
    /// `dataset.validation_fraction`; `None` when config.json does not record it (a run made
    /// before genbench had a validation split: it had none).
    pub validation_fraction: Option<f64>,
    /// `dataset.validation_seed`.
    pub validation_seed: Option<u64>,
    /// `eval.eval_every` (0: none).
    pub eval_every: u64,
    /// `eval.eval_examples`.
    pub eval_examples: u64,
    /// `eval.anytime`.
    pub anytime: bool,
}

/// `run`'s protocol, or `None` without a readable config.json.
pub fn of_run(run: &Run) -> Option<RunProtocol> {
    let config = run.config()?;
    let (data, eval) = (&config["dataset"], &config["eval"]);
    Some(RunProtocol {
        validation_fraction: data["validation_fraction"].as_f64(),
        validation_seed: data["validation_seed"].as_u64(),
        eval_every: eval["eval_every"].as_u64().unwrap_or(0),
        eval_examples: eval["eval_examples"].as_u64().unwrap_or(0),
        anytime: eval["anytime"].as_bool().unwrap_or(false),
    })
}

/// The `## Protocol` section.
pub fn write(ctx: &mut Context, runs: &[Run]) {
    ctx.line("## Protocol\n");
    // dataset -> the distinct splits its runs were given
    let mut splits: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let (mut validated, mut without, mut unknown) = (Vec::new(), 0, 0);
    for r in runs {
        let Some(p) = of_run(r) else {
            unknown += 1;
            continue;
        };
        let text = match (p.validation_fraction, p.validation_seed) {
            (Some(f), seed) if f > 0.0 => {
                validated.push(p.clone());
                format!(
                    "{} % of the training set (validation_seed {})",
                    super::anytime::percent(f),
                    seed.map_or("not recorded".into(), |s| s.to_string())
                )
            }
            _ => {
                without += 1;
                "no validation split".to_string()
            }
        };
        let list = splits.entry(r.s(col::DATASET)).or_default();
        if !list.contains(&text) {
            list.push(text);
        }
    }
    if !validated.is_empty() {
        let per_dataset: Vec<String> = splits
            .iter()
            .map(|(d, s)| format!("{d}: {}", s.join(" / ")))
            .collect();
        ctx.line(&format!(
            "- **Validation split.** Held out from each training set before training (stratified by label where there are labels, else a seeded draw; the test set is untouched): {}. The models train on the rest.",
            per_dataset.join("; ")
        ));
        let every: Vec<String> = distinct(validated.iter().map(|p| p.eval_every));
        let examples: Vec<String> = distinct(validated.iter().map(|p| p.eval_examples));
        let anytime = validated.iter().any(|p| p.anytime);
        let periodic = if every.iter().all(|e| e == "0") {
            "at the last step".to_string()
        } else {
            format!("every {} steps and at the last step", every.join(" or "))
        };
        let anytime_text = if anytime {
            format!(
                ", and with `anytime` at {} of the budget",
                super::anytime::fractions_text()
            )
        } else {
            String::new()
        };
        ctx.line(&format!(
            "- **Chosen on validation.** Evaluations {periodic}{anytime_text} score the first {} validation examples — the NLL with its kind, or FD on samples where the likelihood is unavailable — and each run keeps the weights of its lowest score. The reported checkpoint is that one: its step is the tables' `selected step` column (of the steps trained).",
            examples.join(" or ")
        ));
        ctx.line("- **Test set scored once**, at the end, on the selected weights; nothing in the tables was chosen by looking at it.");
        if anytime {
            ctx.line(&format!(
                "- **Converged** (anytime runs): the validation score (NLL, else FD) improved by less than {} % of max(1, |final value|) from 50 % to 100 % of the budget; † marks a model with a seed that did not.",
                super::anytime::percent(CONVERGED_TOLERANCE)
            ));
        }
    }
    if without > 0 {
        ctx.line(&format!(
            "- {without} of {} runs had no validation split (`validation_fraction = 0`, or made before genbench had one: their config.json does not record it): their periodic evaluations read the test set and their last weights were scored.",
            runs.len()
        ));
    }
    if validated.is_empty() && without == 0 {
        ctx.line("- Not recorded: no run folder holds a readable config.json.");
    }
    if unknown > 0 {
        ctx.missing(format!(
            "{unknown} runs: config.json (the protocol paragraph)"
        ));
    }
    ctx.line("");
}

fn distinct(values: impl Iterator<Item = u64>) -> Vec<String> {
    let mut v: Vec<u64> = values.collect();
    v.sort_unstable();
    v.dedup();
    v.iter().map(u64::to_string).collect()
}

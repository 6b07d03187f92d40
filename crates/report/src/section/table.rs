//! The per-dataset comparison table: one row per model, mean ± 95% interval per metric, the
//! best value in each column marked.

use crate::convergence::{ScoreKind, model_selected_score, one_step};
use crate::format::{cell, count, interval};
use crate::model::{Metric, ModelRuns, best, metrics};
use genbench_core::results::schema::{CONVERGED_TOLERANCE, col};

/// The `converged` cell of a model that trained a single step.
pub const ONE_STEP: &str = "one step";

/// The legend line of [`ONE_STEP`].
pub fn one_step_legend() -> String {
    format!(
        "{ONE_STEP}: every seed trained a single step (a closed-form or one-step fit, e.g. the template's lookup table, texture synthesis's copy of the training set): there is no curve to converge."
    )
}

/// The markdown table of `models` on one dataset (columns some model measured) and the list
/// of columns nobody measured.
pub fn table(models: &[ModelRuns], images: bool) -> anyhow::Result<(String, Vec<&'static str>)> {
    let all = metrics(images);
    let nll_key = all[0].key;
    let (shown, absent): (Vec<Metric>, Vec<Metric>) = all
        .into_iter()
        .partition(|m| models.iter().any(|r| r.summary(m.key).n > 0));
    let selected = models
        .iter()
        .any(|m| m.ok_runs().any(|r| r.get(col::SELECTED_STEP).is_some()));
    let converged = models
        .iter()
        .any(|m| m.ok_runs().any(|r| r.get(col::CONVERGED).is_some()));
    let mut out = String::from("| model | family · year | seeds | NLL kind |");
    if selected {
        out.push_str(" selected step | validation score there |");
    }
    if converged {
        out.push_str(" converged |");
    }
    for m in &shown {
        out.push_str(&format!(" {}{} |", m.label, crate::model::arrow(m.better)));
    }
    out.push_str("\n|---|---|---|---|");
    out.push_str(&"---|".repeat(2 * selected as usize + converged as usize));
    for _ in &shown {
        out.push_str("---:|");
    }
    out.push('\n');
    let marks: Vec<Vec<usize>> = shown.iter().map(|m| best(models, m)).collect();
    for (i, model) in models.iter().enumerate() {
        let seeds = model.ok_runs().count();
        let diverged = model.runs.len() - seeds;
        let seeds_cell = if diverged > 0 {
            format!("{seeds} ({diverged} diverged)")
        } else {
            seeds.to_string()
        };
        let dagger = if unconverged(model) > 0 { " †" } else { "" };
        out.push_str(&format!(
            "| {}{dagger} | {} · {} | {} | {} |",
            cell(&model.model),
            cell(&model.family),
            model.year_label(),
            seeds_cell,
            cell(&model.nll_kinds().join(", "))
        ));
        if selected {
            let score = match model_selected_score(model, nll_key)? {
                Some((s, ScoreKind::Nll)) => {
                    format!(
                        "{} NLL ({})",
                        interval(&s, seeds),
                        model.nll_kinds().join(", ")
                    )
                }
                Some((s, ScoreKind::Fd)) => format!("{} FD", interval(&s, seeds)),
                None => "–".into(),
            };
            out.push_str(&format!(" {} | {} |", selected_steps(model), cell(&score)));
        }
        if converged {
            out.push_str(&format!(" {} |", converged_cell(model)));
        }
        for (m, marked) in shown.iter().zip(&marks) {
            let s = model.summary(m.key);
            let text = if m.key == col::PARAMS {
                count(&s)
            } else {
                interval(&s, seeds)
            };
            if marked.contains(&i) {
                out.push_str(&format!(" **{text}** |"));
            } else {
                out.push_str(&format!(" {text} |"));
            }
        }
        out.push('\n');
    }
    if selected {
        out.push_str("\nValidation score there: the validation NLL (in this table's unit, with its kind) of the evaluation at the selected step, else its validation FD where the model has no likelihood; the score the checkpoint was chosen by.\n");
    }
    if models.iter().any(|m| unconverged(m) > 0) {
        out.push_str(&format!(
            "\n† not converged in at least one seed: its validation score (NLL, else FD) still improved by {} % of max(1, |final value|) or more from 50 % to 100 % of the budget.\n",
            super::anytime::percent(CONVERGED_TOLERANCE)
        ));
    }
    if models.iter().any(|m| stopped_early(m) > 0) {
        out.push_str("\nStopped early: training ended at the first periodic evaluation that came the model's `patience` steps or more after its best validation score (early stopping); such a seed trained fewer steps than its budget (the selected step shows both) and counts as converged.\n");
    }
    if converged && models.iter().any(one_step) {
        out.push_str(&format!("\n{}\n", one_step_legend()));
    }
    Ok((out, absent.iter().map(|m| m.label).collect()))
}

/// The `converged` cell: `k of n` seeds that recorded it, [`ONE_STEP`] for a one-step fit,
/// `–` when no seed recorded it.
pub fn converged_cell(model: &ModelRuns) -> String {
    let recorded = model
        .ok_runs()
        .filter(|r| r.get(col::CONVERGED).is_some())
        .count();
    if recorded == 0 && one_step(model) {
        ONE_STEP.into()
    } else if recorded == 0 {
        "–".into()
    } else {
        let stopped = stopped_early(model);
        let early = if stopped > 0 {
            format!(" ({stopped} stopped early)")
        } else {
            String::new()
        };
        format!("{} of {recorded}{early}", recorded - unconverged(model))
    }
}

/// Finished seeds that early stopping ended before their budget.
pub fn stopped_early(model: &ModelRuns) -> usize {
    model
        .ok_runs()
        .filter(|r| r.get(col::STOPPED_EARLY) == Some("true"))
        .count()
}

/// Finished seeds whose `converged` is `false`.
pub fn unconverged(model: &ModelRuns) -> usize {
    model
        .ok_runs()
        .filter(|r| r.get(col::CONVERGED) == Some("false"))
        .count()
}

/// The selected step of each finished seed, in seed order: `900, 1000, 1200 of 4000` when the
/// seeds trained the same steps, else `900/3900, 1000/4000`; `–` where none was recorded.
pub fn selected_steps(model: &ModelRuns) -> String {
    let runs: Vec<_> = model.ok_runs().collect();
    let steps: Vec<&str> = runs
        .iter()
        .map(|r| r.get(col::STEPS).unwrap_or("?"))
        .collect();
    let chosen: Vec<&str> = runs
        .iter()
        .map(|r| r.get(col::SELECTED_STEP).unwrap_or("–"))
        .collect();
    if chosen.iter().all(|c| *c == "–") {
        return "–".into();
    }
    if steps.windows(2).all(|w| w[0] == w[1]) {
        format!("{} of {}", chosen.join(", "), steps[0])
    } else {
        let pairs: Vec<String> = chosen
            .iter()
            .zip(&steps)
            .map(|(c, s)| format!("{c}/{s}"))
            .collect();
        pairs.join(", ")
    }
}

//! The per-dataset comparison table: one row per model, mean ± 95% interval per metric, the
//! best value in each column marked.

use crate::format::{cell, count, interval};
use crate::model::{Metric, ModelRuns, best, metrics};
use genbench_core::results::schema::{CONVERGED_TOLERANCE, col};

/// The markdown table of `models` on one dataset (columns some model measured) and the list
/// of columns nobody measured.
pub fn table(models: &[ModelRuns], images: bool) -> (String, Vec<&'static str>) {
    let all = metrics(images);
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
        out.push_str(" selected step |");
    }
    if converged {
        out.push_str(" converged |");
    }
    for m in &shown {
        out.push_str(&format!(" {}{} |", m.label, crate::model::arrow(m.better)));
    }
    out.push_str("\n|---|---|---|---|");
    out.push_str(&"---|".repeat(selected as usize + converged as usize));
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
            out.push_str(&format!(" {} |", selected_steps(model)));
        }
        if converged {
            let recorded = model
                .ok_runs()
                .filter(|r| r.get(col::CONVERGED).is_some())
                .count();
            out.push_str(&if recorded == 0 {
                " – |".to_string()
            } else {
                format!(" {} of {recorded} |", recorded - unconverged(model))
            });
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
    if models.iter().any(|m| unconverged(m) > 0) {
        out.push_str(&format!(
            "\n† not converged in at least one seed: its validation score (NLL, else FD) still improved by {} % of max(1, |final value|) or more from 50 % to 100 % of the budget.\n",
            super::anytime::percent(CONVERGED_TOLERANCE)
        ));
    }
    (out, absent.iter().map(|m| m.label).collect())
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

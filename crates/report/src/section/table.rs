//! The per-dataset comparison table: one row per model, mean ± 95% interval per metric, the
//! best value in each column marked.

use crate::format::{cell, count, interval};
use crate::model::{Metric, ModelRuns, best, metrics};
use genbench_core::results::schema::col;

/// The markdown table of `models` on one dataset (columns some model measured) and the list
/// of columns nobody measured.
pub fn table(models: &[ModelRuns], images: bool) -> (String, Vec<&'static str>) {
    let all = metrics(images);
    let (shown, absent): (Vec<Metric>, Vec<Metric>) = all
        .into_iter()
        .partition(|m| models.iter().any(|r| r.summary(m.key).n > 0));
    let mut out = String::from("| model | family · year | seeds | NLL kind |");
    for m in &shown {
        out.push_str(&format!(" {}{} |", m.label, crate::model::arrow(m.better)));
    }
    out.push_str("\n|---|---|---|---|");
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
        out.push_str(&format!(
            "| {} | {} · {} | {} | {} |",
            cell(&model.model),
            cell(&model.family),
            model.year_label(),
            seeds_cell,
            cell(&model.nll_kinds().join(", "))
        ));
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
    (out, absent.iter().map(|m| m.label).collect())
}

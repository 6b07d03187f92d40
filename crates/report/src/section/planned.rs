//! `## Runs the manifest plans`: the planned runs the folder has no results of yet, the
//! (model, dataset) pairs the manifest does not plan (with the family's refusal where the CLI
//! found one), and runs in the folder the manifest no longer plans.

use crate::context::Context;
use crate::model::ModelRuns;
use crate::plan::Planned;
use std::collections::BTreeMap;

/// The models of `planned` in the manifest's order, each with its family.
fn models(planned: &Planned) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in &planned.runs {
        if !out.iter().any(|(m, _)| *m == r.model) {
            out.push((&r.model, &r.family));
        }
    }
    out
}

fn seeds_text(seeds: &[u64]) -> String {
    let v: Vec<String> = seeds.iter().map(u64::to_string).collect();
    v.join(", ")
}

/// The seeds of `model` on `dataset` the folder holds (finished or diverged).
fn seeds_run(groups: &BTreeMap<String, Vec<ModelRuns>>, model: &str, dataset: &str) -> Vec<u64> {
    groups
        .get(dataset)
        .and_then(|ms| ms.iter().find(|m| m.model == model))
        .map(|m| m.runs.iter().map(crate::data::Run::seed).collect())
        .unwrap_or_default()
}

/// The section; nothing without a plan.
pub fn write(
    ctx: &mut Context,
    groups: &BTreeMap<String, Vec<ModelRuns>>,
    planned: Option<&Planned>,
) {
    let Some(plan) = planned else {
        return;
    };
    let src = &plan.source;
    ctx.line("## Runs the manifest plans\n");
    // (model, its lacking seeds) -> the datasets that lack them, one line each
    let mut not_run: Vec<(&str, Vec<u64>, Vec<&str>)> = Vec::new();
    let mut missing = 0;
    for (model, _) in models(plan) {
        for dataset in plan.datasets_of(model) {
            let run = seeds_run(groups, model, dataset);
            let lacking: Vec<u64> = plan
                .seeds(model, dataset)
                .into_iter()
                .filter(|s| !run.contains(s))
                .collect();
            if lacking.is_empty() {
                continue;
            }
            missing += lacking.len();
            match not_run
                .iter_mut()
                .find(|(m, seeds, _)| *m == model && *seeds == lacking)
            {
                Some((_, _, datasets)) => datasets.push(dataset),
                None => not_run.push((model, lacking, vec![dataset])),
            }
        }
    }
    let not_run: Vec<String> = not_run
        .iter()
        .map(|(model, seeds, datasets)| {
            format!(
                "- `{model}` on {}: seed{} {}",
                datasets.join(", "),
                if seeds.len() == 1 { "" } else { "s" },
                seeds_text(seeds)
            )
        })
        .collect();
    if not_run.is_empty() {
        ctx.line(&format!(
            "Every one of the {} runs {src} plans has results here.\n",
            plan.runs.len()
        ));
    } else {
        ctx.line(&format!(
            "**Not run yet**: {missing} of the {} runs {src} plans have no results in this folder (the headline's `not run` and ‡):\n",
            plan.runs.len()
        ));
        ctx.line(&format!("{}\n", not_run.join("\n")));
    }
    let mut absent = Vec::new();
    for (model, family) in models(plan) {
        let on = plan.datasets_of(model);
        let off: Vec<&str> = plan
            .datasets
            .iter()
            .map(String::as_str)
            .filter(|d| !on.contains(d))
            .collect();
        if off.is_empty() {
            continue;
        }
        let mut line = format!(
            "- `{model}` ({family}): {src} runs it on {} only, not on {}.",
            on.join(", "),
            off.join(", ")
        );
        let refused: Vec<(&str, &str)> = off
            .iter()
            .filter_map(|d| plan.refusal(model, d).map(|m| (*d, m)))
            .collect();
        if let Some((first, message)) = refused.first() {
            let names: Vec<&str> = refused.iter().map(|(d, _)| *d).collect();
            line.push_str(&format!(
                " Its family's config check refuses {} (on {first}: {message}).",
                names.join(", ")
            ));
        }
        absent.push(line);
    }
    if !absent.is_empty() {
        ctx.line(&format!(
            "**Absent by design** (the headline's `·`): the pairs {src} does not plan, from each model's `datasets`; where the family's own config check refuses the dataset, its message follows (checked by `genbench report` against the data, where the data could be loaded):\n"
        ));
        ctx.line(&format!("{}\n", absent.join("\n")));
    }
    let extra: Vec<String> = groups
        .values()
        .flatten()
        .flat_map(|m| m.runs.iter().map(move |r| (m, r.seed())))
        .filter(|(m, seed)| !plan.seeds(&m.model, &m.dataset).contains(seed))
        .map(|(m, seed)| format!("`{}` on {} seed {seed}", m.model, m.dataset))
        .collect();
    if !extra.is_empty() {
        ctx.line(&format!(
            "Runs in this folder that {src} does not plan (reported all the same): {}.\n",
            extra.join(", ")
        ));
    }
}

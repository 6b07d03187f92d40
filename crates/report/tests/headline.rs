//! The headline tables and the runs the manifest plans: seconds to converge against a hand
//! computation from hand-made metrics.csv rows, the validation score at the selected step,
//! planned runs without results shown as `not run`, unplanned pairs as absent by design with
//! the family's refusal, and a one-step model's `converged` cell.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::{Eval, write_metrics};
use genbench_core::results::schema::col;
use genbench_eval::stats::summarize;
use genbench_report::convergence::{converged_from, evaluations, seconds_to_converge};
use genbench_report::format::interval;
use genbench_report::plan::{Planned, PlannedRun, Refusal};
use std::path::Path;

/// made's validation NLL on 8gaussians at steps 10, 20, … 60 (seed 1: each + 0.1). The
/// tolerance is 1 % of max(1, |later score|), about 0.025 here. Hand computation: from step 10
/// (5.0) and 20 (3.0) the score later drops by 2.5 and 0.5; from 30 (3.01) by 0.515; from 40
/// (2.5) at most by 0.005 (to 2.495 at step 50; step 60 is worse): step 40 is the first after
/// which it never improves by the tolerance. A rule "the next score does not improve" would
/// stop at step 20 (3.0 -> 3.01).
const MADE_NLL: [f64; 6] = [5.0, 3.0, 3.01, 2.5, 2.495, 2.6];
/// gan's validation FD at steps 10, … 50: below 1, so the tolerance is 0.01 absolute. From
/// step 20 (0.1) it drops by 0.0101 (to 0.0899), from step 30 (0.095) by at most 0.006: step 30.
/// A relative tolerance (1 % of the score, ~0.0009) would stop only at step 50.
const GAN_FD: [f64; 5] = [0.5, 0.1, 0.095, 0.0899, 0.089];

/// Training seconds of step `step` of seed `seed`: 0.1 s a step, seed 1 half again as slow
/// (exact in binary floating point for these steps).
fn seconds(step: u32, seed: u64) -> f64 {
    step as f64 * if seed == 1 { 3.0 } else { 2.0 } / 20.0
}

#[test]
fn converged_from_is_the_first_score_never_improved_on_by_the_tolerance() {
    assert_eq!(converged_from(&MADE_NLL), Some(3));
    assert_eq!(converged_from(&GAN_FD), Some(2));
    // Still improving at the end: the last evaluation; flat from the start: the first.
    assert_eq!(converged_from(&[3.0, 2.0, 1.0]), Some(2));
    assert_eq!(converged_from(&[1.0, 1.0, 1.0]), Some(0));
    assert_eq!(converged_from(&[]), None);
}

/// The fixture on 8gaussians and digits with seeds 0 and 1, realnvp not on digits; made and
/// gan on 8gaussians with the hand-made metrics.csv above (plus a test row that must not
/// count); gmm a one-step fit (steps = 1, no `converged`); made's seed 1 not converged.
fn fixture(dir: &Path) {
    let mut rows = common::write_fixture(dir, &[0, 1], &|id| !id.starts_with("realnvp-digits"));
    for r in &mut rows {
        let seed: u64 = r[col::SEED].parse().unwrap();
        let model = r[col::MODEL].clone();
        let run = dir.join("runs").join(&r[col::RUN_ID]);
        if model == "gmm" {
            r.insert(col::STEPS.into(), "1".into());
            // Its one evaluation, after a step far below a millisecond.
            let one = Eval {
                step: 1,
                seconds: 4e-8,
                split: "validation",
                nll_nats: Some(3.0),
                fd: 0.1,
            };
            write_metrics(&run, "exact", &[one]);
            continue;
        }
        r.insert(
            col::CONVERGED.into(),
            (model != "made" || seed == 0).to_string(),
        );
        if r[col::DATASET] != "8gaussians" {
            continue;
        }
        let shift = 0.1 * seed as f64;
        let evals: Vec<Eval> = match model.as_str() {
            "made" => MADE_NLL
                .iter()
                .enumerate()
                .map(|(i, &v)| (10 * (i as u32 + 1), Some(v + shift), 1.0))
                .collect::<Vec<_>>(),
            "gan" => GAN_FD
                .iter()
                .enumerate()
                .map(|(i, &v)| (10 * (i as u32 + 1), None, v))
                .collect(),
            _ => continue,
        }
        .into_iter()
        .map(|(step, nll_nats, fd)| Eval {
            step,
            seconds: seconds(step, seed),
            split: "validation",
            nll_nats,
            fd,
        })
        .chain([Eval {
            step: 60,
            seconds: 100.0,
            split: "test",
            nll_nats: Some(0.1),
            fd: 0.001,
        }])
        .collect();
        let kind = if model == "made" {
            "exact"
        } else {
            "unavailable"
        };
        write_metrics(&run, kind, &evals);
        // Selected: the lowest validation score, steps 50 (made) and 50 (gan).
        r.insert(col::SELECTED_STEP.into(), "50".into());
    }
    common::write_summary(dir, &rows);
}

/// Every fixture model on both datasets with seeds 0 and 1, except realnvp (8gaussians only);
/// ddpm also with seed 2 on digits; pixelcnn on digits only, with no runs.
fn planned() -> Planned {
    let mut runs = Vec::new();
    let mut plan = |model: &str, family: &str, dataset: &str, seeds: &[u64]| {
        for &seed in seeds {
            runs.push(PlannedRun {
                model: model.into(),
                family: family.into(),
                dataset: dataset.into(),
                seed,
            });
        }
    };
    for (model, family) in [
        ("gmm", "gmm"),
        ("made", "autoregressive"),
        ("vae", "vae"),
        ("gan", "gan"),
        ("realnvp", "flow"),
        ("ddpm", "diffusion"),
    ] {
        plan(model, family, "8gaussians", &[0, 1]);
        if model != "realnvp" {
            plan(model, family, "digits", &[0, 1]);
        }
    }
    plan("ddpm", "diffusion", "digits", &[2]);
    plan("pixelcnn", "autoregressive", "digits", &[0, 1]);
    Planned {
        source: "manifest.toml".into(),
        datasets: vec!["8gaussians".into(), "digits".into()],
        runs,
        refusals: vec![Refusal {
            model: "pixelcnn".into(),
            dataset: "8gaussians".into(),
            message: "needs an image dataset".into(),
        }],
    }
}

fn report(dir: &Path) -> String {
    fixture(dir);
    genbench_report::write_report_planned(
        dir,
        &common::family_order(),
        Some(&planned()),
        |_, _| None,
    )
    .unwrap();
    std::fs::read_to_string(dir.join("REPORT.md")).unwrap()
}

/// The row of `model` in the markdown table that follows `heading`.
fn row<'a>(md: &'a str, heading: &str, model: &str) -> Vec<&'a str> {
    let start = md.find(heading).unwrap_or_else(|| panic!("no {heading:?}"));
    let line = md[start..]
        .lines()
        .find(|l| l.starts_with(&format!("| {model} |")) || l.starts_with(&format!("| {model} †")))
        .unwrap_or_else(|| panic!("no row {model} after {heading:?}"));
    line.trim_matches('|').split(" | ").map(str::trim).collect()
}

#[test]
fn seconds_to_converge_is_the_hand_computed_one() {
    let tmp = tempfile::tempdir().unwrap();
    let md = report(tmp.path());
    // made: step 40 in both seeds, 4 s and 6 s: mean 5; gan: step 30, 3 s and 4.5 s: 3.75.
    let run = |id: &str| {
        genbench_report::data::read_runs(tmp.path())
            .unwrap()
            .into_iter()
            .find(|r| r.s(col::RUN_ID) == id)
            .unwrap()
    };
    let made1 = evaluations(&run("made-8gaussians-s1")).unwrap().unwrap();
    assert_eq!(
        made1.len(),
        6,
        "the test row is not a validation evaluation"
    );
    assert_eq!(seconds_to_converge(&made1), Some(seconds(40, 1)));
    let seconds_row = |m| row(&md, "**Seconds to converge**", m);
    assert_eq!(seconds_row("made")[2], "5 †");
    assert_eq!(seconds_row("gan")[2], "3.750");
    // A one-step fit: its single step's seconds (none recorded here), marked as such.
    assert!(md.contains("`(one step)`: a single-step fit"));
    // The NLL headline: nats with the kind; the GAN's is unavailable, never a number.
    let nll = |m| row(&md, "**Test NLL**", m);
    assert!(nll("made")[2].ends_with(" exact †"), "{:?}", nll("made"));
    assert_eq!(nll("gan")[2], "unavailable");
}

#[test]
fn the_validation_score_at_the_selected_step_is_shown_with_its_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let md = report(tmp.path());
    assert!(md.contains("| selected step | validation score there | converged |"));
    // Step 50: made's NLL 2.495 (seed 0) and 2.595 (seed 1); gan's FD 0.089 in both.
    let made = row(&md, "## Dataset: 8gaussians", "made †");
    let expected = format!("{} NLL (exact)", interval(&summarize(&[2.495, 2.595]), 2));
    assert_eq!(&made[4..7], ["50, 50 of 400", expected.as_str(), "1 of 2"]);
    let gan = row(&md, "## Dataset: 8gaussians", "gan");
    assert_eq!(
        gan[5],
        format!("{} FD", interval(&summarize(&[0.089, 0.089]), 2))
    );
}

#[test]
fn a_one_step_model_says_so_in_the_converged_column() {
    let tmp = tempfile::tempdir().unwrap();
    let md = report(tmp.path());
    let gmm = row(&md, "## Dataset: 8gaussians", "gmm");
    assert_eq!(gmm[6], "one step", "{gmm:?}");
    assert!(md.contains("one step: every seed trained a single step"));
    // Its seconds to converge are its single step's: 4e-8 s, not written as 0.
    let seconds = row(&md, "**Seconds to converge**", "gmm");
    assert_eq!(seconds[2], "< 0.001 (one step)");
    // A model that trained 400 steps and recorded `converged` is counted, not called one step.
    assert_eq!(row(&md, "## Dataset: 8gaussians", "vae")[6], "2 of 2");
}

#[test]
fn planned_runs_without_results_are_not_run_and_unplanned_pairs_absent() {
    let tmp = tempfile::tempdir().unwrap();
    let md = report(tmp.path());
    for table in ["**Test NLL**", "**Seconds to converge**"] {
        assert_eq!(
            row(&md, table, "pixelcnn"),
            ["pixelcnn", "autoregressive", "·", "not run"]
        );
        assert_eq!(row(&md, table, "realnvp")[3], "·");
        assert!(row(&md, table, "ddpm")[3].ends_with(" ‡"));
        assert!(!row(&md, table, "ddpm")[2].ends_with(" ‡"));
    }
    for must in [
        "**Not run yet**: 3 of the 25 runs manifest.toml plans have no results in this folder",
        "- `ddpm` on digits: seed 2\n- `pixelcnn` on digits: seeds 0, 1",
        "- `realnvp` (flow): manifest.toml runs it on 8gaussians only, not on digits.\n",
        "- `pixelcnn` (autoregressive): manifest.toml runs it on digits only, not on 8gaussians. Its family's config check refuses 8gaussians (on 8gaussians: needs an image dataset).",
    ] {
        assert!(md.contains(must), "REPORT.md lacks {must:?}");
    }
    // Without the plan the same folder cannot tell: no row of the model without runs, no ‡,
    // no planned section.
    genbench_report::write_report(tmp.path(), &common::family_order()).unwrap();
    let md = std::fs::read_to_string(tmp.path().join("REPORT.md")).unwrap();
    assert!(!md.contains("| pixelcnn |") && !md.contains("## Runs the manifest plans"));
    assert!(!row(&md, "**Test NLL**", "ddpm")[3].contains('‡'));
    assert_eq!(row(&md, "**Test NLL**", "realnvp")[3], "·");
}

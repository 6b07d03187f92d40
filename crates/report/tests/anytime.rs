//! The benchmark protocol in the report: the protocol paragraph (validation fraction and seed,
//! what was chosen on validation, the test set scored once at the selected step), the selected
//! step in the tables, the mark on unconverged rows, every likelihood kind in the legend, and
//! the anytime plots drawn from exactly the anytime rows of metrics.csv.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use genbench_core::results::schema::col;
use genbench_eval::stats::summarize;
use genbench_report::anytime::curve;
use genbench_report::format::{interval, num};
use genbench_report::{data, model};
use std::path::Path;

/// Steps of the fixture's anytime rows (1, 2, 5, 10, 20, 50, 100 % of 400 steps) and of its
/// periodic rows (every 100 steps, those not on an anytime step).
const ANYTIME: [(u32, &str); 7] = [
    (4, "0.01"),
    (8, "0.02"),
    (20, "0.05"),
    (40, "0.1"),
    (80, "0.2"),
    (200, "0.5"),
    (400, "1"),
];
const PERIODIC: [u32; 2] = [100, 300];

/// The fixture's validation NLL, FD and training seconds of a run at `step`.
fn nll(step: u32, seed: u64) -> f64 {
    3.0 + 2.0 / step as f64 + 0.01 * seed as f64
}
fn fd(step: u32, seed: u64) -> f64 {
    0.1 + 5.0 / step as f64 + 0.002 * seed as f64
}
fn seconds(step: u32, seed: u64) -> f64 {
    0.05 * step as f64 * (1.0 + 0.1 * seed as f64)
}

/// The full fixture, each finished run given config.json (10 % validation, seed 7, anytime),
/// a selected step and `converged` (false for every seed of `made`), and a metrics.csv of
/// periodic, anytime and final test rows whose periodic and test rows would move every curve
/// if they were read as anytime points.
fn fixture(dir: &Path) {
    let mut rows = common::write_fixture(dir, &[0, 1, 2], &|_| true);
    for r in &mut rows {
        if r[col::STATUS] != "ok" {
            continue;
        }
        let seed: u64 = r[col::SEED].parse().unwrap();
        let images = r[col::DATASET] == "digits";
        let with_nll = r[col::NLL_KIND] != "unavailable";
        r.insert(col::SELECTED_STEP.into(), format!("{}", 200 + 100 * seed));
        r.insert(col::CONVERGED.into(), (r[col::MODEL] != "made").to_string());
        let run = dir.join("runs").join(&r[col::RUN_ID]);
        std::fs::write(
            run.join("config.json"),
            format!(
                r#"{{"dataset": {{"name": "{}", "validation_fraction": 0.1, "validation_seed": 7}},
                   "eval": {{"eval_every": 100, "eval_examples": 500, "anytime": true}}}}"#,
                r[col::DATASET]
            ),
        )
        .unwrap();
        let header: Vec<String> = [
            "step",
            "train_seconds",
            "split",
            "nll_kind",
            "nll_nats",
            "nll_bpd",
            "nll_n",
            "fd",
            "fd_n",
            "budget_fraction",
        ]
        .map(String::from)
        .to_vec();
        // made has the lowest NLL, gmm the lowest FD (the leaders' table).
        let (nll_off, fd_off) = match r[col::MODEL].as_str() {
            "made" => (0.0, 0.0),
            "gmm" => (0.1, -0.05),
            _ => (0.3, 0.0),
        };
        let row = |step: u32, split: &str, fraction: &str, shift: f64| {
            let (n, f) = (
                nll(step, seed) + nll_off + shift,
                fd(step, seed) + fd_off + shift,
            );
            let n = if with_nll {
                n.to_string()
            } else {
                String::new()
            };
            vec![
                step.to_string(),
                seconds(step, seed).to_string(),
                split.into(),
                r[col::NLL_KIND].clone(),
                if images { String::new() } else { n.clone() },
                if images { n } else { String::new() },
                "500".into(),
                f.to_string(),
                "500/500".into(),
                fraction.into(),
            ]
        };
        // In step order, as the training loop writes them; the final row is the test row.
        let mut lines: Vec<Vec<String>> = ANYTIME
            .iter()
            .map(|&(step, fraction)| row(step, "validation", fraction, 0.0))
            .chain(PERIODIC.map(|step| row(step, "validation", "", 50.0)))
            .collect();
        lines.sort_by_key(|l| l[0].parse::<u32>().unwrap());
        lines.push(row(400, "test", "", 100.0));
        common::write_csv(&run.join("metrics.csv"), &header, &lines);
    }
    common::write_summary(dir, &rows);
}

/// The plot's points are the anytime rows, fraction by fraction, summarised over the seeds:
/// no periodic row (every 100 steps) and no final test row among them.
#[test]
fn anytime_points_are_the_anytime_rows() {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path());
    let runs = data::read_runs(tmp.path()).unwrap();
    let groups = model::group(&runs, &common::family_order());
    for (dataset, key) in [("8gaussians", col::NLL_NATS), ("digits", col::NLL_BPD)] {
        let made = groups[dataset].iter().find(|m| m.model == "made").unwrap();
        let c = curve(made, key).unwrap();
        let steps: Vec<f64> = c.points.iter().map(|p| p.step.mean).collect();
        assert_eq!(steps, ANYTIME.map(|(s, _)| s as f64).to_vec());
        for (p, (step, fraction)) in c.points.iter().zip(ANYTIME) {
            assert_eq!(p.fraction, fraction.parse::<f64>().unwrap());
            assert_eq!((p.nll.n, p.fd.n, p.seconds.n), (3, 3, 3));
            // Mean over seeds 0, 1, 2 of the row's value: the formula at seed 1.
            assert!(
                (p.nll.mean - nll(step, 1)).abs() < 1e-12,
                "{dataset} {step}"
            );
            assert!((p.fd.mean - fd(step, 1)).abs() < 1e-12);
            assert!((p.seconds.mean - seconds(step, 1)).abs() < 1e-12);
        }
        assert!(c.on_validation());
        assert_eq!(c.fd_n, ["500/500"]);
        // By 1 s of training (seed 1: 0.055 s a step) the last evaluation is step 8's (0.44 s);
        // step 20 comes at 1.1 s.
        let by_1s = c.value_at(1.0, |p| &p.nll).unwrap();
        assert!((by_1s - nll(8, 1)).abs() < 1e-12, "{by_1s}");
        assert_eq!(c.value_at(0.1, |p| &p.nll), None);
    }
    // A GAN has no likelihood: its curve has FD and no NLL, never a 0.
    let gan = groups["8gaussians"]
        .iter()
        .find(|m| m.model == "gan")
        .unwrap();
    let c = curve(gan, col::NLL_NATS).unwrap();
    assert!(c.points.iter().all(|p| p.nll.n == 0 && p.fd.n == 3));
}

#[test]
fn the_report_states_the_protocol_and_marks_what_did_not_converge() {
    let tmp = tempfile::tempdir().unwrap();
    fixture(tmp.path());
    let summary = genbench_report::write_report(tmp.path(), &common::family_order()).unwrap();
    let md = std::fs::read_to_string(tmp.path().join("REPORT.md")).unwrap();
    for must in [
        "## Protocol",
        "8gaussians: 10 % of the training set (validation_seed 7); digits: 10 % of the training set (validation_seed 7)",
        "Evaluations every 100 steps and at the last step, and with `anytime` at 1, 2, 5, 10, 20, 50 and 100 % of the budget score the first 500 validation examples",
        "**Test set scored once**, at the end, on the selected weights",
        "| selected step | validation score there | converged |",
        "† not converged in at least one seed: its validation score (NLL, else FD) still improved by 1 % of max(1, |final value|) or more from 50 % to 100 % of the budget.",
        "`vdm-cont` (",
        "`vdm-T` (",
        "`ode` (",
        "`ode-decoder` (",
        "`ode-dequantized` (",
        "`iwae-K` (",
        "### Anytime curves",
        "plots/anytime-seconds-8gaussians.png",
        "plots/anytime-steps-8gaussians.png",
        "plots/anytime-seconds-digits.png",
        "plots/anytime-steps-digits.png",
    ] {
        assert!(md.contains(must), "REPORT.md lacks {must:?}");
    }
    // made: seeds 0, 1, 2 selected at 200, 300, 400 of 400 steps (validation NLL there: the
    // anytime rows of steps 200 and 400, the periodic row of step 300), none converged.
    for (model, off, converged) in [("made †", 0.0, "0 of 3"), ("gmm", 0.1, "3 of 3")] {
        let there = [nll(200, 0), nll(300, 1) + 50.0, nll(400, 2)].map(|v| v + off);
        let family = if off == 0.0 {
            "autoregressive · 2015"
        } else {
            "gmm · 1977"
        };
        let row = format!(
            "| {model} | {family} | 3 | exact | 200, 300, 400 of 400 | {} NLL (exact) | {converged} |",
            interval(&summarize(&there), 3)
        );
        assert!(md.contains(&row), "REPORT.md lacks {row:?}");
    }
    // Who leads: by 10 s each run's last evaluation is step 80's (seed 1: 4.4 s; step 200 comes
    // at 11 s), by 1,000 s the last one (step 400); made has the lowest NLL, gmm the lowest FD.
    for (t, step) in [("10", 80), ("1000", 400)] {
        let row = format!(
            "| {t} s | made (exact): {} | gmm: {} |",
            num(nll(step, 1)),
            num(fd(step, 1) - 0.05)
        );
        assert!(md.contains(&row), "REPORT.md lacks {row:?}");
    }
    // Every anytime figure was drawn (PNG and SVG), none failed.
    assert!(
        !summary.missing.iter().any(|m| m.starts_with("figure")),
        "{:?}",
        summary.missing
    );
    for stem in ["anytime-seconds-digits", "anytime-steps-8gaussians"] {
        for ext in ["png", "svg"] {
            assert!(tmp.path().join(format!("plots/{stem}.{ext}")).is_file());
        }
    }
}

/// Results made before the validation split: the report says they had none.
#[test]
fn runs_without_a_validation_split_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let rows = common::write_fixture(tmp.path(), &[0], &|_| true);
    for r in &rows {
        let run = tmp.path().join("runs").join(&r[col::RUN_ID]);
        std::fs::write(
            run.join("config.json"),
            r#"{"dataset": {"name": "digits", "split_seed": 0}, "eval": {"eval_every": 0}}"#,
        )
        .unwrap();
    }
    common::write_summary(tmp.path(), &rows);
    genbench_report::write_report(tmp.path(), &common::family_order()).unwrap();
    let md = std::fs::read_to_string(tmp.path().join("REPORT.md")).unwrap();
    assert!(
        md.contains("- 12 of 12 runs had no validation split"),
        "{md}"
    );
    assert!(!md.contains("selected step |"));
    assert!(!md.contains("†"));
}

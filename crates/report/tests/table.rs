//! The table of a small fixed summary.csv against hand-computed means, intervals and marks.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use std::path::Path;

const HEADER: &str = "run_id,experiment,family,model,arch,paper,year,dataset,seed,conditional,status,nll_kind,nll_nats,fd,precision";

fn write(dir: &Path) {
    let mut text = String::from(HEADER);
    text.push('\n');
    let models = [
        (
            "gmm",
            "gmm",
            "Dempster et al. 1977",
            "1977",
            "exact",
            ["1", "2", "3"],
            ["0.1", "0.2", "0.3"],
            ["0.5", "0.6", "0.7"],
        ),
        (
            "made",
            "autoregressive",
            "Germain et al. 2015",
            "2015",
            "exact",
            ["2.5", "2.5", "2.5"],
            ["0.05", "0.05", "0.05"],
            ["0.7", "0.7", "0.7"],
        ),
        (
            "gan",
            "gan",
            "Goodfellow et al. 2014",
            "2014",
            "unavailable",
            ["", "", ""],
            ["0.2", "0.4", "0.6"],
            ["0.8", "0.8", "0.8"],
        ),
    ];
    // Rows deliberately out of order: the report sorts them.
    for seed in [2, 0, 1] {
        for (model, family, paper, year, kind, nll, fd, precision) in &models {
            text.push_str(&format!(
                "{model}-s{seed},fixed,{family},{model},{model} arch,{paper},{year},8gaussians,{seed},false,ok,{kind},{},{},{}\n",
                nll[seed], fd[seed], precision[seed]
            ));
        }
    }
    std::fs::write(dir.join("summary.csv"), text).unwrap();
}

/// Hand-computed, with t_{0.975, 2} = 4.302652729911275 and half-width t * s / sqrt(3):
/// - gmm NLL {1, 2, 3}: mean 2, s = 1, half = 4.3027 / 1.7321 = 2.4841 -> "2.000 ± 2.484", best
///   (lower) of the two exact NLLs; gan's `unavailable` is shown as "–" and never compared.
/// - made NLL {2.5 x3}: s = 0 -> "2.500 ± 0.000".
/// - gmm FD {0.1, 0.2, 0.3}: mean 0.2, s = 0.1, half = 0.24841 -> "0.2000 ± 0.2484".
/// - made FD {0.05 x3}: "0.05000 ± 0.00000", best (lower).
/// - gan FD {0.2, 0.4, 0.6}: mean 0.4, s = 0.2, half = 0.49683 -> "0.4000 ± 0.4968".
/// - precision: gmm {0.5, 0.6, 0.7} -> "0.6000 ± 0.2484"; made "0.7000 ± 0.0000"; gan {0.8 x3}
///   "0.8000 ± 0.0000", best (higher).
#[test]
fn table_numbers_intervals_and_best_marks() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path());
    let summary = genbench_report::write_report(tmp.path(), &common::family_order()).unwrap();
    assert_eq!(
        (
            summary.runs,
            summary.datasets,
            summary.models,
            summary.pairs
        ),
        (9, 1, 3, 3)
    );
    let md = std::fs::read_to_string(tmp.path().join("REPORT.md")).unwrap();
    // Models counted once each; "1 dataset", not "1 datasets".
    let head =
        "- Runs: 9 (9 finished, 0 diverged) of 3 models on 1 dataset (3 model–dataset pairs): ";
    assert!(md.contains(head), "{md}");
    let expected = [
        "| model | family · year | seeds | NLL kind | NLL (nats) ↓ | FD ↓ | precision ↑ |",
        "| gmm | gmm · 1977 | 3 | exact | **2.000 ± 2.484** | 0.2000 ± 0.2484 | 0.6000 ± 0.2484 |",
        "| made | autoregressive · 2015 | 3 | exact | 2.500 ± 0.000 | **0.05000 ± 0.00000** | 0.7000 ± 0.0000 |",
        "| gan | gan · 2014 | 3 | unavailable | – | 0.4000 ± 0.4968 | **0.8000 ± 0.0000** |",
    ];
    let mut at = 0;
    for line in expected {
        let pos = md[at..]
            .find(line)
            .unwrap_or_else(|| panic!("missing or out of order: {line}\n\n{md}"));
        at += pos + line.len();
    }
    // The missing per-run files are reported, not fatal.
    assert!(
        md.contains("## Not available") && md.contains("train.csv"),
        "{md}"
    );
    assert!(
        !summary.missing.iter().any(|m| m.starts_with("figure")),
        "{:?}",
        summary.missing
    );
}

/// The summary of genbench-eval agrees with the hand computation above.
#[test]
fn interval_half_width_is_t_times_s_over_sqrt_n() {
    let s = genbench_eval::stats::summarize(&[0.1, 0.2, 0.3]);
    assert!((s.ci95_high - s.mean - 4.302652729911275 * 0.1 / 3f64.sqrt()).abs() < 1e-9);
}

/// A summary.csv with a header and no rows (nothing finished yet) still gives a report.
#[test]
fn empty_summary_gives_a_report() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("summary.csv"), format!("{HEADER}\n")).unwrap();
    let summary = genbench_report::write_report(tmp.path(), &common::family_order()).unwrap();
    assert_eq!(
        (
            summary.runs,
            summary.datasets,
            summary.models,
            summary.pairs
        ),
        (0, 0, 0, 0)
    );
    assert!(summary.plots.is_empty());
    assert!(tmp.path().join("REPORT.md").is_file());
    // And a folder without summary.csv is an error naming it.
    let none = tempfile::tempdir().unwrap();
    let err = genbench_report::write_report(none.path(), &common::family_order()).unwrap_err();
    assert!(format!("{err:#}").contains("summary.csv"), "{err:#}");
}

/// A conditional model's NLL is −log p(x | y): marked `| y`, never ranked against −log p(x) (a
/// lower number there is no better model), only against other conditional models'.
#[test]
fn conditional_nlls_are_marked_and_ranked_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = format!("{HEADER}\n");
    for (model, family, conditional, kind, nll) in [
        ("gmm", "gmm", false, "exact", "2.0"),
        ("flow", "flow", false, "exact", "2.2"),
        ("vae-c", "vae", true, "iwae-100", "1.7"),
        ("ddpm-c", "diffusion", true, "vlb-1000", "1.5"),
    ] {
        text.push_str(&format!(
            "{model}-s0,fixed,{family},{model},{model} arch,paper,2000,8gaussians,0,{conditional},ok,{kind},{nll},0.1,0.5\n"
        ));
    }
    std::fs::write(tmp.path().join("summary.csv"), text).unwrap();
    genbench_report::write_report(tmp.path(), &common::family_order()).unwrap();
    let md = std::fs::read_to_string(tmp.path().join("REPORT.md")).unwrap();
    for row in [
        "| gmm | gmm · 2000 | 1 | exact | **2 (n=1)** |",
        "| flow | flow · 2000 | 1 | exact | 2.200 (n=1) |",
        "| vae-c | vae · 2000 | 1 | iwae-100 \\| y | 1.700 (n=1) |",
        "| ddpm-c | diffusion · 2000 | 1 | vlb-1000 \\| y | **1.500 (n=1)** |",
    ] {
        assert!(md.contains(row), "missing: {row}\n\n{md}");
    }
}

/// The plots draw a metric's 95% interval clipped to the values the metric can take; the table
/// above keeps the t interval's half-width as it is ("0.4000 ± 0.4968").
/// - gmm FD {0.1, 0.2, 0.3}: 0.2 ∓ 0.24841 -> (−0.0484, 0.4484), drawn (0, 0.4484).
/// - gan FD {0.2, 0.4, 0.6}: 0.4 ∓ 0.49683 -> (−0.0968, 0.8968), drawn (0, 0.8968).
/// - made FD {0.05 x3}: a point, unchanged.
/// - gmm precision {0.5, 0.6, 0.7}: (0.3516, 0.8484), inside [0, 1], unchanged.
#[test]
fn plotted_intervals_stay_within_the_metric_range() {
    use genbench_core::results::schema::col;
    use genbench_report::model::{drawn_interval, group, metrics};
    use genbench_report::plot::bars::MetricBars;
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path());
    let runs = genbench_report::data::read_runs(tmp.path()).unwrap();
    let groups = group(&runs, &common::family_order());
    let bars = MetricBars::new("t".into(), &groups["8gaussians"], &metrics(false));
    let panel = |key: &str| {
        bars.panels
            .iter()
            .find(|p| p.metric.key == key)
            .unwrap_or_else(|| panic!("no {key} panel"))
    };
    let t = 4.302652729911275 / 3f64.sqrt();
    let close = |a: f64, b: f64| (a - b).abs() < 1e-9;
    let fd: Vec<(&str, f64, f64)> = panel(col::FD)
        .bars
        .iter()
        .map(|b| (b.label.as_str(), b.low, b.high))
        .collect();
    let expect = [
        ("gmm", 0.0, 0.2 + 0.1 * t),
        ("made", 0.05, 0.05),
        ("gan", 0.0, 0.4 + 0.2 * t),
    ];
    assert_eq!(fd.len(), 3, "{fd:?}");
    for (got, want) in fd.iter().zip(expect) {
        assert!(
            got.0 == want.0 && close(got.1, want.1) && close(got.2, want.2),
            "{fd:?}"
        );
    }
    let gmm = &panel(col::PRECISION).bars[0];
    assert!(close(gmm.low, 0.6 - 0.1 * t) && close(gmm.high, 0.6 + 0.1 * t));

    // A share's upper end: recall {0.9, 1.0, 0.7} has the t interval (0.4872, 1.2461).
    let s = genbench_eval::stats::summarize(&[0.9, 1.0, 0.7]);
    assert!(s.ci95_high > 1.2);
    let (low, high) = drawn_interval(col::RECALL, &s);
    assert!(close(low, s.ci95_low) && high == 1.0, "{low} {high}");
    // KID, an unbiased MMD² estimate, can be negative: its interval is not clipped.
    let k = genbench_eval::stats::summarize(&[-0.01, 0.0, 0.05]);
    assert_eq!(drawn_interval(col::KID, &k), (k.ci95_low, k.ci95_high));
    assert!(k.ci95_low < 0.0);
}

//! End-to-end tests of `genbench score`, `genbench export-split` and `genbench sample --out`:
//! samples genbench drew itself, written out and scored back, give the run's own numbers to the
//! last digit in every format; every bad input is exit 2, one line, nothing written.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::{Batch, DataSpec};
use genbench_dataset::external::write_samples_npy;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn genbench(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_genbench"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("genbench runs")
}

fn ok(args: &[&str], cwd: &Path) -> String {
    let out = genbench(args, cwd);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "genbench {args:?} failed:\n{err}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A digits experiment small enough for a test: a diagonal mixture, 200 samples scored.
const DIGITS: &str = r#"
name = "byom"
output = "out"
seeds = [0]

[eval]
samples = 200
kid_subsets = 10
kid_subset_size = 100
keep_checkpoint = true

[[datasets]]
name = "digits"

[[models]]
name = "gmm"
family = "gmm"
steps = 5
batch_size = "full"
[models.config]
components = 4
covariance = "diagonal"
restarts = 1
"#;

fn result(dir: &Path, run: &str) -> serde_json::Map<String, serde_json::Value> {
    let path = dir.join("out/runs").join(run).join("result.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn col<'a>(row: &'a serde_json::Map<String, serde_json::Value>, key: &str) -> &'a str {
    row.get(key).and_then(|v| v.as_str()).unwrap_or("")
}

/// Every sample-based column, to the last digit.
const SAMPLE_METRICS: &[&str] = &[
    "fd",
    "fd_n",
    "kid",
    "kid_std",
    "kid_n",
    "precision",
    "recall",
    "pr_n",
    "density",
    "coverage",
    "dc_n",
    "classifier_accuracy",
];

fn digits_experiment() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.toml"), DIGITS).unwrap();
    ok(&["run", "m.toml"], dir.path());
    dir
}

#[test]
fn genbench_samples_scored_back_as_npy_csv_and_png_give_the_run_numbers() {
    let dir = digits_experiment();
    let d = dir.path();
    let run = "out/runs/gmm--digits--s0";
    ok(&["sample", run, "-n", "200", "--out", "s.npy"], d);
    ok(&["sample", run, "-n", "200", "--out", "s.csv"], d);
    ok(&["sample", run, "-n", "200", "--out", "pngs/"], d);
    assert_eq!(std::fs::read_dir(d.join("pngs")).unwrap().count(), 200);
    let score = |name: &str, samples: &str, extra: &[&str]| {
        let mut args = vec![
            "score",
            "--manifest",
            "m.toml",
            "--samples",
            samples,
            "--name",
            name,
        ];
        args.extend(extra);
        ok(&args, d)
    };
    score("ext-npy", "s.npy", &[]);
    score("ext-csv", "s.csv", &["--scale", "levels"]);
    score("ext-png", "pngs", &[]);
    let theirs = result(d, "gmm--digits--s0");
    for name in ["ext-npy", "ext-csv", "ext-png"] {
        let ours = result(d, &format!("{name}--digits--s0"));
        for key in SAMPLE_METRICS {
            assert!(!col(&theirs, key).is_empty(), "{key} missing from the run");
            assert_eq!(col(&ours, key), col(&theirs, key), "{name}: {key}");
        }
        assert_eq!(col(&ours, "family"), "external");
        assert_eq!(col(&ours, "split_fingerprint").len(), 16);
        // No likelihood given: unavailable, its numbers empty, never 0.
        assert_eq!(col(&ours, "nll_kind"), "unavailable");
        for key in ["nll_nats", "nll_bpd", "nll_n", "params", "train_seconds"] {
            assert_eq!(col(&ours, key), "", "{name}: {key}");
        }
    }
    let summary = std::fs::read_to_string(d.join("out/summary.csv")).unwrap();
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = summary
        .lines()
        .find(|l| l.starts_with("ext-npy--digits--s0,"))
        .unwrap()
        .split(',')
        .collect();
    for key in ["nll_nats", "nll_bpd"] {
        let i = header.iter().position(|h| h == &key).unwrap();
        assert_eq!(
            row[i], "",
            "summary.csv {key} of an external row without likelihood"
        );
    }
    let report = std::fs::read_to_string(d.join("out/REPORT.md")).unwrap();
    assert!(
        report.contains("ext-npy") && report.contains("external"),
        "{report}"
    );
}

#[test]
fn two_d_samples_csv_of_a_run_scores_to_its_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let manifest = DIGITS
        .replace(
            "name = \"digits\"",
            "name = \"8gaussians\"\ntrain_size = 2000\ntest_size = 500",
        )
        .replace("components = 4", "components = 8");
    std::fs::write(d.join("m.toml"), manifest).unwrap();
    ok(&["run", "m.toml"], d);
    ok(
        &[
            "score",
            "--manifest",
            "m.toml",
            "--samples",
            "out/runs/gmm--8gaussians--s0/samples.csv",
            "--name",
            "ext",
        ],
        d,
    );
    let (theirs, ours) = (
        result(d, "gmm--8gaussians--s0"),
        result(d, "ext--8gaussians--s0"),
    );
    for key in SAMPLE_METRICS[..11].iter().chain(&[
        "true_logp_of_samples",
        "modes_covered",
        "high_quality",
    ]) {
        assert!(!col(&theirs, key).is_empty(), "{key}");
        assert_eq!(col(&ours, key), col(&theirs, key), "{key}");
    }
    assert_eq!(col(&ours, "nll_minus_entropy_nats"), "");
}

#[test]
fn exported_split_and_a_uniform_model_give_log2_levels_bits_per_dim() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let fingerprint = ok(
        &["export-split", "--dataset", "digits", "--out", "split"],
        d,
    );
    for f in [
        "train.npy",
        "train_labels.npy",
        "test.npy",
        "test_labels.npy",
        "split.json",
    ] {
        assert!(d.join("split").join(f).is_file(), "{f}");
    }
    // The uniform model over 17 levels: log p(x) = -64 ln 17 for each of the 360 test images,
    // so its NLL is exactly log2(17) bits/dim; its samples are uniform levels.
    let logp = -64.0 * 17f64.ln();
    std::fs::write(d.join("ll.txt"), format!("{logp}\n").repeat(360)).unwrap();
    let x: Vec<f32> = (0..2000 * 64).map(|k| ((k * 7919) % 17) as f32).collect();
    write_samples_npy(&d.join("u.npy"), &Batch::new(x, vec![], 64), &digits()).unwrap();
    ok(
        &[
            "score",
            "--dataset",
            "digits",
            "--out",
            "out",
            "--samples",
            "u.npy",
            "--name",
            "uniform",
            "--log-likelihood",
            "ll.txt",
            "--kind",
            "exact",
            "--split-fingerprint",
            &fingerprint,
            "--params",
            "0",
        ],
        d,
    );
    let row = result(d, "uniform--digits--s0");
    assert_eq!(col(&row, "nll_kind"), "exact");
    assert_eq!(col(&row, "nll_n"), "360");
    let bpd: f64 = col(&row, "nll_bpd").parse().unwrap();
    assert!((bpd - 17f64.log2()).abs() < 1e-12, "{bpd}");
    let nats: f64 = col(&row, "nll_nats").parse().unwrap();
    assert!((nats + logp).abs() < 1e-9, "{nats}");
    assert_eq!(col(&row, "params"), "0");
    assert_eq!(col(&row, "fd_n"), "360/2000");
}

fn digits() -> DataSpec {
    DataSpec {
        name: "digits".into(),
        shape: vec![1, 8, 8],
        levels: Some(17),
        num_classes: 10,
    }
}

/// `genbench score ARGS` must fail: exit 2, one `error:` line containing `needle`, and no
/// experiment folder or feature-network cache written.
fn refused(d: &Path, args: &[&str], needle: &str) {
    let mut all = vec![
        "score",
        "--manifest",
        "m.toml",
        "--out",
        "fresh/out",
        "--name",
        "x",
    ];
    all.extend(args);
    let out = genbench(&all, d);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains(needle), "`{needle}` missing from {err}");
    assert!(!d.join("fresh").exists(), "{args:?} wrote something");
}

fn npy(d: &Path, name: &str, x: Vec<f32>, spec: &DataSpec) -> PathBuf {
    let path = d.join(name);
    write_samples_npy(&path, &Batch::new(x, vec![], spec.dim()), spec).unwrap();
    path
}

#[test]
fn every_bad_input_is_one_line_exit_2_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("m.toml"), DIGITS).unwrap();
    let fingerprint = ok(
        &["export-split", "--manifest", "m.toml", "--out", "split"],
        d,
    );
    let good: Vec<f32> = (0..200 * 64).map(|k| (k % 17) as f32).collect();
    npy(d, "good.npy", good.clone(), &digits());
    let flat = DataSpec {
        shape: vec![7, 8],
        levels: None,
        ..digits()
    };
    npy(d, "shape.npy", vec![0.0; 200 * 56], &flat);
    refused(
        d,
        &["--samples", "shape.npy"],
        "shape [200, 7, 8] does not hold digits",
    );
    let float = DataSpec {
        levels: None,
        ..digits()
    };
    let mut x = good.clone();
    x[65] = 3.5;
    npy(d, "frac.npy", x, &float);
    refused(
        d,
        &["--samples", "frac.npy", "--scale", "levels"],
        "sample 1, value 1: 3.5 is not an integer level",
    );
    refused(d, &["--samples", "frac.npy"], "state their scale");
    let mut x = good.clone();
    x[3] = 17.0;
    npy(
        d,
        "range.npy",
        x,
        &DataSpec {
            levels: Some(256),
            ..digits()
        },
    );
    refused(
        d,
        &["--samples", "range.npy"],
        "17 is outside the levels 0..16",
    );
    let mut x = good.clone();
    x[10] = f32::NAN;
    npy(d, "nan.npy", x, &float);
    refused(
        d,
        &["--samples", "nan.npy", "--scale", "unit"],
        "sample 0, value 10: NaN",
    );
    npy(d, "few.npy", good[..50 * 64].to_vec(), &digits());
    refused(
        d,
        &["--samples", "few.npy"],
        "50 samples, but the experiment scores 200",
    );
    std::fs::write(d.join("short.txt"), "-100\n".repeat(359)).unwrap();
    let ll = |file: &str, fp: &str| {
        vec![
            "--samples".to_string(),
            "good.npy".into(),
            "--log-likelihood".into(),
            file.into(),
            "--kind".into(),
            "exact".into(),
            "--split-fingerprint".into(),
            fp.into(),
        ]
    };
    let refused_ll = |file: &str, fp: &str, needle: &str| {
        let args = ll(file, fp);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        refused(d, &args, needle);
    };
    refused_ll(
        "short.txt",
        &fingerprint,
        "359 log-likelihoods, but the test set of digits has 360",
    );
    std::fs::write(d.join("ll.txt"), "-100\n".repeat(360)).unwrap();
    refused_ll(
        "ll.txt",
        "0123456789abcdef",
        "computed on split 0123456789abcdef",
    );
    std::fs::write(d.join("pos.txt"), "100\n".repeat(360)).unwrap();
    refused_ll("pos.txt", &fingerprint, "> 0 on discrete data");
    refused(d, &["--samples", "good.npy", "--data", "levels=4"], "");
    refused(
        d,
        &["--samples", "good.npy", "--data", "colour=1"],
        "unknown field `colour`",
    );
}

//! `genbench run M --jobs N`: runs side by side, each with its share of the threads, give every
//! run the numbers it gets alone with that thread count.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::{
    csv_rows, flow, genbench_with, get, gmm, stderr, timeless, tiny_2d_manifest, vae, write,
};

/// Six runs of three families with step budgets (bit-reproducible at a fixed thread count).
fn manifest(output: &str) -> String {
    tiny_2d_manifest(output, "[0, 1]", "", &[gmm(15), vae(60), flow(40)])
}

#[test]
fn jobs_give_every_run_its_sequential_numbers() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "par.toml", &manifest("out"));
    write(dir.path(), "seq.toml", &manifest("seq"));
    // Two jobs sharing two threads: one thread per run.
    let par = genbench_with(
        &["run", "par.toml", "--jobs", "2"],
        dir.path(),
        &[("RAYON_NUM_THREADS", "2")],
    );
    assert!(par.status.success(), "{}", stderr(&par));
    assert!(
        stderr(&par).contains("6 runs, 2 at a time, 1 thread each"),
        "{}",
        stderr(&par)
    );
    let seq = genbench_with(
        &["run", "seq.toml"],
        dir.path(),
        &[("RAYON_NUM_THREADS", "1")],
    );
    assert!(seq.status.success(), "{}", stderr(&seq));

    let (par_rows, seq_rows) = (
        csv_rows(&dir.path().join("out/summary.csv")),
        csv_rows(&dir.path().join("seq/summary.csv")),
    );
    assert_eq!(par_rows.len(), 6);
    assert_eq!(par_rows.len(), seq_rows.len());
    for (p, s) in par_rows.iter().zip(&seq_rows) {
        assert_eq!(get(p, "threads"), "1", "{}", get(p, "run_id"));
        assert_eq!(get(p, "status"), "ok", "{}", get(p, "run_id"));
        assert_eq!(timeless(p), timeless(s), "{}", get(p, "run_id"));
    }
    assert!(dir.path().join("out/REPORT.md").is_file());

    // A second call finds every run done and starts no child.
    let again = genbench_with(&["run", "par.toml", "--jobs", "2"], dir.path(), &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("0 ran, 6 skipped, 0 failed"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn zero_jobs_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.toml", &manifest("out"));
    let out = genbench_with(&["run", "m.toml", "--jobs", "0"], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!dir.path().join("out").exists());
}

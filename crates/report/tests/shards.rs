//! Shards merged by copying their runs/ folders together give the same report as one run.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use std::collections::BTreeMap;
use std::path::Path;

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(dir.join("plots")).unwrap() {
        let p = e.unwrap().path();
        out.insert(
            format!("plots/{}", p.file_name().unwrap().to_string_lossy()),
            std::fs::read(&p).unwrap(),
        );
    }
    out.insert(
        "REPORT.md".into(),
        std::fs::read(dir.join("REPORT.md")).unwrap(),
    );
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).map(|_| ()).unwrap();
        }
    }
}

#[test]
fn merged_shards_give_the_unsharded_report() {
    let tmp = tempfile::tempdir().unwrap();
    let (whole, a, b, merged) = (
        tmp.path().join("whole"),
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("merged"),
    );
    let rows = common::write_fixture(&whole, &[0, 1, 2], &|_| true);
    common::write_summary(&whole, &rows);
    // Split by a property unrelated to the sort order: the length of the run id.
    let in_a = |id: &str| id.len().is_multiple_of(2);
    let rows_a = common::write_fixture(&a, &[0, 1, 2], &|id| in_a(id));
    let rows_b = common::write_fixture(&b, &[0, 1, 2], &|id| !in_a(id));
    assert!(!rows_a.is_empty() && !rows_b.is_empty());
    common::write_summary(&a, &rows_a);
    common::write_summary(&b, &rows_b);
    // Each shard draws its own report.
    genbench_report::write_report(&a, &common::family_order()).unwrap();
    genbench_report::write_report(&b, &common::family_order()).unwrap();
    // Merge: runs/ copied together; summary.csv = shard b's rows then shard a's (unsorted).
    copy_dir(&a.join("runs"), &merged.join("runs"));
    copy_dir(&b.join("runs"), &merged.join("runs"));
    let concatenated: Vec<common::Row> = rows_b.iter().chain(rows_a.iter()).cloned().collect();
    common::write_summary_in_order(&merged, &concatenated);
    let s_whole = genbench_report::write_report(&whole, &common::family_order()).unwrap();
    let s_merged = genbench_report::write_report(&merged, &common::family_order()).unwrap();
    assert_eq!(s_whole, s_merged);
    let (x, y) = (snapshot(&whole), snapshot(&merged));
    assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
    for (k, v) in &x {
        assert!(
            v == &y[k],
            "{k} differs between the unsharded and the merged report"
        );
    }
}

/// Seeds of one model merged from shards that ran other settings (a budget changed between two
/// sessions) are refused, naming both runs and the key; seeds that differ only in their seed
/// and backend are summarised together.
#[test]
fn seeds_that_ran_other_settings_are_refused() {
    use genbench_core::results::schema::col;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rows = common::write_fixture(dir, &[0, 1, 2], &|_| true);
    common::write_summary(dir, &rows);
    let seed = |s: &str| {
        rows.iter()
            .find(|r| r[col::SEED] == s && r[col::MODEL] == rows[0][col::MODEL])
            .filter(|r| r[col::DATASET] == rows[0][col::DATASET])
            .unwrap()[col::RUN_ID]
            .clone()
    };
    let (s0, s1) = (seed("0"), seed("1"));
    let settings = |id: &str, seed: u64, steps: u64, backend: &str| {
        let config = serde_json::json!({
            "settings": {"seed": seed, "budget": {"steps": steps}, "backend": backend,
                         "config": {"hidden": [64]}}
        });
        std::fs::write(
            dir.join("runs").join(id).join("config.json"),
            config.to_string(),
        )
        .unwrap();
    };
    settings(&s0, 0, 100, "flex");
    settings(&s1, 1, 200, "wgpu");
    let err = genbench_report::write_report(dir, &common::family_order())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "{s1} ran other settings than {s0}: budget.steps 100 -> 200"
        )),
        "{err}"
    );
    assert!(
        !err.contains("\"wgpu\"") && !err.contains("seed 0 -> 1"),
        "{err}"
    );
    assert!(!dir.join("REPORT.md").exists());
    // The same budget: the seed and the backend may differ.
    settings(&s1, 1, 100, "wgpu");
    genbench_report::write_report(dir, &common::family_order()).unwrap();
    assert!(dir.join("REPORT.md").exists());
}

//! The report over a full synthetic experiment: it renders, and a rerun gives the same bytes.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `dir` (relative path -> bytes), for byte-for-byte comparison.
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let plots = dir.join("plots");
    if let Ok(rd) = std::fs::read_dir(&plots) {
        for e in rd {
            let p = e.unwrap().path();
            out.insert(
                format!("plots/{}", p.file_name().unwrap().to_string_lossy()),
                std::fs::read(&p).unwrap(),
            );
        }
    }
    out.insert(
        "REPORT.md".into(),
        std::fs::read(dir.join("REPORT.md")).unwrap(),
    );
    out
}

#[test]
fn full_fixture_renders_and_rerun_is_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let rows = common::write_fixture(dir, &[0, 1, 2], &|_| true);
    common::write_summary(dir, &rows);
    let first = genbench_report::write_report(dir, &common::family_order()).unwrap();
    let a = snapshot(dir);
    let second = genbench_report::write_report(dir, &common::family_order()).unwrap();
    let b = snapshot(dir);
    assert_eq!(first, second);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(v == &b[k], "{k} differs on a rerun");
    }
    assert!(
        !first.missing.iter().any(|m| m.starts_with("figure")),
        "{:?}",
        first.missing
    );
    assert_eq!(first.runs, 36);
    assert_eq!(first.datasets, 2);
    assert_eq!((first.models, first.pairs), (6, 12));
    // Every PNG has its SVG, and every figure the summary names exists.
    for png in &first.plots {
        assert!(a.contains_key(png), "{png}");
        assert!(
            a.contains_key(&png.replace(".png", ".svg")),
            "{png} without svg"
        );
    }
    let md = String::from_utf8(a["REPORT.md"].clone()).unwrap();
    for must in [
        "## Dataset: 8gaussians",
        "## Dataset: digits",
        "## VAE vs diffusion",
        "## The ink drop",
        "## Conditioning",
        "gan seed 2 diverged at step 120",
    ] {
        assert!(md.contains(must), "REPORT.md lacks {must:?}");
    }
    if let Ok(keep) = std::env::var("GENBENCH_REPORT_KEEP") {
        let keep = Path::new(&keep);
        let _ = std::fs::remove_dir_all(keep);
        copy_dir(dir, keep);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}

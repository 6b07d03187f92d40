//! A full disk: `genbench run` with its output on a tmpfs too small for it, at sizes that fill
//! up at every stage (the manifest's copy, config.json, a checkpoint, the artifacts, summary.csv,
//! REPORT.md and the plots). Each attempt must fail with "No space left on device" and no panic,
//! leave no temporary (`.NAME.HOST-PID.tmp`) and no empty or truncated file, and, once the disk
//! has room again, a rerun must end on the numbers of a run that never met a full disk.
//!
//! The tmpfs is mounted in a private mount namespace (`unshare --user --map-root-user --mount`),
//! so the test needs no root and leaves no mount behind; it skips, saying why, where user
//! namespaces are not allowed.

#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

/// tmpfs sizes: from too small for config.json to too small only for the report.
const SIZES: [&str; 7] = ["8k", "24k", "64k", "128k", "256k", "400k", "600k"];

/// Inside the namespace: mount the small disk, run, keep a copy of what the run left; give the
/// disk room, run again, keep a copy.
const SCRIPT: &str = r#"
set -u
mount -t tmpfs -o size="$SIZE" tmpfs disk || exit 97
"$GENBENCH" run m.toml > /dev/null 2> first.log
echo $? > first.code
mkdir first.out && cp -a disk/. first.out/
mount -o remount,size=64m disk || exit 98
"$GENBENCH" run m.toml > /dev/null 2> second.log
echo $? > second.code
mkdir second.out && cp -a disk/. second.out/
"#;

fn manifest(output: &str) -> String {
    tiny_2d_manifest(
        output,
        "[0]",
        "checkpoint_every = 20\n",
        &[gmm(15), made(60)],
    )
}

/// Whether this machine lets an unprivileged process mount a tmpfs in its own namespace.
fn namespaces_work(dir: &Path) -> bool {
    std::fs::create_dir_all(dir.join("probe")).unwrap();
    Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg("mount -t tmpfs -o size=4k tmpfs probe")
        .current_dir(dir)
        .status()
        .is_ok_and(|s| s.success())
}

/// Regular files under `dir` that are empty or named as temporaries.
fn debris(dir: &Path) -> Vec<String> {
    let mut out = leftovers(dir)
        .into_iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>();
    for rel in tree(dir) {
        let p = dir.join(&rel);
        if p.is_file() && std::fs::metadata(&p).unwrap().len() == 0 {
            out.push(format!("{rel} (empty)"));
        }
        if rel.contains(".tmp") {
            out.push(rel);
        }
    }
    out.sort();
    out.dedup();
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn a_full_disk_leaves_no_debris_and_a_rerun_ends_on_the_same_numbers() {
    let dir = tempfile::tempdir().unwrap();
    if !namespaces_work(dir.path()) {
        eprintln!(
            "skipped: this machine does not allow `unshare --user --mount` (user namespaces)"
        );
        return;
    }
    write(dir.path(), "ref.toml", &manifest("ref"));
    let reference = genbench_with(
        &["run", "ref.toml"],
        dir.path(),
        &[("RAYON_NUM_THREADS", "1")],
    );
    assert!(reference.status.success(), "{}", stderr(&reference));
    let ids = ["gmm--8gaussians--s0", "made--8gaussians--s0"];
    let expected: Vec<_> = ids
        .iter()
        .map(|id| run_numbers(&dir.path().join("ref/runs").join(id)))
        .collect();

    let (mut full, mut clean, mut failures) = (0, 0, Vec::new());
    for size in SIZES {
        let trial = dir.path().join(format!("disk-{size}"));
        std::fs::create_dir_all(trial.join("disk")).unwrap();
        write(&trial, "m.toml", &manifest("disk/out"));
        let status = Command::new("unshare")
            .args(["--user", "--map-root-user", "--mount", "sh", "-c", SCRIPT])
            .env("SIZE", size)
            .env("GENBENCH", bin())
            .env("RAYON_NUM_THREADS", "1")
            .current_dir(&trial)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "{size}: the namespace script failed: {status}"
        );
        let (first, second) = (
            read(&trial.join("first.log")),
            read(&trial.join("second.log")),
        );
        let first_code = read(&trial.join("first.code")).trim().to_string();
        let mut wrong = Vec::new();
        let hit = first.contains("No space left on device");
        full += usize::from(hit);
        if hit != (first_code == "1") || first.contains("panicked") {
            wrong.push(format!("first run exit {first_code}:\n{first}"));
        }
        let left = debris(&trial.join("first.out"));
        if !left.is_empty() {
            wrong.push(format!("left behind {left:?}"));
        }
        if read(&trial.join("second.code")).trim() != "0" {
            wrong.push(format!("rerun failed:\n{second}"));
        }
        for (id, expected) in ids.iter().zip(&expected) {
            let run = trial.join("second.out/out/runs").join(id);
            if !run.join("result.json").exists() || run_numbers(&run) != *expected {
                wrong.push(format!("{id}: numbers differ from a run with room"));
            }
        }
        if wrong.is_empty() {
            clean += 1;
        } else {
            failures.push(format!("tmpfs size={size}: {}", wrong.join("\n")));
        }
    }
    eprintln!(
        "full-disk trials: {}, disk full: {full}, no debris and same numbers after a rerun: {clean}",
        SIZES.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The largest sizes may hold a run whose files shrank; the smaller ones must fill up.
    assert!(full >= SIZES.len() / 2, "most sizes must fill the disk");
}

//! Two `genbench run` on one manifest and one output at once (a run started twice, two cluster
//! jobs with the same array index): they share the work — every run is trained by exactly one
//! of them, the other skips or waits for it — both succeed, and the numbers equal a single
//! process's. Trials: 1 (GENBENCH_CONCURRENT_TRIALS=N for more).

#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;

const SHARED: &str = r#"
name = "shared"
output = "OUT"
seeds = [0, 1]

[eval]
samples = 300
likelihood_examples = 200
kid_subsets = 10
kid_subset_size = 100
eval_every = 50
eval_examples = 100
checkpoint_every = 40

[[datasets]]
name = "8gaussians"
train_size = 1000
test_size = 300

[[models]]
name = "gmm"
family = "gmm"
steps = 40
batch_size = "full"
[models.config]
components = 8
restarts = 1

[[models]]
name = "made"
family = "autoregressive"
steps = 150
batch_size = 128
learning_rate = 3e-3
[models.config]
arch = "made"
hidden = [32, 32]
components = 4

[[models]]
name = "ddpm"
family = "diffusion"
steps = 150
batch_size = 128
learning_rate = 3e-3
[models.config]
timesteps = 40
denoiser = "mlp"
mlp_hidden = 32
mlp_blocks = 1
embed = 32
time_features = 16
sampler = "ddim"
sample_steps = 8
vlb_examples = 100
"#;

/// The run ids a process trained: the lines `[k/n] RUN_ID` it prints when it starts one.
fn trained(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix('[')?;
            let (count, id) = rest.split_once("] ")?;
            (count.contains('/') && !id.contains(' ')).then(|| id.to_string())
        })
        .collect()
}

fn summary(out: &Path) -> Vec<Vec<(String, String)>> {
    csv_rows(&out.join("summary.csv"))
        .iter()
        .map(|r| timeless(r))
        .collect()
}

#[test]
fn two_processes_on_one_output_train_every_run_once() {
    let trials: usize = std::env::var("GENBENCH_CONCURRENT_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "single.toml", &SHARED.replace("OUT", "single"));
    let single = genbench(&["run", "single.toml"], dir.path());
    assert!(single.status.success(), "{}", stderr(&single));
    let ids = trained(&stderr(&single));
    assert_eq!(ids.len(), 6, "{}", stderr(&single));
    let reference = summary(&dir.path().join("single"));

    let mut clean = 0;
    for trial in 0..trials {
        let out = format!("both{trial}");
        let m = format!("{out}.toml");
        write(dir.path(), &m, &SHARED.replace("OUT", &out));
        let a = spawn(&["run", &m], dir.path());
        let b = spawn(&["run", &m], dir.path());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let (ea, eb) = (stderr(&a), stderr(&b));
        assert!(
            a.status.success() && b.status.success(),
            "A:\n{ea}\nB:\n{eb}"
        );
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        for id in trained(&ea).into_iter().chain(trained(&eb)) {
            *count.entry(id).or_default() += 1;
        }
        let expected: BTreeMap<String, usize> = ids.iter().map(|id| (id.clone(), 1)).collect();
        assert_eq!(count, expected, "each run trained once\nA:\n{ea}\nB:\n{eb}");
        assert_eq!(
            summary(&dir.path().join(&out)),
            reference,
            "same numbers as one process"
        );
        assert!(leftovers(&dir.path().join(&out)).is_empty());
        clean += 1;
    }
    eprintln!("concurrent trials: {trials}, without a duplicate or wrong run: {clean}");
}

/// A run whose lock another live process holds is left to it and waited for at the end; a lock
/// file left by a dead process is taken over.
#[test]
fn a_held_run_is_waited_for_and_a_stale_lock_taken_over() {
    use genbench_core::lock::{Acquired, try_lock};
    let dir = tempfile::tempdir().unwrap();
    let m = SHARED
        .replace("OUT", "out")
        .replace("seeds = [0, 1]", "seeds = [0]");
    write(dir.path(), "m.toml", &m);
    let runs = dir.path().join("out/runs");
    // gmm: held by this test process; ddpm: a lock file whose holder is gone.
    let Acquired::Held(held) = try_lock(&runs.join("gmm--8gaussians--s0/.lock")).unwrap() else {
        panic!("free")
    };
    std::fs::create_dir_all(runs.join("ddpm--8gaussians--s0")).unwrap();
    std::fs::write(
        runs.join("ddpm--8gaussians--s0/.lock"),
        "otherhost 4194303\n",
    )
    .unwrap();
    let child = spawn(&["run", "m.toml"], dir.path());
    // The others finish while gmm waits.
    while !(runs.join("made--8gaussians--s0/result.json").exists()
        && runs.join("ddpm--8gaussians--s0/result.json").exists())
    {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        !runs.join("gmm--8gaussians--s0/result.json").exists(),
        "not trained while held"
    );
    drop(held);
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("gmm--8gaussians--s0: being trained by process"),
        "{err}"
    );
    assert!(
        err.contains("took over the lock of process otherhost 4194303"),
        "{err}"
    );
    assert_eq!(trained(&err).len(), 3, "{err}");
    assert!(runs.join("gmm--8gaussians--s0/result.json").exists());
    assert!(leftovers(&dir.path().join("out")).is_empty());
}

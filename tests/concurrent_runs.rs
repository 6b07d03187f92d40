//! Two `genbench run` on one manifest and one output at once (a run started twice, a `--jobs`
//! run beside a plain one, two Slurm tasks with the same array index): they share the work —
//! every run is trained by exactly one of them, the others skip it or wait for it — all succeed,
//! and every run's numbers equal a single process's. A rerun or a resume whose settings changed
//! is refused naming the key, with or without `--jobs`, and `--force` redoes it.
//!
//! Trials: one per way of starting the processes (GENBENCH_CONCURRENT_TRIALS=N for more; trial
//! t uses the (t mod 4)-th way). Every process runs on one thread, so the numbers of `--jobs`
//! (one thread per child) and of a plain run are the same computation.

#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

/// One thread for every process (see the module comment).
const ONE_THREAD: &[(&str, &str)] = &[("RAYON_NUM_THREADS", "1")];

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

/// The ways a trial starts its processes at once, each with its `genbench run` flags.
const WAYS: [(&str, &[&[&str]]); 4] = [
    ("two plain runs", &[&[], &[]]),
    ("--jobs 2 beside a plain run", &[&["--jobs", "2"], &[]]),
    ("two --jobs 2", &[&["--jobs", "2"], &["--jobs", "2"]]),
    (
        "Slurm tasks 1/2, 1/2 (one array index twice) and 2/2",
        &[
            &["--shard", "1/2"],
            &["--shard", "1/2"],
            &["--shard", "2/2"],
        ],
    ),
];

/// The run ids a process trained: the lines `[k/n] RUN_ID` it prints when it starts one (or,
/// with `--jobs`, when a child trained it).
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

fn run_one(args: &[&str], dir: &Path) -> Output {
    genbench_with(args, dir, ONE_THREAD)
}

/// Every run folder's numbers, by run id.
fn numbers_of(out: &Path) -> BTreeMap<String, Vec<String>> {
    std::fs::read_dir(out.join("runs"))
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            let id = e.file_name().to_string_lossy().into_owned();
            (id, run_numbers(&e.path()))
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
        .unwrap_or(WAYS.len());
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "single.toml", &SHARED.replace("OUT", "single"));
    let single = run_one(&["run", "single.toml"], dir.path());
    assert!(single.status.success(), "{}", stderr(&single));
    let ids = trained(&stderr(&single));
    assert_eq!(ids.len(), 6, "{}", stderr(&single));
    let reference = numbers_of(&dir.path().join("single"));
    let reference_summary = summary(&dir.path().join("single"));

    let (mut clean, mut shared, mut failures) = (0, 0, Vec::new());
    for trial in 0..trials {
        let (way, flags) = WAYS[trial % WAYS.len()];
        let out = format!("trial{trial}");
        let m = format!("{out}.toml");
        write(dir.path(), &m, &SHARED.replace("OUT", &out));
        let children: Vec<_> = flags
            .iter()
            .map(|f| {
                let args: Vec<&str> = ["run", m.as_str()]
                    .iter()
                    .chain(f.iter())
                    .copied()
                    .collect();
                spawn_with(&args, dir.path(), ONE_THREAD)
            })
            .collect();
        let outputs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let errs: Vec<String> = outputs.iter().map(stderr).collect();
        let all = errs
            .iter()
            .enumerate()
            .map(|(k, e)| format!("process {k} ({:?}):\n{e}", flags[k]))
            .collect::<Vec<_>>()
            .join("\n");
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        for e in &errs {
            for id in trained(e) {
                *count.entry(id).or_default() += 1;
            }
        }
        let expected: BTreeMap<String, usize> = ids.iter().map(|id| (id.clone(), 1)).collect();
        // Afterwards a plain rerun finds every run done and rebuilds summary.csv from them all.
        let rerun = run_one(&["run", &m], dir.path());
        let out_dir = dir.path().join(&out);
        let mut wrong = Vec::new();
        if !outputs.iter().all(|o| o.status.success()) {
            wrong.push("a process failed".to_string());
        }
        if count != expected {
            wrong.push(format!("runs trained {count:?}"));
        }
        if numbers_of(&out_dir) != reference {
            wrong.push("numbers differ from one process".into());
        }
        if !(rerun.status.success() && trained(&stderr(&rerun)).is_empty()) {
            wrong.push(format!("the rerun trained again:\n{}", stderr(&rerun)));
        }
        if summary(&out_dir) != reference_summary {
            wrong.push("summary.csv differs from one process".into());
        }
        if !leftovers(&out_dir).is_empty() {
            wrong.push(format!("leftovers {:?}", leftovers(&out_dir)));
        }
        if wrong.is_empty() {
            clean += 1;
        } else {
            failures.push(format!("trial {trial}, {way}: {}\n{all}", wrong.join("; ")));
        }
        // Whether the processes really overlapped: more than one of them trained something.
        if errs.iter().filter(|e| !trained(e).is_empty()).count() > 1 {
            shared += 1;
        }
        std::fs::remove_dir_all(&out_dir).ok();
    }
    eprintln!(
        "concurrent trials: {trials}, without a duplicate or wrong run: {clean}, work shared by \
         more than one process in {shared}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A run whose lock another live process holds is left to it and waited for at the end; a lock
/// file left by a dead process is taken over. With `--jobs` too: the parent queues the held run
/// last and holds no lock itself, so its child waits for the holder, not for its own parent.
#[test]
fn a_held_run_is_waited_for_and_a_stale_lock_taken_over() {
    use genbench_core::lock::{Acquired, try_lock};
    for flags in [&[][..], &["--jobs", "2"]] {
        let dir = tempfile::tempdir().unwrap();
        let m = SHARED
            .replace("OUT", "out")
            .replace("seeds = [0, 1]", "seeds = [0]");
        write(dir.path(), "m.toml", &m);
        let runs = dir.path().join("out/runs");
        // gmm: held by this test process; ddpm: a lock file whose holder is gone.
        let Acquired::Held(held) = try_lock(&runs.join("gmm--8gaussians--s0/.lock")).unwrap()
        else {
            panic!("free")
        };
        std::fs::create_dir_all(runs.join("ddpm--8gaussians--s0")).unwrap();
        std::fs::write(
            runs.join("ddpm--8gaussians--s0/.lock"),
            "otherhost 4194303\n",
        )
        .unwrap();
        let args: Vec<&str> = ["run", "m.toml"].iter().chain(flags).copied().collect();
        let child = spawn_with(&args, dir.path(), ONE_THREAD);
        // The others finish while gmm waits.
        while !(runs.join("made--8gaussians--s0/result.json").exists()
            && runs.join("ddpm--8gaussians--s0/result.json").exists())
        {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(
            !runs.join("gmm--8gaussians--s0/result.json").exists(),
            "{flags:?}: not trained while held"
        );
        drop(held);
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert!(out.status.success(), "{flags:?}: {err}");
        assert!(
            err.contains("gmm--8gaussians--s0: being trained by process"),
            "{flags:?}: {err}"
        );
        assert!(
            err.contains("took over the lock of process otherhost 4194303"),
            "{flags:?}: {err}"
        );
        assert_eq!(trained(&err).len(), 3, "{flags:?}: {err}");
        assert!(runs.join("gmm--8gaussians--s0/result.json").exists());
        assert!(leftovers(&dir.path().join("out")).is_empty(), "{flags:?}");
    }
}

/// Settings refused with `--jobs` (the parent checks before it writes anything).
fn refused(dir: &Path, manifest: &str, needles: &[&str]) {
    refuses(dir, &["run", "m.toml", "--jobs", "2"], manifest, needles);
}

/// A finished run whose settings changed, and a run killed after a checkpoint and resumed with
/// another learning rate, are refused under `--jobs` naming the key; `--force` redoes both under
/// the new settings, and a rerun then finds everything done.
#[test]
fn changed_settings_are_refused_with_jobs_and_force_redoes_them() {
    const MADE: &str = "name = \"made\"\nfamily = \"autoregressive\"\nsteps = 150\nbatch_size = 128\nlearning_rate = 3e-3";
    let dir = tempfile::tempdir().unwrap();
    let m = SHARED
        .replace("OUT", "out")
        .replace("seeds = [0, 1]", "seeds = [0]")
        .replace(MADE, &MADE.replace("steps = 150", "steps = 600"));
    write(dir.path(), "m.toml", &m);
    // Killed (SIGKILL) once made has a checkpoint: gmm is done, made is to resume.
    let made = dir.path().join("out/runs/made--8gaussians--s0");
    let mut child = spawn_with(&["run", "m.toml"], dir.path(), ONE_THREAD);
    while !made.join("checkpoint/state.json").exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before a checkpoint"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!made.join("result.json").exists());
    let gmm = dir.path().join("out/runs/gmm--8gaussians--s0/result.json");
    let gmm_before = std::fs::read_to_string(&gmm).unwrap();

    let steps = m.replace("steps = 40", "steps = 41");
    refused(
        dir.path(),
        &steps,
        &[
            &line_of(&steps, "steps = 41"),
            "models[0].steps",
            "gmm--8gaussians--s0",
            "results made with other settings: budget.steps 40 -> 41",
            "--force",
        ],
    );
    let rate = m.replace(
        "steps = 600\nbatch_size = 128\nlearning_rate = 3e-3",
        "steps = 600\nbatch_size = 128\nlearning_rate = 1e-2",
    );
    refused(
        dir.path(),
        &rate,
        &[
            &line_of(&rate, "learning_rate = 1e-2"),
            "models[1].learning_rate",
            "a checkpoint made with other settings: learning_rate 0.003 -> 0.01",
        ],
    );
    assert_eq!(std::fs::read_to_string(&gmm).unwrap(), gmm_before);

    let both = rate.replace("steps = 40", "steps = 41");
    write(dir.path(), "m.toml", &both);
    let forced = run_one(&["run", "m.toml", "--jobs", "2", "--force"], dir.path());
    let err = stderr(&forced);
    assert!(forced.status.success(), "{err}");
    assert_eq!(trained(&err).len(), 3, "{err}");
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(made.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["learning_rate"], 0.01);
    let row = result_row(&made.join("result.json"));
    assert_eq!(
        get(&row, "fingerprint"),
        config["fingerprint"].as_str().unwrap()
    );
    assert_eq!(get(&result_row(&gmm), "steps"), "41");
    let again = run_one(&["run", "m.toml", "--jobs", "2"], dir.path());
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(trained(&stderr(&again)).is_empty(), "{}", stderr(&again));
}

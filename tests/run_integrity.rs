//! A number in summary.csv is the number the manifest's settings produce: results and
//! checkpoints are tied to their settings, resume is exact (evaluation history, last loss),
//! an incomplete checkpoint or an unreadable result.json never blocks a rerun, and a diverged
//! model is recorded as diverged with its step.

#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use std::path::Path;

const MADE: &str = r#"
name = "integrity"
output = "out"
seeds = [0]

[eval]
samples = 300
likelihood_examples = 200
kid_subsets = 10
kid_subset_size = 100
eval_every = 10
eval_examples = 100
checkpoint_every = 10
keep_checkpoint = true

[[datasets]]
name = "8gaussians"
train_size = 1000
test_size = 300

[[models]]
name = "made"
family = "autoregressive"
steps = 40
batch_size = 128
learning_rate = 3e-3
[models.config]
arch = "made"
hidden = [32, 32]
components = 4
"#;

const RUN: &str = "out/runs/made--8gaussians--s0";

fn run_ok(dir: &Path, manifest: &str) -> String {
    write(dir, "m.toml", manifest);
    let out = genbench(&["run", "m.toml"], dir);
    assert!(out.status.success(), "{}", stderr(&out));
    stderr(&out)
}

/// Settings refused on a rerun: exit 2, one error line naming the key and both values.
fn refused(dir: &Path, manifest: &str, needles: &[&str]) {
    refuses(dir, &["run", "m.toml"], manifest, needles);
}

#[test]
fn a_rerun_with_changed_settings_names_the_key_and_refuses() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(dir.path(), MADE);
    let first = result_row(&dir.path().join(RUN).join("result.json"));
    refused(
        dir.path(),
        &MADE.replace("steps = 40", "steps = 50"),
        &[
            "made--8gaussians--s0",
            "budget.steps",
            "40 -> 50",
            "--force",
        ],
    );
    refused(
        dir.path(),
        &MADE.replace("components = 4", "components = 5"),
        &["config.components", "4 -> 5"],
    );
    refused(
        dir.path(),
        &MADE.replace("samples = 300", "samples = 400"),
        &["eval.samples", "300 -> 400"],
    );
    // Keys that do not change the numbers: the run stays done.
    let again = run_ok(
        dir.path(),
        &MADE.replace("checkpoint_every = 10", "checkpoint_every = 20"),
    );
    assert!(again.contains("done already"), "{again}");
    assert_eq!(first, result_row(&dir.path().join(RUN).join("result.json")));
    // --force reruns under the new settings.
    write(
        dir.path(),
        "m.toml",
        &MADE.replace("steps = 40", "steps = 50"),
    );
    let forced = genbench(&["run", "m.toml", "--force"], dir.path());
    assert!(forced.status.success(), "{}", stderr(&forced));
    let row = result_row(&dir.path().join(RUN).join("result.json"));
    assert_eq!(get(&row, "steps"), "50");
}

/// Interrupted after its last checkpoint (result.json gone), resumed with another learning
/// rate: refused, not mixed.
#[test]
fn a_resume_with_changed_settings_refuses() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(dir.path(), MADE);
    std::fs::remove_file(dir.path().join(RUN).join("result.json")).unwrap();
    refused(
        dir.path(),
        &MADE.replace("learning_rate = 3e-3", "learning_rate = 1e-2"),
        &["learning_rate", "0.003 -> 0.01"],
    );
}

/// Killed during scoring (the checkpoint holds the last step, result.json is missing): the
/// rerun scores the same model, with the last training loss and every periodic evaluation.
#[test]
fn a_resume_after_training_keeps_the_loss_and_the_evaluation_history() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(dir.path(), MADE);
    let run = dir.path().join(RUN);
    let first = result_row(&run.join("result.json"));
    let metrics = csv_rows(&run.join("metrics.csv"));
    assert_eq!(
        metrics.len(),
        5,
        "validation evaluations at 10, 20, 30 and the last step (40), and the final test row"
    );
    assert_eq!(
        get(&first, "selected_step"),
        get(&metrics[4], "selected_step")
    );
    std::fs::remove_file(run.join("result.json")).unwrap();
    std::fs::remove_file(run.join("metrics.csv")).unwrap();
    run_ok(dir.path(), MADE);
    let again = result_row(&run.join("result.json"));
    assert!(!get(&again, "final_train_loss").is_empty());
    assert_eq!(timeless(&first), timeless(&again));
    let strip =
        |rows: Vec<Vec<(String, String)>>| -> Vec<_> { rows.iter().map(|r| timeless(r)).collect() };
    assert_eq!(strip(metrics), strip(csv_rows(&run.join("metrics.csv"))));
}

/// A checkpoint folder whose weights file was removed before its state.json is not a
/// checkpoint: the rerun starts over and ends on the same numbers.
#[test]
fn an_incomplete_checkpoint_does_not_block_a_rerun() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(dir.path(), MADE);
    let run = dir.path().join(RUN);
    let first = result_row(&run.join("result.json"));
    std::fs::remove_file(run.join("result.json")).unwrap();
    let weights = std::fs::read_dir(run.join("checkpoint"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "bpk"))
        .expect("a weights file");
    std::fs::remove_file(&weights).unwrap();
    let err = run_ok(dir.path(), MADE);
    assert!(err.contains("incomplete checkpoint"), "{err}");
    assert_eq!(
        timeless(&first),
        timeless(&result_row(&run.join("result.json")))
    );
}

/// An empty or truncated result.json means "not done": the run is redone, and summary and
/// report do not fail on it.
#[test]
fn a_truncated_result_means_not_done() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(dir.path(), MADE);
    let result = dir.path().join(RUN).join("result.json");
    let text = std::fs::read_to_string(&result).unwrap();
    std::fs::write(&result, &text[..text.len() / 2]).unwrap();
    let report = genbench(&["report", "out"], dir.path());
    assert!(report.status.success(), "{}", stderr(&report));
    std::fs::write(&result, "").unwrap();
    let err = run_ok(dir.path(), MADE);
    assert!(!err.contains("done already"), "{err}");
    assert_eq!(get(&result_row(&result), "status"), "ok");
    assert_eq!(csv_rows(&dir.path().join("out/summary.csv")).len(), 1);
}

const HUGE_RATE: &str = r#"
name = "huge"
output = "out"
seeds = [0]

[eval]
samples = 300
kid_subsets = 10
kid_subset_size = 100

[[datasets]]
name = "8gaussians"
train_size = 1000
test_size = 300

[[models]]
name = "made"
family = "autoregressive"
steps = 200
batch_size = 128
learning_rate = 1e3
[models.config]
arch = "made"
hidden = [32, 32]
components = 4

[[models]]
name = "gan"
family = "gan"
steps = 200
batch_size = 128
learning_rate = 1e3
[models.config]
latent_dim = 4
hidden = 32
layers = 2

# Two steps of training, then DDIM in two jumps from t = 1000 of a cosine schedule: the x0
# estimate divides by sqrt(alpha-bar), so the samples land near 1e4 while the loss is sane.
[[models]]
name = "ddpm"
family = "diffusion"
steps = 2
batch_size = 64
[models.config]
timesteps = 1000
schedule = "cosine"
denoiser = "mlp"
mlp_hidden = 16
mlp_blocks = 1
embed = 16
time_features = 8
sampler = "ddim"
sample_steps = 2
vlb_examples = 20
"#;

/// learning_rate = 1e3: never NaN, but absurd losses; a model whose samples are absurd. All are
/// recorded as diverged at a step that stderr names, with the reason and no sample metric, and
/// REPORT.md prints no runaway digits.
#[test]
fn absurd_losses_and_samples_are_divergence() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.toml", HUGE_RATE);
    let out = genbench(&["run", "m.toml"], dir.path());
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    for (id, why) in [
        ("made--8gaussians--s0", "beyond ±1e10"),
        ("gan--8gaussians--s0", "beyond ±1e10"),
        ("ddpm--8gaussians--s0", "sample values outside"),
    ] {
        let row = result_row(&dir.path().join("out/runs").join(id).join("result.json"));
        assert_eq!(get(&row, "status"), "diverged", "{id}: {row:?}");
        let step = get(&row, "diverged_at");
        assert!(!step.is_empty(), "{id}");
        assert!(
            err.contains(&format!("{id}: diverged at step {step}")),
            "{id} at {step}: {err}"
        );
        assert!(get(&row, "divergence").contains(why), "{id}: {row:?}");
        assert!(
            row.iter().all(|(k, v)| k != "fd" || v.is_empty()),
            "{row:?}"
        );
    }
    let md = std::fs::read_to_string(dir.path().join("out/REPORT.md")).unwrap();
    assert!(
        !md.split(|c: char| !c.is_ascii_digit())
            .any(|d| d.len() > 12),
        "{md}"
    );
}

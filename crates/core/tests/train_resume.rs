//! The training loop resumes exactly: a run stopped after a checkpoint and finished by a new
//! process writes the same train.csv (including the row whose loss window spans the stop), keeps
//! the periodic evaluations from before the stop, and ends with the same last loss; a divergent
//! loss ends the run with its step.

#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::results::Row;
use genbench_core::{Batch, GenerativeModel, Likelihood, ModelInfo, StepMetrics, TrainPlan, train};
use std::path::Path;

/// One number pulled towards each batch's mean; fails on purpose at `fail_at` (a kill).
struct Toy {
    w: f64,
    steps: u64,
    fail_at: Option<u64>,
    blow_up_at: Option<u64>,
}

impl Toy {
    fn new() -> Self {
        Self {
            w: 5.0,
            steps: 0,
            fail_at: None,
            blow_up_at: None,
        }
    }
}

impl GenerativeModel for Toy {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            family: "toy",
            arch: "toy".into(),
            paper: "-",
            year: 2026,
        }
    }
    fn train_step(&mut self, batch: &Batch) -> anyhow::Result<StepMetrics> {
        anyhow::ensure!(self.fail_at != Some(self.steps), "killed");
        let mean = batch.x.iter().map(|&v| v as f64).sum::<f64>() / batch.x.len() as f64;
        let loss = (self.w - mean).powi(2);
        self.w -= 0.1 * (self.w - mean);
        self.steps += 1;
        let loss = if self.blow_up_at == Some(self.steps) {
            3e10
        } else {
            loss
        };
        Ok(StepMetrics::new(loss).with("w", self.w))
    }
    fn sample(&mut self, n: usize, _: Option<&[usize]>, _: u64) -> anyhow::Result<Batch> {
        Ok(Batch::new(vec![self.w as f32; n], vec![], 1))
    }
    fn log_likelihood(&mut self, _: &Batch, _: u64) -> anyhow::Result<Likelihood> {
        Ok(Likelihood::unavailable())
    }
    fn evals_per_sample(&self) -> f64 {
        1.0
    }
    fn num_params(&self) -> usize {
        1
    }
    fn save(&self, dir: &Path) -> anyhow::Result<()> {
        genbench_core::fsutil::write_json(&dir.join("toy.json"), &(self.w, self.steps))
    }
    fn load(&mut self, dir: &Path) -> anyhow::Result<()> {
        (self.w, self.steps) = genbench_core::fsutil::read_json(&dir.join("toy.json"))?;
        Ok(())
    }
}

fn data() -> Batch {
    Batch::new((0..40).map(|v| v as f32).collect(), vec![], 1)
}

fn plan(dir: &Path) -> TrainPlan {
    let mut plan = TrainPlan::steps(20, 4, dir);
    plan.log_every = 3;
    plan.checkpoint_every = 5;
    plan.eval_every = 4;
    plan.fingerprint = "f1".into();
    plan
}

fn eval(m: &mut dyn GenerativeModel, step: u64, _: f64) -> anyhow::Result<Row> {
    let mut r = Row::default();
    r.set("step", step);
    r.set("w", m.sample(1, None, 0)?.x[0]);
    Ok(r)
}

/// train.csv without its seconds column.
fn losses(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("train.csv"))
        .unwrap()
        .lines()
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            format!("{} {} {}", cells[0], cells[2], cells[3])
        })
        .collect()
}

#[test]
fn a_resumed_run_writes_what_an_uninterrupted_one_does() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let straight = train(&mut Toy::new(), &data(), &plan(a.path()), &mut eval).unwrap();
    assert_eq!(straight.evaluations.len(), 4, "steps 4, 8, 12, 16");

    // Killed at step 12 (after the checkpoint of step 10), then a new process finishes it.
    let mut first = Toy::new();
    first.fail_at = Some(12);
    let started = std::time::Instant::now();
    assert!(train(&mut first, &data(), &plan(b.path()), &mut eval).is_err());
    let first_wall = started.elapsed().as_secs_f64();
    let resumed = train(&mut Toy::new(), &data(), &plan(b.path()), &mut eval).unwrap();
    assert_eq!(resumed.resumed_from, Some(10));
    // The wall time before the resume: the first process's loop up to its checkpoint.
    assert_eq!(straight.wall_seconds_before, 0.0);
    assert!(
        resumed.wall_seconds_before > 0.0 && resumed.wall_seconds_before <= first_wall,
        "{} of {first_wall}",
        resumed.wall_seconds_before
    );
    assert_eq!(losses(a.path()), losses(b.path()));
    assert_eq!(resumed.evaluations, straight.evaluations);
    assert_eq!(resumed.final_loss.to_bits(), straight.final_loss.to_bits());
    assert_eq!(resumed.steps, 20);

    // Killed after the last checkpoint (while scoring): nothing left to train, same outcome.
    let again = train(&mut Toy::new(), &data(), &plan(b.path()), &mut eval).unwrap();
    assert_eq!(again.resumed_from, Some(20));
    // Both processes' loops, which include every training step: never less than the training.
    assert!(again.wall_seconds_before > resumed.wall_seconds_before);
    assert!(
        again.wall_seconds_before >= again.train_seconds,
        "wall {} < train {}",
        again.wall_seconds_before,
        again.train_seconds
    );
    assert_eq!(again.final_loss.to_bits(), straight.final_loss.to_bits());
    assert_eq!(again.evaluations, straight.evaluations);

    // Another fingerprint: the checkpoint is refused, not mixed in.
    let mut other = plan(b.path());
    other.fingerprint = "f2".into();
    let err = train(&mut Toy::new(), &data(), &other, &mut eval).unwrap_err();
    assert!(err.to_string().contains("other settings"), "{err}");
}

/// A checkpoint keeps the code that wrote it: another build's resume is refused (its steps
/// would continue another code's), the same build's goes on.
#[test]
fn a_checkpoint_of_another_build_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let built = |code: &str| TrainPlan {
        build: code.into(),
        ..plan(dir.path())
    };
    let mut first = Toy::new();
    first.fail_at = Some(12);
    assert!(train(&mut first, &data(), &built("code-a"), &mut eval).is_err());
    let err = train(&mut Toy::new(), &data(), &built("code-b"), &mut eval).unwrap_err();
    assert!(
        err.to_string().contains("another build") && err.to_string().contains("code code-a"),
        "{err}"
    );
    let resumed = train(&mut Toy::new(), &data(), &built("code-a"), &mut eval).unwrap();
    assert_eq!((resumed.resumed_from, resumed.steps), (Some(10), 20));
}

#[test]
fn an_absurd_loss_is_divergence_at_its_step() {
    let dir = tempfile::tempdir().unwrap();
    let mut toy = Toy::new();
    toy.blow_up_at = Some(7);
    let out = train(&mut toy, &data(), &plan(dir.path()), &mut |_, _, _| Ok(())).unwrap();
    assert_eq!(out.diverged_at, Some(7));
    assert!(out.divergence.unwrap().contains("loss 3e10"));
    assert_eq!(out.steps, 7);
}

/// Evaluations scored by |step − 8| (best at step 8 of 4, 8, 12, 16, 20), with the model's `w`.
fn scored_eval(m: &mut dyn GenerativeModel, step: u64, s: f64) -> anyhow::Result<Row> {
    let mut r = eval(m, step, s)?;
    r.set("score", (step as f64 - 8.0).abs());
    Ok(r)
}

fn selecting(dir: &Path) -> TrainPlan {
    let mut plan = plan(dir);
    plan.select_by = vec!["missing", "score"];
    plan
}

/// The value of `column` in the evaluation of `step`.
fn at(out: &genbench_core::TrainOutcome, step: u64, column: &str) -> String {
    out.evaluations
        .iter()
        .find(|r| r.get("step") == Some(&step.to_string()))
        .and_then(|r| r.get(column))
        .unwrap()
        .to_string()
}

/// With `select_by` the last step is evaluated too, and the model comes back holding the weights
/// of the best evaluation (step 8), not the last ones (step 20).
#[test]
fn selection_returns_the_best_evaluations_weights() {
    let dir = tempfile::tempdir().unwrap();
    let mut toy = Toy::new();
    let out = train(&mut toy, &data(), &selecting(dir.path()), &mut scored_eval).unwrap();
    assert_eq!(
        out.evaluations.len(),
        5,
        "steps 4, 8, 12, 16 and the last, 20"
    );
    assert_eq!(out.selected_step, 8);
    assert_eq!(out.steps, 20);
    assert_eq!((toy.w as f32).to_string(), at(&out, 8, "w"));
    assert_ne!(at(&out, 8, "w"), at(&out, 20, "w"));

    // Without columns to choose by: the last weights.
    let plain = tempfile::tempdir().unwrap();
    let mut last = Toy::new();
    let out = train(&mut last, &data(), &plan(plain.path()), &mut scored_eval).unwrap();
    assert_eq!(out.selected_step, 20);
    assert_eq!(last.steps, 20);
}

/// The best weights travel in the checkpoint: killed at step 12 (checkpoint of step 10, best at
/// step 8) with the run's best/ folder lost, the resumed run still returns step 8's weights and
/// the evaluations of an uninterrupted run.
#[test]
fn the_best_weights_survive_a_kill() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut straight_toy = Toy::new();
    let straight = train(
        &mut straight_toy,
        &data(),
        &selecting(a.path()),
        &mut scored_eval,
    )
    .unwrap();

    let mut first = Toy::new();
    first.fail_at = Some(12);
    assert!(train(&mut first, &data(), &selecting(b.path()), &mut scored_eval).is_err());
    std::fs::remove_dir_all(b.path().join("best")).unwrap();
    let mut resumed_toy = Toy::new();
    let resumed = train(
        &mut resumed_toy,
        &data(),
        &selecting(b.path()),
        &mut scored_eval,
    )
    .unwrap();
    assert_eq!(resumed.resumed_from, Some(10));
    assert_eq!(resumed.selected_step, 8);
    assert_eq!(resumed.evaluations, straight.evaluations);
    assert_eq!(resumed_toy.w.to_bits(), straight_toy.w.to_bits());
}

/// Anytime evaluations of a 200-step budget land on steps 2, 4, 10, 20, 40, 100 and 200
/// (1, 2, 5, 10, 20, 50, 100 %), beside the periodic ones, each marked with its fraction; a run
/// killed at step 27 and resumed makes the same ones. With 20 steps, 1, 2 and 5 % all fall on
/// step 1: one evaluation, marked 0.05.
#[test]
fn anytime_points_land_at_the_promised_steps() {
    let anytime = |dir: &Path, steps: u64| {
        let mut plan = TrainPlan::steps(steps, 4, dir);
        plan.eval_every = 30;
        plan.checkpoint_every = 25;
        plan.anytime = true;
        plan
    };
    let marks = |out: &genbench_core::TrainOutcome| -> Vec<(String, String)> {
        out.evaluations
            .iter()
            .map(|r| {
                let f = r.get("budget_fraction").unwrap_or("-");
                (r.get("step").unwrap().to_string(), f.to_string())
            })
            .collect()
    };
    let dir = tempfile::tempdir().unwrap();
    let out = train(
        &mut Toy::new(),
        &data(),
        &anytime(dir.path(), 200),
        &mut eval,
    )
    .unwrap();
    let want: Vec<(String, String)> = [
        (2, "0.01"),
        (4, "0.02"),
        (10, "0.05"),
        (20, "0.1"),
        (30, "-"),
        (40, "0.2"),
        (60, "-"),
        (90, "-"),
        (100, "0.5"),
        (120, "-"),
        (150, "-"),
        (180, "-"),
        (200, "1"),
    ]
    .iter()
    .map(|(s, f)| (s.to_string(), f.to_string()))
    .collect();
    assert_eq!(marks(&out), want);

    let killed = tempfile::tempdir().unwrap();
    let mut first = Toy::new();
    first.fail_at = Some(27);
    assert!(train(&mut first, &data(), &anytime(killed.path(), 200), &mut eval).is_err());
    let resumed = train(
        &mut Toy::new(),
        &data(),
        &anytime(killed.path(), 200),
        &mut eval,
    )
    .unwrap();
    assert_eq!(resumed.resumed_from, Some(25));
    assert_eq!(marks(&resumed), want);

    let short = tempfile::tempdir().unwrap();
    let out = train(
        &mut Toy::new(),
        &data(),
        &anytime(short.path(), 20),
        &mut eval,
    )
    .unwrap();
    let fractions: Vec<(String, String)> = marks(&out);
    assert_eq!(
        fractions[..5],
        [
            ("1", "0.05"),
            ("2", "0.1"),
            ("4", "0.2"),
            ("10", "0.5"),
            ("20", "1")
        ]
        .map(|(s, f)| (s.to_string(), f.to_string()))
    );
}

/// Early stopping: scores |step − 8| at steps 4, 8, 12, 16, … with patience 8 stop training at
/// step 16, the first evaluation 8 steps after the best (step 8), holding step 8's weights; a run
/// killed at step 12 stops at the same step with the same evaluations, and a rerun from the
/// final checkpoint (written at the stop) trains no further. Patience longer than the rest of
/// the budget changes nothing.
#[test]
fn early_stopping_ends_at_the_first_evaluation_patience_steps_after_the_best() {
    let patient = |dir: &Path, patience: u64| {
        let mut plan = selecting(dir);
        plan.patience = Some(patience);
        plan
    };
    let dir = tempfile::tempdir().unwrap();
    let mut toy = Toy::new();
    let out = train(&mut toy, &data(), &patient(dir.path(), 8), &mut scored_eval).unwrap();
    assert!(out.stopped_early);
    assert_eq!(out.steps, 16);
    assert_eq!(toy.steps, 8, "the model holds the best weights, step 8's");
    assert_eq!(out.selected_step, 8);
    let steps: Vec<String> = out
        .evaluations
        .iter()
        .map(|r| r.get("step").unwrap().to_string())
        .collect();
    assert_eq!(steps, ["4", "8", "12", "16"]);

    let killed = tempfile::tempdir().unwrap();
    let mut first = Toy::new();
    first.fail_at = Some(12);
    assert!(
        train(
            &mut first,
            &data(),
            &patient(killed.path(), 8),
            &mut scored_eval
        )
        .is_err()
    );
    let resumed = train(
        &mut Toy::new(),
        &data(),
        &patient(killed.path(), 8),
        &mut scored_eval,
    )
    .unwrap();
    assert_eq!(resumed.resumed_from, Some(10));
    assert!(resumed.stopped_early);
    assert_eq!((resumed.steps, resumed.selected_step), (16, 8));
    assert_eq!(resumed.evaluations, out.evaluations);
    let again = train(
        &mut Toy::new(),
        &data(),
        &patient(killed.path(), 8),
        &mut scored_eval,
    )
    .unwrap();
    assert_eq!(again.resumed_from, Some(16));
    assert!(again.stopped_early);
    assert_eq!(again.steps, 16, "a stopped run is not trained on");

    let long = tempfile::tempdir().unwrap();
    let out = train(
        &mut Toy::new(),
        &data(),
        &patient(long.path(), 13),
        &mut scored_eval,
    )
    .unwrap();
    assert!(!out.stopped_early);
    assert_eq!((out.steps, out.selected_step), (20, 8));
}

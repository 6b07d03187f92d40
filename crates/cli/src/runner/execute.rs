//! One run: build the model, train it through the one loop, score it with the one evaluator,
//! and write its folder (config.json, metrics.csv, samples, artifacts, result.json).

use super::files::{samples_file, save_samples, write_density_grid};
use super::prepare::RunOptions;
use super::settings::RunSettings;
use crate::families;
use crate::manifest::{Plan, RunSpec};
use genbench_core::results::schema::{self, col};
use genbench_core::results::{
    self, METRICS_FILE, Provenance, RESULT_FILE, Row, RunIdentity, RunResult, Status, VARIANTS_FILE,
};
use genbench_core::{
    Batch, Budget, BuildContext, GenerativeModel, LikelihoodKind, Seeds, TrainOutcome, TrainPlan,
    fsutil, selection, train,
};
use genbench_dataset::Dataset;
use genbench_eval::{Reference, score};
use std::path::Path;
use std::time::Instant;

/// Train and score `run` into `dir`; returns its result (also in `dir/result.json`). A model
/// that diverges in training (see `StepMetrics::divergence`) or draws absurd samples (see
/// `genbench_core::model::absurd_samples`) is recorded with status `diverged`, the step and the
/// reason, and no metric.
pub fn execute(
    plan: &Plan,
    run: &RunSpec,
    reference: &Reference,
    dir: &Path,
    prov: &Provenance,
    settings: &RunSettings,
    opts: &RunOptions,
) -> anyhow::Result<RunResult> {
    let wall = Instant::now();
    let data = reference.data;
    let seeds = Seeds::new(run.seed);
    let ctx = build_context(plan, run, data, seeds)?;
    let family = families::find(run.model.family.get_ref()).expect("validated");
    let (config_json, mut model) = (family.build)(run.model.config.get_ref().clone(), &ctx)?;
    let identity = identity(plan, run, model.as_ref());
    write_config(dir, plan, run, &ctx, &identity, config_json, prov, settings)?;

    let outcome = train_run(
        model.as_mut(),
        plan,
        run,
        reference,
        seeds,
        dir,
        opts,
        settings,
    )?;
    let mut result = RunResult {
        identity,
        conditional: model.is_conditional(),
        status: if outcome.diverged_at.is_some() {
            Status::Diverged
        } else {
            Status::Ok
        },
        diverged_at: outcome.diverged_at,
        divergence: outcome.divergence.clone(),
        steps: Some(outcome.steps),
        selected_step: outcome
            .diverged_at
            .is_none()
            .then_some(outcome.selected_step),
        converged: converged(&outcome, plan.eval.anytime),
        stopped_early: run.model.patience.as_ref().map(|_| outcome.stopped_early),
        train_seconds: Some(outcome.train_seconds),
        provenance: prov.clone(),
        fingerprint: settings.fingerprint.clone(),
        params: Some(model.num_params()),
        preprocessing: data.preprocessing.clone(),
        final_train_loss: Some(outcome.final_loss).filter(|l| l.is_finite()),
        scores: Row::default(),
        wall_seconds: None,
    };
    if result.status == Status::Ok {
        let scores = &mut result.scores;
        if let Some(why) = score_and_draw(model.as_mut(), reference, plan, &seeds, dir, scores)? {
            eprintln!("{}: diverged at step {}: {why}", run.id, outcome.steps);
            result.status = Status::Diverged;
            result.diverged_at = Some(outcome.steps);
            result.divergence = Some(why);
            result.scores = Row::default();
        }
    }
    if result.status == Status::Diverged {
        result.scores.set(col::NLL_KIND, schema::NLL_KIND_DIVERGED);
    }
    // A resumed run: the earlier processes' wall time up to its checkpoint, and this one's.
    result.wall_seconds = Some(outcome.wall_seconds_before + wall.elapsed().as_secs_f64());

    let mut periodic = outcome.evaluations.clone();
    periodic.push(final_metrics(&result)?);
    results::write_rows(&dir.join(METRICS_FILE), &periodic)?;
    result.save(&dir.join(RESULT_FILE))?;
    // After result.json: a kill before this line leaves a finished run with its checkpoint.
    if !plan.eval.keep_checkpoint {
        fsutil::remove_any(&dir.join("checkpoint"));
        selection::discard(dir);
    }
    Ok(result)
}

/// What a family constructor gets: the data's spec, the device (seeded from the run's seed by
/// `BuildContext::new`), the seeds, the learning rate and whether to condition on the label.
fn build_context(
    plan: &Plan,
    run: &RunSpec,
    data: &Dataset,
    seeds: Seeds,
) -> anyhow::Result<BuildContext> {
    Ok(BuildContext::new(
        data.spec.clone(),
        plan.device.device()?,
        seeds,
        *run.model.learning_rate.get_ref(),
        run.model.conditional,
    ))
}

/// The columns that name the run, from the plan and the model's own description.
fn identity(plan: &Plan, run: &RunSpec, model: &dyn GenerativeModel) -> RunIdentity {
    let info = model.info();
    RunIdentity {
        run_id: run.id.clone(),
        experiment: plan.name.clone(),
        family: info.family.to_string(),
        model: run.model.name.clone(),
        arch: info.arch,
        paper: info.paper.to_string(),
        year: Some(info.year),
        dataset: run.data.name.clone(),
        seed: run.seed,
    }
}

/// config.json: everything needed to rebuild the model (`genbench eval`, `genbench sample`),
/// and the run's settings with their fingerprint.
#[allow(clippy::too_many_arguments)]
fn write_config(
    dir: &Path,
    plan: &Plan,
    run: &RunSpec,
    ctx: &BuildContext,
    identity: &RunIdentity,
    family_config: serde_json::Value,
    prov: &Provenance,
    settings: &RunSettings,
) -> anyhow::Result<()> {
    let batch_size = super::settings::batch_size(run.batch_size);
    fsutil::write_json(
        &dir.join("config.json"),
        &serde_json::json!({
            "run_id": identity.run_id, "experiment": identity.experiment, "model": identity.model,
            "family": identity.family, "arch": identity.arch, "dataset": run.data,
            "seed": run.seed, "budget": run.budget, "batch_size": batch_size,
            "learning_rate": ctx.learning_rate, "conditional": run.model.conditional,
            "config": family_config, "eval": plan.eval, "backend": prov.backend,
            "threads": prov.threads, "commit": prov.commit,
            "settings": settings.value, "fingerprint": settings.fingerprint,
        }),
    )
}

/// Train through the one loop on the training split. Every `eval_every` steps the model is
/// evaluated on the validation split (on the test set when `validation_fraction` is 0): NLL,
/// and FD where the likelihood is unavailable; the rows come back in the outcome's
/// `evaluations` (kept in the checkpoint, so a resumed run has them all). With a validation
/// split the model returns holding the weights of the lowest validation NLL (FD), the last step
/// included; with the model's `patience`, training stops once that score has not improved for
/// `patience` steps. With `checkpoint_every` or `keep_checkpoint` the loop leaves the final
/// weights in `dir/checkpoint`, marked with the settings' fingerprint.
#[allow(clippy::too_many_arguments)]
fn train_run(
    model: &mut dyn GenerativeModel,
    plan: &Plan,
    run: &RunSpec,
    reference: &Reference,
    seeds: Seeds,
    dir: &Path,
    opts: &RunOptions,
    settings: &RunSettings,
) -> anyhow::Result<TrainOutcome> {
    let data = reference.data;
    let validating = !data.validation.is_empty();
    let (eval_set, split) = if validating {
        (&data.validation, schema::SPLIT_VALIDATION)
    } else {
        (&data.test, schema::SPLIT_TEST)
    };
    let eval_set = eval_set.head(plan.eval.eval_examples);
    let mut real_features = None;
    let mut on_eval = |m: &mut dyn GenerativeModel, step: u64, secs: f64| {
        let mut row = periodic_nll(m, &eval_set, data, seeds.stream("eval"), step, secs)?;
        row.set(col::SPLIT, split);
        if plan.eval.anytime || row.get(col::NLL_NATS).is_none_or(str::is_empty) {
            let real =
                real_features.get_or_insert_with(|| score::fd_features(reference, &eval_set));
            if let Some(real) = real {
                let fd = score::fd_of_samples(m, reference, real, seeds.stream("eval"))?;
                row.set_f(col::FD, fd);
                row.set(col::FD_N, format!("{}/{}", real.rows, real.rows));
            }
        }
        Ok(row)
    };
    let train_plan = TrainPlan {
        budget: run.budget,
        batch_size: run.batch_size,
        eval_every: plan.eval.eval_every,
        checkpoint_every: plan.eval.checkpoint_every,
        final_checkpoint: plan.eval.keep_checkpoint,
        log_every: match run.budget {
            Budget::Steps(n) => (n / 200).max(1),
            Budget::Seconds(_) => 10,
        },
        shuffle_seed: seeds.stream("shuffle"),
        run_dir: dir.to_path_buf(),
        label: run.id.clone(),
        show_progress: opts.show_progress,
        fingerprint: settings.fingerprint.clone(),
        select_by: if validating {
            schema::VALIDATION_SCORE.to_vec()
        } else {
            Vec::new()
        },
        anytime: plan.eval.anytime,
        patience: run.model.patience.as_ref().map(|p| *p.get_ref() as u64),
        build: super::provenance::build_code(),
    };
    train(model, &data.train, &train_plan, &mut on_eval)
}

/// Anytime runs: whether the validation score at 50 % of the budget and at 100 % differ by less
/// than the tolerance ([`schema::converged`]); `None` otherwise or without both scores. A run
/// that early stopping ended has converged: its validation score did not improve at all over
/// its last `patience` steps (it never reaches 100 % of the budget).
fn converged(outcome: &TrainOutcome, anytime: bool) -> Option<bool> {
    if anytime && outcome.stopped_early && outcome.diverged_at.is_none() {
        return Some(true);
    }
    let at = |f: &str| {
        outcome
            .evaluations
            .iter()
            .find(|r| r.get(col::BUDGET_FRACTION) == Some(f))
            .and_then(|r| selection::score_of(r, &schema::VALIDATION_SCORE))
    };
    let (half, end) = (at("0.5")?, at("1")?);
    (anytime && outcome.diverged_at.is_none()).then(|| schema::converged(half, end))
}

/// A metrics.csv row during training: the NLL on `eval_set` at `step`.
fn periodic_nll(
    model: &mut dyn GenerativeModel,
    eval_set: &Batch,
    data: &Dataset,
    seed: u64,
    step: u64,
    seconds: f64,
) -> anyhow::Result<Row> {
    let mut r = Row::default();
    r.set(col::STEP, step);
    r.set_f(col::TRAIN_SECONDS, Some(seconds));
    let ll = model.validation_log_likelihood(eval_set, seed)?;
    score::nll_columns(&ll, &data.spec, &mut r);
    // The examples actually scored (a family may cap them, e.g. a bound's `vlb_examples`).
    if !ll.log_px_nats.is_empty() {
        r.set(col::NLL_N, ll.log_px_nats.len());
    }
    Ok(r)
}

/// The final evaluation (likelihood, samples, sampler variants) into `row`, and the run's
/// files: samples, variants.csv, the family's artifacts, the model's density grid. Returns why
/// the model diverged when its samples are absurd (then nothing else is scored or written).
fn score_and_draw(
    model: &mut dyn GenerativeModel,
    reference: &Reference,
    plan: &Plan,
    seeds: &Seeds,
    dir: &Path,
    row: &mut Row,
) -> anyhow::Result<Option<String>> {
    let data = reference.data;
    let eval_seed = seeds.stream("eval");
    score::likelihood(model, data, plan.eval.likelihood_examples, eval_seed, row)?;
    let Some(fake) =
        score::samples_unless_diverged(model, reference, None, &plan.eval, seeds, row)?
    else {
        return Ok(row.get(col::DIVERGENCE).map(String::from));
    };
    save_samples(&fake, data, &dir.join(samples_file(data)))?;
    let variants = score::variants(model, reference, &plan.eval, seeds)?;
    if !variants.is_empty() {
        results::write_rows(&dir.join(VARIANTS_FILE), &variants)?;
    }
    let artifacts = dir.join("artifacts");
    model.write_artifacts(&data.test.head(16), &artifacts, eval_seed)?;
    // An exact density (on 2-D data a KDE's is one) can be drawn as contours.
    let kind = row.get(col::NLL_KIND).and_then(LikelihoodKind::parse);
    let density = matches!(kind, Some(LikelihoodKind::Exact | LikelihoodKind::Kde));
    if density && !data.spec.is_discrete() && !model.is_conditional() {
        write_density_grid(model, data, &artifacts.join("model_density.csv"), eval_seed)?;
    }
    Ok(None)
}

/// metrics.csv's last row: the final step and its training seconds, then every measured column
/// of the result (not the run's identity, provenance or data description).
fn final_metrics(result: &RunResult) -> anyhow::Result<Row> {
    let mut skip = results::columns_of::<RunIdentity>();
    skip.extend(results::columns_of::<Provenance>());
    skip.extend(
        [
            col::PREPROCESSING,
            col::STEPS,
            col::TRAIN_SECONDS,
            col::FINGERPRINT,
        ]
        .map(String::from),
    );
    let mut last = Row::default();
    last.set(col::STEP, result.steps.unwrap_or_default());
    last.set_f(col::TRAIN_SECONDS, result.train_seconds);
    last.set(col::SPLIT, schema::SPLIT_TEST);
    last.extend(result.row()?.without(&skip));
    Ok(last)
}

//! The result schema: every column name of result.json, summary.csv, metrics.csv and
//! variants.csv as a constant, and the metric table (name, unit, direction, description) the
//! report reads. A column is named here once; the runner, the evaluator and the report use
//! the constant.

/// Which way a metric improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Smaller is better (NLL, FD, KID, seconds).
    Lower,
    /// Larger is better (precision, recall, accuracy, samples per second).
    Higher,
    /// Descriptive (parameters): no best value.
    Neither,
}

/// A measured column: its name, unit, which way it improves, and what it is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metric {
    /// The column.
    pub name: &'static str,
    /// The unit (`""` for counts and ratios without one).
    pub unit: &'static str,
    /// Which way it improves.
    pub direction: Direction,
    /// What it measures, in one line.
    pub description: &'static str,
    /// The values it can take, `(low, high)` (infinite where unbounded): a 95% interval over
    /// seeds is drawn clipped to them, as an FD below 0 or a recall above 1 does not exist.
    pub range: (f64, f64),
}

impl Metric {
    /// The same metric, its values within `range` (`(low, high)`, both included).
    pub const fn within(self, range: (f64, f64)) -> Self {
        Self { range, ..self }
    }

    /// `(low, high)` clipped to [`Metric::range`].
    pub fn clip(&self, (low, high): (f64, f64)) -> (f64, f64) {
        let (lo, hi) = self.range;
        (low.clamp(lo, hi), high.clamp(lo, hi))
    }
}

/// Column names.
pub mod col {
    /// `<model>--<dataset>--s<seed>`: the run folder's name.
    pub const RUN_ID: &str = "run_id";
    /// The manifest's `name`.
    pub const EXPERIMENT: &str = "experiment";
    /// The family.
    pub const FAMILY: &str = "family";
    /// The manifest's model name.
    pub const MODEL: &str = "model";
    /// The architecture.
    pub const ARCH: &str = "arch";
    /// The model's paper.
    pub const PAPER: &str = "paper";
    /// The paper's year.
    pub const YEAR: &str = "year";
    /// The dataset.
    pub const DATASET: &str = "dataset";
    /// The run's master seed.
    pub const SEED: &str = "seed";
    /// `true` when the model was conditioned on the label.
    pub const CONDITIONAL: &str = "conditional";
    /// `ok` or `diverged`.
    pub const STATUS: &str = "status";
    /// The step at which the run diverged.
    pub const DIVERGED_AT: &str = "diverged_at";
    /// Why the run diverged: the loss or the samples that were not finite or absurd.
    pub const DIVERGENCE: &str = "divergence";
    /// The fingerprint of the run's settings (config.json lists them).
    pub const FINGERPRINT: &str = "fingerprint";
    /// Training steps completed.
    pub const STEPS: &str = "steps";
    /// A metrics.csv row's step.
    pub const STEP: &str = "step";
    /// The step whose weights were scored on the test set (the validation-best one).
    pub const SELECTED_STEP: &str = "selected_step";
    /// The share of the budget at which an anytime evaluation was made (metrics.csv).
    pub const BUDGET_FRACTION: &str = "budget_fraction";
    /// Whether the validation score improved by less than the tolerance over the last half of
    /// the budget (anytime runs), or not at all over the last `patience` steps (early stopping).
    pub const CONVERGED: &str = "converged";
    /// Whether early stopping ended training before the budget (runs with a `patience`).
    pub const STOPPED_EARLY: &str = "stopped_early";
    /// Which examples a metrics.csv row was measured on: `validation` or `test`.
    pub const SPLIT: &str = "split";
    /// Seconds in `train_step`.
    pub const TRAIN_SECONDS: &str = "train_seconds";
    /// Seconds for the whole run: building, training, evaluating, scoring and writing; for a
    /// run resumed from a checkpoint, the earlier processes' seconds up to that checkpoint plus
    /// the last process's (what an uninterrupted run would have taken).
    pub const WALL_SECONDS: &str = "wall_seconds";
    /// The backend.
    pub const BACKEND: &str = "backend";
    /// CPU threads.
    pub const THREADS: &str = "threads";
    /// The code's commit.
    pub const COMMIT: &str = "commit";
    /// Trainable parameters.
    pub const PARAMS: &str = "params";
    /// What was done to the data.
    pub const PREPROCESSING: &str = "preprocessing";
    /// Mean loss over the last logged window.
    pub const FINAL_TRAIN_LOSS: &str = "final_train_loss";
    /// The likelihood's kind (`exact`, `iwae-100`, `vlb-1000`, `unavailable`, `diverged`).
    pub const NLL_KIND: &str = "nll_kind";
    /// Mean NLL in nats.
    pub const NLL_NATS: &str = "nll_nats";
    /// Mean NLL in bits per dimension (discrete data).
    pub const NLL_BPD: &str = "nll_bpd";
    /// Test examples the NLL is the mean of.
    pub const NLL_N: &str = "nll_n";
    /// The NLL's standard error over its examples, sd(−log p(x_i)) / √n.
    pub const NLL_SE_NATS: &str = "nll_se_nats";
    /// Seconds to score the likelihood.
    pub const LL_SECONDS: &str = "ll_seconds";
    /// A family's extra likelihood term `name` is the column `ll_<name>`.
    pub const LL_EXTRA_PREFIX: &str = "ll_";
    /// True entropy of a 2-D density.
    pub const ENTROPY_NATS: &str = "entropy_nats";
    /// NLL − H(p*): KL(p* ‖ model) up to the test sample's own deviation from H(p*).
    pub const NLL_MINUS_ENTROPY_NATS: &str = "nll_minus_entropy_nats";
    /// KL(p* ‖ model), paired: mean over the scored test examples of log p*(x) − log p_model(x).
    pub const KL_NATS: &str = "kl_nats";
    /// Fréchet distance.
    pub const FD: &str = "fd";
    /// FD's sample counts, `real/generated`.
    pub const FD_N: &str = "fd_n";
    /// KID mean over subsets.
    pub const KID: &str = "kid";
    /// KID std over subsets.
    pub const KID_STD: &str = "kid_std";
    /// KID's `subsets x size`.
    pub const KID_N: &str = "kid_n";
    /// k-NN precision.
    pub const PRECISION: &str = "precision";
    /// k-NN recall.
    pub const RECALL: &str = "recall";
    /// Precision/recall's counts and k.
    pub const PR_N: &str = "pr_n";
    /// Density (Naeem et al.).
    pub const DENSITY: &str = "density";
    /// Coverage (Naeem et al.).
    pub const COVERAGE: &str = "coverage";
    /// Density/coverage's counts and k.
    pub const DC_N: &str = "dc_n";
    /// Meehan et al.'s data-copying statistic C_T of the samples against held-out data.
    pub const MEM_CT: &str = "mem_ct";
    /// C_T over its standard deviation when the samples are like held-out data.
    pub const MEM_Z: &str = "mem_z";
    /// Share of samples closer to the training set than the median held-out example.
    pub const MEM_CLOSER: &str = "mem_closer";
    /// The test's counts: `samples/held-out/training k=cells used/cells`.
    pub const MEM_N: &str = "mem_n";
    /// `true` when the samples are significantly closer to the training set than held-out data.
    pub const MEMORISING: &str = "memorising";
    /// Mean true log-density of samples (2-D).
    pub const TRUE_LOGP_OF_SAMPLES: &str = "true_logp_of_samples";
    /// Modes with a sample near them (2-D mixtures).
    pub const MODES_COVERED: &str = "modes_covered";
    /// Modes of the density.
    pub const MODES_TOTAL: &str = "modes_total";
    /// Share of samples near a mode.
    pub const HIGH_QUALITY: &str = "high_quality";
    /// Share of conditional samples of the asked class.
    pub const COND_ACCURACY: &str = "cond_accuracy";
    /// Test accuracy of the feature classifier.
    pub const CLASSIFIER_ACCURACY: &str = "classifier_accuracy";
    /// Samples drawn per second.
    pub const SAMPLES_PER_SECOND: &str = "samples_per_second";
    /// Network evaluations per sample.
    pub const EVALS_PER_SAMPLE: &str = "evals_per_sample";
    /// A sampler variant's name (variants.csv).
    pub const VARIANT: &str = "variant";
    /// The knob a variant sets.
    pub const KNOB: &str = "knob";
    /// The knob's value.
    pub const VALUE: &str = "value";
    /// `genbench eval --set` overrides of a rescored run.
    pub const OVERRIDES: &str = "overrides";
    /// The split's fingerprint (genbench-dataset's `Dataset::split_fingerprint`).
    pub const SPLIT_FINGERPRINT: &str = "split_fingerprint";
    /// An external run: the samples file read (shape, dtype, scale).
    pub const SAMPLES_SOURCE: &str = "samples_source";
}

/// The `family` of a model scored by `genbench score` unless the user names another.
pub const FAMILY_EXTERNAL: &str = "external";

/// What scores a validation evaluation, lower is better: the first of these columns a
/// metrics.csv row holds as a finite number (the NLL in nats, else FD on samples where the
/// likelihood is unavailable). Checkpoint selection, `converged` and the report's seconds to
/// converge all read it (`selection::score_of(row, &VALIDATION_SCORE)`).
pub const VALIDATION_SCORE: [&str; 2] = [col::NLL_NATS, col::FD];

/// `converged`: the validation score improved by less than this share of max(1, |final|)
/// from half the budget to its end.
pub const CONVERGED_TOLERANCE: f64 = 0.01;

/// Whether a run converged: its validation scores at half the budget (`half`) and at the end
/// (`end`), lower is better, differ by less than [`CONVERGED_TOLERANCE`] × max(1, |end|) in
/// the end's favour.
pub fn converged(half: f64, end: f64) -> bool {
    half - end < CONVERGED_TOLERANCE * end.abs().max(1.0)
}

/// The `split` of a metrics.csv row measured on the validation split.
pub const SPLIT_VALIDATION: &str = "validation";
/// The `split` of a metrics.csv row measured on the test set.
pub const SPLIT_TEST: &str = "test";

/// The `nll_kind` of a run that diverged (it has no likelihood of any kind).
pub const NLL_KIND_DIVERGED: &str = "diverged";

/// Columns every summary.csv starts with, in this order; other columns follow sorted.
pub const SUMMARY_COLUMNS: &[&str] = &[
    col::RUN_ID,
    col::EXPERIMENT,
    col::FAMILY,
    col::MODEL,
    col::ARCH,
    col::PAPER,
    col::YEAR,
    col::DATASET,
    col::SEED,
    col::CONDITIONAL,
    col::STATUS,
    col::DIVERGED_AT,
    col::STEPS,
    col::SELECTED_STEP,
    col::CONVERGED,
    col::TRAIN_SECONDS,
    col::WALL_SECONDS,
    col::BACKEND,
    col::THREADS,
    col::COMMIT,
    col::PARAMS,
    col::NLL_KIND,
    col::NLL_NATS,
    col::NLL_BPD,
    col::NLL_N,
    col::NLL_SE_NATS,
    col::LL_SECONDS,
    col::ENTROPY_NATS,
    col::NLL_MINUS_ENTROPY_NATS,
    col::KL_NATS,
    col::FD,
    col::FD_N,
    col::KID,
    col::KID_STD,
    col::KID_N,
    col::PRECISION,
    col::RECALL,
    col::PR_N,
    col::DENSITY,
    col::COVERAGE,
    col::DC_N,
    col::MEM_CT,
    col::MEM_Z,
    col::MEM_CLOSER,
    col::MEM_N,
    col::MEMORISING,
    col::TRUE_LOGP_OF_SAMPLES,
    col::MODES_COVERED,
    col::MODES_TOTAL,
    col::HIGH_QUALITY,
    col::COND_ACCURACY,
    col::CLASSIFIER_ACCURACY,
    col::SAMPLES_PER_SECOND,
    col::EVALS_PER_SAMPLE,
    col::PREPROCESSING,
];

const fn metric(
    name: &'static str,
    unit: &'static str,
    direction: Direction,
    description: &'static str,
) -> Metric {
    Metric {
        name,
        unit,
        direction,
        description,
        range: (f64::NEG_INFINITY, f64::INFINITY),
    }
}

/// Values a nonnegative metric can take.
const NONNEGATIVE: (f64, f64) = (0.0, f64::INFINITY);
/// Values a share can take.
const SHARE: (f64, f64) = (0.0, 1.0);

/// Every measured column: what it is and which way it improves.
pub const METRICS: &[Metric] = {
    use Direction::{Higher, Lower, Neither};
    &[
        metric(
            col::NLL_NATS,
            "nats",
            Lower,
            "mean negative log-likelihood of the test data (or a bound on it; see nll_kind)",
        ),
        metric(
            col::NLL_BPD,
            "bits/dim",
            Lower,
            "nll_nats / (D ln 2) on discrete data",
        ),
        metric(
            col::NLL_MINUS_ENTROPY_NATS,
            "nats",
            Lower,
            "NLL − H(p*): KL(p* ‖ model) for an exact −log p(x) on a 2-D density, plus the scored test sample's own deviation from H(p*) (about 1/√n nats)",
        ),
        metric(
            col::KL_NATS,
            "nats",
            Lower,
            "KL(p* ‖ model) on a 2-D density, paired: the mean over the scored test examples of log p*(x_i) − log p_model(x_i) (a bound's kind makes it an upper bound)",
        ),
        metric(
            col::NLL_SE_NATS,
            "nats",
            Neither,
            "standard error of the mean NLL over its test examples, sd(−log p(x_i)) / √n (for a Monte Carlo bound, including the estimator's noise)",
        ),
        metric(
            col::ENTROPY_NATS,
            "nats",
            Neither,
            "true entropy H(p*) of a 2-D density: the floor for any NLL",
        ),
        metric(
            col::LL_SECONDS,
            "s",
            Lower,
            "seconds to score the likelihood",
        ).within(NONNEGATIVE),
        metric(
            col::FD,
            "",
            Lower,
            "Fréchet distance of samples to test data (images: in the classifier's features: FID-approx)",
        ).within(NONNEGATIVE),
        metric(
            col::KID,
            "",
            Lower,
            "kernel inception distance, unbiased MMD² with a cubic kernel, mean over subsets",
        ),
        metric(col::KID_STD, "", Neither, "KID's std over subsets").within(NONNEGATIVE),
        metric(
            col::PRECISION,
            "",
            Higher,
            "share of samples inside the k-NN balls of the data (k = 3)",
        ).within(SHARE),
        metric(
            col::RECALL,
            "",
            Higher,
            "share of data inside the k-NN balls of the samples (k = 3)",
        ).within(SHARE),
        metric(
            col::DENSITY,
            "",
            Higher,
            "(1 / kM) Σ_j Σ_i 1[sample j in data ball i] (k = 5): 1 when samples and data agree",
        ).within(NONNEGATIVE),
        metric(
            col::COVERAGE,
            "",
            Higher,
            "share of data k-NN balls holding a sample (k = 5)",
        ).within(SHARE),
        metric(
            col::MEM_CT,
            "",
            Neither,
            "data copying (Meehan et al. 2020): samples' distances to their nearest training example against held-out data's, Mann–Whitney z per k-means cell, averaged; ≈ 0 like held-out data, ≪ 0 copying, > 0 farther",
        ),
        metric(
            col::MEM_Z,
            "",
            Neither,
            "mem_ct over its standard deviation when the samples are like held-out data; memorising below Φ⁻¹(0.01) = −2.33",
        ),
        metric(
            col::MEM_CLOSER,
            "",
            Neither,
            "share of samples closer to the training set than the median held-out example (½ like held-out data, 1 for copies)",
        ).within(SHARE),
        metric(
            col::TRUE_LOGP_OF_SAMPLES,
            "nats",
            Higher,
            "mean true log-density log p*(x) of samples (2-D)",
        ),
        metric(
            col::MODES_COVERED,
            "",
            Higher,
            "modes of a 2-D mixture that receive at least max(1, ⌈0.05 n / K⌉) samples within 3σ",
        ).within(NONNEGATIVE),
        metric(
            col::HIGH_QUALITY,
            "",
            Higher,
            "share of samples within 3σ of their nearest mode (2-D mixtures)",
        ).within(SHARE),
        metric(
            col::COND_ACCURACY,
            "",
            Higher,
            "share of conditional samples that the classifier (or nearest mode) puts in the asked class",
        ).within(SHARE),
        metric(
            col::CLASSIFIER_ACCURACY,
            "",
            Neither,
            "test accuracy of the feature classifier",
        ).within(SHARE),
        metric(col::PARAMS, "", Neither, "trainable parameters").within(NONNEGATIVE),
        metric(
            col::SELECTED_STEP,
            "",
            Neither,
            "the step whose weights were scored on the test set: the lowest validation NLL (FD without a likelihood) among the periodic evaluations, else the last step",
        ),
        metric(
            col::CONVERGED,
            "",
            Neither,
            "anytime runs: true when the validation NLL (FD without a likelihood) improved by less than 1 % of max(1, |its final value|) from 50 % to 100 % of the budget",
        ),
        metric(
            col::TRAIN_SECONDS,
            "s",
            Lower,
            "seconds spent in train_step",
        ).within(NONNEGATIVE),
        metric(
            col::WALL_SECONDS,
            "s",
            Lower,
            "seconds for the whole run, scoring included",
        ),
        metric(
            col::SAMPLES_PER_SECOND,
            "1/s",
            Higher,
            "samples drawn per second",
        ).within(NONNEGATIVE),
        metric(
            col::EVALS_PER_SAMPLE,
            "",
            Lower,
            "network evaluations per sample",
        ).within(NONNEGATIVE),
        metric(
            col::FINAL_TRAIN_LOSS,
            "",
            Lower,
            "mean training loss over the last logged window",
        ),
    ]
};

/// The metric table's entry for column `name`.
pub fn metric_of(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

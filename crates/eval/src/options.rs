//! [`EvalOptions`]: a manifest's `[eval]` table, how every run of an experiment is scored.

use serde::{Deserialize, Serialize};

/// `[eval]`: how every run is scored.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvalOptions {
    /// Samples drawn per run for sample-based metrics (FD, KID, precision/recall, ...).
    pub samples: usize,
    /// Test examples scored for the likelihood (0 = the whole test set).
    pub likelihood_examples: usize,
    /// KID: number of random subsets.
    pub kid_subsets: usize,
    /// KID: size of each subset (capped at the sample count).
    pub kid_subset_size: usize,
    /// Validation likelihood (FD without one) every this many training steps into metrics.csv;
    /// the run reports the best evaluation's weights (0 = none during training: the last).
    pub eval_every: u64,
    /// Validation examples for the periodic evaluation (and samples for its FD).
    pub eval_examples: usize,
    /// Anytime curve: evaluate also at 1, 2, 5, 10, 20, 50 and 100 % of the budget, each
    /// evaluation with its FD on `eval_examples` samples, and say whether the run converged.
    pub anytime: bool,
    /// Checkpoint every this many steps (0 = only at the end).
    pub checkpoint_every: u64,
    /// Keep the final checkpoint in the run folder.
    pub keep_checkpoint: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self {
            samples: 2000,
            likelihood_examples: 0,
            kid_subsets: 100,
            kid_subset_size: 1000,
            eval_every: 0,
            eval_examples: 500,
            anytime: false,
            checkpoint_every: 0,
            keep_checkpoint: false,
        }
    }
}

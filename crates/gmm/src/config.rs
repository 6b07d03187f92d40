//! The mixture's knobs: K components per class, full or diagonal covariance, the variance floor
//! added in every M-step, and the k-means++ restarts fitted side by side.

use crate::mixture::Covariance;
use genbench_core::check::{require, require_positive};
use genbench_core::{ConfigError, DataSpec, Footprint};
use serde::{Deserialize, Serialize};

/// The manifest's `[models.config]` for `family = "gmm"`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GmmConfig {
    /// Mixture components K (per class when conditional).
    pub components: usize,
    /// Full covariances, or diagonal ones (independent coordinates within a component).
    pub covariance: Covariance,
    /// Added to every covariance diagonal in the M-step, in the model's space (coordinates for
    /// vectors, [0,1] pixel units for images).
    pub variance_floor: f64,
    /// Independent k-means++ initialisations trained side by side; the best is kept.
    pub restarts: usize,
}

impl Default for GmmConfig {
    fn default() -> Self {
        Self {
            components: 8,
            covariance: Covariance::Full,
            variance_floor: 1e-4,
            restarts: 3,
        }
    }
}

impl GmmConfig {
    /// Every knob in range, or an error naming the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        require_positive("components", self.components)?;
        require_positive("restarts", self.restarts)?;
        require(
            self.variance_floor > 0.0 && self.variance_floor.is_finite(),
            "variance_floor",
            || format!("must be positive, got {}", self.variance_floor),
        )
    }

    /// Every restart keeps K weights, means and covariances per class in f64 (two 4-byte values
    /// each); an EM step holds the n x K responsibilities of every restart.
    pub fn footprint(&self, spec: &DataSpec, classes: usize) -> Footprint {
        let d = spec.dim() as u64;
        let cov = match self.covariance {
            Covariance::Full => d.saturating_mul(d),
            Covariance::Diagonal => d,
        };
        let k = self.components as u64;
        let mixtures = (self.restarts as u64).saturating_mul(classes.max(1) as u64);
        let per_mixture = k.saturating_mul(cov.saturating_add(d).saturating_add(1));
        Footprint {
            params: mixtures.saturating_mul(per_mixture).saturating_mul(2),
            activations_per_example: k
                .saturating_mul(self.restarts as u64)
                .saturating_add(d)
                .saturating_mul(2),
            fixed: 0,
            eval_batch: 0,
            eval_per_example: 0,
        }
    }
}

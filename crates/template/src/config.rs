//! The manifest's `[models.config]` for `family = "template"`.
//!
//! A sample is a training example drawn at random (every example once, in a random order, before
//! any repeats), then deformed by the knobs below; all of them at 0 returns the training set
//! itself. The likelihood is a Gaussian kernel density estimate over the training set,
//!
//! ```text
//! p_h(v) = (1/N) Σ_i N(v; c_i, h² I_D)
//! ```
//!
//! with the centres c_i the training examples (images: the bin centres (k + ½)/L of their levels,
//! scored by uniform dequantization) and the bandwidth h chosen on a validation split.

use genbench_core::check::{ConfigError, require, require_positive, require_range};
use serde::{Deserialize, Serialize};

/// The manifest's `[models.config]` for `family = "template"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TemplateConfig {
    /// Images: shift each sample by (dx, dy) drawn uniformly from {−k, …, k}², in pixels; what
    /// moves in from outside the frame is level 0. 0 = no shift.
    pub max_shift: usize,
    /// Images: elastic deformation (Simard et al. 2003) of strength α, in pixels: each pixel is
    /// displaced by α (G_σ ∗ U), with U uniform on [−1, 1] per pixel and axis and G_σ a Gaussian
    /// filter of width `elastic_sigma`; the image is resampled bilinearly and rounded to its
    /// levels. 0 = no deformation. (Simard et al. used α = 34, σ = 4 on 28×28 MNIST.)
    pub elastic_alpha: f64,
    /// Images: σ of the elastic displacement field's Gaussian filter, in pixels.
    pub elastic_sigma: f64,
    /// Vectors: standard deviation of Gaussian noise added to every coordinate, in data units.
    /// 0 = none; equal to the chosen bandwidth it makes the sampler the KDE's exact sampler.
    pub jitter: f64,
    /// Candidate bandwidths h, in the model's space (coordinates; [0, 1] pixel units on images).
    /// Empty: the grid h = s · 2^(j/2), j = −12, …, 3, with s the root mean per-coordinate variance
    /// of the training data.
    pub bandwidths: Vec<f64>,
    /// Share of the training set held out of the KDE's centres to choose h (capped at
    /// `max_validation` examples); the final estimate uses every training example as a centre.
    pub validation_fraction: f64,
    /// Cap on the validation examples held out to choose h.
    pub max_validation: usize,
}

impl Default for TemplateConfig {
    fn default() -> Self {
        Self {
            max_shift: 0,
            elastic_alpha: 0.0,
            elastic_sigma: 1.0,
            jitter: 0.0,
            bandwidths: Vec::new(),
            validation_fraction: 0.1,
            max_validation: 500,
        }
    }
}

impl TemplateConfig {
    /// Every check before anything is built; an error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        require_range("elastic_alpha", self.elastic_alpha, 0.0, f64::MAX, false)?;
        require(
            self.elastic_sigma > 0.0 && self.elastic_sigma.is_finite(),
            "elastic_sigma",
            || format!("must be positive, got {}", self.elastic_sigma),
        )?;
        require_range("jitter", self.jitter, 0.0, f64::MAX, false)?;
        require(
            self.bandwidths.iter().all(|&h| h > 0.0 && h.is_finite()),
            "bandwidths",
            || format!("must be positive, got {:?}", self.bandwidths),
        )?;
        require(
            self.validation_fraction > 0.0 && self.validation_fraction < 1.0,
            "validation_fraction",
            || format!("must lie in (0, 1), got {}", self.validation_fraction),
        )?;
        require_positive("max_validation", self.max_validation)
    }

    /// Whether a sample can differ from the training example it was drawn from.
    pub fn deforms(&self) -> bool {
        self.max_shift > 0 || self.elastic_alpha > 0.0 || self.jitter > 0.0
    }
}

//! The manifest's `[models.config]` for `family = "texture"`: Efros & Leung's (1999)
//! non-parametric sampling, in raster order with a causal neighbourhood.
//!
//! Pixel p of a new image is drawn from the training pixels q whose neighbourhoods best match
//! p's already generated neighbourhood N(p), by the (Gaussian-weighted) sum of squared
//! differences
//!
//! ```text
//! d(p, q) = Σ_{o ∈ window, o before the centre in raster order} w_o (x(p + o) − t(q + o))²
//! w_o = exp(−|o|² / (2 σ²)),  σ = window / 6.4   (Efros & Leung's choice; 1 when unweighted)
//! ```
//!
//! on pixel values scaled to [0, 1], a position outside the image counting as −1 (so a
//! neighbourhood also says where the border is). The candidates are the k nearest, or every q
//! with d(p, q) ≤ (1 + ε) min_q d(p, q); one of them is drawn uniformly and copied.
//!
//! On vectors the analogue runs over coordinates: coordinate j is copied from the coordinate j
//! of a training point whose preceding coordinates j − (window − 1)/2, …, j − 1 best match.

use genbench_core::check::{ConfigError, require, require_positive, require_range};
use serde::{Deserialize, Serialize};

/// How the candidate pixels are chosen from the distances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Selection {
    /// The `k` nearest neighbourhoods.
    KNearest,
    /// Every neighbourhood within (1 + `epsilon`) of the best distance (Efros & Leung).
    Tolerance,
}

/// The manifest's `[models.config]` for `family = "texture"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TextureConfig {
    /// Side of the square window centred on the pixel (odd); its causal part is the
    /// (window − 1)/2 rows above and the (window − 1)/2 pixels to the left. On vectors, the
    /// (window − 1)/2 preceding coordinates. A window of 2H − 1 sees the whole causal past of
    /// an H × H image.
    pub window: usize,
    /// How a match is chosen among the candidate neighbourhoods.
    pub selection: Selection,
    /// `k-nearest`: how many.
    pub k: usize,
    /// `tolerance`: ε (Efros & Leung used 0.1).
    pub epsilon: f64,
    /// Weight the window by a Gaussian of σ = window / 6.4 (false: plain SSD).
    pub gaussian_weights: bool,
    /// Training examples searched per generated example, drawn at random (0 = all). Cost per
    /// image: pool · (H W)² · |window| / 2 multiply-adds (fewer with `search_radius`).
    pub pool: usize,
    /// Images: search only source positions within this many rows and columns of the pixel's
    /// own position (0 = the whole image).
    pub search_radius: usize,
}

impl Default for TextureConfig {
    fn default() -> Self {
        Self {
            window: 5,
            selection: Selection::Tolerance,
            k: 5,
            epsilon: 0.1,
            gaussian_weights: true,
            pool: 200,
            search_radius: 0,
        }
    }
}

impl TextureConfig {
    /// Every check before anything is built; an error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        require(self.window % 2 == 1, "window", || {
            format!(
                "must be odd (a square centred on the pixel), got {}",
                self.window
            )
        })?;
        require_positive("k", self.k)?;
        require_range("epsilon", self.epsilon, 0.0, f64::MAX, false)
    }

    /// (window − 1)/2: how far the window reaches from its centre.
    pub fn half(&self) -> usize {
        (self.window - 1) / 2
    }
}

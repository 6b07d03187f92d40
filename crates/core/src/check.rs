//! Checks made before anything is written: a setting that cannot work is a [`ConfigError`] that
//! names its key, and what a run will hold in memory is a [`Footprint`] estimated without
//! building the model.

use crate::data::DataSpec;
use std::fmt;

/// A setting no run can train with, found before the first write: the key (relative to the table
/// it sits in, e.g. `hidden` of `[models.config]`, `levels` of `[[datasets]]`) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The offending key, relative to its table.
    pub key: String,
    /// Why no run can use its value.
    pub msg: String,
}

impl ConfigError {
    /// The error of `key`, saying `msg`.
    pub fn new(key: impl Into<String>, msg: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            msg: msg.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.msg)
    }
}

impl std::error::Error for ConfigError {}

/// `Ok(())` when `holds`, else the error for `key` with the message `msg()`.
pub fn require(holds: bool, key: &str, msg: impl FnOnce() -> String) -> Result<(), ConfigError> {
    if holds {
        Ok(())
    } else {
        Err(ConfigError::new(key, msg()))
    }
}

/// `Ok(())` when `value` is finite and in `[lo, hi]` (`hi_open`: `[lo, hi)`), else an error
/// naming `key`, the range and the value (NaN included).
pub fn require_range(
    key: &str,
    value: f64,
    lo: f64,
    hi: f64,
    hi_open: bool,
) -> Result<(), ConfigError> {
    let inside = value.is_finite() && value >= lo && (value < hi || (!hi_open && value == hi));
    require(inside, key, || {
        let close = if hi_open { ")" } else { "]" };
        format!("must lie in [{lo}, {hi}{close}, got {value}")
    })
}

/// `Ok(())` for a positive integer, else "`key` must be at least 1".
pub fn require_positive(key: &str, value: usize) -> Result<(), ConfigError> {
    require(value >= 1, key, || "must be at least 1, got 0".to_string())
}

/// Conditioning needs labels: `conditional = true` on a dataset without classes is an error.
pub fn require_labels(spec: &DataSpec, conditional: bool) -> Result<(), ConfigError> {
    require(!conditional || spec.num_classes >= 2, "conditional", || {
        format!(
            "{} has no labels to condition on (it has {} classes)",
            spec.name, spec.num_classes
        )
    })
}

/// What a model holds in memory while it trains and is scored, in 4-byte values, estimated from
/// its config and the data's shape alone (nothing is built or allocated).
///
/// Training holds each parameter four times (the weight, its gradient and Adam's two moments);
/// the backward pass keeps `activations_per_example` values per example of the batch; `fixed`
/// counts the rest that does not scale with the batch (masks, schedules, per-pixel tables); and
/// `eval_per_example` is what one example of an evaluation batch (sampling, scoring) holds, times
/// `eval_batch` examples at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Trainable values.
    pub params: u64,
    /// Values one training example holds (activations and their gradients).
    pub activations_per_example: u64,
    /// Values that do not scale with the batch (masks, schedules, per-pixel tables).
    pub fixed: u64,
    /// Examples of one evaluation batch (sampling, scoring).
    pub eval_batch: u64,
    /// Values one example of an evaluation batch holds.
    pub eval_per_example: u64,
}

/// Bytes of one stored value (f32).
pub const VALUE_BYTES: u64 = 4;

impl Footprint {
    /// Bytes while training on batches of `batch` examples and while scoring, whichever is more
    /// (saturating: an absurd setting gives `u64::MAX`, never an overflow).
    pub fn bytes(&self, batch: u64) -> u64 {
        let train = self
            .activations_per_example
            .saturating_mul(batch)
            .saturating_add(self.params.saturating_mul(4));
        let eval = self
            .eval_per_example
            .saturating_mul(self.eval_batch)
            .saturating_add(self.params.saturating_mul(2));
        train
            .max(eval)
            .saturating_add(self.fixed)
            .saturating_mul(VALUE_BYTES)
    }
}

/// Values of a dense layer `d_in -> d_out` with bias: `d_in d_out + d_out`.
pub fn dense(d_in: usize, d_out: usize) -> u64 {
    (d_in as u64)
        .saturating_mul(d_out as u64)
        .saturating_add(d_out as u64)
}

/// Values of a `k x k` convolution `c_in -> c_out` with bias: `c_in c_out k^2 + c_out`.
pub fn conv(c_in: usize, c_out: usize, k: usize) -> u64 {
    (c_in as u64)
        .saturating_mul(c_out as u64)
        .saturating_mul((k * k) as u64)
        .saturating_add(c_out as u64)
}

/// `1 KiB = 1024 B` ... as the largest unit that keeps the number at least 1, e.g. `3.2 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_rejects_nan_and_the_open_end() {
        assert!(require_range("ema_decay", 0.999, 0.0, 1.0, true).is_ok());
        assert!(require_range("ema_decay", 0.0, 0.0, 1.0, true).is_ok());
        let e = require_range("ema_decay", 1.0, 0.0, 1.0, true).unwrap_err();
        assert_eq!(e.key, "ema_decay");
        assert_eq!(e.msg, "must lie in [0, 1), got 1");
        assert!(require_range("eta", 1.0, 0.0, 1.0, false).is_ok());
        assert!(require_range("beta", f64::NAN, 0.0, f64::MAX, false).is_err());
        assert!(require_range("beta", f64::INFINITY, 0.0, f64::INFINITY, false).is_err());
    }

    #[test]
    fn layer_counts_by_hand() {
        // 3 inputs, 2 outputs: 6 weights + 2 biases; 3x3 conv 1 -> 4: 36 weights + 4 biases.
        assert_eq!(dense(3, 2), 8);
        assert_eq!(conv(1, 4, 3), 40);
        assert_eq!(dense(usize::MAX, usize::MAX), u64::MAX);
    }

    #[test]
    fn bytes_take_the_larger_phase_and_saturate() {
        let f = Footprint {
            params: 10,
            activations_per_example: 3,
            fixed: 5,
            eval_batch: 100,
            eval_per_example: 1,
        };
        // train: 4 x 10 + 3 x 8 = 64; eval: 2 x 10 + 100 = 120; plus 5 fixed; 4 bytes each.
        assert_eq!(f.bytes(8), (120 + 5) * 4);
        assert_eq!(f.bytes(100), (40 + 300 + 5) * 4);
        let huge = Footprint {
            params: u64::MAX / 2,
            ..f
        };
        assert_eq!(huge.bytes(1), u64::MAX);
    }

    #[test]
    fn human_bytes_picks_the_unit() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024 / 2), "1.5 GiB");
    }
}

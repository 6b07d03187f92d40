//! The affine coupling transform (Dinh, Sohl-Dickstein & Bengio 2017) and its masks.
//!
//! With a binary mask m (1 = passed through, 0 = transformed) and a conditioner network that
//! sees only m*x (and the label), producing (s_raw, t):
//!   s = c tanh(s_raw / c) * (1 - m),  t = t * (1 - m)
//!   y = x * exp(s) + t                         (m*y = m*x, so the inverse sees the same m*x)
//!   log|det dy/dx| = sum s                     (the Jacobian is triangular)
//!   x = (y - t) * exp(-s).
//! The soft clamp keeps every log-scale in (-c, c), which keeps training stable.

use burn::prelude::*;
use genbench_core::host;

/// Which half a mask passes through unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskKind {
    /// Vectors: the first half of the coordinates (for 2-D: the first coordinate) when `parity`
    /// is false, the second half when true.
    Halves {
        /// Pass the second half instead of the first.
        parity: bool,
    },
    /// Images: the pixels with (i + j) even when `parity` is false, odd when true.
    Checkerboard {
        /// Pass the odd pixels instead of the even ones.
        parity: bool,
    },
    /// Images: the first half of the channels when `parity` is false, the second when true.
    Channels {
        /// Pass the second half of the channels instead of the first.
        parity: bool,
    },
}

impl MaskKind {
    /// m for one example of `shape` (`[D]` or `[C, H, W]`), flattened row-major.
    pub fn values(self, shape: &[usize]) -> Vec<f32> {
        let on = |pass: bool| if pass { 1.0 } else { 0.0 };
        match (self, shape) {
            (MaskKind::Halves { parity }, [d]) => {
                (0..*d).map(|i| on((i < d / 2) != parity)).collect()
            }
            (MaskKind::Checkerboard { parity }, [c, h, w]) => (0..c * h * w)
                .map(|k| on((((k / w) % h + k % w) % 2 == 1) == parity))
                .collect(),
            (MaskKind::Channels { parity }, [c, h, w]) => (0..c * h * w)
                .map(|k| on((k / (h * w) < c / 2) != parity))
                .collect(),
            (kind, shape) => panic!("mask {kind:?} does not apply to shape {shape:?}"),
        }
    }

    /// m as a `[1, D]` tensor.
    pub fn vector(self, dim: usize, device: &Device) -> Tensor<2> {
        host::tensor(self.values(&[dim]), [1, dim], device)
    }

    /// m as a `[1, C, H, W]` tensor.
    pub fn image(self, [c, h, w]: [usize; 3], device: &Device) -> Tensor<4> {
        host::tensor(self.values(&[c, h, w]), [1, c, h, w], device)
    }
}

/// The clamped, masked log-scale and shift: (c tanh(s_raw / c) (1 - m), t (1 - m)).
pub fn masked_scale_shift<const D: usize>(
    s_raw: Tensor<D>,
    t: Tensor<D>,
    mask: Tensor<D>,
    clamp: f64,
) -> (Tensor<D>, Tensor<D>) {
    let free = mask.neg().add_scalar(1.0); // 1 - m, broadcast over the batch
    let s = s_raw.div_scalar(clamp).tanh().mul_scalar(clamp) * free.clone(); // same shape as x
    (s, t * free)
}

/// y = x exp(s) + t and log|det| = sum of s over every dimension but the batch (`[n]`).
pub fn affine_forward<const D: usize>(
    x: Tensor<D>,
    s: Tensor<D>,
    t: Tensor<D>,
) -> (Tensor<D>, Tensor<1>) {
    let n = x.dims()[0];
    let log_det = s.clone().reshape([n as i32, -1]).sum_dim(1).reshape([n]); // [n]
    (x * s.exp() + t, log_det)
}

/// x = (y - t) exp(-s).
pub fn affine_inverse<const D: usize>(y: Tensor<D>, s: Tensor<D>, t: Tensor<D>) -> Tensor<D> {
    (y - t) * s.neg().exp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_split_in_halves_and_alternate() {
        assert_eq!(
            MaskKind::Halves { parity: false }.values(&[2]),
            vec![1.0, 0.0]
        );
        assert_eq!(
            MaskKind::Halves { parity: true }.values(&[2]),
            vec![0.0, 1.0]
        );
        assert_eq!(
            MaskKind::Checkerboard { parity: false }.values(&[1, 2, 2]),
            vec![1.0, 0.0, 0.0, 1.0]
        );
        assert_eq!(
            MaskKind::Checkerboard { parity: true }.values(&[1, 2, 2]),
            vec![0.0, 1.0, 1.0, 0.0]
        );
        assert_eq!(
            MaskKind::Channels { parity: false }.values(&[2, 1, 2]),
            vec![1.0, 1.0, 0.0, 0.0]
        );
        assert_eq!(
            MaskKind::Channels { parity: true }.values(&[2, 1, 2]),
            vec![0.0, 0.0, 1.0, 1.0]
        );
    }
}

//! Fourier features of the input (Kingma et al. 2021, VDM's `Base2FourierFeatures`): for each
//! exponent n, sin(2ⁿ · 2π · x) and cos(2ⁿ · 2π · x) appended to x, so the denoiser sees the
//! fine detail that decides which of the data's levels a pixel is on. VDM uses n = 6, 7 for
//! 256 levels on [−1, 1] (bin width 2⁻⁷, so 2ⁿ · bin = ½, 1); with L levels the same reading is
//! 2ⁿ ≈ (L − 1)/4 and (L − 1)/2, e.g. n = 2, 3 for digits' 17 levels.

use burn::prelude::*;

/// Number of values per coordinate after the features: 1 + 2 · (number of exponents).
pub fn groups(exponents: &[i32]) -> usize {
    1 + 2 * exponents.len()
}

/// `x`: [n, D]. Returns [n, (1 + 2K)·D]: x, then sin and cos of each exponent's frequency,
/// each block of D in x's order (a U-Net reads the blocks as extra channels).
pub fn append(x: Tensor<2>, exponents: &[i32]) -> Tensor<2> {
    if exponents.is_empty() {
        return x;
    }
    let mut parts = vec![x.clone()];
    for &e in exponents {
        let w = 2f64.powi(e) * 2.0 * std::f64::consts::PI;
        let h = x.clone().mul_scalar(w); // [n, D]
        parts.push(h.clone().sin());
        parts.push(h.cos());
    }
    Tensor::cat(parts, 1) // [n, (1 + 2K)·D]
}

#[cfg(test)]
mod tests {
    use super::*;
    use genbench_core::DeviceChoice;

    /// x = 1/8 with n = 1: 2 · 2π / 8 = π/2, so sin = 1, cos = 0.
    #[test]
    fn features_follow_x_in_blocks() {
        let device = DeviceChoice::Flex.device().unwrap();
        let x: Tensor<2> = genbench_core::host::tensor(vec![0.125f32, 0.0], [1, 2], &device);
        let out = genbench_core::host::floats(append(x, &[1]));
        assert_eq!(out.len(), 6);
        let want = [0.125, 0.0, 1.0, 0.0, 0.0, 1.0];
        for (o, w) in out.iter().zip(want) {
            assert!((o - w).abs() < 1e-6, "{out:?}");
        }
        assert_eq!(groups(&[6, 7]), 5);
    }
}

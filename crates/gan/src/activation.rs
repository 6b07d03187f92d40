//! The derivative of the critic's activation, shared by the MLP and conv trunks.

use burn::prelude::*;

/// σ'(a) of LeakyReLU with negative slope `slope`: 1 where a > 0, `slope` elsewhere. Piecewise
/// constant, so it carries no gradient (the bool mask is detached by construction).
pub fn leaky_relu_slope_mask<const D: usize>(a: Tensor<D>, slope: f64) -> Tensor<D> {
    a.greater_elem(0.0)
        .float()
        .mul_scalar(1.0 - slope)
        .add_scalar(slope)
}

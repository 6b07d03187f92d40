//! Gradient clipping by the global norm, as PyTorch's `clip_grad_norm_` and the papers do:
//!
//!   total = sqrt( Σ over every parameter p of ‖g_p‖² ),
//!   g_p ← g_p · min(1, max_norm / (total + 1e-6))  for every p.
//!
//! One factor scales every gradient, so the update keeps its direction. burn's
//! `GradientClippingConfig::Norm` instead clips each parameter tensor by its own norm, which
//! changes the direction and lets the total norm reach max_norm × (number of tensors); families
//! call [`clip_global_norm`] on their gradients and give the optimizer no clipping of its own.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

/// Added to the total norm before dividing, as PyTorch does.
pub const CLIP_EPS: f64 = 1e-6;

/// `grads` (of `module`'s parameters) scaled by min(1, max_norm / (total + 1e-6)), where total
/// is the L2 norm of all of them together. `max_norm <= 0` returns them unchanged (no
/// clipping). The factor stays on the device: no host synchronisation.
pub fn clip_global_norm<M: Module>(
    mut grads: GradientsParams,
    module: &M,
    max_norm: f64,
) -> GradientsParams {
    if max_norm <= 0.0 {
        return grads;
    }
    let mut sum = SumOfSquares {
        grads: &grads,
        total: None,
    };
    module.visit(&mut sum);
    let Some(total) = sum.total else {
        return grads;
    };
    // min(1, max_norm / (sqrt(total) + eps)): [1]
    let factor = total
        .sqrt()
        .add_scalar(CLIP_EPS)
        .recip()
        .mul_scalar(max_norm)
        .clamp_max(1.0);
    module.visit(&mut Scale {
        grads: &mut grads,
        factor,
    });
    grads
}

/// Σ ‖g_p‖² over the parameters that have a gradient.
struct SumOfSquares<'a> {
    grads: &'a GradientsParams,
    total: Option<Tensor<1>>, // [1]
}

impl ModuleVisitor for SumOfSquares<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.get::<D>(param.id) {
            let s = g.square().sum(); // [1]
            self.total = Some(match self.total.take() {
                Some(t) => t + s,
                None => s,
            });
        }
    }
}

/// Every gradient times `factor`.
struct Scale<'a> {
    grads: &'a mut GradientsParams,
    factor: Tensor<1>, // [1]
}

impl ModuleVisitor for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.remove::<D>(param.id) {
            let factor = self.factor.clone().reshape([1; D]);
            self.grads.register::<D>(param.id, g * factor);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::prelude::*;

    /// Two parameters, a = [a0, a1] and b = [b0], and the loss 3·a0 + 4·a1 + 12·b0: the
    /// gradients are g_a = [3, 4] (‖g_a‖ = 5) and g_b = [12] (‖g_b‖ = 12), total = 13.
    #[derive(Module, Debug)]
    struct Two {
        a: Param<Tensor<1>>,
        b: Param<Tensor<1>>,
    }

    fn grads_of(device: &Device) -> (Two, GradientsParams) {
        let two = Two {
            a: Param::from_tensor(Tensor::from_floats([1.0, 1.0], device)),
            b: Param::from_tensor(Tensor::from_floats([1.0], device)),
        };
        let loss = (two.a.val() * Tensor::from_floats([3.0, 4.0], device)).sum()
            + two.b.val().mul_scalar(12.0).sum();
        let grads = GradientsParams::from_grads(loss.backward(), &two);
        (two, grads)
    }

    fn values(grads: &GradientsParams, param: &Param<Tensor<1>>) -> Vec<f32> {
        grads
            .get::<1>(param.id)
            .unwrap()
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    }

    fn assert_close(got: &[f32], want: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((*g as f64 - w).abs() < 1e-5, "got {got:?}, want {want:?}");
        }
    }

    /// max_norm = 6.5 = total / 2: every gradient is halved, so g_a = [1.5, 2] and g_b = [6]
    /// (factor 6.5 / (13 + 1e-6)). Per-tensor clipping would leave g_a = [3, 4] (5 < 6.5) and
    /// give g_b = [6.5].
    #[test]
    fn clip_scales_every_gradient_by_the_global_factor() {
        let device = Device::flex().autodiff();
        let (two, grads) = grads_of(&device);
        let clipped = clip_global_norm(grads, &two, 6.5);
        let f = 6.5 / (13.0 + CLIP_EPS);
        assert_close(&values(&clipped, &two.a), &[3.0 * f, 4.0 * f]);
        assert_close(&values(&clipped, &two.b), &[12.0 * f]);
    }

    /// max_norm = 20 > 13: unchanged (the factor is capped at 1); max_norm = 0: no clipping.
    #[test]
    fn clip_leaves_small_gradients_unchanged() {
        let device = Device::flex().autodiff();
        for max_norm in [20.0, 0.0] {
            let (two, grads) = grads_of(&device);
            let clipped = clip_global_norm(grads, &two, max_norm);
            assert_close(&values(&clipped, &two.a), &[3.0, 4.0]);
            assert_close(&values(&clipped, &two.b), &[12.0]);
        }
    }
}

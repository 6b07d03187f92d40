//! An exponential moving average of a module's weights (Polyak averaging), the copy that
//! samples and scores: after each step ema ← d·ema + (1 − d)·θ, with the warm-up
//! d = min(decay, (1 + s)/(10 + s)) at step s so a short run is not dominated by its
//! initialisation.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;
use std::collections::VecDeque;

/// Collects every float parameter of a module, flattened, in visiting order.
struct Collect(VecDeque<Tensor<1>>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let n = t.shape().num_elements();
        self.0.push_back(t.reshape([n]));
    }
}

/// Blends each float parameter of the EMA module with the next collected one.
struct Blend {
    params: VecDeque<Tensor<1>>,
    decay: f64,
}

impl ModuleMapper for Blend {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let theta = self
            .params
            .pop_front()
            .expect("EMA and model have the same parameters");
        let decay = self.decay;
        param.map(|ema| {
            let dims = ema.dims();
            ema.mul_scalar(decay) + theta.reshape(dims).mul_scalar(1.0 - decay)
        })
    }
}

/// The warm-up decay at step `step` (0-based count of updates already made).
pub fn effective_decay(decay: f64, step: u64) -> f64 {
    decay.min((1.0 + step as f64) / (10.0 + step as f64))
}

/// ema ← d·ema + (1 − d)·model, both on the plain (non-autodiff) device; `model` is usually
/// `trained.valid()`.
pub fn update<M: Module>(ema: M, model: &M, decay: f64) -> M {
    let mut collect = Collect(VecDeque::new());
    model.visit(&mut collect);
    ema.map(&mut Blend {
        params: collect.0,
        decay,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use genbench_core::testing;

    /// ema = 0.9·a + 0.1·b, weight by weight (a, b two independently initialised layers).
    #[test]
    fn update_blends_every_weight() {
        let device = testing::device();
        let a: Linear = LinearConfig::new(3, 2).init(&device);
        let b: Linear = LinearConfig::new(3, 2).init(&device);
        let expected = a.weight.val().mul_scalar(0.9) + b.weight.val().mul_scalar(0.1);
        let blended = update(a.clone(), &b, 0.9);
        let diff = (blended.weight.val() - expected)
            .abs()
            .max()
            .into_scalar::<f32>();
        assert!(diff < 1e-6, "{diff}");
        let bias = blended.bias.as_ref().unwrap().val()
            - a.bias.unwrap().val().mul_scalar(0.9)
            - b.bias.unwrap().val().mul_scalar(0.1);
        assert!(bias.abs().max().into_scalar::<f32>() < 1e-6);
        assert_eq!(effective_decay(0.999, 0), 0.1);
        assert_eq!(effective_decay(0.99, 1_000_000), 0.99);
    }
}

//! Network pieces more than one family builds the same way.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

/// `layers` fully connected layers, `input` → `width` then `width` → `width` (none when `layers`
/// is 0), initialised in order on `device`.
pub fn linear_stack(input: usize, width: usize, layers: usize, device: &Device) -> Vec<Linear> {
    (0..layers)
        .map(|l| LinearConfig::new(if l == 0 { input } else { width }, width).init(device))
        .collect()
}

/// `x` through every layer of `stack`, `activation` after each: σ(W_L … σ(W_1 x + b_1) … + b_L).
pub fn forward_stack(
    stack: &[Linear],
    x: Tensor<2>,
    activation: impl Fn(Tensor<2>) -> Tensor<2>,
) -> Tensor<2> {
    stack
        .iter()
        .fold(x, |h, layer| activation(layer.forward(h))) // [n, width]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host;

    #[test]
    fn a_stack_has_the_widths_asked_and_applies_the_activation_after_each_layer() {
        let device = Device::flex();
        let stack = linear_stack(3, 5, 2, &device);
        let dims: Vec<[usize; 2]> = stack.iter().map(|l| l.weight.dims()).collect();
        assert_eq!(dims, vec![[3, 5], [5, 5]]);
        assert!(linear_stack(3, 5, 0, &device).is_empty());

        // σ = relu by hand: relu(W2 relu(W1 x + b1) + b2).
        let x: Tensor<2> = host::tensor(vec![0.5f32, -1.0, 2.0], [1, 3], &device);
        let by_hand = stack.iter().fold(x.clone(), |h, l| {
            let w = l.weight.val();
            let b = l.bias.as_ref().unwrap().val().unsqueeze::<2>();
            (h.matmul(w) + b).clamp_min(0.0)
        });
        let out = forward_stack(&stack, x, burn::tensor::activation::relu);
        let (a, b) = (host::floats(out), host::floats(by_hand));
        for (a, b) in a.iter().zip(&b) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
    }
}

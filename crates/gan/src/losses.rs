//! The adversarial losses and WGAN-GP's gradient penalty, as tensor expressions.

use crate::nets::Critic;
use burn::prelude::*;
use burn::tensor::activation::softplus;

/// Non-saturating D loss: mean softplus(-D(x)) + mean softplus(D(G(z))), i.e. the logistic loss
/// -log σ(D(x)) - log(1 - σ(D(G(z)))).
pub fn ns_critic_loss(real: Tensor<1>, fake: Tensor<1>) -> Tensor<1> {
    softplus(real.neg(), 1.0).mean() + softplus(fake, 1.0).mean()
}

/// Non-saturating G loss: mean softplus(-D(G(z))) = -log σ(D(G(z))).
pub fn ns_generator_loss(fake: Tensor<1>) -> Tensor<1> {
    softplus(fake.neg(), 1.0).mean()
}

/// Wasserstein critic loss without the penalty: mean D(G(z)) - mean D(x).
pub fn wgan_critic_loss(real: Tensor<1>, fake: Tensor<1>) -> Tensor<1> {
    fake.mean() - real.mean()
}

/// Wasserstein G loss: -mean D(G(z)).
pub fn wgan_generator_loss(fake: Tensor<1>) -> Tensor<1> {
    fake.mean().neg()
}

/// x̂_i = ε_i x_i + (1 - ε_i) x̃_i with one ε_i per row: `real`, `fake` `[batch, dim]`, `eps`
/// `[batch, 1]`.
pub fn interpolate(real: Tensor<2>, fake: Tensor<2>, eps: Tensor<2>) -> Tensor<2> {
    let one_minus = eps.clone().neg().add_scalar(1.0); // [batch, 1]
    real * eps + fake * one_minus // [batch, dim]
}

/// mean_i (‖g_i‖₂ - 1)² over the rows g_i of `grad` `[batch, dim]` — one norm per sample, never
/// one over the whole batch. A 1e-12 inside the root keeps its derivative finite at g = 0.
pub fn per_sample_penalty(grad: Tensor<2>) -> Tensor<1> {
    let norms = grad.powf_scalar(2.0).sum_dim(1).add_scalar(1e-12).sqrt(); // [batch, 1]
    norms.sub_scalar(1.0).powf_scalar(2.0).mean()
}

/// The gradient penalty (Gulrajani et al. 2017) at the interpolates of `real` and `fake` with
/// per-sample weights `eps` `[batch, 1]`: mean_i (‖∇_x D(x̂_i, y_i)‖₂ - 1)².
pub fn gradient_penalty(
    critic: &Critic,
    real: Tensor<2>,
    fake: Tensor<2>,
    eps: Tensor<2>,
    onehot: Option<Tensor<2>>,
) -> Tensor<1> {
    let x_hat = interpolate(real, fake, eps).detach(); // [batch, dim]
    per_sample_penalty(critic.input_gradient(x_hat, onehot))
}

//! 2-D densities with an exact log-density, an exact sampler and their true entropy.
//!
//! Every density is scaled so that its samples lie roughly in `[-4, 4]^2`, like the usual toy
//! benchmarks. Knowing `log p*(x)` lets the evaluator report the entropy `H(p*)` (the floor of
//! the test NLL), the KL of a model to the truth and the coverage of modes.

mod checkerboard;
mod curve;
pub(crate) mod dataset;
mod density;
mod mixture;
mod quadrature;
mod rings;
#[cfg(test)]
mod tests;

pub use checkerboard::Checkerboard;
pub use curve::{Curve, CurveDensity};
pub use density::{Density2d, ENTROPY_MC_SAMPLES, Entropy, monte_carlo_entropy};
pub use mixture::GaussianMixture;
pub use quadrature::gauss_legendre;
pub use rings::Rings;

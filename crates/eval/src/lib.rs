//! genbench-eval: the one evaluator every family is scored with.
//!
//! Metrics take samples (as a [`FeatureSet`], `n x d`, f64) and return numbers:
//! Fréchet distance ([`frechet_distance`]), KID ([`kid`]), k-NN precision/recall
//! ([`precision_recall`]), density/coverage ([`density_coverage`]) and Meehan et al.'s
//! data-copying test ([`memorisation`]); [`toy2d`] scores samples
//! of the 2-D densities against their true log-density and modes; [`stats`] summarises a
//! metric over seeds. Images are scored in the feature space of [`FeatureNet`], a small
//! classifier trained once per dataset and split, seen through the [`FeatureSpace`] trait.
//!
//! [`score`] is the orchestration every run goes through — the likelihood with its kind, the
//! samples and every metric on them, the sampler variants — against a [`Reference`]
//! (the test data and its feature space), with the knobs of [`EvalOptions`].

pub mod fd;
pub mod features;
pub mod featureset;
pub mod kid;
pub mod knn;
pub mod memorisation;
pub mod options;
pub mod reference;
pub mod score;
pub mod stats;
pub mod toy2d;

pub use fd::frechet_distance;
pub use features::{FeatureNet, FeatureSpace};
pub use featureset::FeatureSet;
pub use kid::{Kid, kid};
pub use knn::{DensityCoverage, PrecisionRecall, density_coverage, precision_recall};
pub use memorisation::{Memorisation, MemorisationOptions, memorisation};
pub use options::EvalOptions;
pub use reference::{Reference, feature_net};

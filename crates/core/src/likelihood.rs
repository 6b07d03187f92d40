//! A likelihood that says what kind of number it is.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// What a reported log-likelihood is. Every kind but `Exact` is a lower bound on log p(x)
/// (so its NLL is an upper bound); `Unavailable` has no number at all — never a 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LikelihoodKind {
    /// log p(x) exactly (autoregressive; continuous densities of flows and mixtures).
    Exact,
    /// E_u[log p(x + u)] - D log(bin width): a density model's bound on the discrete NLL by
    /// uniform dequantization (flows and mixtures on images).
    Dequantized,
    /// The evidence lower bound E_q[log p(x|z)] - KL(q(z|x) || p(z)).
    Elbo,
    /// The importance-weighted bound with `k` samples (IWAE-k; k = 1 is the ELBO).
    Iwae {
        /// Importance samples per example.
        k: usize,
    },
    /// Diffusion's variational bound L_T + sum_t L_{t-1} + L_0 with `steps` = T terms.
    Vlb {
        /// T, the diffusion steps.
        steps: usize,
    },
    /// The same bound with its T − 1 denoising terms estimated from `t_samples` stratified draws
    /// of t (the prior and every term's expectation unchanged: an unbiased estimate of `vlb-T`,
    /// noisier; what a DDPM's periodic validation evaluations read when `validation_t_samples`
    /// is set, because the full bound costs T network passes per example).
    VlbSampled {
        /// T, the diffusion steps.
        steps: usize,
        /// Draws of t per example.
        t_samples: usize,
    },
    /// A kernel density estimate over the training set (template synthesis): the estimate's
    /// exact log-density on vectors, its uniform-dequantization bound on images.
    Kde,
    /// A variational diffusion model's bound (Kingma et al. 2021): prior + reconstruction +
    /// diffusion loss, the last in continuous time (`vdm-cont`, steps = None) or with T steps.
    Vdm {
        /// T of the discrete-time diffusion loss; `None` in continuous time.
        steps: Option<usize>,
    },
    /// log p(x) of the probability-flow ODE by the instantaneous change of variables (a
    /// continuous normalizing flow; exact up to the solver's tolerance and, with Hutchinson's
    /// trace estimator, an unbiased estimate).
    Ode,
    /// The ODE's density of uniformly dequantized data: a bound on the discrete NLL.
    OdeDequantized,
    /// The ODE's density of z_0 drawn from the model's own encoder q(z_0 | x) at t = 0, under
    /// its own decoder: E_q[log p(x | z_0) + log p_ODE(z_0) − log q(z_0 | x)], a bound on the
    /// discrete NLL (variational dequantization by the VDM's noising).
    OdeDecoder,
    /// The model defines no likelihood (GANs).
    Unavailable,
}

impl LikelihoodKind {
    /// Whether the number is only a lower bound on log p(x). `Kde` counts as one: it is on
    /// images (dequantized); on vectors it is the estimate's exact log-density.
    pub fn is_bound(self) -> bool {
        !matches!(
            self,
            LikelihoodKind::Exact | LikelihoodKind::Ode | LikelihoodKind::Unavailable
        )
    }

    /// Parse the label written by `Display` (`exact`, `iwae-1000`, `vlb-1000`, ...).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "exact" => Self::Exact,
            "dequantized" => Self::Dequantized,
            "elbo" => Self::Elbo,
            "kde" => Self::Kde,
            "unavailable" => Self::Unavailable,
            "vdm-cont" => Self::Vdm { steps: None },
            "ode" => Self::Ode,
            "ode-dequantized" => Self::OdeDequantized,
            "ode-decoder" => Self::OdeDecoder,
            _ => {
                if let Some(k) = s.strip_prefix("iwae-") {
                    Self::Iwae { k: k.parse().ok()? }
                } else if let Some(t) = s.strip_prefix("vlb-") {
                    match t.split_once("-t") {
                        Some((steps, k)) => Self::VlbSampled {
                            steps: steps.parse().ok()?,
                            t_samples: k.parse().ok()?,
                        },
                        None => Self::Vlb {
                            steps: t.parse().ok()?,
                        },
                    }
                } else if let Some(t) = s.strip_prefix("vdm-") {
                    Self::Vdm {
                        steps: Some(t.parse().ok()?),
                    }
                } else {
                    return None;
                }
            }
        })
    }
}

impl fmt::Display for LikelihoodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact => write!(f, "exact"),
            Self::Dequantized => write!(f, "dequantized"),
            Self::Elbo => write!(f, "elbo"),
            Self::Iwae { k } => write!(f, "iwae-{k}"),
            Self::Vlb { steps } => write!(f, "vlb-{steps}"),
            Self::VlbSampled { steps, t_samples } => write!(f, "vlb-{steps}-t{t_samples}"),
            Self::Kde => write!(f, "kde"),
            Self::Vdm { steps: None } => write!(f, "vdm-cont"),
            Self::Vdm { steps: Some(t) } => write!(f, "vdm-{t}"),
            Self::Ode => write!(f, "ode"),
            Self::OdeDequantized => write!(f, "ode-dequantized"),
            Self::OdeDecoder => write!(f, "ode-decoder"),
            Self::Unavailable => write!(f, "unavailable"),
        }
    }
}

/// Per-example log-likelihoods (or bounds) in nats, with their kind and any side quantities
/// the family computes on the way (e.g. a VAE's ELBO, rate and distortion beside its IWAE).
#[derive(Clone, Debug, PartialEq)]
pub struct Likelihood {
    /// What the numbers are: exact, a bound, or unavailable.
    pub kind: LikelihoodKind,
    /// log p(x_i) in nats for each example (empty when `Unavailable`).
    pub log_px_nats: Vec<f64>,
    /// Means over the examples of other per-example quantities, in nats, by name.
    pub extras: BTreeMap<String, f64>,
}

impl Likelihood {
    /// Per-example log-likelihoods of `kind`, without side quantities.
    pub fn new(kind: LikelihoodKind, log_px_nats: Vec<f64>) -> Self {
        Self {
            kind,
            log_px_nats,
            extras: BTreeMap::new(),
        }
    }

    /// What a model without a likelihood (a GAN) reports.
    pub fn unavailable() -> Self {
        Self::new(LikelihoodKind::Unavailable, Vec::new())
    }

    /// The same with the side quantity `name` (a mean over the examples, nats).
    pub fn with_extra(mut self, name: &str, mean_nats: f64) -> Self {
        self.extras.insert(name.to_string(), mean_nats);
        self
    }

    /// Mean negative log-likelihood in nats per example; `None` when unavailable.
    pub fn mean_nll_nats(&self) -> Option<f64> {
        if self.kind == LikelihoodKind::Unavailable || self.log_px_nats.is_empty() {
            return None;
        }
        Some(-self.log_px_nats.iter().sum::<f64>() / self.log_px_nats.len() as f64)
    }

    /// Mean NLL in bits per dimension: nats / (D ln 2).
    pub fn mean_nll_bpd(&self, dim: usize) -> Option<f64> {
        self.mean_nll_nats().map(|n| nats_to_bpd(n, dim))
    }
}

/// nats per example -> bits per dimension.
pub fn nats_to_bpd(nats: f64, dim: usize) -> f64 {
    nats / (dim as f64 * std::f64::consts::LN_2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_parses_back_to_its_kind() {
        for kind in [
            LikelihoodKind::Exact,
            LikelihoodKind::Dequantized,
            LikelihoodKind::Elbo,
            LikelihoodKind::Iwae { k: 1000 },
            LikelihoodKind::Vlb { steps: 100 },
            LikelihoodKind::VlbSampled {
                steps: 1000,
                t_samples: 32,
            },
            LikelihoodKind::Kde,
            LikelihoodKind::Vdm { steps: None },
            LikelihoodKind::Vdm { steps: Some(1000) },
            LikelihoodKind::Ode,
            LikelihoodKind::OdeDequantized,
            LikelihoodKind::OdeDecoder,
            LikelihoodKind::Unavailable,
        ] {
            assert_eq!(
                LikelihoodKind::parse(&kind.to_string()),
                Some(kind),
                "{kind}"
            );
        }
        assert_eq!(LikelihoodKind::Kde.to_string(), "kde");
        let sampled = LikelihoodKind::VlbSampled {
            steps: 1000,
            t_samples: 32,
        };
        assert_eq!(sampled.to_string(), "vlb-1000-t32");
        assert_eq!(LikelihoodKind::parse("vlb-1000-t"), None);
        assert_eq!(LikelihoodKind::parse("kde-3"), None);
        assert_eq!(LikelihoodKind::Vdm { steps: None }.to_string(), "vdm-cont");
        assert!(!LikelihoodKind::Ode.is_bound() && LikelihoodKind::OdeDequantized.is_bound());
        assert!(LikelihoodKind::OdeDecoder.is_bound());
    }
}

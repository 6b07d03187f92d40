//! The report's legend of likelihood kinds: one line per [`LikelihoodKind`], so a kind the
//! core grows cannot be missing from it (the `match` in [`meaning`] is exhaustive).

use genbench_core::LikelihoodKind;

/// One example of every kind, in the order the legend lists them (parameterised kinds with a
/// placeholder: their label is written `iwae-K`, `vlb-T`, `vdm-T`).
pub const EVERY_KIND: [LikelihoodKind; 13] = [
    LikelihoodKind::Exact,
    LikelihoodKind::Dequantized,
    LikelihoodKind::Elbo,
    LikelihoodKind::Iwae { k: 0 },
    LikelihoodKind::Vlb { steps: 0 },
    LikelihoodKind::VlbSampled {
        steps: 0,
        t_samples: 0,
    },
    LikelihoodKind::Vdm { steps: None },
    LikelihoodKind::Vdm { steps: Some(0) },
    LikelihoodKind::Ode,
    LikelihoodKind::OdeDecoder,
    LikelihoodKind::OdeDequantized,
    LikelihoodKind::Kde,
    LikelihoodKind::Unavailable,
];

/// The kind's label as the legend writes it: `nll_kind`'s value, with `K`/`T` for a count.
pub fn label(kind: LikelihoodKind) -> String {
    match kind {
        LikelihoodKind::Iwae { .. } => "iwae-K".into(),
        LikelihoodKind::Vlb { .. } => "vlb-T".into(),
        LikelihoodKind::VlbSampled { .. } => "vlb-T-tK".into(),
        LikelihoodKind::Vdm { steps: Some(_) } => "vdm-T".into(),
        other => other.to_string(),
    }
}

/// What a number of this kind is.
pub fn meaning(kind: LikelihoodKind) -> &'static str {
    match kind {
        LikelihoodKind::Exact => "log-likelihood of the test data",
        LikelihoodKind::Dequantized => {
            "flows and mixtures on images: the discrete likelihood through uniform dequantization, a bound"
        }
        LikelihoodKind::Elbo => "an upper bound on the NLL",
        LikelihoodKind::Iwae { .. } => "a tighter upper bound with K importance samples",
        LikelihoodKind::Vlb { .. } => "diffusion's variational bound over T steps",
        LikelihoodKind::VlbSampled { .. } => {
            "the same bound estimated from L_0 and K draws of t in geometric strata (the same t for every example), unbiased; validation evaluations only"
        }
        LikelihoodKind::Vdm { steps: None } => {
            "the variational diffusion model's bound in continuous time"
        }
        LikelihoodKind::Vdm { steps: Some(_) } => "the VDM's bound with T discrete steps",
        LikelihoodKind::Ode => {
            "the probability-flow ODE's log-likelihood on 2-D data, exact up to the solver's tolerance"
        }
        LikelihoodKind::OdeDecoder => {
            "the ODE on images with z_0 drawn from the model's own q(z_0 | x) and scored by its decoder, a bound"
        }
        LikelihoodKind::OdeDequantized => {
            "the ODE on uniformly dequantized images, a bound, loose for a model trained on the levels"
        }
        LikelihoodKind::Kde => {
            "the template model's kernel density estimate over the training set: exact on 2-D, dequantized on images"
        }
        LikelihoodKind::Unavailable => {
            "GANs, texture synthesis: the model has no tractable likelihood; no number, never 0"
        }
    }
}

/// The report's sentence listing every kind: "NLL kinds: `exact` (…), …, `unavailable` (…)."
pub fn legend() -> String {
    let items: Vec<String> = EVERY_KIND
        .iter()
        .map(|&k| format!("`{}` ({})", label(k), meaning(k)))
        .collect();
    format!("NLL kinds: {}.", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind `LikelihoodKind::parse` reads (each variant, parameterised ones with a count)
    /// has its line in the legend, with the label `nll_kind` carries.
    #[test]
    fn the_legend_names_every_kind() {
        let legend = legend();
        for written in [
            "exact",
            "dequantized",
            "elbo",
            "iwae-K",
            "vlb-T",
            "vlb-T-tK",
            "vdm-cont",
            "vdm-T",
            "ode",
            "ode-decoder",
            "ode-dequantized",
            "kde",
            "unavailable",
        ] {
            assert!(legend.contains(&format!("`{written}` (")), "{written}");
        }
        // One line per variant: the examples are pairwise of different variants.
        for (i, a) in EVERY_KIND.iter().enumerate() {
            for b in &EVERY_KIND[i + 1..] {
                assert_ne!(label(*a), label(*b));
            }
        }
        for (kind, parsed) in [
            ("iwae-1000", LikelihoodKind::Iwae { k: 1000 }),
            ("vlb-1000", LikelihoodKind::Vlb { steps: 1000 }),
            (
                "vlb-1000-t32",
                LikelihoodKind::VlbSampled {
                    steps: 1000,
                    t_samples: 32,
                },
            ),
            ("vdm-cont", LikelihoodKind::Vdm { steps: None }),
            ("ode-decoder", LikelihoodKind::OdeDecoder),
        ] {
            assert_eq!(LikelihoodKind::parse(kind), Some(parsed));
            assert!(
                EVERY_KIND
                    .iter()
                    .any(|k| { std::mem::discriminant(k) == std::mem::discriminant(&parsed) })
            );
        }
    }
}

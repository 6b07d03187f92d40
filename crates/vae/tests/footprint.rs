//! The memory estimate counts the parameters `build` creates, and validate names the bad key.

use genbench_core::testing::{assert_footprint_counts_params, example_specs};
use genbench_core::{DataSpec, Family};
use genbench_vae::{Arch, DecoderKind, Vae, VaeConfig};

#[test]
fn estimated_parameters_equal_the_built_model() {
    let (digits, moons) = example_specs();
    let binary = DataSpec::new("binary", vec![1, 12, 16], Some(2), 10);
    let conv = |c: VaeConfig| VaeConfig {
        arch: Arch::Conv,
        ..c
    };
    assert_footprint_counts_params::<Vae>(&[
        (VaeConfig::default(), digits.clone()),
        (
            VaeConfig {
                hidden: 24,
                layers: 3,
                latent_dim: 5,
                ..Default::default()
            },
            moons.clone(),
        ),
        (
            conv(VaeConfig {
                hidden: 20,
                conv_channels: 3,
                ..Default::default()
            }),
            digits.clone(),
        ),
        (
            conv(VaeConfig {
                decoder: DecoderKind::Bernoulli,
                ..Default::default()
            }),
            binary,
        ),
    ]);
}

#[test]
fn a_huge_hidden_layer_is_estimated_without_building() {
    let (digits, _) = example_specs();
    let config = VaeConfig {
        hidden: 100_000,
        ..Default::default()
    };
    // The second hidden layer alone: 10^10 weights, 4 copies in training, 4 bytes each.
    assert!(Vae::footprint(&config, &digits.clone(), 0).bytes(64) > 160_000_000_000);
}

#[test]
fn validate_names_the_key() {
    let (digits, moons) = example_specs();
    let key = |c: VaeConfig, s: DataSpec| Vae::validate(&c, &s).unwrap_err().key;
    assert_eq!(
        key(
            VaeConfig {
                hidden: 0,
                ..Default::default()
            },
            digits.clone()
        ),
        "hidden"
    );
    assert_eq!(
        key(
            VaeConfig {
                latent_dim: 0,
                ..Default::default()
            },
            digits.clone()
        ),
        "latent_dim"
    );
    assert_eq!(
        key(
            VaeConfig {
                iwae_k: 0,
                ..Default::default()
            },
            digits.clone()
        ),
        "iwae_k"
    );
    assert_eq!(
        key(
            VaeConfig {
                beta: f64::NAN,
                ..Default::default()
            },
            digits.clone()
        ),
        "beta"
    );
    assert_eq!(
        key(
            VaeConfig {
                arch: Arch::Conv,
                ..Default::default()
            },
            moons.clone()
        ),
        "arch"
    );
    let gaussian = VaeConfig {
        decoder: DecoderKind::Gaussian,
        ..Default::default()
    };
    assert_eq!(key(gaussian, digits.clone()), "decoder");
    assert!(Vae::validate(&VaeConfig::default(), &digits.clone()).is_ok());
}

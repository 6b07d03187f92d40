//! The memory estimate counts the parameters `build` creates, and validate names the bad key.

use genbench_core::testing::{assert_footprint_counts_params, example_specs};
use genbench_core::{DataSpec, Family};
use genbench_gan::{Arch, Gan, GanConfig, Loss};

#[test]
fn estimated_parameters_equal_the_built_model() {
    let (digits, moons) = example_specs();
    let wide = DataSpec::new("wide", vec![1, 12, 20], Some(256), 10);
    let mlp = GanConfig {
        arch: Arch::Mlp,
        hidden: 17,
        layers: 1,
        latent_dim: 3,
        ..Default::default()
    };
    assert_footprint_counts_params::<Gan>(&[
        (GanConfig::default(), digits.clone()),
        (GanConfig::default(), moons.clone()),
        (
            GanConfig {
                channels: 5,
                g_batch_norm: false,
                ..Default::default()
            },
            wide,
        ),
        (
            GanConfig {
                loss: Loss::WganGp,
                ..Default::default()
            },
            digits.clone(),
        ),
        (mlp, digits.clone()),
    ]);
}

#[test]
fn validate_names_the_key() {
    let (digits, moons) = example_specs();
    let odd = DataSpec::new("odd", vec![1, 7, 7], Some(17), 10);
    let key = |c: GanConfig, s: DataSpec| Gan::validate(&c, &s).unwrap_err().key;
    assert_eq!(
        key(
            GanConfig {
                hidden: 0,
                ..Default::default()
            },
            moons.clone()
        ),
        "hidden"
    );
    assert_eq!(
        key(
            GanConfig {
                latent_dim: 0,
                ..Default::default()
            },
            moons.clone()
        ),
        "latent_dim"
    );
    assert_eq!(
        key(
            GanConfig {
                arch: Arch::Conv,
                ..Default::default()
            },
            moons.clone()
        ),
        "arch"
    );
    assert_eq!(key(GanConfig::default(), odd), "arch");
    assert_eq!(
        key(
            GanConfig {
                g_lr: Some(f64::NAN),
                ..Default::default()
            },
            digits.clone()
        ),
        "g_lr"
    );
    assert_eq!(
        key(
            GanConfig {
                leaky_slope: 1.0,
                ..Default::default()
            },
            digits.clone()
        ),
        "leaky_slope"
    );
    assert!(Gan::validate(&GanConfig::default(), &digits.clone()).is_ok());
}

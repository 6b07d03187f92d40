//! The memory estimate counts the parameters `build` creates, and validate names the bad key.

use genbench_autoregressive::{Arch, Autoregressive, AutoregressiveConfig};
use genbench_core::testing::{assert_footprint_counts_params, example_specs};
use genbench_core::{DataSpec, Family};

#[test]
fn estimated_parameters_equal_the_built_model() {
    let (digits, moons) = example_specs();
    let pixelcnn = AutoregressiveConfig {
        arch: Arch::Pixelcnn,
        ..Default::default()
    };
    assert_footprint_counts_params::<Autoregressive>(&[
        (AutoregressiveConfig::default(), digits.clone()),
        (AutoregressiveConfig::default(), moons.clone()),
        (
            AutoregressiveConfig {
                hidden: vec![30, 20, 10],
                logit_rank: 4,
                ..Default::default()
            },
            digits.clone(),
        ),
        (pixelcnn.clone(), digits.clone()),
        (
            AutoregressiveConfig {
                gated: false,
                blocks: 2,
                channels: 8,
                ..pixelcnn
            },
            digits.clone(),
        ),
    ]);
}

#[test]
fn validate_names_the_key() {
    let (digits, moons) = example_specs();
    let key =
        |c: AutoregressiveConfig, s: DataSpec| Autoregressive::validate(&c, &s).unwrap_err().key;
    let pixelcnn = AutoregressiveConfig {
        arch: Arch::Pixelcnn,
        ..Default::default()
    };
    assert_eq!(
        key(
            AutoregressiveConfig {
                hidden: vec![],
                ..Default::default()
            },
            digits.clone()
        ),
        "hidden"
    );
    assert_eq!(
        key(
            AutoregressiveConfig {
                components: 0,
                ..Default::default()
            },
            moons.clone()
        ),
        "components"
    );
    assert_eq!(key(pixelcnn.clone(), moons.clone()), "arch");
    assert_eq!(
        key(
            AutoregressiveConfig {
                kernel: 2,
                ..pixelcnn
            },
            digits.clone()
        ),
        "kernel"
    );
    assert!(Autoregressive::validate(&AutoregressiveConfig::default(), &digits.clone()).is_ok());
}

//! The memory estimate counts the parameters `build` creates, and validate names the bad key.

use genbench_core::testing::{assert_footprint_counts_params, example_specs};
use genbench_core::{DataSpec, Family};
use genbench_flow::{Flow, FlowConfig};

#[test]
fn estimated_parameters_equal_the_built_model() {
    let (digits, moons) = example_specs();
    let deep = FlowConfig {
        scales: 3,
        couplings_per_scale: 1,
        channels: 7,
        ..Default::default()
    };
    let narrow = FlowConfig {
        couplings: 3,
        hidden: 9,
        hidden_layers: 3,
        ..Default::default()
    };
    assert_footprint_counts_params::<Flow>(&[
        (FlowConfig::default(), digits.clone()),
        (FlowConfig::default(), moons.clone()),
        (deep, digits.clone()),
        (narrow, moons.clone()),
    ]);
}

#[test]
fn validate_names_the_key() {
    let (digits, moons) = example_specs();
    let key = |c: FlowConfig, s: DataSpec| Flow::validate(&c, &s).unwrap_err().key;
    assert_eq!(
        key(
            FlowConfig {
                scales: 4,
                ..Default::default()
            },
            digits.clone()
        ),
        "scales"
    );
    assert_eq!(
        key(
            FlowConfig {
                hidden: 0,
                ..Default::default()
            },
            moons.clone()
        ),
        "hidden"
    );
    assert_eq!(
        key(
            FlowConfig {
                temperature: f64::NAN,
                ..Default::default()
            },
            moons.clone()
        ),
        "temperature"
    );
    assert_eq!(
        key(
            FlowConfig {
                logit_alpha: 0.5,
                ..Default::default()
            },
            digits.clone()
        ),
        "logit_alpha"
    );
    assert!(
        Flow::validate(
            &FlowConfig {
                scales: 3,
                ..Default::default()
            },
            &digits.clone()
        )
        .is_ok()
    );
}

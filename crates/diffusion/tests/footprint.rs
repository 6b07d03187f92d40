//! The memory estimate counts the parameters `build` creates, and validate names the bad key.

use genbench_core::testing::{assert_footprint_counts_params, example_specs};
use genbench_core::{DataSpec, Family};
use genbench_diffusion::{DenoiserKind, Diffusion, DiffusionConfig, ScheduleKind};

#[test]
fn estimated_parameters_equal_the_built_model() {
    let (digits, moons) = example_specs();
    let shallow = DiffusionConfig {
        unet_levels: 1,
        unet_channels: 16,
        embed: 24,
        ..Default::default()
    };
    let mlp = DiffusionConfig {
        denoiser: DenoiserKind::Mlp,
        mlp_blocks: 2,
        mlp_hidden: 33,
        ..Default::default()
    };
    assert_footprint_counts_params::<Diffusion>(&[
        (DiffusionConfig::default(), digits.clone()),
        (DiffusionConfig::default(), moons.clone()),
        (shallow, digits.clone()),
        (mlp, digits.clone()),
    ]);
}

#[test]
fn a_billion_timesteps_is_estimated_without_building() {
    let (_, moons) = example_specs();
    let config = DiffusionConfig {
        timesteps: 1_000_000_000,
        ..Default::default()
    };
    // The schedule alone: 8 f64 arrays of 10^9 steps.
    assert!(Diffusion::footprint(&config, &moons.clone(), 0).bytes(128) >= 64_000_000_000);
}

#[test]
fn validate_names_the_key() {
    let (digits, moons) = example_specs();
    let key = |c: DiffusionConfig, s: DataSpec| Diffusion::validate(&c, &s).unwrap_err().key;
    let t = |timesteps| DiffusionConfig {
        timesteps,
        ..Default::default()
    };
    assert_eq!(key(t(0), moons.clone()), "timesteps");
    assert_eq!(key(t(10), moons.clone()), "timesteps");
    let cosine = DiffusionConfig {
        schedule: ScheduleKind::Cosine,
        ..t(10)
    };
    assert!(Diffusion::validate(&cosine, &moons.clone()).is_ok());
    assert_eq!(
        key(
            DiffusionConfig {
                ema_decay: 2.0,
                ..t(50)
            },
            moons.clone()
        ),
        "ema_decay"
    );
    assert_eq!(
        key(
            DiffusionConfig {
                sample_steps: 51,
                ..t(50)
            },
            moons.clone()
        ),
        "sample_steps"
    );
    assert_eq!(
        key(
            DiffusionConfig {
                denoiser: DenoiserKind::Unet,
                ..t(50)
            },
            moons.clone()
        ),
        "denoiser"
    );
    assert_eq!(
        key(
            DiffusionConfig {
                unet_levels: 3,
                ..t(50)
            },
            digits.clone()
        ),
        "unet_levels"
    );
    assert!(Diffusion::validate(&DiffusionConfig::default(), &digits.clone()).is_ok());
}

//! The U-Net path on 8x8 digits: a few steps of a conditional model, then every output the
//! runner asks for — the bound in range, samples on the data's levels, guidance variants,
//! the figures, and a checkpoint that round-trips.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::{Family, labels, testing};
use genbench_dataset::{DataConfig, load};
use genbench_diffusion::{Diffusion, DiffusionConfig, SamplerKind};

#[test]
fn conditional_unet_on_digits_trains_samples_scores_and_round_trips() {
    let data = load(&DataConfig::new("digits")).unwrap();
    let config = DiffusionConfig {
        timesteps: 50,
        unet_channels: 16,
        unet_levels: 2,
        embed: 32,
        time_features: 16,
        sampler: SamplerKind::Ddim,
        sample_steps: 5,
        ddim_sweep: vec![2, 5],
        guidance_sweep: vec![0.0, 1.0, 2.0],
        guidance_scale: 2.0,
        vlb_examples: 20,
        eval_batch: 16,
        ..DiffusionConfig::default()
    };
    let ctx = testing::context(data.spec.clone(), 1).with_conditional(true);
    let mut model = Diffusion::build(config.clone(), &ctx).unwrap();
    assert!(model.info().arch.contains("U-Net"));
    testing::train_steps(model.as_mut(), &data.train, 5, 32);
    let dir = tempfile::tempdir().unwrap();

    let ll = model.log_likelihood(&data.test.head(40), 3).unwrap();
    assert_eq!(
        ll.log_px_nats.len(),
        20,
        "vlb_examples caps the scored examples"
    );
    let bpd = ll.mean_nll_bpd(64).unwrap();
    // A bound on 17 levels: positive and (for a barely trained model) above log2(17) = 4.09 is
    // possible but not above ~ 30 bits/dim.
    assert!(bpd > 0.0 && bpd < 30.0, "{bpd} bits/dim");

    let labels = labels::cycled(12, 10);
    let s = model.sample(12, Some(&labels), 4).unwrap();
    assert_eq!((s.len(), s.dim, s.labels.clone()), (12, 64, labels.clone()));
    assert!(
        s.x.iter()
            .all(|&v| v == v.round() && (0.0..=16.0).contains(&v))
    );
    // Guidance w = 2 needs ε(x, y) and ε(x, ∅): 5 DDIM steps x 2 passes.
    assert_eq!(model.evals_per_sample(), 10.0);
    let variants: Vec<(String, f64)> = model
        .sampler_variants()
        .into_iter()
        .map(|v| (v.name, v.evals_per_sample))
        .collect();
    let expected = [
        ("ddim-2", 4.0),
        ("ddim-5", 10.0),
        ("guidance-0", 5.0),
        ("guidance-1", 5.0),
        ("guidance-2", 10.0),
    ];
    assert_eq!(
        variants,
        expected.map(|(n, e)| (n.to_string(), e)).to_vec(),
        "w = 0 (unconditional) and w = 1 (conditional) are one pass each"
    );
    // w = 0 ignores the labels: the same noise gives the same images whatever is asked for;
    // w = 1 does not.
    let other: Vec<usize> = labels.iter().map(|l| (l + 5) % 10).collect();
    let draw = |m: &mut Box<dyn genbench_core::GenerativeModel>, name: &str, l: &[usize]| {
        m.sample_variant(name, 12, Some(l), 4).unwrap().x
    };
    assert_eq!(
        draw(&mut model, "guidance-0", &labels),
        draw(&mut model, "guidance-0", &other)
    );
    assert_ne!(
        draw(&mut model, "guidance-1", &labels),
        draw(&mut model, "guidance-1", &other)
    );
    assert!(model.sample_variant("ddim-7", 1, None, 0).is_err());

    let artifacts = dir.path().join("artifacts");
    model
        .write_artifacts(&data.test.head(16), &artifacts, 1)
        .unwrap();
    for f in [
        "diffusion_vlb_terms.csv",
        "diffusion_forward.png",
        "diffusion_reverse.png",
        "diffusion_denoise.png",
        "diffusion_interpolation.png",
    ] {
        assert!(artifacts.join(f).exists(), "{f}");
    }

    let ckpt = dir.path().join("ckpt");
    model.save(&ckpt).unwrap();
    let mut restored = Diffusion::build(config, &ctx).unwrap();
    restored.load(&ckpt).unwrap();
    assert_eq!(
        restored.sample(6, Some(&labels[..6]), 8).unwrap(),
        model.sample(6, Some(&labels[..6]), 8).unwrap()
    );
}

#[test]
fn bad_configs_are_errors_not_panics() {
    let data = load(&DataConfig::new("digits")).unwrap();
    let ctx = testing::context(data.spec.clone(), 1);
    let bad = [
        DiffusionConfig {
            timesteps: 1,
            ..Default::default()
        },
        DiffusionConfig {
            unet_levels: 3,
            ..Default::default()
        },
        DiffusionConfig {
            unet_channels: 12,
            unet_groups: 8,
            ..Default::default()
        },
        DiffusionConfig {
            ddim_sweep: vec![2000],
            ..Default::default()
        },
        DiffusionConfig {
            eta: 2.0,
            ..Default::default()
        },
        DiffusionConfig {
            timesteps: 10,
            ..Default::default()
        }, // linear β_T = 2 >= 1
    ];
    for c in bad {
        assert!(Diffusion::build(c.clone(), &ctx).is_err(), "{c:?}");
    }
    let parsed: Result<DiffusionConfig, _> = toml::from_str("timestep = 5");
    assert!(parsed.is_err(), "unknown keys are rejected");
}

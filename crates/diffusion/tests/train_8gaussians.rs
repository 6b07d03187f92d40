//! A small DDPM trained on 8gaussians within the test budget: its bound improves on the
//! untrained one and stays finite, and DDIM samples land near all 8 modes.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::{Family, testing};
use genbench_dataset::{DataConfig, load};
use genbench_diffusion::{Diffusion, DiffusionConfig, SamplerKind};

#[test]
fn trained_on_8gaussians_improves_its_bound_and_covers_every_mode() {
    let data = load(&DataConfig::new("8gaussians")).unwrap();
    let config = DiffusionConfig {
        timesteps: 100,
        mlp_hidden: 128,
        mlp_blocks: 2,
        embed: 64,
        time_features: 32,
        ema_decay: 0.99,
        sampler: SamplerKind::Ddim,
        sample_steps: 20,
        ..DiffusionConfig::default()
    };
    let ctx = testing::context(data.spec.clone(), 0).with_learning_rate(2e-3);
    let mut model = Diffusion::build(config, &ctx).unwrap();
    let test = data.test.head(300);
    let before = model
        .log_likelihood(&test, 5)
        .unwrap()
        .mean_nll_nats()
        .unwrap();

    testing::train_steps(model.as_mut(), &data.train, 1500, 256);

    let ll = model.log_likelihood(&test, 5).unwrap();
    assert_eq!(ll.kind.to_string(), "vlb-100");
    let after = ll.mean_nll_nats().unwrap();
    eprintln!(
        "bound {before:.3} -> {after:.3} nats, extras {:?}",
        ll.extras
    );
    assert!(
        after.is_finite() && after < before - 1.0,
        "bound {before} -> {after} nats"
    );
    // The true entropy of 8gaussians is about 2·ln(0.15·√(2πe)) + ln 8 ≈ 0.93 nats; a bound can't beat it.
    let entropy = data.density.as_ref().unwrap().entropy().nats;
    assert!(
        after > entropy - 0.1,
        "bound {after} below the entropy {entropy}"
    );
    for key in ["l_T_nats", "l_0_nats", "l_mid_nats"] {
        assert!(ll.extras[key].is_finite(), "{key}");
    }

    let (modes, sigma) = data.density.as_ref().unwrap().modes().unwrap();
    let n = 1000;
    let samples = model.sample(n, None, 9).unwrap();
    assert_eq!(model.evals_per_sample(), 20.0);
    let mut hits = vec![0usize; modes.len()];
    for i in 0..n {
        let p = samples.row(i);
        for (k, m) in modes.iter().enumerate() {
            if ((p[0] as f64 - m[0]).powi(2) + (p[1] as f64 - m[1]).powi(2)).sqrt() < 3.0 * sigma {
                hits[k] += 1;
            }
        }
    }
    let share = hits.iter().sum::<usize>() as f64 / n as f64;
    eprintln!("within 3σ per mode: {hits:?}, share {share}");
    assert!(
        hits.iter().all(|&h| h >= 40),
        "samples within 3σ per mode: {hits:?}"
    );
    assert!(share > 0.6, "share within 3σ of a mode: {share} ({hits:?})");

    let dir = tempfile::tempdir().unwrap();
    let artifacts = dir.path().join("artifacts");
    model
        .write_artifacts(&data.test.head(16), &artifacts, 1)
        .unwrap();
    for f in [
        "diffusion_vlb_terms.csv",
        "diffusion_forward.csv",
        "diffusion_reverse.csv",
    ] {
        assert!(artifacts.join(f).exists(), "{f}");
    }
    let terms = std::fs::read_to_string(artifacts.join("diffusion_vlb_terms.csv")).unwrap();
    assert_eq!(terms.lines().count(), 1 + 101);
}

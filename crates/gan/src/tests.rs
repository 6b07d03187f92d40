//! Unit tests that need the crate's internals: the hand-written input gradient against
//! autodiff, the per-sample gradient penalty, and which network each update moves.

use crate::config::{GanConfig, Loss};
use crate::conv::ConvTrunkConfig;
use crate::losses::{gradient_penalty, interpolate, per_sample_penalty};
use crate::mlp::MlpTrunkConfig;
use crate::model::GanModel;
use crate::nets::{Critic, Trunk};
use burn::module::{ModuleVisitor, Param};
use burn::prelude::*;
use genbench_core::host::{self, floats as values, one_hot as onehot, standard_normal};
use genbench_core::labels;
use genbench_core::seed::Rng;
use genbench_core::{BuildContext, DataSpec, GenerativeModel, testing};

fn ad_device() -> Device {
    testing::device().autodiff()
}

fn random(rng: &mut Rng, shape: [usize; 2], device: &Device) -> Tensor<2> {
    standard_normal(shape, rng, device)
}

/// ∂(Σ_i D(x_i))/∂x by burn's autodiff: row i is ∂D(x_i)/∂x_i since the rows are independent.
fn autodiff_input_gradient(critic: &Critic, x: Tensor<2>, y: Option<Tensor<2>>) -> Vec<f32> {
    let x = x.require_grad();
    let grads = critic.forward(x.clone(), y).sum().backward();
    values(x.grad(&grads).expect("x requires grad"))
}

fn assert_close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-3);
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * scale.max(1.0),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

fn mlp_critic(input: usize, classes: usize, device: &Device) -> Critic {
    Critic::new(
        Trunk::Mlp(MlpTrunkConfig::new(input, 16, 3).init(device)),
        classes,
        device,
    )
}

#[test]
fn mlp_input_gradient_matches_autodiff() {
    let device = ad_device();
    device.seed(3);
    let mut rng = Rng::new(1);
    for classes in [0, 4] {
        let critic = mlp_critic(2, classes, &device);
        let x = random(&mut rng, [32, 2], &device);
        let y = (classes > 0).then(|| onehot(&labels::cycled(32, classes), classes, &device));
        let manual = values(critic.input_gradient(x.clone(), y.clone()));
        let auto = autodiff_input_gradient(&critic, x, y);
        assert_close(&manual, &auto, 1e-5, &format!("mlp classes={classes}"));
        assert!(
            auto.iter().any(|v| v.abs() > 1e-3),
            "the gradient should not vanish"
        );
    }
}

#[test]
fn conv_input_gradient_matches_autodiff_on_8x8_and_28x28() {
    let device = ad_device();
    device.seed(5);
    let mut rng = Rng::new(2);
    for (image, classes) in [([1, 8, 8], 0), ([1, 28, 28], 10), ([3, 12, 8], 3)] {
        let trunk = ConvTrunkConfig::new(image, 4).init(&device);
        let critic = Critic::new(Trunk::Conv(trunk), classes, &device);
        let dim = image.iter().product();
        let x = random(&mut rng, [5, dim], &device);
        let y = (classes > 0).then(|| onehot(&[0, 1, 2, 1, 0], classes, &device));
        let manual = values(critic.input_gradient(x.clone(), y.clone()));
        let auto = autodiff_input_gradient(&critic, x, y);
        assert_close(&manual, &auto, 1e-5, &format!("conv {image:?}"));
    }
}

/// mean_i (‖g_i‖ - 1)² with g_i from autodiff, computed on the host in f64.
fn expected_penalty(grads: &[f32], dim: usize) -> (f64, f64) {
    let rows: Vec<f64> = grads
        .chunks(dim)
        .map(|r| r.iter().map(|&v| (v as f64).powi(2)).sum::<f64>())
        .collect();
    let per_sample = rows.iter().map(|s| (s.sqrt() - 1.0).powi(2)).sum::<f64>() / rows.len() as f64;
    let whole_batch = (rows.iter().sum::<f64>().sqrt() - 1.0).powi(2);
    (per_sample, whole_batch)
}

#[test]
fn gradient_penalty_is_per_sample() {
    let device = ad_device();
    device.seed(7);
    let mut rng = Rng::new(4);
    let critic = mlp_critic(2, 0, &device);
    let (real, fake) = (
        random(&mut rng, [16, 2], &device),
        random(&mut rng, [16, 2], &device),
    );
    let eps: Vec<f32> = (0..16).map(|i| i as f32 / 15.0).collect();
    let eps: Tensor<2> = host::tensor(eps, [16, 1], &device);
    let x_hat = interpolate(real.clone(), fake.clone(), eps.clone());

    // Each row is its own interpolate: row 0 is the fake (ε = 0), row 15 the real (ε = 1).
    let (xh, r, f) = (
        values(x_hat.clone()),
        values(real.clone()),
        values(fake.clone()),
    );
    assert_close(&xh[0..2], &f[0..2], 1e-6, "eps=0 row");
    assert_close(&xh[30..32], &r[30..32], 1e-6, "eps=1 row");

    let (per_sample, whole_batch) =
        expected_penalty(&autodiff_input_gradient(&critic, x_hat, None), 2);
    assert!(
        (per_sample - whole_batch).abs() > 0.1,
        "the case must tell the two apart: {per_sample} vs {whole_batch}"
    );
    let gp = gradient_penalty(&critic, real, fake, eps, None).into_scalar::<f32>() as f64;
    assert!(
        (gp - per_sample).abs() < 1e-5 * per_sample.max(1.0),
        "penalty {gp}, per-sample {per_sample}, whole-batch {whole_batch}"
    );
}

#[test]
fn per_sample_penalty_of_unit_rows_is_zero() {
    // Two rows of norm 1: per sample the penalty is 0; one norm over the batch would give (√2 - 1)².
    let device = ad_device();
    let g: Tensor<2> = host::tensor(vec![1.0f32, 0.0, 0.6, 0.8], [2, 2], &device);
    let p = per_sample_penalty(g).into_scalar::<f32>();
    assert!(p.abs() < 1e-6, "penalty {p}");
}

/// Every trainable float parameter of a module (those that require grad), flattened in visiting
/// order. Batch norm's running statistics are buffers, not parameters, and are left out.
struct Collect(Vec<f32>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        if t.is_require_grad() {
            self.0.extend(values(t));
        }
    }
}

fn params<M: Module>(m: &M) -> Vec<f32> {
    let mut c = Collect(Vec::new());
    m.visit(&mut c);
    c.0
}

pub(crate) fn context(spec: DataSpec, lr: f64, seed: u64, conditional: bool) -> BuildContext {
    testing::context(spec, seed)
        .with_learning_rate(lr)
        .with_conditional(conditional)
}

fn digits_spec() -> DataSpec {
    genbench_core::testing::example_specs().0
}

#[test]
fn each_update_moves_only_its_own_network() {
    let toy = DataSpec {
        name: "toy".into(),
        shape: vec![2],
        levels: None,
        num_classes: 0,
    };
    for (spec, loss, conditional) in [
        (toy.clone(), Loss::NonSaturating, false),
        (toy, Loss::WganGp, false),
        (digits_spec(), Loss::NonSaturating, true),
        (digits_spec(), Loss::WganGp, false),
    ] {
        let config = GanConfig {
            loss,
            channels: 4,
            hidden: 8,
            ..GanConfig::default()
        };
        let mut model =
            GanModel::new(config, &context(spec.clone(), 1e-2, 0, conditional)).unwrap();
        let mut rng = Rng::new(9);
        let real = random(&mut rng, [8, spec.dim()], model.device()).clamp(-1.0, 1.0);
        let y = conditional.then(|| onehot(&[0, 1, 2, 3, 4, 5, 6, 7], 10, model.device()));
        let (g0, d0) = (params(model.generator()), params(model.critic()));
        assert_eq!(
            g0.len() + d0.len(),
            model.num_params(),
            "every parameter is compared"
        );

        model.critic_step(real, y.clone(), &mut rng);
        let (g1, d1) = (params(model.generator()), params(model.critic()));
        assert_eq!(g0, g1, "{loss:?}: a D step changed G");
        assert_ne!(d0, d1, "{loss:?}: a D step left D unchanged");

        model.generator_step(8, y, &mut rng);
        let (g2, d2) = (params(model.generator()), params(model.critic()));
        assert_eq!(d1, d2, "{loss:?}: a G step changed D");
        assert_ne!(g1, g2, "{loss:?}: a G step left G unchanged");
    }
}

#[test]
fn likelihood_is_unavailable_and_samples_are_levels_with_labels() {
    let mut model = GanModel::new(
        GanConfig {
            channels: 4,
            ..GanConfig::default()
        },
        &context(digits_spec(), 2e-4, 1, true),
    )
    .unwrap();
    let ll = model
        .log_likelihood(&genbench_core::Batch::new(vec![0.0; 64], vec![3], 64), 0)
        .unwrap();
    assert_eq!(ll.kind, genbench_core::LikelihoodKind::Unavailable);
    assert!(ll.log_px_nats.is_empty() && ll.mean_nll_nats().is_none());
    let labels = [7usize, 2, 2, 9];
    let s = model.sample(4, Some(&labels), 11).unwrap();
    assert_eq!(s.labels, labels);
    assert!(
        s.x.iter()
            .all(|&v| v == v.round() && (0.0..=16.0).contains(&v))
    );
    assert!(model.is_conditional());
}

#[test]
fn save_and_load_restore_the_model_and_its_optimisers() {
    let spec = DataSpec {
        name: "toy".into(),
        shape: vec![2],
        levels: None,
        num_classes: 0,
    };
    let batch = genbench_core::Batch::new(
        (0..64).map(|i| (i as f32 * 0.37).sin()).collect(),
        vec![],
        2,
    );
    let mut a = GanModel::new(
        GanConfig {
            loss: Loss::WganGp,
            ..GanConfig::default()
        },
        &context(spec.clone(), 1e-3, 2, false),
    )
    .unwrap();
    a.train_step(&batch).unwrap();
    let dir = tempfile::tempdir().unwrap();
    a.save(dir.path()).unwrap();
    let mut b = GanModel::new(
        GanConfig {
            loss: Loss::WganGp,
            ..GanConfig::default()
        },
        &context(spec, 1e-3, 99, false),
    )
    .unwrap();
    b.load(dir.path()).unwrap();
    assert_eq!(
        a.sample(10, None, 5).unwrap(),
        b.sample(10, None, 5).unwrap()
    );
    // The same next step (same noise, same optimiser state) gives the same numbers.
    assert_eq!(a.train_step(&batch).unwrap(), b.train_step(&batch).unwrap());
}

#[test]
fn config_fills_loss_defaults_and_rejects_bad_values() {
    let ns = GanConfig::default().resolve(true, 1e-3).unwrap();
    assert_eq!(
        (ns.n_critic, ns.g.betas, ns.d.lr, ns.d_batch_norm),
        (1, [0.5, 0.999], 1e-3, true)
    );
    let w = GanConfig {
        loss: Loss::WganGp,
        ..GanConfig::default()
    }
    .resolve(true, 1e-3)
    .unwrap();
    assert_eq!(
        (w.n_critic, w.d.betas, w.d_batch_norm),
        (5, [0.0, 0.9], false)
    );
    let bn = GanConfig {
        loss: Loss::WganGp,
        d_batch_norm: Some(true),
        ..GanConfig::default()
    };
    assert!(bn.resolve(true, 1e-3).is_err());
    assert!(
        GanConfig {
            n_critic: Some(0),
            ..GanConfig::default()
        }
        .resolve(false, 1e-3)
        .is_err()
    );
    assert!(
        GanConfig {
            arch: crate::Arch::Conv,
            ..GanConfig::default()
        }
        .resolve(false, 1e-3)
        .is_err()
    );
    let table: toml::Table = toml::from_str("loss = \"wgan-gp\"\ngp_wieght = 1.0").unwrap();
    assert!(genbench_core::model::parse_family_config::<crate::Gan>(table).is_err());
    let table: toml::Table = toml::from_str("loss = \"wgan-gp\"\nn_critic = 3").unwrap();
    let parsed = genbench_core::model::parse_family_config::<crate::Gan>(table).unwrap();
    assert_eq!((parsed.loss, parsed.n_critic), (Loss::WganGp, Some(3)));
}

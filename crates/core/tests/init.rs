//! genbench_core::init: a network built for any device starts from the weights flex draws for
//! the same seed, drawn in the order flex draws them, and trains there. One process per file:
//! the host generator is process-wide, and these tests take turns on it.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use burn::nn::{Linear, LinearConfig};
use burn::prelude::{Device, Tensor};
use genbench_core::init::{on_host, seed};
use std::sync::{Mutex, MutexGuard};

/// The host generator is one per process: tests that seed it take turns.
fn host_generator() -> MutexGuard<'static, ()> {
    static HOST: Mutex<()> = Mutex::new(());
    HOST.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn values(linear: &Linear) -> Vec<f32> {
    linear.weight.val().into_data().try_to_vec::<f32>().unwrap()
}

/// Two layers built in the order (a, b) on `device`, first used in the order (b, a).
fn two_layers(device: &Device, seed_value: u64) -> (Vec<f32>, Vec<f32>) {
    seed(device, seed_value);
    let (a, b) = on_host(device, |d| {
        (
            LinearConfig::new(3, 4).init(d),
            LinearConfig::new(4, 2).init(d),
        )
    });
    let b = values(&b);
    (values(&a), b)
}

#[allow(deprecated)] // burn-ndarray: the one other backend every build has
fn other_backend() -> Device {
    Device::ndarray()
}

#[test]
fn same_seed_same_weights_other_seed_other_weights() {
    let _turn = host_generator();
    let device = Device::flex().autodiff();
    assert_eq!(two_layers(&device, 1), two_layers(&device, 1));
    assert_ne!(two_layers(&device, 1), two_layers(&device, 2));
}

#[test]
fn on_flex_the_weights_are_those_burn_draws_there() {
    let _turn = host_generator();
    let device = Device::flex();
    device.seed(5);
    let a = LinearConfig::new(3, 4).init(&device);
    let b = LinearConfig::new(4, 2).init(&device);
    let b = values(&b);
    let plain = (values(&a), b);
    assert_eq!(two_layers(&device, 5), plain);
}

#[test]
fn another_backend_gets_the_weights_flex_draws_in_the_order_flex_draws_them() {
    let _turn = host_generator();
    assert_eq!(
        two_layers(&other_backend(), 9),
        two_layers(&Device::flex(), 9)
    );
    let ad = other_backend().autodiff();
    assert_eq!(
        two_layers(&ad, 9),
        two_layers(&Device::flex().autodiff(), 9)
    );
}

#[test]
fn parameters_moved_to_an_autodiff_device_are_trainable_leaves_there() {
    let _turn = host_generator();
    let device = other_backend().autodiff();
    seed(&device, 3);
    let linear = on_host(&device, |d| LinearConfig::new(3, 4).init(d));
    let weight = linear.weight.val();
    assert_eq!(weight.device(), device);
    assert!(weight.is_require_grad());
    let x = Tensor::<2>::ones([2, 3], &device);
    let grads = linear.forward(x).sum().backward();
    let grad = linear
        .weight
        .val()
        .grad(&grads)
        .expect("a gradient for the weight");
    // d/dW sum(x W + b) = x^T 1: every entry 2 for two rows of ones.
    assert_eq!(grad.into_data().try_to_vec::<f32>().unwrap(), vec![2.0; 12]);
}

#[test]
fn a_parameter_made_from_a_tensor_trains_on_another_backend_step_after_step() {
    use burn::module::{Module, Param};
    use burn::optim::{AdamConfig, GradientsParams};

    #[derive(Module, Debug)]
    struct Scaled {
        linear: Linear,
        log_scale: Param<Tensor<1>>,
    }

    let _turn = host_generator();
    let device = other_backend().autodiff();
    seed(&device, 4);
    let mut net = on_host(&device, |d| Scaled {
        linear: LinearConfig::new(2, 2).init(d),
        log_scale: Param::from_tensor(Tensor::zeros([2], d)),
    });
    let mut optim = AdamConfig::new().init();
    for _ in 0..3 {
        let x = Tensor::<2>::ones([4, 2], &device);
        let y = net.linear.forward(x) * net.log_scale.val().exp().unsqueeze::<2>();
        let grads = GradientsParams::from_grads(y.sum().backward(), &net);
        net = optim.step(1e-2, net, grads);
    }
    assert_eq!(net.log_scale.val().device(), device);
}

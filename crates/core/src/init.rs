//! Random initial weights that do not depend on the backend.
//!
//! burn draws a parameter's initial values with the generator of the backend it lives on: flex
//! with its CPU generator, wgpu with cubecl's GPU generator. The same seed would give a run on
//! wgpu other weights than on flex, and every number after them would differ. So every network
//! is built with [`on_host`]: on flex it is built there as before; on any other device it is
//! built on the host (flex) and each parameter, when first used, takes the value the host's
//! generator (seeded once per run by [`seed`]) gives it and moves to the device. burn
//! initialises parameters lazily, at first use, so the host draws in the order a flex run
//! draws: a run on any backend starts from the weights it gets on flex. The noise of training,
//! sampling and scoring is drawn on the host already ([`crate::Rng`]).
//!
//! ```
//! use genbench_core::burn::nn::LinearConfig;
//! use genbench_core::{DeviceChoice, init};
//!
//! let device = DeviceChoice::Flex.device().unwrap().autodiff();
//! init::seed(&device, 7);
//! let linear = init::on_host(&device, |d| LinearConfig::new(2, 3).init(d));
//! assert_eq!(linear.weight.val().dims(), [2, 3]);
//! ```

use burn::module::{Module, ModuleMapper, Param};
use burn::prelude::{Device, Tensor};

/// The device initial weights are drawn on: flex, with `device`'s autodiff.
pub fn host(device: &Device) -> Device {
    if device.is_autodiff() {
        Device::flex().autodiff()
    } else {
        Device::flex()
    }
}

/// Seed the host generator that [`on_host`] draws from (and `device`'s own, for anything drawn
/// there): once per run, from its `init` stream, before its networks are built.
pub fn seed(device: &Device, seed: u64) {
    host(device).seed(seed);
    if *device != Device::flex() {
        device.seed(seed);
    }
}

/// The module `build` makes, for `device`, with the initial weights a flex run draws.
///
/// On flex this is `build(device)`. Elsewhere the module is built on the host; a parameter
/// not yet initialised becomes one that, at first use, takes the host's value and moves to
/// `device` (a trainable leaf on an autodiff device); everything else moves now (`fork`: a
/// trainable parameter stays a leaf).
pub fn on_host<M: Module>(device: &Device, build: impl FnOnce(&Device) -> M) -> M {
    if *device == Device::flex() {
        return build(device);
    }
    let module = build(&host(device));
    module
        .map(&mut DrawOnHost {
            device: device.clone(),
        })
        .fork(device)
}

/// Makes every parameter of a module built on the host that is not initialised yet take its
/// value there, at first use, and move it to `device`.
struct DrawOnHost {
    device: Device,
}

impl ModuleMapper for DrawOnHost {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if param.is_initialized() {
            return param;
        }
        let (id, shape) = (param.id, param.lazy_shape());
        // burn's initialisers make trainable parameters (`Initializer::init_with`).
        Param::uninitialized(
            id,
            move |device, require_grad| {
                let value = param.base().to_device(device).detach();
                if require_grad {
                    value.require_grad()
                } else {
                    value
                }
            },
            self.device.clone(),
            true,
            shape,
        )
    }
}

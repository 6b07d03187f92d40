//! The burn 0.22.1 idioms every family uses, checked: a module built from its config, a step
//! of Adam, gradients flowing, and a checkpoint that round-trips bit-exactly.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use burn::module::Module;
use burn::nn::{Linear, LinearConfig, Relu};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use genbench_core::DeviceChoice;

#[derive(Config, Debug)]
pub struct TinyMlpConfig {
    pub input: usize,
    #[config(default = 16)]
    pub hidden: usize,
}

#[derive(Module, Debug)]
pub struct TinyMlp {
    hidden: Linear,
    out: Linear,
    act: Relu,
}

impl TinyMlpConfig {
    pub fn init(&self, device: &Device) -> TinyMlp {
        TinyMlp {
            hidden: LinearConfig::new(self.input, self.hidden).init(device),
            out: LinearConfig::new(self.hidden, 1).init(device),
            act: Relu::new(),
        }
    }
}

impl TinyMlp {
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let h = self.act.forward(self.hidden.forward(x)); // [batch, hidden]
        self.out.forward(h) // [batch, 1]
    }
}

#[test]
fn adam_fits_a_line_and_checkpoints_round_trip() {
    let device = DeviceChoice::Flex.device().unwrap().autodiff();
    device.seed(0);
    let mut model = TinyMlpConfig::new(1).init(&device);
    let mut optim = AdamConfig::new().init();
    let x = Tensor::<2>::from_data(
        TensorData::new(
            (0..64).map(|i| i as f32 / 32.0 - 1.0).collect::<Vec<_>>(),
            [64, 1],
        ),
        &device,
    );
    let y = x.clone().mul_scalar(3.0).add_scalar(0.5);
    let mut first = None;
    let mut last = 0.0;
    for _ in 0..300 {
        let loss = (model.forward(x.clone()) - y.clone())
            .powf_scalar(2.0)
            .mean();
        last = loss.clone().into_scalar::<f32>();
        first.get_or_insert(last);
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-2, model, grads);
    }
    assert!(
        last < first.unwrap() * 0.01,
        "loss {} -> {last}",
        first.unwrap()
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.bpk");
    model.clone().into_record().save(&path).unwrap();
    let restored = TinyMlpConfig::new(1).init(&device).load_file(&path);
    let a = model.valid().forward(x.clone().inner()).into_data();
    let b = restored.valid().forward(x.inner()).into_data();
    assert_eq!(a, b);
}

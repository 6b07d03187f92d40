//! The flow's density integrates to 1 over a 2-D grid (within 2%), before and after training.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use genbench_core::{Batch, GenerativeModel, LikelihoodKind};
use genbench_flow::{FlowConfig, FlowModel};

/// Riemann sum of exp(log p) over [-r, r]^2 with `cells` cells a side.
fn integral(model: &mut FlowModel, r: f32, cells: usize) -> f64 {
    let step = 2.0 * r / cells as f32;
    let x: Vec<f32> = (0..cells * cells)
        .flat_map(|k| {
            [
                -r + step * ((k % cells) as f32 + 0.5),
                -r + step * ((k / cells) as f32 + 0.5),
            ]
        })
        .collect();
    let ll = model.log_likelihood(&Batch::new(x, vec![], 2), 0).unwrap();
    assert_eq!(ll.kind, LikelihoodKind::Exact);
    ll.log_px_nats.iter().map(|l| l.exp()).sum::<f64>() * (step as f64).powi(2)
}

#[test]
fn untrained_density_integrates_to_one() {
    let data = load("two-moons");
    let mut model = trained(&data, FlowConfig::default(), 1e-3, false, 0, 256);
    let total = integral(&mut model, 8.0, 400);
    eprintln!("integral {total:.5}");
    assert!((total - 1.0).abs() < 0.02, "integral {total}");
}

#[test]
fn trained_density_integrates_to_one() {
    let data = load("two-moons");
    let mut model = trained(&data, FlowConfig::default(), 2e-3, false, 300, 256);
    let total = integral(&mut model, 8.0, 400);
    eprintln!("integral {total:.5}");
    assert!((total - 1.0).abs() < 0.02, "integral {total}");
}

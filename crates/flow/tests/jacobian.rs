//! The log-determinant the flow reports matches log|det J| of a central-difference Jacobian.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use genbench_flow::FlowConfig;

#[test]
fn log_det_matches_a_finite_difference_jacobian_on_2d_inputs() {
    let data = load("two-moons");
    let model = trained(&data, FlowConfig::default(), 1e-2, false, 60, 256);
    let x = data.test.head(40);
    let (_, log_det) = model.transform(&x.x, &[]).unwrap();
    let h = 1e-3f32;
    let mut worst = 0.0f64;
    for (i, reported) in log_det.iter().enumerate() {
        let p = x.row(i);
        // Rows: x + h e0, x - h e0, x + h e1, x - h e1.
        let probes: Vec<f32> = [(h, 0.0), (-h, 0.0), (0.0, h), (0.0, -h)]
            .iter()
            .flat_map(|(a, b)| [p[0] + a, p[1] + b])
            .collect();
        let (z, _) = model.transform(&probes, &[]).unwrap();
        let d = |k: usize, r: usize| ((z[2 * k + r] - z[2 * (k + 1) + r]) / (2.0 * h)) as f64;
        // J[r][c] = dz_r / dx_c.
        let det = d(0, 0) * d(2, 1) - d(2, 0) * d(0, 1);
        let err = (det.abs().ln() - reported).abs();
        worst = worst.max(err);
    }
    assert!(
        log_det.iter().map(|l| l.abs()).fold(0.0, f64::max) > 0.5,
        "the flow should change volume"
    );
    eprintln!("worst log-det error {worst:.2e}");
    assert!(worst < 5e-3, "log|det J| off by up to {worst}");
}

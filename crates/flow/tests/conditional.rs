//! A conditional flow samples the class it is asked for: trained on 8gaussians with the mode
//! index as label, its samples for label c lie nearest to mode c.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use genbench_core::{GenerativeModel, labels};
use genbench_flow::FlowConfig;

#[test]
fn samples_for_a_label_come_from_that_mode() {
    let data = load("8gaussians");
    assert_eq!(data.spec.num_classes, 8);
    let (modes, _) = data.density.as_ref().unwrap().modes().unwrap();
    let mut model = trained(
        &data,
        FlowConfig {
            couplings: 4,
            ..FlowConfig::default()
        },
        5e-3,
        true,
        300,
        256,
    );
    let labels = labels::cycled(800, 8);
    let s = model.sample(800, Some(&labels), 5).unwrap();
    let nearest = |p: &[f32]| {
        (0..modes.len())
            .min_by(|&a, &b| {
                let d = |m: [f64; 2]| (p[0] as f64 - m[0]).powi(2) + (p[1] as f64 - m[1]).powi(2);
                d(modes[a]).total_cmp(&d(modes[b]))
            })
            .unwrap()
    };
    // Which mode index a label means is the dataset's business: map each label to the mode its
    // training points are nearest to.
    let mut mode_of_label = [0usize; 8];
    for (c, slot) in mode_of_label.iter_mut().enumerate() {
        let i = data.train.labels.iter().position(|&l| l == c).unwrap();
        *slot = nearest(data.train.row(i));
    }
    let hits = (0..s.len())
        .filter(|&i| nearest(s.row(i)) == mode_of_label[labels[i]])
        .count();
    eprintln!("{hits} of 800 samples nearest to their label's mode");
    assert!(
        hits > 640,
        "only {hits} of 800 samples nearest to their label's mode"
    );
}

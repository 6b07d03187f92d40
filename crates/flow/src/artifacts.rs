//! The flow's own figures' data: what f does to data (2-D) and samples by temperature (images).

use crate::model::FlowModel;
use genbench_core::seed::Rng;
use genbench_core::{Batch, fsutil, grid, labels};
use std::path::Path;

/// Sampling temperatures of [`TEMPERATURES_PNG`], one row each.
pub const TEMPERATURES: [f64; 4] = [0.0, 0.5, 0.7, 1.0];

/// 2-D: each test point x beside z = f(x) and log|det df/dx| (a Gaussianized copy of the data
/// shows how far the flow got).
pub const LATENTS_CSV: &str = "flow_latents.csv";
/// Images: a row of samples x = f^{-1}(T z) per temperature T in [`TEMPERATURES`], the same z in
/// every row.
pub const TEMPERATURES_PNG: &str = "flow_temperatures.png";

/// 2-D: [`LATENTS_CSV`]; images: [`TEMPERATURES_PNG`].
pub fn write(model: &FlowModel, test: &Batch, dir: &Path, seed: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let spec = model.spec().clone();
    if !spec.is_image() {
        let labels = if model.classes() > 0 {
            test.labels.clone()
        } else {
            Vec::new()
        };
        let (z, log_det) = model.transform(&test.x, &labels)?;
        let d = spec.dim();
        let mut header: Vec<String> = (0..d).map(|i| format!("x{i}")).collect();
        header.extend((0..d).map(|i| format!("z{i}")));
        header.push("log_det".into());
        let rows = (0..test.len())
            .map(|i| {
                let mut row: Vec<String> = test.row(i).iter().map(ToString::to_string).collect();
                row.extend(z[i * d..(i + 1) * d].iter().map(ToString::to_string));
                row.push(log_det[i].to_string());
                row
            })
            .collect::<Vec<_>>();
        return fsutil::write_csv(&dir.join(LATENTS_CSV), &header, &rows);
    }
    let cols = 10;
    let d = spec.dim();
    let mut rng = Rng::new(seed);
    let z: Vec<f32> = (0..cols * d).map(|_| rng.normal() as f32).collect();
    let labels = labels::cycled(cols, model.classes());
    let mut x = Vec::with_capacity(TEMPERATURES.len() * cols * d);
    let mut all_labels = Vec::new();
    for t in TEMPERATURES {
        let scaled: Vec<f32> = z.iter().map(|v| v * t as f32).collect();
        x.extend(model.levels_of(&model.inverse(&scaled, &labels)?));
        all_labels.extend(labels.iter().copied());
    }
    grid::save_image_grid(
        &Batch::new(x, all_labels, d),
        &spec,
        cols,
        4,
        &dir.join(TEMPERATURES_PNG),
    )
}

//! The files a run writes beside its numbers: its samples and its model's density grid.

use genbench_core::{Batch, GenerativeModel, fsutil, grid};
use genbench_dataset::Dataset;
use std::path::Path;

/// The samples file of a run folder: an image grid, or a CSV of coordinates.
pub fn samples_file(data: &Dataset) -> &'static str {
    if data.spec.is_image() {
        "samples.png"
    } else {
        "samples.csv"
    }
}

/// Samples to `path`: `.png` draws the first 100 images as a 10-column grid; `.npy` writes them
/// all (images as uint8 levels `[n, C, H, W]`, labels beside in `<stem>.labels.npy`); a path
/// without extension is a folder of one PNG per image; anything else is a CSV with one row per
/// sample (`x0..x{d-1}`, then `label` for a conditional model).
pub fn save_samples(fake: &Batch, data: &Dataset, path: &Path) -> anyhow::Result<()> {
    use genbench_dataset::external::{write_png_folder, write_samples_npy};
    if path.extension().is_some_and(|e| e == "npy") {
        write_samples_npy(path, fake, &data.spec).map(|_| ())
    } else if path.extension().is_none() && data.spec.is_image() {
        write_png_folder(fake, &data.spec, path).map(|_| ())
    } else if path.extension().is_some_and(|e| e == "png") {
        let scale = (64 / data.spec.shape[2]).max(2);
        grid::save_image_grid(&fake.head(100), &data.spec, 10, scale, path)
    } else {
        let header: Vec<String> = (0..fake.dim)
            .map(|i| format!("x{i}"))
            .chain(fake.has_labels().then(|| "label".to_string()))
            .collect();
        let rows: Vec<Vec<String>> = (0..fake.len())
            .map(|i| {
                fake.row(i)
                    .iter()
                    .map(ToString::to_string)
                    .chain(fake.labels.get(i).map(ToString::to_string))
                    .collect()
            })
            .collect();
        fsutil::write_csv(path, &header, &rows)
    }
}

/// The model's own log-density on a 64 x 64 grid over the true density's bounds (2-D models
/// with an exact likelihood or a KDE), for the report's contour panels.
pub fn write_density_grid(
    model: &mut dyn GenerativeModel,
    data: &Dataset,
    path: &Path,
    seed: u64,
) -> anyhow::Result<()> {
    const SIDE: usize = 64;
    let Some(density) = &data.density else {
        return Ok(());
    };
    let (lo, hi) = density.bounds();
    let at = |i: usize, d: usize| lo[d] + (hi[d] - lo[d]) * (i as f64 + 0.5) / SIDE as f64;
    let points: Vec<f32> = (0..SIDE * SIDE)
        .flat_map(|k| [at(k % SIDE, 0) as f32, at(k / SIDE, 1) as f32])
        .collect();
    let grid = Batch::new(points, Vec::new(), 2);
    let ll = model.log_likelihood(&grid, seed)?;
    let rows: Vec<Vec<String>> = (0..grid.len())
        .map(|i| {
            vec![
                grid.row(i)[0].to_string(),
                grid.row(i)[1].to_string(),
                ll.log_px_nats[i].to_string(),
            ]
        })
        .collect();
    fsutil::write_csv(path, &["x0".into(), "x1".into(), "logp".into()], &rows)
}

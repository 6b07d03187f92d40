//! [`COMPLETIONS_PNG`]: the top half of test images given, the bottom half drawn by the model.

use crate::model::ArModel;
use genbench_core::Batch;
use genbench_core::grid::save_image_grid;
use std::path::Path;

/// Images: the completions grid of [`write_completions`] (the report reads this name).
pub const COMPLETIONS_PNG: &str = "ar_completions.png";

/// Test images shown side by side (columns of the grid).
const COLUMNS: usize = 8;

/// A grid with one column per test image (up to 8): row 1 the original, row 2 its top half
/// (bottom at level 0), then `config.completions` rows of completions. Each completion fills the
/// bottom rows pixel by pixel in the model's order given the top half (and the label when the
/// model is conditional). With the natural (raster) order this draws from p(bottom | top)
/// exactly; with a random MADE order a pixel is drawn given only the given pixels that precede
/// it in that order, so the completion is not the exact conditional.
pub fn write_completions(
    model: &ArModel,
    test: &Batch,
    path: &Path,
    seed: u64,
) -> anyhow::Result<()> {
    let spec = model.spec().clone();
    let [_, h, w] = spec.image_shape();
    let d = spec.dim();
    let originals = test.head(COLUMNS);
    let k = originals.len();
    anyhow::ensure!(k > 0, "no test images to complete");
    let given: Vec<bool> = (0..d).map(|p| (p % (h * w)) / w < h / 2).collect();
    let reps = model.config().completions;
    let cond = model.classes() > 0;
    anyhow::ensure!(
        !cond || originals.has_labels(),
        "a conditional model needs labelled test images"
    );
    let rows: Vec<usize> = (0..reps).flat_map(|_| 0..k).collect();
    let filled = model.complete(&originals.select(&rows), &given, seed)?.x;
    let mut grid = originals.x.clone();
    for i in 0..k {
        grid.extend(
            originals
                .row(i)
                .iter()
                .zip(&given)
                .map(|(&v, &g)| if g { v } else { 0.0 }),
        );
    }
    grid.extend(filled);
    save_image_grid(&Batch::new(grid, Vec::new(), d), &spec, k, 4, path)
}

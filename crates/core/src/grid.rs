//! A grid of image examples as a greyscale PNG (samples, reconstructions, trajectories).

use crate::data::{Batch, DataSpec};
use anyhow::Context;
use std::path::Path;

/// Draw the first `rows * cols` examples of `batch` (levels `0..L` of a 1-channel image, or
/// values already in [0, 1] when `spec.levels` is `None`) as a grid, each pixel `scale` x `scale`,
/// with a 1-pixel grey border between cells. Written atomically.
pub fn save_image_grid(
    batch: &Batch,
    spec: &DataSpec,
    cols: usize,
    scale: usize,
    path: &Path,
) -> anyhow::Result<()> {
    let [c, h, w] = spec.image_shape();
    anyhow::ensure!(
        c == 1,
        "image grids are greyscale; {} has {c} channels",
        spec.name
    );
    let n = batch.len();
    anyhow::ensure!(n > 0, "no images to draw");
    let cols = cols.clamp(1, n);
    let rows = n.div_ceil(cols);
    let (cell_w, cell_h) = (w * scale + 1, h * scale + 1);
    let (img_w, img_h) = (cols * cell_w + 1, rows * cell_h + 1);
    let mut pixels = vec![128u8; img_w * img_h];
    let max = spec.levels.map(|l| (l - 1) as f32).unwrap_or(1.0);
    for i in 0..n {
        let (r0, c0) = ((i / cols) * cell_h + 1, (i % cols) * cell_w + 1);
        let row = batch.row(i);
        for y in 0..h * scale {
            for x in 0..w * scale {
                let v = row[(y / scale) * w + x / scale] / max;
                pixels[(r0 + y) * img_w + c0 + x] = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            }
        }
    }
    write_grey_png(path, img_w, img_h, &pixels)
}

/// `pixels` (`height` rows of `width` bytes) as an 8-bit greyscale PNG, written atomically.
pub fn write_grey_png(
    path: &Path,
    width: usize,
    height: usize,
    pixels: &[u8],
) -> anyhow::Result<()> {
    anyhow::ensure!(
        pixels.len() == width * height,
        "{} pixels for a {width}x{height} image",
        pixels.len()
    );
    crate::fsutil::with_temp_path(path, |tmp| {
        let file =
            std::fs::File::create(tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let mut enc = png::Encoder::new(std::io::BufWriter::new(file), width as u32, height as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(pixels)?;
        writer.finish()?;
        Ok(())
    })
}

//! A folder of PNG files, one image each: read (8- or 16-bit, greyscale or RGB with equal
//! channels, as torchvision's `save_image` writes them) and written (8-bit greyscale).

use super::array::Array;
use crate::DataError;
use genbench_core::{Batch, DataSpec};
use std::path::{Path, PathBuf};

/// Every `*.png` in `dir`, sorted by file name, as an `[n, H, W]` array of intensities in
/// `[0, 1]` (a pixel `p` of bit depth `b` is `p / (2^b - 1)`).
pub(crate) fn read_folder(dir: &Path) -> Result<Array, DataError> {
    let files = png_files(dir)?;
    let mut shape: Option<(u32, u32)> = None;
    let mut values = Vec::new();
    for file in &files {
        let (w, h, pixels) = read_grey(file)?;
        match shape {
            None => shape = Some((w, h)),
            Some((w0, h0)) if (w0, h0) != (w, h) => {
                return Err(DataError::bad_file(
                    file,
                    format!("{w}x{h} pixels, but {} is {w0}x{h0}", files[0].display()),
                ));
            }
            Some(_) => {}
        }
        values.extend(pixels);
    }
    let (w, h) = shape.unwrap_or((0, 0));
    Ok(Array {
        shape: vec![files.len(), h as usize, w as usize],
        values,
        integer: false,
        dtype: "png",
    })
}

fn png_files(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let entries = std::fs::read_dir(dir).map_err(|e| DataError::io(dir, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| DataError::io(dir, e))?.path();
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"))
        {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(DataError::bad_file(dir, "a folder with no .png files"));
    }
    Ok(files)
}

/// One PNG as `(width, height, intensities in [0, 1])`; colour images must be grey (R = G = B).
fn read_grey(path: &Path) -> Result<(u32, u32, Vec<f64>), DataError> {
    let bad = |msg: String| DataError::bad_file(path, msg);
    let file = std::fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder
        .read_info()
        .map_err(|e| bad(format!("not a PNG ({e})")))?;
    let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| bad(format!("not a PNG ({e})")))?;
    let bytes = &buf[..info.buffer_size()];
    let (max, samples): (f64, Vec<u32>) = match info.bit_depth {
        png::BitDepth::Sixteen => (
            65535.0,
            bytes
                .chunks_exact(2)
                .map(|b| u32::from(u16::from_be_bytes([b[0], b[1]])))
                .collect(),
        ),
        _ => (255.0, bytes.iter().map(|&b| u32::from(b)).collect()),
    };
    let (channels, alpha) = match info.color_type {
        png::ColorType::Grayscale => (1, false),
        png::ColorType::GrayscaleAlpha => (2, true),
        png::ColorType::Rgb => (3, false),
        png::ColorType::Rgba => (4, true),
        png::ColorType::Indexed => return Err(bad("an indexed PNG that did not expand".into())),
    };
    let colours = if alpha { channels - 1 } else { channels };
    let mut grey = Vec::with_capacity(samples.len() / channels);
    for (i, px) in samples.chunks_exact(channels).enumerate() {
        if px[1..colours].iter().any(|&c| c != px[0]) {
            return Err(bad(format!(
                "pixel ({}, {}) is coloured {:?}; the dataset's images are greyscale",
                i % info.width as usize,
                i / info.width as usize,
                &px[..colours]
            )));
        }
        grey.push(px[0] as f64 / max);
    }
    Ok((info.width, info.height, grey))
}

/// One 8-bit greyscale PNG per example in `dir` (`000000.png`, `000001.png`, ...), level `k`
/// drawn as `round(255 k / (L - 1))`, so reading the folder back at `--scale unit` returns `k`
/// for every `L <= 256`.
pub fn write_folder(batch: &Batch, spec: &DataSpec, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let [c, h, w] = spec.image_shape();
    anyhow::ensure!(
        c == 1,
        "{} has {c} channels; PNG folders are greyscale",
        spec.name
    );
    let top = spec.levels.map_or(1.0, |l| (l - 1) as f32);
    let digits = batch.len().saturating_sub(1).to_string().len().max(6);
    let mut written = Vec::with_capacity(batch.len());
    for i in 0..batch.len() {
        let pixels: Vec<u8> = batch
            .row(i)
            .iter()
            .map(|v| (v / top * 255.0).round().clamp(0.0, 255.0) as u8)
            .collect();
        let path = dir.join(format!("{i:0digits$}.png"));
        genbench_core::grid::write_grey_png(&path, w, h, &pixels)?;
        written.push(path);
    }
    Ok(written)
}

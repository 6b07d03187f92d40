//! Files exchanged with other frameworks: samples and per-example numbers made anywhere, read
//! from NumPy (`.npy`, `.npz`), a folder of PNGs or CSV and checked against the dataset they
//! claim to be samples of; samples and splits written as `.npy` for a model trained elsewhere.
//!
//! Every check is a [`DataError`] of one line that names the file (exit code 2 in the CLI).

mod array;
mod export;
mod npy;
mod npz;
mod png;
mod table;

pub use export::{SPLIT_FILE, export_split, write_samples_npy};
pub use png::write_folder as write_png_folder;

use crate::DataError;
use array::Array;
use genbench_core::{Batch, DataSpec};
use std::path::Path;

/// How the values of image samples are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    /// Integer levels `0..L` (any dtype, but every value an integer).
    Levels,
    /// Intensities in `[0, 1]`, mapped to the level `round(v (L - 1))` (PNG files: `p / 255`).
    Unit,
}

impl std::str::FromStr for Scale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "levels" => Ok(Scale::Levels),
            "unit" => Ok(Scale::Unit),
            _ => Err(format!(
                "`{s}`: use `levels` (integers 0..L-1) or `unit` (floats in [0, 1])"
            )),
        }
    }
}

impl std::fmt::Display for Scale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scale::Levels => "levels",
            Scale::Unit => "unit",
        })
    }
}

/// Samples read from a file, in the data's own space (levels for images), with the labels the
/// file carried (an `.npz` array `labels`, a CSV column `label`).
#[derive(Debug)]
pub struct Samples {
    /// The samples, with the file's labels when it had some.
    pub batch: Batch,
    /// e.g. `s.npy: 2000 x [1, 8, 8] uint8, integer levels`.
    pub description: String,
}

/// Read and check samples of `spec` from `path`: `.npy`, `.npz` (array `samples` or `x`, or
/// the only array; `labels` beside it), `.csv`/`.txt` (one sample per row; a header naming a
/// `label` column) or a folder of `.png` files (sorted by name).
///
/// An example may be `[n, *shape]`, `[n, dim]`, or for one-channel images `[n, H, W]` or
/// `[n, H, W, 1]`. Images need their scale: integer dtypes are levels, PNG files are `unit`,
/// float arrays and text must say (`scale`). Refused: a wrong shape, a non-finite value, a
/// level that is not an integer in `0..L`, an intensity outside `[0, 1]`, a label outside the
/// classes.
pub fn read_samples(
    path: &Path,
    spec: &DataSpec,
    scale: Option<Scale>,
) -> Result<Samples, DataError> {
    let (array, labels, implied) = load(path)?;
    let bad = |msg: String| DataError::bad_file(path, msg);
    let n = *array.shape.first().unwrap_or(&0);
    let example = &array.shape[array.shape.len().min(1)..];
    let dim = spec.dim();
    let fits = example == spec.shape.as_slice()
        || example == [dim]
        || (spec.is_image()
            && spec.shape[0] == 1
            && (example == &spec.shape[1..] || example == [spec.shape[1], spec.shape[2], 1]));
    if array.shape.len() < 2 || !fits {
        return Err(bad(format!(
            "shape {:?} does not hold {} examples of shape {:?}: write [n, {}]{}",
            array.shape,
            spec.name,
            spec.shape,
            dim,
            if spec.is_image() {
                format!(
                    " or [n, {}]",
                    spec.shape
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                String::new()
            }
        )));
    }
    if n == 0 {
        return Err(bad("no samples".into()));
    }
    if let Some(i) = array.values.iter().position(|v| !v.is_finite()) {
        return Err(bad(format!(
            "sample {}, value {}: {} (every value must be finite)",
            i / dim,
            i % dim,
            array.values[i]
        )));
    }
    let (x, scale_note) = match spec.levels {
        None => {
            if let Some(s) = scale {
                return Err(bad(format!(
                    "--scale {s} applies to images; {} is continuous",
                    spec.name
                )));
            }
            (
                array.values.iter().map(|&v| v as f32).collect(),
                "coordinates".to_string(),
            )
        }
        Some(levels) => {
            let scale = scale
                .or(implied)
                .or(array.integer.then_some(Scale::Levels))
                .ok_or_else(|| {
                    bad(format!(
                        "{} values: state their scale, --scale levels (integers 0..{}) or --scale unit (floats in [0, 1])",
                        array.dtype,
                        levels - 1
                    ))
                })?;
            (
                to_levels(&array.values, scale, levels, dim).map_err(bad)?,
                match scale {
                    Scale::Levels => "integer levels".to_string(),
                    Scale::Unit => format!("[0, 1] mapped to levels by round(v * {})", levels - 1),
                },
            )
        }
    };
    let labels = match labels {
        Some(l) => {
            if l.len() != n {
                return Err(bad(format!("{} labels for {n} samples", l.len())));
            }
            check_labels(&l, spec.num_classes).map_err(bad)?
        }
        None => Vec::new(),
    };
    Ok(Samples {
        batch: Batch::new(x, labels, dim),
        description: format!(
            "{}: {n} x {:?} {}, {scale_note}",
            path.display(),
            example,
            array.dtype
        ),
    })
}

/// A 1-D file of numbers (`.npy` of shape `[n]` or `[n, 1]`, or text with one number a line).
pub fn read_numbers(path: &Path) -> Result<Vec<f64>, DataError> {
    let array = match extension(path).as_str() {
        "npy" => npy::read_npy(path)?,
        "csv" | "txt" => text_array(path, Text::Numbers)?.0,
        _ => {
            return Err(DataError::bad_file(
                path,
                "write the numbers as .npy, .csv or .txt (one a line)",
            ));
        }
    };
    match array.shape[..] {
        [_] | [_, 1] => Ok(array.values),
        _ => Err(DataError::bad_file(
            path,
            format!("shape {:?}: expected one number per example", array.shape),
        )),
    }
}

/// Labels `0..classes` from a 1-D file (see [`read_numbers`]).
pub fn read_labels(path: &Path, classes: usize) -> Result<Vec<usize>, DataError> {
    check_labels(&read_numbers(path)?, classes).map_err(|m| DataError::bad_file(path, m))
}

/// The array, the labels beside it, and the scale the format implies.
type Loaded = (Array, Option<Vec<f64>>, Option<Scale>);

fn load(path: &Path) -> Result<Loaded, DataError> {
    if path.is_dir() {
        return Ok((png::read_folder(path)?, None, Some(Scale::Unit)));
    }
    match extension(path).as_str() {
        "npy" => Ok((npy::read_npy(path)?, None, None)),
        "npz" => {
            let mut arrays = npz::read_npz(path)?;
            let take = |arrays: &mut Vec<(String, Array)>, name: &str| {
                let i = arrays.iter().position(|(n, _)| n == name)?;
                Some(arrays.remove(i).1)
            };
            let labels = take(&mut arrays, "labels").map(|a| a.values);
            let names: Vec<String> = arrays.iter().map(|(n, _)| n.clone()).collect();
            let samples = take(&mut arrays, "samples")
                .or_else(|| take(&mut arrays, "x"))
                .or_else(|| (arrays.len() == 1).then(|| arrays.remove(0).1))
                .ok_or_else(|| {
                    DataError::bad_file(
                        path,
                        format!(
                            "arrays {names:?}: name the samples `samples` (and their labels `labels`)"
                        ),
                    )
                })?;
            Ok((samples, labels, None))
        }
        "csv" | "txt" => {
            let (array, labels) = text_array(path, Text::Samples)?;
            Ok((array, labels, None))
        }
        _ => Err(DataError::bad_file(
            path,
            "samples must be .npy, .npz, .csv, .txt or a folder of .png files",
        )),
    }
}

/// What a text table holds.
#[derive(Clone, Copy, PartialEq)]
enum Text {
    /// Samples: f32 precision (like genbench's own CSVs), a header's `label` column apart.
    Samples,
    /// Per-example numbers (likelihoods, labels): f64 precision.
    Numbers,
}

/// A text table as an `[n, columns]` array, with a sample table's `label` column split off.
fn text_array(path: &Path, text: Text) -> Result<(Array, Option<Vec<f64>>), DataError> {
    let t = table::read_table(path)?;
    let label_col = if text == Text::Samples {
        t.column("label")
    } else {
        None
    };
    let width = t.rows.first().map_or(0, Vec::len);
    let mut values = Vec::with_capacity(t.rows.len() * width);
    let mut labels = label_col.map(|_| Vec::with_capacity(t.rows.len()));
    for (row, &line) in t.rows.iter().zip(&t.lines) {
        for (j, cell) in row.iter().enumerate() {
            let target = match &mut labels {
                Some(l) if Some(j) == label_col => l,
                _ => &mut values,
            };
            target.push(match text {
                Text::Samples if Some(j) != label_col => {
                    f64::from(table::number::<f32>(path, line, cell)?)
                }
                _ => table::number::<f64>(path, line, cell)?,
            });
        }
    }
    let columns = width - usize::from(label_col.is_some());
    Ok((
        Array {
            shape: vec![t.rows.len(), columns],
            values,
            integer: false,
            dtype: "text",
        },
        labels,
    ))
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Values in `scale` as levels `0..levels`, or the first offending value.
fn to_levels(values: &[f64], scale: Scale, levels: u32, dim: usize) -> Result<Vec<f32>, String> {
    let top = (levels - 1) as f64;
    let at = |i: usize| format!("sample {}, value {}", i / dim, i % dim);
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| match scale {
            Scale::Levels if v.fract() != 0.0 => Err(format!(
                "{}: {v} is not an integer level (levels are 0..{top}; floats in [0, 1] take --scale unit)",
                at(i)
            )),
            Scale::Levels if !(0.0..=top).contains(&v) => Err(format!(
                "{}: {v} is outside the levels 0..{top}",
                at(i)
            )),
            Scale::Unit if !(0.0..=1.0).contains(&v) => Err(format!(
                "{}: {v} is outside [0, 1] (integer levels take --scale levels)",
                at(i)
            )),
            Scale::Levels => Ok(v as f32),
            Scale::Unit => Ok((v * top).round() as f32),
        })
        .collect()
}

fn check_labels(values: &[f64], classes: usize) -> Result<Vec<usize>, String> {
    if classes == 0 {
        return Err("labels given, but the dataset has no classes".into());
    }
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            if v.fract() == 0.0 && v >= 0.0 && v < classes as f64 {
                Ok(v as usize)
            } else {
                Err(format!("label {i}: {v} is not a class 0..{}", classes - 1))
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;

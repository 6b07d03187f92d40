//! [`FeatureSet`]: `n` samples of `d` features, the input of every metric in this crate.

use anyhow::{Context, bail};
use std::path::Path;

/// `rows` samples of `dim` features, row-major: sample `i` is `values[i*dim .. (i+1)*dim]`.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureSet {
    /// Number of samples `n`.
    pub rows: usize,
    /// Features per sample `d`.
    pub dim: usize,
    /// The `n · d` values, row-major.
    pub values: Vec<f64>,
}

impl FeatureSet {
    /// A set from row-major `values`; panics unless `dim > 0` and `dim` divides `values.len()`.
    pub fn new(values: Vec<f64>, dim: usize) -> Self {
        assert!(dim > 0, "feature dimension must be positive");
        assert!(
            values.len().is_multiple_of(dim),
            "{} values do not form rows of {dim} features",
            values.len()
        );
        Self {
            rows: values.len() / dim,
            dim,
            values,
        }
    }

    /// A set from row-major `f32` values (model outputs, the `x` of a `Batch`).
    pub fn from_f32(values: &[f32], dim: usize) -> Self {
        Self::new(values.iter().map(|&v| v as f64).collect(), dim)
    }

    /// A set of 2-D points.
    pub fn from_points2(points: &[[f64; 2]]) -> Self {
        Self::new(points.iter().flatten().copied().collect(), 2)
    }

    /// Sample `i` as a slice of `dim` features.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }

    /// The samples at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> FeatureSet {
        let mut values = Vec::with_capacity(indices.len() * self.dim);
        for &i in indices {
            values.extend_from_slice(self.row(i));
        }
        FeatureSet {
            rows: indices.len(),
            dim: self.dim,
            values,
        }
    }

    /// Whether every value is finite.
    pub fn is_finite(&self) -> bool {
        self.values.iter().all(|v| v.is_finite())
    }

    /// Read a comma-separated file: one sample per line, one feature per column.
    ///
    /// The first line is taken as a header when it does not parse as numbers. Blank lines are
    /// skipped. A row with a different number of columns than the first, or a value that is not
    /// a number, is an error that names the file and the 1-based line.
    pub fn read_csv(path: impl AsRef<Path>) -> anyhow::Result<Self> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut dim = 0;
        let mut values = Vec::new();
        let mut first = true;
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let parsed: Result<Vec<f64>, _> = line
                .split(',')
                .map(|field| field.trim().parse::<f64>())
                .collect();
            let row = match parsed {
                Ok(row) => row,
                Err(_) if first => {
                    first = false;
                    continue;
                }
                Err(e) => bail!(
                    "{}:{}: not a row of numbers ({e}): `{line}`",
                    path.display(),
                    index + 1
                ),
            };
            first = false;
            if dim == 0 {
                dim = row.len();
            } else if row.len() != dim {
                bail!(
                    "{}:{}: {} columns, expected {dim} like the first data row",
                    path.display(),
                    index + 1,
                    row.len()
                );
            }
            values.extend(row);
        }
        if dim == 0 {
            bail!("{}: no data rows", path.display());
        }
        Ok(Self::new(values, dim))
    }
}

//! What an example is ([`DataSpec`]) and a set of examples on the host ([`Batch`]).

use crate::{hash, host};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// The shape and value set of one example, shared by every family built on a dataset.
///
/// Images keep their discrete levels: a value is an integer `k` in `0..levels` stored as f32,
/// and every likelihood is the NLL of those discrete values. Vectors (2-D densities) are
/// continuous (`levels == None`) and their likelihood is a density in nats.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataSpec {
    /// Dataset name, e.g. `digits` or `8gaussians`.
    pub name: String,
    /// Shape of one example: `[d]` for vectors, `[channels, height, width]` for images.
    pub shape: Vec<usize>,
    /// `Some(L)`: every value is an integer level `0..L`; `None`: continuous values.
    pub levels: Option<u32>,
    /// Number of classes of the label (0 when the data has no labels).
    pub num_classes: usize,
}

impl DataSpec {
    /// The spec of data `name` with examples of `shape`, `levels` levels (`None`: continuous) and
    /// `num_classes` classes.
    pub fn new(name: &str, shape: Vec<usize>, levels: Option<u32>, num_classes: usize) -> Self {
        Self {
            name: name.to_string(),
            shape,
            levels,
            num_classes,
        }
    }

    /// Number of values in one example: D, the "dim" of bits/dim.
    pub fn dim(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether an example is an image `[C, H, W]`.
    pub fn is_image(&self) -> bool {
        self.shape.len() == 3
    }

    /// `[C, H, W]` of an image; panics for vectors.
    pub fn image_shape(&self) -> [usize; 3] {
        assert!(self.is_image(), "{} is not an image dataset", self.name);
        [self.shape[0], self.shape[1], self.shape[2]]
    }

    /// Whether the values are discrete levels (so likelihoods are reported in bits/dim).
    pub fn is_discrete(&self) -> bool {
        self.levels.is_some()
    }
}

/// `n` examples, row-major, on the host: `x` is `[n, dim]`, `labels` is `[n]` or empty.
///
/// Models convert a batch to tensors on their own device ([`Batch::to_tensor`]); samples come
/// back as a `Batch` in the same value space as the data (levels for images).
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// The values, row-major `[n, dim]`.
    pub x: Vec<f32>,
    /// One label per example, or empty when the data has none.
    pub labels: Vec<usize>,
    /// Values per example.
    pub dim: usize,
}

impl Batch {
    /// FNV-1a (64 bit) over the bytes of every value (f32 bits, little-endian), then every
    /// label (u64, little-endian), then the dimension: equal exactly when the data is.
    pub fn checksum(&self) -> u64 {
        let bytes = self
            .x
            .iter()
            .flat_map(|v| v.to_bits().to_le_bytes())
            .chain(self.labels.iter().flat_map(|&l| (l as u64).to_le_bytes()))
            .chain((self.dim as u64).to_le_bytes());
        hash::fnv1a(bytes)
    }

    /// A batch of `x` (`[n, dim]`, row-major) and `labels` (`[n]` or empty); panics when the sizes
    /// disagree.
    pub fn new(x: Vec<f32>, labels: Vec<usize>, dim: usize) -> Self {
        assert!(
            dim > 0 && x.len().is_multiple_of(dim),
            "batch of {} values is not a multiple of dim {dim}",
            x.len()
        );
        assert!(
            labels.is_empty() || labels.len() == x.len() / dim,
            "labels do not match rows"
        );
        Self { x, labels, dim }
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.x.len() / self.dim
    }

    /// Whether the batch has no examples.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Row `i` as a slice of `dim` values.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.x[i * self.dim..(i + 1) * self.dim]
    }

    /// Whether labels are present.
    pub fn has_labels(&self) -> bool {
        !self.labels.is_empty()
    }

    /// The examples at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Batch {
        let mut x = Vec::with_capacity(indices.len() * self.dim);
        for &i in indices {
            x.extend_from_slice(self.row(i));
        }
        let labels = if self.has_labels() {
            indices.iter().map(|&i| self.labels[i]).collect()
        } else {
            Vec::new()
        };
        Batch {
            x,
            labels,
            dim: self.dim,
        }
    }

    /// The first `n` examples (all if `n >= len`).
    pub fn head(&self, n: usize) -> Batch {
        let n = n.min(self.len());
        self.select(&(0..n).collect::<Vec<_>>())
    }

    /// The values as a `[n, dim]` tensor on `device`.
    pub fn to_tensor(&self, device: &Device) -> Tensor<2> {
        host::tensor(self.x.clone(), [self.len(), self.dim], device)
    }

    /// The labels as an `[n]` integer tensor on `device`; panics if there are none.
    pub fn labels_tensor(&self, device: &Device) -> Tensor<1, Int> {
        assert!(self.has_labels(), "batch has no labels");
        host::class_ids(&self.labels, device)
    }

    /// A batch from a `[n, dim]` tensor (labels attached as given).
    pub fn from_tensor(t: Tensor<2>, labels: Vec<usize>) -> Batch {
        let [_, dim] = t.dims();
        Batch::new(host::floats(t), labels, dim)
    }
}

//! One interface over MADE and PixelCNN: the parameters of every conditional, or of one.

use crate::made::Made;
use crate::pixelcnn::PixelCnn;
use burn::module::Module;
use burn::prelude::*;
use genbench_core::{checkpoint, host};

/// The label in the forms the two networks take it.
#[derive(Clone, Debug)]
pub struct Condition {
    /// `[batch, classes]` one-hot (MADE).
    pub one_hot: Tensor<2>,
    /// `[batch]` class ids (PixelCNN's embeddings).
    pub ids: Tensor<1, Int>,
}

impl Condition {
    /// The condition of `labels` with `classes` classes, on `device`.
    pub fn new(labels: &[usize], classes: usize, device: &Device) -> Condition {
        Condition {
            one_hot: host::one_hot(labels, classes, device),
            ids: host::class_ids(labels, device),
        }
    }
}

// One network per model, built once: the variants' sizes do not matter.
/// The network behind the conditionals: a MADE or a PixelCNN.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Net {
    /// A MADE (vectors, or flattened images).
    Made(Made),
    /// A PixelCNN on `[1, height, width]` images.
    PixelCnn {
        /// The network.
        net: PixelCnn,
        /// Image height H.
        height: usize,
        /// Image width W.
        width: usize,
        /// Sample each pixel on the crop of its receptive field (see `config.crop`).
        crop: bool,
    },
}

impl Net {
    /// The same network without autodiff (for scoring and sampling on the plain device).
    pub fn valid(&self) -> Net {
        match self {
            Net::Made(m) => Net::Made(m.valid()),
            Net::PixelCnn {
                net,
                height,
                width,
                crop,
            } => Net::PixelCnn {
                net: net.valid(),
                height: *height,
                width: *width,
                crop: *crop,
            },
        }
    }

    /// The number of trainable values.
    pub fn num_params(&self) -> usize {
        match self {
            Net::Made(m) => m.num_params(),
            Net::PixelCnn { net, .. } => net.num_params(),
        }
    }

    /// Parameters of every conditional, `[batch, D, per_dim]`, from the encoded inputs `[batch, D]`.
    pub fn params(&self, x: Tensor<2>, cond: Option<&Condition>) -> Tensor<3> {
        match self {
            Net::Made(m) => m.forward(x, cond.map(|c| &c.one_hot)), // [batch, D, per_dim]
            Net::PixelCnn {
                net, height, width, ..
            } => {
                let [n, d] = x.dims();
                let logits = net.forward(x.reshape([n, 1, *height, *width]), cond.map(|c| &c.ids)); // [batch, L, H, W]
                let [_, l, _, _] = logits.dims();
                logits.reshape([n, l, d]).swap_dims(1, 2) // [batch, D, L]
            }
        }
    }

    /// Parameters of dimension `pos`'s conditional only, `[batch, per_dim]` (one sampling pass).
    pub fn params_at(&self, x: Tensor<2>, cond: Option<&Condition>, pos: usize) -> Tensor<2> {
        match self {
            Net::Made(m) => m.forward_dim(x, cond.map(|c| &c.one_hot), pos), // [batch, per_dim]
            Net::PixelCnn {
                net,
                height,
                width,
                crop,
            } => {
                let [n, d] = x.dims();
                let image = x.reshape([n, 1, *height, *width]); // [batch, 1, H, W]
                let (r, c) = (pos / width, pos % width);
                if *crop {
                    net.forward_pixel(image, cond.map(|c| &c.ids), r, c) // [batch, L]
                } else {
                    let all = self.params(image.reshape([n, d]), cond); // [batch, D, L]
                    let [_, _, l] = all.dims();
                    all.slice([0..n, pos..pos + 1, 0..l]).reshape([n, l]) // [batch, L]
                }
            }
        }
    }

    /// Save the weights to `path`.
    pub fn save(&self, path: &std::path::Path) -> anyhow::Result<()> {
        match self {
            Net::Made(m) => checkpoint::save_module(m, path),
            Net::PixelCnn { net, .. } => checkpoint::save_module(net, path),
        }
    }

    /// These networks with the weights saved at `path`.
    pub fn load(self, path: &std::path::Path) -> anyhow::Result<Net> {
        Ok(match self {
            Net::Made(m) => Net::Made(checkpoint::load_module(m, path)?),
            Net::PixelCnn {
                net,
                height,
                width,
                crop,
            } => Net::PixelCnn {
                net: checkpoint::load_module(net, path)?,
                height,
                width,
                crop,
            },
        })
    }
}

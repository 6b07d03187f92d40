//! The connectivity patterns that make a network autoregressive, built on the host.
//!
//! MADE (Germain et al. 2015): every unit gets a degree. Input d has degree m0(d) = its position
//! in the ordering (1..=D); a hidden unit k of layer l gets m_l(k) in [min m_{l-1}, D-1]. A hidden
//! weight from unit j to unit k is kept iff m_l(k) >= m_{l-1}(j); an output weight from hidden
//! unit k to output d is kept iff m0(d) > m_L(k). Output d then depends only on inputs whose
//! position precedes d's.
//!
//! PixelCNN (van den Oord et al. 2016): a k x k kernel with centre (c, c) sees rows above the
//! centre and the pixels left of it in the centre row; mask A (first layer) also hides the
//! centre, mask B (later layers) keeps it.

use genbench_core::seed::Rng;

/// How MADE orders the dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ordering {
    /// x_1, x_2, ..., x_D (raster order for images).
    Natural,
    /// A permutation drawn from the config's `mask_seed`.
    Random,
}

/// The degrees of every layer of a MADE: `input[d]` in 1..=D and one vector per hidden layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Degrees {
    /// Degree of each input, in 1..=D: its position in the ordering.
    pub input: Vec<usize>,
    /// Degrees of each hidden layer's units.
    pub hidden: Vec<Vec<usize>>,
}

impl Degrees {
    /// Degrees for `dim` inputs and hidden layers of widths `hidden`; the order and the hidden
    /// degrees (uniform on [min of the previous layer, D-1], as in the paper) come from `seed`.
    pub fn new(dim: usize, hidden: &[usize], ordering: Ordering, seed: u64) -> Degrees {
        assert!(
            dim >= 2,
            "an autoregressive model needs at least 2 dimensions"
        );
        let mut rng = Rng::new(seed);
        let input: Vec<usize> = match ordering {
            Ordering::Natural => (1..=dim).collect(),
            Ordering::Random => {
                // position of dimension d in a random order
                let perm = rng.permutation(dim);
                let mut pos = vec![0; dim];
                for (p, &d) in perm.iter().enumerate() {
                    pos[d] = p + 1;
                }
                pos
            }
        };
        let mut prev_min = 1;
        let hidden = hidden
            .iter()
            .map(|&width| {
                let layer: Vec<usize> = (0..width)
                    .map(|_| prev_min + rng.below(dim - prev_min))
                    .collect();
                prev_min = layer.iter().copied().min().unwrap_or(1);
                layer
            })
            .collect();
        Degrees { input, hidden }
    }

    /// The dimensions in the order the model generates them.
    pub fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.input.len()).collect();
        order.sort_by_key(|&d| self.input[d]);
        order
    }

    /// Mask of hidden layer `l` in burn's `[in, out]` layout, row-major: 1 iff m_l(out) >= m_{l-1}(in).
    pub fn hidden_mask(&self, l: usize) -> (Vec<f32>, [usize; 2]) {
        let prev = if l == 0 {
            &self.input
        } else {
            &self.hidden[l - 1]
        };
        let cur = &self.hidden[l];
        let mask = prev
            .iter()
            .flat_map(|&a| cur.iter().map(move |&b| if b >= a { 1.0 } else { 0.0 }))
            .collect();
        (mask, [prev.len(), cur.len()])
    }

    /// Mask of the output layer, `[last hidden, D * per_dim]`: column `d * per_dim + p` is output
    /// `p` of dimension d, kept iff m0(d) > m_L(in).
    pub fn output_mask(&self, per_dim: usize) -> (Vec<f32>, [usize; 2]) {
        let last = self.hidden.last().unwrap_or(&self.input);
        let mut mask = Vec::with_capacity(last.len() * self.input.len() * per_dim);
        for &a in last {
            for &d in &self.input {
                mask.extend(std::iter::repeat_n(if d > a { 1.0 } else { 0.0 }, per_dim));
            }
        }
        (mask, [last.len(), self.input.len() * per_dim])
    }
}

/// Which PixelCNN mask: A hides the centre pixel (first layer), B keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvMask {
    /// Mask A: the centre pixel hidden (the first layer).
    A,
    /// Mask B: the centre pixel kept (every later layer).
    B,
}

/// A `[out, in, k, k]` mask, row-major, for a single-channel-image PixelCNN: 1 above the
/// centre row, and left of (A) or up to and including (B) the centre in the centre row.
pub fn conv_mask(
    kind: ConvMask,
    channels_out: usize,
    channels_in: usize,
    kernel: usize,
) -> (Vec<f32>, [usize; 4]) {
    let c = kernel / 2;
    let tap: Vec<f32> = (0..kernel * kernel)
        .map(|i| {
            let (y, x) = (i / kernel, i % kernel);
            let keep = y < c || (y == c && (x < c || (x == c && kind == ConvMask::B)));
            if keep { 1.0 } else { 0.0 }
        })
        .collect();
    let mask = std::iter::repeat_n(tap, channels_out * channels_in)
        .flatten()
        .collect();
    (mask, [channels_out, channels_in, kernel, kernel])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_masks_connect_output_d_only_to_earlier_inputs() {
        let deg = Degrees::new(5, &[16, 16], Ordering::Random, 3);
        // Compose the masks as boolean matrices: reach[in][out] of the whole network.
        let (m0, [i0, o0]) = deg.hidden_mask(0);
        let (m1, [_, o1]) = deg.hidden_mask(1);
        let (m2, [_, o2]) = deg.output_mask(2);
        let compose = |a: &[f32], b: &[f32], n: usize, k: usize, m: usize| -> Vec<f32> {
            let mut c = vec![0.0; n * m];
            for i in 0..n {
                for j in 0..k {
                    for l in 0..m {
                        c[i * m + l] += a[i * k + j] * b[j * m + l];
                    }
                }
            }
            c
        };
        let r = compose(&compose(&m0, &m1, i0, o0, o1), &m2, i0, o1, o2);
        for i in 0..5 {
            for d in 0..5 {
                for p in 0..2 {
                    let connected = r[i * o2 + d * 2 + p] > 0.0;
                    assert!(
                        !connected || deg.input[i] < deg.input[d],
                        "input {i} reaches output {d}"
                    );
                }
            }
        }
        let order = deg.order();
        assert_eq!(deg.input[order[0]], 1);
    }

    #[test]
    fn mask_a_hides_the_centre_and_b_keeps_it() {
        let (a, _) = conv_mask(ConvMask::A, 1, 1, 3);
        let (b, _) = conv_mask(ConvMask::B, 1, 1, 3);
        assert_eq!(a, vec![1., 1., 1., 1., 0., 0., 0., 0., 0.]);
        assert_eq!(b, vec![1., 1., 1., 1., 1., 0., 0., 0., 0.]);
    }
}

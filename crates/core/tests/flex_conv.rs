//! conv2d and its gradients on flex, as patched in vendor/burn-flex (vendor/PATCHES.md, patch 3:
//! the weight and the input gradient as im2col and gemm; patch 5: the forward pass's layout
//! work), through burn's public API and autodiff: equal to direct f64 loops of their definitions
//! within f32 rounding, and the same bits in rayon pools of 1, 2 and 3 threads.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use burn::prelude::*;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use genbench_core::DeviceChoice;

/// A conv2d: x `[batch, c_in, h, w]`, weight `[c_out, c_in / groups, k0, k1]`.
#[derive(Clone, Copy, Debug)]
struct Conv {
    x: [usize; 4],
    c_out: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [(usize, usize); 2],
    dilation: [usize; 2],
    groups: usize,
}

impl Conv {
    /// Square kernel, stride, symmetric padding and dilation, one group.
    const fn square(x: [usize; 4], c_out: usize, k: usize, s: usize, p: usize, d: usize) -> Self {
        Self {
            x,
            c_out,
            kernel: [k, k],
            stride: [s, s],
            padding: [(p, p), (p, p)],
            dilation: [d, d],
            groups: 1,
        }
    }

    fn options(&self) -> ConvOptions<2> {
        ConvOptions::new_with_padding(self.stride, self.padding, self.dilation, self.groups)
    }

    fn weight(&self) -> [usize; 4] {
        [
            self.c_out,
            self.x[1] / self.groups,
            self.kernel[0],
            self.kernel[1],
        ]
    }

    fn out(&self) -> [usize; 4] {
        let size = |a: usize| {
            let (begin, end) = self.padding[a];
            (self.x[a + 2] + begin + end - self.dilation[a] * (self.kernel[a] - 1) - 1)
                / self.stride[a]
                + 1
        };
        [self.x[0], self.c_out, size(0), size(1)]
    }
}

/// PixelCNN's first conv (7x7, padding 3, 1 -> 16 channels), 1x1, 3x3, 5x5 with stride 2,
/// dilation 2, asymmetric padding, groups, batch 1 to 64, non-square images.
fn convs() -> Vec<Conv> {
    let mut asymmetric = Conv::square([7, 3, 9, 6], 4, 3, 2, 0, 1);
    asymmetric.padding = [(2, 0), (1, 3)];
    let mut grouped = Conv::square([7, 4, 8, 7], 6, 3, 1, 1, 1);
    grouped.groups = 2;
    // the input gradient's chunks: 8 images, then 1 (whose columns reuse the first's buffer)
    let mut grouped_two_chunks = Conv::square([9, 4, 8, 8], 6, 3, 1, 1, 1);
    grouped_two_chunks.groups = 2;
    vec![
        Conv::square([7, 1, 8, 8], 16, 7, 1, 3, 1),
        Conv::square([7, 3, 6, 5], 5, 1, 1, 0, 1),
        Conv::square([1, 16, 8, 8], 32, 3, 1, 1, 1),
        Conv::square([7, 2, 11, 9], 3, 5, 2, 2, 1),
        Conv::square([7, 3, 10, 8], 2, 3, 1, 2, 2),
        Conv::square([64, 8, 8, 8], 8, 3, 1, 1, 1),
        // 900 output positions: two of the forward pass's 512-position tiles, padded at the
        // border, one batch element (tiles in parallel) and three (tiles in turn in one buffer)
        Conv::square([1, 4, 30, 30], 8, 3, 1, 1, 1),
        Conv::square([3, 4, 30, 30], 8, 3, 1, 1, 1),
        // the U-Net's downsampling conv at 28x28
        Conv::square([2, 8, 28, 28], 16, 3, 2, 1, 1),
        asymmetric,
        grouped,
        grouped_two_chunks,
    ]
}

/// Deterministic values in [-1, 1]: a multiplicative hash of the index, modulo a prime.
fn values(n: usize, seed: u64) -> Vec<f32> {
    (0..n as u64)
        .map(|k| ((k * 2_654_435_761 + seed * 40_503) % 4093) as f32 / 2046.0 - 1.0)
        .collect()
}

fn numel(shape: [usize; 4]) -> usize {
    shape.iter().product()
}

fn read(t: Tensor<4>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap()
}

/// conv2d(x, W) + bias on flex (no autodiff).
fn flex_forward(conv: &Conv) -> Vec<f32> {
    let device = DeviceChoice::Flex.device().unwrap();
    let tensor = |shape: [usize; 4], seed| {
        Tensor::<4>::from_data(TensorData::new(values(numel(shape), seed), shape), &device)
    };
    let bias = Tensor::<1>::from_data(
        TensorData::new(values(conv.c_out, 4), [conv.c_out]),
        &device,
    );
    let y = conv2d(
        tensor(conv.x, 1),
        tensor(conv.weight(), 2),
        Some(bias),
        conv.options(),
    );
    assert_eq!(y.dims(), conv.out());
    read(y)
}

/// Every product of the convolution's sums: (output index, x index, weight index), NCHW and
/// `[c_out, c_in / groups, kh, kw]` row-major, by the definition
/// `y[b,co,oh,ow] = Σ_{c,i,j} x[b, g·c_group + c, oh·s + i·d − p, ow·s + j·d − p] · W[co,c,i,j]`.
fn taps(conv: &Conv) -> Vec<(usize, usize, usize)> {
    let [batch, c_in, h, w_in] = conv.x;
    let [c_out, c_group, kh, kw] = conv.weight();
    let [_, _, out_h, out_w] = conv.out();
    let out_group = c_out / conv.groups;
    let mut taps = Vec::new();
    for b in 0..batch {
        for co in 0..c_out {
            for oh in 0..out_h {
                for ow in 0..out_w {
                    let yi = ((b * c_out + co) * out_h + oh) * out_w + ow;
                    for c in 0..c_group {
                        let ci = co / out_group * c_group + c;
                        for i in 0..kh {
                            for j in 0..kw {
                                let ih = (oh * conv.stride[0] + i * conv.dilation[0])
                                    .checked_sub(conv.padding[0].0)
                                    .filter(|&v| v < h);
                                let iw = (ow * conv.stride[1] + j * conv.dilation[1])
                                    .checked_sub(conv.padding[1].0)
                                    .filter(|&v| v < w_in);
                                if let (Some(ih), Some(iw)) = (ih, iw) {
                                    let xi = ((b * c_in + ci) * h + ih) * w_in + iw;
                                    let wi = ((co * c_group + c) * kh + i) * kw + j;
                                    taps.push((yi, xi, wi));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    taps
}

/// conv2d(x, W) + bias by a direct f64 loop, with the sum of the |terms| of each output.
fn direct_forward(conv: &Conv) -> [Vec<f64>; 2] {
    let (x, w, bias) = (
        values(numel(conv.x), 1),
        values(numel(conv.weight()), 2),
        values(conv.c_out, 4),
    );
    let plane = numel(conv.out()) / (conv.x[0] * conv.c_out);
    let mut y: Vec<f64> = (0..numel(conv.out()))
        .map(|k| f64::from(bias[k / plane % conv.c_out]))
        .collect();
    let mut y_abs: Vec<f64> = y.iter().map(|v| v.abs()).collect();
    for (yi, xi, wi) in taps(conv) {
        let term = f64::from(x[xi]) * f64::from(w[wi]);
        y[yi] += term;
        y_abs[yi] += term.abs();
    }
    [y, y_abs]
}

#[test]
fn conv2d_equals_a_direct_loop() {
    for conv in convs() {
        let y = flex_forward(&conv);
        let [exact, abs] = direct_forward(&conv);
        assert_eq!(y.len(), exact.len());
        for (k, ((&a, &e), &s)) in y.iter().zip(&exact).zip(&abs).enumerate() {
            // f32 accumulation: within 1e-5 of the sum of |terms|, as the gradients below.
            assert!(
                (f64::from(a) - e).abs() <= 1e-5 * s,
                "y[{k}] = {a}, direct loop {e} (sum |terms| {s}), {conv:?}"
            );
        }
    }
}

/// (dL/dx, dL/dW) of L = Σ conv2d(x, W) ⊙ G, by flex's autodiff.
fn flex_grads(conv: &Conv) -> (Vec<f32>, Vec<f32>) {
    let device = DeviceChoice::Flex.device().unwrap().autodiff();
    let tensor = |shape: [usize; 4], seed| {
        Tensor::<4>::from_data(TensorData::new(values(numel(shape), seed), shape), &device)
    };
    let x = tensor(conv.x, 1).require_grad();
    let w = tensor(conv.weight(), 2).require_grad();
    let g = tensor(conv.out(), 3);
    let y = conv2d(x.clone(), w.clone(), None, conv.options());
    assert_eq!(y.dims(), conv.out());
    let grads = (y * g).sum().backward();
    (read(x.grad(&grads).unwrap()), read(w.grad(&grads).unwrap()))
}

/// The same gradients by direct f64 loops, each with the sum of the |terms| it adds.
fn direct_grads(conv: &Conv) -> [Vec<f64>; 4] {
    let (x, w, g) = (
        values(numel(conv.x), 1),
        values(numel(conv.weight()), 2),
        values(numel(conv.out()), 3),
    );
    let (mut dx, mut dx_abs) = (vec![0.0; x.len()], vec![0.0; x.len()]);
    let (mut dw, mut dw_abs) = (vec![0.0; w.len()], vec![0.0; w.len()]);
    for (yi, xi, wi) in taps(conv) {
        let gv = f64::from(g[yi]);
        let (dx_term, dw_term) = (gv * f64::from(w[wi]), gv * f64::from(x[xi]));
        dx[xi] += dx_term;
        dx_abs[xi] += dx_term.abs();
        dw[wi] += dw_term;
        dw_abs[wi] += dw_term.abs();
    }
    [dx, dx_abs, dw, dw_abs]
}

#[test]
fn conv2d_gradients_equal_direct_loops() {
    for conv in convs() {
        let (dx, dw) = flex_grads(&conv);
        let [dx_ref, dx_abs, dw_ref, dw_abs] = direct_grads(&conv);
        for (name, got, exact, abs) in
            [("dx", &dx, &dx_ref, &dx_abs), ("dW", &dw, &dw_ref, &dw_abs)]
        {
            assert_eq!(got.len(), exact.len());
            for (k, ((&a, &e), &s)) in got.iter().zip(exact).zip(abs).enumerate() {
                // f32 accumulation: within 1e-5 of the sum of |terms| (f32's unit roundoff is 6e-8).
                assert!(
                    (f64::from(a) - e).abs() <= 1e-5 * s,
                    "{name}[{k}] = {a}, direct loop {e} (sum |terms| {s}), {conv:?}"
                );
            }
            assert!(got.iter().any(|&v| v != 0.0), "{name} all zero, {conv:?}");
        }
    }
}

/// Every conv's (y, dx, dW) bit patterns, in a rayon pool of `threads` threads.
fn bits_in_pool(threads: usize) -> Vec<Vec<u32>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        convs()
            .iter()
            .flat_map(|conv| {
                let (dx, dw) = flex_grads(conv);
                [flex_forward(conv), dx, dw]
                    .map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
            })
            .collect()
    })
}

#[test]
fn conv2d_and_its_gradients_are_the_same_bits_in_pools_of_1_2_3_threads() {
    let one = bits_in_pool(1);
    for threads in [2, 3] {
        assert!(bits_in_pool(threads) == one, "{threads} threads vs 1");
    }
}

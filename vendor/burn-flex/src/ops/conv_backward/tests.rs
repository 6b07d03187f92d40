//! The im2col + gemm gradients of conv2d against direct f64 loops of their definitions:
//! `dW[co, c, i, j] = Σ_{b, oh, ow} G[b, co, oh, ow] · x[b, g·C_g + c, oh·s + i·d − p, ow·s + j·d − p]`
//! and `dx[b, ci, ih, iw] = Σ G[b, co, oh, ow] · W[co, c, i, j]` over the same index tuples.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::TensorData;
use burn_backend::ops::{ConvOptions, ModuleOps};
use burn_std::{bf16, f16};

use crate::{Flex, FlexTensor};

/// One conv2d: batch, channels in and out, input height and width, kernel, stride,
/// (begin, end) padding per axis, dilation, groups.
#[derive(Clone, Copy, Debug)]
struct Case {
    batch: usize,
    c_in: usize,
    c_out: usize,
    h: usize,
    w: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [(usize, usize); 2],
    dilation: [usize; 2],
    groups: usize,
}

impl Case {
    #[allow(clippy::too_many_arguments)]
    const fn new(
        batch: usize,
        c_in: usize,
        c_out: usize,
        h: usize,
        w: usize,
        k: usize,
        stride: usize,
        pad: usize,
        dilation: usize,
    ) -> Self {
        Self {
            batch,
            c_in,
            c_out,
            h,
            w,
            kernel: [k, k],
            stride: [stride, stride],
            padding: [(pad, pad), (pad, pad)],
            dilation: [dilation, dilation],
            groups: 1,
        }
    }

    fn options(&self) -> ConvOptions<2> {
        ConvOptions::new_with_padding(self.stride, self.padding, self.dilation, self.groups)
    }

    fn out(&self, axis: usize) -> usize {
        let input = [self.h, self.w][axis];
        let (begin, end) = self.padding[axis];
        (input + begin + end - self.dilation[axis] * (self.kernel[axis] - 1) - 1)
            / self.stride[axis]
            + 1
    }

    fn x_shape(&self) -> [usize; 4] {
        [self.batch, self.c_in, self.h, self.w]
    }

    fn w_shape(&self) -> [usize; 4] {
        [
            self.c_out,
            self.c_in / self.groups,
            self.kernel[0],
            self.kernel[1],
        ]
    }

    fn g_shape(&self) -> [usize; 4] {
        [self.batch, self.c_out, self.out(0), self.out(1)]
    }
}

/// The shapes under test: kernels 1, 3, 5, 7; strides 1, 2; padding 0–3 and asymmetric;
/// dilation 1, 2; batch 1 and 7 and batches spanning several chunks; groups 1, 2, 3.
fn cases() -> Vec<Case> {
    let mut cases = vec![
        Case::new(2, 3, 4, 5, 4, 1, 1, 0, 1),
        Case::new(3, 3, 2, 7, 6, 1, 2, 0, 1),
        Case::new(7, 3, 5, 8, 6, 3, 1, 1, 1),
        Case::new(1, 2, 3, 9, 11, 5, 2, 2, 1),
        Case::new(7, 1, 16, 8, 8, 7, 1, 3, 1),
        Case::new(3, 4, 2, 10, 7, 3, 1, 2, 2),
        Case::new(7, 2, 3, 8, 8, 3, 2, 0, 1),
        Case::new(1, 3, 4, 12, 9, 5, 2, 3, 2),
        Case::new(20, 5, 6, 8, 8, 3, 1, 1, 1),
        Case::new(3, 2, 3, 24, 24, 3, 1, 1, 1),
        Case::new(40, 2, 3, 4, 4, 3, 1, 1, 1),
        Case::new(1, 2, 2, 3, 3, 5, 1, 2, 1),
    ];
    let mut asymmetric = Case::new(2, 3, 4, 7, 9, 3, 1, 0, 1);
    asymmetric.padding = [(0, 2), (2, 1)];
    let mut asymmetric_strided = Case::new(7, 2, 3, 8, 5, 3, 2, 0, 1);
    asymmetric_strided.padding = [(1, 0), (0, 3)];
    asymmetric_strided.dilation = [2, 1];
    let mut grouped = Case::new(7, 4, 6, 6, 5, 3, 1, 1, 1);
    grouped.groups = 2;
    let mut grouped_strided = Case::new(2, 6, 3, 9, 8, 3, 2, 2, 2);
    grouped_strided.groups = 3;
    cases.extend([asymmetric, asymmetric_strided, grouped, grouped_strided]);
    cases
}

/// Deterministic values in (-1, 1).
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

/// The case's x, weight and output gradient.
fn inputs(case: &Case) -> [Vec<f64>; 3] {
    let len = |s: [usize; 4]| s.iter().product();
    [
        values(len(case.x_shape()), 1),
        values(len(case.w_shape()), 2),
        values(len(case.g_shape()), 3),
    ]
}

/// Direct f64 loops: (dW, Σ|terms| of dW, dx, Σ|terms| of dx).
fn reference(case: &Case, x: &[f64], w: &[f64], g: &[f64]) -> [Vec<f64>; 4] {
    let [_, c_group, kh, kw] = case.w_shape();
    let [batch, c_out, out_h, out_w] = case.g_shape();
    let out_group = c_out / case.groups;
    let mut dw = vec![0.0; w.len()];
    let mut dw_abs = vec![0.0; w.len()];
    let mut dx = vec![0.0; x.len()];
    let mut dx_abs = vec![0.0; x.len()];
    for b in 0..batch {
        for co in 0..c_out {
            let group = co / out_group;
            for oh in 0..out_h {
                for ow in 0..out_w {
                    let gv = g[((b * c_out + co) * out_h + oh) * out_w + ow];
                    for c in 0..c_group {
                        let ci = group * c_group + c;
                        for i in 0..kh {
                            let ih = (oh * case.stride[0] + i * case.dilation[0]) as isize
                                - case.padding[0].0 as isize;
                            for j in 0..kw {
                                let iw = (ow * case.stride[1] + j * case.dilation[1]) as isize
                                    - case.padding[1].0 as isize;
                                if ih < 0
                                    || iw < 0
                                    || ih >= case.h as isize
                                    || iw >= case.w as isize
                                {
                                    continue;
                                }
                                let xi = ((b * case.c_in + ci) * case.h + ih as usize) * case.w
                                    + iw as usize;
                                let wi = ((co * c_group + c) * kh + i) * kw + j;
                                dw[wi] += gv * x[xi];
                                dw_abs[wi] += (gv * x[xi]).abs();
                                dx[xi] += gv * w[wi];
                                dx_abs[xi] += (gv * w[wi]).abs();
                            }
                        }
                    }
                }
            }
        }
    }
    [dw, dw_abs, dx, dx_abs]
}

fn tensor_f32(v: &[f64], shape: [usize; 4]) -> FlexTensor {
    let v: Vec<f32> = v.iter().map(|&a| a as f32).collect();
    FlexTensor::from_data(TensorData::new(v, shape.to_vec()))
}

fn tensor_f64(v: &[f64], shape: [usize; 4]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(v.to_vec(), shape.to_vec()))
}

fn read(t: FlexTensor) -> Vec<f64> {
    t.into_data().convert::<f64>().try_to_vec::<f64>().unwrap()
}

/// (dW, dx) of the case through Flex's ModuleOps, in f32 or f64.
fn flex_grads(case: &Case, f64_path: bool) -> (Vec<f64>, Vec<f64>) {
    let [x, w, g] = inputs(case);
    let make = if f64_path { tensor_f64 } else { tensor_f32 };
    let (xt, wt, gt) = (
        make(&x, case.x_shape()),
        make(&w, case.w_shape()),
        make(&g, case.g_shape()),
    );
    let dw = Flex::conv2d_weight_backward(xt.clone(), wt.clone(), gt.clone(), case.options());
    let dx = Flex::conv2d_x_backward(xt, wt, gt, case.options());
    assert_eq!(dw.layout().shape().to_vec(), case.w_shape().to_vec());
    assert_eq!(dx.layout().shape().to_vec(), case.x_shape().to_vec());
    (read(dw), read(dx))
}

/// |got − expected| ≤ tol · Σ|terms| (+ a floor for a sum of no terms).
fn assert_close(name: &str, case: &Case, got: &[f64], expected: &[f64], abs: &[f64], tol: f64) {
    assert_eq!(got.len(), expected.len(), "{name}: length, {case:?}");
    for (k, ((&a, &e), &s)) in got.iter().zip(expected).zip(abs).enumerate() {
        assert!(
            (a - e).abs() <= tol * s + 1e-30,
            "{name}[{k}] = {a}, expected {e} (Σ|terms| {s}), {case:?}"
        );
    }
}

#[test]
fn f32_gradients_equal_direct_loops() {
    for case in cases() {
        let [x, w, g] = inputs(&case);
        let [dw, dw_abs, dx, dx_abs] = reference(&case, &x, &w, &g);
        // The f32 path sees the inputs rounded to f32; the reference sees them exact. Both
        // effects are within 1e-5 of Σ|terms| (f32's unit roundoff is 6e-8).
        let (got_dw, got_dx) = flex_grads(&case, false);
        assert_close("dW f32", &case, &got_dw, &dw, &dw_abs, 1e-5);
        assert_close("dx f32", &case, &got_dx, &dx, &dx_abs, 1e-5);
        // Some term is non-zero, so a kernel that wrote nothing would fail.
        assert!(got_dw.iter().any(|&v| v != 0.0) && got_dx.iter().any(|&v| v != 0.0));
    }
}

#[test]
fn f64_gradients_equal_direct_loops() {
    for case in cases() {
        let [x, w, g] = inputs(&case);
        let [dw, dw_abs, dx, dx_abs] = reference(&case, &x, &w, &g);
        let (got_dw, got_dx) = flex_grads(&case, true);
        assert_close("dW f64", &case, &got_dw, &dw, &dw_abs, 1e-13);
        assert_close("dx f64", &case, &got_dx, &dx, &dx_abs, 1e-13);
    }
}

/// Input positions no output reads (stride 2 past the last window) get a zero gradient, and the
/// padding of an asymmetric case is not part of dx.
#[test]
fn unread_inputs_get_zero_gradient() {
    // 8 rows, kernel 3, stride 2, no padding: outputs read rows 0..=6, never row 7.
    let case = Case::new(2, 2, 3, 8, 8, 3, 2, 0, 1);
    let (_, dx) = flex_grads(&case, false);
    for b in 0..2 {
        for c in 0..2 {
            let row7 = &dx[((b * 2 + c) * 8 + 7) * 8..][..8];
            assert!(row7.iter().all(|&v| v == 0.0), "{row7:?}");
        }
    }
}

#[test]
fn half_precision_gradients_follow_f32() {
    let case = Case::new(3, 2, 3, 6, 5, 3, 1, 1, 1);
    let [x, w, g] = inputs(&case);
    let [dw, dw_abs, dx, dx_abs] = reference(&case, &x, &w, &g);
    let half = |v: &[f64], s: [usize; 4]| {
        let v: Vec<f16> = v.iter().map(|&a| f16::from_f64(a)).collect();
        FlexTensor::from_data(TensorData::new(v, s.to_vec()))
    };
    let brain = |v: &[f64], s: [usize; 4]| {
        let v: Vec<bf16> = v.iter().map(|&a| bf16::from_f64(a)).collect();
        FlexTensor::from_data(TensorData::new(v, s.to_vec()))
    };
    // Inputs rounded to 11 (f16) or 8 (bf16) significant bits, the result once more.
    for (name, make, tol) in [
        ("f16", half as fn(&[f64], [usize; 4]) -> FlexTensor, 2e-3),
        ("bf16", brain, 2e-2),
    ] {
        let (xt, wt, gt) = (
            make(&x, case.x_shape()),
            make(&w, case.w_shape()),
            make(&g, case.g_shape()),
        );
        let dwt = Flex::conv2d_weight_backward(xt.clone(), wt.clone(), gt.clone(), case.options());
        let dxt = Flex::conv2d_x_backward(xt, wt, gt, case.options());
        assert_eq!(dwt.dtype(), make(&[0.0], [1, 1, 1, 1]).dtype(), "{name}");
        assert_eq!(dxt.dtype(), dwt.dtype(), "{name}");
        assert_close(name, &case, &read(dwt), &dw, &dw_abs, tol);
        assert_close(name, &case, &read(dxt), &dx, &dx_abs, tol);
    }
}

/// Bit patterns of (dW, dx) for every case, computed in a rayon pool of `threads` threads.
#[cfg(feature = "rayon")]
fn bits_in_pool(threads: usize) -> Vec<(Vec<u64>, Vec<u64>)> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
    pool.install(|| {
        cases()
            .iter()
            .map(|case| {
                let (dw, dx) = flex_grads(case, false);
                (bits(dw), bits(dx))
            })
            .collect()
    })
}

#[cfg(feature = "rayon")]
#[test]
fn gradients_are_the_same_bits_for_any_thread_count() {
    let one = bits_in_pool(1);
    for threads in [2, 3] {
        assert!(bits_in_pool(threads) == one, "{threads} threads vs 1");
    }
    assert!(
        bits_in_pool(2) == bits_in_pool(2),
        "repeated calls in one pool size"
    );
}

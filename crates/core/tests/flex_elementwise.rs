//! burn-flex's element-wise kernels, as patched in vendor/burn-flex (vendor/PATCHES.md), give
//! bit for bit what a sequential loop of the same scalar function gives: on sizes above the
//! 32 Ki-element threshold where they split the work over rayon's threads, on transposed and
//! sliced views, through autodiff's backward, and whatever the number of threads.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use burn::prelude::*;
use burn::tensor::activation;
use genbench_core::DeviceChoice;

/// Above the patch's parallel threshold (32 Ki) and not a multiple of any chunk or SIMD width.
const N: usize = 100_003;

/// Deterministic values in (-8, 8).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 16.0 - 8.0
        })
        .collect()
}

/// Bit patterns, every NaN mapped to one (IEEE 754 leaves a computed NaN's payload open).
fn bits(v: &[f32]) -> Vec<u32> {
    v.iter()
        .map(|x| {
            if x.is_nan() {
                f32::NAN.to_bits()
            } else {
                x.to_bits()
            }
        })
        .collect()
}

fn read<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap()
}

fn flex() -> Device {
    DeviceChoice::Flex.device().unwrap()
}

/// flex's sigmoid, as burn-flex 0.22.1 writes it (ops/activation.rs).
fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// A tensor op and the scalar function it applies to each element.
type TensorOp = fn(Tensor<1>) -> Tensor<1>;
type ScalarOp = fn(f32) -> f32;

#[test]
fn unary_ops_equal_scalar_loops_bitwise() {
    let device = flex();
    let x = values(N, 1);
    let cases: [(&str, TensorOp, ScalarOp); 6] = [
        ("exp", Tensor::exp, f32::exp),
        ("log", Tensor::log, f32::ln),
        ("log1p", Tensor::log1p, f32::ln_1p),
        ("tanh", Tensor::tanh, f32::tanh),
        ("sigmoid", activation::sigmoid, sigmoid),
        ("silu", activation::silu, |x| x * sigmoid(x)),
    ];
    for (name, op, scalar) in cases {
        let t = Tensor::<1>::from_data(TensorData::new(x.clone(), [N]), &device);
        let expected: Vec<f32> = x.iter().map(|&v| scalar(v)).collect();
        // Kept alive: the op cannot reuse the input's buffer and allocates.
        let shared = t.clone();
        assert_eq!(bits(&read(op(t))), bits(&expected), "{name}, allocating");
        // Now unique: the op writes in place.
        assert_eq!(bits(&read(op(shared))), bits(&expected), "{name}, in place");
    }
}

#[test]
fn views_equal_scalar_loops_bitwise() {
    let device = flex();
    let (rows, cols) = (313, 331);
    let x = values(rows * cols, 2);
    let at = |r: usize, c: usize| x[r * cols + c];
    let t = || Tensor::<2>::from_data(TensorData::new(x.clone(), [rows, cols]), &device);

    let transposed = read(t().swap_dims(0, 1).tanh()); // [cols, rows]
    let expected: Vec<f32> = (0..cols)
        .flat_map(|c| (0..rows).map(move |r| (r, c)))
        .map(|(r, c)| at(r, c).tanh())
        .collect();
    assert_eq!(bits(&transposed), bits(&expected), "transposed");

    let row_block = read(t().slice([3..rows - 2, 0..cols]).exp()); // one block at an offset
    let expected: Vec<f32> = x[3 * cols..(rows - 2) * cols]
        .iter()
        .map(|v| v.exp())
        .collect();
    assert_eq!(bits(&row_block), bits(&expected), "rows sliced");

    let columns = read(t().slice([0..rows, 1..cols - 1]).log1p()); // strided blocks
    let expected: Vec<f32> = (0..rows)
        .flat_map(|r| (1..cols - 1).map(move |c| (r, c)))
        .map(|(r, c)| at(r, c).ln_1p())
        .collect();
    assert_eq!(bits(&columns), bits(&expected), "columns sliced");
}

#[test]
fn backward_equals_scalar_loops_bitwise() {
    let device = flex().autodiff();
    let x = values(N, 3);
    let w = values(N, 4);
    let leaf = Tensor::<1>::from_data(TensorData::new(x.clone(), [N]), &device).require_grad();
    let weight = Tensor::<1>::from_data(TensorData::new(w.clone(), [N]), &device);
    let grads = (activation::sigmoid(leaf.clone()) * weight)
        .sum()
        .backward();
    let got = read(leaf.grad(&grads).unwrap());
    // sigmoid_backward(output, grad) = grad * s * (1 - s), with grad = w.
    let expected: Vec<f32> = x
        .iter()
        .zip(&w)
        .map(|(&x, &g)| {
            let s = sigmoid(x);
            g * s * (1.0 - s)
        })
        .collect();
    assert_eq!(bits(&got), bits(&expected));
}

/// A chain of element-wise ops and its gradient, run in a rayon pool of `threads` threads.
fn chain_in_pool(threads: usize) -> (Vec<f32>, Vec<f32>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        let device = flex().autodiff();
        let x = Tensor::<1>::from_data(TensorData::new(values(N, 5), [N]), &device).require_grad();
        let y = activation::silu(x.clone()).tanh()
            + activation::log_sigmoid(x.clone())
            + activation::softplus(x.clone(), 1.0).log1p();
        let grads = y.clone().sum().backward();
        (read(y.inner()), read(x.grad(&grads).unwrap()))
    })
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let (y1, g1) = chain_in_pool(1);
    for threads in [2, 3] {
        let (y, g) = chain_in_pool(threads);
        assert_eq!(bits(&y), bits(&y1), "values, {threads} threads vs 1");
        assert_eq!(bits(&g), bits(&g1), "gradients, {threads} threads vs 1");
    }
}

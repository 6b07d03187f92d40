//! burn-flex's element-wise kernels, as patched in vendor/burn-flex (vendor/PATCHES.md): the
//! `f32` exp, log, log1p, tanh, sigmoid and log-sigmoid (and so SiLU and softplus) are
//! branch-free vectorised functions within a few ULP of the correctly rounded value (patch 2),
//! and an element's result depends on its value alone: not on the view, the in-place or
//! allocating path, its position in the slice, or the number of rayon threads (patch 1).
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use burn::prelude::*;
use burn::tensor::activation;
use genbench_core::DeviceChoice;

/// Above the patches' parallel thresholds (64 Ki for the vectorised functions, 128 Ki for
/// other closures) and not a multiple of any chunk or SIMD width.
const N: usize = 200_003;

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

/// Position of `x` on the number line counted in `f32` steps (±0 both 0).
fn ordinal(x: f32) -> i64 {
    let b = x.to_bits();
    if b >> 31 == 1 {
        -i64::from(b & 0x7fff_ffff)
    } else {
        i64::from(b)
    }
}

/// Largest distance in ULP between `got` and the `f64` reference rounded to `f32`; a NaN
/// against a number counts as `u64::MAX`.
fn max_ulps(got: &[f32], want: impl Iterator<Item = f64>) -> u64 {
    got.iter()
        .zip(want)
        .map(|(&g, w)| {
            let w = w as f32;
            match (g.is_nan(), w.is_nan()) {
                (true, true) => 0,
                (false, false) => ordinal(g).abs_diff(ordinal(w)),
                _ => u64::MAX,
            }
        })
        .max()
        .unwrap_or(0)
}

fn sigmoid64(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn log_sigmoid64(x: f64) -> f64 {
    if x >= 0.0 {
        -(-x).exp().ln_1p()
    } else {
        x - x.exp().ln_1p()
    }
}

/// Inputs in (-8, 8), then a spread of magnitudes from ~4e-31 up to ~1e38 (both signs) and
/// the special values, each passed through `domain`.
fn inputs(domain: fn(f32) -> f32) -> Vec<f32> {
    let mut x = values(N, 1);
    let spread = (0..4000u32).map(|i| f32::from_bits(0x0d00_0000 + i * 0x0007_4800));
    x.extend(spread.flat_map(|v| [v, -v]));
    x.extend([0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN]);
    x.extend([88.72, -103.9, -0.5, -1.0, f32::from_bits(1)]);
    x.into_iter().map(domain).collect()
}

/// A tensor op, and a function of `f64`.
type TensorOp = fn(Tensor<1>) -> Tensor<1>;
/// A name, burn's op and the `f32` function it should equal.
type NamedOp = (&'static str, TensorOp, fn(f32) -> f32);
type Reference = fn(f64) -> f64;

#[test]
fn unary_ops_within_stated_ulps_of_f64() {
    let device = flex();
    // op, the f64 function it approximates, its inputs, its ULP bound (vendor/PATCHES.md).
    // SiLU's `x * sigmoid(x)` loses the bound where sigmoid(x) is subnormal (x < -87).
    let all: fn(f32) -> f32 = |v| v;
    type Case = (&'static str, TensorOp, Reference, fn(f32) -> f32, u64);
    let cases: [Case; 7] = [
        ("exp", Tensor::exp, f64::exp, all, 1),
        ("log", Tensor::log, f64::ln, f32::abs, 1),
        ("log1p", Tensor::log1p, f64::ln_1p, all, 2),
        ("tanh", Tensor::tanh, f64::tanh, all, 2),
        ("sigmoid", activation::sigmoid, sigmoid64, all, 3),
        (
            "log_sigmoid",
            activation::log_sigmoid,
            log_sigmoid64,
            all,
            3,
        ),
        (
            "silu",
            activation::silu,
            |x| x * sigmoid64(x),
            |v| v.max(-80.0),
            4,
        ),
    ];
    for (name, op, reference, domain, bound) in cases {
        let x = inputs(domain);
        let n = x.len();
        let t = Tensor::<1>::from_data(TensorData::new(x.clone(), [n]), &device);
        // Kept alive: the op cannot reuse the input's buffer and allocates.
        let shared = t.clone();
        let allocating = read(op(t));
        // Now unique: the op writes in place.
        let in_place = read(op(shared));
        assert_eq!(
            bits(&allocating),
            bits(&in_place),
            "{name}: in place vs allocating"
        );
        let err = max_ulps(&in_place, x.iter().map(|&v| reference(f64::from(v))));
        assert!(err <= bound, "{name}: {err} ULP from f64, bound {bound}");
    }
}

#[test]
fn special_values_as_std() {
    let device = flex();
    let x = vec![
        0.0f32,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -1.0,
        -2.0,
    ];
    let t = || Tensor::<1>::from_data(TensorData::new(x.clone(), [x.len()]), &device);
    let cases: [NamedOp; 4] = [
        ("exp", Tensor::exp, f32::exp),
        ("log", Tensor::log, f32::ln),
        ("log1p", Tensor::log1p, f32::ln_1p),
        ("tanh", Tensor::tanh, f32::tanh),
    ];
    for (name, op, std_fn) in cases {
        let want: Vec<f32> = x.iter().map(|&v| std_fn(v)).collect();
        assert_eq!(bits(&read(op(t()))), bits(&want), "{name}");
    }
}

#[test]
fn views_equal_the_contiguous_op_bitwise() {
    let device = flex();
    let (rows, cols) = (313, 331);
    let x = values(rows * cols, 2);
    let at = |r: usize, c: usize| x[r * cols + c];
    let t = || Tensor::<2>::from_data(TensorData::new(x.clone(), [rows, cols]), &device);
    // The op on a fresh contiguous tensor holding `v`.
    let dense = |v: Vec<f32>, op: TensorOp| {
        let n = v.len();
        read(op(Tensor::<1>::from_data(TensorData::new(v, [n]), &device)))
    };

    let transposed = read(t().swap_dims(0, 1).tanh()); // [cols, rows]
    let moved: Vec<f32> = (0..cols)
        .flat_map(|c| (0..rows).map(move |r| (r, c)))
        .map(|(r, c)| at(r, c))
        .collect();
    assert_eq!(
        bits(&transposed),
        bits(&dense(moved, Tensor::tanh)),
        "transposed"
    );

    let row_block = read(t().slice([3..rows - 2, 0..cols]).exp()); // one block at an offset
    let moved = x[3 * cols..(rows - 2) * cols].to_vec();
    assert_eq!(
        bits(&row_block),
        bits(&dense(moved, Tensor::exp)),
        "rows sliced"
    );

    let columns = read(t().slice([0..rows, 1..cols - 1]).log1p()); // strided blocks
    let moved: Vec<f32> = (0..rows)
        .flat_map(|r| (1..cols - 1).map(move |c| (r, c)))
        .map(|(r, c)| at(r, c))
        .collect();
    assert_eq!(
        bits(&columns),
        bits(&dense(moved, Tensor::log1p)),
        "columns sliced"
    );
}

/// The gradient of `sum(w * f(x))` with respect to `x`.
fn gradient(f: TensorOp, x: &[f32], w: &[f32]) -> Vec<f32> {
    let device = flex().autodiff();
    let n = x.len();
    let leaf = Tensor::<1>::from_data(TensorData::new(x.to_vec(), [n]), &device).require_grad();
    let weight = Tensor::<1>::from_data(TensorData::new(w.to_vec(), [n]), &device);
    let grads = (f(leaf.clone()) * weight).sum().backward();
    read(leaf.grad(&grads).unwrap())
}

#[test]
fn backward_within_tolerance_of_f64() {
    let x = values(N, 3);
    let w = values(N, 4);
    // f, its derivative in f64, and the tolerance relative to |w| · max(1, |f'(x)|).
    let cases: [(&str, TensorOp, Reference, f64); 6] = [
        ("exp", Tensor::exp, f64::exp, 4e-7),
        ("log", |t| t.abs().log(), f64::recip, 4e-7),
        ("tanh", Tensor::tanh, |x| 1.0 - x.tanh().powi(2), 4e-7),
        (
            "sigmoid",
            activation::sigmoid,
            |x| sigmoid64(x) * (1.0 - sigmoid64(x)),
            4e-7,
        ),
        (
            "log_sigmoid",
            activation::log_sigmoid,
            |x| sigmoid64(-x),
            4e-7,
        ),
        (
            "silu",
            activation::silu,
            |x| sigmoid64(x) * (1.0 + x * (1.0 - sigmoid64(x))),
            4e-6,
        ),
    ];
    for (name, f, derivative, tol) in cases {
        let got = gradient(f, &x, &w);
        for ((&g, &x), &w) in got.iter().zip(&x).zip(&w) {
            let (x, w) = (f64::from(x), f64::from(w));
            let want = w * derivative(x);
            let scale = w.abs() * derivative(x).abs().max(1.0);
            assert!(
                (f64::from(g) - want).abs() <= tol * scale,
                "{name}'({x}) * {w}: got {g}, want {want}"
            );
        }
    }
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
            + activation::softplus(x.clone(), 1.0).log1p()
            + activation::sigmoid(x.clone()).log()
            + x.clone().mul_scalar(0.5).exp();
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

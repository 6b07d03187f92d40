//! Accuracy against `f64` references, special values, and the claim that a
//! result depends on the input value alone (not on the position in a slice,
//! the slice length or the instruction set the loop was compiled for).

use super::*;
use alloc::vec::Vec;

/// Position of `x` on the number line counted in `f32` steps (−0 and +0
/// both 0, +∞ one step past `f32::MAX`).
fn ordinal(x: f32) -> i64 {
    let b = x.to_bits();
    if b >> 31 == 1 {
        -i64::from(b & 0x7fff_ffff)
    } else {
        i64::from(b)
    }
}

/// Distance in units in the last place; 0 for two NaNs, `u64::MAX` for a NaN
/// against a number.
fn ulps(got: f32, want: f32) -> u64 {
    match (got.is_nan(), want.is_nan()) {
        (true, true) => 0,
        (false, false) => ordinal(got).abs_diff(ordinal(want)),
        _ => u64::MAX,
    }
}

/// Every `stride`-th bit pattern, plus every pattern in the dense ranges
/// where the functions change regime (overflow and underflow of `exp`,
/// the subnormals, the branch points of `ln_1p` and `tanh`).
fn inputs(stride: u32) -> Vec<f32> {
    let mut v: Vec<f32> = (0..=u32::MAX / stride)
        .map(|i| f32::from_bits(i * stride))
        .collect();
    let dense = [
        (88.0f32, 89.0f32),
        (-104.0, -86.0),
        (-0.30, -0.28),
        (0.40, 0.42),
        (0.60, 0.65),
        (-0.65, -0.60),
        (-1.0, -0.99),
    ];
    for (lo, hi) in dense {
        let mut x = lo;
        let mut step = 0u32;
        while x <= hi {
            if step.is_multiple_of(7) {
                v.push(x);
            }
            step += 1;
            x = f32::from_bits(if x >= 0.0 {
                x.to_bits() + 1
            } else if x.to_bits() == 0x8000_0000 {
                0
            } else {
                x.to_bits() - 1
            });
        }
    }
    v.extend((0..0x0080_0000u32).step_by(1021).map(f32::from_bits));
    v
}

/// The largest ULP error of `f` against `reference` over `xs`, and where.
fn max_ulps(xs: &[f32], f: impl Fn(f32) -> f32, reference: impl Fn(f64) -> f64) -> (u64, f32) {
    xs.iter()
        .map(|&x| (ulps(f(x), reference(f64::from(x)) as f32), x))
        .fold((0, 0.0), |a, b| if b.0 > a.0 { b } else { a })
}

const STRIDE: u32 = 997;

#[test]
fn exp_within_bound() {
    let (e, at) = max_ulps(&inputs(STRIDE), exp, f64::exp);
    assert!(e <= u64::from(ULP_BOUND_EXP), "exp: {e} ULP at {at:e}");
}

#[test]
fn ln_within_bound() {
    let (e, at) = max_ulps(&inputs(STRIDE), ln, f64::ln);
    assert!(e <= u64::from(ULP_BOUND_LN), "ln: {e} ULP at {at:e}");
}

#[test]
fn ln_1p_within_bound() {
    let (e, at) = max_ulps(&inputs(STRIDE), ln_1p, f64::ln_1p);
    assert!(e <= u64::from(ULP_BOUND_LN_1P), "ln_1p: {e} ULP at {at:e}");
}

#[test]
fn tanh_within_bound() {
    let (e, at) = max_ulps(&inputs(STRIDE), tanh, f64::tanh);
    assert!(e <= u64::from(ULP_BOUND_TANH), "tanh: {e} ULP at {at:e}");
}

#[test]
fn sigmoid_and_log_sigmoid_within_bound() {
    let xs = inputs(STRIDE);
    let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
    let (e, at) = max_ulps(&xs, sigmoid, sig);
    assert!(
        e <= u64::from(ULP_BOUND_SIGMOID),
        "sigmoid: {e} ULP at {at:e}"
    );
    let log_sig = |x: f64| {
        if x >= 0.0 {
            -(-x).exp().ln_1p()
        } else {
            x - x.exp().ln_1p()
        }
    };
    let (e, at) = max_ulps(&xs, log_sigmoid, log_sig);
    assert!(
        e <= u64::from(ULP_BOUND_LOG_SIGMOID),
        "log_sigmoid: {e} ULP at {at:e}"
    );
}

/// Bits of `f(x)` equal `want`'s (any NaN for NaN).
fn assert_bits(name: &str, f: impl Fn(f32) -> f32, x: f32, want: f32) {
    let got = f(x);
    let same = (got.is_nan() && want.is_nan()) || got.to_bits() == want.to_bits();
    assert!(same, "{name}({x:e}) = {got:e}, want {want:e}");
}

#[test]
fn special_values_as_std() {
    let (inf, nan) = (f32::INFINITY, f32::NAN);
    let min_sub = f32::from_bits(1);
    for (x, want) in [(nan, nan), (inf, inf), (-inf, 0.0), (0.0, 1.0), (-0.0, 1.0)] {
        assert_bits("exp", exp, x, want);
    }
    // Overflow and underflow where `f32::exp` has them, to the last step.
    assert_eq!(exp(88.722_83), 88.722_83f32.exp());
    assert_eq!(exp(88.722_84), inf);
    assert_eq!(exp(-103.972_08), min_sub);
    assert_eq!(exp(-103.972_09), 0.0);
    assert_eq!(exp(-104.0), 0.0);
    assert!(exp(-87.5) > 0.0 && exp(-87.5) < f32::MIN_POSITIVE);

    for (x, want) in [
        (nan, nan),
        (inf, inf),
        (-inf, nan),
        (-1.0, nan),
        (-min_sub, nan),
        (0.0, -inf),
        (-0.0, -inf),
        (1.0, 0.0),
    ] {
        assert_bits("ln", ln, x, want);
    }
    assert_eq!(ln(min_sub), min_sub.ln());
    assert_eq!(ln(f32::MAX), f32::MAX.ln());

    for (x, want) in [
        (nan, nan),
        (inf, inf),
        (-inf, nan),
        (-2.0, nan),
        (-1.0, -inf),
        (0.0, 0.0),
        (-0.0, -0.0),
        (min_sub, min_sub),
        (-min_sub, -min_sub),
        (1e-30, 1e-30),
    ] {
        assert_bits("ln_1p", ln_1p, x, want);
    }

    for (x, want) in [
        (nan, nan),
        (inf, 1.0),
        (-inf, -1.0),
        (0.0, 0.0),
        (-0.0, -0.0),
        (min_sub, min_sub),
        (-min_sub, -min_sub),
        (20.0, 1.0),
        (-20.0, -1.0),
    ] {
        assert_bits("tanh", tanh, x, want);
    }

    for (x, want) in [(nan, nan), (inf, 1.0), (-inf, 0.0), (0.0, 0.5), (-0.0, 0.5)] {
        assert_bits("sigmoid", sigmoid, x, want);
    }
    for (x, want) in [(nan, nan), (inf, -0.0), (-inf, -inf), (-200.0, -200.0)] {
        assert_bits("log_sigmoid", log_sigmoid, x, want);
    }
}

/// One value from each regime of each function.
fn probes() -> Vec<f32> {
    let mut v = alloc::vec![
        0.0,
        -0.0,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::from_bits(1),
        -1.0,
        -0.5,
        0.3,
        0.62,
        0.7,
        -3.0,
        1e-30,
        88.7,
        -95.0,
        1e30,
    ];
    v.extend((0..40).map(|i| (i as f32 - 20.0) * 0.731));
    v
}

/// Bits with every NaN mapped to one (IEEE 754 leaves a computed NaN's
/// payload unspecified).
fn bits(x: f32) -> u32 {
    if x.is_nan() {
        f32::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

/// Calls `$check(name, f)` for each function. Each is passed as its own
/// function item, not a `fn` pointer, so that it is inlined into the loops
/// under test and vectorised there as in the ops.
macro_rules! for_each_function {
    ($check:ident) => {
        $check("exp", exp);
        $check("ln", ln);
        $check("ln_1p", ln_1p);
        $check("tanh", tanh);
        $check("sigmoid", sigmoid);
        $check("log_sigmoid", log_sigmoid);
    };
}

/// The same value at every offset of every slice length, through the
/// element-wise kernels the ops use, gives the bits of the scalar call:
/// vector body, remainder and alignment all compute the same formula.
#[test]
fn result_independent_of_position_and_length() {
    fn check(name: &str, f: impl Fn(f32) -> f32 + Sync) {
        use crate::ops::elementwise::{map_collect, map_inplace};
        let background = 1.25f32;
        for probe in probes() {
            let want = bits(f(probe));
            for len in 1..200usize {
                for at in (0..len.min(68)).step_by(if len > 80 { 5 } else { 1 }) {
                    let mut v = alloc::vec![background; len];
                    v[at] = probe;
                    let collected = map_collect(&v, &f, Widest);
                    map_inplace(&mut v, &f, Widest);
                    assert_eq!(bits(v[at]), want, "{name}({probe:e}) at {at} of {len}");
                    assert_eq!(
                        bits(collected[at]),
                        want,
                        "{name}({probe:e}) at {at} of {len}"
                    );
                }
            }
        }
        assert!(map_collect(&[], &f, Widest).is_empty());
    }
    for_each_function!(check);
}

/// Each loop the CPU can run (baseline, AVX2, AVX-512F) gives the same bits.
#[test]
fn every_instruction_set_gives_the_same_bits() {
    fn check(name: &str, f: impl Fn(f32) -> f32 + Copy) {
        let xs = inputs(65_521);
        let apply = |out: &mut [f32]| out.iter_mut().for_each(|x| *x = f(*x));
        let base: Vec<u32> = xs.iter().map(|&x| bits(f(x))).collect();
        let mut out = xs.clone();
        Widest.run(|| apply(&mut out));
        assert!(
            out.iter().map(|&x| bits(x)).eq(base.iter().copied()),
            "{name}: widest"
        );
        #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
        {
            if std::is_x86_feature_detected!("avx2") {
                let mut out = xs.clone();
                // SAFETY: detected just above.
                unsafe { x86::avx2(|| apply(&mut out)) };
                assert!(
                    out.iter().map(|&x| bits(x)).eq(base.iter().copied()),
                    "{name}: avx2"
                );
            }
            if std::is_x86_feature_detected!("avx512f") {
                let mut out = xs.clone();
                // SAFETY: detected just above.
                unsafe { x86::avx512(|| apply(&mut out)) };
                assert!(
                    out.iter().map(|&x| bits(x)).eq(base.iter().copied()),
                    "{name}: avx512f"
                );
            }
        }
    }
    for_each_function!(check);
}

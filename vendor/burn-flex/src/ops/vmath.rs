//! Branch-free `f32` exponential, logarithms, `tanh`, sigmoid and
//! log-sigmoid, written so that LLVM vectorises a loop over them, and the
//! instruction set such a loop is compiled for.
//!
//! Each function is plain IEEE arithmetic (`+ - * /`, no fused multiply-add),
//! integer operations on the bit pattern and selects (`if c { a } else { b }`
//! on values already computed), with no branch, table or call. A loop over a
//! slice therefore vectorises, and its result for an element depends on that
//! element's value alone: the vector body and the scalar remainder, every
//! vector width and every CPU compute the same operations in the same order
//! and round them the same way, so the bits are the same on every machine.
//!
//! Accuracy, measured over every `f32` against the correctly rounded value
//! (tests below sweep a subset on every run): `exp` and `ln` at most 1 ULP,
//! `ln_1p` 2, `tanh` 2 (`ULP_BOUND_*`). Special values are those of `std`:
//! NaN gives NaN, ±∞ and ±0 map as `f32::exp`/`ln`/`ln_1p`/`tanh` map them
//! (the sign of a zero kept), `exp` overflows to +∞ above 88.72284 and
//! underflows through the subnormals to 0 below −103.97208, `ln` of a
//! negative number is NaN and of ±0 is −∞, subnormal inputs and outputs are
//! exact-to-the-bound like the others.
//!
//! The polynomials are those of Cephes `expf`/`tanhf` (S. Moshier) and of
//! fdlibm's `logf`/`log1pf` (as in musl), evaluated in the same order.

// ---------------------------------------------------------------------------
// Instruction set of an element-wise loop
// ---------------------------------------------------------------------------

/// The instruction set an element-wise kernel compiles its serial loops for.
///
/// `run(f)` calls `f`; once `f` (a loop over a slice) is inlined into the
/// implementation's function, LLVM compiles it for that function's target
/// features.
pub(crate) trait LoopIsa: Copy + Send + Sync {
    /// Elements from which an element-wise kernel splits its slice over
    /// rayon's threads.
    #[cfg_attr(not(feature = "rayon"), allow(dead_code))]
    fn parallel_threshold(self) -> usize;

    /// Runs `f` compiled for this instruction set.
    fn run<R>(self, f: impl FnOnce() -> R) -> R;
}

/// The loop compiled for the build's target, as it stands (on x86-64 by
/// default, SSE2). For closures of any cost, from libm calls to a negation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Baseline;

impl LoopIsa for Baseline {
    fn parallel_threshold(self) -> usize {
        super::elementwise::ELEMENTWISE_PARALLEL_THRESHOLD
    }

    #[inline(always)]
    fn run<R>(self, f: impl FnOnce() -> R) -> R {
        f()
    }
}

/// The loop compiled for the widest vector unit of the running CPU: on
/// x86/x86-64 with `std`, AVX-512F or AVX2 when the CPU has them (detected at
/// run time, cached by `std`), else the baseline. For closures built from the
/// functions of this module; since they use no fused multiply-add, every
/// choice gives the same bits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Widest;

impl LoopIsa for Widest {
    fn parallel_threshold(self) -> usize {
        super::elementwise::VMATH_PARALLEL_THRESHOLD
    }

    #[inline(always)]
    fn run<R>(self, f: impl FnOnce() -> R) -> R {
        #[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
        {
            if std::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F.
                return unsafe { x86::avx512(f) };
            }
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2.
                return unsafe { x86::avx2(f) };
            }
        }
        f()
    }
}

#[cfg(all(feature = "std", any(target_arch = "x86", target_arch = "x86_64")))]
pub(crate) mod x86 {
    /// Runs `f` compiled with AVX-512F.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub(crate) unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    /// Runs `f` compiled with AVX2.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
}

// ---------------------------------------------------------------------------
// The functions
// ---------------------------------------------------------------------------

/// |x|, clearing the sign bit.
#[inline(always)]
fn abs(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & 0x7fff_ffff)
}

/// 1.5 · 2²³: `x + ROUND_MAGIC` has unit spacing for |x| < 2²², so adding
/// and subtracting it rounds `x` to the nearest integer (ties to even).
const ROUND_MAGIC: f32 = 12_582_912.0;

/// e^x.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    // Beyond [−104, 89] e^x is +∞ or rounds to 0 anyway; clamping keeps the
    // exponent arithmetic in range. NaN passes (the comparisons are false).
    let x = if x > 89.0 { 89.0 } else { x };
    let x = if x < -104.0 { -104.0 } else { x };
    // x = n·ln 2 + r, |r| ≤ ln2/2, with ln 2 split in two so n·C1 is exact.
    let t = x * core::f32::consts::LOG2_E + ROUND_MAGIC;
    let n_f = t - ROUND_MAGIC;
    let n = (t.to_bits() as i32).wrapping_sub(ROUND_MAGIC.to_bits() as i32);
    let r = x - n_f * 0.693_359_4; // 0.693359375 = 355/512
    let r = r - n_f * -2.121_944_4e-4;
    let z = r * r;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 5e-1;
    let y = p * z + r + 1.0;
    // y·2ⁿ as y·2^h·2^(n−h): for n in [−150, 128] both factors are normal
    // and the first product is exact, so a subnormal or overflowing result
    // is rounded once.
    let h = n >> 1;
    let s1 = f32::from_bits((h.wrapping_add(127) as u32).wrapping_shl(23));
    let s2 = f32::from_bits((n.wrapping_sub(h).wrapping_add(127) as u32).wrapping_shl(23));
    y * s1 * s2
}

const LN2_HI: f32 = f32::from_bits(0x3f31_7180); // 6.9313812256e-01
const LN2_LO: f32 = f32::from_bits(0x3717_f7d1); // 9.0580006145e-06
const LG1: f32 = f32::from_bits(0x3f2a_aaaa); // 0.66666662693
const LG2: f32 = f32::from_bits(0x3ecc_ce13); // 0.40000972152
const LG3: f32 = f32::from_bits(0x3e91_e9ee); // 0.28498786688
const LG4: f32 = f32::from_bits(0x3e78_9e26); // 0.24279078841

/// Bits of √2/2, and the offset that moves [√2/2, √2) onto one binade.
const SQRT_HALF_BITS: u32 = 0x3f35_04f3;
const REDUCE_OFFSET: u32 = 0x3f80_0000 - SQRT_HALF_BITS;

/// `(f, k)` with `u = (1 + f)·2ᵏ`, `1 + f` in [√2/2, √2), for a positive
/// normal `u` given by its bits.
#[inline(always)]
fn reduce(u_bits: u32) -> (f32, i32) {
    let iu = u_bits.wrapping_add(REDUCE_OFFSET);
    let k = (iu >> 23) as i32 - 0x7f;
    let m = f32::from_bits((iu & 0x007f_ffff) + SQRT_HALF_BITS);
    (m - 1.0, k)
}

/// ln((1 + f)·2ᵏ) + c, for 1 + f in [√2/2, √2) and a small correction `c`
/// (fdlibm's `logf` kernel).
#[inline(always)]
fn log_kernel(f: f32, k: i32, c: f32) -> f32 {
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * LG4);
    let t2 = z * (LG1 + w * LG3);
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    let dk = k as f32;
    s * (hfsq + r) + (dk * LN2_LO + c) - hfsq + f + dk * LN2_HI
}

/// ln x.
#[inline(always)]
pub(crate) fn ln(x: f32) -> f32 {
    // Subnormal inputs: scale by 2²³ into the normal range first.
    let subnormal = x < f32::MIN_POSITIVE;
    let xs = if subnormal { x * 8_388_608.0 } else { x };
    let (f, k) = reduce(xs.to_bits());
    let k = if subnormal { k - 23 } else { k };
    let r = log_kernel(f, k, 0.0);
    let r = if x == f32::INFINITY { x } else { r };
    let r = if x == 0.0 { f32::NEG_INFINITY } else { r };
    // Negative numbers and NaN.
    if x >= 0.0 { r } else { f32::NAN }
}

/// ln(1 + x), accurate for small |x|.
#[inline(always)]
pub(crate) fn ln_1p(x: f32) -> f32 {
    let ix = x.to_bits();
    // 1 + x in [√2/2, √2) (−0.2929 ≤ x < 0.4142): f = x, exactly.
    let near_zero = ix < 0x3ed4_13d0 || (0x8000_0000..=0xbe95_f619).contains(&ix);
    // Otherwise reduce u = 1 + x, with c ≈ (1 + x) − u, the rounding error
    // of u, relative to u.
    let u = 1.0 + x;
    let (fu, ku) = reduce(u.to_bits());
    let cu = if ku >= 2 {
        1.0 - (u - x)
    } else {
        x - (u - 1.0)
    };
    let cu = if ku < 25 { cu / u } else { 0.0 };
    let f = if near_zero { x } else { fu };
    let k = if near_zero { 0 } else { ku };
    let c = if near_zero { 0.0 } else { cu };
    let r = log_kernel(f, k, c);
    // |x| < 2⁻²⁴: ln(1 + x) rounds to x (this keeps −0 and subnormals).
    let r = if (ix << 1) < (0x3380_0000 << 1) { x } else { r };
    let r = if x == f32::INFINITY { x } else { r };
    let r = if x == -1.0 { f32::NEG_INFINITY } else { r };
    // x < −1 and NaN.
    if x >= -1.0 { r } else { f32::NAN }
}

/// tanh x.
#[inline(always)]
pub(crate) fn tanh(x: f32) -> f32 {
    let a = abs(x);
    // |x| < 0.625: odd polynomial.
    let z = x * x;
    let p = (((-5.704_988_7e-3 * z + 2.063_909e-2) * z - 5.373_971_6e-2) * z + 1.333_144_2e-1) * z
        - 3.333_328e-1;
    let small = p * z * x + x;
    // |x| ≥ 0.625: 1 − 2/(e^{2|x|} + 1), which saturates to 1 (e^{2|x|} = +∞
    // from |x| ≈ 44.4).
    let large = 1.0 - 2.0 / (exp(a + a) + 1.0);
    let large = if x < 0.0 { -large } else { large };
    let r = if a < 0.625 { small } else { large };
    // ±0 keeps its sign.
    if x == 0.0 { x } else { r }
}

/// 1 / (1 + e^−x), as `1 / (1 + e^−x)` for x ≥ 0 and `e^x / (1 + e^x)` below.
#[inline(always)]
pub(crate) fn sigmoid(x: f32) -> f32 {
    let e = exp(-abs(x));
    let num = if x >= 0.0 { 1.0 } else { e };
    num / (1.0 + e)
}

/// ln σ(x) = −ln(1 + e^−x), as `−ln_1p(e^−x)` for x ≥ 0 and
/// `x − ln_1p(e^x)` below.
#[inline(always)]
pub(crate) fn log_sigmoid(x: f32) -> f32 {
    let l = ln_1p(exp(-abs(x)));
    if x >= 0.0 { -l } else { x - l }
}

/// Largest error, in units in the last place of the correctly rounded
/// result, measured over every `f32` input.
#[cfg(test)]
pub(crate) const ULP_BOUND_EXP: u32 = 1;
#[cfg(test)]
pub(crate) const ULP_BOUND_LN: u32 = 1;
#[cfg(test)]
pub(crate) const ULP_BOUND_LN_1P: u32 = 2;
#[cfg(test)]
pub(crate) const ULP_BOUND_TANH: u32 = 2;
#[cfg(test)]
pub(crate) const ULP_BOUND_SIGMOID: u32 = 3;
#[cfg(test)]
pub(crate) const ULP_BOUND_LOG_SIGMOID: u32 = 3;

#[cfg(test)]
mod tests;

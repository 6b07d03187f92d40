//! Element-wise map and zip kernels over contiguous slices, shared by the
//! closure-based unary, binary and scalar ops.
//!
//! Each kernel calls the caller's per-element function exactly once per
//! element, in a plain loop over a contiguous slice (which LLVM
//! auto-vectorises whenever the function itself allows it). Work is only
//! ever *partitioned* — never reordered within an element or combined across
//! elements — so the output is bitwise identical to a sequential loop for
//! every thread count.
//!
//! Each kernel takes the [`LoopIsa`] its serial loops are compiled for:
//! [`Baseline`] for any closure, [`Widest`](super::vmath::Widest) for the
//! branch-free `f32` functions of `vmath`, which vectorise. The serial loops
//! and the closures handed to `LoopIsa::run` are `#[inline(always)]`, and the
//! loops call the closure itself (`(*op)(x)`, not the `Fn` impl of `&Op`), so
//! that the loop and the function land inside the target-feature function and
//! are compiled there. Callers pass `Widest` kernels an `#[inline(always)]`
//! closure that names the `vmath` function: a function item's `Fn` shim is
//! not always inlined, and a loop around an out-of-line call stays scalar.
//!
//! From the ISA's `PARALLEL_THRESHOLD` elements on, the slice is cut into
//! `ELEMENTWISE_CHUNK`-element chunks that rayon spreads over its pool.
//! Below it the call stays on the calling thread, so small tensors pay no
//! task dispatch. The baseline threshold (128 Ki) is below the per-row
//! `PARALLEL_THRESHOLD` of `ops/mod.rs` (256 Ki) because some functions
//! that go through these kernels call libm (`sin`, `powf`, the `f64` and
//! `f16` paths …: 5–20 ns per element); at 32 Ki, cheap closures (`relu`,
//! `*_scalar`) lost more to the fork-join than they gained.

use alloc::vec::Vec;
use core::mem::MaybeUninit;

#[cfg(feature = "rayon")]
use rayon::prelude::*;

pub(crate) use super::vmath::{Baseline, LoopIsa};

/// Element count from which the element-wise kernels fan out over rayon for
/// baseline loops (any closure).
#[cfg_attr(not(feature = "rayon"), allow(dead_code))]
pub(crate) const ELEMENTWISE_PARALLEL_THRESHOLD: usize = 128 * 1024;

/// Element count from which they fan out for vectorised `vmath` loops
/// (0.4–0.7 ns per element with AVX-512).
#[cfg_attr(not(feature = "rayon"), allow(dead_code))]
pub(crate) const VMATH_PARALLEL_THRESHOLD: usize = 64 * 1024;

/// Elements per rayon task (16 KiB of `f32` per operand).
#[cfg(feature = "rayon")]
const ELEMENTWISE_CHUNK: usize = 4 * 1024;

/// `data[i] = op(data[i])` for every `i`.
pub(crate) fn map_inplace<E, Op, I>(data: &mut [E], op: &Op, isa: I)
where
    E: Copy + Send,
    Op: Fn(E) -> E + Sync,
    I: LoopIsa,
{
    #[cfg(feature = "rayon")]
    if data.len() >= isa.parallel_threshold() {
        data.par_chunks_mut(ELEMENTWISE_CHUNK).for_each(|chunk| {
            isa.run(
                #[inline(always)]
                || map_inplace_serial(chunk, op),
            )
        });
        return;
    }
    isa.run(
        #[inline(always)]
        || map_inplace_serial(data, op),
    );
}

#[inline(always)]
fn map_inplace_serial<E: Copy, Op: Fn(E) -> E>(data: &mut [E], op: &Op) {
    for x in data.iter_mut() {
        *x = (*op)(*x);
    }
}

/// A fresh vector holding `op(src[i])` for every `i`.
pub(crate) fn map_collect<E, R, Op, I>(src: &[E], op: &Op, isa: I) -> Vec<R>
where
    E: Copy + Sync,
    R: Send,
    Op: Fn(E) -> R + Sync,
    I: LoopIsa,
{
    let n = src.len();
    let mut out: Vec<R> = Vec::with_capacity(n);
    map_into(src, &mut out.spare_capacity_mut()[..n], op, isa);
    // SAFETY: `map_into` wrote each of the first `n` slots. If `op` panics,
    // the panic propagates before this line and `out` drops with length 0.
    unsafe { out.set_len(n) };
    out
}

/// `dst[i] = op(src[i])`, both slices of equal length.
fn map_into<E, R, Op, I>(src: &[E], dst: &mut [MaybeUninit<R>], op: &Op, isa: I)
where
    E: Copy + Sync,
    R: Send,
    Op: Fn(E) -> R + Sync,
    I: LoopIsa,
{
    assert_eq!(src.len(), dst.len());
    #[cfg(feature = "rayon")]
    if src.len() >= isa.parallel_threshold() {
        dst.par_chunks_mut(ELEMENTWISE_CHUNK)
            .zip(src.par_chunks(ELEMENTWISE_CHUNK))
            .for_each(|(d, s)| {
                isa.run(
                    #[inline(always)]
                    || map_into_serial(s, d, op),
                )
            });
        return;
    }
    isa.run(
        #[inline(always)]
        || map_into_serial(src, dst, op),
    );
}

#[inline(always)]
fn map_into_serial<E: Copy, R, Op: Fn(E) -> R>(src: &[E], dst: &mut [MaybeUninit<R>], op: &Op) {
    for (d, &s) in dst.iter_mut().zip(src) {
        d.write((*op)(s));
    }
}

/// A fresh vector holding `op` of each element of the blocks
/// `src[start..start + block_len]`, `start` from `starts`, block after block.
pub(crate) fn map_blocks_collect<E, R, Op, I>(
    src: &[E],
    starts: &[usize],
    block_len: usize,
    op: &Op,
    isa: I,
) -> Vec<R>
where
    E: Copy + Sync,
    R: Send,
    Op: Fn(E) -> R + Sync,
    I: LoopIsa,
{
    assert!(block_len > 0);
    let n = starts.len() * block_len;
    let mut out: Vec<R> = Vec::with_capacity(n);
    let dst = &mut out.spare_capacity_mut()[..n];
    let block = |(d, &start): (&mut [MaybeUninit<R>], &usize)| {
        isa.run(
            #[inline(always)]
            || map_into_serial(&src[start..start + block_len], d, op),
        );
    };
    #[cfg(feature = "rayon")]
    if n >= isa.parallel_threshold() {
        dst.par_chunks_mut(block_len)
            .zip(starts.par_iter())
            .for_each(block);
    } else {
        dst.chunks_mut(block_len).zip(starts).for_each(block);
    }
    #[cfg(not(feature = "rayon"))]
    dst.chunks_mut(block_len).zip(starts).for_each(block);
    // SAFETY: the `starts.len()` chunks of `block_len` slots cover all `n`
    // slots and each was written (a short `src` panics before this line).
    unsafe { out.set_len(n) };
    out
}

/// `dst[i] = op(dst[i], src[i])` for `i` below the shorter length. (`op` by
/// value, so that a caller can pass an `#[inline(always)]` closure; pass
/// `&op` to lend one.)
pub(crate) fn zip_inplace<E, S, Op, I>(dst: &mut [E], src: &[S], op: Op, isa: I)
where
    E: Copy + Send,
    S: Copy + Sync,
    Op: Fn(E, S) -> E + Sync,
    I: LoopIsa,
{
    let n = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    #[cfg(feature = "rayon")]
    if n >= isa.parallel_threshold() {
        dst.par_chunks_mut(ELEMENTWISE_CHUNK)
            .zip(src.par_chunks(ELEMENTWISE_CHUNK))
            .for_each(|(d, s)| {
                isa.run(
                    #[inline(always)]
                    || zip_inplace_serial(d, s, &op),
                )
            });
        return;
    }
    isa.run(
        #[inline(always)]
        || zip_inplace_serial(dst, src, &op),
    );
}

#[inline(always)]
fn zip_inplace_serial<E: Copy, S: Copy, Op: Fn(E, S) -> E>(dst: &mut [E], src: &[S], op: &Op) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = (*op)(*d, s);
    }
}

/// A fresh vector holding `op(lhs[i], rhs[i])` for `i` below the shorter
/// length.
pub(crate) fn zip_collect<E, R, Op, I>(lhs: &[E], rhs: &[E], op: &Op, isa: I) -> Vec<R>
where
    E: Copy + Sync,
    R: Send,
    Op: Fn(E, E) -> R + Sync,
    I: LoopIsa,
{
    let n = lhs.len().min(rhs.len());
    let mut out: Vec<R> = Vec::with_capacity(n);
    zip_into(
        &lhs[..n],
        &rhs[..n],
        &mut out.spare_capacity_mut()[..n],
        op,
        isa,
    );
    // SAFETY: as in `map_collect`, `zip_into` wrote each of the `n` slots.
    unsafe { out.set_len(n) };
    out
}

/// `dst[i] = op(lhs[i], rhs[i])`, all three slices of equal length.
fn zip_into<E, R, Op, I>(lhs: &[E], rhs: &[E], dst: &mut [MaybeUninit<R>], op: &Op, isa: I)
where
    E: Copy + Sync,
    R: Send,
    Op: Fn(E, E) -> R + Sync,
    I: LoopIsa,
{
    assert!(lhs.len() == dst.len() && rhs.len() == dst.len());
    #[cfg(feature = "rayon")]
    if dst.len() >= isa.parallel_threshold() {
        dst.par_chunks_mut(ELEMENTWISE_CHUNK)
            .zip(lhs.par_chunks(ELEMENTWISE_CHUNK))
            .zip(rhs.par_chunks(ELEMENTWISE_CHUNK))
            .for_each(|((d, l), r)| {
                isa.run(
                    #[inline(always)]
                    || zip_into_serial(l, r, d, op),
                )
            });
        return;
    }
    isa.run(
        #[inline(always)]
        || zip_into_serial(lhs, rhs, dst, op),
    );
}

#[inline(always)]
fn zip_into_serial<E: Copy, R, Op: Fn(E, E) -> R>(
    lhs: &[E],
    rhs: &[E],
    dst: &mut [MaybeUninit<R>],
    op: &Op,
) {
    for ((d, &l), &r) in dst.iter_mut().zip(lhs).zip(rhs) {
        d.write((*op)(l, r));
    }
}

// The kernels must give exactly what the sequential loops they replaced
// gave: the same function, applied once per element, in any partition.
// Every test compares bit patterns (`to_bits`), on sizes that are not a
// multiple of the chunk or of any SIMD width, below and above the
// threshold, and through the public ops on non-contiguous inputs.
/// `dst[i] = other[i]` where `(mask[i] != 0) == where_set`, else unchanged,
/// for `i` below the shortest length: the in-place `mask_where` and (with a
/// repeated `other`, see [`fill_inplace`]) `mask_fill`. Every element is read
/// and written (a select, not a conditional store), so the loop has no branch
/// on the mask and vectorises; the result is the same bits either way.
pub(crate) fn select_inplace<E>(dst: &mut [E], mask: &[u8], other: &[E], where_set: bool)
where
    E: Copy + Send + Sync,
{
    let n = dst.len().min(mask.len()).min(other.len());
    let (dst, mask, other) = (&mut dst[..n], &mask[..n], &other[..n]);
    let isa = super::vmath::Widest;
    #[cfg(feature = "rayon")]
    if n >= isa.parallel_threshold() {
        dst.par_chunks_mut(ELEMENTWISE_CHUNK)
            .zip(mask.par_chunks(ELEMENTWISE_CHUNK))
            .zip(other.par_chunks(ELEMENTWISE_CHUNK))
            .for_each(|((d, m), o)| {
                isa.run(
                    #[inline(always)]
                    || select_inplace_serial(d, m, o, where_set),
                )
            });
        return;
    }
    isa.run(
        #[inline(always)]
        || select_inplace_serial(dst, mask, other, where_set),
    );
}

#[inline(always)]
fn select_inplace_serial<E: Copy>(dst: &mut [E], mask: &[u8], other: &[E], where_set: bool) {
    for ((d, &m), &o) in dst.iter_mut().zip(mask).zip(other) {
        *d = if (m != 0) == where_set { o } else { *d };
    }
}

/// `dst[i] = value` where `mask[i] != 0`, else unchanged (branch-free, as
/// [`select_inplace`]).
pub(crate) fn fill_inplace<E>(dst: &mut [E], mask: &[u8], value: E)
where
    E: Copy + Send + Sync,
{
    zip_inplace(
        dst,
        mask,
        #[inline(always)]
        |d, m: u8| if m != 0 { value } else { d },
        super::vmath::Widest,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FlexTensor;
    use crate::ops::vmath;
    use crate::ops::{binary, unary};
    use alloc::vec;
    use burn_backend::TensorData;
    use burn_backend::ops::ActivationOps;

    use crate::Flex;

    /// Sizes on both sides of the threshold and of a chunk boundary.
    const SIZES: [usize; 6] = [
        0,
        1,
        4 * 1024 + 3,
        ELEMENTWISE_PARALLEL_THRESHOLD - 1,
        ELEMENTWISE_PARALLEL_THRESHOLD,
        3 * ELEMENTWISE_PARALLEL_THRESHOLD + 17,
    ];

    /// Deterministic values spanning negative, small, large and special inputs.
    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        (0..n)
            .map(|i| match i % 97 {
                0 => 0.0,
                1 => -0.0,
                2 => f32::NAN,
                3 => f32::INFINITY,
                4 => -30.0,
                _ => {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    (state as f32 / u32::MAX as f32) * 16.0 - 8.0
                }
            })
            .collect()
    }

    /// Bit patterns, every NaN mapped to one: IEEE 754 leaves the payload of
    /// a NaN produced by arithmetic unspecified, and LLVM may commute the
    /// operands of a multiply, so only the NaN-ness of a result is a
    /// property of the function.
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

    fn tensor(v: Vec<f32>, shape: &[usize]) -> FlexTensor {
        FlexTensor::from_data(TensorData::new(v, shape.to_vec()))
    }

    fn out(t: FlexTensor) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn kernels_equal_sequential_loops_bitwise() {
        let op = |x: f32| x.tanh();
        let op2 = |a: f32, b: f32| b * a.exp();
        for n in SIZES {
            let a = values(n, 1);
            let b = values(n, 2);
            let seq_map: Vec<f32> = a.iter().map(|&x| op(x)).collect();
            let seq_zip: Vec<f32> = a.iter().zip(&b).map(|(&x, &y)| op2(x, y)).collect();

            let mut inplace = a.clone();
            map_inplace(&mut inplace, &op, Baseline);
            assert_eq!(bits(&inplace), bits(&seq_map), "map_inplace n={n}");
            assert_eq!(
                bits(&map_collect(&a, &op, Baseline)),
                bits(&seq_map),
                "map_collect n={n}"
            );

            let mut inplace = a.clone();
            zip_inplace(&mut inplace, &b, op2, Baseline);
            assert_eq!(bits(&inplace), bits(&seq_zip), "zip_inplace n={n}");
            assert_eq!(
                bits(&zip_collect(&a, &b, &op2, Baseline)),
                bits(&seq_zip),
                "zip_collect n={n}"
            );
        }
    }

    #[test]
    fn unary_ops_equal_scalar_functions_bitwise() {
        // f32 goes through the branch-free functions of `vmath`.
        type Case = (fn(FlexTensor) -> FlexTensor, fn(f32) -> f32);
        let cases: [Case; 4] = [
            (unary::exp, vmath::exp),
            (unary::log, vmath::ln),
            (unary::log1p, vmath::ln_1p),
            (unary::tanh, vmath::tanh),
        ];
        for (op, scalar) in cases {
            for n in SIZES {
                let v = values(n, 3);
                let expected: Vec<f32> = v.iter().map(|&x| scalar(x)).collect();
                // Unique and contiguous: the in-place path.
                assert_eq!(bits(&out(op(tensor(v.clone(), &[n])))), bits(&expected));
                // Shared: the allocating path over the same storage.
                let t = tensor(v.clone(), &[n]);
                let keep = t.clone();
                assert_eq!(bits(&out(op(t))), bits(&expected));
                assert_eq!(bits(&out(keep)), bits(&v), "input left untouched");
            }
        }
    }

    #[test]
    fn unary_op_non_contiguous_equals_scalar_bitwise() {
        // [rows, cols] with odd sizes, above the threshold.
        let (rows, cols) = (181, 367);
        let v = values(rows * cols, 4);
        let at = |r: usize, c: usize| v[r * cols + c];

        // Transposed: storage order kept, layout preserved.
        let t = unary::tanh(tensor(v.clone(), &[rows, cols]).transpose(0, 1));
        let expected: Vec<f32> = (0..cols)
            .flat_map(|c| (0..rows).map(move |r| (c, r)))
            .map(|(c, r)| vmath::tanh(at(r, c)))
            .collect();
        assert_eq!(bits(&out(t)), bits(&expected));

        // Narrowed rows: one contiguous block at an offset.
        let t = tensor(v.clone(), &[rows, cols]).narrow(0, 3, rows - 5);
        let expected: Vec<f32> = v[3 * cols..(rows - 2) * cols]
            .iter()
            .map(|&x| vmath::exp(x))
            .collect();
        assert_eq!(bits(&out(unary::exp(t))), bits(&expected));

        // Narrowed columns: strided blocks.
        let t = tensor(v.clone(), &[rows, cols]).narrow(1, 1, cols - 2);
        let expected: Vec<f32> = (0..rows)
            .flat_map(|r| (1..cols - 1).map(move |c| (r, c)))
            .map(|(r, c)| vmath::ln_1p(at(r, c)))
            .collect();
        assert_eq!(bits(&out(unary::log1p(t))), bits(&expected));

        // Short blocks (kept sequential), above the threshold.
        let (rows, cols) = (4099, 20);
        let v = values(rows * cols, 9);
        let t = tensor(v.clone(), &[rows, cols]).narrow(1, 1, cols - 2);
        let expected: Vec<f32> = (0..rows)
            .flat_map(|r| (1..cols - 1).map(move |c| r * cols + c))
            .map(|i| vmath::tanh(v[i]))
            .collect();
        assert_eq!(bits(&out(unary::tanh(t))), bits(&expected));

        // Blocks of one element: a transposed view at an offset.
        let t = tensor(v.clone(), &[rows, cols])
            .narrow(0, 1, rows - 1)
            .transpose(0, 1);
        let expected: Vec<f32> = (0..cols)
            .flat_map(|c| (1..rows).map(move |r| r * cols + c))
            .map(|i| vmath::exp(v[i]))
            .collect();
        assert_eq!(bits(&out(unary::exp(t))), bits(&expected));
    }

    /// The sigmoid of flex's `ActivationOps` on `f32`.
    fn sigmoid_ref(x: f32) -> f32 {
        vmath::sigmoid(x)
    }

    #[test]
    fn activations_and_backward_equal_scalar_bitwise() {
        for n in SIZES {
            let x = values(n, 5);
            let g = values(n, 6);

            let s = out(Flex::sigmoid(tensor(x.clone(), &[n])));
            let expected: Vec<f32> = x.iter().map(|&v| sigmoid_ref(v)).collect();
            assert_eq!(bits(&s), bits(&expected), "sigmoid n={n}");

            // sigmoid_backward(output, grad) as autodiff calls it: the output
            // is shared (kept by the graph), the gradient unique — the
            // swapped in-place path.
            let output = tensor(s.clone(), &[n]);
            let keep = output.clone();
            let back = out(Flex::sigmoid_backward(output, tensor(g.clone(), &[n])));
            let expected: Vec<f32> = s.iter().zip(&g).map(|(&s, &g)| g * s * (1.0 - s)).collect();
            assert_eq!(bits(&back), bits(&expected), "sigmoid_backward n={n}");
            drop(keep);

            // Both operands shared: the allocating path.
            let (xt, gt) = (tensor(x.clone(), &[n]), tensor(g.clone(), &[n]));
            let (kx, kg) = (xt.clone(), gt.clone());
            let back = out(Flex::log_sigmoid_backward(xt, gt));
            let expected: Vec<f32> = x
                .iter()
                .zip(&g)
                .map(|(&x, &g)| g * sigmoid_ref(-x))
                .collect();
            assert_eq!(bits(&back), bits(&expected), "log_sigmoid_backward n={n}");
            drop((kx, kg));

            // Unique lhs: the in-place path.
            let back = out(binary::binary_op(
                tensor(x.clone(), &[n]),
                tensor(g.clone(), &[n]),
                |a: f32, b| a.powf(b),
                |a: f64, b| a.powf(b),
                None,
            ));
            let expected: Vec<f32> = x.iter().zip(&g).map(|(&a, &b)| a.powf(b)).collect();
            assert_eq!(bits(&back), bits(&expected), "powf n={n}");

            // Scalar op, in place and allocating.
            let expected: Vec<f32> = x.iter().map(|&a| a.powf(0.37)).collect();
            let pow = |a: f32, b: f32| a.powf(b);
            let pow64 = |a: f64, b: f64| a.powf(b);
            let t = out(binary::scalar_op(tensor(x.clone(), &[n]), 0.37, pow, pow64));
            assert_eq!(bits(&t), bits(&expected), "powf_scalar n={n}");
            let shared = tensor(x.clone(), &[n]);
            let keep = shared.clone();
            let t = out(binary::scalar_op(shared, 0.37, pow, pow64));
            assert_eq!(bits(&t), bits(&expected), "powf_scalar shared n={n}");
            drop(keep);
        }
    }

    #[test]
    fn f64_and_half_paths_equal_scalar_bitwise() {
        let n = 2 * ELEMENTWISE_PARALLEL_THRESHOLD + 5;
        let v: Vec<f64> = values(n, 7).iter().map(|&x| x as f64).collect();
        let t = FlexTensor::from_data(TensorData::new(v.clone(), vec![n]));
        let got: Vec<f64> = unary::tanh(t).into_data().try_to_vec().unwrap();
        let expected: Vec<f64> = v.iter().map(|x| x.tanh()).collect();
        assert!(
            got.iter()
                .zip(&expected)
                .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()))
        );

        let h: Vec<burn_std::f16> = values(n, 8)
            .iter()
            .map(|&x| burn_std::f16::from_f32(x))
            .collect();
        let t = FlexTensor::from_data(TensorData::new(h.clone(), vec![n]));
        let got: Vec<burn_std::f16> = unary::exp(t).into_data().try_to_vec().unwrap();
        let expected: Vec<burn_std::f16> = h
            .iter()
            .map(|x| burn_std::f16::from_f32(x.to_f32().exp()))
            .collect();
        assert!(
            got.iter()
                .zip(&expected)
                .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()))
        );
    }
}

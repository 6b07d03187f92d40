//! Backward passes of conv2d as im2col + gemm.
//!
//! burn-backend's default `conv2d_weight_backward` swaps the batch and channel dimensions of `x`
//! and of the output gradient and runs a forward convolution whose kernel is the whole gradient
//! image (two strided-to-contiguous copies, an NHWC conversion and an im2col with a huge
//! kernel); its default `conv2d_x_backward` runs a transposed convolution. Here both are one
//! gemm per chunk of batch elements on NCHW data:
//!
//! - weight: `dW[c_out, (c_in, kh, kw)] = Σ_chunks G_c[c_out, (b, oh, ow)] · cols_cᵀ`, where
//!   `cols_c[(c_in, kh, kw), (b, oh, ow)]` is the im2col of the chunk's `x`;
//! - input: `cols_c = Wᵀ[(c_in, kh, kw), c_out] · G_c[c_out, (b, oh, ow)]`, scattered back into
//!   `dx` by col2im.
//!
//! Padding (begin and end, which may differ), stride, dilation and groups are respected; the
//! output size is read from the output gradient.
//!
//! Determinism: the chunks depend only on the shapes, never on the number of threads. The weight
//! gradient's per-chunk partial sums are added in chunk order after the parallel part, and every
//! element of `dx` is written by exactly one chunk in a fixed order, so both gradients are the
//! same bits for any rayon pool size.

use alloc::vec;
use alloc::vec::Vec;
use burn_backend::DType;
use burn_backend::ops::ConvOptions;
use burn_std::{Bytes, Shape};

use crate::{FlexTensor, Layout};

/// Columns (batch elements × output positions) a chunk aims for: the inner dimension of the
/// weight gradient's gemm and the outer one of the input gradient's.
const CHUNK_COLUMNS: usize = 512;

/// At most this many weight-gradient partial sums (each the size of the weight) are kept.
const MAX_WEIGHT_CHUNKS: usize = 16;

/// Element types with a native gemm.
pub(crate) trait GemmFloat:
    bytemuck::Pod + burn_backend::Element + core::ops::Add<Output = Self> + Send + Sync + 'static
{
    const ZERO: Self;
    const ONE: Self;
}

impl GemmFloat for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

impl GemmFloat for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
}

/// Sizes of one conv2d, read from `x` (or its shape), the weight and the output gradient.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    batch: usize,
    channels_in: usize,
    in_h: usize,
    in_w: usize,
    channels_out: usize,
    groups: usize,
    /// Input channels per group.
    group_in: usize,
    /// Output channels per group.
    group_out: usize,
    kernel_h: usize,
    kernel_w: usize,
    out_h: usize,
    out_w: usize,
    stride: [usize; 2],
    dilation: [usize; 2],
    pad: [usize; 2],
}

impl Geometry {
    fn new(
        x_shape: &[usize],
        w_shape: &[usize],
        g_shape: &[usize],
        options: &ConvOptions<2>,
    ) -> Self {
        let groups = options.groups;
        assert_eq!(
            x_shape[1],
            w_shape[1] * groups,
            "conv2d backward: channels_in"
        );
        assert_eq!(g_shape[0], x_shape[0], "conv2d backward: batch");
        assert_eq!(g_shape[1], w_shape[0], "conv2d backward: channels_out");
        Self {
            batch: x_shape[0],
            channels_in: x_shape[1],
            in_h: x_shape[2],
            in_w: x_shape[3],
            channels_out: w_shape[0],
            groups,
            group_in: w_shape[1],
            group_out: w_shape[0] / groups,
            kernel_h: w_shape[2],
            kernel_w: w_shape[3],
            out_h: g_shape[2],
            out_w: g_shape[3],
            stride: options.stride,
            dilation: options.dilation,
            pad: options.padding_begin(),
        }
    }

    fn spatial_out(&self) -> usize {
        self.out_h * self.out_w
    }

    /// Rows of a group's im2col matrix: `(c_in of the group, kh, kw)`.
    fn col_rows(&self) -> usize {
        self.group_in * self.kernel_h * self.kernel_w
    }

    /// Batch elements per chunk, from the shapes alone.
    fn batches_per_chunk(&self, max_chunks: usize) -> usize {
        let by_columns = CHUNK_COLUMNS.div_ceil(self.spatial_out().max(1));
        let by_count = self.batch.div_ceil(max_chunks);
        by_columns.max(by_count).clamp(1, self.batch.max(1))
    }

    /// Output rows (or columns, with `axis` 1) `lo..hi` whose input index
    /// `o * stride + k * dilation - pad` falls inside the input, for kernel offset `k`.
    fn valid_range(&self, axis: usize, k: usize) -> (usize, usize) {
        let (out, input) = match axis {
            0 => (self.out_h, self.in_h),
            _ => (self.out_w, self.in_w),
        };
        let (stride, pad, offset) = (self.stride[axis], self.pad[axis], k * self.dilation[axis]);
        let lo = pad.saturating_sub(offset).div_ceil(stride);
        let hi = (input + pad)
            .saturating_sub(offset)
            .div_ceil(stride)
            .min(out);
        (lo.min(hi), hi)
    }
}

/// Gradient of conv2d with respect to the weight, `[c_out, c_in / groups, kh, kw]`.
pub(crate) fn conv2d_weight_backward<T: GemmFloat>(
    x: FlexTensor,
    weight: FlexTensor,
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
    dtype: DType,
) -> FlexTensor {
    let x = x.to_contiguous();
    let grad = output_grad.to_contiguous();
    let w_shape = weight.layout().shape().clone();
    let geo = Geometry::new(x.layout().shape(), &w_shape, grad.layout().shape(), options);
    let x: &[T] = x.storage();
    let grad: &[T] = grad.storage();

    let weight_len = geo.channels_out * geo.col_rows();
    let per_chunk = geo.batches_per_chunk(MAX_WEIGHT_CHUNKS);
    let chunks = geo.batch.div_ceil(per_chunk);
    let partial = |chunk: usize| {
        let b0 = chunk * per_chunk;
        weight_grad_chunk(x, grad, &geo, b0, per_chunk.min(geo.batch - b0))
    };
    #[cfg(feature = "rayon")]
    let partials: Vec<Vec<T>> = {
        use rayon::prelude::*;
        (0..chunks).into_par_iter().map(partial).collect()
    };
    #[cfg(not(feature = "rayon"))]
    let partials: Vec<Vec<T>> = (0..chunks).map(partial).collect();

    // Chunk order, whatever the thread that computed each.
    let mut partials = partials.into_iter();
    let mut dw = partials.next().unwrap_or_else(|| vec![T::ZERO; weight_len]);
    for p in partials {
        for (a, b) in dw.iter_mut().zip(&p) {
            *a = *a + *b;
        }
    }
    FlexTensor::new(Bytes::from_elems(dw), Layout::contiguous(w_shape), dtype)
}

/// One chunk's weight gradient: `G_c · cols_cᵀ` per group.
fn weight_grad_chunk<T: GemmFloat>(
    x: &[T],
    grad: &[T],
    geo: &Geometry,
    b0: usize,
    nb: usize,
) -> Vec<T> {
    let rows = geo.col_rows();
    let columns = nb * geo.spatial_out();
    let mut dw = vec![T::ZERO; geo.channels_out * rows];
    let mut cols = vec![T::ZERO; rows * columns];
    let mut g = vec![T::ZERO; geo.group_out * columns];
    for group in 0..geo.groups {
        if group > 0 {
            cols.fill(T::ZERO);
        }
        im2col(&mut cols, x, geo, b0, nb, group);
        gather_grad(&mut g, grad, geo, b0, nb, group);
        // dw[group_out, rows] = g[group_out, columns] · cols[rows, columns]ᵀ
        unsafe {
            gemm::gemm(
                geo.group_out,
                rows,
                columns,
                dw.as_mut_ptr().add(group * geo.group_out * rows),
                1,
                rows as isize,
                false,
                g.as_ptr(),
                1,
                columns as isize,
                cols.as_ptr(),
                columns as isize,
                1,
                T::ZERO,
                T::ONE,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    }
    dw
}

/// Gradient of conv2d with respect to its input, of shape `x_shape`.
pub(crate) fn conv2d_x_backward<T: GemmFloat>(
    x_shape: &[usize],
    weight: FlexTensor,
    output_grad: FlexTensor,
    options: &ConvOptions<2>,
    dtype: DType,
) -> FlexTensor {
    let weight = weight.to_contiguous();
    let grad = output_grad.to_contiguous();
    let geo = Geometry::new(
        x_shape,
        weight.layout().shape(),
        grad.layout().shape(),
        options,
    );
    let w: &[T] = weight.storage();
    let grad: &[T] = grad.storage();

    let image_len = geo.channels_in * geo.in_h * geo.in_w;
    let mut dx = vec![T::ZERO; geo.batch * image_len];
    let per_chunk = geo.batches_per_chunk(usize::MAX);
    let chunk_len = (per_chunk * image_len).max(1);
    // One scratch per rayon job, not per chunk: a chunk is often one image, and allocating
    // and zeroing its columns cost about as much as the col2im that reads them.
    let fill = |scratch: &mut XGradScratch<T>, (chunk, dx_chunk): (usize, &mut [T])| {
        x_grad_chunk(dx_chunk, scratch, w, grad, &geo, chunk * per_chunk)
    };
    #[cfg(feature = "rayon")]
    {
        use rayon::prelude::*;
        dx.par_chunks_mut(chunk_len)
            .enumerate()
            .for_each_init(XGradScratch::default, fill);
    }
    #[cfg(not(feature = "rayon"))]
    {
        let mut scratch = XGradScratch::default();
        dx.chunks_mut(chunk_len)
            .enumerate()
            .for_each(|item| fill(&mut scratch, item));
    }

    FlexTensor::new(
        Bytes::from_elems(dx),
        Layout::contiguous(Shape::from(x_shape.to_vec())),
        dtype,
    )
}

/// Buffers an input-gradient chunk works in, kept from one chunk to the next.
struct XGradScratch<T> {
    cols: Vec<T>,
    g: Vec<T>,
}

impl<T> Default for XGradScratch<T> {
    fn default() -> Self {
        Self {
            cols: Vec::new(),
            g: Vec::new(),
        }
    }
}

/// One chunk's input gradient: `cols = Wᵀ · G_c` per group, scattered into `dx_chunk`.
fn x_grad_chunk<T: GemmFloat>(
    dx_chunk: &mut [T],
    scratch: &mut XGradScratch<T>,
    w: &[T],
    grad: &[T],
    geo: &Geometry,
    b0: usize,
) {
    let image_len = geo.channels_in * geo.in_h * geo.in_w;
    if image_len == 0 {
        return;
    }
    let nb = dx_chunk.len() / image_len;
    let rows = geo.col_rows();
    let columns = nb * geo.spatial_out();
    // gemm writes every element of `cols` (it never reads them), so what an earlier chunk
    // left there does not matter; with no output channels it writes nothing, hence the fill.
    if scratch.cols.len() < rows * columns {
        scratch.cols.resize(rows * columns, T::ZERO);
    }
    let cols = &mut scratch.cols[..rows * columns];
    if geo.group_out == 0 {
        cols.fill(T::ZERO);
    }
    for group in 0..geo.groups {
        // G_c of this group, [group_out, (b, oh, ow)]: for one image, a slice of `grad` as it is.
        let g: &[T] = if nb == 1 {
            let spatial = geo.spatial_out();
            &grad[(b0 * geo.channels_out + group * geo.group_out) * spatial..]
                [..geo.group_out * spatial]
        } else {
            scratch.g.resize(geo.group_out * columns, T::ZERO);
            gather_grad(&mut scratch.g, grad, geo, b0, nb, group);
            &scratch.g
        };
        // cols[rows, columns] = w_group[group_out, rows]ᵀ · g[group_out, columns]
        unsafe {
            gemm::gemm(
                rows,
                columns,
                geo.group_out,
                cols.as_mut_ptr(),
                1,
                columns as isize,
                false,
                w.as_ptr().add(group * geo.group_out * rows),
                rows as isize,
                1,
                g.as_ptr(),
                1,
                columns as isize,
                T::ZERO,
                T::ONE,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
        col2im(dx_chunk, cols, geo, nb, group);
    }
}

/// The chunk's output gradient of one group as `[group_out, (b, oh, ow)]`.
fn gather_grad<T: Copy>(
    g: &mut [T],
    grad: &[T],
    geo: &Geometry,
    b0: usize,
    nb: usize,
    group: usize,
) {
    let spatial = geo.spatial_out();
    let columns = nb * spatial;
    for co in 0..geo.group_out {
        let channel = group * geo.group_out + co;
        for bl in 0..nb {
            let src = ((b0 + bl) * geo.channels_out + channel) * spatial;
            g[co * columns + bl * spatial..][..spatial].copy_from_slice(&grad[src..][..spatial]);
        }
    }
}

/// im2col of batch elements `b0..b0 + nb` and one group of channels of NCHW `x` into
/// `cols[(c, kh, kw), (b, oh, ow)]`; positions in the padding are left as they are (zero).
fn im2col<T: Copy>(cols: &mut [T], x: &[T], geo: &Geometry, b0: usize, nb: usize, group: usize) {
    let spatial = geo.spatial_out();
    let columns = nb * spatial;
    let plane = geo.in_h * geo.in_w;
    let [stride_h, stride_w] = geo.stride;
    let [dilation_h, dilation_w] = geo.dilation;
    let [pad_h, pad_w] = geo.pad;
    for c in 0..geo.group_in {
        let channel = group * geo.group_in + c;
        for i in 0..geo.kernel_h {
            let (oh_lo, oh_hi) = geo.valid_range(0, i);
            for j in 0..geo.kernel_w {
                let (ow_lo, ow_hi) = geo.valid_range(1, j);
                if ow_lo == ow_hi {
                    continue;
                }
                let row = ((c * geo.kernel_h + i) * geo.kernel_w + j) * columns;
                for bl in 0..nb {
                    let src = &x[((b0 + bl) * geo.channels_in + channel) * plane..][..plane];
                    let dst = &mut cols[row + bl * spatial..][..spatial];
                    for oh in oh_lo..oh_hi {
                        let ih = oh * stride_h + i * dilation_h - pad_h;
                        let src_row = &src[ih * geo.in_w..][..geo.in_w];
                        let dst_row = &mut dst[oh * geo.out_w..][ow_lo..ow_hi];
                        let iw0 = ow_lo * stride_w + j * dilation_w - pad_w;
                        if stride_w == 1 {
                            dst_row.copy_from_slice(&src_row[iw0..iw0 + dst_row.len()]);
                        } else {
                            for (k, d) in dst_row.iter_mut().enumerate() {
                                *d = src_row[iw0 + k * stride_w];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// col2im: adds `cols[(c, kh, kw), (b, oh, ow)]` of one group into the NCHW `dx_chunk` of `nb`
/// batch elements, kernel offsets in row-major order.
fn col2im<T: GemmFloat>(dx_chunk: &mut [T], cols: &[T], geo: &Geometry, nb: usize, group: usize) {
    let spatial = geo.spatial_out();
    let columns = nb * spatial;
    let plane = geo.in_h * geo.in_w;
    let [stride_h, stride_w] = geo.stride;
    let [dilation_h, dilation_w] = geo.dilation;
    let [pad_h, pad_w] = geo.pad;
    for bl in 0..nb {
        for c in 0..geo.group_in {
            let channel = group * geo.group_in + c;
            let dst = &mut dx_chunk[(bl * geo.channels_in + channel) * plane..][..plane];
            for i in 0..geo.kernel_h {
                let (oh_lo, oh_hi) = geo.valid_range(0, i);
                for j in 0..geo.kernel_w {
                    let (ow_lo, ow_hi) = geo.valid_range(1, j);
                    if ow_lo == ow_hi {
                        continue;
                    }
                    let row = ((c * geo.kernel_h + i) * geo.kernel_w + j) * columns;
                    let src = &cols[row + bl * spatial..][..spatial];
                    for oh in oh_lo..oh_hi {
                        let ih = oh * stride_h + i * dilation_h - pad_h;
                        let dst_row = &mut dst[ih * geo.in_w..][..geo.in_w];
                        let src_row = &src[oh * geo.out_w..][ow_lo..ow_hi];
                        let iw0 = ow_lo * stride_w + j * dilation_w - pad_w;
                        if stride_w == 1 {
                            let dst_row = &mut dst_row[iw0..iw0 + src_row.len()];
                            for (d, &s) in dst_row.iter_mut().zip(src_row) {
                                *d = *d + s;
                            }
                        } else {
                            for (k, &s) in src_row.iter().enumerate() {
                                let d = &mut dst_row[iw0 + k * stride_w];
                                *d = *d + s;
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;

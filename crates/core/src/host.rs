//! Host values to tensors and back. Every family moves data between `Vec`s and burn through
//! these, so a shape and an element type are decided in one place.

use crate::labels;
use crate::seed::Rng;
use burn::prelude::*;
use burn::tensor::Element;
use burn::tensor::kind::Basic;

/// Row-major `values` as a tensor of `shape` on `device`: f32s give a `Tensor<D>`, i64s a
/// `Tensor<D, Int>`. Panics when `values.len()` is not the product of `shape`.
pub fn tensor<const D: usize, K: Basic, E: Element>(
    values: Vec<E>,
    shape: [usize; D],
    device: &Device,
) -> Tensor<D, K> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

/// The values of a float tensor, row-major, as f32.
pub fn floats<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("converted float data reads back as f32")
}

/// The values of a float tensor, row-major, as f64 (exact for f32 tensors).
pub fn floats_f64<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .expect("converted float data reads back as f64")
}

/// `shape` standard normal draws from `rng`, in row-major order, as a tensor on `device` (noise
/// drawn on the host, so a run's numbers do not depend on the backend's generator).
pub fn standard_normal<const D: usize>(
    shape: [usize; D],
    rng: &mut Rng,
    device: &Device,
) -> Tensor<D> {
    let n = shape.iter().product();
    let values: Vec<f32> = (0..n).map(|_| rng.normal() as f32).collect();
    tensor(values, shape, device)
}

/// `[n, classes]` one-hot rows of `labels`, row-major. Panics on a label `>= classes`.
pub fn one_hot_rows(labels: &[usize], classes: usize) -> Vec<f32> {
    let mut rows = vec![0.0f32; labels.len() * classes];
    for (i, &l) in labels.iter().enumerate() {
        assert!(l < classes, "label {l} out of range 0..{classes}");
        rows[i * classes + l] = 1.0;
    }
    rows
}

/// What a model with `classes` classes conditions on for `n` examples: `None` when unconditional
/// (`classes` is 0), else the one-hot `[n, classes]` tensor of `labels` (checked by
/// [`labels::check`]).
pub fn condition(
    labels: &[usize],
    n: usize,
    classes: usize,
    device: &Device,
) -> anyhow::Result<Option<Tensor<2>>> {
    if classes == 0 {
        return Ok(None);
    }
    labels::check(labels, n, classes)?;
    Ok(Some(one_hot(labels, classes, device)))
}

/// The one-hot rows of `labels` as a `[n, classes]` tensor on `device`.
pub fn one_hot(labels: &[usize], classes: usize, device: &Device) -> Tensor<2> {
    tensor(
        one_hot_rows(labels, classes),
        [labels.len(), classes],
        device,
    )
}

/// `labels` as an `[n]` integer tensor on `device` (class ids for an embedding).
pub fn class_ids(labels: &[usize], device: &Device) -> Tensor<1, Int> {
    let ids: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
    tensor(ids, [labels.len()], device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_survive_the_round_trip_in_row_major_order() {
        let device = Device::flex();
        let t: Tensor<2> = tensor(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], [2, 3], &device);
        assert_eq!(t.dims(), [2, 3]);
        // Row 1 is (4, 5, 6): the layout is row-major.
        assert_eq!(floats(t.clone().narrow(0, 1, 1)), vec![4.0, 5.0, 6.0]);
        assert_eq!(floats_f64(t), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn normal_draws_come_from_the_generator_in_row_major_order() {
        let device = Device::flex();
        let t = standard_normal([2, 3], &mut Rng::new(9), &device);
        let mut rng = Rng::new(9);
        let expected: Vec<f32> = (0..6).map(|_| rng.normal() as f32).collect();
        assert_eq!(floats(t), expected);
    }

    #[test]
    fn one_hot_puts_a_single_one_per_row_at_the_label() {
        assert_eq!(one_hot_rows(&[2, 0], 3), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
        let device = Device::flex();
        let t = one_hot(&[1, 1, 0], 2, &device);
        assert_eq!(t.dims(), [3, 2]);
        assert_eq!(floats(t.sum_dim(0)), vec![1.0, 2.0]);
        let ids = class_ids(&[3, 1], &device);
        let ids: Vec<i64> = ids.into_data().convert::<i64>().try_into_vec().unwrap();
        assert_eq!(ids, vec![3, 1]);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn one_hot_refuses_a_label_beyond_the_classes() {
        one_hot_rows(&[3], 3);
    }
}

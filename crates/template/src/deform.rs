//! Small random deformations of an image `[C, H, W]` of levels: an integer shift and Simard et
//! al.'s (2003) elastic distortion. Every channel moves with the same displacement.

use genbench_core::seed::Rng;

/// `[C, H, W]` of one image.
pub type Shape = [usize; 3];

/// The image moved by `dx` pixels right and `dy` down; what enters the frame is level 0.
pub fn translate(img: &[f32], [c, h, w]: Shape, dx: isize, dy: isize) -> Vec<f32> {
    let mut out = vec![0.0; img.len()];
    for ch in 0..c {
        for r in 0..h {
            for col in 0..w {
                let (sr, sc) = (r as isize - dy, col as isize - dx);
                if (0..h as isize).contains(&sr) && (0..w as isize).contains(&sc) {
                    out[(ch * h + r) * w + col] = img[(ch * h + sr as usize) * w + sc as usize];
                }
            }
        }
    }
    out
}

/// A random shift: (dx, dy) uniform on {−k, …, k}².
pub fn random_shift(rng: &mut Rng, k: usize) -> (isize, isize) {
    let draw = |rng: &mut Rng| rng.below(2 * k + 1) as isize - k as isize;
    let dx = draw(rng);
    (dx, draw(rng))
}

/// Simard et al.'s elastic distortion: displacements Δ = α (G_σ ∗ U), U uniform on [−1, 1] per
/// pixel and axis; output(r, c) = input(r + Δr, c + Δc) by bilinear interpolation (level 0
/// outside the frame), rounded and clamped to `0..levels`.
pub fn elastic(
    img: &[f32],
    shape: Shape,
    alpha: f64,
    sigma: f64,
    levels: u32,
    rng: &mut Rng,
) -> Vec<f32> {
    let [c, h, w] = shape;
    let field = |rng: &mut Rng| {
        let noise: Vec<f64> = (0..h * w).map(|_| 2.0 * rng.uniform() - 1.0).collect();
        gaussian_filter(&noise, h, w, sigma)
            .into_iter()
            .map(|v| alpha * v)
            .collect::<Vec<_>>()
    };
    let (dr, dc) = (field(rng), field(rng));
    let top = (levels - 1) as f64;
    let mut out = vec![0.0; img.len()];
    for ch in 0..c {
        let plane = &img[ch * h * w..(ch + 1) * h * w];
        for r in 0..h {
            for col in 0..w {
                let k = r * w + col;
                let v = bilinear(plane, h, w, r as f64 + dr[k], col as f64 + dc[k]);
                out[ch * h * w + k] = v.round().clamp(0.0, top) as f32;
            }
        }
    }
    out
}

/// `plane` (`[H, W]`) at the real position (y, x); pixels outside the frame are 0.
pub fn bilinear(plane: &[f32], h: usize, w: usize, y: f64, x: f64) -> f64 {
    let at = |r: isize, c: isize| -> f64 {
        if (0..h as isize).contains(&r) && (0..w as isize).contains(&c) {
            plane[r as usize * w + c as usize] as f64
        } else {
            0.0
        }
    };
    let (r0, c0) = (y.floor(), x.floor());
    let (fy, fx) = (y - r0, x - c0);
    let (r0, c0) = (r0 as isize, c0 as isize);
    (1.0 - fy) * ((1.0 - fx) * at(r0, c0) + fx * at(r0, c0 + 1))
        + fy * ((1.0 - fx) * at(r0 + 1, c0) + fx * at(r0 + 1, c0 + 1))
}

/// A separable Gaussian filter of width σ (radius ⌈3σ⌉, weights summing to 1) over an
/// `[H, W]` field, the border value repeated outside it.
pub fn gaussian_filter(field: &[f64], h: usize, w: usize, sigma: f64) -> Vec<f64> {
    let radius = (3.0 * sigma).ceil() as isize;
    let kernel: Vec<f64> = (-radius..=radius)
        .map(|t| (-(t * t) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = kernel.iter().sum();
    let kernel: Vec<f64> = kernel.iter().map(|k| k / total).collect();
    let pass = |src: &[f64], step: usize, len: usize, lines: usize, stride: usize| {
        let mut out = vec![0.0; src.len()];
        for line in 0..lines {
            for i in 0..len {
                out[line * stride + i * step] = (-radius..=radius)
                    .zip(&kernel)
                    .map(|(t, k)| {
                        let j = (i as isize + t).clamp(0, len as isize - 1) as usize;
                        k * src[line * stride + j * step]
                    })
                    .sum();
            }
        }
        out
    };
    let rows = pass(field, 1, w, h, w);
    pass(&rows, w, h, w, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shift_moves_pixels_and_fills_with_zero() {
        // 1×2×3: [[1 2 3] [4 5 6]] shifted right 1, down 1 -> [[0 0 0] [0 1 2]].
        let img = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(
            translate(&img, [1, 2, 3], 1, 1),
            vec![0.0, 0.0, 0.0, 0.0, 1.0, 2.0]
        );
        assert_eq!(translate(&img, [1, 2, 3], 0, 0), img.to_vec());
        assert_eq!(
            translate(&img, [1, 2, 3], -1, 0),
            vec![2.0, 3.0, 0.0, 5.0, 6.0, 0.0]
        );
    }

    #[test]
    fn bilinear_interpolates_between_four_pixels() {
        // [[0 4] [8 12]] at (0.25, 0.5): rows 2 and 10 mixed 3:1 -> 4.
        let plane = [0.0, 4.0, 8.0, 12.0];
        assert!((bilinear(&plane, 2, 2, 0.25, 0.5) - 4.0).abs() < 1e-12);
        assert_eq!(bilinear(&plane, 2, 2, 1.0, 1.0), 12.0);
        // Half a pixel past the right edge: half of 4 and half of the 0 outside.
        assert!((bilinear(&plane, 2, 2, 0.0, 1.5) - 2.0).abs() < 1e-12);
    }

    #[test]
    fn the_gaussian_filter_keeps_constants_and_mass() {
        let constant = vec![0.7; 5 * 4];
        for v in gaussian_filter(&constant, 5, 4, 1.3) {
            assert!((v - 0.7).abs() < 1e-12);
        }
        // An impulse far from the border spreads out but keeps its total.
        let mut impulse = vec![0.0; 15 * 15];
        impulse[7 * 15 + 7] = 1.0;
        let blurred = gaussian_filter(&impulse, 15, 15, 1.0);
        assert!((blurred.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(blurred[7 * 15 + 7] < 0.2 && blurred[7 * 15 + 8] > 0.05);
    }

    #[test]
    fn zero_strength_elastic_is_the_identity() {
        let img: Vec<f32> = (0..16).map(|k| (k % 5) as f32).collect();
        let mut rng = Rng::new(3);
        assert_eq!(elastic(&img, [1, 4, 4], 0.0, 1.0, 5, &mut rng), img);
        let moved = elastic(&img, [1, 4, 4], 3.0, 1.0, 5, &mut rng);
        assert_ne!(moved, img);
        assert!(
            moved
                .iter()
                .all(|&v| (0.0..=4.0).contains(&v) && v.fract() == 0.0)
        );
    }
}

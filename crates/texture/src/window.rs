//! The causal neighbourhood of a pixel: the offsets of a window that come before its centre in
//! raster order, with their weights, and the gathering of their values.

/// Value of a position outside the image (pixel values are in [0, 1]).
pub const OUTSIDE: f32 = -1.0;

/// Offsets (dr, dc) of the causal part of a (2h + 1)² window: dr ∈ −h..=0, dc ∈ −h..=h, and
/// (dr, dc) before (0, 0) in raster order; with their weights.
#[derive(Clone, Debug, PartialEq)]
pub struct CausalWindow {
    /// The offsets (dr, dc) from the centre, in raster order.
    pub offsets: Vec<(isize, isize)>,
    /// Each offset's weight in the distance (a Gaussian of the offset, or 1).
    pub weights: Vec<f32>,
}

impl CausalWindow {
    /// The causal part of a window of side `2 half + 1`, weighted by a Gaussian of
    /// σ = (2 half + 1)/6.4 when `gaussian`, by 1 otherwise.
    pub fn image(half: usize, gaussian: bool) -> Self {
        let h = half as isize;
        let offsets: Vec<(isize, isize)> = (-h..=0)
            .flat_map(|dr| (-h..=h).map(move |dc| (dr, dc)))
            .filter(|&(dr, dc)| dr < 0 || dc < 0)
            .collect();
        let weights = weights(&offsets, half, gaussian);
        Self { offsets, weights }
    }

    /// On vectors: the `half` preceding coordinates (offsets (0, −1), …, (0, −half)).
    pub fn vector(half: usize, gaussian: bool) -> Self {
        let offsets: Vec<(isize, isize)> = (1..=half as isize).map(|o| (0, -o)).collect();
        let weights = weights(&offsets, half, gaussian);
        Self { offsets, weights }
    }

    /// The number of offsets.
    pub fn len(&self) -> usize {
        self.offsets.len()
    }

    /// Whether the window has no offsets (a window of side 1).
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }

    /// The values of `plane` (`[H, W]`) at (r, c) + each offset, [`OUTSIDE`] beyond the frame,
    /// appended to `out`.
    pub fn gather(
        &self,
        plane: &[f32],
        h: usize,
        w: usize,
        r: usize,
        c: usize,
        out: &mut Vec<f32>,
    ) {
        for &(dr, dc) in &self.offsets {
            let (y, x) = (r as isize + dr, c as isize + dc);
            out.push(
                if (0..h as isize).contains(&y) && (0..w as isize).contains(&x) {
                    plane[y as usize * w + x as usize]
                } else {
                    OUTSIDE
                },
            );
        }
    }

    /// Σ_o w_o (a_o − b_o)² over one neighbourhood per channel, `a` and `b` laid out as
    /// `gather` fills them (channel after channel).
    pub fn distance(&self, a: &[f32], b: &[f32]) -> f32 {
        a.iter()
            .zip(b)
            .zip(self.weights.iter().cycle())
            .map(|((x, y), w)| w * (x - y) * (x - y))
            .sum()
    }
}

fn weights(offsets: &[(isize, isize)], half: usize, gaussian: bool) -> Vec<f32> {
    let sigma = (2 * half + 1) as f32 / 6.4;
    offsets
        .iter()
        .map(|&(dr, dc)| {
            if gaussian {
                (-((dr * dr + dc * dc) as f32) / (2.0 * sigma * sigma)).exp()
            } else {
                1.0
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_causal_window_is_the_rows_above_and_the_pixels_to_the_left() {
        // 5×5: two full rows of 5 above, two pixels to the left: 12 offsets.
        let w = CausalWindow::image(2, false);
        assert_eq!(w.len(), 12);
        assert!(w.offsets.contains(&(-2, -2)) && w.offsets.contains(&(-1, 2)));
        assert!(w.offsets.contains(&(0, -1)) && !w.offsets.contains(&(0, 0)));
        assert!(!w.offsets.iter().any(|&(dr, dc)| dr == 0 && dc > 0));
        assert_eq!(CausalWindow::image(0, true).len(), 0);
        assert_eq!(
            CausalWindow::vector(2, false).offsets,
            vec![(0, -1), (0, -2)]
        );
    }

    #[test]
    fn gather_pads_outside_the_frame() {
        // 2×2 plane [[a b] [c d]] at (1, 1) with a 3×3 window: (-1,-1)=a (-1,0)=b (-1,1)=out
        // (0,-1)=c.
        let w = CausalWindow::image(1, false);
        let mut out = Vec::new();
        w.gather(&[0.1, 0.2, 0.3, 0.4], 2, 2, 1, 1, &mut out);
        assert_eq!(out, vec![0.1, 0.2, OUTSIDE, 0.3]);
    }

    #[test]
    fn gaussian_weights_follow_efros_and_leung() {
        // window 5: σ = 5/6.4; offset (0,-1) has weight exp(-1/(2σ²)).
        let w = CausalWindow::image(2, true);
        let sigma = 5.0f32 / 6.4;
        let at = w.offsets.iter().position(|&o| o == (0, -1)).unwrap();
        assert!((w.weights[at] - (-1.0 / (2.0 * sigma * sigma)).exp()).abs() < 1e-6);
        // distance: weight times squared difference.
        let a = vec![0.0; 12];
        let mut b = vec![0.0; 12];
        b[at] = 0.5;
        assert!((w.distance(&a, &b) - 0.25 * w.weights[at]).abs() < 1e-7);
    }
}

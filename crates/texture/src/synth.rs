//! Non-parametric sampling of one example: pixels (or coordinates) in raster order, each copied
//! from a source position whose causal neighbourhood matches the one generated so far.

use crate::config::Selection;
use crate::window::CausalWindow;
use genbench_core::seed::Rng;

/// How to turn the distances to every candidate into one choice.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rule {
    /// k-nearest or tolerance.
    pub selection: Selection,
    /// How many nearest candidates (`k-nearest`).
    pub k: usize,
    /// ε of the tolerance rule: candidates within (1 + ε) of the best distance.
    pub epsilon: f64,
}

impl Rule {
    /// The index of a candidate drawn uniformly from the k nearest (ties broken by index), or
    /// from those with d ≤ (1 + ε) min d. `dists` must be non-empty.
    pub fn pick(&self, dists: &[f32], rng: &mut Rng) -> usize {
        assert!(!dists.is_empty(), "no candidates to pick from");
        match self.selection {
            Selection::Tolerance => {
                let best = dists.iter().copied().fold(f32::INFINITY, f32::min) as f64;
                let limit = (best * (1.0 + self.epsilon)) as f32;
                let count = dists.iter().filter(|&&d| d <= limit).count();
                let chosen = rng.below(count);
                dists
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| **d <= limit)
                    .nth(chosen)
                    .map(|(i, _)| i)
                    .expect("the best candidate is within the limit")
            }
            Selection::KNearest => {
                let k = self.k.min(dists.len());
                let mut idx: Vec<usize> = (0..dists.len()).collect();
                let key = |&i: &usize| (dists[i], i);
                idx.select_nth_unstable_by(k - 1, |a, b| {
                    let (da, ia) = key(a);
                    let (db, ib) = key(b);
                    da.total_cmp(&db).then(ia.cmp(&ib))
                });
                let mut nearest = idx[..k].to_vec();
                nearest.sort_unstable();
                nearest[rng.below(k)]
            }
        }
    }
}

/// One image `[C, H, W]` (values in [0, 1]) synthesised from `sources` (each `[C, H, W]`, the
/// same scale): pixel after pixel in raster order, each copied (all channels) from the source
/// position whose causal neighbourhood `rule` picks among those within `search_radius` rows and
/// columns of it (0 = anywhere).
pub fn image(
    sources: &[&[f32]],
    [c, h, w]: [usize; 3],
    window: &CausalWindow,
    rule: &Rule,
    search_radius: usize,
    rng: &mut Rng,
) -> Vec<f32> {
    let plane = h * w;
    let width = c * window.len();
    // Every source position's neighbourhood, [sources · H · W, C · |window|].
    let mut neighbourhoods = Vec::with_capacity(sources.len() * plane * width);
    for src in sources {
        for r in 0..h {
            for col in 0..w {
                for ch in 0..c {
                    window.gather(
                        &src[ch * plane..(ch + 1) * plane],
                        h,
                        w,
                        r,
                        col,
                        &mut neighbourhoods,
                    );
                }
            }
        }
    }
    let radius = if search_radius == 0 {
        h.max(w)
    } else {
        search_radius
    };
    let mut out = vec![0.0f32; c * plane];
    let mut here = Vec::with_capacity(width);
    let mut dists = Vec::new();
    let mut at = Vec::new();
    for r in 0..h {
        for col in 0..w {
            here.clear();
            for ch in 0..c {
                window.gather(&out[ch * plane..(ch + 1) * plane], h, w, r, col, &mut here);
            }
            dists.clear();
            at.clear();
            let rows = r.saturating_sub(radius)..(r + radius + 1).min(h);
            let cols = col.saturating_sub(radius)..(col + radius + 1).min(w);
            for s in 0..sources.len() {
                for sr in rows.clone() {
                    for sc in cols.clone() {
                        let q = (s * h + sr) * w + sc;
                        dists.push(
                            window.distance(&here, &neighbourhoods[q * width..(q + 1) * width]),
                        );
                        at.push((s, sr * w + sc));
                    }
                }
            }
            let (s, pos) = at[rule.pick(&dists, rng)];
            for ch in 0..c {
                out[ch * plane + r * w + col] = sources[s][ch * plane + pos];
            }
        }
    }
    out
}

/// One vector synthesised from `sources` (each `[D]`): coordinate j copied from the coordinate
/// j of the source whose preceding coordinates (the window's offsets) `rule` picks.
pub fn vector(sources: &[&[f32]], window: &CausalWindow, rule: &Rule, rng: &mut Rng) -> Vec<f32> {
    let dim = sources[0].len();
    let mut out = Vec::with_capacity(dim);
    let mut here = Vec::new();
    let mut there = Vec::new();
    let mut dists = Vec::with_capacity(sources.len());
    for j in 0..dim {
        here.clear();
        window.gather(&out, 1, j, 0, j, &mut here);
        dists.clear();
        for src in sources {
            there.clear();
            window.gather(&src[..j], 1, j, 0, j, &mut there);
            dists.push(window.distance(&here, &there));
        }
        out.push(sources[rule.pick(&dists, rng)][j]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tolerance(epsilon: f64) -> Rule {
        Rule {
            selection: Selection::Tolerance,
            k: 1,
            epsilon,
        }
    }

    #[test]
    fn tolerance_keeps_only_candidates_near_the_best() {
        // best 1.0, ε = 0.5: candidates 0 (1.0), 2 (1.4); 1 (2.0) and 3 (1.6) never.
        let dists = [1.0, 2.0, 1.4, 1.6];
        let mut rng = Rng::new(0);
        let mut seen = [0usize; 4];
        for _ in 0..2000 {
            seen[tolerance(0.5).pick(&dists, &mut rng)] += 1;
        }
        assert_eq!((seen[1], seen[3]), (0, 0));
        assert!(seen[0] > 800 && seen[2] > 800, "{seen:?}");
        // ε = 0 and a zero best: only exact matches.
        assert_eq!(tolerance(0.0).pick(&[0.3, 0.0, 0.2], &mut rng), 1);
    }

    #[test]
    fn k_nearest_draws_among_the_k_smallest() {
        let rule = Rule {
            selection: Selection::KNearest,
            k: 2,
            epsilon: 0.0,
        };
        let dists = [5.0, 0.5, 3.0, 0.1, 9.0];
        let mut rng = Rng::new(1);
        let mut seen = [0usize; 5];
        for _ in 0..1000 {
            seen[rule.pick(&dists, &mut rng)] += 1;
        }
        assert_eq!(seen[0] + seen[2] + seen[4], 0);
        assert!(seen[1] > 400 && seen[3] > 400, "{seen:?}");
    }

    #[test]
    fn the_first_pixel_matches_only_the_top_left_corner_of_a_source() {
        // With a window reaching past the frame, only (0, 0) has an all-outside neighbourhood:
        // the first pixel of every synthesis is some source's first pixel.
        let src: Vec<f32> = (0..9).map(|v| v as f32 / 8.0).collect();
        let window = CausalWindow::image(2, true);
        let mut rng = Rng::new(2);
        for _ in 0..10 {
            let out = image(&[&src], [1, 3, 3], &window, &tolerance(0.0), 0, &mut rng);
            assert_eq!(
                out, src,
                "a single source with a full causal window is copied"
            );
        }
    }

    #[test]
    fn a_vector_copies_the_first_coordinate_then_follows_its_neighbour() {
        // Sources (0, 10) and (1, 20); with a window seeing x0 and ε = 0, x1 follows x0.
        let a = [0.0f32, 10.0];
        let b = [1.0f32, 20.0];
        let window = CausalWindow::vector(1, false);
        let mut rng = Rng::new(4);
        for _ in 0..20 {
            let v = vector(&[&a, &b], &window, &tolerance(0.0), &mut rng);
            assert!(v == a || v == b, "{v:?}");
        }
    }
}

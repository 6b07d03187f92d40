//! 2-D panels: each model's samples over the true density p*(x) (shaded bands of p / max p),
//! and below them the model's own density where it has an exact one (model_density.csv).

use super::{Figure, PlotResult, caption_font, title_font};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The most sample points drawn per panel.
pub const MAX_SAMPLES: usize = 1000;

/// A density on a regular grid of cell centres: `values[j * nx + i]` is `log p` at `(xs[i], ys[j])`.
#[derive(Clone, Debug)]
pub struct Grid {
    /// The cell centres' x coordinates, increasing.
    pub xs: Vec<f64>,
    /// The cell centres' y coordinates, increasing.
    pub ys: Vec<f64>,
    /// `log p` per cell, row by row (y outer, x inner).
    pub logp: Vec<f64>,
}

impl Grid {
    /// `f` evaluated at the centres of a `side x side` grid over `(lo, hi)`.
    pub fn eval(lo: [f64; 2], hi: [f64; 2], side: usize, f: impl Fn([f64; 2]) -> f64) -> Self {
        let at = |d: usize, i: usize| lo[d] + (hi[d] - lo[d]) * (i as f64 + 0.5) / side as f64;
        let xs: Vec<f64> = (0..side).map(|i| at(0, i)).collect();
        let ys: Vec<f64> = (0..side).map(|j| at(1, j)).collect();
        let logp = ys
            .iter()
            .flat_map(|&y| xs.iter().map(move |&x| (x, y)))
            .map(|(x, y)| f([x, y]))
            .collect();
        Self { xs, ys, logp }
    }

    /// A grid from `(x0, x1, logp)` rows on a regular lattice (model_density.csv), or `None`
    /// when the points do not fill one.
    pub fn from_points(points: &[(f64, f64, f64)]) -> Option<Self> {
        let uniq = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.dedup();
            v
        };
        let xs = uniq(points.iter().map(|p| p.0).collect());
        let ys = uniq(points.iter().map(|p| p.1).collect());
        if xs.len() < 2 || ys.len() < 2 || xs.len() * ys.len() != points.len() {
            return None;
        }
        let mut logp = vec![f64::NEG_INFINITY; points.len()];
        for &(x, y, l) in points {
            let i = xs.binary_search_by(|v| v.total_cmp(&x)).ok()?;
            let j = ys.binary_search_by(|v| v.total_cmp(&y)).ok()?;
            logp[j * xs.len() + i] = l;
        }
        Some(Self { xs, ys, logp })
    }

    fn half_cell(v: &[f64], i: usize) -> (f64, f64) {
        let step = if v.len() > 1 {
            (v[v.len() - 1] - v[0]) / (v.len() - 1) as f64
        } else {
            1.0
        };
        (v[i] - step / 2.0, v[i] + step / 2.0)
    }

    /// Band index 0..=BANDS of each cell from p / max p.
    fn bands(&self) -> Vec<usize> {
        let max = self
            .logp
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        self.logp
            .iter()
            .map(|&l| {
                if !l.is_finite() || !max.is_finite() {
                    return 0;
                }
                let r = (l - max).exp();
                THRESHOLDS.iter().filter(|&&t| r >= t).count()
            })
            .collect()
    }
}

/// Band edges on p / max p: the shaded "contours".
const THRESHOLDS: [f64; 5] = [0.01, 0.1, 0.3, 0.6, 0.9];

fn band_color(base: RGBColor, band: usize) -> RGBColor {
    let t = band as f64 / THRESHOLDS.len() as f64 * 0.75;
    let mix = |c: u8| (255.0 + (c as f64 - 255.0) * t).round() as u8;
    RGBColor(mix(base.0), mix(base.1), mix(base.2))
}

/// One model's panel content.
pub struct ModelPanel {
    /// The panel's caption.
    pub title: String,
    /// The model's samples (the first [`MAX_SAMPLES`] are drawn).
    pub samples: Vec<[f64; 2]>,
    /// The label each sample was drawn for (conditional models; empty otherwise): the samples
    /// are then coloured by label.
    pub labels: Vec<usize>,
    /// The model's own density, drawn in a second row when it has an exact one.
    pub density: Option<Grid>,
}

/// One dataset's 2-D figure: every model's samples over the true density, model densities below.
pub struct DensityPanels {
    /// The figure's title.
    pub title: String,
    /// Lower-left corner of every panel's box.
    pub lo: [f64; 2],
    /// Upper-right corner of every panel's box.
    pub hi: [f64; 2],
    /// The true density p* on the box.
    pub truth: Grid,
    /// One panel per model.
    pub panels: Vec<ModelPanel>,
}

const TRUE_BASE: RGBColor = RGBColor(31, 90, 180);
const MODEL_BASE: RGBColor = RGBColor(30, 140, 60);
const SAMPLE: RGBColor = RGBColor(220, 60, 20);

impl DensityPanels {
    fn rows(&self) -> usize {
        if self.panels.iter().any(|p| p.density.is_some()) {
            2
        } else {
            1
        }
    }

    fn cols(&self) -> usize {
        self.panels.len().max(1)
    }
}

impl Figure for DensityPanels {
    fn size(&self) -> (u32, u32) {
        (
            (40 + 330 * self.cols() as u32).max(760),
            90 + 340 * self.rows() as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let body = root.titled(&self.title, title_font()).p()?;
        let (strip, body) = body.split_vertically(30);
        let mut items = vec![
            (
                band_color(TRUE_BASE, 3),
                super::Mark::Square,
                "true density p*(x)".to_string(),
            ),
            (
                SAMPLE,
                super::Mark::Dot,
                format!("model samples (first {MAX_SAMPLES})"),
            ),
        ];
        if self.panels.iter().any(|p| !p.labels.is_empty()) {
            items.push((
                super::series_color(0),
                super::Mark::Text,
                "conditional models: colour = requested label".to_string(),
            ));
        }
        if self.rows() == 2 {
            items.push((
                band_color(MODEL_BASE, 3),
                super::Mark::Square,
                "model density p(x)".to_string(),
            ));
        }
        super::legend_strip(&strip, &items)?;
        let areas = body.split_evenly((self.rows(), self.cols()));
        for (c, panel) in self.panels.iter().enumerate() {
            let caption = format!("{}: samples over p*(x)", panel.title);
            self.draw_panel(
                &areas[c],
                &caption,
                &self.truth,
                TRUE_BASE,
                Some((&panel.samples, &panel.labels)),
            )?;
            if self.rows() == 2 {
                let area = &areas[self.cols() + c];
                match &panel.density {
                    Some(grid) => {
                        let caption = format!("{}: model density", panel.title);
                        self.draw_panel(area, &caption, grid, MODEL_BASE, None)?;
                    }
                    None => super::note(area, &panel.title, "no exact model density")?,
                }
            }
        }
        Ok(())
    }
}

impl DensityPanels {
    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        caption: &str,
        grid: &Grid,
        base: RGBColor,
        samples: Option<(&[[f64; 2]], &[usize])>,
    ) -> anyhow::Result<()> {
        let mut chart = ChartBuilder::on(area)
            .caption(caption, caption_font())
            .margin(6)
            .x_label_area_size(36)
            .y_label_area_size(40)
            .build_cartesian_2d(self.lo[0]..self.hi[0], self.lo[1]..self.hi[1])
            .p()?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("x0")
            .y_desc("x1")
            .x_label_formatter(&|v| super::tick(*v))
            .y_label_formatter(&|v| super::tick(*v))
            .label_style((super::FONT_NAME, 11))
            .draw()
            .p()?;
        // Runs of equal band along x: one rectangle per run keeps the SVG small.
        let bands = grid.bands();
        let nx = grid.xs.len();
        let mut rects = Vec::new();
        for j in 0..grid.ys.len() {
            let mut i = 0;
            while i < nx {
                let b = bands[j * nx + i];
                let mut k = i;
                while k + 1 < nx && bands[j * nx + k + 1] == b {
                    k += 1;
                }
                if b > 0 {
                    let (x0, _) = Grid::half_cell(&grid.xs, i);
                    let (_, x1) = Grid::half_cell(&grid.xs, k);
                    let (y0, y1) = Grid::half_cell(&grid.ys, j);
                    rects.push(Rectangle::new(
                        [(x0, y0), (x1, y1)],
                        band_color(base, b).filled(),
                    ));
                }
                i = k + 1;
            }
        }
        chart.draw_series(rects).p()?;
        if let Some((samples, labels)) = samples {
            let inside = samples
                .iter()
                .enumerate()
                .take(MAX_SAMPLES)
                .filter(|(_, p)| {
                    (self.lo[0]..=self.hi[0]).contains(&p[0])
                        && (self.lo[1]..=self.hi[1]).contains(&p[1])
                });
            let color = |i: usize| labels.get(i).map_or(SAMPLE, |&l| super::series_color(l));
            chart
                .draw_series(inside.map(|(i, p)| Circle::new((p[0], p[1]), 1, color(i).filled())))
                .p()?;
        }
        Ok(())
    }
}

/// Scatter panels of point clouds at several times (the diffusion forward or reverse process).
pub struct Trajectory {
    /// The figure's title.
    pub title: String,
    /// `(caption, points)` per panel.
    pub panels: Vec<(String, Vec<[f64; 2]>)>,
    /// Lower-left corner of every panel's box.
    pub lo: [f64; 2],
    /// Upper-right corner of every panel's box.
    pub hi: [f64; 2],
}

impl Figure for Trajectory {
    fn size(&self) -> (u32, u32) {
        (20 + 260 * self.panels.len().max(1) as u32, 340)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let body = root.titled(&self.title, title_font()).p()?;
        let areas = body.split_evenly((1, self.panels.len().max(1)));
        for ((caption, points), area) in self.panels.iter().zip(areas.iter()) {
            let mut chart = ChartBuilder::on(area)
                .caption(caption.as_str(), caption_font())
                .margin(6)
                .x_label_area_size(34)
                .y_label_area_size(38)
                .build_cartesian_2d(self.lo[0]..self.hi[0], self.lo[1]..self.hi[1])
                .p()?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc("x0")
                .y_desc("x1")
                .x_label_formatter(&|v| super::tick(*v))
                .y_label_formatter(&|v| super::tick(*v))
                .label_style((super::FONT_NAME, 11))
                .draw()
                .p()?;
            let inside = points.iter().take(MAX_SAMPLES).filter(|p| {
                (self.lo[0]..=self.hi[0]).contains(&p[0])
                    && (self.lo[1]..=self.hi[1]).contains(&p[1])
            });
            chart
                .draw_series(inside.map(|p| Circle::new((p[0], p[1]), 1, TRUE_BASE.filled())))
                .p()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_round_trips_through_points() {
        let g = Grid::eval([0.0, 0.0], [2.0, 1.0], 4, |x| x[0] - 10.0 * x[1]);
        let points: Vec<(f64, f64, f64)> =
            g.ys.iter()
                .enumerate()
                .flat_map(|(j, &y)| {
                    g.xs.iter()
                        .enumerate()
                        .map(move |(i, &x)| (x, y, i as f64 + 100.0 * j as f64))
                })
                .rev()
                .collect();
        let back = Grid::from_points(&points).unwrap();
        assert_eq!(back.xs, g.xs);
        assert_eq!(back.ys, g.ys);
        assert_eq!(back.logp[2 * 4 + 3], 203.0);
        // Not a full lattice.
        assert!(Grid::from_points(&points[1..]).is_none());
    }

    #[test]
    fn bands_follow_the_density_ratio() {
        let g = Grid {
            xs: vec![0.0, 1.0, 2.0],
            ys: vec![0.0],
            logp: vec![0.0, (0.2f64).ln(), f64::NEG_INFINITY],
        };
        // p/max = 1 -> above every threshold; 0.2 -> above 0.01 and 0.1; -inf -> none.
        assert_eq!(g.bands(), vec![5, 2, 0]);
    }
}

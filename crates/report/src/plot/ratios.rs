//! The speed comparison of `genbench bench` against a reference: one horizontal bar per
//! workload, its throughput ratio on a log axis, with a line at 1.0 (as fast as the reference).

use super::{Figure, PlotResult, title_font};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One workload's ratio (genbench's median samples/s ÷ the reference's).
pub struct Ratio {
    /// The workload's name, the bar's label.
    pub workload: String,
    /// `train`, `sample` or `likelihood`: the bar's colour.
    pub kind: String,
    /// genbench's throughput over the reference's: > 1 is faster.
    pub ratio: f64,
}

/// The ratio chart: one horizontal bar per workload on a log axis.
pub struct RatioBars {
    /// The figure's title.
    pub title: String,
    /// The x axis' description, e.g. `genbench samples/s ÷ PyTorch samples/s`.
    pub x_desc: String,
    /// The bars, top to bottom.
    pub rows: Vec<Ratio>,
}

/// The workload kinds, their bar colours and their legend lines.
const KINDS: [(&str, RGBColor, &str); 3] = [
    ("train", RGBColor(31, 119, 180), "training steps"),
    ("sample", RGBColor(255, 127, 14), "sampling"),
    ("likelihood", RGBColor(44, 160, 44), "likelihood evaluation"),
];

fn kind_color(kind: &str) -> RGBColor {
    KINDS
        .iter()
        .find(|(name, ..)| *name == kind)
        .map_or(RGBColor(120, 120, 120), |(_, color, _)| *color)
}

/// Ticks at 1, 2 and 5 times the powers of ten inside `[lo, hi]`, so that a log axis which
/// spans less than a decade below 1 still shows where 0.5× and 0.2× are.
pub fn ratio_ticks(lo: f64, hi: f64) -> Vec<f64> {
    (-4..=4)
        .flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e)))
        .filter(|t| (lo..=hi).contains(t))
        .collect()
}

impl Figure for RatioBars {
    fn size(&self) -> (u32, u32) {
        (900, 120 + 28 * self.rows.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let body = root.titled(&self.title, title_font()).p()?;
        let finite = self.rows.iter().map(|r| r.ratio).filter(|r| *r > 0.0);
        let (lo, hi) = finite.fold((1.0f64, 1.0f64), |(lo, hi), r| (lo.min(r), hi.max(r)));
        let (lo, hi) = (lo / 1.5, hi * 1.5);
        let n = self.rows.len();
        let labels: Vec<String> = self.rows.iter().map(|r| r.workload.clone()).collect();
        let mut chart = ChartBuilder::on(&body)
            .margin(10)
            .x_label_area_size(44)
            .y_label_area_size(230)
            .build_cartesian_2d(
                (lo..hi).log_scale().with_key_points(ratio_ticks(lo, hi)),
                // `0..n - 1` holds n values; plotters' segments add one after the last value.
                (0..n.max(1) - 1).into_segmented(),
            )
            .p()?;
        let fmt = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) => (n - 1)
                .checked_sub(*i)
                .and_then(|j| labels.get(j).cloned())
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .y_label_formatter(&fmt)
            .x_desc(self.x_desc.as_str())
            .x_label_formatter(&|v| super::tick(*v))
            .label_style((super::FONT_NAME, 13))
            .draw()
            .p()?;
        let bar = |i: usize, r: &Ratio| {
            let y = n - 1 - i;
            let mut bar = Rectangle::new(
                [
                    (lo, SegmentValue::Exact(y)),
                    (r.ratio.max(lo), SegmentValue::Exact(y + 1)),
                ],
                kind_color(&r.kind).filled(),
            );
            bar.set_margin(4, 4, 0, 0);
            bar
        };
        for (kind, color, legend) in KINDS {
            let of_kind = self.rows.iter().enumerate().filter(|(_, r)| r.kind == kind);
            if of_kind.clone().next().is_none() {
                continue;
            }
            chart
                .draw_series(of_kind.map(|(i, r)| bar(i, r)))
                .p()?
                .label(legend)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.filled())
                });
        }
        let others = self.rows.iter().enumerate();
        let others = others.filter(|(_, r)| KINDS.iter().all(|(k, ..)| *k != r.kind));
        chart.draw_series(others.map(|(i, r)| bar(i, r))).p()?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(1.0, SegmentValue::Exact(0)), (1.0, SegmentValue::Exact(n))],
                BLACK.stroke_width(2),
            )))
            .p()?;
        chart
            .draw_series(self.rows.iter().enumerate().map(|(i, r)| {
                Text::new(
                    format!("{:.2}×", r.ratio),
                    (r.ratio.max(lo) * 1.03, SegmentValue::CenterOf(n - 1 - i)),
                    (super::FONT_NAME, 12).into_font(),
                )
            }))
            .p()?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font((super::FONT_NAME, 13))
            .draw()
            .p()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::ratio_ticks;

    #[test]
    fn ticks_mark_the_fractions_below_one() {
        assert_eq!(ratio_ticks(0.15, 13.0), vec![0.2, 0.5, 1.0, 2.0, 5.0, 10.0]);
        assert_eq!(
            ratio_ticks(0.6, 1.9),
            vec![1.0],
            "1 is always inside the span"
        );
    }
}

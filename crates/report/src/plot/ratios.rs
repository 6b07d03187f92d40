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

fn kind_color(kind: &str) -> RGBColor {
    match kind {
        "train" => RGBColor(31, 119, 180),
        "sample" => RGBColor(255, 127, 14),
        _ => RGBColor(44, 160, 44),
    }
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
            .build_cartesian_2d((lo..hi).log_scale(), (0..n).into_segmented())
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
            .y_labels(n + 1)
            .y_label_formatter(&fmt)
            .x_desc(self.x_desc.as_str())
            .x_label_formatter(&|v| super::tick(*v))
            .label_style((super::FONT_NAME, 13))
            .draw()
            .p()?;
        chart
            .draw_series(self.rows.iter().enumerate().map(|(i, r)| {
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
            }))
            .p()?;
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
        Ok(())
    }
}

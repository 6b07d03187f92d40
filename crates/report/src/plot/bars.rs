//! Bar charts: one panel per metric, one bar per model (mean over seeds) with its 95% interval.

use super::{Figure, PlotResult, caption_font, family_color, note, title_font};
use crate::model::{Direction, Metric, ModelRuns, drawn_interval};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A model's bar: name, family and the metric's mean and interval.
pub struct Bar {
    /// The text under the bar.
    pub label: String,
    /// The family whose colour it takes.
    pub family: String,
    /// The bar's height.
    pub mean: f64,
    /// Lower end of its error bar (the mean when there is no interval).
    pub low: f64,
    /// Upper end of its error bar (the mean when there is no interval).
    pub high: f64,
}

/// One metric's panel: its bars, one per model.
pub struct Panel {
    /// The metric drawn (its label and direction).
    pub metric: Metric,
    /// The bars, left to right.
    pub bars: Vec<Bar>,
}

/// The metric panels of one dataset.
pub struct MetricBars {
    /// The figure's title.
    pub title: String,
    /// The panels, one per metric.
    pub panels: Vec<Panel>,
    /// The x axis' description (`model`, `term`, `latent dimension`).
    pub x_desc: String,
    /// Pixels per bar (panels widen with their bar count).
    pub bar_px: u32,
}

impl MetricBars {
    /// Panels for every bar metric some model measured (models in table order).
    pub fn new(title: String, models: &[ModelRuns], metrics: &[Metric]) -> Self {
        let panels = metrics
            .iter()
            .filter(|m| m.bar)
            .map(|metric| Panel {
                metric: *metric,
                bars: models
                    .iter()
                    .filter_map(|m| {
                        let s = m.summary(metric.key);
                        let (low, high) = drawn_interval(metric.key, &s);
                        (s.n > 0).then(|| Bar {
                            label: m.model.clone(),
                            family: m.family.clone(),
                            mean: s.mean,
                            low,
                            high,
                        })
                    })
                    .collect(),
            })
            .filter(|p: &Panel| !p.bars.is_empty())
            .collect();
        Self {
            title,
            panels,
            x_desc: "model".into(),
            bar_px: 64,
        }
    }

    /// One panel of bars with fixed values (no interval): bound terms, KL per dimension.
    pub fn single(
        title: String,
        label: &'static str,
        x_desc: &str,
        bars: Vec<Bar>,
        bar_px: u32,
    ) -> Self {
        let metric = Metric {
            key: "",
            label,
            better: Direction::Neither,
            bar: true,
        };
        Self {
            title,
            panels: vec![Panel { metric, bars }],
            x_desc: x_desc.into(),
            bar_px,
        }
    }

    fn cols(&self) -> usize {
        self.panels.len().clamp(1, 3)
    }

    fn panel_width(&self) -> u32 {
        let most = self.panels.iter().map(|p| p.bars.len()).max().unwrap_or(1) as u32;
        (100 + self.bar_px * most).clamp(400, 1600)
    }

    /// Height of the x labels when they are too wide for their bars and are drawn turned a
    /// quarter (the longest label's length in pixels); 0 when they fit side by side.
    fn turned_label_px(&self) -> u32 {
        let longest = |p: &Panel| p.bars.iter().map(|b| b.label.chars().count()).max();
        let overflows = self.panels.iter().any(|p| {
            let slot = self
                .panel_width()
                .saturating_sub(Y_LABEL_PX + 2 * MARGIN_PX)
                / p.bars.len().max(1) as u32;
            longest(p).unwrap_or(0) as u32 * LABEL_CHAR_PX > slot
        });
        let most = self.panels.iter().filter_map(longest).max().unwrap_or(0) as u32;
        if overflows {
            most * LABEL_CHAR_PX + 12
        } else {
            0
        }
    }
}

/// Width of one character of an axis label at 12 px (a generous average for sans-serif).
const LABEL_CHAR_PX: u32 = 7;
const Y_LABEL_PX: u32 = 62;
const MARGIN_PX: u32 = 8;

impl Figure for MetricBars {
    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(self.cols()).max(1);
        (
            self.panel_width() * self.cols() as u32,
            60 + (330 + self.turned_label_px()) * rows as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let body = root.titled(&self.title, title_font()).p()?;
        let rows = self.panels.len().div_ceil(self.cols()).max(1);
        let areas = body.split_evenly((rows, self.cols()));
        let turned_label_px = self.turned_label_px();
        for (panel, area) in self.panels.iter().zip(areas.iter()) {
            draw_panel(panel, area, &self.x_desc, turned_label_px)?;
        }
        Ok(())
    }
}

fn draw_panel<DB: DrawingBackend>(
    panel: &Panel,
    area: &DrawingArea<DB, Shift>,
    x_desc: &str,
    turned_label_px: u32,
) -> anyhow::Result<()> {
    if panel.bars.is_empty() {
        return note(area, panel.metric.label, "not measured");
    }
    let (lo, hi) = super::span(panel.bars.iter().flat_map(|b| [b.low, b.high, b.mean, 0.0]));
    let lo = if panel.bars.iter().all(|b| b.low >= 0.0) {
        0.0
    } else {
        lo
    };
    let n = panel.bars.len();
    let labels: Vec<String> = panel.bars.iter().map(|b| b.label.clone()).collect();
    let caption = format!(
        "{}{}",
        panel.metric.label,
        match panel.metric.better {
            Direction::Lower => " (lower is better)",
            Direction::Higher => " (higher is better)",
            Direction::Neither => "",
        }
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, caption_font())
        .margin(MARGIN_PX)
        .x_label_area_size(40 + turned_label_px)
        .y_label_area_size(Y_LABEL_PX)
        // `0..n - 1` holds n values; plotters' segments add one after the last value.
        .build_cartesian_2d((0..n - 1).into_segmented(), lo..hi)
        .p()?;
    // Turned labels are drawn below as text elements: plotters centres a mesh label on its tick
    // before turning it, which would put half of each label inside the plot.
    let turned = turned_label_px > 0;
    let fmt = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) if !turned => labels.get(*i).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .x_max_light_lines(1)
        .y_max_light_lines(0)
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&fmt)
        .x_desc(x_desc)
        .y_desc(panel.metric.label)
        .y_label_formatter(&|v| super::tick(*v))
        .label_style((super::FONT_NAME, 12))
        .draw()
        .p()?;
    if turned {
        let style = TextStyle::from((super::FONT_NAME, 12).into_font())
            .transform(FontTransform::Rotate90)
            .pos(Pos::new(HPos::Left, VPos::Center));
        chart
            .draw_series(labels.iter().enumerate().map(|(i, label)| {
                EmptyElement::at((SegmentValue::CenterOf(i), lo))
                    + Text::new(label.clone(), (0, 8), style.clone())
            }))
            .p()?;
    }
    chart
        .draw_series(panel.bars.iter().enumerate().map(|(i, b)| {
            let (bottom, top) = if b.mean >= 0.0 {
                (0f64.max(lo), b.mean)
            } else {
                (b.mean, 0f64.min(hi))
            };
            let mut r = Rectangle::new(
                [
                    (SegmentValue::Exact(i), bottom),
                    (SegmentValue::Exact(i + 1), top),
                ],
                family_color(&b.family).mix(0.8).filled(),
            );
            r.set_margin(0, 0, 12, 12);
            r
        }))
        .p()?;
    let bars: Vec<(SegmentValue<usize>, f64, f64)> = panel
        .bars
        .iter()
        .enumerate()
        .filter(|(_, b)| b.high > b.low)
        .map(|(i, b)| (SegmentValue::CenterOf(i), b.low, b.high))
        .collect();
    super::error_bars(&mut chart, &bars, BLACK, 8)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Bar, Figure, MetricBars};

    fn bars(labels: &[&str]) -> MetricBars {
        let bars = labels
            .iter()
            .map(|l| Bar {
                label: (*l).to_string(),
                family: "vae".into(),
                mean: 1.0,
                low: 1.0,
                high: 1.0,
            })
            .collect();
        MetricBars::single("t".into(), "NLL", "model", bars, 64)
    }

    #[test]
    fn labels_turn_only_when_wider_than_their_bars() {
        // 400 px panel, 3 bars: slots of (400 - 62 - 16) / 3 = 107 px hold 15 characters.
        assert_eq!(bars(&["gmm", "vae", "made"]).turned_label_px(), 0);
        assert_eq!(bars(&["gmm", "template-deformed"]).turned_label_px(), 0);
        // 10 bars of 64 px: a 17-character label (119 px) does not fit in its 64 px slot.
        let names = [
            "template-deformed",
            "gmm",
            "a",
            "b",
            "c",
            "d",
            "e",
            "f",
            "g",
            "h",
        ];
        let many = bars(&names);
        assert_eq!(many.turned_label_px(), 17 * 7 + 12);
        assert_eq!(many.size().1, 60 + 330 + 17 * 7 + 12);
    }
}

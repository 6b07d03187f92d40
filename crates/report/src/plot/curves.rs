//! Training curves of one model on one dataset: loss (and each extra train.csv column) against
//! step and against seconds, one line per seed.

use super::{Figure, PlotResult, caption_font, legend, legend_line, series_color, title_font};
use crate::data::Table;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The most points drawn per line (longer logs are thinned evenly, last point kept).
const MAX_POINTS: usize = 400;
/// The most train.csv columns drawn (loss first, then extras in header order).
const MAX_ROWS: usize = 3;

/// One seed's train.csv.
pub struct SeedLog {
    /// The seed, as the legend shows it.
    pub seed: String,
    /// Its train.csv.
    pub table: Table,
}

/// Every seed's training curves of one model, loss and extra columns against step and seconds.
pub struct TrainingCurves {
    /// The figure's title.
    pub title: String,
    /// One log per seed.
    pub logs: Vec<SeedLog>,
    /// The columns drawn: `loss` and up to two extras present in some log.
    pub columns: Vec<String>,
    /// What `loss` is, with its unit (the family's objective), shown under the title.
    pub objective: Option<String>,
}

impl TrainingCurves {
    /// The figure of `logs`, drawing `loss` (which is `objective`, when known) and the first two
    /// extra columns found in them.
    pub fn new(title: String, logs: Vec<SeedLog>, objective: Option<String>) -> Self {
        let mut columns = vec!["loss".to_string()];
        for log in &logs {
            for h in log.table.header.iter().skip(3) {
                if !columns.contains(h) && columns.len() < MAX_ROWS {
                    columns.push(h.clone());
                }
            }
        }
        Self {
            title,
            logs,
            columns,
            objective,
        }
    }

    /// (x, y) points of `column` against `x` (`step` or `seconds`) of one log, thinned.
    fn points(table: &Table, x: &str, column: &str) -> Vec<(f64, f64)> {
        let all: Vec<(f64, f64)> = (0..table.rows.len())
            .filter_map(|i| Some((table.num(i, x)?, table.num(i, column)?)))
            .collect();
        if all.len() <= MAX_POINTS {
            return all;
        }
        let stride = all.len().div_ceil(MAX_POINTS);
        let mut thin: Vec<(f64, f64)> = all.iter().step_by(stride).copied().collect();
        if thin.last() != all.last() {
            thin.push(*all.last().unwrap_or(&(0.0, 0.0)));
        }
        thin
    }
}

/// The 1st and 99th percentile of `values` padded: the y range a few early spikes cannot flatten.
fn robust_span(mut values: Vec<f64>) -> (f64, f64) {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return (0.0, 1.0);
    }
    values.sort_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    super::span([at(0.01), at(0.99)])
}

impl Figure for TrainingCurves {
    fn size(&self) -> (u32, u32) {
        let subtitle = if self.objective.is_some() { 30 } else { 0 };
        (1100, 60 + subtitle + 300 * self.columns.len() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let mut body = root.titled(&self.title, title_font()).p()?;
        if let Some(objective) = &self.objective {
            body = body
                .titled(&format!("loss: {objective}"), caption_font())
                .p()?;
        }
        let areas = body.split_evenly((self.columns.len(), 2));
        for (r, column) in self.columns.iter().enumerate() {
            for (c, x) in ["step", "seconds"].iter().enumerate() {
                let area = &areas[r * 2 + c];
                let lines: Vec<(String, Vec<(f64, f64)>)> = self
                    .logs
                    .iter()
                    .map(|l| {
                        (
                            format!("seed {}", l.seed),
                            Self::points(&l.table, x, column),
                        )
                    })
                    .filter(|(_, p)| !p.is_empty())
                    .collect();
                if lines.is_empty() {
                    super::note(area, &format!("{column} vs {x}"), "no data")?;
                    continue;
                }
                let (x0, x1) = super::span(lines.iter().flat_map(|(_, p)| p.iter().map(|q| q.0)));
                let (y0, y1) = robust_span(
                    lines
                        .iter()
                        .flat_map(|(_, p)| p.iter().map(|q| q.1))
                        .collect(),
                );
                let mut chart = ChartBuilder::on(area)
                    .caption(format!("{column} vs {x}"), caption_font())
                    .margin(8)
                    .x_label_area_size(40)
                    .y_label_area_size(70)
                    .build_cartesian_2d(x0.max(0.0)..x1, y0..y1)
                    .p()?;
                chart
                    .configure_mesh()
                    .max_light_lines(0)
                    .x_desc(if *x == "step" {
                        "training step"
                    } else {
                        "training seconds"
                    })
                    .y_desc(column.as_str())
                    .x_label_formatter(&|v| super::tick(*v))
                    .y_label_formatter(&|v| super::tick(*v))
                    .label_style((super::FONT_NAME, 12))
                    .draw()
                    .p()?;
                for (i, (label, pts)) in lines.iter().enumerate() {
                    let color = series_color(i);
                    let clamped = pts.iter().map(|&(a, b)| (a, b.clamp(y0, y1)));
                    chart
                        .draw_series(LineSeries::new(clamped, color.stroke_width(2)))
                        .p()?
                        .label(label.as_str())
                        .legend(legend_line(color));
                }
                if lines.len() > 1 {
                    legend(&mut chart, SeriesLabelPosition::UpperRight)?;
                }
            }
        }
        Ok(())
    }
}

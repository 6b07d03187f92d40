//! Generic x-y panels (points, lines, interval bars, point labels; linear or log axes): the
//! cost, quality-vs-likelihood, timeline, guidance and bound plots are all built from these.

use super::{Figure, PlotResult, caption_font, legend, legend_dot, legend_line, title_font};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One point with an optional vertical interval and label.
#[derive(Clone, Debug, PartialEq)]
pub struct Pt {
    /// Position on the x axis.
    pub x: f64,
    /// Position on the y axis.
    pub y: f64,
    /// `(lo, hi)` of its vertical error bar.
    pub interval: Option<(f64, f64)>,
    /// A label written beside it.
    pub text: Option<String>,
}

impl Pt {
    /// The point `(x, y)`, no interval, no label.
    pub fn new(x: f64, y: f64) -> Self {
        Self {
            x,
            y,
            interval: None,
            text: None,
        }
    }

    /// With the interval `lo..hi` (kept only when finite and not empty).
    pub fn interval(mut self, lo: f64, hi: f64) -> Self {
        if lo.is_finite() && hi.is_finite() && hi > lo {
            self.interval = Some((lo, hi));
        }
        self
    }

    /// With the label `t`.
    pub fn text(mut self, t: impl Into<String>) -> Self {
        self.text = Some(t.into());
        self
    }
}

/// A named, coloured set of points, drawn as dots, a line or both.
#[derive(Clone, Debug)]
pub struct Series {
    /// Its legend entry.
    pub label: String,
    /// Its colour.
    pub color: RGBColor,
    /// Its points.
    pub points: Vec<Pt>,
    /// Join the points (sorted by x) with a line.
    pub line: bool,
    /// Mark each point with a dot (off for reference lines).
    pub dots: bool,
}

impl Series {
    /// Whether it is drawn (and marked in a legend) as a line, with `drawable` points on the
    /// panel's axes.
    fn joined(&self, drawable: usize) -> bool {
        self.line && drawable > 1
    }
}

/// One x-y panel: captioned axes and the series on them.
#[derive(Clone, Debug)]
pub struct XyPanel {
    /// The panel's caption.
    pub caption: String,
    /// The x axis' description (with its unit).
    pub x_desc: String,
    /// The y axis' description (with its unit).
    pub y_desc: String,
    /// A logarithmic x axis.
    pub log_x: bool,
    /// A logarithmic y axis.
    pub log_y: bool,
    /// The series drawn, in legend order.
    pub series: Vec<Series>,
}

impl XyPanel {
    /// An empty panel with linear axes.
    pub fn new(
        caption: impl Into<String>,
        x_desc: impl Into<String>,
        y_desc: impl Into<String>,
    ) -> Self {
        Self {
            caption: caption.into(),
            x_desc: x_desc.into(),
            y_desc: y_desc.into(),
            log_x: false,
            log_y: false,
            series: Vec::new(),
        }
    }

    /// Points that can be drawn on this panel's axes (finite; positive on a log axis).
    fn drawable(&self, p: &Pt) -> bool {
        p.x.is_finite()
            && p.y.is_finite()
            && (!self.log_x || p.x > 0.0)
            && (!self.log_y || p.y > 0.0)
    }

    /// Whether no series has a point that can be drawn on these axes.
    pub fn is_empty(&self) -> bool {
        self.series
            .iter()
            .all(|s| !s.points.iter().any(|p| self.drawable(p)))
    }
}

/// Panels in a grid under one title.
pub struct XyFigure {
    /// The figure's title.
    pub title: String,
    /// The panels, row by row.
    pub panels: Vec<XyPanel>,
    /// Panels per row.
    pub cols: usize,
    /// Width and height of each panel in pixels.
    pub panel_size: (u32, u32),
}

impl XyFigure {
    /// `panels` in rows of `cols` (at least 1), 560 × 400 px each.
    pub fn new(title: impl Into<String>, panels: Vec<XyPanel>, cols: usize) -> Self {
        Self {
            title: title.into(),
            panels,
            cols: cols.max(1),
            panel_size: (560, 400),
        }
    }
    fn rows(&self) -> usize {
        self.panels.len().div_ceil(self.cols).max(1)
    }
}

impl Figure for XyFigure {
    fn size(&self) -> (u32, u32) {
        let cols = self.cols.min(self.panels.len().max(1)) as u32;
        (
            (self.panel_size.0 * cols).max(680),
            50 + self.panel_size.1 * self.rows() as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let body = root.titled(&self.title, title_font()).p()?;
        let cols = self.cols.min(self.panels.len().max(1));
        let areas = body.split_evenly((self.rows(), cols));
        for (panel, area) in self.panels.iter().zip(areas.iter()) {
            draw_panel(panel, area)?;
        }
        Ok(())
    }
}

macro_rules! draw_with {
    ($panel:expr, $area:expr, $xr:expr, $yr:expr, $y_bottom:expr, $pos:expr) => {{
        let panel = $panel;
        let mut chart = ChartBuilder::on($area)
            .caption(panel.caption.as_str(), caption_font())
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d($xr, $yr)
            .p()?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .x_desc(panel.x_desc.as_str())
            .y_desc(panel.y_desc.as_str())
            .x_label_formatter(&|v| {
                if panel.log_x {
                    super::log_tick(*v)
                } else {
                    super::tick(*v)
                }
            })
            .y_label_formatter(&|v| {
                if panel.log_y {
                    super::log_tick(*v)
                } else {
                    super::tick(*v)
                }
            })
            .label_style((super::FONT_NAME, 12))
            .draw()
            .p()?;
        let mut labelled = 0;
        for s in &panel.series {
            let mut pts: Vec<&Pt> = s.points.iter().filter(|p| panel.drawable(p)).collect();
            if pts.is_empty() {
                continue;
            }
            pts.sort_by(|a, b| a.x.total_cmp(&b.x));
            let color = s.color;
            if s.joined(pts.len()) {
                chart
                    .draw_series(LineSeries::new(
                        pts.iter().map(|p| (p.x, p.y)),
                        color.stroke_width(2),
                    ))
                    .p()?;
            }
            let bars: Vec<(f64, f64, f64)> = pts
                .iter()
                .filter_map(|p| p.interval.map(|(lo, hi)| (p.x, lo, hi)))
                // On a log axis an interval reaching 0 or below runs to the bottom of the plot.
                .map(|(x, lo, hi)| (x, if lo > 0.0 { lo } else { $y_bottom }, hi))
                .collect();
            super::error_bars(&mut chart, &bars, color, 5)?;
            let radius = if pts.len() > 100 { 2 } else { 4 };
            let anno = chart
                .draw_series(
                    pts.iter()
                        .filter(|_| s.dots)
                        .map(|p| Circle::new((p.x, p.y), radius, color.filled())),
                )
                .p()?;
            if !s.label.is_empty() {
                labelled += 1;
                if s.joined(pts.len()) {
                    anno.label(s.label.as_str()).legend(legend_line(color));
                } else {
                    anno.label(s.label.as_str()).legend(legend_dot(color));
                }
            }
            chart
                .draw_series(pts.iter().filter_map(|p| {
                    p.text.as_ref().map(|t| {
                        EmptyElement::at((p.x, p.y))
                            + Text::new(t.clone(), (6, -14), (super::FONT_NAME, 12))
                    })
                }))
                .p()?;
        }
        if labelled > 1
            && let Some(pos) = $pos
        {
            legend(&mut chart, pos)?;
        }
    }};
}

fn draw_panel<DB: DrawingBackend>(
    panel: &XyPanel,
    area: &DrawingArea<DB, Shift>,
) -> anyhow::Result<()> {
    if panel.is_empty() {
        return super::note(area, &panel.caption, "nothing measured");
    }
    let width = area.dim_in_pixel().0 as f64;
    let (xr, yr) = ranges(panel, width);
    let (hidden, pos) = corner(panel, xr, yr);
    let entries = legend_entries(panel);
    if entries.len() < 2 || hidden == 0 {
        return draw_chart(panel, area, xr, yr, Some(pos));
    }
    // Every corner of the plot holds data: the legend goes in a column beside the plot.
    let longest = entries
        .iter()
        .map(|e| e.2.chars().count())
        .max()
        .unwrap_or(0);
    let side = (7.5 * longest as f64 + 40.0).min(width * 0.4);
    let (plot, beside) = area.split_horizontally((width - side) as u32);
    let (xr, yr) = ranges(panel, width - side);
    draw_chart(panel, &plot, xr, yr, None)?;
    super::legend_column(&beside, &entries)
}

/// The series' legend entries: each labelled series with a drawable point, marked with a line
/// when it is drawn as one.
fn legend_entries(panel: &XyPanel) -> Vec<(RGBColor, super::Mark, String)> {
    panel
        .series
        .iter()
        .filter(|s| !s.label.is_empty())
        .filter_map(|s| {
            let n = s.points.iter().filter(|p| panel.drawable(p)).count();
            let mark = if s.joined(n) {
                super::Mark::Line
            } else {
                super::Mark::Dot
            };
            (n > 0).then(|| (s.color, mark, s.label.clone()))
        })
        .collect()
}

/// The axis ranges of `panel` drawn `width` pixels wide: the data's span, widened to the right
/// so that the longest point label fits inside the plot.
fn ranges(panel: &XyPanel, width: f64) -> ((f64, f64), (f64, f64)) {
    let pts: Vec<&Pt> = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|p| panel.drawable(p))
        .collect();
    let xs = pts.iter().map(|p| p.x);
    let ys = pts.iter().flat_map(|p| {
        let (lo, hi) = p.interval.unwrap_or((p.y, p.y));
        [p.y, lo, hi]
    });
    // Point labels extend to the right of their points: widen the x range so that the longest
    // (about 7 px a character at 12 px) fits inside the plot, whose width is the panel's less
    // the y-label area and margins. `room` is that extra width as a fraction of the data span.
    let label_px = pts
        .iter()
        .filter_map(|p| p.text.as_ref())
        .map(|t| 7.0 * t.chars().count() as f64 + 10.0)
        .fold(0.0, f64::max);
    let plot_px = (width - 90.0).max(1.0);
    let share = (label_px / plot_px).min(0.6);
    let room = share / (1.0 - share);
    let (x0, x1) = if panel.log_x {
        let (x0, x1) = super::log_span(xs);
        (x0, x1 * (x1 / x0).powf(room))
    } else {
        let (x0, x1) = super::span(xs);
        (x0, x1 + room * (x1 - x0))
    };
    let yr = if panel.log_y {
        super::log_span(ys)
    } else {
        super::span(ys)
    };
    ((x0, x1), yr)
}

/// The chart of `panel` on `area` over `xr` × `yr`, its legend at `pos` (none: drawn elsewhere).
fn draw_chart<DB: DrawingBackend>(
    panel: &XyPanel,
    area: &DrawingArea<DB, Shift>,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    pos: Option<SeriesLabelPosition>,
) -> anyhow::Result<()> {
    match (panel.log_x, panel.log_y) {
        (false, false) => draw_with!(panel, area, x0..x1, y0..y1, y0, pos),
        (true, false) => draw_with!(panel, area, (x0..x1).log_scale(), y0..y1, y0, pos),
        (false, true) => draw_with!(panel, area, x0..x1, (y0..y1).log_scale(), y0, pos),
        (true, true) => draw_with!(
            panel,
            area,
            (x0..x1).log_scale(),
            (y0..y1).log_scale(),
            y0,
            pos
        ),
    }
    Ok(())
}

/// The plot corner the legend hides the least of: the one whose 40% x 40% box holds the fewest
/// points and line samples (ties: upper right, upper left, lower right, lower left), with that
/// number.
fn corner(panel: &XyPanel, xr: (f64, f64), yr: (f64, f64)) -> (usize, SeriesLabelPosition) {
    let unit = |v: f64, (lo, hi): (f64, f64), log: bool| {
        if log {
            (v.ln() - lo.ln()) / (hi.ln() - lo.ln())
        } else {
            (v - lo) / (hi - lo)
        }
    };
    let mut samples: Vec<(f64, f64)> = Vec::new();
    for s in &panel.series {
        let mut pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter(|p| panel.drawable(p))
            .map(|p| (unit(p.x, xr, panel.log_x), unit(p.y, yr, panel.log_y)))
            .collect();
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        samples.extend(&pts);
        if s.line {
            for w in pts.windows(2) {
                // Samples in proportion to the segment's length: a long line weighs as much as
                // the points it would hide.
                let len = ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt();
                let n = ((len * 60.0) as usize).clamp(2, 200);
                for k in 1..n {
                    let f = k as f64 / n as f64;
                    samples.push((
                        w[0].0 + f * (w[1].0 - w[0].0),
                        w[0].1 + f * (w[1].1 - w[0].1),
                    ));
                }
            }
        }
        for p in s.points.iter().filter(|p| panel.drawable(p)) {
            if let Some((lo, hi)) = p.interval {
                for v in [lo, hi] {
                    if !panel.log_y || v > 0.0 {
                        samples.push((unit(p.x, xr, panel.log_x), unit(v, yr, panel.log_y)));
                    }
                }
            }
        }
    }
    let count = |right: bool, upper: bool| {
        samples
            .iter()
            .filter(|(x, y)| {
                (if right { *x > 0.6 } else { *x < 0.4 })
                    && (if upper { *y > 0.6 } else { *y < 0.4 })
            })
            .count()
    };
    let options = [
        (count(true, true), SeriesLabelPosition::UpperRight),
        (count(false, true), SeriesLabelPosition::UpperLeft),
        (count(true, false), SeriesLabelPosition::LowerRight),
        (count(false, false), SeriesLabelPosition::LowerLeft),
    ];
    let best = options.iter().map(|o| o.0).min().unwrap_or(0);
    options
        .into_iter()
        .find(|o| o.0 == best)
        .unwrap_or((0, SeriesLabelPosition::UpperRight))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value of attribute `attr` in each SVG element of `tag` (whose text starts with
    /// `label`, for `<text>`).
    fn attr(svg: &str, tag: &str, label: &str, attr: &str) -> Vec<f64> {
        svg.split(&format!("<{tag} "))
            .skip(1)
            .filter(|t| {
                t.split('>')
                    .nth(1)
                    .is_some_and(|b| b.trim_start().starts_with(label))
            })
            .filter_map(|t| {
                let tag_text = format!(" {t}");
                let v = tag_text
                    .split(&format!(" {attr}=\""))
                    .nth(1)?
                    .split('"')
                    .next()?;
                v.parse().ok()
            })
            .collect()
    }

    /// A 560 x 400 px panel with series `names`, each a point near every one of `corners`.
    fn svg_of(names: &[&str], corners: &[(f64, f64)]) -> String {
        let mut panel = XyPanel::new("c", "x", "y");
        for (i, name) in names.iter().enumerate() {
            panel.series.push(Series {
                label: name.to_string(),
                color: RGBColor(i as u8 * 60, 0, 0),
                points: corners
                    .iter()
                    .map(|&(x, y)| Pt::new(x + 0.01 * i as f64, y))
                    .collect(),
                line: false,
                dots: true,
            });
        }
        super::super::register_font();
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (560, 400)).into_drawing_area();
            draw_panel(&panel, &root).unwrap();
            root.present().unwrap();
        }
        svg
    }

    /// Data in every corner: the legend is a column right of the plot (77.5 px for names of 5
    /// characters), where no data point is drawn, only the 3 legend dots; a free corner (upper
    /// right): the legend sits in it.
    #[test]
    fn a_legend_hides_no_point() {
        let names = ["alpha", "betas", "gamma"];
        let full = svg_of(&names, &[(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]);
        let column = 560.0 - 77.5;
        for name in names {
            let x = attr(&full, "text", name, "x");
            assert!(x.len() == 1 && x[0] >= column, "{name} at x = {x:?}");
        }
        let right_of_plot = attr(&full, "circle", "", "cx")
            .into_iter()
            .filter(|&cx| cx >= column)
            .count();
        assert_eq!(right_of_plot, 3, "the legend's dots, no data");

        let open = svg_of(&names, &[(0.0, 0.0), (0.0, 1.0), (1.0, 0.0)]);
        for name in names {
            let (x, y) = (
                attr(&open, "text", name, "x"),
                attr(&open, "text", name, "y"),
            );
            assert!(x.len() == 1 && x[0] > 0.6 * 560.0, "{name} at x = {x:?}");
            assert!(y.len() == 1 && y[0] < 0.4 * 400.0, "{name} at y = {y:?}");
        }
    }
}

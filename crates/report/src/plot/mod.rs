//! Figures drawn with plotters, each written as PNG and SVG under `plots/`.
//!
//! Text is laid out with DejaVu Sans, embedded in the binary (assets/, Bitstream Vera licence),
//! so no system font library is needed.

pub mod bars;
pub mod curves;
pub mod ratios;
pub mod scatter;
pub mod toy2d;

use genbench_core::fsutil;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::path::Path;
use std::sync::Once;

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// The font family every figure uses.
pub const FONT_NAME: &str = "sans-serif";

/// Registers the embedded font with plotters (idempotent).
pub fn register_font() {
    REGISTER.call_once(|| {
        for style in [
            FontStyle::Normal,
            FontStyle::Bold,
            FontStyle::Italic,
            FontStyle::Oblique,
        ] {
            // The font is a valid TTF compiled into the binary: a failure would be a build error.
            let _ = plotters::style::register_font(FONT_NAME, style, FONT);
        }
    });
}

/// A figure that can be drawn on any plotters backend.
pub trait Figure {
    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);
    /// Draws the figure on `root`, which has that size.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>;
}

/// Converts a plotters error (generic over the backend) to `anyhow`.
pub trait PlotResult<T> {
    /// The value, or the error as `plotting: <its Debug text>`.
    fn p(self) -> anyhow::Result<T>;
}

impl<T, E: std::fmt::Debug> PlotResult<T> for Result<T, E> {
    fn p(self) -> anyhow::Result<T> {
        self.map_err(|e| anyhow::anyhow!("plotting: {e:?}"))
    }
}

/// Draws `figure` to `plots_dir/<stem>.png` and `.svg` (each written atomically: a full disk
/// leaves the old file or none, never a truncated one); returns the PNG's name relative to the
/// experiment folder (`plots/<stem>.png`).
pub fn render(figure: &impl Figure, plots_dir: &Path, stem: &str) -> anyhow::Result<String> {
    register_font();
    std::fs::create_dir_all(plots_dir)?;
    let size = figure.size();
    let png = plots_dir.join(format!("{stem}.png"));
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        root.fill(&WHITE).p()?;
        figure.draw(&root)?;
        root.present().p()?;
    }
    write_png(&png, &rgb, size)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).p()?;
        figure.draw(&root)?;
        root.present().p()?;
    }
    fsutil::write_atomic(&plots_dir.join(format!("{stem}.svg")), svg.as_bytes())?;
    Ok(format!("plots/{stem}.png"))
}

/// `rgb` (row-major RGB8) as a PNG at the best zlib compression (plotters' own writer uses the
/// default level; the figures are committed, so bytes matter).
fn write_png(path: &Path, rgb: &[u8], (w, h): (u32, u32)) -> anyhow::Result<()> {
    use image::ImageEncoder;
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    let mut bytes = Vec::new();
    PngEncoder::new_with_quality(&mut bytes, CompressionType::Best, FilterType::Adaptive)
        .write_image(rgb, w, h, image::ColorType::Rgb8)?;
    fsutil::write_atomic(path, &bytes)
}

/// Colour of a family (fixed, so a family looks the same on every plot).
pub fn family_color(family: &str) -> RGBColor {
    match family {
        "template" => RGBColor(188, 189, 34),
        "gmm" => RGBColor(110, 110, 110),
        "texture" => RGBColor(255, 127, 14),
        "autoregressive" => RGBColor(140, 86, 75),
        "vae" => RGBColor(31, 119, 180),
        "gan" => RGBColor(214, 39, 40),
        "flow" => RGBColor(44, 160, 44),
        "diffusion" => RGBColor(148, 103, 189),
        _ => RGBColor(23, 190, 207),
    }
}

/// The colour of the `k`-th model of `family` in one figure: the family's colour, then a darker
/// and a lighter shade of it, so models of one family read as one family yet stay apart.
pub fn model_color(family: &str, k: usize) -> RGBColor {
    let RGBColor(r, g, b) = family_color(family);
    let (toward, t) = match k % 4 {
        0 => return RGBColor(r, g, b),
        1 => (0.0, 0.45),
        2 => (255.0, 0.45),
        _ => (0.0, 0.7),
    };
    let mix = |c: u8| (c as f64 + (toward - c as f64) * t).round() as u8;
    RGBColor(mix(r), mix(g), mix(b))
}

/// The `i`-th colour of a qualitative palette (seeds, series).
pub fn series_color(i: usize) -> RGBColor {
    const P: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    P[i % P.len()]
}

/// Font and size (px) of a figure's title.
pub fn title_font() -> (&'static str, u32) {
    (FONT_NAME, 20)
}

/// Font and size (px) of a panel's caption.
pub fn caption_font() -> (&'static str, u32) {
    (FONT_NAME, 15)
}

/// `(lo, hi)` padded by 5% of the span around the finite values (a unit box when there are none).
pub fn span(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 * (1.0 + hi.abs()) {
        let pad = if hi.abs() > 0.0 { hi.abs() * 0.1 } else { 1.0 };
        return (lo - pad, hi + pad);
    }
    let pad = 0.05 * (hi - lo);
    (lo - pad, hi + pad)
}

/// `(lo, hi)` on a log scale around the positive finite values.
pub fn log_span(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite() && *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.1, 10.0);
    }
    (lo / 1.5, hi * 1.5)
}

/// A short legend entry marker: a line of `color`.
pub fn legend_line(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
}

/// A short legend entry marker: a dot of `color`.
pub fn legend_dot(color: RGBColor) -> impl Fn((i32, i32)) -> Circle<(i32, i32), i32> {
    move |(x, y)| Circle::new((x + 9, y), 4, color.filled())
}

/// Draws the series legend of `chart` in its upper right corner.
pub fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> anyhow::Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.5))
        .label_font((FONT_NAME, 13))
        .draw()
        .p()
}

/// Centered text on an otherwise empty area (a panel with nothing to draw).
pub fn note<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    text: &str,
) -> anyhow::Result<()> {
    let (w, h) = area.dim_in_pixel();
    let style = TextStyle::from(caption_font()).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Center,
        plotters::style::text_anchor::VPos::Center,
    ));
    area.draw(&Text::new(
        title.to_string(),
        (w as i32 / 2, h as i32 / 2 - 12),
        style.clone(),
    ))
    .p()?;
    area.draw(&Text::new(
        text.to_string(),
        (w as i32 / 2, h as i32 / 2 + 12),
        style,
    ))
    .p()?;
    Ok(())
}

/// Vertical interval bars `(x, lo, hi)` with caps `2 * half_width` pixels wide.
pub fn error_bars<'a, DB, X, Y, XV>(
    chart: &mut ChartContext<'a, DB, plotters::coord::cartesian::Cartesian2d<X, Y>>,
    bars: &[(XV, f64, f64)],
    color: RGBColor,
    half_width: i32,
) -> anyhow::Result<()>
where
    DB: DrawingBackend + 'a,
    X: plotters::coord::ranged1d::Ranged<ValueType = XV>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    XV: Clone + 'static,
{
    let style = color.stroke_width(2);
    chart
        .draw_series(
            bars.iter().map(|(x, lo, hi)| {
                PathElement::new(vec![(x.clone(), *lo), (x.clone(), *hi)], style)
            }),
        )
        .p()?;
    for end in [0, 1] {
        chart
            .draw_series(bars.iter().map(|(x, lo, hi)| {
                let y = if end == 0 { *lo } else { *hi };
                EmptyElement::at((x.clone(), y))
                    + PathElement::new(vec![(-half_width, 0), (half_width, 0)], style)
            }))
            .p()?;
    }
    Ok(())
}

/// A tick label: integers without decimals, others with up to four significant digits and no
/// trailing zeros; scientific notation from [`crate::format::SCIENTIFIC_FROM`] up, so labels
/// of a diverged model's values stay inside the panel.
pub fn tick(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if v.abs() >= crate::format::SCIENTIFIC_FROM {
        return crate::format::sci(v);
    }
    if v.fract() == 0.0 {
        return format!("{}", v as i64);
    }
    let mag = v.abs().log10().floor() as i64;
    let decimals = (3 - mag).clamp(0, 8) as usize;
    let s = format!("{:.*}", decimals, v);
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

/// A tick label on a log axis: only 1, 2 and 5 times a power of ten are labelled (the other
/// ticks keep their grid line), so labels never crowd near the decades.
pub fn log_tick(v: f64) -> String {
    if !(v.is_finite() && v > 0.0) {
        return String::new();
    }
    let mantissa = v / 10f64.powf(v.log10().floor());
    if [1.0, 2.0, 5.0, 10.0]
        .iter()
        .any(|m| (mantissa - m).abs() < 1e-6 * m)
    {
        tick(v)
    } else {
        String::new()
    }
}

/// How a legend strip entry is marked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// A filled circle: a point series.
    Dot,
    /// A filled square: an area or a bar.
    Square,
    /// A short line: a line series.
    Line,
    /// No marker: a note.
    Text,
}

/// A figure-wide legend: the entries in one centred row across `area` (for figures whose
/// panels share their series, so no panel's data is hidden behind a legend box).
pub fn legend_strip<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(RGBColor, Mark, String)],
) -> anyhow::Result<()> {
    let font = TextStyle::from((FONT_NAME, 14));
    let mut widths = Vec::new();
    for (_, _, text) in items {
        widths.push(area.estimate_text_size(text, &font).p()?.0 as i32);
    }
    let total: i32 = widths.iter().map(|w| w + 26 + 24).sum::<i32>() - 24;
    let (w, h) = area.dim_in_pixel();
    let mut x = ((w as i32 - total) / 2).max(4);
    let y = h as i32 / 2;
    for ((color, mark, text), tw) in items.iter().zip(widths) {
        draw_mark(area, (x, y), *color, *mark)?;
        area.draw(&Text::new(text.clone(), (x + 26, y - 8), font.clone()))
            .p()?;
        x += 26 + tw + 24;
    }
    Ok(())
}

/// A legend entry's marker, 18 px wide, from `x` along the middle line `y`.
fn draw_mark<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    color: RGBColor,
    mark: Mark,
) -> anyhow::Result<()> {
    match mark {
        Mark::Dot => area.draw(&Circle::new((x + 9, y), 4, color.filled())).p(),
        Mark::Square => area
            .draw(&Rectangle::new(
                [(x, y - 6), (x + 18, y + 6)],
                color.filled(),
            ))
            .p(),
        Mark::Line => area
            .draw(&PathElement::new(
                vec![(x, y), (x + 18, y)],
                color.stroke_width(2),
            ))
            .p(),
        Mark::Text => Ok(()),
    }
}

/// A legend beside a plot: the entries one under another down `area` (a column to the right of
/// a panel whose every corner holds data), from the height of the plot's top edge.
pub fn legend_column<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(RGBColor, Mark, String)],
) -> anyhow::Result<()> {
    let font = TextStyle::from((FONT_NAME, 13));
    let (x, mut y) = (4, 48);
    // About 7 px a character at 13 px: a label longer than the column is wrapped at spaces.
    let chars = ((area.dim_in_pixel().0 as i32 - x - 30) / 7).max(8) as usize;
    for (color, mark, text) in items {
        draw_mark(area, (x, y), *color, *mark)?;
        for line in wrap(text, chars) {
            area.draw(&Text::new(line, (x + 26, y - 7), font.clone()))
                .p()?;
            y += 15;
        }
        y += 3;
    }
    Ok(())
}

/// `text` in lines of at most `width` characters, broken at spaces (a longer word is a line of
/// its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split(' ') {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_within_the_width() {
        assert_eq!(
            wrap("C_T = 0: as far from the training set", 12),
            ["C_T = 0: as", "far from the", "training set"]
        );
        assert_eq!(wrap("vae", 12), ["vae"]);
        assert_eq!(wrap("a-very-long-name x", 6), ["a-very-long-name", "x"]);
    }

    #[test]
    fn models_of_one_family_get_distinct_shades_of_its_colour() {
        let shades: Vec<RGBColor> = (0..4).map(|k| model_color("diffusion", k)).collect();
        assert_eq!(shades[0], family_color("diffusion"));
        for i in 0..4 {
            for j in i + 1..4 {
                assert_ne!(shades[i], shades[j], "shades {i} and {j}");
            }
        }
        // Darker then lighter: the sum of channels falls for shade 1 and rises for shade 2.
        let sum = |c: RGBColor| c.0 as u32 + c.1 as u32 + c.2 as u32;
        assert!(sum(shades[1]) < sum(shades[0]) && sum(shades[2]) > sum(shades[0]));
    }

    #[test]
    fn ticks_drop_trailing_zeros() {
        assert_eq!(tick(1975.0), "1975");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(0.1 + 0.2), "0.3");
        assert_eq!(tick(-0.0), "0");
        assert_eq!(tick(2.5e34), "2.5e34", "huge ticks are scientific");
        assert_eq!(tick(1e12), "1e12");
        assert_eq!(log_tick(20.0), "20");
        assert_eq!(log_tick(0.005), "0.005");
        assert_eq!(log_tick(30.0), "");
    }

    #[test]
    fn spans_are_never_empty() {
        assert_eq!(span([]), (0.0, 1.0));
        let (lo, hi) = span([3.0, 3.0]);
        assert!(lo < 3.0 && hi > 3.0);
        let (lo, hi) = log_span([0.0, -1.0, 2.0]);
        assert!(lo > 0.0 && lo < 2.0 && hi > 2.0);
    }
}

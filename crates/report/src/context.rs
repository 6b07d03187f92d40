//! What every section shares while the report is built: the folders, the markdown being
//! written, the plots drawn so far and the list of what was not available.

use crate::plot::{Figure, render};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The report being built: where it goes, its markdown so far, its figures and its gaps.
pub struct Context {
    /// The experiment folder the report reads and writes.
    pub dir: PathBuf,
    /// `dir/plots`, where the figures go.
    pub plots_dir: PathBuf,
    /// REPORT.md's text so far.
    pub md: String,
    /// Every figure drawn, as `plots/<stem>.png` (the SVG sits beside it).
    pub plots: Vec<String>,
    /// Optional inputs that were missing, one line each.
    pub missing: Vec<String>,
}

impl Context {
    /// An empty report for the experiment folder `dir`.
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
            plots_dir: dir.join("plots"),
            md: String::new(),
            plots: Vec::new(),
            missing: Vec::new(),
        }
    }

    /// Draws `figure` as plots/<stem>.png and .svg and embeds the PNG in the markdown. A figure
    /// that fails to draw (an error or a panic inside plotters) is listed under "Not available"
    /// instead of failing the whole report.
    pub fn figure(&mut self, figure: &impl Figure, stem: &str, alt: &str) -> anyhow::Result<()> {
        let drawn = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            render(figure, &self.plots_dir, stem)
        }));
        let png = match drawn {
            Ok(Ok(png)) => png,
            Ok(Err(e)) => {
                self.missing(format!("figure {stem}: drawing failed: {e:#}"));
                return Ok(());
            }
            Err(_) => {
                self.missing(format!("figure {stem}: drawing panicked"));
                return Ok(());
            }
        };
        let svg = png.replace(".png", ".svg");
        self.line(&format!("![{alt}]({png})  \n*{alt}* ([SVG]({svg}))\n"));
        self.plots.push(png);
        Ok(())
    }

    /// Appends `text` and a newline to the markdown.
    pub fn line(&mut self, text: &str) {
        let _ = writeln!(self.md, "{text}");
    }

    /// Lists `what` under "Not available" (once, however often it is reported).
    pub fn missing(&mut self, what: String) {
        if !self.missing.contains(&what) {
            self.missing.push(what);
        }
    }
}

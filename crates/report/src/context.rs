//! What every section shares while the report is built: the folders, the markdown being
//! written, the plots drawn so far and the list of what was not available.

use crate::plot::{Figure, render};
use std::fmt::Write;
use std::path::{Path, PathBuf};

pub struct Context {
    pub dir: PathBuf,
    pub plots_dir: PathBuf,
    pub md: String,
    /// Every figure drawn, as `plots/<stem>.png` (the SVG sits beside it).
    pub plots: Vec<String>,
    /// Optional inputs that were missing, one line each.
    pub missing: Vec<String>,
}

impl Context {
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

    pub fn line(&mut self, text: &str) {
        let _ = writeln!(self.md, "{text}");
    }

    pub fn missing(&mut self, what: String) {
        if !self.missing.contains(&what) {
            self.missing.push(what);
        }
    }
}

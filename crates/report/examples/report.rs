//! Draws the report of one experiment folder without the CLI:
//!   cargo run -p genbench-report --example report -- results/quick
fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: report EXPERIMENT_DIR"))?;
    let summary = genbench_report::write_report(std::path::Path::new(&dir))?;
    println!(
        "{dir}/REPORT.md: {} runs, {} datasets, {} models, {} plots, {} missing inputs",
        summary.runs,
        summary.datasets,
        summary.models,
        summary.plots.len(),
        summary.missing.len()
    );
    Ok(())
}

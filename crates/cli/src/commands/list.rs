//! `genbench list`: the datasets (shape, levels, sizes, true entropy) and the families.

use crate::families;
use genbench_dataset::DatasetInfo;
use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    println!("datasets:");
    println!(
        "  {:<14} {:<12} {:<10} {:>6} {:>7} {:>6}  {:<22} source",
        "name", "kind", "shape", "levels", "train", "test", "true entropy (nats)"
    );
    for d in genbench_dataset::catalogue() {
        println!("{}", dataset_line(&d));
    }
    println!("families:");
    for f in families::families() {
        println!("  {:<16} {}", f.name, f.summary);
    }
    Ok(ExitCode::SUCCESS)
}

/// One row of the dataset table; `-` where a number does not apply.
fn dataset_line(d: &DatasetInfo) -> String {
    let size = |s: Option<usize>| s.map_or_else(|| "-".into(), |v| v.to_string());
    let shape = d
        .shape
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("x");
    let levels = d.levels.map_or_else(|| "cont.".into(), |l| l.to_string());
    let entropy = d.entropy.map_or_else(
        || "-".into(),
        |e| format!("{:.4} ± {:.4}", e.nats, e.std_error),
    );
    format!(
        "  {:<14} {:<12} {:<10} {:>6} {:>7} {:>6}  {:<22} {}",
        d.name,
        d.kind,
        shape,
        levels,
        size(d.train_size),
        size(d.test_size),
        entropy,
        d.source
    )
}

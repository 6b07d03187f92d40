//! train.csv: the loss curve the training loop logs (step, training seconds, mean loss over
//! the window, the family's extra quantities), written whole and read back on resume.

use crate::fsutil;
use anyhow::Context;
use std::collections::BTreeSet;
use std::path::Path;

/// One train.csv row.
#[derive(Clone, Debug)]
pub(crate) struct LogRow {
    pub(crate) step: u64,
    pub(crate) seconds: f64,
    pub(crate) loss: f64,
    pub(crate) extras: Vec<(String, f64)>,
}

/// Write `rows` as train.csv: step, seconds, loss, then every extra any row has, sorted.
pub(crate) fn write_log(path: &Path, rows: &[LogRow]) -> anyhow::Result<()> {
    let names: BTreeSet<&str> = rows
        .iter()
        .flat_map(|r| r.extras.iter().map(|(k, _)| k.as_str()))
        .collect();
    let mut header: Vec<String> = ["step", "seconds", "loss"].map(String::from).to_vec();
    header.extend(names.iter().map(ToString::to_string));
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut out = vec![
                r.step.to_string(),
                format!("{:.4}", r.seconds),
                r.loss.to_string(),
            ];
            for name in &names {
                out.push(
                    r.extras
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.to_string())
                        .unwrap_or_default(),
                );
            }
            out
        })
        .collect();
    fsutil::write_csv(path, &header, &body)
}

/// The rows of an earlier train.csv up to `max_step` (a resumed run continues the curve).
pub(crate) fn read_log(path: &Path, max_step: u64) -> anyhow::Result<Vec<LogRow>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let header: Vec<String> = reader.headers()?.iter().map(String::from).collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        let num = |i: usize| record.get(i).and_then(|v| v.parse::<f64>().ok());
        let step = num(0).unwrap_or(0.0) as u64;
        if step > max_step {
            break;
        }
        let extras = (3..header.len())
            .filter_map(|i| num(i).map(|v| (header[i].clone(), v)))
            .collect();
        rows.push(LogRow {
            step,
            seconds: num(1).unwrap_or(0.0),
            loss: num(2).unwrap_or(f64::NAN),
            extras,
        });
    }
    Ok(rows)
}

//! One file per subcommand: its arguments (clap) and `run`, which does the job and returns the
//! exit code. `main` only parses and dispatches.

pub mod bench;
pub mod bench_file;
pub mod data_args;
pub mod eval;
pub mod export_split;
pub mod fd;
pub mod kid;
pub mod list;
pub mod plan;
pub mod report;
pub mod run;
pub mod sample;
pub mod score;

use crate::usage::UsageError;
use std::path::Path;

/// `--shard I/N`: 1 <= I <= N.
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s.split_once('/').ok_or("expected I/N, e.g. 2/4")?;
    let (i, n): (usize, usize) = (
        i.parse().map_err(|_| "I is not a number")?,
        n.parse().map_err(|_| "N is not a number")?,
    );
    if n == 0 || i == 0 || i > n {
        return Err(format!("shard {i}/{n}: need 1 <= I <= N"));
    }
    Ok((i, n))
}

/// A feature CSV for `fd` and `kid`; a file that cannot be read is bad input (exit 2).
fn read_features(path: &Path) -> anyhow::Result<genbench_eval::FeatureSet> {
    genbench_eval::FeatureSet::read_csv(path).map_err(|e| UsageError::new(format!("{e:#}")).into())
}

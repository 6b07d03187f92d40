//! What `genbench run` says of its runs: the tally of what happened ([`RunReport`]) and the
//! lines printed under each run's header (`--jobs` reads them back from its children).

use genbench_core::results::RunResult;
use genbench_core::results::schema::col;

/// The indent of the lines under a run's header that say how it ended (`--jobs` forwards them
/// from each child).
pub const RESULT_INDENT: &str = "    ";

/// What `genbench run` says of a run that finished before it started.
pub const DONE_ALREADY: &str = "done already (use --force to rerun)";

/// What it says of a run that another process finished while this one ran (`--jobs` reads it
/// from its children).
pub const DONE_BY_ANOTHER: &str = "done by another process";

/// What happened to the selected runs.
#[derive(Debug, Default)]
pub struct RunReport {
    pub ran: usize,
    pub skipped: usize,
    pub failed: Vec<(String, String)>,
}

/// The run's result in one line for the terminal.
pub fn one_line(result: &RunResult) -> String {
    let row = &result.scores;
    let g = |k: &str| row.get(k).unwrap_or("").to_string();
    let short = |k: &str| {
        row.get(k)
            .and_then(|v| v.parse::<f64>().ok())
            .map_or_else(|| "-".into(), |v| format!("{v:.4}"))
    };
    format!(
        "{}  nll({}) {} nats{}  fd {}  train {:.4}s",
        result.status.as_str(),
        g(col::NLL_KIND),
        short(col::NLL_NATS),
        row.get(col::NLL_BPD)
            .filter(|v| !v.is_empty())
            .map(|_| format!(" = {} bpd", short(col::NLL_BPD)))
            .unwrap_or_default(),
        short(col::FD),
        result.train_seconds.unwrap_or_default()
    )
}

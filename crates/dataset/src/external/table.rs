//! Text tables: CSV (`np.savetxt(f, x, delimiter=",")`, pandas, genbench's own samples.csv) and
//! whitespace-separated text (`np.savetxt` without a delimiter). An optional header line is
//! recognised by a first field that is not a number.

use crate::DataError;
use std::path::Path;

/// The cells of a table as text, one inner vector per data row.
pub(crate) struct Table {
    /// Column names, when the first line was a header.
    pub header: Option<Vec<String>>,
    pub rows: Vec<Vec<String>>,
    /// The 1-based file line of each row (for messages).
    pub lines: Vec<usize>,
}

impl Table {
    /// The index of the column named `name` (header tables only).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.as_ref()?.iter().position(|h| h == name)
    }
}

pub(crate) fn read_table(path: &Path) -> Result<Table, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    let comma = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut table = Table {
        header: None,
        rows: Vec::new(),
        lines: Vec::new(),
    };
    let mut width = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<String> = if comma {
            line.split(',')
                .map(|c| c.trim().trim_matches('"').to_string())
                .collect()
        } else {
            line.split_whitespace().map(str::to_string).collect()
        };
        if table.header.is_none() && table.rows.is_empty() && cells[0].parse::<f64>().is_err() {
            width = Some(cells.len());
            table.header = Some(cells);
            continue;
        }
        match width {
            Some(w) if w != cells.len() => {
                return Err(DataError::Parse {
                    path: path.to_path_buf(),
                    line: i + 1,
                    msg: format!("{} columns, expected {w}", cells.len()),
                });
            }
            _ => width = Some(cells.len()),
        }
        table.rows.push(cells);
        table.lines.push(i + 1);
    }
    Ok(table)
}

/// Parse one cell; the error names the file and line.
pub(crate) fn number<T: std::str::FromStr>(
    path: &Path,
    line: usize,
    cell: &str,
) -> Result<T, DataError> {
    cell.parse().map_err(|_| DataError::Parse {
        path: path.to_path_buf(),
        line,
        msg: format!("`{cell}` is not a number"),
    })
}

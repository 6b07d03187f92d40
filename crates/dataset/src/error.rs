//! The one error type of the crate: every bad input (name, folder, file, option) ends here.

use std::path::PathBuf;

#[derive(thiserror::Error, Debug)]
pub enum DataError {
    #[error("unknown dataset `{name}`; the datasets are: {}", allowed.join(", "))]
    UnknownDataset { name: String, allowed: Vec<String> },

    #[error("{}: {hint}", match path {
        Some(p) => format!("data folder {} does not exist", p.display()),
        None => "no data folder given (set data_dir)".to_string(),
    })]
    MissingDir { path: Option<PathBuf>, hint: String },

    #[error("{}: {what}: expected {expected}, found {found}", path.display())]
    Idx {
        path: PathBuf,
        what: String,
        expected: String,
        found: String,
    },

    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{}, line {line}: {msg}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        msg: String,
    },

    /// A file given to genbench (samples, likelihoods, labels) that does not fit the data.
    #[error("{}: {msg}", path.display())]
    BadFile { path: PathBuf, msg: String },

    /// Data that loaded but is too small for what genbench does with it.
    #[error("{dataset}: {what}")]
    TooFew { dataset: String, what: String },

    #[error("invalid data configuration: {0}")]
    Invalid(String),
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn bad_file(path: impl Into<PathBuf>, msg: impl Into<String>) -> Self {
        DataError::BadFile {
            path: path.into(),
            msg: msg.into(),
        }
    }
}

//! The one error type of the crate: every bad input (name, folder, file, option) ends here.

use std::path::PathBuf;

/// Why a dataset or a file given to genbench cannot be used; its message is one line.
#[derive(thiserror::Error, Debug)]
pub enum DataError {
    /// A name that is not in the registry.
    #[error("unknown dataset `{name}`; the datasets are: {}", allowed.join(", "))]
    UnknownDataset {
        /// The name asked for.
        name: String,
        /// Every dataset name.
        allowed: Vec<String>,
    },

    /// A data folder that does not exist, or none where one is needed.
    #[error("{}: {hint}", match path {
        Some(p) => format!("data folder {} does not exist", p.display()),
        None => "no data folder given (set data_dir)".to_string(),
    })]
    MissingDir {
        /// The folder asked for (`None`: none was given and there is no default).
        path: Option<PathBuf>,
        /// How to get the data.
        hint: String,
    },

    /// An IDX file whose header or size is not what its dataset needs.
    #[error("{}: {what}: expected {expected}, found {found}", path.display())]
    Idx {
        /// The file.
        path: PathBuf,
        /// What was checked (e.g. the magic number).
        what: String,
        /// The value it must have.
        expected: String,
        /// The value in the file.
        found: String,
    },

    /// A file that cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A line of a text file that does not parse.
    #[error("{}, line {line}: {msg}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The 1-based line.
        line: usize,
        /// What is wrong with it.
        msg: String,
    },

    /// A file given to genbench (samples, likelihoods, labels) that does not fit the data.
    #[error("{}: {msg}", path.display())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What does not fit.
        msg: String,
    },

    /// Data that loaded but is too small for what genbench does with it.
    #[error("{dataset}: {what}")]
    TooFew {
        /// The dataset (and its folder, if any).
        dataset: String,
        /// What is missing.
        what: String,
    },

    /// A `[[datasets]]` table that fails its checks (the message names the key).
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

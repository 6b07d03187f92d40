//! `genbench run`: every run of a plan through the one loop and the one evaluator.

mod claim;
mod execute;
mod files;
mod jobs;
mod outcome;
mod prepare;
mod provenance;
mod sequential;
mod settings;

pub use files::{samples_file, save_samples};
pub use jobs::run_plan_parallel;
pub use prepare::{RunOptions, select};
pub use provenance::provenance;
pub use sequential::run_plan;
pub(crate) use settings::without_data_dir;

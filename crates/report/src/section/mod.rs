//! The sections of REPORT.md, each writing its markdown and drawing its figures.

pub mod anytime;
pub mod dataset;
pub mod diffusion;
pub mod headline;
pub mod memorisation;
pub mod overview;
pub mod planned;
pub mod protocol;
pub mod published;
pub mod samples;
pub mod table;
pub mod vae_diffusion;

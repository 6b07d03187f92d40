//! The one place that lists the families. Adding a family is one crate and one line here.

use genbench_core::model::{check_family_config, parse_config, parse_family_config};
use genbench_core::{
    BuildContext, ConfigError, DataSpec, Family, Footprint, GenerativeModel, build_family,
};

type Built = (serde_json::Value, Box<dyn GenerativeModel>);

/// A family as the runner sees it: its name, a line for `genbench list`, and how to check a
/// config and build a model from one.
pub struct FamilyEntry {
    pub name: &'static str,
    pub summary: &'static str,
    /// Parse the config alone (no data yet): an error names the key.
    pub validate: fn(toml::Table) -> Result<(), ConfigError>,
    /// Parse and check the config against the data a run sees (`conditional`: with its labels),
    /// and estimate the run's memory.
    pub check: fn(toml::Table, &DataSpec, bool) -> Result<Footprint, ConfigError>,
    pub build: fn(toml::Table, &BuildContext) -> anyhow::Result<Built>,
    /// The config with every default filled in, as config.json records it (a run's settings).
    pub resolve: fn(toml::Table) -> anyhow::Result<serde_json::Value>,
}

fn entry<F: Family>() -> FamilyEntry {
    FamilyEntry {
        name: F::NAME,
        summary: F::SUMMARY,
        validate: |config| parse_config::<F>(config).map(|_| ()),
        check: check_family_config::<F>,
        build: build_family::<F>,
        resolve: |config| Ok(serde_json::to_value(parse_family_config::<F>(config)?)?),
    }
}

/// Every family, in the order the field grew up.
pub fn families() -> Vec<FamilyEntry> {
    vec![
        entry::<genbench_template::Template>(),
        entry::<genbench_gmm::Gmm>(),
        entry::<genbench_texture::Texture>(),
        entry::<genbench_autoregressive::Autoregressive>(),
        entry::<genbench_vae::Vae>(),
        entry::<genbench_gan::Gan>(),
        entry::<genbench_flow::Flow>(),
        entry::<genbench_diffusion::Diffusion>(),
    ]
}

pub fn find(name: &str) -> Option<FamilyEntry> {
    families().into_iter().find(|f| f.name == name)
}

pub fn names() -> Vec<&'static str> {
    families().iter().map(|f| f.name).collect()
}

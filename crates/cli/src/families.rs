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
    /// What train.csv's `loss` is for the config config.json records ([`Family::objective`]);
    /// `None` when that config no longer parses.
    pub objective: fn(&serde_json::Value) -> Option<String>,
}

fn entry<F: Family>() -> FamilyEntry {
    FamilyEntry {
        name: F::NAME,
        summary: F::SUMMARY,
        validate: |config| parse_config::<F>(config).map(|_| ()),
        check: check_family_config::<F>,
        build: build_family::<F>,
        resolve: |config| Ok(serde_json::to_value(parse_family_config::<F>(config)?)?),
        objective: |config| {
            let config = serde_json::from_value::<F::Config>(config.clone()).ok()?;
            Some(F::objective(&config))
        },
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

/// What a run of `family` with the recorded `config` reports as its training loss (the
/// report's [`genbench_report::Objective`]).
pub fn objective(family: &str, config: &serde_json::Value) -> Option<String> {
    (find(family)?.objective)(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        text.parse().unwrap()
    }

    /// The objective of `config` as `genbench report` finds it: through config.json's resolved
    /// JSON, the only form a finished run keeps.
    fn objective_of(family: &str, config: &str) -> String {
        let resolved = (find(family).unwrap().resolve)(table(config)).unwrap();
        let text = serde_json::to_string(&resolved).unwrap();
        objective(family, &serde_json::from_str(&text).unwrap()).unwrap()
    }

    #[test]
    fn every_family_says_what_its_loss_is_from_a_recorded_config() {
        for f in families() {
            let said = objective_of(f.name, "");
            assert!(said.len() > 10, "{}: {said}", f.name);
        }
        assert_eq!(objective("no-such-family", &serde_json::json!({})), None);
        // A config.json whose config no longer parses is not guessed at.
        let unknown_key = serde_json::json!({ "no_such_key": 1 });
        assert_eq!(objective("gmm", &unknown_key), None);
    }

    #[test]
    fn the_loss_follows_the_config() {
        assert!(objective_of("diffusion", "").starts_with("L_simple"));
        assert!(objective_of("diffusion", "loss = \"vlb\"").contains("bits/dim"));
        assert!(
            objective_of("diffusion", "loss = \"hybrid\"\nhybrid_lambda = 0.001").contains("0.001")
        );
        assert!(objective_of("diffusion", "process = \"vdm\"").contains("continuous-time"));
        assert!(objective_of("gan", "").contains("non-saturating"));
        assert!(objective_of("gan", "loss = \"wgan-gp\"").contains("critic units"));
        assert!(
            objective_of("vae", "beta = 0.5\nkl_warmup_steps = 200")
                .contains("β = 0.5, rising from 0 over 200 steps")
        );
        assert!(objective_of("autoregressive", "").contains("nats per example (exact)"));
    }
}

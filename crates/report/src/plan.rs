//! The runs an experiment's manifest plans. `genbench report` reads them from the manifest.toml
//! the runner copies into the experiment folder (with the CLI's manifest loader: the report
//! does not parse manifests) and passes them to [`crate::write_report_planned`], which compares
//! them with the runs the folder holds: planned runs without results are "not run", and a
//! (model, dataset) pair the manifest does not plan is absent by design.

/// One run the manifest plans: a model on a dataset with a seed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PlannedRun {
    /// The model's name in the manifest.
    pub model: String,
    /// Its family.
    pub family: String,
    /// The dataset's name.
    pub dataset: String,
    /// The master seed.
    pub seed: u64,
}

/// A family's refusal of a (model, dataset) pair the manifest does not plan: the error its
/// config check gives on that dataset's data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The model's name in the manifest.
    pub model: String,
    /// The dataset's name.
    pub dataset: String,
    /// The family's message.
    pub message: String,
}

/// What the manifest plans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Planned {
    /// The manifest it was read from, as the report names it (e.g. `manifest.toml`).
    pub source: String,
    /// The manifest's datasets, in its order.
    pub datasets: Vec<String>,
    /// Every planned run.
    pub runs: Vec<PlannedRun>,
    /// Refusals the CLI found for unplanned pairs (empty where it could not check).
    pub refusals: Vec<Refusal>,
}

impl Planned {
    /// Whether the manifest runs `model` on `dataset` (with any seed).
    pub fn plans(&self, model: &str, dataset: &str) -> bool {
        self.runs
            .iter()
            .any(|r| r.model == model && r.dataset == dataset)
    }

    /// The seeds the manifest plans for `model` on `dataset`, ascending.
    pub fn seeds(&self, model: &str, dataset: &str) -> Vec<u64> {
        let mut seeds: Vec<u64> = self
            .runs
            .iter()
            .filter(|r| r.model == model && r.dataset == dataset)
            .map(|r| r.seed)
            .collect();
        seeds.sort_unstable();
        seeds.dedup();
        seeds
    }

    /// The datasets the manifest runs `model` on, in the manifest's order.
    pub fn datasets_of(&self, model: &str) -> Vec<&str> {
        self.datasets
            .iter()
            .filter(|d| self.plans(model, d))
            .map(String::as_str)
            .collect()
    }

    /// The family's refusal of `model` on `dataset`, if the CLI found one.
    pub fn refusal(&self, model: &str, dataset: &str) -> Option<&str> {
        self.refusals
            .iter()
            .find(|r| r.model == model && r.dataset == dataset)
            .map(|r| r.message.as_str())
    }
}

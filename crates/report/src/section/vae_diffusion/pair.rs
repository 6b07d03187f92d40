//! What the section knows of one (VAE, diffusion) pair: the runs shown, the bound's terms read
//! from each family's CSV, and the comparison words computed from the measured numbers.

use crate::data::{Run, Table};
use crate::model::ModelRuns;
use crate::variants::VariantPoint;
use genbench_eval::stats::SeedSummary;

/// The bound's terms of one model in one unit: `(name, value)`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Terms {
    pub unit: &'static str,
    pub terms: Vec<(String, f64)>,
}

/// VAE terms from vae_bound.csv (term, nats, bits_per_dim) in bits/dim when `bpd`, else nats.
pub fn vae_terms(table: &Table, bpd: bool) -> Terms {
    let col = if bpd { "bits_per_dim" } else { "nats" };
    let terms = (0..table.rows.len())
        .filter_map(|i| Some((table.get(i, "term")?.to_string(), table.num(i, col)?)))
        .collect();
    Terms {
        unit: if bpd { "bits/dim" } else { "nats" },
        terms,
    }
}

/// Diffusion's per-timestep terms `(t, value)` from diffusion_vlb_terms.csv and their split
/// into L_0 (t = 0), Σ L_t (0 < t < T) and L_T (t = T, the largest t).
pub fn diffusion_terms(table: &Table, bpd: bool) -> (Vec<(f64, f64)>, Terms) {
    let col = if bpd { "term_bpd" } else { "term_nats" };
    let mut per_t: Vec<(f64, f64)> = (0..table.rows.len())
        .filter_map(|i| Some((table.num(i, "t")?, table.num(i, col)?)))
        .collect();
    per_t.sort_by(|a, b| a.0.total_cmp(&b.0));
    let t_max = per_t.last().map(|p| p.0).unwrap_or(0.0);
    let (mut l0, mut mid, mut lt) = (0.0, 0.0, 0.0);
    for &(t, v) in &per_t {
        if t == 0.0 {
            l0 += v;
        } else if t == t_max {
            lt += v;
        } else {
            mid += v;
        }
    }
    let terms = vec![
        ("L_T".to_string(), lt),
        ("Σ L_t (0<t<T)".to_string(), mid),
        ("L_0".to_string(), l0),
    ];
    (
        per_t,
        Terms {
            unit: if bpd { "bits/dim" } else { "nats" },
            terms,
        },
    )
}

/// "lower" / "higher" comparison of two summaries with whether their intervals overlap.
pub fn compare(a: &SeedSummary, b: &SeedSummary) -> Option<(bool, bool)> {
    if a.n == 0 || b.n == 0 {
        return None;
    }
    let a_lower = a.mean < b.mean;
    let overlap = a.ci95_low <= b.ci95_high && b.ci95_low <= a.ci95_high;
    Some((a_lower, overlap))
}

pub(super) fn overlap_words(overlap: bool, n: usize) -> &'static str {
    if n < 2 {
        "(one seed each: no interval)"
    } else if overlap {
        "(the 95% intervals overlap: these seeds do not separate them)"
    } else {
        "(the 95% intervals do not overlap)"
    }
}

/// Everything the section needs about one (VAE, diffusion) pair on one dataset.
pub(super) struct Pair<'a> {
    pub(super) ds: String,
    pub(super) images: bool,
    pub(super) nll_key: &'static str,
    pub(super) unit: &'static str,
    pub(super) fd_label: &'static str,
    pub(super) vae: &'a ModelRuns,
    pub(super) diff: &'a ModelRuns,
    /// The runs (first finished seed) whose artifacts are shown.
    pub(super) vr: &'a Run,
    pub(super) dr: &'a Run,
    pub(super) kl: Option<Table>,
    pub(super) bound: Option<Table>,
    pub(super) vterms: Option<Terms>,
    pub(super) dterms: Option<(Vec<(f64, f64)>, Terms)>,
    pub(super) d_z: Option<usize>,
    pub(super) dim: Option<usize>,
    pub(super) ddim: Vec<VariantPoint>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use genbench_eval::stats::summarize;

    #[test]
    fn diffusion_terms_split_into_l0_middle_and_lt() {
        let rows = vec![
            vec!["0".into(), "5".into(), "0.5".into()],
            vec!["1".into(), "1".into(), "0.1".into()],
            vec!["2".into(), "2".into(), "0.2".into()],
            vec!["3".into(), "0.25".into(), "0.025".into()],
        ];
        let table = Table {
            header: vec!["t".into(), "term_nats".into(), "term_bpd".into()],
            rows,
        };
        let (per_t, terms) = diffusion_terms(&table, false);
        assert_eq!(per_t.len(), 4);
        assert_eq!(
            terms.terms.iter().map(|t| t.1).collect::<Vec<_>>(),
            vec![0.25, 3.0, 5.0]
        );
        assert_eq!(diffusion_terms(&table, true).1.unit, "bits/dim");
    }

    #[test]
    fn comparison_words_are_computed() {
        let a = summarize(&[1.0, 1.1, 1.2]);
        let b = summarize(&[2.0, 2.1, 2.2]);
        assert_eq!(compare(&a, &b), Some((true, false)));
        assert_eq!(compare(&b, &a), Some((false, false)));
        let c = summarize(&[1.0, 3.0, 2.0]);
        assert_eq!(compare(&a, &c), Some((true, true)));
        assert_eq!(compare(&a, &summarize(&[])), None);
    }
}

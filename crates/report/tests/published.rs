//! "Published numbers beside ours": genbench's mean of a fixture with known numbers next to the
//! published one, "not run" for data the experiment lacks, runs of other levels kept apart, the
//! section absent without a listed model, and every published number citing a paper and table.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use genbench_dataset::{DataConfig, load};
use genbench_report::section::published::levels;
use genbench_report::section::published::sources::{ENTRIES, Measure};
use std::path::Path;

/// The preprocessing line genbench-dataset writes for MNIST-5k, binarized or not.
fn preprocessing(binarize: bool) -> String {
    let config = DataConfig {
        binarize,
        ..DataConfig::new("mnist5k")
    };
    load(&config).unwrap().preprocessing
}

/// Runs of one model: (model, family, dataset, binarized, NLL kind, nll_nats of seeds 0, 1, ...).
type Spec<'a> = (&'a str, &'a str, &'a str, bool, &'a str, &'a [&'a str]);

/// A summary.csv of `runs`, every run with FID-approx 12.5 on 2000/1000 samples and its NLL on
/// 1000 test images.
fn write(dir: &Path, runs: &[Spec]) {
    let header: Vec<String> = [
        "run_id",
        "experiment",
        "family",
        "model",
        "dataset",
        "seed",
        "status",
        "preprocessing",
        "nll_kind",
        "nll_nats",
        "nll_n",
        "fd",
        "fd_n",
    ]
    .map(String::from)
    .to_vec();
    let (binarized, grey) = (preprocessing(true), preprocessing(false));
    let mut rows = Vec::new();
    for (model, family, dataset, binarize, kind, values) in runs {
        for (seed, v) in values.iter().enumerate() {
            let levels = if *binarize { "b" } else { "g" };
            rows.push(
                [
                    &format!("{model}-{dataset}-{levels}-s{seed}"),
                    "fixture",
                    family,
                    model,
                    dataset,
                    &seed.to_string(),
                    "ok",
                    if *binarize { &binarized } else { &grey },
                    kind,
                    v,
                    "1000",
                    "12.5",
                    "2000/1000",
                ]
                .map(String::from)
                .to_vec(),
            );
        }
    }
    common::write_csv(&dir.join("summary.csv"), &header, &rows);
}

fn report(dir: &Path) -> String {
    genbench_report::write_report(dir, &common::family_order()).unwrap();
    std::fs::read_to_string(dir.join("REPORT.md")).unwrap()
}

/// The line of the table whose family and first model are these.
fn row<'a>(md: &'a str, family: &str, model: &str) -> &'a str {
    let start = format!("| {family} | `{model}`");
    md.lines()
        .find(|l| l.starts_with(&start))
        .unwrap_or_else(|| panic!("no row {start} in\n{md}"))
}

#[test]
fn levels_are_read_from_the_datasets_own_preprocessing_lines() {
    assert_eq!(levels(&preprocessing(true)), Some(2));
    assert_eq!(levels(&preprocessing(false)), Some(256));
    let requantized = DataConfig {
        levels: Some(16),
        ..DataConfig::new("mnist5k")
    };
    assert_eq!(levels(&load(&requantized).unwrap().preprocessing), Some(16));
    assert_eq!(
        levels(&load(&DataConfig::new("digits")).unwrap().preprocessing),
        Some(17)
    );
    assert_eq!(
        levels(&load(&DataConfig::new("8gaussians")).unwrap().preprocessing),
        None
    );
    assert_eq!(levels(""), None);
}

/// made's three binarized runs {85, 87, 89} nats: mean 87, s = 2, half-width
/// t_{0.975,2} * 2 / sqrt(3) = 4.302652729911275 * 1.1547 = 4.968 -> "87.00 ± 4.97", beside
/// MADE's 86.64. pixelcnn ran at 256 levels only: its binarized cell says "not run", and its
/// runs do not leak into it. Fashion-MNIST has no run: "not run".
#[test]
fn ours_is_the_mean_over_the_runs_beside_the_published_number() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        &[
            (
                "made",
                "autoregressive",
                "mnist5k",
                true,
                "exact",
                &["85", "87", "89"],
            ),
            (
                "pixelcnn",
                "autoregressive",
                "mnist5k",
                false,
                "exact",
                &["700", "701", "702"],
            ),
            (
                "dcgan-ns",
                "gan",
                "mnist5k",
                false,
                "unavailable",
                &["", "", ""],
            ),
            (
                "dcgan-wgan-gp",
                "gan",
                "mnist5k",
                false,
                "unavailable",
                &[""],
            ),
        ],
    );
    let md = report(tmp.path());
    assert!(md.contains("## Published numbers beside ours"), "{md}");
    let made = row(&md, "autoregressive", "made");
    for must in [
        "86.64 nats/image (exact NLL)",
        "Germain, Gregor, Murray & Larochelle 2015, *MADE: Masked Autoencoder for Distribution Estimation*, ICML, Table 6",
        "`made` on mnist5k (binarized): 87.00 ± 4.97 nats/image (exact, n = 1000; 3 runs)",
        "**same task**",
        "3,600 on MNIST-5k",
    ] {
        assert!(made.contains(must), "{must:?} not in {made}");
    }
    let pixelcnn = row(&md, "autoregressive", "pixelcnn");
    assert!(
        pixelcnn.contains("mnist5k (binarized): not run"),
        "{pixelcnn}"
    );
    assert!(!pixelcnn.contains("701"), "{pixelcnn}");
    // The GAN row: our FID-approx (every seed 12.5, so no interval), no published number.
    let gan = row(&md, "gan", "dcgan-ns");
    for must in [
        "not found in the sources searched",
        "`dcgan-ns` on mnist5k (256 levels): 12.50 ± 0.00 (FID-approx, n = 2000/1000; 3 runs)",
        // One run: no interval, and the count said once.
        "`dcgan-wgan-gp` on mnist5k (256 levels): 12.50 (FID-approx, n = 2000/1000; 1 run)",
        "fashion-mnist (256 levels): not run",
        "**not comparable**",
    ] {
        assert!(gan.contains(must), "{must:?} not in {gan}");
    }
    let vdm = row(&md, "diffusion", "vdm-unet");
    assert!(
        vdm.contains("mnist5k (256 levels): not run<br>fashion-mnist (256 levels): not run"),
        "{vdm}"
    );
    // The data as the runs recorded it, and how each number was checked.
    assert!(md.contains(&format!("- mnist5k (binarized): {}", preprocessing(true))));
    assert!(md.contains("- made (86.64): 86.64 listed as"), "{md}");
}

#[test]
fn no_section_without_a_listed_model() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        &[(
            "my-model",
            "autoregressive",
            "mnist5k",
            true,
            "exact",
            &["1", "2", "3"],
        )],
    );
    assert!(!report(tmp.path()).contains("Published numbers"));
}

/// Every published number names its authors, year, title, venue and table, reads as a number
/// and says how it was checked; every entry without one says what was searched.
#[test]
fn every_entry_names_a_paper_and_a_table() {
    for e in ENTRIES {
        assert!(!e.models.is_empty() && !e.ours.is_empty(), "{}", e.family);
        match &e.published {
            Some(p) => {
                let c = &p.citation;
                assert!(c.table.starts_with("Table "), "{}", c.title);
                assert!(!c.authors.is_empty() && !c.title.is_empty() && !c.venue.is_empty());
                assert!((1990..=2026).contains(&c.year), "{}", c.title);
                assert!(p.value.parse::<f64>().unwrap().is_finite());
                assert!(!p.checked.is_empty() && !p.kind.is_empty());
            }
            None => assert!(e.differences.contains("sources searched"), "{}", e.family),
        }
        // An NLL in bits/dim is only ever set beside a bits/dim number of ours, etc.: the
        // measure names both sides' unit.
        if let (Measure::Fd, Some(p)) = (e.measure, &e.published) {
            assert!(p.kind.contains("FID"), "{}", p.model);
        }
    }
    // Every family genbench runs has a row.
    for family in [
        "gmm",
        "autoregressive",
        "vae",
        "gan",
        "flow",
        "diffusion",
        "template",
        "texture",
    ] {
        assert!(ENTRIES.iter().any(|e| e.family == family), "{family}");
    }
}

//! The validation split: carved from the training examples, never from the test set.

use super::*;
use crate::tests::config;
use genbench_core::Batch;

/// Each example as its values and label, sorted: a multiset to compare sets by.
fn examples<'a>(sets: impl IntoIterator<Item = &'a Batch>) -> Vec<(Vec<u32>, Option<usize>)> {
    let mut out: Vec<_> = sets
        .into_iter()
        .flat_map(|b| {
            (0..b.len()).map(|i| {
                let x = b.row(i).iter().map(|v| v.to_bits()).collect();
                (x, b.labels.get(i).copied())
            })
        })
        .collect();
    out.sort();
    out
}

fn with_validation(name: &str, fraction: f64, seed: u64) -> DataConfig {
    DataConfig {
        validation_fraction: fraction,
        validation_seed: seed,
        ..config(name)
    }
}

/// digits (labelled) and checkerboard (unlabelled 2-D): the validation split and the new
/// training set are together exactly the training set loaded without one (so they share no
/// example with the test set, which is unchanged), ceil(f · n) examples are held out, and they
/// share none with each other.
#[test]
fn validation_is_carved_from_the_training_set_only() {
    for (name, n_train, n_validation) in [("digits", 1293, 144), ("checkerboard", 18_000, 2_000)] {
        let whole = load(&config(name)).unwrap();
        let d = load(&with_validation(name, 0.1, 0)).unwrap();
        assert_eq!((d.train.len(), d.validation.len()), (n_train, n_validation));
        assert_eq!(d.test, whole.test, "{name}: the test set does not move");
        assert_eq!(
            examples([&d.train, &d.validation]),
            examples([&whole.train]),
            "{name}: train and validation partition the loaded training set"
        );
        assert!(
            d.preprocessing.ends_with(&format!(
                "validation {n_validation} of the {} training examples (fraction 0.1, seed 0)",
                whole.train.len()
            )),
            "{}",
            d.preprocessing
        );
    }
}

/// Stratified by label: each digit class gives 10 % ± 1 of its training examples.
#[test]
fn validation_keeps_the_class_proportions() {
    let whole = load(&config("digits")).unwrap();
    let d = load(&with_validation("digits", 0.1, 3)).unwrap();
    for c in 0..10 {
        let count = |b: &Batch| b.labels.iter().filter(|&&l| l == c).count() as f64;
        let (n_c, v_c) = (count(&whole.train), count(&d.validation));
        assert!((v_c - 0.1 * n_c).abs() <= 1.0, "class {c}: {v_c} of {n_c}");
    }
}

/// `validation_seed` draws another validation split from the same training set and leaves the
/// test set alone; the same seed draws the same one; 0 means none; 1 is refused by name.
#[test]
fn validation_seed_moves_validation_only() {
    let a = load(&with_validation("mnist5k", 0.1, 0)).unwrap();
    let b = load(&with_validation("mnist5k", 0.1, 1)).unwrap();
    assert_eq!(a.test, b.test);
    assert_ne!(examples([&a.validation]), examples([&b.validation]));
    assert_eq!(
        examples([&a.train, &a.validation]),
        examples([&b.train, &b.validation])
    );
    let again = load(&with_validation("mnist5k", 0.1, 0)).unwrap();
    assert_eq!((&again.train, &again.validation), (&a.train, &a.validation));
    assert_ne!(a.split_fingerprint(), b.split_fingerprint());

    let none = load(&config("mnist5k")).unwrap();
    assert!(none.validation.is_empty());
    assert_eq!(none.train.len(), 4000);
    let err = with_validation("digits", 1.0, 0).check().unwrap_err();
    assert_eq!(err.key, "validation_fraction");
    assert!(err.to_string().contains("[0, 1)"), "{err}");
}

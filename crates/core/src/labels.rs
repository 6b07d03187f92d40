//! The labels samples are drawn for: as the caller gives them, or the classes in turn.

/// `n` labels cycling through the classes: 0, 1, …, classes − 1, 0, 1, … (empty when
/// `classes` is 0).
pub fn cycled(n: usize, classes: usize) -> Vec<usize> {
    if classes == 0 {
        return Vec::new();
    }
    (0..n).map(|i| i % classes).collect()
}

/// That a model with `classes` classes (> 0) has what it conditions on for `n` examples: one
/// label each, each below `classes`.
pub fn check(labels: &[usize], n: usize, classes: usize) -> anyhow::Result<()> {
    anyhow::ensure!(
        labels.len() == n,
        "a conditional model needs one label per example ({} labels for {n})",
        labels.len()
    );
    anyhow::ensure!(
        labels.iter().all(|&c| c < classes),
        "a label is out of range 0..{classes}"
    );
    Ok(())
}

/// The labels of `n` samples from a model with `classes` classes (0: unconditional, no labels):
/// `given` when there is one (one per sample, each below `classes`), else [`cycled`].
pub fn for_samples(
    n: usize,
    given: Option<&[usize]>,
    classes: usize,
) -> anyhow::Result<Vec<usize>> {
    if classes == 0 {
        return Ok(Vec::new());
    }
    match given {
        Some(l) => {
            check(l, n, classes)?;
            Ok(l.to_vec())
        }
        None => Ok(cycled(n, classes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycling_visits_every_class_in_turn() {
        assert_eq!(cycled(7, 3), vec![0, 1, 2, 0, 1, 2, 0]);
        assert!(cycled(4, 0).is_empty());
    }

    #[test]
    fn given_labels_are_checked_and_kept() {
        assert_eq!(for_samples(2, Some(&[1, 0]), 2).unwrap(), vec![1, 0]);
        assert_eq!(for_samples(3, None, 2).unwrap(), vec![0, 1, 0]);
        assert!(for_samples(3, Some(&[1, 0]), 2).is_err(), "too few");
        assert!(for_samples(1, Some(&[2]), 2).is_err(), "out of range");
        assert!(
            for_samples(3, Some(&[5]), 0).unwrap().is_empty(),
            "unconditional"
        );
    }
}

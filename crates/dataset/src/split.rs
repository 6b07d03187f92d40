//! Seeded train/test splits: stratified by label where there is no official split, and seeded
//! shuffles before size caps where there is.

use genbench_core::seed::Rng;

/// Indices of a stratified split of `labels` into `(train, test)`, both shuffled.
///
/// The test set has `ceil(test_fraction * n)` examples. Class `c` with `n_c` examples gives
/// `floor(q_c)` or `ceil(q_c)` of them, `q_c = n_test * n_c / n`, the remainders going to the
/// classes with the largest fractional parts (ties to the lower class). Which examples of a class
/// go to test is a uniform draw from `Rng::new(seed)`.
pub fn stratified(labels: &[usize], test_fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let n = labels.len();
    let n_test = ((test_fraction * n as f64).ceil() as usize).min(n);
    let classes = labels.iter().max().map_or(0, |&m| m + 1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l].push(i);
    }
    let quota: Vec<f64> = by_class
        .iter()
        .map(|m| n_test as f64 * m.len() as f64 / n.max(1) as f64)
        .collect();
    let mut take: Vec<usize> = quota.iter().map(|q| q.floor() as usize).collect();
    let mut order: Vec<usize> = (0..classes).collect();
    order.sort_by(|&a, &b| {
        (quota[b] - quota[b].floor())
            .total_cmp(&(quota[a] - quota[a].floor()))
            .then(a.cmp(&b))
    });
    let mut missing = n_test - take.iter().sum::<usize>();
    for &c in order.iter().cycle().take(classes * 2) {
        if missing == 0 {
            break;
        }
        if take[c] < by_class[c].len() {
            take[c] += 1;
            missing -= 1;
        }
    }
    let mut rng = Rng::new(seed);
    let (mut train, mut test) = (Vec::with_capacity(n - n_test), Vec::with_capacity(n_test));
    for (members, &k) in by_class.iter_mut().zip(&take) {
        rng.shuffle(members);
        test.extend_from_slice(&members[..k]);
        train.extend_from_slice(&members[k..]);
    }
    rng.shuffle(&mut train);
    rng.shuffle(&mut test);
    (train, test)
}

/// Indices of `0..n` split into `(kept, held_out)`, both in a seeded random order:
/// `held_out` has `ceil(fraction * n)` of them. For data without labels.
pub fn holdout(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let n_held = ((fraction * n as f64).ceil() as usize).min(n);
    let mut p = Rng::new(seed).permutation(n);
    let kept = p.split_off(n_held);
    (kept, p)
}

/// The first `cap` (default all) of a seeded permutation of `0..n`.
pub fn shuffled_head(n: usize, cap: Option<usize>, seed: u64) -> Vec<usize> {
    let mut p = Rng::new(seed).permutation(n);
    p.truncate(cap.unwrap_or(n).min(n));
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stratified_split_is_a_partition_with_class_proportions() {
        let labels: Vec<usize> = (0..1797).map(|i| (i * 7) % 10).collect();
        let (train, test) = stratified(&labels, 0.2, 3);
        assert_eq!((train.len(), test.len()), (1437, 360));
        let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
        all.sort();
        assert_eq!(all, (0..1797).collect::<Vec<_>>());
        for c in 0..10 {
            let n_c = labels.iter().filter(|&&l| l == c).count() as f64;
            let t_c = test.iter().filter(|&&i| labels[i] == c).count() as f64;
            assert!((t_c - 0.2 * n_c).abs() <= 1.0, "class {c}: {t_c} of {n_c}");
        }
        assert_eq!(stratified(&labels, 0.2, 3), (train.clone(), test.clone()));
        assert_ne!(stratified(&labels, 0.2, 4).1, test);
    }

    #[test]
    fn sorted_labels_are_mixed() {
        let labels: Vec<usize> = (0..1000).map(|i| i / 100).collect();
        let (train, _) = stratified(&labels, 0.2, 0);
        let first: std::collections::BTreeSet<usize> =
            train[..50].iter().map(|&i| labels[i]).collect();
        assert!(first.len() >= 8, "{first:?}");
    }

    #[test]
    fn holdout_is_a_partition_of_the_asked_size() {
        let (kept, held) = holdout(101, 0.1, 7);
        assert_eq!(
            (kept.len(), held.len()),
            (90, 11),
            "ceil(10.1) = 11 held out"
        );
        let mut all: Vec<usize> = kept.iter().chain(&held).copied().collect();
        all.sort();
        assert_eq!(all, (0..101).collect::<Vec<_>>());
        assert_eq!(holdout(101, 0.1, 7), (kept, held.clone()));
        assert_ne!(holdout(101, 0.1, 8).1, held);
        assert_eq!(holdout(10, 0.0, 1).1, Vec::<usize>::new());
    }

    #[test]
    fn shuffled_head_caps() {
        assert_eq!(shuffled_head(10, Some(3), 1).len(), 3);
        assert_eq!(shuffled_head(10, Some(30), 1).len(), 10);
        assert_eq!(shuffled_head(10, None, 1), shuffled_head(10, None, 1));
    }
}

//! The split's fingerprint: one short hash that changes whenever any example of any split, its
//! label, its order or the data spec changes, so a likelihood computed elsewhere can be checked
//! against the test set genbench scores.

use crate::Dataset;
use genbench_core::Batch;
use sha2::{Digest, Sha256};

impl Dataset {
    /// The splits in a fixed order, by name: `train`, `validation` (carved from the training
    /// examples; empty when `validation_fraction` is 0), then `test`.
    pub fn splits(&self) -> [(&'static str, &Batch); 3] {
        [
            ("train", &self.train),
            ("validation", &self.validation),
            ("test", &self.test),
        ]
    }

    /// The first 16 hex digits of SHA-256 over the data spec (name, shape, levels, classes) and,
    /// for every split of [`Dataset::splits`], its name, its size and each example's values
    /// (f32, little-endian) and label, in order. Two loads with the same examples in the same
    /// splits have the same fingerprint; moving one example between splits changes it.
    pub fn split_fingerprint(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"genbench split v2\n");
        let spec = &self.spec;
        h.update(
            format!(
                "{} {:?} {:?} {}\n",
                spec.name, spec.shape, spec.levels, spec.num_classes
            )
            .as_bytes(),
        );
        for (name, batch) in self.splits() {
            h.update(format!("{name} {} {}\n", batch.len(), batch.dim).as_bytes());
            let mut bytes = Vec::with_capacity(batch.dim * 4 + 8);
            for i in 0..batch.len() {
                bytes.clear();
                bytes.extend(batch.row(i).iter().flat_map(|v| v.to_le_bytes()));
                let label = batch.labels.get(i).map_or(u64::MAX, |&l| l as u64);
                bytes.extend(label.to_le_bytes());
                h.update(&bytes);
            }
        }
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::{DataConfig, load};

    #[test]
    fn same_examples_same_fingerprint_any_change_another() {
        let digits = load(&DataConfig::new("digits")).unwrap();
        let fp = digits.split_fingerprint();
        assert_eq!(fp.len(), 16);
        assert!(fp.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            load(&DataConfig::new("digits"))
                .unwrap()
                .split_fingerprint(),
            fp
        );
        let reseeded = DataConfig {
            split_seed: 1,
            ..DataConfig::new("digits")
        };
        assert_ne!(load(&reseeded).unwrap().split_fingerprint(), fp);
        let requantized = DataConfig {
            levels: Some(4),
            ..DataConfig::new("digits")
        };
        assert_ne!(load(&requantized).unwrap().split_fingerprint(), fp);
        // One example moved from train to test, everything else equal.
        let mut moved = load(&DataConfig::new("digits")).unwrap();
        let last = moved.train.len() - 1;
        let example = moved.train.select(&[last]);
        moved.train = moved.train.head(last);
        moved.test.x.extend(&example.x);
        moved.test.labels.extend(&example.labels);
        assert_ne!(moved.split_fingerprint(), fp);
        // A label changed.
        let mut relabelled = load(&DataConfig::new("digits")).unwrap();
        relabelled.test.labels[0] = (relabelled.test.labels[0] + 1) % 10;
        assert_ne!(relabelled.split_fingerprint(), fp);
    }
}

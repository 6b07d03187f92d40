//! One master seed per run, split into independent named streams.
//!
//! `Seeds::new(master).stream("init")` is a pure function of (master, name): the same master
//! seed gives the same streams on every machine, and adding a stream never shifts another.

use crate::hash::fnv1a;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// The named streams a run draws from.
pub const STREAMS: [&str; 4] = ["init", "shuffle", "noise", "eval"];

/// A run's master seed, from which each named stream's seed is derived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seeds {
    /// The run's seed (the manifest's `seeds`).
    pub master: u64,
}

impl Seeds {
    /// The streams of master seed `master`.
    pub fn new(master: u64) -> Self {
        Self { master }
    }

    /// The 64-bit seed of stream `name`: splitmix64(master xor fnv1a(name)).
    pub fn stream(&self, name: &str) -> u64 {
        splitmix64(self.master ^ fnv1a(name.as_bytes()))
    }

    /// A generator on stream `name`.
    pub fn rng(&self, name: &str) -> Rng {
        Rng::new(self.stream(name))
    }
}

/// Derive a child seed from a seed and an index (e.g. one per epoch or per restart).
pub fn derive(seed: u64, index: u64) -> u64 {
    splitmix64(seed ^ splitmix64(index.wrapping_add(0x9E37_79B9_7F4A_7C15)))
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A portable, seedable generator (ChaCha8) with the draws the project needs.
#[derive(Clone, Debug)]
pub struct Rng(ChaCha8Rng);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(ChaCha8Rng::seed_from_u64(seed))
    }

    /// Uniform on [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0.random::<f64>()
    }

    /// Standard normal N(0, 1).
    pub fn normal(&mut self) -> f64 {
        self.0.sample(StandardNormal)
    }

    /// Uniform integer in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n)
    }

    /// A fresh 64-bit seed (for a burn device or a child generator).
    pub fn next_seed(&mut self) -> u64 {
        self.0.random::<u64>()
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    /// A random permutation of `0..n`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        self.shuffle(&mut p);
        p
    }

    /// Index drawn with probability proportional to `weights` (non-negative, not all zero).
    pub fn categorical(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut u = self.uniform() * total;
        for (i, w) in weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        weights.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_distinct_and_reproducible() {
        let s = Seeds::new(7);
        assert_eq!(s.stream("init"), Seeds::new(7).stream("init"));
        let all: Vec<u64> = STREAMS.iter().map(|n| s.stream(n)).collect();
        for i in 0..all.len() {
            for j in 0..i {
                assert_ne!(all[i], all[j]);
            }
        }
        assert_ne!(Seeds::new(8).stream("init"), s.stream("init"));
    }

    #[test]
    fn normal_draws_have_unit_moments() {
        let mut r = Rng::new(1);
        let xs: Vec<f64> = (0..200_000).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "var {var}");
    }
}

//! Scores 10,000 vs 10,000 samples of 64 features with every metric, 5 times, and prints the
//! median seconds of each metric and of the total.
//!
//! cargo run --release -p genbench-eval --example bench_metrics
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_eval::{FeatureSet, density_coverage, frechet_distance, kid, precision_recall};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use std::time::Instant;

const N: usize = 10_000;
const D: usize = 64;
const REPEATS: usize = 5;

fn gaussian(mean: f64, std: f64, seed: u64) -> FeatureSet {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(mean, std).unwrap();
    FeatureSet::new((0..N * D).map(|_| normal.sample(&mut rng)).collect(), D)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed().as_secs_f64())
}

fn main() -> anyhow::Result<()> {
    let real = gaussian(0.0, 1.0, 1);
    let fake = gaussian(0.05, 1.1, 2);
    let names = ["fd", "kid", "precision_recall", "density_coverage", "total"];
    let mut seconds = vec![Vec::new(); names.len()];
    for repeat in 0..REPEATS {
        let (fd, t_fd) = timed(|| frechet_distance(&real, &fake));
        let (k, t_kid) = timed(|| kid(&real, &fake, 100, 1000, repeat as u64));
        let (pr, t_pr) = timed(|| precision_recall(&real, &fake, 3));
        let (dc, t_dc) = timed(|| density_coverage(&real, &fake, 5));
        let (fd, k) = (fd?, k?);
        println!(
            "run {repeat}: fd {fd:.4} kid {:.5}±{:.5} precision {:.4} recall {:.4} density {:.4} coverage {:.4}",
            k.mean, k.std, pr.precision, pr.recall, dc.density, dc.coverage
        );
        for (s, t) in seconds
            .iter_mut()
            .zip([t_fd, t_kid, t_pr, t_dc, t_fd + t_kid + t_pr + t_dc])
        {
            s.push(t);
        }
    }
    println!(
        "{N} vs {N} samples, d = {D}, {} rayon threads, median of {REPEATS}:",
        rayon::current_num_threads()
    );
    for (name, s) in names.iter().zip(seconds) {
        println!("  {name:<18} {:.3} s", median(s));
    }
    Ok(())
}

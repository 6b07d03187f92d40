//! kill -9 at a random point, rerun, and every number equals an uninterrupted run's — for every
//! family (GMM, MADE, VAE, GAN with and without batch norm, RealNVP, DDPM, template, texture):
//! result.json, metrics.csv (the periodic evaluations from before the kill included), train.csv
//! and the samples, all but the columns that measure time.
//!
//! Trials per family: 1 (GENBENCH_KILL_TRIALS=N for more; the kill points are drawn from
//! GENBENCH_KILL_SEED, default 14). Each trial kills the run once or twice at a uniform point of
//! an uninterrupted run's wall time, then lets it finish.

#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::*;
use std::path::Path;
use std::time::Instant;

const FAMILIES: &str = r#"
name = "kill"
output = "OUT"
seeds = [0]

[eval]
samples = 400
likelihood_examples = 200
kid_subsets = 10
kid_subset_size = 100
eval_every = 40
eval_examples = 100
checkpoint_every = 30

[[datasets]]
name = "8gaussians"
train_size = 1000
test_size = 400

[[datasets]]
name = "digits"

[[models]]
name = "gmm"
family = "gmm"
datasets = ["8gaussians"]
steps = 100
batch_size = "full"
[models.config]
components = 8
restarts = 1

[[models]]
name = "made"
family = "autoregressive"
datasets = ["8gaussians"]
steps = 200
batch_size = 128
learning_rate = 3e-3
[models.config]
arch = "made"
hidden = [32, 32]
components = 4

[[models]]
name = "vae"
family = "vae"
datasets = ["8gaussians"]
steps = 200
batch_size = 128
learning_rate = 2e-3
[models.config]
latent_dim = 2
hidden = 32
iwae_k = 8

[[models]]
name = "gan"
family = "gan"
datasets = ["8gaussians"]
steps = 200
batch_size = 128
learning_rate = 2e-3
[models.config]
latent_dim = 4
hidden = 32
layers = 2

[[models]]
name = "dcgan-bn"
family = "gan"
datasets = ["digits"]
steps = 100
batch_size = 32
learning_rate = 5e-4
[models.config]
channels = 8
latent_dim = 16

[[models]]
name = "realnvp"
family = "flow"
datasets = ["8gaussians"]
steps = 200
batch_size = 128
learning_rate = 5e-3
[models.config]
couplings = 4
hidden = 32

[[models]]
name = "ddpm"
family = "diffusion"
datasets = ["8gaussians"]
steps = 200
batch_size = 128
learning_rate = 3e-3
[models.config]
timesteps = 50
denoiser = "mlp"
mlp_hidden = 32
mlp_blocks = 1
embed = 32
time_features = 16
sampler = "ddim"
sample_steps = 10
vlb_examples = 100

[[models]]
name = "template"
family = "template"
datasets = ["8gaussians"]
steps = 1
batch_size = "full"
[models.config]
jitter = 0.05

[[models]]
name = "texture"
family = "texture"
datasets = ["8gaussians"]
steps = 1
batch_size = "full"
[models.config]
selection = "k-nearest"
k = 5
pool = 0
"#;

const RUNS: [&str; 9] = [
    "gmm--8gaussians--s0",
    "made--8gaussians--s0",
    "vae--8gaussians--s0",
    "gan--8gaussians--s0",
    "dcgan-bn--digits--s0",
    "realnvp--8gaussians--s0",
    "ddpm--8gaussians--s0",
    "template--8gaussians--s0",
    "texture--8gaussians--s0",
];

fn manifest(dir: &Path, out: &str) -> String {
    let name = format!("{out}.toml");
    write(dir, &name, &FAMILIES.replace("OUT", out));
    name
}

#[test]
fn a_run_killed_anywhere_resumes_to_the_same_numbers() {
    let trials: usize = std::env::var("GENBENCH_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let seed: u64 = std::env::var("GENBENCH_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(14);
    let dir = tempfile::tempdir().unwrap();
    let reference = manifest(dir.path(), "reference");
    let mut wall = Vec::new();
    for id in RUNS {
        let started = Instant::now();
        let out = genbench(&["run", &reference, "--only", id], dir.path());
        assert!(out.status.success(), "{id}: {}", stderr(&out));
        wall.push(started.elapsed());
        let row = result_row(
            &dir.path()
                .join("reference/runs")
                .join(id)
                .join("result.json"),
        );
        assert_eq!(get(&row, "status"), "ok", "{id}");
    }
    let mut jitter = Jitter::new(seed);
    let (mut tried, mut identical, mut failures) = (0, 0, Vec::new());
    for trial in 0..trials {
        for (id, wall) in RUNS.iter().zip(&wall) {
            let out = format!("trial{trial}-{}", id.split("--").next().unwrap());
            let m = manifest(dir.path(), &out);
            let kills = 1 + (jitter.next() < 0.5) as usize;
            let mut points = Vec::new();
            for _ in 0..kills {
                let at = wall.mul_f64(jitter.next());
                let mut child = spawn(&["run", &m, "--only", id], dir.path());
                std::thread::sleep(at);
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                points.push(format!("{:.2}s", at.as_secs_f64()));
            }
            let done = genbench(&["run", &m, "--only", id], dir.path());
            tried += 1;
            let run = dir.path().join(&out).join("runs").join(id);
            let same = done.status.success()
                && run_numbers(&run) == run_numbers(&dir.path().join("reference/runs").join(id));
            if same && leftovers(&dir.path().join(&out)).is_empty() {
                identical += 1;
            } else {
                failures.push(format!(
                    "{id} killed at {points:?} of {:.2}s: exit {:?}, leftovers {:?}\n{}",
                    wall.as_secs_f64(),
                    done.status.code(),
                    leftovers(&dir.path().join(&out)),
                    stderr(&done)
                ));
            }
            std::fs::remove_dir_all(dir.path().join(&out)).ok();
        }
    }
    eprintln!("kill -9 trials: {tried}, identical: {identical}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

//! Helpers shared by the end-to-end tests of runs: start the binary, read its CSVs, compare the
//! columns that no clock moves.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_genbench")
}

pub fn genbench(args: &[&str], cwd: &Path) -> Output {
    genbench_with(args, cwd, &[])
}

/// `genbench args` with extra environment variables.
pub fn genbench_with(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(bin())
        .args(args)
        .envs(env.iter().copied())
        .current_dir(cwd)
        .output()
        .expect("genbench runs")
}

/// `genbench args` started in the background, stderr captured.
pub fn spawn(args: &[&str], cwd: &Path) -> Child {
    spawn_with(args, cwd, &[])
}

/// [`spawn`] with extra environment variables.
pub fn spawn_with(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Child {
    Command::new(bin())
        .args(args)
        .envs(env.iter().copied())
        .current_dir(cwd)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("genbench starts")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A CSV as rows of (column, value).
pub fn csv_rows(path: &Path) -> Vec<Vec<(String, String)>> {
    let mut r =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            header
                .iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

/// A result.json as (column, value) pairs.
pub fn result_row(path: &Path) -> Vec<(String, String)> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    map.into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
        .collect()
}

/// The columns of a row that no clock moves (time, rates and the commit are left out).
pub fn timeless(row: &[(String, String)]) -> Vec<(String, String)> {
    row.iter()
        .filter(|(k, _)| !k.contains("seconds") && k != "samples_per_second" && k != "commit")
        .cloned()
        .collect()
}

/// Value of `key` in a row.
pub fn get<'a>(row: &'a [(String, String)], key: &str) -> &'a str {
    row.iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no column {key}"))
}

/// Files under `dir` (recursively) whose name marks them as temporary or a lock.
pub fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".tmp") || name.ends_with(".old") || name == ".lock" {
                out.push(p.clone());
            }
            if p.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

/// A small deterministic generator for kill delays (xorshift64*).
pub struct Jitter(u64);

impl Jitter {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    /// Uniform on [0, 1).
    pub fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A tiny manifest on 8gaussians (2,000 training and 500 test points, 300 samples scored):
/// `extra_eval` adds `[eval]` lines, `models` are `[[models]]` tables such as [`gmm`].
pub fn tiny_2d_manifest(output: &str, seeds: &str, extra_eval: &str, models: &[String]) -> String {
    format!(
        "name = \"tiny\"\noutput = \"{output}\"\nseeds = {seeds}\n\n\
         [eval]\nsamples = 300\nkid_subsets = 10\nkid_subset_size = 100\n{extra_eval}\n\
         [[datasets]]\nname = \"8gaussians\"\ntrain_size = 2000\ntest_size = 500\n\n{}",
        models.join("\n")
    )
}

/// A Gaussian mixture fitted by `steps` EM steps (8 components, 2 restarts).
pub fn gmm(steps: u32) -> String {
    format!(
        "[[models]]\nname = \"gmm\"\nfamily = \"gmm\"\nsteps = {steps}\nbatch_size = \"full\"\n\
         [models.config]\ncomponents = 8\nrestarts = 2\n"
    )
}

/// A small MLP VAE (2-D latent, hidden width 32, IWAE-10 bound).
pub fn vae(steps: u32) -> String {
    format!(
        "[[models]]\nname = \"vae\"\nfamily = \"vae\"\nsteps = {steps}\nbatch_size = 128\n\
         [models.config]\nlatent_dim = 2\nhidden = 32\niwae_k = 10\n"
    )
}

/// A small RealNVP (4 couplings, hidden width 32).
pub fn flow(steps: u32) -> String {
    format!(
        "[[models]]\nname = \"flow\"\nfamily = \"flow\"\nsteps = {steps}\nbatch_size = 128\n\
         [models.config]\ncouplings = 4\nhidden = 32\n"
    )
}

/// A small MADE (hidden [32, 32], a 4-component mixture per dimension).
pub fn made(steps: u32) -> String {
    format!(
        "[[models]]\nname = \"made\"\nfamily = \"autoregressive\"\nsteps = {steps}\nbatch_size = 128\n\
         [models.config]\narch = \"made\"\nhidden = [32, 32]\ncomponents = 4\n"
    )
}

/// Every file and folder under `dir`, relative, sorted.
pub fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            out.push(p.strip_prefix(root).unwrap().display().to_string());
            if p.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// An unsigned-byte IDX file: the header for `dims`, then `data`.
pub fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0, 0, 8, dims.len() as u8];
    for d in dims {
        bytes.extend_from_slice(&d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    bytes
}

/// A Fashion-MNIST-shaped IDX folder (28x28) with `train` and `test` images whose labels cycle
/// through `classes` classes; returns its path.
pub fn fake_idx_folder(dir: &Path, train: u32, test: u32, classes: u8) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for (prefix, n) in [("train", train), ("t10k", test)] {
        let pixels: Vec<u8> = (0..n as usize * 784)
            .map(|i| (i * 37 % 256) as u8)
            .collect();
        let labels: Vec<u8> = (0..n).map(|i| (i % classes.max(1) as u32) as u8).collect();
        std::fs::write(
            dir.join(format!("{prefix}-images-idx3-ubyte")),
            idx_bytes(&[n, 28, 28], &pixels),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{prefix}-labels-idx1-ubyte")),
            idx_bytes(&[n], &labels),
        )
        .unwrap();
    }
    dir.to_path_buf()
}

/// Everything of a run folder that must not depend on interruptions or on which process trained
/// it: result.json, every metrics.csv and train.csv row (the columns no clock moves), and the
/// samples (size and byte sum).
pub fn run_numbers(run: &Path) -> Vec<String> {
    let mut out = vec![format!(
        "{:?}",
        timeless(&result_row(&run.join("result.json")))
    )];
    for file in ["metrics.csv", "train.csv"] {
        for row in csv_rows(&run.join(file)) {
            out.push(format!("{file} {:?}", timeless(&row)));
        }
    }
    for file in ["samples.csv", "samples.png"] {
        if let Ok(bytes) = std::fs::read(run.join(file)) {
            out.push(format!(
                "{file} {} bytes, sum {}",
                bytes.len(),
                bytes.iter().map(|&b| b as u64).sum::<u64>()
            ));
        }
    }
    out
}

/// The line of the first occurrence of `needle` in the manifest `text`, as `m.toml:N:`.
pub fn line_of(text: &str, needle: &str) -> String {
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle}"));
    format!("m.toml:{}:", text[..at].matches('\n').count() + 1)
}

/// `genbench args` after writing `text` to `dir/m.toml` is refused as bad input: exit 2, one
/// `error:` line holding every needle, and `dir/out/manifest.toml` (the copy an earlier run
/// left, if any) untouched.
pub fn refuses(dir: &Path, args: &[&str], text: &str, needles: &[&str]) {
    let copy = std::fs::read(dir.join("out/manifest.toml")).ok();
    write(dir, "m.toml", text);
    let out = genbench(args, dir);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: m.toml:"), "{err}");
    for n in needles {
        assert!(err.contains(n), "`{n}` missing from: {err}");
    }
    assert_eq!(
        std::fs::read(dir.join("out/manifest.toml")).ok(),
        copy,
        "nothing written"
    );
}

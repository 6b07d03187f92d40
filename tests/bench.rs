//! `genbench bench`: the committed workloads file parses and builds, a timed run writes one CSV
//! row per workload, and a bad workloads file is exit code 2 with file:line and the key.

#![allow(clippy::unwrap_used)]

mod common;

use common::{genbench, stderr};
use std::path::Path;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn list_gives_every_committed_workload_with_its_parameter_count() {
    let o = genbench(&["bench", "--list", "experiments/bench.toml"], repo());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("workload,kind,family,dataset,params"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() >= 9 + 5 + 4, "{out}");
    for kind in ["train", "sample", "likelihood"] {
        assert!(rows.iter().any(|r| r[1] == kind), "no {kind} workload");
    }
    // quick.toml's VAE on digits: encoder 64-128-128 -> 2x8, decoder 8-128-128 -> 2x64 (the
    // discretized logistic's location and log-scale per pixel), weights and biases.
    let encoder = (64 * 128 + 128) + (128 * 128 + 128) + (128 * 16 + 16);
    let decoder = (8 * 128 + 128) + (128 * 128 + 128) + (128 * 128 + 128);
    let vae = rows.iter().find(|r| r[0] == "vae-mlp-digits").unwrap();
    assert_eq!(vae[4].parse::<usize>().unwrap(), encoder + decoder);
    // benchmark.toml's MADE at 28x28: masked 784 -> 500, masked 500 -> 784 x 32 features, the
    // shared bias-free 32 -> 256 map and the per-pixel logit bias [784, 256].
    let made = (784 * 500 + 500) + (500 * 784 * 32 + 784 * 32) + 32 * 256 + 784 * 256;
    let row = rows.iter().find(|r| r[0] == "made-28x28").unwrap();
    assert_eq!(row[4].parse::<usize>().unwrap(), made);
}

/// Every model of benchmark.toml's Fashion-MNIST block that trains a network has a training
/// workload `<model>-28x28` with its family, config, batch size and learning rate, on MNIST-5k
/// (the same 28x28 shape and 256 levels, embedded).
#[test]
fn the_28x28_workloads_are_the_benchmarks_fashion_mnist_configurations() {
    let read = |name: &str| -> toml::Table {
        let text = std::fs::read_to_string(repo().join("experiments").join(name)).unwrap();
        toml::from_str(&text).unwrap()
    };
    let (bench, benchmark) = (read("bench.toml"), read("benchmark.toml"));
    let workloads = bench["workloads"].as_array().unwrap();
    let mut seen = Vec::new();
    for model in benchmark["models"].as_array().unwrap() {
        let family = model["family"].as_str().unwrap();
        let on_fashion = model["datasets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d.as_str() == Some("fashion-mnist"));
        if !on_fashion || ["template", "texture", "gmm"].contains(&family) {
            continue; // no network: no training step to time
        }
        let name = format!("{}-28x28", model["name"].as_str().unwrap());
        let w = workloads
            .iter()
            .find(|w| w["name"].as_str() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("bench.toml has no workload {name}"));
        assert_eq!(w["kind"].as_str(), Some("train"), "{name}");
        assert_eq!(w["family"].as_str(), Some(family), "{name}");
        assert_eq!(w["data"]["name"].as_str(), Some("mnist5k"), "{name}");
        for key in ["batch_size", "learning_rate", "config"] {
            assert_eq!(w.get(key), model.get(key), "{name}: {key}");
        }
        seen.push(name);
    }
    assert_eq!(seen.len(), 8, "{seen:?}");
}

const TINY: &str = r#"
warmup = 0
reps = 2

[[workloads]]
name = "made-train"
kind = "train"
family = "autoregressive"
data = { name = "digits" }
batch_size = 8
steps = 2
[workloads.config]
arch = "made"
hidden = [16]

[[workloads]]
name = "made-likelihood"
kind = "likelihood"
family = "autoregressive"
data = { name = "digits" }
n = 5
[workloads.config]
arch = "made"
hidden = [16]
"#;

#[test]
fn a_timed_run_writes_one_row_per_workload() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bench.toml");
    std::fs::write(&file, TINY).unwrap();
    let csv = dir.path().join("out.csv");
    let o = genbench(
        &[
            "bench",
            file.to_str().unwrap(),
            "--out",
            csv.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text, stdout(&o));
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("workload,kind,unit,median,min,max,reps,items_per_rep,params,threads,backend,commit")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 2);
    for (row, (name, kind, items)) in rows.iter().zip([
        ("made-train", "train", 16),
        ("made-likelihood", "likelihood", 5),
    ]) {
        assert_eq!((row[0], row[1], row[2]), (name, kind, "samples/s"));
        let [median, min, max]: [f64; 3] = [3, 4, 5].map(|i| row[i].parse().unwrap());
        assert!(min > 0.0 && min <= median && median <= max, "{row:?}");
        assert_eq!(row[6], "2", "reps");
        assert_eq!(row[7].parse::<usize>().unwrap(), items);
        assert_eq!(row[10], "flex");
    }
    // --only keeps one workload.
    let o = genbench(
        &[
            "bench",
            file.to_str().unwrap(),
            "--only",
            "made-likelihood",
            "--list",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 2);
}

#[test]
fn a_bad_workloads_file_is_exit_2_naming_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (TINY.replace("steps = 2\n", ""), "workloads[0].steps", 5),
        (
            TINY.replace("hidden = [16]\n\n", "hidden = [16]\nbogus = 1\n\n"),
            "workloads[0].config.bogus",
            15,
        ),
        (
            TINY.replace("family = \"autoregressive\"", "family = \"nope\""),
            "workloads[0].family",
            8,
        ),
        (TINY.replace("n = 5", "n = 0"), "workloads[1].n", 21),
    ];
    for (i, (text, key, line)) in cases.iter().enumerate() {
        let file = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&file, text).unwrap();
        let o = genbench(&["bench", file.to_str().unwrap(), "--list"], dir.path());
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "case {i}: {err}");
        assert_eq!(err.lines().count(), 1, "case {i}: {err}");
        assert!(
            err.starts_with(&format!("error: {}:{line}: ", file.display())) && err.contains(key),
            "case {i}: {err}"
        );
    }
    let o = genbench(&["bench", "--only", "nope", "--list"], repo());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn plot_draws_the_ratios_beside_their_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("ratios.csv");
    std::fs::write(
        &csv,
        "workload,kind,genbench,torch,ratio\nmade-digits,train,4000,1000,4.0\nvlb,likelihood,2,4,0.5\n",
    )
    .unwrap();
    let o = genbench(&["bench", "--plot", csv.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    for ext in ["png", "svg"] {
        let f = dir.path().join(format!("ratios.{ext}"));
        assert!(
            std::fs::metadata(&f).unwrap().len() > 1000,
            "{}",
            f.display()
        );
    }
    std::fs::write(&csv, "workload,kind,ratio\nx,train,fast\n").unwrap();
    let o = genbench(&["bench", "--plot", csv.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

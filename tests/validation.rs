//! The validation split end to end: periodic evaluations and the choice of the reported
//! checkpoint read the validation split only (poisoning the test set changes nothing before the
//! final test row), a rerun writes the same metric columns, and export-split writes the split.

#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

mod common;

use common::{csv_rows, genbench, get, idx_bytes, result_row, stderr, timeless, write};
use genbench_dataset::{DataConfig, load};
use std::path::{Path, PathBuf};

/// An IDX folder of 8x8 images from the embedded digits (levels 0..16 times 15): its first
/// 400 training images, and as test images its first 200 test images, or with `poisoned`
/// uniform noise (same labels) in their place.
fn digits_idx_folder(dir: &Path, poisoned: bool) -> PathBuf {
    let digits = load(&DataConfig {
        validation_fraction: 0.0,
        ..DataConfig::new("digits")
    })
    .unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let mut noise = 0x9e37_79b9_7f4a_7c15u64;
    for (prefix, set, n) in [("train", &digits.train, 400), ("t10k", &digits.test, 200)] {
        let pixels: Vec<u8> = set.x[..n * 64]
            .iter()
            .map(|&v| {
                if poisoned && prefix == "t10k" {
                    noise ^= noise << 13;
                    noise ^= noise >> 7;
                    noise ^= noise << 17;
                    (noise >> 56) as u8
                } else {
                    v as u8 * 15
                }
            })
            .collect();
        let labels: Vec<u8> = set.labels[..n].iter().map(|&l| l as u8).collect();
        let write_idx = |kind: &str, bytes: Vec<u8>| {
            std::fs::write(dir.join(format!("{prefix}-{kind}")), bytes).unwrap();
        };
        write_idx("images-idx3-ubyte", idx_bytes(&[n as u32, 8, 8], &pixels));
        write_idx("labels-idx1-ubyte", idx_bytes(&[n as u32], &labels));
    }
    dir.to_path_buf()
}

/// A MADE trained 300 steps on the folder's 360 training images (40 held out for validation),
/// evaluated every 25 steps.
fn manifest(output: &str, data_dir: &Path) -> String {
    format!(
        "name = \"v\"\noutput = \"{output}\"\nseeds = [0]\n\n\
         [eval]\nsamples = 200\nkid_subsets = 10\nkid_subset_size = 100\n\
         eval_every = 25\neval_examples = 40\n\n\
         [[datasets]]\nname = \"mnist\"\ndata_dir = \"{}\"\n\n\
         [[models]]\nname = \"made\"\nfamily = \"autoregressive\"\nsteps = 300\nbatch_size = 32\n\
         learning_rate = 3e-3\n\
         [models.config]\narch = \"made\"\nhidden = [128, 128]\n",
        data_dir.display()
    )
}

/// Run `m.toml` written from `manifest(output, data_dir)` in `dir`; the run folder.
fn run(dir: &Path, output: &str, data_dir: &Path) -> PathBuf {
    let name = format!("{output}.toml");
    write(dir, &name, &manifest(output, data_dir));
    let out = genbench(&["run", &name], dir);
    assert!(out.status.success(), "{}", stderr(&out));
    dir.join(output).join("runs").join("made--mnist--s0")
}

/// metrics.csv rows with the columns no clock moves.
fn metrics(run: &Path) -> Vec<Vec<(String, String)>> {
    csv_rows(&run.join("metrics.csv"))
        .iter()
        .map(|r| timeless(r))
        .collect()
}

#[test]
fn selection_reads_validation_only_and_a_rerun_writes_the_same_columns() {
    let dir = tempfile::tempdir().unwrap();
    let clean = run(
        dir.path(),
        "clean",
        &digits_idx_folder(&dir.path().join("clean-data"), false),
    );
    let rows = metrics(&clean);
    let (periodic, last) = rows.split_at(rows.len() - 1);
    assert_eq!(periodic.len(), 12, "steps 25, 50, …, 300");
    assert!(periodic.iter().all(|r| get(r, "split") == "validation"));
    assert!(periodic.iter().all(|r| get(r, "nll_n") == "40"));
    assert_eq!(get(&last[0], "split"), "test");

    // The reported step is the one of the lowest validation NLL, and the result says so.
    let nll = |r: &Vec<(String, String)>| get(r, "nll_nats").parse::<f64>().unwrap();
    let best = periodic
        .iter()
        .min_by(|a, b| nll(a).total_cmp(&nll(b)))
        .unwrap();
    let result = result_row(&clean.join("result.json"));
    let selected = get(&result, "selected_step").to_string();
    assert_eq!(selected, get(best, "step"));
    assert_eq!(get(&last[0], "selected_step"), selected);
    assert_eq!(get(&result, "steps"), "300");
    assert_eq!(
        get(&result, "stopped_early"),
        "",
        "no patience, no early stopping"
    );
    eprintln!("selected step {selected} of 300");
    // Without `patience` the settings do not name it: fingerprints made before it stay valid.
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(clean.join("config.json")).unwrap()).unwrap();
    assert!(config["settings"].get("patience").is_none());

    // The test set replaced by noise: every periodic row, the selected step and train.csv stay
    // byte for byte; only the final test row moves.
    let poisoned = run(
        dir.path(),
        "poisoned",
        &digits_idx_folder(&dir.path().join("poisoned-data"), true),
    );
    let poisoned_rows = metrics(&poisoned);
    assert_eq!(&poisoned_rows[..periodic.len()], periodic);
    let poisoned_result = result_row(&poisoned.join("result.json"));
    assert_eq!(get(&poisoned_result, "selected_step"), selected);
    assert_ne!(
        get(&poisoned_result, "nll_nats"),
        get(&result, "nll_nats"),
        "the test row reads the (poisoned) test set"
    );
    let train_log = |run: &Path| {
        csv_rows(&run.join("train.csv"))
            .iter()
            .map(|r| timeless(r))
            .collect::<Vec<_>>()
    };
    assert_eq!(train_log(&poisoned), train_log(&clean));

    // A rerun of the same manifest elsewhere: the same metric columns, byte for byte.
    let again = run(
        dir.path(),
        "again",
        &digits_idx_folder(&dir.path().join("clean-data"), false),
    );
    let rerun_rows = metrics(&again);
    let without_run_names = |rows: &[Vec<(String, String)>]| -> Vec<Vec<(String, String)>> {
        rows.iter()
            .map(|r| {
                r.iter()
                    .filter(|(k, _)| k != "experiment" && k != "run_id")
                    .cloned()
                    .collect()
            })
            .collect()
    };
    assert_eq!(without_run_names(&rerun_rows), without_run_names(&rows));
}

/// Early stopping (`patience = 25`) on a MADE that overfits the 360 training images of
/// `digits_idx_folder`: the run ends at the first periodic evaluation (every 25 steps) that is
/// not a new best validation NLL, before its 600-step budget; result.json says it stopped
/// early, at that step, and reports the best evaluation's step; config.json's settings name the
/// patience (a run without it names none: see the selection test).
#[test]
fn early_stopping_ends_at_the_first_evaluation_without_a_new_best() {
    let dir = tempfile::tempdir().unwrap();
    let data = digits_idx_folder(&dir.path().join("data"), false);
    let text = manifest("patient", &data)
        .replace("steps = 300", "steps = 600")
        .replace(
            "learning_rate = 3e-3\n",
            "learning_rate = 1e-2\npatience = 25\n",
        )
        .replace("hidden = [128, 128]", "hidden = [512]");
    write(dir.path(), "patient.toml", &text);
    let out = genbench(&["run", "patient.toml"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let run = dir.path().join("patient/runs/made--mnist--s0");
    let rows = metrics(&run);
    let periodic = &rows[..rows.len() - 1];
    let nll = |r: &Vec<(String, String)>| get(r, "nll_nats").parse::<f64>().unwrap();
    let step = |r: &Vec<(String, String)>| get(r, "step").parse::<u64>().unwrap();
    let (stop, last) = (periodic.last().unwrap(), &periodic[..periodic.len() - 1]);
    assert!(step(stop) < 600, "stopped before the budget");
    // Every evaluation before the stop was a new best; the stop's was not.
    assert!(
        last.windows(2).all(|w| nll(&w[1]) < nll(&w[0])),
        "{periodic:?}"
    );
    let best = last.last().unwrap();
    assert!(nll(stop) >= nll(best));
    assert_eq!(step(stop), step(best) + 25);
    assert!(stderr(&out).contains(&format!("stopped early at step {}", step(stop))));

    let result = result_row(&run.join("result.json"));
    assert_eq!(get(&result, "stopped_early"), "true");
    assert_eq!(get(&result, "steps"), step(stop).to_string());
    assert_eq!(get(&result, "selected_step"), step(best).to_string());
    eprintln!(
        "stopped at step {} of 600, reporting step {}",
        step(stop),
        step(best)
    );
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["settings"]["patience"], 25);
}

/// export-split writes the validation split beside train and test, and split.json counts it.
#[test]
fn export_split_writes_the_validation_split() {
    let dir = tempfile::tempdir().unwrap();
    let out = genbench(
        &["export-split", "--dataset", "digits", "--out", "split"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let split = dir.path().join("split");
    for file in [
        "train.npy",
        "validation.npy",
        "validation_labels.npy",
        "test.npy",
    ] {
        assert!(split.join(file).is_file(), "{file}");
    }
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(split.join("split.json")).unwrap()).unwrap();
    let examples = |s: &str| info["splits"][s]["examples"].as_u64().unwrap();
    assert_eq!(
        (examples("train"), examples("validation"), examples("test")),
        (1293, 144, 360)
    );
}

/// `anytime = true`: a 100-step MADE on 8gaussians is evaluated on validation at steps 1, 2, 5,
/// 10, 20, 50 and 100, each row with its budget fraction, steps, seconds, NLL and FD (200
/// samples against the 200 validation points of 2,000), and result.json says whether it
/// converged.
#[test]
fn anytime_rows_hold_nll_and_fd_at_each_fraction() {
    let dir = tempfile::tempdir().unwrap();
    let text = common::tiny_2d_manifest(
        "out",
        "[0]",
        "anytime = true\neval_examples = 300",
        &[common::made(100)],
    );
    write(dir.path(), "m.toml", &text);
    let out = genbench(&["run", "m.toml"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let run = dir.path().join("out/runs/made--8gaussians--s0");
    let rows = csv_rows(&run.join("metrics.csv"));
    let anytime: Vec<_> = rows
        .iter()
        .filter(|r| !get(r, "budget_fraction").is_empty())
        .collect();
    let steps: Vec<&str> = anytime.iter().map(|r| get(r, "step")).collect();
    assert_eq!(steps, ["1", "2", "5", "10", "20", "50", "100"]);
    for r in &anytime {
        assert_eq!(get(r, "split"), "validation");
        assert!(get(r, "nll_nats").parse::<f64>().unwrap().is_finite());
        assert!(get(r, "fd").parse::<f64>().unwrap() >= 0.0);
        assert_eq!(get(r, "fd_n"), "200/200", "the 200 validation points");
        assert!(get(r, "train_seconds").parse::<f64>().unwrap() > 0.0);
    }
    let result = result_row(&run.join("result.json"));
    assert!(["true", "false"].contains(&get(&result, "converged")));
}

/// A DDPM with `validation_t_samples = 4`: its periodic validation rows carry the sampled bound
/// `vlb-50-t4`, the test set the full `vlb-50`, each on the `vlb_examples` = 50 it scored; the settings recorded for a run without the knob
/// do not name it (so runs recorded before it existed keep their fingerprint).
#[test]
fn a_ddpm_validates_on_the_sampled_bound_and_tests_on_the_full_one() {
    let dir = tempfile::tempdir().unwrap();
    let ddpm = |name: &str, knob: &str| {
        format!(
            "[[models]]\nname = \"{name}\"\nfamily = \"diffusion\"\nsteps = 200\nbatch_size = 128\n\
             learning_rate = 2e-3\n[models.config]\ntimesteps = 50\nmlp_hidden = 16\nmlp_blocks = 1\n\
             embed = 8\ntime_features = 4\nsampler = \"ddim\"\nsample_steps = 5\nvlb_examples = 50\n{knob}"
        )
    };
    let text = common::tiny_2d_manifest(
        "out",
        "[0]",
        "eval_every = 100\neval_examples = 100",
        &[
            ddpm("sampled", "validation_t_samples = 4\n"),
            ddpm("full", ""),
        ],
    );
    write(dir.path(), "m.toml", &text);
    let out = genbench(&["run", "m.toml", "--no-report"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let run = dir.path().join("out/runs/sampled--8gaussians--s0");
    let rows = csv_rows(&run.join("metrics.csv"));
    let kinds: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter(|r| !get(r, "nll_kind").is_empty())
        .map(|r| (get(r, "split"), get(r, "nll_kind"), get(r, "nll_n")))
        .collect();
    assert_eq!(
        kinds,
        [
            ("validation", "vlb-50-t4", "50"),
            ("validation", "vlb-50-t4", "50"),
            ("test", "vlb-50", "50")
        ]
    );
    assert_eq!(
        get(&result_row(&run.join("result.json")), "nll_kind"),
        "vlb-50"
    );
    let config = |id: &str| {
        std::fs::read_to_string(dir.path().join(format!("out/runs/{id}/config.json"))).unwrap()
    };
    assert!(config("sampled--8gaussians--s0").contains("validation_t_samples"));
    assert!(!config("full--8gaussians--s0").contains("validation_t_samples"));
}

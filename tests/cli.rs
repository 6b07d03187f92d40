//! End-to-end tests of the `genbench` binary: bad input gets one clear error and exit code 2
//! with nothing written; a tiny experiment runs, is skipped on rerun, and is reproducible.
#![allow(missing_docs, clippy::unwrap_used)] // test code: an unwrap is an assertion

use genbench_core::results::{self, schema::col};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn genbench(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_genbench"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("genbench runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const TINY: &str = r#"
name = "tiny"
output = "out"
seeds = [0]

[eval]
samples = 300
kid_subsets = 10
kid_subset_size = 100

[[datasets]]
name = "8gaussians"
train_size = 2000
test_size = 500

[[models]]
name = "gmm"
family = "gmm"
steps = 15
batch_size = "full"
[models.config]
components = 8
restarts = 4
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Run a manifest that must be rejected: exit 2, one `error:` line naming the file and `needle`,
/// and no output folder.
fn rejected(manifest: &str, needle: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.toml", manifest);
    let out = genbench(&["run", "m.toml"], dir.path());
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit code for:\n{manifest}\nstderr: {err}"
    );
    assert!(
        err.starts_with("error: m.toml"),
        "error names the file: {err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "one error line: {err}");
    for n in needle {
        assert!(err.contains(n), "`{n}` missing from: {err}");
    }
    assert!(
        !dir.path().join("out").exists(),
        "nothing may be written on bad input"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn toml_syntax_error_names_the_line() {
    rejected(&TINY.replace("steps = 15", "steps = = 15"), &["m.toml:19"]);
}

#[test]
fn unknown_key_is_named_with_its_line() {
    rejected(
        &TINY.replace("steps = 15", "stepz = 15"),
        &["stepz", "m.toml:19"],
    );
}

#[test]
fn unknown_family_config_key_is_named() {
    rejected(
        &TINY.replace("restarts = 4", "restartz = 4"),
        &["restartz", "gmm"],
    );
}

#[test]
fn unknown_family_lists_the_families() {
    rejected(
        &TINY.replace("family = \"gmm\"", "family = \"gmmm\""),
        &["gmmm", "allowed: template, gmm, texture, autoregressive"],
    );
}

#[test]
fn unknown_dataset_lists_the_datasets() {
    rejected(
        &TINY.replace("name = \"8gaussians\"", "name = \"9gaussians\""),
        &["9gaussians", "digits"],
    );
}

#[test]
fn zero_budget_batch_or_rate_is_refused() {
    rejected(
        &TINY.replace("steps = 15", "steps = 0"),
        &["steps", "positive"],
    );
    rejected(
        &TINY.replace("batch_size = \"full\"", "batch_size = -4"),
        &["batch_size", "positive"],
    );
    rejected(
        &TINY.replace(
            "batch_size = \"full\"",
            "batch_size = \"full\"\nlearning_rate = 0.0",
        ),
        &["learning_rate", "positive"],
    );
    rejected(
        &TINY.replace("steps = 15", "seconds = -1.0"),
        &["seconds", "positive"],
    );
}

/// Early stopping needs a positive patience, periodic evaluations to watch and a validation
/// split to score them on; each lack is refused at the `patience` key.
#[test]
fn patience_without_evaluations_or_validation_is_refused() {
    let patient = TINY.replace("steps = 15\n", "steps = 15\npatience = 5\n");
    rejected(&patient, &["models[0].patience", "eval_every"]);
    let evaluated = patient.replace(
        "kid_subset_size = 100",
        "kid_subset_size = 100\neval_every = 5",
    );
    rejected(
        &evaluated.replace(
            "test_size = 500",
            "test_size = 500\nvalidation_fraction = 0.0",
        ),
        &["patience", "validation split", "8gaussians"],
    );
    rejected(
        &evaluated.replace("patience = 5", "patience = 0"),
        &["patience", "positive"],
    );
}

#[test]
fn missing_data_folder_is_named() {
    let m = TINY.replace(
        "name = \"8gaussians\"\ntrain_size = 2000\ntest_size = 500",
        "name = \"fashion-mnist\"\ndata_dir = \"no/such/folder\"",
    );
    rejected(&m, &["no/such/folder"]);
}

#[test]
fn truncated_idx_file_names_expected_and_found_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fm");
    std::fs::create_dir(&data).unwrap();
    // A header that promises 10 images of 28x28 followed by only 100 bytes.
    let mut images = vec![0u8, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28];
    images.extend(vec![0u8; 100]);
    std::fs::write(data.join("train-images-idx3-ubyte"), &images).unwrap();
    std::fs::write(data.join("t10k-images-idx3-ubyte"), &images).unwrap();
    let labels = [
        0u8, 0, 8, 1, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    std::fs::write(data.join("train-labels-idx1-ubyte"), labels).unwrap();
    std::fs::write(data.join("t10k-labels-idx1-ubyte"), labels).unwrap();
    let m = TINY.replace(
        "name = \"8gaussians\"\ntrain_size = 2000\ntest_size = 500",
        "name = \"fashion-mnist\"\ndata_dir = \"fm\"",
    );
    write(dir.path(), "m.toml", &m);
    let out = genbench(&["run", "m.toml"], dir.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("images-idx3-ubyte") && err.contains("7840") && err.contains("100"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
}

fn summary_rows(path: &Path) -> Vec<Vec<(String, String)>> {
    let mut r = csv::Reader::from_path(path).unwrap();
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

/// Columns that measure time, which no seed can fix.
fn timeless(row: &[(String, String)]) -> Vec<(String, String)> {
    row.iter()
        .filter(|(k, _)| !k.contains("seconds") && k != col::SAMPLES_PER_SECOND)
        .cloned()
        .collect()
}

#[test]
fn tiny_run_writes_results_skips_on_rerun_and_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.toml", TINY);
    let first = genbench(&["run", "m.toml"], dir.path());
    assert!(first.status.success(), "{}", stderr(&first));
    let out = dir.path().join("out");
    let run = out.join("runs/gmm--8gaussians--s0");
    for f in [
        "config.json",
        "train.csv",
        "metrics.csv",
        "result.json",
        "samples.csv",
    ] {
        assert!(run.join(f).exists(), "{f} missing");
    }
    let rows = summary_rows(&out.join(results::SUMMARY_FILE));
    assert_eq!(rows.len(), 1);
    let get = |k: &str| {
        rows[0]
            .iter()
            .find(|(c, _)| c == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(get(col::FAMILY), "gmm");
    assert_eq!(get(col::NLL_KIND), "exact");
    assert_eq!(get(col::STATUS), "ok");
    let nll: f64 = get(col::NLL_NATS).parse().unwrap();
    let entropy: f64 = get(col::ENTROPY_NATS).parse().unwrap();
    assert!(
        nll > entropy - 0.1 && nll < entropy + 0.5,
        "nll {nll} vs entropy {entropy}"
    );
    assert!(
        !get(col::FD_N).is_empty()
            && !get(col::BACKEND).is_empty()
            && !get(col::THREADS).is_empty()
    );
    // The run happened in a temporary folder outside any checkout: the commit recorded is the
    // one the binary was built from.
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success());
    if let Some(head) = head {
        // The build's commit is HEAD, or an earlier commit from which HEAD changed nothing
        // build.rs watches (a README or results commit after the build does not rebuild).
        let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
        let recorded = get(col::COMMIT).trim_end_matches("-dirty").to_string();
        let same_code = Command::new("git")
            .args(["diff", "--quiet", &recorded, "HEAD", "--"])
            .args(["crates", "vendor", "Cargo.toml", "Cargo.lock", "build.rs"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            recorded.starts_with(&head) || same_code,
            "commit {recorded} is not the build's: HEAD is {head} and the code differs"
        );
    }

    let again = genbench(&["run", "m.toml"], dir.path());
    assert!(again.status.success());
    assert!(
        stderr(&again).contains("done already"),
        "{}",
        stderr(&again)
    );

    std::fs::write(
        dir.path().join("m2.toml"),
        TINY.replace("output = \"out\"", "output = \"out2\""),
    )
    .unwrap();
    let second = genbench(&["run", "m2.toml"], dir.path());
    assert!(second.status.success(), "{}", stderr(&second));
    let rows2 = summary_rows(&dir.path().join("out2/summary.csv"));
    assert_eq!(
        timeless(&rows[0]),
        timeless(&rows2[0]),
        "same seed, same numbers"
    );
}

#[test]
fn plan_lists_run_ids_and_shards_partition_them() {
    let dir = tempfile::tempdir().unwrap();
    let m = TINY.replace("seeds = [0]", "seeds = [0, 1, 2]");
    write(dir.path(), "m.toml", &m);
    let all = String::from_utf8(genbench(&["plan", "m.toml"], dir.path()).stdout).unwrap();
    assert_eq!(
        all.lines().collect::<Vec<_>>(),
        [
            "gmm--8gaussians--s0",
            "gmm--8gaussians--s1",
            "gmm--8gaussians--s2"
        ]
    );
    let a = String::from_utf8(genbench(&["plan", "m.toml", "--shard", "1/2"], dir.path()).stdout)
        .unwrap();
    let b = String::from_utf8(genbench(&["plan", "m.toml", "--shard", "2/2"], dir.path()).stdout)
        .unwrap();
    assert_eq!(a.lines().count() + b.lines().count(), 3);
    assert!(a.lines().all(|l| !b.contains(l)));
}

/// `genbench report` reads the manifest.toml the runner leaves in the experiment folder: the
/// headline marks a planned pair without runs `not run`, a pair the manifest does not plan `·`,
/// and the planned section gives the family's own refusal (PixelCNN needs images).
#[test]
fn report_lists_planned_runs_not_run_and_pairs_absent_by_design() {
    let dir = tempfile::tempdir().unwrap();
    let m = TINY
        .replace(
            "[[models]]",
            "[[datasets]]\nname = \"digits\"\n\n[[models]]",
        )
        .replace(
            "family = \"gmm\"",
            "family = \"gmm\"\ndatasets = [\"8gaussians\"]",
        )
        + "\n[[models]]\nname = \"pixelcnn\"\nfamily = \"autoregressive\"\ndatasets = [\"digits\"]\nsteps = 1\nbatch_size = 8\n[models.config]\narch = \"pixelcnn\"\n";
    write(dir.path(), "m.toml", &m);
    let out = genbench(&["run", "m.toml", "--dataset", "8gaussians"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let report = genbench(&["report", "out"], dir.path());
    assert!(report.status.success(), "{}", stderr(&report));
    let md = std::fs::read_to_string(dir.path().join("out/REPORT.md")).unwrap();
    for must in [
        "| model | family | 8gaussians | digits |",
        "| pixelcnn | autoregressive | · | not run |",
        "**Not run yet**: 1 of the 2 runs manifest.toml plans have no results in this folder",
        "- `pixelcnn` on digits: seed 0",
        "- `gmm` (gmm): manifest.toml runs it on 8gaussians only, not on digits.\n",
        "- `pixelcnn` (autoregressive): manifest.toml runs it on digits only, not on 8gaussians. Its family's config check refuses 8gaussians (on 8gaussians: `arch`: \"pixelcnn\" needs an image dataset",
    ] {
        assert!(md.contains(must), "REPORT.md lacks {must:?}");
    }
    let gmm = md
        .lines()
        .find(|l| l.starts_with("| gmm | gmm | "))
        .unwrap();
    assert!(gmm.ends_with(" exact | · |"), "{gmm}");
}

/// `--dataset` selects one dataset's runs before sharding; a dataset no run uses is bad input
/// (exit 2) naming the manifest's datasets.
#[test]
fn plan_dataset_selects_its_runs_and_an_unknown_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = TINY.replace("seeds = [0]", "seeds = [0, 1]").replace(
        "[[models]]",
        "[[datasets]]\nname = \"two-moons\"\ntrain_size = 2000\ntest_size = 500\n\n[[models]]",
    );
    write(dir.path(), "m.toml", &m);
    let out = genbench(&["plan", "m.toml", "--dataset", "two-moons"], dir.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        ids.lines().collect::<Vec<_>>(),
        ["gmm--two-moons--s0", "gmm--two-moons--s1"]
    );
    let half = genbench(
        &["plan", "m.toml", "--dataset", "two-moons", "--shard", "2/2"],
        dir.path(),
    );
    assert_eq!(
        String::from_utf8(half.stdout).unwrap(),
        "gmm--two-moons--s1\n"
    );
    let bad = genbench(&["plan", "m.toml", "--dataset", "mnist"], dir.path());
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--dataset mnist") && err.contains("8gaussians, two-moons"),
        "{err}"
    );
}

/// `genbench args` in `dir`, which must succeed and run the tiny manifest's seed 0; then a
/// number of its result.json by column.
fn run_gmm_s0(dir: &Path, args: &[&str]) -> impl Fn(&str) -> f64 {
    let run = genbench(args, dir);
    assert!(run.status.success(), "{}", stderr(&run));
    let path = dir.join("out/runs/gmm--8gaussians--s0/result.json");
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    move |k: &str| -> f64 { result[k].as_str().unwrap().parse().unwrap() }
}

/// `plan --shards N`: the shards `--shard I/N` runs, each with its runs' estimates and its
/// minutes; a run of the same id found in the output folder (or a `--from` folder) gives a
/// recorded estimate, its training seconds scaled to the planned steps plus the rest of its
/// wall time; a run without one takes another seed's.
#[test]
fn plan_shards_list_estimated_minutes_from_the_model_or_a_recorded_run() {
    let dir = tempfile::tempdir().unwrap();
    let m = TINY.replace("seeds = [0]", "seeds = [0, 1, 2]");
    write(dir.path(), "m.toml", &m);
    let plan = |args: &[&str]| {
        let out = genbench(args, dir.path());
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let text = plan(&["plan", "m.toml", "--shards", "2"]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("shard 1/2: 2 runs, "), "{text}");
    assert_eq!(
        lines[1].split_whitespace().next(),
        Some("gmm--8gaussians--s0")
    );
    assert!(lines[1].ends_with(" model"), "{text}");
    assert_eq!(
        lines[2].split_whitespace().next(),
        Some("gmm--8gaussians--s2")
    );
    assert!(lines[3].starts_with("shard 2/2: 1 run, "), "{text}");
    assert!(lines[5].starts_with("total: 3 runs, "), "{text}");
    // The shards' runs are those `--shard 2/2` runs.
    let shard2 = plan(&["plan", "m.toml", "--shard", "2/2"]);
    assert_eq!(shard2.trim(), "gmm--8gaussians--s1");
    // Minutes: the sum of the runs' seconds over 60.
    let seconds = |line: &str| -> f64 { line.split_whitespace().nth(1).unwrap().parse().unwrap() };
    let minutes = |line: &str| -> f64 {
        let after_runs = line.split(", ").nth(1).unwrap(); // "0.3 min (0 recorded"
        after_runs.split(' ').next().unwrap().parse().unwrap()
    };
    let total = (seconds(lines[1]) + seconds(lines[2])) / 60.0;
    assert!((minutes(lines[0]) - total).abs() <= 0.06, "{text}");

    // Run seed 0 (shard 1/3), then estimate 30 steps where 15 were recorded, reading `out`
    // through --from under another output folder.
    let num = run_gmm_s0(
        dir.path(),
        &["run", "m.toml", "--shard", "1/3", "--no-report"],
    );
    let (train, wall) = (num("train_seconds"), num("wall_seconds"));
    let text = plan(&["plan", "m.toml", "--shards", "1"]);
    let line = text.lines().find(|l| l.contains("--s0")).unwrap();
    assert!(line.ends_with(" recorded"), "{text}");
    assert!((seconds(line) - wall).abs() <= 0.051, "{line} vs {wall}");
    let m2 = m
        .replace("output = \"out\"", "output = \"out2\"")
        .replace("steps = 15", "steps = 30");
    write(dir.path(), "m2.toml", &m2);
    let text = plan(&["plan", "m2.toml", "--shards", "1", "--from", "out"]);
    let line = text.lines().find(|l| l.contains("--s0")).unwrap();
    assert!(line.ends_with(" recorded"), "{text}");
    let expected = train * 30.0 / 15.0 + (wall - train);
    assert!(
        (seconds(line) - expected).abs() <= 0.051,
        "{line} vs {expected}"
    );
    // Seeds 1 and 2 have no record of their own: seed 0's, scaled the same way.
    for id in ["--s1", "--s2"] {
        let line = text.lines().find(|l| l.contains(id)).unwrap();
        assert!(line.ends_with(" seed 0"), "{text}");
        assert!((seconds(line) - expected).abs() <= 0.051, "{line}");
    }
    assert!(
        text.contains("(1 recorded, 2 from another seed, 0 from another dataset, 0 model)"),
        "{text}"
    );
}

/// `plan --shards N`: a run with no record of its own or of another seed takes the record of
/// the same model on another dataset where its footprint is the same (two 2-D densities), its
/// training seconds scaled by the examples seen and its likelihood seconds by the test examples
/// scored; on a dataset of another shape (digits) the model's footprint differs: the cost model.
#[test]
fn plan_estimates_a_run_from_the_same_model_on_a_dataset_of_the_same_shape() {
    let dir = tempfile::tempdir().unwrap();
    let m = TINY.replace(
        "[[models]]",
        "[[datasets]]\nname = \"two-moons\"\ntrain_size = 4000\ntest_size = 1000\n\n\
         [[datasets]]\nname = \"digits\"\n\n[[models]]",
    );
    write(dir.path(), "m.toml", &m);
    let num = run_gmm_s0(
        dir.path(),
        &["run", "m.toml", "--dataset", "8gaussians", "--no-report"],
    );
    let (train, wall, ll) = (num("train_seconds"), num("wall_seconds"), num("ll_seconds"));
    assert_eq!(num("nll_n"), 500.0);
    // A record written before genbench had a key (here the validation split's seed and a GMM
    // knob) is still its run's: the key's default does not change what it ran.
    let config_path = dir.path().join("out/runs/gmm--8gaussians--s0/config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    for (table, key) in [("dataset", "validation_seed"), ("config", "restarts")] {
        assert!(config[table].as_object_mut().unwrap().remove(key).is_some());
    }
    std::fs::write(&config_path, config.to_string()).unwrap();
    let out = genbench(&["plan", "m.toml", "--shards", "1"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = |id: &str| text.lines().find(|l| l.contains(id)).unwrap();
    let seconds = |l: &str| -> f64 { l.split_whitespace().nth(1).unwrap().parse().unwrap() };
    assert!(line("gmm--8gaussians--s0").ends_with(" recorded"), "{text}");
    // Full batches: 3,600 training points (10 % held out) against 1,800; 1,000 test points
    // scored against 500.
    let moons = line("gmm--two-moons--s0");
    assert!(moons.ends_with(" 8gaussians seed 0"), "{text}");
    let expected = train * 3600.0 / 1800.0 + (wall - train) + ll * (1000.0 / 500.0 - 1.0);
    assert!(
        (seconds(moons) - expected).abs() <= 0.051,
        "{moons} vs {expected}"
    );
    assert!(line("gmm--digits--s0").ends_with(" model"), "{text}");
    assert!(
        text.contains("(1 recorded, 0 from another seed, 1 from another dataset, 1 model)"),
        "{text}"
    );

    // Another manifest reading `out` (--from) plans the same run ids on 8,000 training points:
    // the record of its id ran 2,000, so it is not its record but the same model on other data.
    let m2 = m
        .replace("output = \"out\"", "output = \"out2\"")
        .replace("train_size = 2000", "train_size = 8000");
    write(dir.path(), "m2.toml", &m2);
    let out = genbench(
        &["plan", "m2.toml", "--shards", "1", "--from", "out"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = |id: &str| text.lines().find(|l| l.contains(id)).unwrap();
    let gaussians = line("gmm--8gaussians--s0");
    assert!(
        gaussians.ends_with(" 8gaussians train_size=2000 seed 0"),
        "{text}"
    );
    let expected = train * 7200.0 / 1800.0 + (wall - train);
    assert!(
        (seconds(gaussians) - expected).abs() <= 0.051,
        "{gaussians} vs {expected}"
    );
}

#[test]
fn eval_rescores_a_saved_run_to_the_same_numbers() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "m.toml",
        &TINY.replace(
            "kid_subset_size = 100",
            "kid_subset_size = 100\nkeep_checkpoint = true",
        ),
    );
    assert!(genbench(&["run", "m.toml"], dir.path()).status.success());
    let run = dir.path().join("out/runs/gmm--8gaussians--s0");
    let out = genbench(&["eval", run.to_str().unwrap()], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let read = |f: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(run.join(f)).unwrap()).unwrap()
    };
    let (first, again) = (read(results::RESULT_FILE), read("rescore.json"));
    for key in [
        col::NLL_KIND,
        col::NLL_NATS,
        col::FD,
        col::KID,
        col::PRECISION,
        col::RECALL,
        col::DENSITY,
        col::COVERAGE,
        col::MODES_COVERED,
    ] {
        assert_eq!(first[key], again[key], "{key}");
    }
    let missing = genbench(&["eval", "no/such/run"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
}

const CONDITIONAL_DIFFUSION: &str = r#"
name = "cfg"
output = "out"
seeds = [0]

[eval]
samples = 200
likelihood_examples = 50
kid_subsets = 10
kid_subset_size = 100
keep_checkpoint = true

[[datasets]]
name = "8gaussians"
train_size = 2000
test_size = 500

[[models]]
name = "cddpm"
family = "diffusion"
conditional = true
steps = 20
batch_size = 256
[models.config]
timesteps = 40
denoiser = "mlp"
mlp_hidden = 32
mlp_blocks = 1
embed = 32
time_features = 16
sampler = "ddim"
sample_steps = 5
"#;

/// Guidance on the command line: `eval --set ... --variants` scores a guidance sweep the run
/// never had, and `sample --set guidance_scale=0` ignores the requested label (w = 0 is the
/// unconditional model) while w = 1 follows it.
#[test]
fn guidance_scale_is_set_on_the_command_line_after_training() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.toml", CONDITIONAL_DIFFUSION);
    let out = genbench(&["run", "m.toml"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let run = dir.path().join("out/runs/cddpm--8gaussians--s0");
    let run_s = run.to_str().unwrap();

    let out = genbench(
        &[
            "eval",
            run_s,
            "--set",
            "guidance_sweep=[0, 2]",
            "--variants",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read_to_string(run.join("rescore.variants.csv")).unwrap();
    let mut rows = csv.lines().map(|l| l.split(',').collect::<Vec<_>>());
    let header = rows.next().unwrap();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (name, evals) = (col("variant"), col("evals_per_sample"));
    let got: Vec<(String, String)> = rows
        .map(|r| (r[name].to_string(), r[evals].to_string()))
        .collect();
    assert_eq!(
        got,
        [("guidance-0", "5"), ("guidance-2", "10")].map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let rescore = std::fs::read_to_string(run.join("rescore.json")).unwrap();
    assert!(rescore.contains("guidance_sweep=[0, 2]"), "{rescore}");

    let draw = |w: &str, label: &str| -> Vec<String> {
        let file = format!("w{w}-l{label}.csv");
        let set = format!("guidance_scale={w}");
        let args = [
            "sample", run_s, "--set", &set, "--label", label, "-n", "50", "--out", &file,
        ];
        let out = genbench(&args, dir.path());
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::read_to_string(dir.path().join(&file))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.rsplit_once(',').unwrap().0.to_string())
            .collect()
    };
    assert_eq!(draw("0", "1"), draw("0", "5"), "w = 0 ignores the label");
    assert_ne!(draw("1", "1"), draw("1", "5"), "w = 1 follows the label");

    for bad in [
        vec!["sample", run_s, "--set", "no_such_key=1"],
        vec!["sample", run_s, "--set", "mlp_hidden=64"],
        vec!["sample", run_s, "--label", "8"],
        vec!["eval", run_s, "--set", "guidance_scale"],
    ] {
        let out = genbench(&bad, dir.path());
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", stderr(&out));
    }
}

#[test]
#[cfg(target_os = "linux")]
fn a_closed_pipe_ends_the_output_without_a_panic() {
    // The reader (`true`) has exited before genbench starts writing: each println! then meets
    // a closed pipe. Without the default SIGPIPE disposition the first one panicked.
    let bin = env!("CARGO_BIN_EXE_genbench");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments/benchmark.toml");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "(sleep 0.3; exec '{bin}' plan '{}') | true",
            manifest.display()
        ))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.is_empty(), "{err}");
}

/// A seed whose finished sibling ran other settings (the budget changed since) is refused before
/// it starts, naming the sibling and the key (exit 2); `--force` runs it, and the report then
/// refuses to summarise the two seeds together.
#[test]
fn a_seed_whose_sibling_ran_other_settings_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.toml", TINY);
    let run = genbench(&["run", "m.toml", "--no-report"], dir.path());
    assert!(run.status.success(), "{}", stderr(&run));
    let changed = TINY
        .replace("seeds = [0]", "seeds = [0, 1]")
        .replace("steps = 15", "steps = 20");
    write(dir.path(), "m.toml", &changed);
    let args = [
        "run",
        "m.toml",
        "--only",
        "gmm--8gaussians--s1",
        "--no-report",
    ];
    let refused = genbench(&args, dir.path());
    let err = stderr(&refused);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("`gmm--8gaussians--s0`, finished) ran other settings: budget.steps 15 -> 20"),
        "{err}"
    );
    assert!(!dir.path().join("out/runs/gmm--8gaussians--s1").exists());
    let forced = genbench(&[&args[..], &["--force"]].concat(), dir.path());
    assert!(forced.status.success(), "{}", stderr(&forced));
    let report = genbench(&["report", "out"], dir.path());
    let err = stderr(&report);
    assert_eq!(report.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "gmm--8gaussians--s1 ran other settings than gmm--8gaussians--s0: budget.steps 15 -> 20"
        ),
        "{err}"
    );
}

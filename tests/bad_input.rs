//! Every check before the first write, one regression test per case: family settings against
//! the data, `[eval]`, the device, names and output folders, manifest messages with their line and
//! key, resource bounds. Each must exit 2 with exactly one `error:` line naming `m.toml:LINE` and
//! the key, write nothing, and never panic.
#![allow(clippy::unwrap_used)] // test setup: a failed write is a failed test

mod common;

use common::{genbench, line_of, tree};

/// A small valid manifest: a GMM on 8gaussians and a VAE on digits.
const BASE: &str = r#"name = "tiny"
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

[[datasets]]
name = "digits"

[[models]]
name = "gmm"
family = "gmm"
datasets = ["8gaussians"]
steps = 15
batch_size = "full"
[models.config]
components = 8
restarts = 4

[[models]]
name = "vae"
family = "vae"
datasets = ["digits"]
steps = 10
batch_size = 64
[models.config]
hidden = 64
"#;

/// BASE plus one more `[[models]]` table.
fn with_model(model: &str) -> String {
    format!("{BASE}\n[[models]]\n{model}\n")
}

/// `genbench ARGS` on `manifest` must be refused: exit 2, one `error: m.toml:LINE:` line that
/// contains every needle, nothing written.
fn refused_with(args: &[&str], manifest: &str, needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.toml"), manifest).unwrap();
    let mut full = args.to_vec();
    full.push("m.toml");
    let out = genbench(&full, dir.path());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit code; stderr: {err}\n{manifest}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    let line = err
        .strip_prefix("error: m.toml:")
        .and_then(|r| r.split(':').next())
        .unwrap_or("");
    assert!(
        !line.is_empty() && line.chars().all(|c| c.is_ascii_digit()),
        "names m.toml:LINE: {err}"
    );
    for n in needles {
        assert!(err.contains(n), "`{n}` missing from: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        tree(dir.path()),
        ["m.toml"],
        "nothing may be written; {err}"
    );
}

fn refused(manifest: &str, needles: &[&str]) {
    refused_with(&["run"], manifest, needles);
}

#[test]
fn the_base_manifest_passes_every_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.toml"), BASE).unwrap();
    let out = genbench(&["plan", "m.toml"], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---- family settings, checked against the data before anything is written

#[test]
fn family_settings_that_cannot_train_are_named_with_their_line() {
    let cases: &[(&str, &str)] = &[
        (
            "name = \"v\"\nfamily = \"vae\"\ndatasets = [\"digits\"]\nsteps = 1\nbatch_size = 8\n[models.config]\nhidden = 0",
            "config.hidden",
        ),
        (
            "name = \"v\"\nfamily = \"vae\"\ndatasets = [\"digits\"]\nsteps = 1\nbatch_size = 8\n[models.config]\nlatent_dim = 0",
            "config.latent_dim",
        ),
        (
            "name = \"v\"\nfamily = \"vae\"\ndatasets = [\"digits\"]\nsteps = 1\nbatch_size = 8\n[models.config]\niwae_k = 0",
            "config.iwae_k",
        ),
        (
            "name = \"v\"\nfamily = \"vae\"\ndatasets = [\"digits\"]\nsteps = 1\nbatch_size = 8\n[models.config]\nbeta = nan",
            "config.beta",
        ),
        (
            "name = \"g\"\nfamily = \"gmm\"\ndatasets = [\"8gaussians\"]\nsteps = 1\nbatch_size = \"full\"\n[models.config]\ncomponents = 0",
            "config.components",
        ),
        (
            "name = \"d\"\nfamily = \"diffusion\"\ndatasets = [\"8gaussians\"]\nsteps = 1\nbatch_size = 8\n[models.config]\ntimesteps = 0",
            "config.timesteps",
        ),
        (
            "name = \"d\"\nfamily = \"diffusion\"\ndatasets = [\"8gaussians\"]\nsteps = 1\nbatch_size = 8\n[models.config]\nema_decay = 2.0",
            "config.ema_decay",
        ),
        (
            "name = \"d\"\nfamily = \"diffusion\"\ndatasets = [\"8gaussians\"]\nsteps = 1\nbatch_size = 8\n[models.config]\ntimesteps = 50\nsample_steps = 60",
            "config.sample_steps",
        ),
        (
            "name = \"d\"\nfamily = \"diffusion\"\ndatasets = [\"8gaussians\"]\nsteps = 1\nbatch_size = 8\n[models.config]\ndenoiser = \"unet\"",
            "config.denoiser",
        ),
        (
            "name = \"m\"\nfamily = \"autoregressive\"\ndatasets = [\"digits\"]\nsteps = 1\nbatch_size = 8\n[models.config]\nhidden = []",
            "config.hidden",
        ),
        (
            "name = \"m\"\nfamily = \"autoregressive\"\ndatasets = [\"8gaussians\"]\nsteps = 1\nbatch_size = 8\n[models.config]\ncomponents = 0",
            "config.components",
        ),
        (
            "name = \"p\"\nfamily = \"autoregressive\"\ndatasets = [\"8gaussians\"]\nsteps = 1\nbatch_size = 8\n[models.config]\narch = \"pixelcnn\"",
            "config.arch",
        ),
        (
            "name = \"c\"\nfamily = \"gan\"\ndatasets = [\"8gaussians\"]\nsteps = 1\nbatch_size = 8\n[models.config]\narch = \"conv\"",
            "config.arch",
        ),
        (
            "name = \"f\"\nfamily = \"flow\"\ndatasets = [\"digits\"]\nsteps = 1\nbatch_size = 8\n[models.config]\nscales = 4",
            "config.scales",
        ),
    ];
    for (model, key) in cases {
        let m = with_model(model);
        // The key's own line, inside the last [models.config].
        let last_key = key.rsplit('.').next().unwrap();
        let at = m.rfind(&format!("\n{last_key} =")).unwrap() + 1;
        let line = format!("m.toml:{}:", m[..at].matches('\n').count() + 1);
        refused(&m, &[&line, key]);
    }
}

#[test]
fn conditioning_on_an_unlabelled_density_is_refused() {
    let m = BASE
        .replace("name = \"8gaussians\"", "name = \"checkerboard\"")
        .replace(
            "datasets = [\"8gaussians\"]",
            "datasets = [\"checkerboard\"]\nconditional = true",
        );
    refused(
        &m,
        &[
            &line_of(&m, "conditional = true"),
            "conditional",
            "checkerboard",
        ],
    );
}

// ---- [eval]

#[test]
fn eval_settings_that_would_fail_at_scoring_are_refused() {
    for (from, to, key) in [
        ("kid_subsets = 10", "kid_subsets = 0", "eval.kid_subsets"),
        ("samples = 300", "samples = 1", "eval.samples"),
        (
            "kid_subset_size = 100",
            "kid_subset_size = 1",
            "eval.kid_subset_size",
        ),
    ] {
        let m = BASE.replace(from, to);
        refused(&m, &[&line_of(&m, to), key]);
    }
    let m = BASE.replace("test_size = 500", "test_size = 1");
    refused(
        &m,
        &[&line_of(&m, "test_size = 1"), "test_size", "at least 2"],
    );
}

// ---- the device

#[test]
fn a_device_this_build_lacks_is_refused_before_anything_is_written() {
    if cfg!(feature = "cuda") {
        return;
    }
    let m = BASE.replace("seeds = [0]", "seeds = [0]\ndevice = \"cuda\"");
    refused(&m, &[&line_of(&m, "device"), "device", "CUDA"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.toml"), BASE).unwrap();
    let out = genbench(&["run", "--device", "cuda", "m.toml"], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: --device cuda") && err.trim_end().lines().count() == 1,
        "{err}"
    );
    assert_eq!(tree(dir.path()), ["m.toml"]);
}

// ---- names and output folders

#[test]
fn hostile_names_and_outputs_are_refused() {
    for name in ["../../etc", "/tmp/genbench-abs", "", "a/b", ".."] {
        let m = BASE.replace(
            "name = \"tiny\"\noutput = \"out\"",
            &format!("name = \"{name}\""),
        );
        refused(&m, &["m.toml:1:", "name"]);
    }
    let m = BASE.replace("output = \"out\"", "output = \"\"");
    refused(&m, &["m.toml:2:", "output"]);
    assert!(!std::path::Path::new("/tmp/genbench-abs").exists());
}

#[test]
fn an_output_on_a_read_only_file_system_is_bad_input() {
    // /sys is mounted read-only in containers and refuses new folders everywhere.
    let m = BASE.replace("output = \"out\"", "output = \"/sys/genbench-out\"");
    refused(&m, &["m.toml:2:", "output"]);
}

// ---- manifest messages: every error has a line and a key

#[test]
fn missing_top_level_keys_have_a_line_and_a_key() {
    refused(
        &BASE.replace("name = \"tiny\"\n", ""),
        &["m.toml:1:", "name"],
    );
    let no_datasets = BASE
        .replace(
            "[[datasets]]\nname = \"8gaussians\"\ntrain_size = 2000\ntest_size = 500\n",
            "",
        )
        .replace("[[datasets]]\nname = \"digits\"\n", "");
    refused(&no_datasets, &["datasets"]);
    let no_models = &BASE[..BASE.find("[[models]]").unwrap()];
    refused(no_models, &["models"]);
    let m = BASE.replace("seeds = [0]", "seeds = []");
    refused(&m, &[&line_of(&m, "seeds"), "seeds"]);
}

#[test]
fn errors_inside_a_datasets_table_have_its_line() {
    let m = BASE.replace("name = \"digits\"", "name = \"digits\"\nlevels = 18");
    refused(
        &m,
        &[&line_of(&m, "levels = 18"), "datasets[1].levels", "2..=17"],
    );
    let m = BASE.replace(
        "name = \"digits\"",
        "name = \"digits\"\ntest_fraction = 1.5",
    );
    refused(&m, &[&line_of(&m, "test_fraction"), "test_fraction"]);
    let m = BASE.replace("train_size = 2000", "train_size = 2000\nbinarize = true");
    refused(&m, &[&line_of(&m, "binarize"), "binarize"]);
}

#[test]
fn type_errors_name_their_key() {
    let m = BASE.replace("batch_size = 64", "batch_size = \"half\"");
    refused(&m, &[&line_of(&m, "\"half\""), "batch_size"]);
    let m = BASE.replace("samples = 300", "samples = \"many\"");
    refused(&m, &[&line_of(&m, "\"many\""), "eval.samples"]);
    let m = BASE.replace("restarts = 4", "restarts = \"four\"");
    refused(&m, &[&line_of(&m, "\"four\""), "config.restarts"]);
    let m = BASE.replace("hidden = 64", "hidden = [64]");
    refused(&m, &[&line_of(&m, "hidden = [64]"), "config.hidden"]);
}

#[test]
fn a_model_with_no_datasets_says_so() {
    let m = BASE.replace("datasets = [\"digits\"]", "datasets = []");
    refused(
        &m,
        &[
            &line_of(&m, "datasets = []"),
            "datasets",
            "at least one dataset",
        ],
    );
}

#[test]
fn command_line_errors_take_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["run", "--forse", "m.toml"][..],
        &["plan"],
        &["nosuchcommand"],
        &["run", "--shard", "3/2", "m.toml"],
    ] {
        let out = genbench(args, dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{err}");
    }
    let help = genbench(&["run", "--help"], dir.path());
    assert_eq!(help.status.code(), Some(0));
}

// ---- resource bounds, estimated before anything is built

#[test]
fn runs_that_cannot_fit_in_memory_are_refused() {
    let m = BASE.replace("hidden = 64", "hidden = 100000");
    refused(&m, &["config", "needs about", "GiB"]);
    let m = with_model(
        "name = \"m\"\nfamily = \"autoregressive\"\ndatasets = [\"digits\"]\nsteps = 1\nbatch_size = 8\n[models.config]\nhidden = [100000, 100000]",
    );
    refused(&m, &["models[2].config", "needs about"]);
    let m = with_model(
        "name = \"d\"\nfamily = \"diffusion\"\ndatasets = [\"8gaussians\"]\nsteps = 1\nbatch_size = 8\n[models.config]\ntimesteps = 1000000000",
    );
    refused(&m, &["models[2].config", "needs about"]);
    let m = BASE.replace("samples = 300", "samples = 100000000");
    refused(
        &m,
        &[&line_of(&m, "samples = 1"), "eval.samples", "needs about"],
    );
    let m = BASE.replace("train_size = 2000", "train_size = 1000000000000");
    refused(&m, &[&line_of(&m, "train_size"), "train_size"]);
    // --max-memory bounds what the machine would allow.
    refused_with(
        &["run", "--max-memory", "1M"],
        BASE,
        &["--max-memory allows 1.0 MiB"],
    );
}

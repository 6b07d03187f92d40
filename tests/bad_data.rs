//! Bad data folders: an MNIST-format folder broken in every way we could think of. Each must
//! exit 2 with one `error:` line that names the manifest's line and says what is wrong, write
//! nothing, and never panic.
#![allow(clippy::unwrap_used)] // test setup: a failed write is a failed test

mod common;

use common::{fake_idx_folder, genbench, idx_bytes, tree};
use flate2::{Compression, write::GzEncoder};
use std::io::Write;
use std::path::Path;

const MANIFEST: &str = r#"name = "bad-data"
output = "out"

[eval]
samples = 50
kid_subsets = 2
kid_subset_size = 10

[[datasets]]
name = "mnist"
data_dir = "data"

[[models]]
name = "gmm"
family = "gmm"
steps = 1
batch_size = "full"
conditional = COND
[models.config]
components = 2
covariance = "diagonal"
restarts = 1
"#;

/// A folder `data/` broken by `breaking`, and the words the error must contain.
struct Case {
    label: &'static str,
    conditional: bool,
    needles: &'static [&'static str],
    breaking: fn(&Path),
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// `n` bytes that gzip cannot shrink (xorshift), so that half a stream is half the data.
fn noise(n: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 56) as u8
        })
        .collect()
}

fn remove(dir: &Path, file: &str) {
    std::fs::remove_file(dir.join(file)).unwrap();
}

fn images(dir: &Path, prefix: &str, bytes: Vec<u8>) {
    std::fs::write(dir.join(format!("{prefix}-images-idx3-ubyte")), bytes).unwrap();
}

fn labels(dir: &Path, prefix: &str, bytes: Vec<u8>) {
    std::fs::write(dir.join(format!("{prefix}-labels-idx1-ubyte")), bytes).unwrap();
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            label: "zero training images",
            conditional: false,
            needles: &["training set has no examples"],
            breaking: |d| {
                images(d, "train", idx_bytes(&[0, 28, 28], &[]));
                labels(d, "train", idx_bytes(&[0], &[]));
            },
        },
        Case {
            label: "zero test images",
            conditional: false,
            needles: &["test set has no examples"],
            breaking: |d| {
                images(d, "t10k", idx_bytes(&[0, 28, 28], &[]));
                labels(d, "t10k", idx_bytes(&[0], &[]));
            },
        },
        Case {
            label: "one test image",
            conditional: false,
            needles: &["test", "at least 2"],
            breaking: |d| {
                images(d, "t10k", idx_bytes(&[1, 28, 28], &[0; 784]));
                labels(d, "t10k", idx_bytes(&[1], &[3]));
            },
        },
        Case {
            label: "every label the same class",
            conditional: false,
            needles: &["1 class"],
            breaking: |d| {
                labels(d, "train", idx_bytes(&[40], &[0; 40]));
                labels(d, "t10k", idx_bytes(&[20], &[0; 20]));
            },
        },
        Case {
            label: "a one-class test set for a conditional model",
            conditional: true,
            needles: &["test", "class"],
            breaking: |d| {
                labels(d, "t10k", idx_bytes(&[20], &[4; 20]));
            },
        },
        Case {
            label: "no training labels",
            conditional: false,
            needles: &["train-labels-idx1-ubyte"],
            breaking: |d| remove(d, "train-labels-idx1-ubyte"),
        },
        Case {
            label: "no training images",
            conditional: false,
            needles: &["train-images-idx3-ubyte"],
            breaking: |d| remove(d, "train-images-idx3-ubyte"),
        },
        Case {
            label: "no test files",
            conditional: false,
            needles: &["t10k-images-idx3-ubyte"],
            breaking: |d| {
                remove(d, "t10k-images-idx3-ubyte");
                remove(d, "t10k-labels-idx1-ubyte");
            },
        },
        Case {
            label: "an empty folder",
            conditional: false,
            needles: &["train-images-idx3-ubyte"],
            breaking: |d| {
                for f in [
                    "train-images-idx3-ubyte",
                    "train-labels-idx1-ubyte",
                    "t10k-images-idx3-ubyte",
                    "t10k-labels-idx1-ubyte",
                ] {
                    remove(d, f);
                }
            },
        },
        Case {
            label: "data_dir is a file",
            conditional: false,
            needles: &["data"],
            breaking: |d| {
                std::fs::remove_dir_all(d).unwrap();
                std::fs::write(d, b"not a folder").unwrap();
            },
        },
        Case {
            label: "data_dir does not exist",
            conditional: false,
            needles: &["does not exist"],
            breaking: |d| std::fs::remove_dir_all(d).unwrap(),
        },
        Case {
            label: "one label short",
            conditional: false,
            needles: &["one label per image"],
            breaking: |d| {
                labels(d, "train", idx_bytes(&[39], &[1; 39]));
            },
        },
        Case {
            label: "0x0 images",
            conditional: false,
            needles: &["non-empty images"],
            breaking: |d| {
                images(d, "train", idx_bytes(&[40, 0, 0], &[]));
            },
        },
        Case {
            label: "float IDX instead of bytes",
            conditional: false,
            needles: &["magic number"],
            breaking: |d| {
                let mut b = idx_bytes(&[40, 28, 28], &vec![0; 40 * 784]);
                b[2] = 0x0D;
                images(d, "train", b);
            },
        },
        Case {
            label: "truncated images",
            conditional: false,
            needles: &["31360", "100"],
            breaking: |d| {
                images(d, "train", idx_bytes(&[40, 28, 28], &[0; 100]));
            },
        },
        Case {
            label: "an empty images file",
            conditional: false,
            needles: &["header"],
            breaking: |d| images(d, "train", Vec::new()),
        },
        Case {
            label: "a header without data",
            conditional: false,
            needles: &["data size"],
            breaking: |d| {
                images(d, "train", idx_bytes(&[40, 28, 28], &[]));
            },
        },
        Case {
            label: "gzip that inflates past its header",
            conditional: false,
            needles: &["decompressed size"],
            breaking: |d| {
                remove(d, "train-images-idx3-ubyte");
                let bomb = idx_bytes(&[300, 28, 28], &vec![0; 300 * 784 + (32 << 20)]);
                std::fs::write(d.join("train-images-idx3-ubyte.gz"), gz(&bomb)).unwrap();
            },
        },
        Case {
            label: "a corrupt gzip stream",
            conditional: false,
            needles: &["train-images-idx3-ubyte.gz"],
            breaking: |d| {
                remove(d, "train-images-idx3-ubyte");
                let mut bytes = gz(&idx_bytes(&[40, 28, 28], &vec![7; 40 * 784]));
                let n = bytes.len();
                bytes[n / 2..].fill(0xAB);
                std::fs::write(d.join("train-images-idx3-ubyte.gz"), bytes).unwrap();
            },
        },
        Case {
            label: "train 28x28, test 14x14",
            conditional: false,
            needles: &["28x28", "14x14"],
            breaking: |d| {
                images(d, "t10k", idx_bytes(&[20, 14, 14], &vec![0; 20 * 196]));
            },
        },
        Case {
            label: "labels with three dimensions",
            conditional: false,
            needles: &["one label per image"],
            breaking: |d| {
                labels(d, "train", idx_bytes(&[40, 1, 1], &[1; 40]));
            },
        },
        Case {
            label: "images with four dimensions",
            conditional: false,
            needles: &["[n, height, width]"],
            breaking: |d| {
                images(d, "train", idx_bytes(&[40, 1, 28, 28], &vec![0; 40 * 784]));
            },
        },
        Case {
            label: "the images file is a folder",
            conditional: false,
            needles: &["train-images-idx3-ubyte"],
            breaking: |d| {
                remove(d, "train-images-idx3-ubyte");
                std::fs::create_dir(d.join("train-images-idx3-ubyte")).unwrap();
            },
        },
        Case {
            label: "a truncated gzip stream",
            conditional: false,
            needles: &["train-images-idx3-ubyte.gz"],
            breaking: |d| {
                remove(d, "train-images-idx3-ubyte");
                let bytes = gz(&idx_bytes(&[40, 28, 28], &noise(40 * 784)));
                let half = &bytes[..bytes.len() / 2];
                std::fs::write(d.join("train-images-idx3-ubyte.gz"), half).unwrap();
            },
        },
        Case {
            label: "an empty gzip file",
            conditional: false,
            needles: &["train-images-idx3-ubyte.gz", "header"],
            breaking: |d| {
                remove(d, "train-images-idx3-ubyte");
                std::fs::write(d.join("train-images-idx3-ubyte.gz"), b"").unwrap();
            },
        },
        Case {
            label: "labels cut short",
            conditional: false,
            needles: &["train-labels-idx1-ubyte", "data size"],
            breaking: |d| labels(d, "train", idx_bytes(&[40], &[1; 20])),
        },
        Case {
            label: "an empty labels file",
            conditional: false,
            needles: &["train-labels-idx1-ubyte", "header"],
            breaking: |d| labels(d, "train", Vec::new()),
        },
        Case {
            label: "images where the labels belong",
            conditional: false,
            needles: &["train-labels-idx1-ubyte", "one label per image"],
            breaking: |d| labels(d, "train", idx_bytes(&[40, 28, 28], &vec![0; 40 * 784])),
        },
        Case {
            label: "no test labels",
            conditional: false,
            needles: &["t10k-labels-idx1-ubyte"],
            breaking: |d| remove(d, "t10k-labels-idx1-ubyte"),
        },
        Case {
            label: "test labels one short",
            conditional: false,
            needles: &["t10k-labels-idx1-ubyte", "one label per image"],
            breaking: |d| labels(d, "t10k", idx_bytes(&[19], &[1; 19])),
        },
        Case {
            label: "the images file a dangling symlink",
            conditional: false,
            needles: &["train-images-idx3-ubyte"],
            breaking: |d| {
                remove(d, "train-images-idx3-ubyte");
                std::os::unix::fs::symlink(
                    "/nonexistent/images",
                    d.join("train-images-idx3-ubyte"),
                )
                .unwrap();
            },
        },
        Case {
            label: "the images file a symlink to itself",
            conditional: false,
            needles: &["train-images-idx3-ubyte"],
            breaking: |d| {
                remove(d, "train-images-idx3-ubyte");
                std::os::unix::fs::symlink(
                    "train-images-idx3-ubyte",
                    d.join("train-images-idx3-ubyte"),
                )
                .unwrap();
            },
        },
        Case {
            label: "28x0 images",
            conditional: false,
            needles: &["non-empty images"],
            breaking: |d| images(d, "train", idx_bytes(&[40, 28, 0], &[])),
        },
        Case {
            label: "a header with no dimensions",
            conditional: false,
            needles: &["magic number"],
            breaking: |d| images(d, "train", idx_bytes(&[], &[])),
        },
        Case {
            label: "16-bit IDX values",
            conditional: false,
            needles: &["magic number"],
            breaking: |d| {
                let mut b = idx_bytes(&[40, 28, 28], &vec![0; 2 * 40 * 784]);
                b[2] = 0x0B;
                images(d, "train", b);
            },
        },
        Case {
            label: "trailing bytes after the images",
            conditional: false,
            needles: &["data size", "31365"],
            breaking: |d| images(d, "train", idx_bytes(&[40, 28, 28], &vec![0; 40 * 784 + 5])),
        },
        Case {
            label: "a header cut inside its dimensions",
            conditional: false,
            needles: &["header", "16 bytes"],
            breaking: |d| images(d, "train", idx_bytes(&[40, 28, 28], &[])[..9].to_vec()),
        },
        Case {
            label: "a label far outside the others, for a conditional model",
            conditional: true,
            needles: &["conditional", "no example of 190 of its 201 classes"],
            breaking: |d| {
                let mut y: Vec<u8> = (0..40).map(|i| i % 10).collect();
                y[0] = 200;
                labels(d, "train", idx_bytes(&[40], &y));
            },
        },
        Case {
            label: "test classes the training set lacks, for a conditional model",
            conditional: true,
            needles: &[
                "conditional",
                "no example of 7 of its 10 classes",
                "first missing: 3",
            ],
            breaking: |d| {
                let y: Vec<u8> = (0..40).map(|i| i % 3).collect();
                labels(d, "train", idx_bytes(&[40], &y));
            },
        },
        Case {
            label: "a header with an absurd image count",
            conditional: false,
            needles: &["data size"],
            breaking: |d| {
                images(d, "train", idx_bytes(&[u32::MAX, 28, 28], &[0; 784]));
            },
        },
    ]
}

/// Whether this process runs as root (root reads any folder, so permissions cannot be tested).
fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(true)
}

fn check(case: &Case) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let data = fake_idx_folder(&dir.path().join("data"), 40, 20, 10);
    (case.breaking)(&data);
    let cond = if case.conditional { "true" } else { "false" };
    std::fs::write(dir.path().join("m.toml"), MANIFEST.replace("COND", cond)).unwrap();
    let before = tree(dir.path());
    let out = genbench(&["run", "m.toml"], dir.path());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut problems = Vec::new();
    if out.status.code() != Some(2) {
        problems.push(format!("exit {:?}", out.status.code()));
    }
    if !err.starts_with("error: m.toml:") || err.trim_end().lines().count() != 1 {
        problems.push("not one `error: m.toml:LINE:` line".into());
    }
    for n in case.needles {
        if !err.contains(n) {
            problems.push(format!("`{n}` missing"));
        }
    }
    if err.contains("panicked") {
        problems.push("panic".into());
    }
    if tree(dir.path()) != before {
        problems.push("something was written".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}\n  stderr: {}",
            case.label,
            problems.join(", "),
            err.trim_end()
        ))
    }
}

#[test]
fn every_bad_data_folder_is_refused_before_anything_is_written() {
    // The unbroken folder passes (so what each case breaks is what is refused).
    let dir = tempfile::tempdir().unwrap();
    fake_idx_folder(&dir.path().join("data"), 40, 20, 10);
    std::fs::write(dir.path().join("m.toml"), MANIFEST.replace("COND", "true")).unwrap();
    let out = genbench(&["plan", "m.toml"], dir.path());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let cases = cases();
    let failures: Vec<String> = cases.iter().filter_map(|c| check(c).err()).collect();
    eprintln!(
        "bad data folders: {} tried, {} clean (exit 2, one line naming file:line, nothing written)",
        cases.len(),
        cases.len() - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_unreadable_data_folder_says_permission_denied() {
    if is_root() {
        eprintln!("skipped: root reads every folder, so a permission cannot be denied here");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = fake_idx_folder(&dir.path().join("data"), 40, 20, 10);
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::write(dir.path().join("m.toml"), MANIFEST.replace("COND", "false")).unwrap();
    let out = genbench(&["run", "m.toml"], dir.path());
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.to_lowercase().contains("permission denied"), "{err}");
}

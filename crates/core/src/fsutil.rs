//! Atomic file writes: write to a temporary file beside the target, then rename over it, so a
//! reader never sees half a file and an interrupted run leaves no partial results.
//!
//! Temporary names carry the host, the process id and a per-process call count
//! (`.NAME.HOST-PID-N.tmp`), so two processes or two threads —
//! on one machine or on several sharing a file system — never write the same temporary file.
//! A write that fails (a full disk, a closed file system) removes its temporary file before it
//! returns the error.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Write `bytes` to `path` atomically, creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    with_temp_path(path, |tmp| {
        std::fs::write(tmp, bytes).with_context(|| format!("writing {}", tmp.display()))
    })
}

/// Write through a closure that gets a temporary path (for a file or a folder), then rename it
/// to `path`. On any error the temporary is removed.
pub fn with_temp_path(
    path: &Path,
    write: impl FnOnce(&Path) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let tmp = temp_sibling(path, "tmp");
    remove_any(&tmp);
    let result = write(&tmp).and_then(|()| {
        std::fs::rename(&tmp, path)
            .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
    });
    if result.is_err() {
        remove_any(&tmp);
    }
    result
}

/// CSV from a header and rows, written atomically.
pub fn write_csv(path: &Path, header: &[String], rows: &[Vec<String>]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for r in rows {
        w.write_record(r)?;
    }
    write_atomic(path, &w.into_inner().context("flushing csv")?)
}

/// A JSON value written atomically and pretty-printed.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    write_atomic(path, s.as_bytes())
}

/// A JSON file parsed as `T`; errors name the file.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// This machine's name (for temporary names and lock files): the kernel's hostname, else
/// `$HOSTNAME`, else `localhost`.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `.NAME.HOST-PID-N.KIND` beside `path`: a name no other process uses, and no other call in
/// this process either (`N` counts the calls), so two threads that write the same file — tests
/// that train the same cached feature network side by side — never share a temporary.
pub fn temp_sibling(path: &Path, kind: &str) -> PathBuf {
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}.{}-{}-{call}.{kind}",
        host_name(),
        std::process::id()
    ))
}

/// Remove every temporary left under `dir` by a process that died while writing
/// (`.NAME.HOST-PID.tmp` and `.NAME.HOST-PID.old`, in `dir` and its sub-folders). Call it only
/// while no other process writes there (the run lock).
pub fn remove_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && (name.ends_with(".tmp") || name.ends_with(".old")) {
            remove_any(&path);
        } else if path.is_dir() {
            remove_temporaries(&path);
        }
    }
}

/// Remove a file or a folder, ignoring "not there" and any other error (cleanup only).
pub fn remove_any(path: &Path) {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            std::fs::remove_dir_all(path).ok();
        }
        Ok(_) => {
            std::fs::remove_file(path).ok();
        }
        Err(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A write that fails half-way leaves neither the target nor a temporary file behind.
    #[test]
    fn a_failed_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("result.json");
        let err = with_temp_path(&target, |tmp| {
            std::fs::write(tmp, b"")?;
            anyhow::bail!("No space left on device")
        })
        .unwrap_err();
        assert!(err.to_string().contains("No space"), "{err}");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    /// /dev/full fails every write with ENOSPC: the error names the file and nothing stays.
    #[test]
    fn a_full_disk_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("summary.csv");
        let result = with_temp_path(&target, |tmp| {
            std::os::unix::fs::symlink("/dev/full", tmp)?;
            std::fs::write(tmp, b"x").with_context(|| format!("writing {}", tmp.display()))
        });
        assert!(result.is_err());
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn temporaries_of_dead_writers_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let keep = ["result.json", "artifacts/a.csv", ".lock"];
        let gone = [
            ".result.json.h-1.tmp",
            "artifacts/.a.csv.h-2.tmp",
            ".checkpoint.h-3.old/x",
        ];
        for f in keep.iter().chain(&gone) {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x").unwrap();
        }
        remove_temporaries(dir.path());
        for f in keep {
            assert!(dir.path().join(f).exists(), "{f}");
        }
        for f in gone {
            assert!(!dir.path().join(f).exists(), "{f}");
        }
        assert!(!dir.path().join(".checkpoint.h-3.old").exists());
    }

    #[test]
    fn temporary_names_carry_host_and_process() {
        let t = temp_sibling(Path::new("/a/checkpoint"), "tmp");
        let name = t.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".checkpoint."), "{name}");
        assert!(
            name.contains(&format!("-{}-", std::process::id())) && name.ends_with(".tmp"),
            "{name}"
        );
        assert!(name.contains(&host_name()), "{name}");
        let again = temp_sibling(Path::new("/a/checkpoint"), "tmp");
        assert_ne!(t, again, "two calls in one process share a temporary");
    }
}

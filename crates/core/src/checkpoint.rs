//! Checkpoints. A family's files: a module's weights or an optimizer's state as one burnpack
//! file each, with the file named in every error; a family's `save` and `load` say which modules
//! and which JSON state go in its folder. The folder as a whole ([`write_folder`],
//! [`read_folder`]): written under a temporary name, `state.json` last (listing every other
//! file and its size), then swapped in by two renames, so no kill leaves a folder that looks
//! complete and is not; an incomplete one is set aside, never loaded.

use crate::fsutil;
use anyhow::Context;
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Write `module`'s parameters to `path` (its folder is created). Running statistics (batch
/// norm) are synchronised first: burn keeps the last update pending until the next forward
/// pass, and a file without it would resume one update behind.
pub fn save_module<M: Module>(module: &M, path: &Path) -> anyhow::Result<()> {
    create_parent(path)?;
    module
        .valid()
        .save_file(path)
        .map_err(|e| anyhow::anyhow!("saving {}: {e:?}", path.display()))
}

/// `module` with the parameters read from `path` (same architecture, else an error).
pub fn load_module<M: Module>(module: M, path: &Path) -> anyhow::Result<M> {
    module
        .try_load_file(path)
        .map_err(|e| anyhow::anyhow!("loading {}: {e:?}", path.display()))
}

/// Write an optimizer's state (Adam's moments and step counts) to `path`.
pub fn save_optimizer(optim: &ModuleOptimizer, path: &Path) -> anyhow::Result<()> {
    create_parent(path)?;
    optim
        .save(path)
        .map_err(|e| anyhow::anyhow!("saving the optimizer state {}: {e:?}", path.display()))
}

/// `optim` (freshly configured: clipping and hyperparameters come from the config, not the file)
/// with the state read from `path`.
pub fn load_optimizer(optim: ModuleOptimizer, path: &Path) -> anyhow::Result<ModuleOptimizer> {
    optim
        .load(path)
        .map_err(|e| anyhow::anyhow!("loading the optimizer state {}: {e:?}", path.display()))
}

/// The file that completes a checkpoint folder (written last).
pub const STATE_FILE: &str = "state.json";

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    /// Every other file of the folder (relative path, '/'-separated) and its size in bytes.
    files: BTreeMap<String, u64>,
    state: T,
}

/// Write the checkpoint folder `dir`: `save` fills a temporary folder `.NAME.HOST-PID.tmp`,
/// `state.json` (with `state` and the list of files) goes in last, then the old folder is
/// renamed away (`.NAME.HOST-PID.old`), the new one renamed to `dir`, and the old one removed.
/// A kill at any point leaves `dir` complete, or absent with a complete leftover that
/// [`read_folder`] promotes.
pub fn write_folder<T: Serialize>(
    dir: &Path,
    save: impl FnOnce(&Path) -> anyhow::Result<()>,
    state: &T,
) -> anyhow::Result<()> {
    let tmp = fsutil::temp_sibling(dir, "tmp");
    let old = fsutil::temp_sibling(dir, "old");
    fsutil::remove_any(&tmp);
    let result = (|| -> anyhow::Result<()> {
        std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        save(&tmp).context("saving checkpoint")?;
        let files = list_files(&tmp)?;
        fsutil::write_json(&tmp.join(STATE_FILE), &Envelope { files, state })?;
        fsutil::remove_any(&old);
        if dir.exists() {
            std::fs::rename(dir, &old)
                .with_context(|| format!("renaming {} to {}", dir.display(), old.display()))?;
        }
        std::fs::rename(&tmp, dir)
            .with_context(|| format!("renaming {} to {}", tmp.display(), dir.display()))?;
        fsutil::remove_any(&old);
        Ok(())
    })();
    if result.is_err() {
        fsutil::remove_any(&tmp);
    }
    result
}

/// The state of the checkpoint folder `dir`, or `None` when there is no complete one. A folder
/// whose `state.json` is missing or unreadable, or whose files are missing or of another size,
/// is removed with a warning (it cannot be resumed). When `dir` is absent, a complete leftover
/// of an interrupted [`write_folder`] (`.NAME.*.tmp`, then `.NAME.*.old`) takes its place.
/// Other leftovers are removed. Call it only while no other process writes `dir` (the run lock).
pub fn read_folder<T: DeserializeOwned>(dir: &Path) -> anyhow::Result<Option<T>> {
    let mut found = None;
    if dir.exists() {
        match verify::<T>(dir) {
            Ok(state) => found = Some(state),
            Err(why) => {
                eprintln!(
                    "warning: {}: incomplete checkpoint ({why}); removed, training starts over",
                    dir.display()
                );
                fsutil::remove_any(dir);
            }
        }
    }
    for leftover in leftovers(dir) {
        if found.is_none()
            && let Ok(state) = verify::<T>(&leftover)
        {
            std::fs::rename(&leftover, dir)
                .with_context(|| format!("renaming {} to {}", leftover.display(), dir.display()))?;
            found = Some(state);
            continue;
        }
        fsutil::remove_any(&leftover);
    }
    Ok(found)
}

/// The state of `dir` if it is a complete checkpoint, without touching anything.
pub fn peek_folder<T: DeserializeOwned>(dir: &Path) -> Option<T> {
    verify(dir).ok()
}

fn verify<T: DeserializeOwned>(dir: &Path) -> anyhow::Result<T> {
    let envelope: Envelope<T> = fsutil::read_json(&dir.join(STATE_FILE))?;
    for (name, size) in &envelope.files {
        let path = dir.join(name);
        let found = std::fs::metadata(&path).map(|m| m.len()).ok();
        anyhow::ensure!(
            found == Some(*size),
            "{} is {} (state.json says {size} bytes)",
            path.display(),
            found.map_or("missing".to_string(), |n| format!("{n} bytes"))
        );
    }
    Ok(envelope.state)
}

/// `.NAME.*.tmp` then `.NAME.*.old` beside `dir`.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    let (Some(name), Some(parent)) = (name, dir.parent()) else {
        return Vec::new();
    };
    let prefix = format!(".{name}.");
    let mut out: Vec<PathBuf> = std::fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let n = p.file_name().unwrap_or_default().to_string_lossy();
            n.starts_with(&prefix) && (n.ends_with(".tmp") || n.ends_with(".old"))
        })
        .collect();
    out.sort_by_key(|p| (p.to_string_lossy().ends_with(".old"), p.clone()));
    out
}

fn list_files(dir: &Path) -> anyhow::Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let here = dir.join(&rel);
        for entry in
            std::fs::read_dir(&here).with_context(|| format!("listing {}", here.display()))?
        {
            let entry = entry?;
            let rel = rel.join(entry.file_name());
            if entry.file_type()?.is_dir() {
                stack.push(rel);
            } else {
                let key = rel.to_string_lossy().replace('\\', "/");
                out.insert(key, entry.metadata()?.len());
            }
        }
    }
    Ok(out)
}

fn create_parent(path: &Path) -> anyhow::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::{Linear, LinearConfig};
    use burn::prelude::*;

    /// Weights written and read back are bit-identical; a file for another shape is an error
    /// that names the file.
    #[test]
    fn module_round_trips_and_a_wrong_shape_is_an_error() {
        let device = Device::flex();
        device.seed(3);
        let a: Linear = LinearConfig::new(4, 3).init(&device);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new").join("a.bpk");
        save_module(&a, &path).unwrap();
        device.seed(4);
        let fresh: Linear = LinearConfig::new(4, 3).init(&device);
        let weights = |m: &Linear| m.weight.val().into_data().try_to_vec::<f32>().unwrap();
        assert_ne!(weights(&fresh), weights(&a));
        let loaded = load_module(fresh, &path).unwrap();
        assert_eq!(weights(&loaded), weights(&a));

        let other: Linear = LinearConfig::new(5, 3).init(&device);
        let err = load_module(other, &path).unwrap_err().to_string();
        assert!(err.contains("a.bpk"), "{err}");
        let missing = load_module(a, &dir.path().join("none.bpk")).unwrap_err();
        assert!(missing.to_string().contains("none.bpk"));
    }

    fn save_two(dir: &Path) -> anyhow::Result<()> {
        std::fs::write(dir.join("weights.bpk"), [1u8; 100])?;
        std::fs::create_dir(dir.join("sub"))?;
        std::fs::write(dir.join("sub/optim.bpk"), [2u8; 7])?;
        Ok(())
    }

    /// A folder round-trips its state; one whose weights were removed (but whose state.json
    /// survived) is not a checkpoint and is removed, so it cannot block the next run.
    #[test]
    fn an_incomplete_folder_is_set_aside() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("checkpoint");
        write_folder(&dir, save_two, &42u64).unwrap();
        assert_eq!(read_folder::<u64>(&dir).unwrap(), Some(42));
        write_folder(&dir, save_two, &43u64).unwrap();
        assert_eq!(read_folder::<u64>(&dir).unwrap(), Some(43));
        let names: Vec<String> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["checkpoint"], "no temporary folder is left");

        std::fs::remove_file(dir.join("weights.bpk")).unwrap();
        assert_eq!(peek_folder::<u64>(&dir), None);
        assert_eq!(read_folder::<u64>(&dir).unwrap(), None);
        assert!(!dir.exists());
        write_folder(&dir, save_two, &44u64).unwrap();
        std::fs::write(dir.join("sub/optim.bpk"), [2u8; 3]).unwrap();
        assert_eq!(read_folder::<u64>(&dir).unwrap(), None, "a truncated file");
    }

    /// Killed between the two renames: `checkpoint` is gone, the old folder is a complete
    /// leftover and takes its place.
    #[test]
    fn a_leftover_of_an_interrupted_swap_is_promoted() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("checkpoint");
        write_folder(&dir, save_two, &7u64).unwrap();
        std::fs::rename(&dir, root.path().join(".checkpoint.otherhost-1.old")).unwrap();
        std::fs::create_dir(root.path().join(".checkpoint.otherhost-2.tmp")).unwrap();
        assert_eq!(read_folder::<u64>(&dir).unwrap(), Some(7));
        let names: Vec<String> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["checkpoint"]);
    }
}

//! Run locks: a run being trained by a live process is never trained by another.
//!
//! A lock is the file `runs/<id>/.lock`, holding `HOST PID`, with an exclusive advisory lock
//! (`flock(2)`, through `std::fs::File::try_lock`) on it for as long as the holder lives. The
//! kernel drops the advisory lock when the holder exits in any way, kill -9 included, so a lock
//! left by a dead process is taken over by the next one that asks: no PID probing, no timeout.
//! The holder removes the file before it lets go; a process that locked a file which was removed
//! meanwhile sees that the path no longer names its file and tries again, so two processes never
//! hold the same path.
//!
//! Shared file systems: the exclusion holds across machines exactly when the file system
//! carries `flock` locks between clients. Linux NFS does (it maps `flock` onto NFS byte-range
//! locks: NFSv4, or NFSv3 with the lock manager); a client that dies loses its locks when the
//! server's lease runs out (90 s by default on Linux NFSv4). Lustre needs the `flock` mount
//! option, and a file system mounted with `nolock` (or `local_lock=all`) keeps locks local to
//! one machine: there two machines may train the same run at once. Even then nothing is lost or
//! wrong: every file is written under a name unique to host and process and renamed into place,
//! runs are deterministic, and the last complete result wins. A file system that refuses locks
//! altogether (`ENOLCK`) is an error that says so.

use anyhow::Context;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A held run lock; dropping it removes the file and releases the lock.
#[derive(Debug)]
pub struct RunLock {
    file: File,
    path: PathBuf,
    /// `HOST PID` of a holder that died with the lock, if the file named one.
    pub taken_over: Option<String>,
}

/// The outcome of [`try_lock`].
#[derive(Debug)]
pub enum Acquired {
    /// This process now holds the lock.
    Held(RunLock),
    /// Another live process holds it; its `HOST PID` (possibly empty while it writes it).
    Busy(String),
}

/// This process as written into lock files.
pub fn holder() -> String {
    format!("{} {}", crate::fsutil::host_name(), std::process::id())
}

/// Take the lock at `path` if no live process holds it (creating the file and its folder).
pub fn try_lock(path: &Path) -> anyhow::Result<Acquired> {
    acquire(path, false)
}

/// Take the lock at `path`, waiting for its holder to finish.
pub fn lock(path: &Path) -> anyhow::Result<RunLock> {
    match acquire(path, true)? {
        Acquired::Held(lock) => Ok(lock),
        Acquired::Busy(_) => unreachable!("a blocking lock waits"),
    }
}

fn acquire(path: &Path, wait: bool) -> anyhow::Result<Acquired> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    loop {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .with_context(|| format!("opening the lock file {}", path.display()))?;
        let locked = if wait {
            file.lock().map_err(TryLockError::Error)
        } else {
            file.try_lock()
        };
        match locked {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(Acquired::Busy(contents(&mut file))),
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| {
                    format!(
                        "locking {} (does this file system support flock locks?)",
                        path.display()
                    )
                });
            }
        }
        // The holder we waited for may have removed the file: then ours is an orphan.
        let same = std::fs::metadata(path)
            .ok()
            .zip(file.metadata().ok())
            .is_some_and(|(a, b)| a.dev() == b.dev() && a.ino() == b.ino());
        if !same {
            continue;
        }
        let before = contents(&mut file);
        file.set_len(0)?;
        file.rewind()?;
        writeln!(file, "{}", holder())
            .with_context(|| format!("writing the lock file {}", path.display()))?;
        let taken_over = Some(before).filter(|b| !b.is_empty() && *b != holder());
        return Ok(Acquired::Held(RunLock {
            file,
            path: path.to_path_buf(),
            taken_over,
        }));
    }
}

fn contents(file: &mut File) -> String {
    let mut s = String::new();
    file.rewind().ok();
    file.read_to_string(&mut s).ok();
    s.trim().to_string()
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Remove while still holding, so nobody can lock this path's file after we let go.
        std::fs::remove_file(&self.path).ok();
        self.file.unlock().ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_busy_for_another_open_and_free_after_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run/.lock");
        let Acquired::Held(held) = try_lock(&path).unwrap() else {
            panic!("a fresh lock is free")
        };
        assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), holder());
        // flock locks belong to the open file: a second open in this process is refused too.
        match try_lock(&path).unwrap() {
            Acquired::Busy(who) => assert_eq!(who, holder()),
            Acquired::Held(_) => panic!("two holders"),
        }
        drop(held);
        assert!(!path.exists(), "the holder removes the file");
        assert!(matches!(try_lock(&path).unwrap(), Acquired::Held(_)));
    }

    /// A lock file left by a process that died (no flock on it) is taken over and says whose.
    #[test]
    fn a_stale_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".lock");
        std::fs::write(&path, "somehost 4194303\n").unwrap();
        let Acquired::Held(lock) = try_lock(&path).unwrap() else {
            panic!("a stale lock is free")
        };
        assert_eq!(lock.taken_over.as_deref(), Some("somehost 4194303"));
        assert_eq!(std::fs::read_to_string(&path).unwrap().trim(), holder());
    }

    /// A waiter gets the lock once the holder lets go, on the path's current file.
    #[test]
    fn a_waiter_gets_the_lock_after_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".lock");
        let Acquired::Held(held) = try_lock(&path).unwrap() else {
            panic!()
        };
        let p = path.clone();
        let waiter = std::thread::spawn(move || {
            let lock = lock(&p).unwrap();
            std::fs::read_to_string(&p).unwrap();
            drop(lock);
        });
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!waiter.is_finished(), "the waiter waits");
        drop(held);
        waiter.join().unwrap();
        assert!(!path.exists());
    }
}

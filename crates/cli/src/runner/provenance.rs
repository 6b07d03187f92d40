//! Where a run's numbers come from: the code's commit, the backend and its threads.

use genbench_core::DeviceChoice;
use genbench_core::results::Provenance;

/// Where numbers computed on `device` come from: the code's commit, the backend and its threads.
pub fn provenance(device: &DeviceChoice) -> Provenance {
    Provenance {
        backend: device.to_string(),
        threads: genbench_core::device::cpu_threads(),
        commit: git_commit(),
    }
}

/// `git describe`-like id of the checkout: the commit, with `-dirty` when tracked source files
/// (outside results/) differ from it; `unknown` outside a git checkout.
fn git_commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    let Some(head) = git(&["rev-parse", "--short=12", "HEAD"]) else {
        return "unknown".into();
    };
    let mut commit = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let clean = std::process::Command::new("git")
        .args(["diff", "--quiet", "HEAD", "--", ".", ":(exclude)results"])
        .status()
        .map(|s| s.success())
        .unwrap_or(true);
    if !clean {
        commit.push_str("-dirty");
    }
    commit
}

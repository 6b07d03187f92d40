//! Records the commit the genbench binary is built from, as `GENBENCH_BUILD_COMMIT`, so that a
//! result names the code that computed it wherever the binary runs (not the checkout it happens
//! to run in): the short hash, `-dirty` when the sources that go into the binary (crates/,
//! vendor/, Cargo.toml, Cargo.lock, build.rs) differed from it, `unknown` outside git; and the
//! code itself, as `GENBENCH_BUILD_CODE`: a hash of those sources' git trees, the same for every
//! commit that changed only other files (a README, results), `-dirty` appended as above. A
//! checkpoint keeps the code that wrote it, and a resume by other code is refused.

use std::path::Path;
use std::process::Command;

/// The sources the binary is compiled from; a change in any of them makes a build dirty.
const SOURCES: [&str; 5] = ["crates", "vendor", "Cargo.toml", "Cargo.lock", "build.rs"];

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn rerun_if_changed(path: &str) {
    if Path::new(path).exists() {
        println!("cargo:rerun-if-changed={path}");
    }
}

fn main() {
    for source in SOURCES {
        rerun_if_changed(source);
    }
    // HEAD moves on a commit or checkout: its file, the branch's ref file and packed-refs.
    let mut git_files = vec!["HEAD".to_string(), "packed-refs".to_string()];
    git_files.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for file in git_files {
        if let Some(path) = git(&["rev-parse", "--git-path", &file]) {
            rerun_if_changed(&path);
        }
    }
    let commit = match git(&["rev-parse", "--short=12", "HEAD"]) {
        None => "unknown".to_string(),
        Some(head) => {
            let mut diff = vec!["diff", "--quiet", "HEAD", "--"];
            diff.extend(SOURCES.iter().filter(|s| Path::new(s).exists()));
            let clean = Command::new("git")
                .args(&diff)
                .status()
                .is_ok_and(|s| s.success());
            if clean { head } else { format!("{head}-dirty") }
        }
    };
    println!("cargo:rustc-env=GENBENCH_BUILD_COMMIT={commit}");
    println!("cargo:rustc-env=GENBENCH_BUILD_CODE={}", code(&commit));
}

/// A short hash of the source trees at HEAD (`git hash-object` of their object ids), with the
/// commit's `-dirty`; `unknown` outside git.
fn code(commit: &str) -> String {
    let objects: Vec<String> = SOURCES
        .iter()
        .filter(|s| Path::new(s).exists())
        .filter_map(|s| git(&["rev-parse", &format!("HEAD:{s}")]))
        .collect();
    if objects.is_empty() {
        return "unknown".to_string();
    }
    let listing = std::env::temp_dir().join(format!("genbench-code-{}", std::process::id()));
    let hash = std::fs::write(&listing, objects.join("\n"))
        .ok()
        .and_then(|_| git(&["hash-object", &listing.to_string_lossy()]));
    std::fs::remove_file(&listing).ok();
    match hash {
        Some(h) => {
            let dirty = if commit.ends_with("-dirty") {
                "-dirty"
            } else {
                ""
            };
            format!("{}{dirty}", &h[..12.min(h.len())])
        }
        None => "unknown".to_string(),
    }
}

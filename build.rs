//! Records the commit the genbench binary is built from, as `GENBENCH_BUILD_COMMIT`, so that a
//! result names the code that computed it wherever the binary runs (not the checkout it happens
//! to run in): the short hash, `-dirty` when the sources that go into the binary (crates/,
//! vendor/, Cargo.toml, Cargo.lock, build.rs) differed from it, `unknown` outside git.

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
}

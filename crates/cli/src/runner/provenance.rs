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

/// The commit this binary was built from (build.rs): the short hash, `-dirty` when the sources
/// compiled into it differed from that commit, `unknown` when it was built outside git. It is the
/// binary's, not the working directory's: numbers are the code's that computed them.
fn git_commit() -> String {
    env!("GENBENCH_BUILD_COMMIT").to_string()
}

/// The code this binary was built from (build.rs): a hash of the source trees, shared by every
/// commit that changed only other files; `-dirty` as for the commit. Checkpoints keep it.
pub fn build_code() -> String {
    env!("GENBENCH_BUILD_CODE").to_string()
}

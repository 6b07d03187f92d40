//! The binary's two process-wide settings, made once at the start of `main`: how the allocator
//! treats freed memory, and what a closed stdout does.
//!
//! A training step or a bound allocates and frees the same large buffers (activations,
//! gradients, IWAE's `[rows × k, D]` tensors) thousands of times. With glibc's defaults a free
//! at the top of the heap above 128 KiB gives the pages back to the kernel (trim), and the next
//! allocation of the same size faults them in again, zeroed: on this project's 2-core machine
//! page faults, page clearing and the TLB shootdowns of returning pages took 30–50 % of the CPU
//! samples of `vae-digits-iwae1000` and `made-digits-likelihood` (`perf record` on
//! `genbench bench`). Buffers above glibc's mmap threshold (at most 32 MiB) are worse: each gets
//! its own `mmap` and goes back to the kernel on free, whatever the trim setting, so MADE's
//! `[64, 784, 256]` logits at 28×28 (51 MB) were mapped, faulted in page by page and unmapped
//! every step (2.19 M page faults in `genbench bench experiments/bench.toml --only made-28x28`,
//! 8.3 s of system time against 4.3 s of user time; 0.12 M and 0.9 s without the per-buffer
//! mmap). Keeping freed memory in the heap removes both; numbers are unchanged (where a buffer
//! lives does not change what is computed in it). The price is that the process's resident
//! memory stays at its peak until it exits, which a run that reaches its peak in every
//! evaluation pays anyway.

/// Keep freed memory in glibc's heap instead of returning it to the kernel: never trim the
/// heap's top, pad each heap growth by 256 MiB, and give no allocation its own `mmap` (the main
/// thread's large buffers come from the heap, to be reused after their free; rayon's threads
/// allocate in their own arenas, which glibc still maps as it needs). Returns whether glibc
/// accepted all three; on other platforms it does nothing and returns `false`.
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const TOP_PAD: libc::c_int = 256 << 20;
        // SAFETY: mallopt only sets glibc's malloc parameters; it is called before any thread
        // of ours exists, and each value is in the range glibc documents for its parameter.
        unsafe {
            libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX) == 1
                && libc::mallopt(libc::M_TOP_PAD, TOP_PAD) == 1
                && libc::mallopt(libc::M_MMAP_MAX, 0) == 1
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// End the process quietly, as Unix tools do, when the reader of its output goes away
/// (`genbench plan M | head`): Rust ignores SIGPIPE, which turns the closed pipe into a panic of
/// the next `println!`. Restoring the default lets the kernel end the process instead.
pub fn die_quietly_on_closed_stdout() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: sets the default disposition of one signal, before any thread of ours exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_accepts_every_setting() {
        assert!(super::keep_freed_memory());
    }
}

//! Backend selection at run time. Model code never names a backend: it receives a `Device`.

use burn::prelude::Device;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Which burn backend a run uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceChoice {
    /// burn-flex, the pure-Rust CPU backend (SIMD + rayon). The default.
    #[default]
    Flex,
    /// burn-ndarray (deprecated upstream; kept selectable for comparison).
    Ndarray,
    /// CUDA GPU 0; only with the `cuda` cargo feature.
    Cuda,
}

impl DeviceChoice {
    pub const ALL: [DeviceChoice; 3] = [
        DeviceChoice::Flex,
        DeviceChoice::Ndarray,
        DeviceChoice::Cuda,
    ];

    /// The plain (inference) device; training code calls `.autodiff()` on it.
    pub fn device(self) -> anyhow::Result<Device> {
        match self {
            DeviceChoice::Flex => Ok(Device::flex()),
            #[allow(deprecated)]
            DeviceChoice::Ndarray => Ok(Device::ndarray()),
            DeviceChoice::Cuda => cuda_device(),
        }
    }
}

#[cfg(feature = "cuda")]
fn cuda_device() -> anyhow::Result<Device> {
    Ok(Device::cuda(0))
}

#[cfg(not(feature = "cuda"))]
fn cuda_device() -> anyhow::Result<Device> {
    anyhow::bail!(
        "this genbench was built without CUDA: rebuild with `cargo build --release --features cuda`"
    )
}

impl fmt::Display for DeviceChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceChoice::Flex => "flex",
            DeviceChoice::Ndarray => "ndarray",
            DeviceChoice::Cuda => "cuda",
        })
    }
}

impl FromStr for DeviceChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "flex" => Ok(DeviceChoice::Flex),
            "ndarray" => Ok(DeviceChoice::Ndarray),
            "cuda" => Ok(DeviceChoice::Cuda),
            _ => Err(format!(
                "unknown device `{s}`; expected one of: flex, ndarray, cuda"
            )),
        }
    }
}

/// Worker threads the CPU backends use (rayon's pool; set with RAYON_NUM_THREADS).
pub fn cpu_threads() -> usize {
    rayon::current_num_threads()
}

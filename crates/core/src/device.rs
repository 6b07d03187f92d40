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
    /// burn's wgpu backend: the default GPU through Vulkan, Metal or DX12 (Mesa's lavapipe, a
    /// software Vulkan driver, in CI); only with the `wgpu` cargo feature.
    Wgpu,
    /// CUDA GPU 0; only with the `cuda` cargo feature.
    Cuda,
}

impl DeviceChoice {
    /// Every device choice.
    pub const ALL: [DeviceChoice; 4] = [
        DeviceChoice::Flex,
        DeviceChoice::Ndarray,
        DeviceChoice::Wgpu,
        DeviceChoice::Cuda,
    ];

    /// The plain (inference) device; training code calls `.autodiff()` on it.
    pub fn device(self) -> anyhow::Result<Device> {
        match self {
            DeviceChoice::Flex => Ok(Device::flex()),
            #[allow(deprecated)]
            DeviceChoice::Ndarray => Ok(Device::ndarray()),
            DeviceChoice::Wgpu => wgpu_device(),
            DeviceChoice::Cuda => cuda_device(),
        }
    }
}

/// The default wgpu adapter, acquired once per process: burn registers one runtime per adapter,
/// so later calls reuse it. No adapter (no GPU, no Vulkan driver) is an error that says so
/// instead of a panic at the first tensor.
#[cfg(feature = "wgpu")]
fn wgpu_device() -> anyhow::Result<Device> {
    static DEVICE: std::sync::OnceLock<Result<Device, String>> = std::sync::OnceLock::new();
    DEVICE
        .get_or_init(|| Device::wgpu_options().init().map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| {
            anyhow::anyhow!(
                "--device wgpu: no usable GPU adapter ({e}); on Debian/Ubuntu \
                 `apt-get install mesa-vulkan-drivers` gives a software Vulkan device"
            )
        })
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_device() -> anyhow::Result<Device> {
    anyhow::bail!(
        "this genbench was built without wgpu: rebuild with `cargo build --release --features wgpu`"
    )
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
            DeviceChoice::Wgpu => "wgpu",
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
            "wgpu" => Ok(DeviceChoice::Wgpu),
            "cuda" => Ok(DeviceChoice::Cuda),
            _ => Err(format!(
                "unknown device `{s}`; expected one of: flex, ndarray, wgpu, cuda"
            )),
        }
    }
}

/// Worker threads the CPU backends use (rayon's pool; set with RAYON_NUM_THREADS).
pub fn cpu_threads() -> usize {
    rayon::current_num_threads()
}

//! The one place that maps `--backend` / `--device` flags to a burn [`Device`].
//!
//! burn 0.22 picks the backend at run time; Cargo features (`flex`, `tch`, `wgpu`) decide which
//! are compiled in. `Device::default()` would silently pick wgpu, so every stage goes through
//! [`DeviceArgs::device`] instead.

use std::fmt;

use burn::tensor::Device;

mod host_f32;
pub use host_f32::with_host_f32;

/// A compute backend, as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Backend {
    /// burn's pure-Rust CPU backend.
    Flex,
    /// libtorch, on CPU or CUDA.
    Tch,
    /// Any GPU through wgpu (here: Mesa's lavapipe on the CPU).
    Wgpu,
}

impl Backend {
    /// Every backend compiled into this build, fastest first.
    pub fn compiled() -> Vec<Backend> {
        let mut out = Vec::new();
        if cfg!(feature = "tch") {
            out.push(Backend::Tch);
        }
        if cfg!(feature = "flex") {
            out.push(Backend::Flex);
        }
        if cfg!(feature = "wgpu") {
            out.push(Backend::Wgpu);
        }
        out
    }

    /// The default: the fastest backend that works out of the box (tch, else flex).
    pub fn default_compiled() -> Backend {
        Self::compiled().first().copied().unwrap_or(Backend::Flex)
    }

    /// The flag spelling.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Tch => "tch",
            Backend::Wgpu => "wgpu",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a backend/device pair cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error(
        "backend `{backend}` is not compiled into this build (compiled in: {compiled}); rebuild with `--features {backend}`"
    )]
    NotCompiled { backend: Backend, compiled: String },
    #[error("backend `{backend}` has no device `{device}`; expected one of: {expected}")]
    BadDevice {
        backend: Backend,
        device: String,
        expected: &'static str,
    },
    #[error(
        "tch: `{device}` asked for CUDA device {index}, but libtorch sees {count} CUDA device(s){hint}"
    )]
    NoCuda {
        device: String,
        index: usize,
        count: usize,
        hint: &'static str,
    },
}

/// The `--backend` / `--device` flags every computing stage takes.
#[derive(Clone, Debug, clap::Args)]
pub struct DeviceArgs {
    /// Compute backend [default: tch where compiled in, else flex].
    #[arg(long, value_enum)]
    pub backend: Option<Backend>,
    /// Device: `auto`, `cpu`, `cuda`, `cuda:N` (tch); `auto`, `cpu`, `gpu:N`, `integrated:N`,
    /// `virtual:N` (wgpu). `auto` takes CUDA when tch sees one.
    #[arg(long, default_value = "auto")]
    pub device: String,
}

impl Default for DeviceArgs {
    fn default() -> Self {
        Self {
            backend: None,
            device: "auto".into(),
        }
    }
}

/// A resolved device and how to describe it in run metadata.
#[derive(Clone, Debug)]
pub struct Selected {
    pub backend: Backend,
    /// The device, normalized (`cpu`, `cuda:0`, `gpu:0`, ...).
    pub device_name: String,
    pub device: Device,
}

impl DeviceArgs {
    /// Flags for a given backend and device string.
    pub fn new(backend: Backend, device: &str) -> Self {
        Self {
            backend: Some(backend),
            device: device.into(),
        }
    }

    /// Resolves the flags to a device (without autodiff; add `.autodiff()` to train).
    pub fn select(&self) -> Result<Selected, DeviceError> {
        let backend = self.backend.unwrap_or_else(Backend::default_compiled);
        if !Backend::compiled().contains(&backend) {
            let compiled: Vec<_> = Backend::compiled().iter().map(|b| b.name()).collect();
            return Err(DeviceError::NotCompiled {
                backend,
                compiled: compiled.join(", "),
            });
        }
        let spec = self.device.trim().to_ascii_lowercase();
        let (device_name, device) = match backend {
            Backend::Flex => flex(&spec)?,
            Backend::Tch => tch_device(&spec)?,
            Backend::Wgpu => wgpu(&spec)?,
        };
        if spec == "auto" {
            // A silent CPU fallback would look like a slow GPU: say what `auto` chose.
            let why = match (backend, device_name.as_str()) {
                (Backend::Tch, "cpu") => " (libtorch sees no CUDA device)",
                _ => "",
            };
            eprintln!("--device auto: {backend} {device_name}{why}");
        }
        Ok(Selected {
            backend,
            device_name,
            device,
        })
    }
}

fn bad(backend: Backend, device: &str, expected: &'static str) -> DeviceError {
    DeviceError::BadDevice {
        backend,
        device: device.into(),
        expected,
    }
}

#[cfg(feature = "flex")]
fn flex(spec: &str) -> Result<(String, Device), DeviceError> {
    match spec {
        "auto" | "cpu" => Ok(("cpu".into(), Device::flex())),
        other => Err(bad(Backend::Flex, other, "`cpu` (flex is CPU-only)")),
    }
}
#[cfg(not(feature = "flex"))]
fn flex(_: &str) -> Result<(String, Device), DeviceError> {
    unreachable!("checked by Backend::compiled")
}

/// Number of CUDA devices libtorch can use (0 on a CPU-only libtorch).
#[cfg(feature = "tch")]
pub fn cuda_device_count() -> usize {
    tch::Cuda::device_count().max(0) as usize
}
#[cfg(not(feature = "tch"))]
pub fn cuda_device_count() -> usize {
    0
}

#[cfg(feature = "tch")]
#[allow(deprecated)] // burn-tch is deprecated upstream; it is still the fastest CPU backend here.
fn tch_device(spec: &str) -> Result<(String, Device), DeviceError> {
    const EXPECTED: &str = "`auto`, `cpu`, `cuda`, `cuda:N`";
    let cuda_index = |index: usize| -> Result<(String, Device), DeviceError> {
        let count = cuda_device_count();
        if index >= count {
            let hint = if count == 0 {
                " (a CPU-only libtorch, or no NVIDIA driver; on a CUDA machine build with LIBTORCH_USE_PYTORCH=1 and a CUDA torch==2.9.0)"
            } else {
                ""
            };
            return Err(DeviceError::NoCuda {
                device: spec.into(),
                index,
                count,
                hint,
            });
        }
        Ok((format!("cuda:{index}"), Device::libtorch_cuda(index)))
    };
    match spec {
        "cpu" => Ok(("cpu".into(), Device::libtorch())),
        "auto" if cuda_device_count() > 0 => cuda_index(0),
        "auto" => Ok(("cpu".into(), Device::libtorch())),
        "cuda" => cuda_index(0),
        other => match other.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(index)) => cuda_index(index),
            _ => Err(bad(Backend::Tch, other, EXPECTED)),
        },
    }
}
#[cfg(not(feature = "tch"))]
fn tch_device(_: &str) -> Result<(String, Device), DeviceError> {
    unreachable!("checked by Backend::compiled")
}

#[cfg(feature = "wgpu")]
fn wgpu(spec: &str) -> Result<(String, Device), DeviceError> {
    use burn::tensor::DeviceKind;
    const EXPECTED: &str = "`auto`, `cpu`, `gpu:N`, `integrated:N`, `virtual:N`";
    let indexed = |prefix: &str| {
        spec.strip_prefix(prefix)
            .and_then(|n| n.parse::<usize>().ok())
    };
    let kind = match spec {
        "auto" => DeviceKind::DefaultDevice,
        "cpu" => DeviceKind::Cpu,
        _ => {
            if let Some(i) = indexed("gpu:") {
                DeviceKind::DiscreteGpu(i)
            } else if let Some(i) = indexed("integrated:") {
                DeviceKind::IntegratedGpu(i)
            } else if let Some(i) = indexed("virtual:") {
                DeviceKind::VirtualGpu(i)
            } else {
                return Err(bad(Backend::Wgpu, spec, EXPECTED));
            }
        }
    };
    Ok((spec.into(), Device::wgpu(kind)))
}
#[cfg(not(feature = "wgpu"))]
fn wgpu(_: &str) -> Result<(String, Device), DeviceError> {
    unreachable!("checked by Backend::compiled")
}

/// The CPU thread budget: `OMP_NUM_THREADS` when set to a positive number, else the cores this
/// process may use.
pub fn cpu_threads() -> usize {
    std::env::var("OMP_NUM_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Sets how many threads libtorch uses inside one op, for the calling thread (OpenMP and MKL keep
/// this per thread). Other backends schedule their own threads: a no-op for them.
pub fn set_op_threads(backend: Backend, threads: usize) {
    #[cfg(feature = "tch")]
    if backend == Backend::Tch {
        tch::set_num_threads(threads.clamp(1, i32::MAX as usize) as i32);
    }
    let _ = (backend, threads);
}

/// Seeds the device's random generator (dropout, init) for reproducible runs.
pub fn seed(device: &Device, seed: u64) {
    device.seed(seed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_backend_is_tch_when_compiled() {
        let selected = DeviceArgs::default().select().unwrap();
        assert_eq!(
            selected.backend,
            if cfg!(feature = "tch") {
                Backend::Tch
            } else {
                Backend::Flex
            }
        );
    }

    #[test]
    fn flex_refuses_a_gpu() {
        let err = DeviceArgs::new(Backend::Flex, "cuda:0")
            .select()
            .unwrap_err();
        assert!(err.to_string().contains("flex is CPU-only"), "{err}");
    }

    #[test]
    fn tch_refuses_garbage_and_missing_cuda() {
        let err = DeviceArgs::new(Backend::Tch, "tpu").select().unwrap_err();
        assert!(matches!(err, DeviceError::BadDevice { .. }), "{err}");
        let count = cuda_device_count();
        let err = DeviceArgs::new(Backend::Tch, &format!("cuda:{count}"))
            .select()
            .unwrap_err();
        assert!(
            matches!(err, DeviceError::NoCuda { index, .. } if index == count),
            "{err}"
        );
    }

    #[test]
    fn wgpu_parses_kinds() {
        assert_eq!(
            DeviceArgs::new(Backend::Wgpu, "gpu:1")
                .select()
                .unwrap()
                .device_name,
            "gpu:1"
        );
        assert!(DeviceArgs::new(Backend::Wgpu, "gpu:x").select().is_err());
    }
}

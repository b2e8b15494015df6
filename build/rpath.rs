//! Shared build script: gives binaries and test executables an rpath to libtorch's `lib/`,
//! so they run without LD_LIBRARY_PATH. Mirrors how torch-sys finds libtorch.
use std::path::PathBuf;
use std::process::Command;

fn libtorch_lib() -> Option<PathBuf> {
    if std::env::var_os("LIBTORCH_USE_PYTORCH").is_some() {
        let python = std::env::var("PYTHON_SYS_EXECUTABLE").unwrap_or_else(|_| "python3".into());
        let out = Command::new(python)
            .args([
                "-c",
                "import torch, os; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))",
            ])
            .output()
            .ok()?;
        return Some(PathBuf::from(String::from_utf8(out.stdout).ok()?.trim()));
    }
    if let Some(lib) = std::env::var_os("LIBTORCH_LIB") {
        return Some(PathBuf::from(lib).join("lib"));
    }
    std::env::var_os("LIBTORCH").map(|p| PathBuf::from(p).join("lib"))
}

fn main() {
    for var in ["LIBTORCH", "LIBTORCH_LIB", "LIBTORCH_USE_PYTORCH"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    match libtorch_lib() {
        Some(lib) if lib.join("libtorch_cpu.so").exists() => {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
            if lib.join("libtorch_cuda.so").exists() {
                // tch calls no symbol of libtorch_cuda, so the linker's --as-needed drops it and
                // CUDA is never initialised: `cuda:0` fails, `auto` falls back to CPU (tch-rs #980).
                println!(
                    "cargo:rustc-link-arg=-Wl,-L{},--no-as-needed,-ltorch_cuda,--as-needed",
                    lib.display()
                );
            }
        }
        Some(lib) => panic!(
            "fewdims: libtorch is missing: {} has no libtorch_cpu.so. Run `make libtorch` \
             (builds a CPU libtorch 2.9.0 under ~/.cache/fewdims) and set LIBTORCH to it.",
            lib.display()
        ),
        None => println!(
            "cargo:warning=LIBTORCH is not set: the tch backend will not find libtorch at run time. \
             Use `make`, or `export LIBTORCH=$HOME/.cache/fewdims/libtorch-2.9.0-cpu`."
        ),
    }
}

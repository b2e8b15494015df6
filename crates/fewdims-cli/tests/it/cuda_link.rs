//! scripts/check_cuda_link.sh, on stub libraries and programs gcc builds here: a binary that links
//! libtorch_cpu but not libtorch_cuda fails the check when the libtorch has CUDA, and passes it
//! when the libtorch is CPU-only.

use std::path::Path;
use std::process::Command;

fn sh(cmd: &str, dir: &Path) {
    let out = Command::new("bash")
        .args(["-c", cmd])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn check(lib: &Path, bins: &[&Path]) -> (bool, String) {
    let script = crate::common::repo_root().join("scripts/check_cuda_link.sh");
    let out = Command::new(script).arg(lib).args(bins).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn a_binary_without_libtorch_cuda_fails_the_check_on_a_cuda_libtorch() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("stub.c"), "void cpu_symbol(void) {}\n").unwrap();
    std::fs::write(
        d.join("main.c"),
        "void cpu_symbol(void);\nint main(void) { cpu_symbol(); return 0; }\n",
    )
    .unwrap();
    sh(
        "mkdir -p cuda cpu && gcc -shared -fPIC -o cuda/libtorch_cpu.so stub.c \
        && gcc -shared -fPIC -o cuda/libtorch_cuda.so stub.c && cp cuda/libtorch_cpu.so cpu/",
        d,
    );
    // As the linker's --as-needed leaves it: libtorch_cuda is dropped, no symbol of it is used.
    sh(
        "gcc -o dropped main.c -Lcuda -Wl,--as-needed -ltorch_cpu -ltorch_cuda",
        d,
    );
    // As build/rpath.rs links it.
    sh(
        "gcc -o kept main.c -Lcuda -ltorch_cpu -Wl,--no-as-needed,-ltorch_cuda,--as-needed",
        d,
    );
    let (ok, out) = check(&d.join("cuda"), &[&d.join("kept")]);
    assert!(ok, "{out}");
    let (ok, out) = check(&d.join("cuda"), &[&d.join("kept"), &d.join("dropped")]);
    assert!(
        !ok && out.contains("dropped") && out.contains("never initialise"),
        "{out}"
    );
    let (ok, out) = check(&d.join("cpu"), &[&d.join("dropped")]);
    assert!(ok && out.contains("nothing to check"), "{out}");
}

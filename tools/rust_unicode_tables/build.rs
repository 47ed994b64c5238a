// Records the exact `rustc --version` of the compiler building this tool, so the
// generated Python file can state which toolchain's Unicode tables it holds.
use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let out = Command::new(&rustc)
        .arg("--version")
        .output()
        .expect("failed to run rustc --version");
    let version = String::from_utf8(out.stdout).expect("rustc --version is not UTF-8");
    println!("cargo:rustc-env=TABLES_RUSTC_VERSION={}", version.trim());
    println!("cargo:rerun-if-env-changed=RUSTC");
}

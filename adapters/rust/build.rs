//! Reads the resolved versions of the crates whose behaviour the kit checks out of `Cargo.lock`
//! and exports them to the binary as `NOETL_ADAPTER_VERSION_<CRATE>` environment variables, so
//! the handshake reports what was actually built rather than what `Cargo.toml` asks for.
//!
//! No build dependencies: the lock file is hand-parsed as `[[package]]` tables of
//! `name = "..."` / `version = "..."` lines.

use std::path::PathBuf;

/// Crates reported in the handshake, with the env var suffix each is exported under.
const REPORTED: &[(&str, &str)] = &[
    ("noetl-events", "NOETL_EVENTS"),
    ("serde_json", "SERDE_JSON"),
    ("chrono", "CHRONO"),
    ("serde", "SERDE"),
    ("noetl-server", "NOETL_SERVER"),
];

fn quoted_value(line: &str, key: &str) -> Option<String> {
    let rest = line
        .strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    Some(rest.strip_prefix('"')?.strip_suffix('"')?.to_string())
}

/// `(name, version)` for every `[[package]]` table in the lock file.
fn locked_packages(lock: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut name: Option<String> = None;
    let mut version: Option<String> = None;
    let mut flush = |name: &mut Option<String>, version: &mut Option<String>| {
        if let (Some(n), Some(v)) = (name.take(), version.take()) {
            out.push((n, v));
        }
    };
    for line in lock.lines().map(str::trim) {
        if line.starts_with('[') {
            flush(&mut name, &mut version);
        } else if let Some(v) = quoted_value(line, "name") {
            name = Some(v);
        } else if let Some(v) = quoted_value(line, "version") {
            version = Some(v);
        }
    }
    flush(&mut name, &mut version);
    out
}

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let lock_path = manifest_dir.join("Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    println!("cargo:rerun-if-changed=build.rs");

    let lock = std::fs::read_to_string(&lock_path).unwrap_or_default();
    let packages = locked_packages(&lock);
    for (crate_name, suffix) in REPORTED {
        // A crate can appear twice in a lock (two semver-incompatible majors); the adapter links
        // the one its own `Cargo.toml` names, and for these there is only ever one.
        let version = packages
            .iter()
            .find(|(n, _)| n == crate_name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("unknown");
        println!("cargo:rustc-env=NOETL_ADAPTER_VERSION_{suffix}={version}");
    }
}

//! The UI tests of `#[pyro::expose]`, `#[pyro::oneway]`, `#[pyro::callback]`, `#[pyro::getter]`
//! and `#[pyro::setter]`: every `tests/ui/pass/*.rs` must
//! compile and run; every `tests/ui/<topic>/<mistake>.rs` must fail to compile with exactly its
//! `.stderr`.
//!
//! The `.stderr` files are the compiler's output, so they hold for one toolchain: Rust
//! [`SNAPSHOT_TOOLCHAIN`] (the workspace's `rust-version`, the one CI uses). On another
//! toolchain the compile-fail cases are skipped, with a note saying so, and the pass cases still
//! run. After a deliberate change, regenerate them with `TRYBUILD=overwrite cargo test -p
//! ui-tests` and read every diff.

use std::process::Command;

/// The toolchain whose compiler output the `.stderr` snapshots are.
const SNAPSHOT_TOOLCHAIN: &str = "1.95";

/// The folders of compile-fail cases, one per kind of mistake.
const TOPICS: [&str; 15] = [
    "arguments",
    "attributes",
    "context",
    "callback",
    "generics",
    "items",
    "methods",
    "oneway",
    "properties",
    "receiver",
    "remote_error",
    "rename",
    "serving",
    "streams",
    "types",
];

/// The `major.minor` of the compiler cargo uses (`$RUSTC`, else `rustc`), as trybuild runs it.
fn toolchain() -> Option<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc).arg("--version").output().ok()?;
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let text = String::from_utf8(out.stdout).ok()?;
    let version = text.split_whitespace().nth(1)?;
    let mut parts = version.split('.');
    Some(format!("{}.{}", parts.next()?, parts.next()?))
}

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    match toolchain() {
        Some(version) if version == SNAPSHOT_TOOLCHAIN => {
            for topic in TOPICS {
                t.compile_fail(format!("tests/ui/{topic}/*.rs"));
            }
        }
        other => eprintln!(
            "ui-tests: skipping the compile-fail cases: their .stderr snapshots are Rust {SNAPSHOT_TOOLCHAIN}'s \
             output and this is {}",
            other.as_deref().unwrap_or("an unknown toolchain")
        ),
    }
}

#[test]
fn the_snapshot_toolchain_is_the_workspace_rust_version() {
    let manifest = include_str!("../../Cargo.toml");
    assert!(manifest.contains(&format!("rust-version = \"{SNAPSHOT_TOOLCHAIN}\"")), "update SNAPSHOT_TOOLCHAIN");
}

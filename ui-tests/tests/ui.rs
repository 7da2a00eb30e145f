//! The UI tests of `#[pyro::expose]`, `#[pyro::oneway]`, `#[pyro::callback]`, `#[pyro::getter]`
//! and `#[pyro::setter]`: every `tests/ui/pass/*.rs` must
//! compile and run; every `tests/ui/<topic>/<mistake>.rs` must fail to compile with exactly its
//! `.stderr`.
//!
//! The `.stderr` files are the compiler's output, so they hold for one toolchain (1.95, the one
//! this machine and CI use). After a deliberate change, regenerate them with
//! `TRYBUILD=overwrite cargo test -p ui-tests` and read every diff.

/// The folders of compile-fail cases, one per kind of mistake.
const TOPICS: [&str; 14] = [
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
    "streams",
    "types",
];

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    for topic in TOPICS {
        t.compile_fail(format!("tests/ui/{topic}/*.rs"));
    }
}

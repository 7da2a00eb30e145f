//! trybuild tests of pyro's macros: what `#[pyro::expose]` and `#[pyro::oneway]` accept
//! (`tests/ui/pass/`) and the error each mistake gets (`tests/ui/<topic>/<mistake>.rs` with its
//! `.stderr`). Run by `tests/ui.rs`; this library is empty.

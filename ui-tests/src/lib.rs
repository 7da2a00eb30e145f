//! trybuild tests of pyro's macros: what `#[pyro::expose]` (with `#[pyro::oneway]`,
//! `#[pyro::getter]`, `#[pyro::setter]` and `#[pyro::rename]`) and `#[derive(pyro::RemoteError)]`
//! accept (`tests/ui/pass/`) and the error each mistake gets (`tests/ui/<topic>/<mistake>.rs`
//! with its `.stderr`). Run by `tests/ui.rs`; this library is empty.

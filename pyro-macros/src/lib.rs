//! Procedural macros for pyro (`#[pyro::expose]`, `#[pyro::oneway]`); they arrive with the remote-objects work.

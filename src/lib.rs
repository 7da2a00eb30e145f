//! # pyro
//!
//! Rust remote objects, wire-compatible with Python Pyro5.
//!
//! This facade re-exports the runtime ([`pyro_runtime`]); the macros join it later.

pub use pyro_runtime::*;

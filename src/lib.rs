//! # pyro
//!
//! Rust remote objects, wire-compatible with Python Pyro5.
//!
//! This facade re-exports the runtime ([`pyro_runtime`]) and the macros ([`expose`], [`oneway`]).

// Lets `#[pyro::expose]` (which names `::pyro`) be used inside this crate too.
extern crate self as pyro;

pub use pyro_macros::{expose, oneway};
pub use pyro_runtime::*;

pub mod utils;

/// What macro-generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use inventory;
    pub use pyro_runtime::dispatch::{
        CallArgs, Dispatch, Interface, IntoRemoteError, Metadata, Receiver, RemoteErrorWrap, ToRemoteErrorFallback,
    };
    pub use pyro_runtime::proxy::Proxy;
    pub use pyro_runtime::{Error, RemoteError, Result, Serializer, Value};
    pub use serde;

    /// One exposed type in the process-wide registry (`inventory`). Informational only: the
    /// daemon never depends on it, so a registration the linker dropped cannot break serving.
    pub struct ExposedType {
        /// The Rust type (or trait) name.
        pub name: &'static str,
        /// `module_path!()` where it was exposed.
        pub module_path: &'static str,
        /// Its metadata.
        pub metadata: fn() -> Metadata,
    }

    inventory::collect!(ExposedType);

    /// Compile-time check that an argument type can be received (`DeserializeOwned`).
    pub const fn assert_argument<T: serde::de::DeserializeOwned>() {}
    /// Compile-time check that a result type can be sent (`Serialize`).
    pub const fn assert_result<T: serde::Serialize + ?Sized>() {}
}

/// The exposed types linked into this program, from the process-wide registry.
///
/// ```
/// for exposed in pyro::exposed_types() {
///     println!("{} in {}", exposed.0, exposed.1);
/// }
/// ```
pub fn exposed_types() -> Vec<(&'static str, &'static str, dispatch::Metadata)> {
    inventory::iter::<__private::ExposedType>().map(|t| (t.name, t.module_path, (t.metadata)())).collect()
}

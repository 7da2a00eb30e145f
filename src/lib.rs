//! # pyro
//!
//! Rust remote objects, wire-compatible with Python [Pyro5](https://pyro5.readthedocs.io): mark a
//! type `#[pyro::expose]`, register it with a [`Daemon`], and call it from another program with
//! plain method calls — from Rust through a generated, typed proxy, or from Python through
//! `Pyro5.api.Proxy`. A Rust proxy can call Python Pyro5 objects just as well.
//!
//! ## Exposing an object
//!
//! `#[pyro::expose]` on an inherent `impl` exposes its `pub` methods that take `&self` or
//! `&mut self`; other methods and associated functions (like `new`) stay private. Arguments and
//! results are any serde types. `&self` methods may run concurrently; if any method takes
//! `&mut self`, the daemon keeps the object behind a read-write lock, so you never write a lock
//! just to be served. `#[pyro::oneway]` marks a method whose caller does not wait for it;
//! `#[pyro::getter]` and `#[pyro::setter]` make remote attributes (see below).
//!
//! ```
//! use pyro::{RemoteError, Value};
//!
//! #[derive(Default)]
//! pub struct Counter {
//!     total: i64,
//! }
//!
//! #[pyro::expose]
//! impl Counter {
//!     /// Adds `n` (1 when the caller leaves it out); returns the new total.
//!     pub fn add(&mut self, n: Option<i64>) -> i64 {
//!         self.total += n.unwrap_or(1);
//!         self.total
//!     }
//!
//!     /// The total, or a Python `ValueError` when it is negative.
//!     pub fn checked(&self) -> Result<i64, RemoteError> {
//!         if self.total < 0 {
//!             return Err(RemoteError::new("builtins.ValueError", vec![Value::from("negative total")]));
//!         }
//!         Ok(self.total)
//!     }
//!
//!     /// Logs a line on the server; the caller does not wait.
//!     #[pyro::oneway]
//!     pub fn log(&self, line: String) {
//!         println!("{line}");
//!     }
//! }
//! ```
//!
//! This also generates `CounterProxy`, whose methods mirror the exposed ones and return
//! [`Result<T>`](Result), and, with the cargo feature `tokio`, its async twin
//! `CounterProxyAsync`, whose methods are `async fn`s over `pyro::aio::Proxy` (see the
//! `aio` module: the async API on tokio).
//!
//! ## Serving it
//!
//! ```
//! # #[derive(Default)] pub struct Counter { total: i64 }
//! # #[pyro::expose] impl Counter { pub fn add(&mut self, n: Option<i64>) -> i64 { self.total += n.unwrap_or(1); self.total } }
//! let daemon = pyro::Daemon::bind("127.0.0.1", 0)?; // port 0: any free port
//! let uri = daemon.register(Counter::default(), Some("example.counter"))?;
//! println!("serving {uri}"); // PYRO:example.counter@127.0.0.1:<port>
//! let stop = daemon.shutdown_handle(); // usable from any thread, or from inside a method
//! let server = std::thread::spawn(move || daemon.request_loop());
//! # let counter = CounterProxy::new(&uri.to_string())?;
//! # assert_eq!(counter.add(Some(2))?, 2);
//! stop.shutdown();
//! server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! The daemon is a thread-pool server with Pyro5's settings ([`Config`]: `THREADPOOL_SIZE`,
//! `COMMTIMEOUT`, ...; as in Pyro5, `PYRO_*` environment variables apply to every daemon and
//! proxy not given a `Config` of its own, see [`Config::environment`]), answers Pyro5's
//! handshake, `PING` and the `Pyro.Daemon` object, runs oneway calls without holding up the
//! connection, and turns a panic inside a method into an exception reply.
//!
//! ## Calling it
//!
//! ```
//! # #[derive(Default)] pub struct Counter { total: i64 }
//! # #[pyro::expose] impl Counter {
//! #     pub fn add(&mut self, n: Option<i64>) -> i64 { self.total += n.unwrap_or(1); self.total }
//! #     pub fn checked(&self) -> Result<i64, pyro::RemoteError> {
//! #         if self.total < 0 { return Err(pyro::RemoteError::new("builtins.ValueError", vec!["negative total".into()])) }
//! #         Ok(self.total)
//! #     }
//! # }
//! # let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
//! # let uri = daemon.register(Counter::default(), Some("example.counter"))?.to_string();
//! # let stop = daemon.shutdown_handle();
//! # let server = std::thread::spawn(move || daemon.request_loop());
//! // The typed proxy connects on the first call; it is Send + Sync and may be shared by
//! // threads (it keeps a small pool of connections).
//! let counter = CounterProxy::new(&uri)?;
//! assert_eq!(counter.add(Some(5))?, 5);
//! assert_eq!(counter.add(None)?, 6);
//! assert_eq!(counter.add(Some(-10))?, -4);
//!
//! // Errors raised by the remote method arrive as `Error::Remote`, with the Python class name,
//! // message and remote traceback.
//! match counter.checked() {
//!     Err(pyro::Error::Remote(e)) => assert_eq!((e.class.as_str(), e.message.as_str()), ("builtins.ValueError", "negative total")),
//!     other => panic!("{other:?}"),
//! }
//!
//! // The dynamic proxy underneath calls by name with `Value` arguments (and keyword arguments).
//! let kwargs: pyro::value::Dict = [("n", pyro::Value::Int(4))].into_iter().collect();
//! let total: i64 = counter.proxy().call_with_kwargs("add", &(), &kwargs)?;
//! assert_eq!(total, 0);
//! # stop.shutdown();
//! # server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! From Python, the same object is an ordinary Pyro5 object:
//!
//! ```python
//! import Pyro5.api
//! Pyro5.api.config.SERIALIZER = "msgpack"   # or "json"
//! counter = Pyro5.api.Proxy("PYRO:example.counter@127.0.0.1:PORT")
//! counter.add(5)        # 5
//! counter.add(n=2)      # keyword arguments map to parameter names
//! counter.checked()     # raises ValueError with the remote traceback attached
//! ```
//!
//! ## Batch calls
//!
//! A typed proxy's `batch()` records calls and sends them as one Pyro5 batch (what Python's
//! `BatchProxy` does); each recorded call returns a handle that yields its own result once the
//! batch has run. The daemon runs the calls in order and stops at the first one that raises.
//! Works against Python Pyro5 daemons too; [`proxy::Proxy::batch`] is the dynamic form.
//!
//! ```
//! # #[derive(Default)] pub struct Counter { total: i64 }
//! # #[pyro::expose] impl Counter {
//! #     pub fn add(&mut self, n: Option<i64>) -> i64 { self.total += n.unwrap_or(1); self.total }
//! #     pub fn checked(&self) -> Result<i64, pyro::RemoteError> {
//! #         if self.total < 0 { return Err(pyro::RemoteError::new("builtins.ValueError", vec!["negative total".into()])) }
//! #         Ok(self.total)
//! #     }
//! # }
//! # let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
//! # let uri = daemon.register(Counter::default(), Some("example.counter"))?.to_string();
//! # let stop = daemon.shutdown_handle();
//! # let server = std::thread::spawn(move || daemon.request_loop());
//! let counter = CounterProxy::new(&uri)?;
//! let mut batch = counter.batch();
//! let first = batch.add(Some(2));
//! let second = batch.add(Some(-5));
//! let checked = batch.checked(); // raises: the batch stops here
//! let never = batch.add(Some(100));
//! batch.run()?;
//! assert_eq!((first.get()?, second.get()?), (2, -3));
//! assert!(matches!(checked.get(), Err(pyro::Error::Remote(_))));
//! assert!(matches!(never.get(), Err(pyro::Error::Batch { .. })));
//! # stop.shutdown();
//! # server.join().expect("daemon thread")?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
#![doc = include_str!("guide/exposing.md")]
#![doc = include_str!("guide/calls.md")]
#![doc = include_str!("guide/wire.md")]
#![cfg_attr(feature = "tokio", doc = include_str!("async_interface.md"))]

// Lets `#[pyro::expose]` (which names `::pyro`) be used inside this crate too.
extern crate self as pyro;

pub use pyro_macros::{RemoteError, callback, expose, getter, oneway, rename, setter};
pub use pyro_runtime::proxy::RemoteIter;
pub use pyro_runtime::*;

pub mod utils;

/// `#[pyro::expose]`'s async items, expanded with the `tokio` feature on.
#[cfg(feature = "tokio")]
#[doc(hidden)]
#[macro_export]
macro_rules! __pyro_async_items {
    ($($items:tt)*) => { $($items)* };
}

/// `#[pyro::expose]`'s async items, dropped without the `tokio` feature.
#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __pyro_async_items {
    ($($items:tt)*) => {};
}

/// What macro-generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use inventory;
    pub use pyro_runtime::dispatch::attributes;
    pub use pyro_runtime::dispatch::{
        CallArgs, CallContext, Dispatch, Exposed, Interface, IntoRemoteError, Metadata, Receiver, RemoteErrorWrap,
        Reply, ToRemoteErrorFallback,
    };
    pub use pyro_runtime::protocol::Annotations;
    pub use pyro_runtime::proxy::{Batch, BatchHandle, Proxy, RemoteIter};
    pub use pyro_runtime::uuid::Uuid;
    pub use pyro_runtime::{
        Error, ExceptionBuilder, FromRemoteError, KwArgs, RemoteError, Result, SerializedBlob, Serializer, Value,
        VarArgs, VarCall, exception_arg, exception_attribute,
    };
    pub use serde;

    pub use crate::__pyro_require_tokio as require_tokio;
    /// The async API the async typed proxies use.
    #[cfg(feature = "tokio")]
    pub use pyro_runtime::aio;

    /// Expands the async items of a typed proxy (`ThingProxyAsync`, `ThingBatchAsync`) when
    /// the `tokio` feature is on, and to nothing without it.
    pub use crate::__pyro_async_items as async_items;

    /// The async typed proxy of an exposed type (`ThingProxyAsync`): what a `Remote<Thing>`
    /// result arrives as at an async typed proxy.
    #[cfg(feature = "tokio")]
    pub trait ExposedAsync {
        /// The async typed proxy.
        type ProxyAsync;
    }

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

    /// A type that arrives over the wire: `serde::de::DeserializeOwned`, under a name whose
    /// compile error says what to do.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be received over the wire: it does not implement `serde::Deserialize`",
        label = "pyro decodes this type from what the other side sends",
        note = "add `#[derive(serde::Deserialize)]` to `{Self}` (with `serde` as a dependency), \
                or use a type that has it (`pyro::Value` holds any Pyro5 value)"
    )]
    pub trait Received {}
    impl<T: serde::de::DeserializeOwned> Received for T {}

    /// A type that is sent over the wire: `serde::Serialize`, under a name whose compile error
    /// says what to do.
    #[diagnostic::on_unimplemented(
        message = "`{Self}` cannot be sent over the wire: it does not implement `serde::Serialize`",
        label = "pyro encodes this type for the other side",
        note = "add `#[derive(serde::Serialize)]` to `{Self}` (with `serde` as a dependency), \
                or use a type that has it (`pyro::Value` holds any Pyro5 value)"
    )]
    pub trait Sent {}
    impl<T: serde::Serialize + ?Sized> Sent for T {}

    /// Compile-time check that an argument type can be received.
    pub const fn assert_argument<T: Received>() {}
    /// Compile-time check that a result type can be sent.
    pub const fn assert_result<T: Sent + ?Sized>() {}
    /// Whether a typed proxy sends parameter `index` (if it has a value) by keyword: it follows
    /// `cut`, the first optional parameter left out.
    pub const fn by_keyword(index: usize, cut: usize) -> bool {
        index > cut
    }
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

/// What `#[pyro::expose]` writes after an impl with `async fn` methods: nothing with the
/// `tokio` feature, a compile error naming it without (generated code cannot test the user's
/// features; this macro is compiled with `pyro`'s own).
#[cfg(feature = "tokio")]
#[doc(hidden)]
#[macro_export]
macro_rules! __pyro_require_tokio {
    () => {};
}

/// See the `tokio` version above.
#[cfg(not(feature = "tokio"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __pyro_require_tokio {
    () => {
        ::core::compile_error! {
            "an exposed `async fn` needs pyro's `tokio` feature: depend on `pyro5` with \
`features = [\"tokio\"]` (or make the method a plain `fn`)"
        }
    };
}

/// The README's Rust examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

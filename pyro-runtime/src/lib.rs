//! The pyro runtime: Pyro5's wire protocol, serializers, values, URIs, errors and configuration.
//!
//! Users normally depend on the `pyro` facade crate, which re-exports everything here.
//!
//! - [`protocol`]: messages, the incremental decoder and compression, with no I/O (sans-IO).
//! - [`session`]: the protocol above framing, sans-IO: the server and client sessions every
//!   daemon and proxy drives.
//! - [`serializer`]: the msgpack and json serializers, chosen by wire id.
//! - [`value`]: [`Value`], a dynamic value holding anything a Python peer sends.
//! - [`uri`]: `PYRO:`, `PYRONAME:` and `PYROMETA:` URIs.
//! - [`config`]: Pyro5's configuration items and `PYRO_*` environment variables.
//! - [`current_context`]: the calling thread's annotations, correlation id and last response
//!   annotations (Pyro5's client-side `current_context`).
//! - [`deadline`]: [`Deadline`]s that travel with calls: the current deadline of a thread or
//!   task bounds proxy calls, goes to a pyro daemon with them, and is inherited by nested calls.
//! - [`naming`]: the name server client ([`NameServerProxy`], [`locate_ns`]) and name resolution.
//! - `aio` (cargo feature `tokio`): the async API on tokio: async proxies and async naming.
//! - [`logging`]: Pyro5's `LOGLEVEL`/`LOGFILE`/`LOGWIRE` logging of pyro's `tracing` events.
//! - [`calendar`]: the date of a day count since the Unix epoch, for timestamps.
//! - [`Error`]: one error enum for all of it; [`FromRemoteError`] and [`CallError`] for typed
//!   remote exceptions.

#[cfg(feature = "tokio")]
pub mod aio;
mod blob;
pub mod calendar;
pub mod config;
pub mod current_context;
pub mod daemon;
pub mod deadline;
pub mod dispatch;
mod error;
pub mod logging;
pub mod naming;
pub mod protocol;
pub mod proxy;
pub mod serializer;
pub mod session;
pub mod transport;
mod typed_error;
pub mod uri;
pub mod value;
mod varargs;

pub use blob::SerializedBlob;
pub use config::Config;
pub use daemon::{Daemon, ShutdownHandle, serve};
pub use deadline::Deadline;
pub use dispatch::Remote;
pub use error::{Error, RemoteError, Result, TRACEBACK_ATTRIBUTE};
/// The `Stream` trait the async item streams implement ([`aio::RemoteStream`]).
#[cfg(feature = "tokio")]
pub use futures_core;
pub use naming::{NameServerProxy, locate_ns, locate_ns_with_config};
pub use serializer::Serializer;
pub use typed_error::{CallError, ExceptionBuilder, FromRemoteError, exception_arg, exception_attribute};
pub use uri::Uri;
/// The `uuid` crate, for correlation ids ([`Uuid`](uuid::Uuid)).
pub use uuid;
pub use value::Value;
pub use varargs::{KwArgs, VarArgs, VarCall};

//! The async API on tokio (cargo feature `tokio`, off by default: blocking users compile no
//! tokio): async proxies, async batches and item streams, async naming.
//!
//! # Which is which
//!
//! | blocking (std sockets, threads) | async (tokio) |
//! |---|---|
//! | [`proxy::Proxy`](crate::proxy::Proxy) | [`aio::Proxy`](Proxy) |
//! | [`proxy::Batch`](crate::proxy::Batch) | [`aio::Batch`](Batch) |
//! | [`proxy::RemoteIter`](crate::proxy::RemoteIter) (an `Iterator`) | [`aio::RemoteStream`](RemoteStream) (a [`Stream`](futures_core::Stream)) |
//! | [`naming::locate_ns`](crate::naming::locate_ns), [`naming::NameServerProxy`](crate::naming::NameServerProxy) | [`aio::locate_ns`](locate_ns), [`aio::NameServerProxy`](NameServerProxy) |
//! | [`naming::locate_ns_any`](crate::naming::locate_ns_any), [`naming::resolve_with_config`](crate::naming::resolve_with_config) (with failover) | [`aio::locate_ns_any`](locate_ns_any), [`aio::resolve_with_config`](resolve_with_config) (the same failover) |
//! | [`proxy::Proxy::connected`](crate::proxy::Proxy::connected) over a std socket | [`aio::Proxy::connected`](Proxy::connected) over a tokio stream ([`AsyncConnectedStream`]) |
//! | [`DaemonBuilder::connected`](crate::daemon::DaemonBuilder::connected) over a std socket | [`aio::Daemon::connected_with`](Daemon::connected_with) over a tokio stream |
//! | `#[pyro::expose]`'s `ThingProxy`, `ThingBatch` | `ThingProxyAsync`, `ThingBatchAsync` |
//!
//! The async types are thin drivers of the code the blocking ones use: the same sans-IO
//! [`ClientSession`](crate::session::ClientSession) (handshake, sequence numbers, reply
//! checks), the same settings and call logic (serializer negotiation, argument encoding, reply
//! decoding, the local checks from the metadata, `MAX_RETRIES`, annotations, correlation ids),
//! the same batch recording and stream item decoding, the same TLS configuration
//! ([`TlsClient`](crate::transport::TlsClient): certificates, host name checks, the peer's
//! certificates after the handshake) and the same errors. Only moving bytes and waiting are
//! async. An async proxy is made from the same [`Config`](crate::Config) and URIs, and converts
//! from and to a blocking one ([`Proxy::from_blocking`], [`Proxy::to_blocking`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), pyro::Error> {
//! use pyro::aio::Proxy;
//! let proxy = Proxy::from_uri_str("PYRONAME:example.greeting")?;
//! let text: String = proxy.call("greet", &("bob",)).await?;
//! let mut batch = proxy.batch();
//! let one = batch.call_with::<_, String>("greet", &("ann",));
//! batch.run().await?;
//! println!("{text} {}", one.get()?);
//! # Ok(()) }
//! ```
//!
//! # Cancellation
//!
//! Every future here may be dropped at any point (a `tokio::time::timeout`, a `select!`):
//! a connection whose exchange did not finish (the request half sent, the reply half read) is
//! closed, never returned to the pool, so the next call never reads a stale reply. Dropping a
//! [`RemoteStream`] closes the remote iterator from a task of its own.
//!
//! # Deadlines
//!
//! An async call honours [deadlines](crate::deadline) exactly as a blocking one does, through
//! the same code: the current deadline ([`deadline::within_async`](crate::deadline::within_async),
//! a task-local that holds across awaits, or the thread's) and the proxy's
//! [`Proxy::set_deadline_per_call`], the earlier of the two. Past it a call (plain, oneway,
//! attribute, batch, stream item, and [`Proxy::ping`] and [`Proxy::bind`]) fails with
//! [`Error::Timeout`](crate::Error::Timeout) without sending anything; else the time left travels with the request (`DDLN`), every wait (for a
//! connection of the pool, connecting and the handshake, the reply) ends at the deadline, and
//! a reply that is late closes its connection. No retry is made past the deadline. An async
//! method served by a pyro daemon sees the call's deadline as its current one, so the calls it
//! makes inherit the rest of it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), pyro::Error> {
//! use std::time::Duration;
//! let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
//! let sum: i64 = pyro::deadline::within_async(Duration::from_millis(200), proxy.call("add", &(1, 2))).await?;
//! # Ok(()) }
//! ```
//!
//! # Blocking calls inside async code
//!
//! The blocking proxy uses std sockets and no runtime: called from inside a tokio runtime it
//! works (it blocks that worker thread while it waits, so prefer the async proxy there, or
//! `tokio::task::spawn_blocking`). It never starts or needs a runtime of its own.
//!
//! # Annotations
//!
//! Set annotations and a correlation id on the proxy ([`Proxy::set_annotations`],
//! [`Proxy::set_correlation_id`]): a task may move between threads, so the thread's
//! annotations ([`current_context`](crate::current_context)) are those of whichever thread
//! writes the request. The response annotations of a call are the thread's
//! [`response_annotations`](crate::current_context::response_annotations) right after its
//! `.await` (the poll that completes a call records them).
//!
//! # Blocking or async serving
//!
//! The same `#[pyro::expose]` types serve from both kinds of daemon, `fn` and `async fn`
//! methods alike:
//!
//! - the blocking daemons ([`Daemon`](crate::daemon::Daemon), thread pool or multiplexed, and
//!   the [`EventLoop`](crate::daemon::EventLoop)) run a plain method on a worker thread and an
//!   `async fn` method to completion on a small runtime shared by the process, while the worker
//!   waits (see [`PendingReply`](crate::dispatch::PendingReply));
//! - the async daemon ([`daemon::Daemon`], `pyro::aio::Daemon`) serves each connection as a
//!   task on the caller's tokio runtime: `async fn` methods are awaited there, plain methods
//!   run on tokio's blocking threads (at most `THREADPOOL_SIZE` at once), so neither blocks the
//!   runtime.
//!
//! Choose the async daemon when the methods are mostly `async` (they wait on other services
//! without holding a thread) or when there are many connections; the blocking daemon needs no
//! runtime at all.

mod batch;
mod connected;
mod connection;
pub mod daemon;
mod naming;
mod pool;
mod proxy;
pub(crate) mod runtime;
mod stream;
mod transport;

pub use batch::Batch;
pub use connected::AsyncConnectedStream;
pub use daemon::Daemon;
pub use naming::{
    NameServerProxy, locate_ns, locate_ns_any, locate_ns_any_with_config, locate_ns_with_config, resolve_with_config,
};
pub use proxy::Proxy;
pub use stream::RemoteStream;

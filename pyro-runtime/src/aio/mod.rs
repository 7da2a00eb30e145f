//! The async API on tokio (feature `tokio`).
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

pub mod daemon;
pub(crate) mod runtime;

pub use daemon::Daemon;

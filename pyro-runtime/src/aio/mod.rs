//! The async API on tokio (feature `tokio`). Serving: [`Daemon`] (`pyro::aio::Daemon`); for
//! blocking or async serving of the same objects see [`daemon`].

pub mod daemon;
pub(crate) mod runtime;

pub use daemon::Daemon;

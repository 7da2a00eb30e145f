//! Moving whole messages over byte streams (TCP, Unix sockets, TLS over TCP), shared by the daemon, the proxy
//! and the name server, which drive the [`session`](crate::session) types with it. Failures are
//! typed: [`TransportError`] (closed, timed out, other I/O) and [`StreamError`] (that, or invalid
//! bytes), each converted into [`Error`](crate::Error) in one place.

pub(crate) mod connect;
mod connected;
mod error;
mod listener;
mod socket;
mod stream;
pub(crate) mod tls;

pub use connect::{connect, connect_with_tls};
pub use connected::{ConnectedStream, NOT_BOUND};
pub use error::{StreamError, TransportError};
pub use listener::Listener;
pub use socket::Socket;
pub use stream::MessageStream;
pub use tls::{TlsClient, TlsServer, TlsStream};

//! Moving whole messages over byte streams (TCP, Unix sockets), shared by the daemon, the proxy
//! and the name server.

mod connect;
mod error;
mod listener;
mod socket;
mod stream;

pub use connect::connect;
pub use error::{StreamError, TransportError};
pub use listener::Listener;
pub use socket::Socket;
pub use stream::MessageStream;

//! Moving whole messages over byte streams (TCP, Unix sockets), shared by the daemon, the proxy
//! and the name server.

mod socket;
mod stream;

pub use socket::Socket;
pub use stream::MessageStream;
pub(crate) use stream::io_error;

//! The remote interface of Pyro5's callcontext example, shared by `callcontext_server` and
//! `callcontext_client`: Python's `EchoServer` (its `server.py`). Both methods ask for the call
//! context; it is not an argument on the wire, so the proxy methods take only the message.

use pyro::dispatch::CallContext;

/// Pyro5's `EchoServer`: prints what it knows about each call.
#[pyro::expose]
pub trait EchoServer {
    /// Prints the call's context and returns `message`.
    fn echo(&self, ctx: &CallContext, message: String) -> String;
    /// The same, oneway.
    #[pyro::oneway]
    fn oneway(&self, ctx: &CallContext, message: String);
}

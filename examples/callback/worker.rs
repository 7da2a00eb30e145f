//! What the server and the client of the first callback example share: the client's callback
//! handler, the server's workers, and the server.

use pyro::Remote;

/// What the client serves for the workers to call back.
#[pyro::expose]
pub trait CallbackHandler {
    /// Worker `number` reports its work is done.
    fn done(&self, number: u32);
}

/// A worker the server made for a client.
#[pyro::expose]
pub trait Worker {
    /// Works for `amount` seconds, then calls the client's callback handler (oneway: the client
    /// does not wait).
    #[pyro::oneway]
    fn work(&self, amount: u64);
}

/// The server, registered in the name server as `example.callback`.
#[pyro::expose]
pub trait CallbackServer {
    /// A new worker that reports to `callback`; the client receives a proxy for it.
    fn addworker(&self, callback: CallbackHandlerProxy) -> Remote<dyn Worker>;
}

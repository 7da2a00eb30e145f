//! What the server and the clients of the chatbox example share: the chat box's interface and
//! the one each client serves for the chat box to call back.
// The remote methods keep their Python names (`getChannels`, `getNicks`).
#![allow(non_snake_case)]

use pyro::dispatch::IntoRemoteError;
use pyro::{RemoteError, Value};

/// What a client serves: the chat box sends it every message of its channel.
#[pyro::expose]
pub trait Chatter {
    /// A message `msg` from `nick` (oneway: the chat box does not wait).
    #[pyro::oneway]
    fn message(&self, nick: String, msg: String);
}

/// Python's `ValueError`, which `join` raises for a bad or taken name.
#[derive(Debug)]
pub struct ValueError(pub &'static str);

impl IntoRemoteError for ValueError {
    fn into_remote_error(self) -> RemoteError {
        RemoteError::new("builtins.ValueError", vec![Value::from(self.0)])
    }
}

/// The chat box, registered in the name server as `example.chatbox.server`.
#[pyro::expose]
pub trait ChatBox {
    /// The channels that exist.
    fn getChannels(&self) -> Vec<String>;
    /// The nicknames of everybody on the server.
    fn getNicks(&self) -> Vec<String>;
    /// Joins `channel` as `nick`, with `callback` receiving the channel's messages; the nicks
    /// on the channel.
    fn join(&self, channel: String, nick: String, callback: ChatterProxy) -> Result<Vec<String>, ValueError>;
    /// Leaves `channel`.
    fn leave(&self, channel: String, nick: String);
    /// Sends `msg` to everybody on `channel`.
    fn publish(&self, channel: String, nick: String, msg: String);
}

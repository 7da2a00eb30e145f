//! The protocol above framing, without I/O: one session type per side of a connection.
//!
//! Framing ([`protocol`](crate::protocol): [`Message`](crate::protocol::Message) and the
//! incremental [`MessageDecoder`](crate::protocol::MessageDecoder)) turns bytes into messages;
//! the sessions give the messages their meaning. Neither touches a socket or a thread, so every
//! server and client drives the same code:
//!
//! - [`ServerSession`]: the daemon's side. [`on_message`](ServerSession::on_message) takes a
//!   decoded message and returns an [`Action`]: send this reply (CONNECTOK, CONNECTFAIL, the
//!   PING answer, an exception), close, or run this call ([`Action::Dispatch`]) or this oneway
//!   call ([`Action::DispatchOneway`]). The session owns the handshake, PING, INVOKE decoding,
//!   the `Pyro.Daemon` object, batch calls, item streams (through the daemon-wide
//!   [`Streams`] registry, see [`ServerSession::with_streams`]) and exception payloads. It never runs user code: the
//!   driver runs a [`Request`] where it wants (its own thread, a pool, an async task) with
//!   [`Request::run`] and hands the [`Completed`] call to [`ServerSession::reply`], which gives
//!   the RESULT message. The objects come from a [`Directory`] (the daemon's registry).
//!   Each session owns its connection's [`SessionState`] (session instances, tracked
//!   resources; reached by calls through their context) and runs the user's [`ServerHooks`]:
//!   the handshake validator on CONNECT, the disconnect hook and the cleanup when it is closed
//!   or dropped ([`ServerSession::close`]).
//! - [`ClientSession`]: the proxy's side. It builds CONNECT, INVOKE and PING messages with
//!   their sequence numbers, checks replies (type, sequence number, serializer), interprets the
//!   handshake (CONNECTOK, CONNECTFAIL), results, exceptions and batch results, and says which
//!   exception replies mean the daemon closed the connection.
//!
//! The drivers in this crate are blocking: the thread-pool [`Daemon`](crate::daemon::Daemon)
//! runs one [`ServerSession`] per connection on a worker thread, and every
//! [`Proxy`](crate::proxy::Proxy) connection (the name server's too) runs a [`ClientSession`];
//! both move messages with [`MessageStream`](crate::transport::MessageStream) (one `recv` and
//! one `writev` per call in the common case).
//!
//! # The dispatch contract
//!
//! A [`Request`] calls a [`Servant`](crate::dispatch::Servant) with a
//! [`CallContext`](crate::dispatch::CallContext) (serializer, session id, correlation id,
//! annotations, and what the driver adds: client address, daemon handle) and gets a
//! [`Reply`](crate::dispatch::Reply) back: see [`dispatch`](crate::dispatch).
//!
//! # A whole exchange, no sockets
//!
//! ```
//! use std::sync::Arc;
//! use pyro::dispatch::{Servant, Served};
//! use pyro::protocol::Flags;
//! use pyro::session::{Action, ClientSession, DaemonInfo, Directory, ServerSession};
//! use pyro::value::{Dict, Value};
//! use pyro::Serializer;
//! # use pyro::dispatch::*;
//! # use pyro::Error;
//! # struct Adder;
//! # impl Dispatch<Adder> for Adder {
//! #     fn metadata() -> Metadata { Metadata::new(["add"], [], []) }
//! #     fn receiver(m: &str) -> Option<Receiver> { (m == "add").then_some(Receiver::Shared) }
//! #     fn invoke_shared(&self, ctx: &mut CallContext, m: &str, mut a: CallArgs) -> Result<Reply, Error> {
//! #         let (x, y): (i64, i64) = (a.required(0, "x")?, a.required(1, "y")?);
//! #         a.finish()?;
//! #         ctx.encode(&(x + y))
//! #     }
//! #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
//! # }
//!
//! struct Objects(Arc<dyn Servant>);
//! impl Directory for Objects {
//!     fn servant(&self, id: &str) -> Option<Arc<dyn Servant>> { (id == "adder").then(|| Arc::clone(&self.0)) }
//!     fn ids(&self) -> Vec<String> { vec!["adder".into()] }
//! }
//! let objects = Objects(Arc::new(Served::new(Adder)));
//! let mut server = ServerSession::new(1, Arc::new(DaemonInfo::default()));
//! let mut client = ClientSession::new(Serializer::Msgpack);
//!
//! let connect = client.connect_request("adder", &Value::from("hello")).unwrap();
//! let Action::Send(ok) = server.on_message(connect, &objects) else { panic!("refused") };
//! client.on_connect_reply(&ok, "nowhere").unwrap();
//!
//! let payload = Serializer::Msgpack.encode_call("adder", "add", &(2, 3), Some(&Dict::new())).unwrap();
//! let invoke = client.invoke_request(payload, Flags::EMPTY);
//! let Action::Dispatch(request) = server.on_message(invoke, &objects) else { panic!("not a call") };
//! let completed = request.run(); // user code: the driver picks the thread
//! let Action::Send(result) = server.reply(completed) else { panic!("no reply") };
//! client.check_reply(&result).unwrap();
//! assert_eq!(client.decode_result::<i64>("add", &result).unwrap(), 5);
//! ```

mod client;
mod daemon_object;
#[cfg(test)]
mod deadline_tests;
mod exception;
pub(crate) use exception::panic_text;
#[doc(hidden)]
pub mod fuzzing;
mod hooks;
#[cfg(test)]
mod lifecycle_tests;
mod request;
mod response_annotations;
mod server;
mod state;
#[cfg(test)]
mod stream_tests;
mod streams;
#[cfg(test)]
mod tests;

pub(crate) use client::BatchItems;
pub use client::{ClientSession, Handshake};
pub use daemon_object::DAEMON_OBJECT_ID;
pub use hooks::{ConnectionInfo, DisconnectHook, HandshakeHook, ServerHooks};
pub use request::{BatchResults, Completed, Outcome, Request};
pub use response_annotations::ResponseAnnotations;
pub use server::{Action, BATCH_METHOD, DaemonInfo, Directory, ServerSession};
pub use state::{OnClose, Resource, ResourceHandle, SessionState};
pub use streams::{
    DEFAULT_MAX_STREAMS, HOUSEKEEPING_INTERVAL, Refused, Removed, StreamRegistry, StreamSettings, Streams,
};

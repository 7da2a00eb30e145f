//! A tiny in-test Pyro5 server on `std::net::TcpListener` + `MessageStream`, for the proxy tests.
//! It answers the handshake as told, hands every later message to a handler, and counts
//! connections (total and most at once) and calls in progress.

#![allow(dead_code, clippy::unwrap_used)]

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use pyro_runtime::dispatch::Metadata;
use pyro_runtime::protocol::{EncodeOptions, Flags, Message, MessageType};
use pyro_runtime::serializer::{Call, Serializer, marshal};
use pyro_runtime::transport::{MessageStream, Socket};
use pyro_runtime::value::{Dict, Value};
use pyro_runtime::{Uri, proxy::Proxy};
use serde::Serialize;

/// How the server answers a CONNECT.
#[derive(Clone, Debug)]
pub enum Handshake {
    /// CONNECTOK with this metadata and handshake response "hello".
    Ok(Metadata),
    /// CONNECTFAIL with the reason serialized by the request's serializer.
    Fail(String),
    /// CONNECTFAIL with the reason marshal-encoded (serializer id 2), as Pyro5 does for early errors.
    FailMarshal(String),
}

/// What to do with a request.
pub enum Action {
    /// Send this message.
    Reply(Message),
    /// Send nothing (oneway).
    Nothing,
    /// Close the connection.
    Close,
}

type Handler = dyn Fn(&Message, &Call, &Stats) -> Action + Send + Sync;

/// Counters and the log of everything the server received.
#[derive(Default)]
pub struct Stats {
    pub connections: AtomicUsize,
    pub open: AtomicUsize,
    pub max_open: AtomicUsize,
    pub in_call: AtomicUsize,
    pub max_in_call: AtomicUsize,
    pub received: Mutex<Vec<Message>>,
}

impl Stats {
    pub fn received(&self) -> Vec<Message> {
        self.received.lock().unwrap().clone()
    }

    pub fn invokes(&self) -> Vec<Message> {
        self.received().into_iter().filter(|m| m.msg_type == MessageType::Invoke).collect()
    }

    /// Marks a call in progress while the guard lives.
    pub fn enter_call(&self) -> CallGuard<'_> {
        let now = self.in_call.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_call.fetch_max(now, Ordering::SeqCst);
        CallGuard(self)
    }
}

pub struct CallGuard<'a>(&'a Stats);

impl Drop for CallGuard<'_> {
    fn drop(&mut self) {
        self.0.in_call.fetch_sub(1, Ordering::SeqCst);
    }
}

pub struct FakeServer {
    pub port: u16,
    pub stats: Arc<Stats>,
}

impl FakeServer {
    /// Starts a server for object `thing`; `handler` gets each message after the handshake (with
    /// the decoded call for INVOKEs, an empty call for PINGs) and the stats.
    pub fn start(
        handshake: Handshake,
        handler: impl Fn(&Message, &Call, &Stats) -> Action + Send + Sync + 'static,
    ) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stats = Arc::new(Stats::default());
        let handler: Arc<Handler> = Arc::new(handler);
        let server_stats = Arc::clone(&stats);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let stats = Arc::clone(&server_stats);
                let handler = Arc::clone(&handler);
                let handshake = handshake.clone();
                thread::spawn(move || serve(Socket::Tcp(stream), &handshake, &*handler, &stats));
            }
        });
        FakeServer { port, stats }
    }

    pub fn uri(&self) -> Uri {
        Uri::pyro("thing", "127.0.0.1", self.port).unwrap()
    }

    pub fn proxy(&self, serializer: Serializer) -> Proxy {
        Proxy::new(self.uri()).with_serializer(serializer)
    }
}

fn serve(socket: Socket, handshake: &Handshake, handler: &Handler, stats: &Stats) {
    stats.connections.fetch_add(1, Ordering::SeqCst);
    let now = stats.open.fetch_add(1, Ordering::SeqCst) + 1;
    stats.max_open.fetch_max(now, Ordering::SeqCst);
    if let Err(e) = serve_inner(socket, handshake, handler, stats) {
        eprintln!("fake server: connection ended: {e}");
    }
    stats.open.fetch_sub(1, Ordering::SeqCst);
}

fn serve_inner(
    socket: Socket,
    handshake: &Handshake,
    handler: &Handler,
    stats: &Stats,
) -> Result<(), pyro_runtime::Error> {
    let mut stream = MessageStream::new(socket, EncodeOptions::default());
    let connect = stream.receive("handshake")?;
    stats.received.lock().unwrap().push(connect.clone());
    let ser = Serializer::from_id(connect.serializer_id)?;
    let reply = match handshake {
        Handshake::Ok(meta) => {
            let mut data = Dict::new();
            data.insert("handshake", "hello");
            data.insert("meta", pyro_runtime::value::to_value(meta)?);
            Message::new(MessageType::ConnectOk, ser.id(), ser.to_bytes(&data)?)
        }
        Handshake::Fail(reason) => Message::new(MessageType::ConnectFail, ser.id(), ser.to_bytes(reason)?),
        Handshake::FailMarshal(reason) => Message::new(MessageType::ConnectFail, 2, marshal::encode_str(reason)),
    };
    stream.send(&reply.with_seq(connect.seq))?;
    if !matches!(handshake, Handshake::Ok(_)) {
        return Ok(());
    }
    loop {
        let msg = stream.receive("request")?;
        stats.received.lock().unwrap().push(msg.clone());
        let call = if msg.msg_type == MessageType::Invoke {
            Serializer::from_id(msg.serializer_id)?.decode_call(&msg.data)?
        } else {
            Call { object: String::new(), method: String::new(), vargs: Vec::new(), kwargs: None }
        };
        match handler(&msg, &call, stats) {
            Action::Reply(reply) => stream.send(&reply)?,
            Action::Nothing => {}
            Action::Close => return Ok(()),
        }
    }
}

/// A RESULT for `request` carrying `value`.
pub fn result(request: &Message, value: &(impl Serialize + ?Sized)) -> Action {
    let ser = Serializer::from_id(request.serializer_id).unwrap();
    Action::Reply(Message::new(MessageType::Result, ser.id(), ser.to_bytes(value).unwrap()).with_seq(request.seq))
}

/// An exception RESULT for `request`.
pub fn exception(request: &Message, error: &pyro_runtime::RemoteError) -> Action {
    let ser = Serializer::from_id(request.serializer_id).unwrap();
    Action::Reply(
        Message::new(MessageType::Result, ser.id(), ser.to_bytes(&error.to_value()).unwrap())
            .with_seq(request.seq)
            .with_flags(Flags::EXCEPTION),
    )
}

/// The standard metadata of the fake `thing`.
pub fn thing_metadata() -> Metadata {
    Metadata::new(["add", "echo", "kwargs", "slow", "fail", "notify", "weird"], ["notify"], ["count"])
}

/// A handler for `thing`: add, echo, kwargs (returns the kwargs), slow (sleeps the given ms),
/// fail (raises ValueError), notify (oneway; records), __getattr__ count → 7.
pub fn thing(msg: &Message, call: &Call, stats: &Stats) -> Action {
    if msg.msg_type == MessageType::Ping {
        return Action::Reply(Message::new(MessageType::Ping, msg.serializer_id, b"pong".to_vec()).with_seq(msg.seq));
    }
    if msg.flags.contains(Flags::ONEWAY) {
        return Action::Nothing;
    }
    match call.method.as_str() {
        "add" => result(msg, &call.vargs.iter().filter_map(Value::as_i64).sum::<i64>()),
        "echo" => result(msg, &call.vargs),
        "kwargs" => result(msg, &call.kwargs),
        "slow" => {
            let _guard = stats.enter_call();
            let ms = call.vargs.first().and_then(Value::as_i64).unwrap_or(100);
            thread::sleep(std::time::Duration::from_millis(ms.unsigned_abs()));
            result(msg, &Value::None)
        }
        "fail" => exception(
            msg,
            &pyro_runtime::RemoteError::new("builtins.ValueError", vec!["oops".into(), 42.into()]).with_traceback(
                vec!["Traceback (most recent call last):\n".into(), "ValueError: ('oops', 42)\n".into()],
            ),
        ),
        "__getattr__" => result(msg, &7),
        "__setattr__" => result(msg, &Value::None),
        other => exception(msg, &pyro_runtime::RemoteError::new("builtins.AttributeError", vec![other.into()])),
    }
}

//! The object every scenario calls, the Python peers, and the size of one call on the wire.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};

use pyro::protocol::{EncodeOptions, HEADER_SIZE, Header, Message, MessageType};
use pyro::transport::MessageStream;
use pyro::value::Dict;
use pyro::{Daemon, Serializer, Value};

use crate::{Result, WireSizes};

/// The benchmarked object: gives back what it gets; for the throughput section it also counts
/// oneway calls and streams items. `echo_server.py` serves the same methods from Pyro5.
#[derive(Debug, Default)]
pub struct Echo {
    /// Oneway `tick` calls processed so far.
    ticks: AtomicU64,
}

#[pyro::expose]
impl Echo {
    /// Returns `message`.
    pub fn echo(&self, message: Value) -> Value {
        message
    }

    /// Counts one call; the caller does not wait (the daemon runs it on its oneway pool).
    #[pyro::oneway]
    pub fn tick(&self) {
        self.ticks.fetch_add(1, Ordering::Relaxed);
    }

    /// How many `tick` calls have been processed.
    pub fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::Relaxed)
    }

    /// The items 0, 1, ... `n - 1`, streamed one by one.
    pub fn items(&self, n: u32) -> impl Iterator<Item = u32> + Send + 'static {
        0..n
    }
}

/// The object id every server registers.
pub const OBJECT_ID: &str = "echo";

/// The Pyro5 daemon serving the same object (`python -c`; prints its URI).
pub const PYTHON_SERVER: &str = include_str!("echo_server.py");

/// The Pyro5 client (`python -c ... <uri> <calls> <warmup>`), speaking the same protocol as
/// `bench client-rust`.
pub const PYTHON_CLIENT: &str = concat!(include_str!("client_common.py"), include_str!("echo_client.py"));

/// Measures one real `echo(42)` exchange with an in-process pyro daemon: the INVOKE as the
/// proxy frames it and the RESULT as the daemon answers it.
pub fn wire_sizes() -> Result<WireSizes> {
    let daemon = Daemon::bind("127.0.0.1", 0).map_err(|e| format!("in-process daemon: {e}"))?;
    let uri = daemon.register(Echo::default(), Some(OBJECT_ID)).map_err(|e| format!("registering echo: {e}"))?;
    let addr = daemon.local_addr().ok_or("the in-process daemon has no TCP address")?;
    let shutdown = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    let result = exchange(addr, uri.object());
    shutdown.shutdown();
    server.join().map_err(|_| "the in-process daemon panicked")?.map_err(|e| e.to_string())?;
    result
}

fn exchange(addr: std::net::SocketAddr, object: &str) -> Result<WireSizes> {
    let io = |e: std::io::Error| format!("echo(42) exchange with the in-process daemon: {e}");
    let pyro = |e: pyro::Error| format!("echo(42) exchange with the in-process daemon: {e}");
    let ser = Serializer::Msgpack;
    let socket = TcpStream::connect(addr).map_err(io)?;
    let mut stream = MessageStream::new(socket, EncodeOptions::default());
    let hello: Dict = [("handshake", Value::from("hello")), ("object", Value::from(object))].into_iter().collect();
    let connect = Message::new(MessageType::Connect, ser.id(), ser.to_bytes(&hello).map_err(|e| e.to_string())?);
    stream.send(&connect).map_err(pyro)?;
    let ok = stream.receive("the handshake").map_err(pyro)?;
    if ok.msg_type != MessageType::ConnectOk {
        return Err(format!("handshake refused: {ok:?}"));
    }
    let payload = ser.encode_call(object, "echo", &(Value::Int(42),), Some(&Dict::new())).map_err(|e| e.to_string())?;
    let request = Message::new(MessageType::Invoke, ser.id(), payload)
        .with_seq(1)
        .to_bytes(&EncodeOptions::default())
        .map_err(|e| e.to_string())?;
    let socket = stream.get_mut();
    socket.write_all(&request).map_err(io)?;
    let mut head = [0u8; HEADER_SIZE];
    socket.read_exact(&mut head).map_err(io)?;
    let header = Header::parse(&head, usize::MAX).map_err(|e| e.to_string())?;
    let mut body = vec![0u8; header.body_len()];
    socket.read_exact(&mut body).map_err(io)?;
    if header.msg_type != MessageType::Result {
        return Err(format!("echo(42) got a {:?} reply", header.msg_type));
    }
    Ok(WireSizes { request: request.len(), reply: HEADER_SIZE + body.len() })
}

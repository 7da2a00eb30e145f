//! Shared by the daemon tests: a test object with a hand-written `Dispatch`, a daemon running
//! on a thread, and a raw protocol client over `MessageStream`.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use pyro_runtime::daemon::{Daemon, ShutdownHandle};
use pyro_runtime::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply};
use pyro_runtime::protocol::{Flags, Message, MessageType};
use pyro_runtime::transport::{MessageStream, Socket};
use pyro_runtime::value::{Dict, Value};
use pyro_runtime::{Config, Error, RemoteError, Serializer};

/// The object the tests serve.
pub struct Thing {
    pub counter: i64,
    pub notified: Arc<Mutex<Vec<Value>>>,
    pub shutdown: Option<ShutdownHandle>,
    pub slow_calls: Arc<AtomicI64>,
}

impl Thing {
    pub fn new() -> Thing {
        Thing { counter: 0, notified: Arc::default(), shutdown: None, slow_calls: Arc::default() }
    }
}

const SHARED: [&str; 9] = ["add", "echo", "fail", "panic", "slow", "notify", "stop", "blob", "greet"];

impl Dispatch<Thing> for Thing {
    fn metadata() -> Metadata {
        Metadata::new(SHARED.into_iter().chain(["incr"]), ["notify"], [])
    }

    fn receiver(method: &str) -> Option<Receiver> {
        if SHARED.contains(&method) {
            Some(Receiver::Shared)
        } else if method == "incr" {
            Some(Receiver::Exclusive)
        } else {
            None
        }
    }

    fn invoke_shared(&self, ctx: &mut CallContext, method: &str, mut args: CallArgs) -> Result<Reply, Error> {
        match method {
            "add" => {
                let a: i64 = args.required(0, "a")?;
                let b: i64 = args.required(1, "b")?;
                args.finish()?;
                ctx.encode(&(a + b))
            }
            "greet" => {
                let name: String = args.required(0, "name")?;
                let greeting: Option<String> = args.optional(1, "greeting")?;
                args.finish()?;
                ctx.encode(&format!("{}, {name}!", greeting.unwrap_or_else(|| "hello".into())))
            }
            "echo" => {
                let value: Value = args.required(0, "value")?;
                args.finish()?;
                ctx.encode(&value)
            }
            "fail" => {
                let message: String = args.required(0, "message")?;
                args.finish()?;
                Err(RemoteError::new("builtins.ValueError", vec![Value::from(message)]).into())
            }
            "panic" => {
                args.finish()?;
                panic!("deliberate test panic");
            }
            "slow" => {
                let secs: f64 = args.required(0, "seconds")?;
                args.finish()?;
                self.slow_calls.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_secs_f64(secs));
                ctx.encode("slept")
            }
            "notify" => {
                let value: Value = args.required(0, "value")?;
                args.finish()?;
                std::thread::sleep(Duration::from_millis(300));
                self.notified.lock().unwrap().push(value);
                ctx.encode(&())
            }
            "stop" => {
                args.finish()?;
                // The daemon serving the call, from its context.
                if let Some(handle) = ctx.daemon() {
                    handle.shutdown();
                }
                ctx.encode("bye")
            }
            "blob" => {
                args.finish()?;
                ctx.encode(&Value::Bytes(vec![1, 2, 3]))
            }
            _ => Err(CallArgs::unknown_method(method)),
        }
    }

    fn invoke_exclusive(&mut self, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
        match method {
            "incr" => {
                args.finish()?;
                self.counter += 1;
                ctx.encode(&self.counter)
            }
            _ => Err(CallArgs::unknown_method(method)),
        }
    }
}

/// A daemon serving a `Thing` as "thing" on its own thread.
pub struct Running {
    pub daemon: Arc<Daemon>,
    pub thread: Option<JoinHandle<Result<(), Error>>>,
    pub notified: Arc<Mutex<Vec<Value>>>,
    pub slow_calls: Arc<AtomicI64>,
}

impl Running {
    pub fn addr(&self) -> SocketAddr {
        self.daemon.local_addr().unwrap()
    }

    pub fn stop(mut self) {
        self.daemon.shutdown();
        self.thread.take().unwrap().join().unwrap().unwrap();
    }
}

pub fn start_daemon(daemon: Daemon) -> Running {
    let mut thing = Thing::new();
    thing.shutdown = Some(daemon.shutdown_handle());
    let notified = Arc::clone(&thing.notified);
    let slow_calls = Arc::clone(&thing.slow_calls);
    daemon.register(thing, Some("thing")).unwrap();
    let daemon = Arc::new(daemon);
    let serving = Arc::clone(&daemon);
    let thread = Some(std::thread::spawn(move || serving.request_loop()));
    Running { daemon, thread, notified, slow_calls }
}

pub fn start(config: Config) -> Running {
    start_daemon(Daemon::builder().config(config).host("127.0.0.1").bind().unwrap())
}

/// The test configuration. Test crates named `*_multiplex` (which include another test file
/// as a module, e.g. `daemon_protocol_multiplex`) run the same tests with the multiplexed
/// server.
pub fn config() -> Config {
    Config { comm_timeout: Some(Duration::from_secs(10)), server_type: server_type(), ..Config::default() }
}

/// The server type of this test crate: `multiplex` for the `*_multiplex` crates.
pub fn server_type() -> pyro_runtime::config::ServerType {
    let crate_name = module_path!().split("::").next().unwrap_or_default();
    if crate_name.ends_with("_multiplex") {
        pyro_runtime::config::ServerType::Multiplex
    } else {
        pyro_runtime::config::ServerType::Thread
    }
}

/// A raw protocol client.
pub struct Client {
    pub stream: MessageStream<Socket>,
    pub seq: u16,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let tcp = TcpStream::connect(addr).unwrap();
        Client::over(Socket::Tcp(tcp))
    }

    pub fn over(socket: Socket) -> Client {
        socket.set_timeout(Some(Duration::from_secs(10))).unwrap();
        Client { stream: MessageStream::new(socket, Default::default()), seq: 0 }
    }

    pub fn send(&mut self, message: &Message) {
        self.stream.send(message).unwrap();
    }

    pub fn receive(&mut self) -> Result<Message, Error> {
        self.stream.receive("test reply")
    }

    pub fn handshake_message(ser: Serializer, object: &str) -> Message {
        let mut data = Dict::new();
        data.insert("handshake", "hello");
        data.insert("object", object);
        Message::new(MessageType::Connect, ser.id(), ser.to_bytes(&Value::Dict(data)).unwrap())
    }

    /// Handshake for `object`; returns the reply.
    pub fn handshake(&mut self, ser: Serializer, object: &str) -> Message {
        self.send(&Client::handshake_message(ser, object).with_seq(self.seq));
        self.receive().unwrap()
    }

    /// Connects and handshakes for "thing", asserting CONNECTOK.
    pub fn ready(addr: SocketAddr, ser: Serializer) -> Client {
        let mut client = Client::connect(addr);
        let reply = client.handshake(ser, "thing");
        assert_eq!(reply.msg_type, MessageType::ConnectOk);
        client
    }

    pub fn invoke_message(
        &mut self,
        ser: Serializer,
        object: &str,
        method: &str,
        args: Vec<Value>,
        kwargs: Dict,
    ) -> Message {
        self.seq = self.seq.wrapping_add(1);
        let data = ser.encode_call(object, method, &args, Some(&kwargs)).unwrap();
        Message::new(MessageType::Invoke, ser.id(), data).with_seq(self.seq)
    }

    /// Calls and returns the RESULT message.
    pub fn call_raw(&mut self, ser: Serializer, object: &str, method: &str, args: Vec<Value>) -> Message {
        let message = self.invoke_message(ser, object, method, args, Dict::new());
        self.send(&message);
        let reply = self.receive().unwrap();
        assert_eq!(reply.msg_type, MessageType::Result);
        assert_eq!(reply.seq, self.seq);
        assert_eq!(reply.serializer_id, ser.id());
        reply
    }

    /// Calls; `Ok(value)` or `Err(exception)`.
    pub fn call(
        &mut self,
        ser: Serializer,
        object: &str,
        method: &str,
        args: Vec<Value>,
    ) -> Result<Value, RemoteError> {
        let reply = self.call_raw(ser, object, method, args);
        let value: Value = ser.from_bytes(&reply.data).unwrap();
        if reply.flags.contains(Flags::EXCEPTION) { Err(RemoteError::from_value(&value).unwrap()) } else { Ok(value) }
    }

    /// Whether the server closed the connection (read gives EOF or reset).
    pub fn is_closed(&mut self) -> bool {
        matches!(self.receive(), Err(Error::ConnectionClosed { .. }))
    }
}

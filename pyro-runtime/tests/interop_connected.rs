//! Connected sockets with real Python Pyro5 5.17, both ways, across processes: one end of a
//! Unix socketpair made here, the other handed to a Python child as its standard input (an
//! inherited descriptor it wraps with `socket.socket(fileno=0)`).
//!
//! - A Rust [`Daemon::connected`] with Python's `Proxy("echo", connected_socket=s)`: metadata
//!   from `get_metadata` (no handshake), calls, a oneway call, an item stream, a batch, then a
//!   second proxy over the same socket, and `Pyro.Daemon` — over serpent, json and msgpack.
//! - Python's `Daemon(connected_socket=s)` with a Rust [`Proxy::connected`]: the same.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyro_runtime::daemon::Daemon;
use pyro_runtime::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply};
use pyro_runtime::proxy::Proxy;
use pyro_runtime::value::{Dict, Value};
use pyro_runtime::{Config, Error, Serializer};
use serde_json::{Value as Json, json};

/// The object both sides serve: `echo`, a oneway `notify`, `notified()` and a generator `count`.
struct Echo {
    notified: Arc<Mutex<Vec<Value>>>,
}

impl Dispatch<Echo> for Echo {
    fn metadata() -> Metadata {
        Metadata::new(["echo", "notify", "notified", "count"], ["notify"], [])
    }
    fn receiver(m: &str) -> Option<Receiver> {
        ["echo", "notify", "notified", "count"].contains(&m).then_some(Receiver::Shared)
    }
    fn invoke_shared(&self, ctx: &mut CallContext, m: &str, mut args: CallArgs) -> Result<Reply, Error> {
        match m {
            "echo" => {
                let value: Value = args.required(0, "message")?;
                args.finish()?;
                ctx.encode(&value)
            }
            "notify" => {
                let value: Value = args.required(0, "event")?;
                args.finish()?;
                self.notified.lock().unwrap().push(value);
                ctx.encode(&())
            }
            "notified" => {
                args.finish()?;
                ctx.encode(&*self.notified.lock().unwrap())
            }
            "count" => {
                let n: i64 = args.required(0, "n")?;
                args.finish()?;
                Ok(Reply::stream(0..n))
            }
            _ => Err(CallArgs::unknown_method(m)),
        }
    }
    fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> {
        Err(CallArgs::unknown_method(m))
    }
}

/// Runs `script` with `end` of the socketpair as its standard input; our copy of `end` is
/// closed once the child has it.
fn python_with_socket(script: &str, end: UnixStream, serializer: &str) -> Child {
    let mut command = pyro_interop::python().command();
    command.args(["-c", script]).env("PYRO_SERIALIZER", serializer);
    command.stdin(Stdio::from(OwnedFd::from(end))).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    drop(command);
    child
}

/// The JSON lines the child printed, and its exit status, once it ended (within a minute).
fn finish(mut child: Child) -> Vec<Json> {
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<Json> = BufReader::new(stdout).lines().map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "python failed: {stderr}\n{lines:?}");
    lines
}

const PYTHON_CLIENT: &str = r#"
import json, socket, time
import Pyro5.api
s = socket.socket(fileno=0)
def out(*a): print(json.dumps(a), flush=True)
with Pyro5.api.Proxy("echo", connected_socket=s) as p:
    out("uri", str(p._pyroUri))
    out("meta", sorted(p._pyroMethods), sorted(p._pyroOneway))
    out("echo", p.echo("hello!"))
    p.notify("event")
    out("count", list(p.count(4)))
    b = Pyro5.api.BatchProxy(p)
    b.echo(1)
    b.echo("two")
    out("batch", list(b()))
    for _ in range(100):
        if p.notified():
            break
        time.sleep(0.05)
    out("notified", p.notified())
with Pyro5.api.Proxy("echo", connected_socket=s) as p:
    out("again", p.echo("hello2!"))
with Pyro5.api.Proxy("Pyro.Daemon", connected_socket=s) as d:
    out("registered", d.registered())
    out("info", d.info())
"#;

#[test]
fn rust_daemon_python_client() {
    for serializer in ["serpent", "json", "msgpack"] {
        let (server_end, client_end) = UnixStream::pair().unwrap();
        let daemon = Daemon::builder().config(Config::default()).connected(&server_end).unwrap();
        daemon.register(Echo { notified: Arc::default() }, Some("echo")).unwrap();
        let server = std::thread::spawn(move || daemon.request_loop());
        let lines = finish(python_with_socket(PYTHON_CLIENT, client_end, serializer));
        let expected = [
            json!(["uri", "PYRO:echo@<<connected-socket>>:0"]),
            json!(["meta", ["count", "echo", "notified", "notify"], ["notify"]]),
            json!(["echo", "hello!"]),
            json!(["count", [0, 1, 2, 3]]),
            json!(["batch", [1, "two"]]),
            json!(["notified", ["event"]]),
            json!(["again", "hello2!"]),
            json!(["registered", ["Pyro.Daemon", "echo"]]),
        ];
        assert_eq!(lines[..expected.len()], expected, "{serializer}");
        let info = lines[expected.len()][1].as_str().unwrap().to_owned();
        assert!(info.contains("./u:<<not-bound>>") && info.contains("existing connection"), "{info}");
        // The child exited, closing the other end: the daemon's loop ends.
        server.join().unwrap().unwrap();
        // Our end was never shut down or closed by the daemon.
        assert!(server_end.peer_addr().is_ok());
    }
}

const PYTHON_DAEMON: &str = r#"
import json, socket
import Pyro5.api
s = socket.socket(fileno=0)

class Echo(object):
    def __init__(self):
        self.events = []
    @Pyro5.api.expose
    def echo(self, message):
        return message
    @Pyro5.api.expose
    @Pyro5.api.oneway
    def notify(self, event):
        self.events.append(event)
    @Pyro5.api.expose
    def notified(self):
        return self.events
    @Pyro5.api.expose
    def count(self, n):
        yield from range(n)

daemon = Pyro5.api.Daemon(connected_socket=s)
daemon.register(Echo(), "echo")
print(json.dumps(["location", daemon.locationStr]), flush=True)
daemon.requestLoop()
print(json.dumps(["done"]), flush=True)
"#;

#[test]
fn python_daemon_rust_client() {
    for serializer in [Serializer::Serpent, Serializer::Json, Serializer::Msgpack] {
        let (server_end, client_end) = UnixStream::pair().unwrap();
        let child = python_with_socket(PYTHON_DAEMON, server_end, serializer.name());
        let config = Config { serializer: Some(serializer), ..Config::default() };
        {
            let proxy = Proxy::connected_with_config(&client_end, "echo", &config).unwrap();
            assert_eq!(proxy.uri().to_string(), "PYRO:echo@<<connected-socket>>:0");
            let metadata = proxy.metadata().unwrap();
            assert_eq!(metadata, Metadata::new(["count", "echo", "notified", "notify"], ["notify"], []));
            assert_eq!(proxy.call::<_, String>("echo", &("hello!",)).unwrap(), "hello!");
            // Oneway (from the metadata): sent without waiting.
            let () = proxy.call("notify", &("event",)).unwrap();
            let counted: Vec<i64> = proxy.call_stream("count", &(4,)).unwrap().collect::<Result<_, _>>().unwrap();
            assert_eq!(counted, [0, 1, 2, 3]);
            let mut batch = proxy.batch();
            let one = batch.call_with::<_, i64>("echo", &(1,));
            let two = batch.call("echo", vec![Value::from("two")], Dict::new());
            batch.run().unwrap();
            assert_eq!((one.get().unwrap(), two.get().unwrap()), (1, Value::from("two")));
            let mut notified = Vec::new();
            for _ in 0..100 {
                notified = proxy.call::<_, Vec<String>>("notified", &()).unwrap();
                if !notified.is_empty() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            assert_eq!(notified, ["event"], "{serializer:?}");
        }
        // A second proxy over the same socket, after the first let go of it.
        let again = Proxy::connected_with_config(&client_end, "echo", &config).unwrap();
        assert_eq!(again.call::<_, String>("echo", &("hello2!",)).unwrap(), "hello2!");
        drop(again);
        let daemon = Proxy::connected_with_config(&client_end, "Pyro.Daemon", &config).unwrap();
        assert_eq!(daemon.call::<_, Vec<String>>("registered", &()).unwrap(), ["Pyro.Daemon", "echo"]);
        drop(daemon);
        // Closing our end ends the Python daemon's request loop.
        drop(client_end);
        let lines = finish(child);
        assert_eq!(lines, [json!(["location", "./u:<<not-bound>>"]), json!(["done"])], "{serializer:?}");
    }
}

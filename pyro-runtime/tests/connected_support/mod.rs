//! Shared by the connected-socket tests (`interop_connected`, `aio_proxy_connected`,
//! `aio_daemon_connected`): the object both sides serve, and Python Pyro5 5.17 children that
//! get one end of a Unix socketpair as their standard input (an inherited descriptor they wrap
//! with `socket.socket(fileno=0)`), as a client (`PYTHON_CLIENT`) or a daemon (`PYTHON_DAEMON`).
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};

use pyro_runtime::Error;
use pyro_runtime::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply};
use pyro_runtime::value::Value;
use serde_json::{Value as Json, json};

/// The object both sides serve: `echo`, a oneway `notify`, `notified()` and a generator `count`.
pub struct Echo {
    pub notified: Arc<Mutex<Vec<Value>>>,
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
pub fn python_with_socket(script: &str, end: UnixStream, serializer: &str) -> Child {
    let mut command = pyro_interop::python().command();
    command.args(["-c", script]).env("PYRO_SERIALIZER", serializer);
    command.stdin(Stdio::from(OwnedFd::from(end))).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    drop(command);
    child
}

/// The JSON lines the child printed, and its exit status, once it ended (within a minute).
pub fn finish(mut child: Child) -> Vec<Json> {
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<Json> = BufReader::new(stdout).lines().map(|l| serde_json::from_str(&l.unwrap()).unwrap()).collect();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "python failed: {stderr}\n{lines:?}");
    lines
}

pub const PYTHON_CLIENT: &str = r#"
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

pub const PYTHON_DAEMON: &str = r#"
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

impl Echo {
    /// An `Echo` that was not notified yet.
    pub fn new() -> Echo {
        Echo { notified: Arc::default() }
    }
}

/// Checks what [`PYTHON_CLIENT`] printed against a daemon serving [`Echo`] as `echo` over
/// `serializer`; returns what `Pyro.Daemon.info()` said.
pub fn check_python_client(lines: &[Json], serializer: &str) -> String {
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
    info
}

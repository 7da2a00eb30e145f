//! The call context against real Python Pyro5 5.17, both ways, over every serializer: a Python
//! client's annotations and correlation id seen by a Rust method (through its `&CallContext`),
//! the method's response annotations and the daemon's (`DaemonBuilder::annotations`) read by
//! Python from `current_context.response_annotations`; a Rust proxy's annotations and
//! correlation id seen by a Python method in `current_context`, and the Python method's and
//! daemon's response annotations read back in Rust; and a correlation id propagated by a Rust
//! method calling on to a Python server.
#![allow(clippy::unwrap_used)]

use pyro::current_context;
use pyro::dispatch::CallContext;
use pyro::protocol::{AnnotationId, Annotations, Flags};
use pyro::uuid::Uuid;
use pyro::{Daemon, Serializer};

const SERIALIZERS: [Serializer; 4] = [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack];

fn id(text: &str) -> AnnotationId {
    AnnotationId::try_from(text).unwrap()
}

/// What a call saw of its context (the same fields from a Rust and a Python method).
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Seen {
    seq: u16,
    flags: u16,
    serializer_id: u8,
    correlation_id: String,
    xyzz: String,
    prxy: String,
}

/// A Rust object reporting its calls' context.
pub struct Looker {
    /// A Python object `forward` calls on to.
    next: String,
}

#[pyro::expose]
impl Looker {
    /// What this call sees.
    pub fn look(&self, ctx: &CallContext) -> Seen {
        let text = |key: &str| String::from_utf8_lossy(ctx.annotations().get(id(key)).unwrap_or_default()).into_owned();
        Seen {
            seq: ctx.seq(),
            flags: ctx.flags().bits(),
            serializer_id: ctx.serializer().id(),
            correlation_id: ctx.correlation_id().map(|id| id.to_string()).unwrap_or_default(),
            xyzz: text("XYZZ"),
            prxy: text("PRXY"),
        }
    }

    /// `text`, with a response annotation (and one the daemon overrides).
    pub fn echo(&self, ctx: &mut CallContext, text: String) -> String {
        ctx.response_annotations_mut().insert(id("RESP"), b"from the rust method".to_vec());
        ctx.response_annotations_mut().insert(id("DDAA"), b"overridden".to_vec());
        text
    }

    /// The correlation id the Python object sees when this method calls it.
    pub fn forward(&self) -> Result<String, pyro::Error> {
        let proxy = pyro::proxy::Proxy::from_uri_str(&self.next)?;
        let seen: Seen = proxy.call("look", &())?;
        Ok(seen.correlation_id)
    }
}

const PYTHON_SERVER: &str = r#"
import sys, threading
from Pyro5.api import Daemon, current_context as ctx, expose

@expose
class Looker:
    def look(self):
        ctx.response_annotations = {"RESP": b"from the python method", "DDAA": b"overridden"}
        text = lambda key: bytes(ctx.annotations.get(key, b"")).decode()
        return {"seq": ctx.seq, "flags": ctx.msg_flags, "serializer_id": ctx.serializer_id,
                "correlation_id": str(ctx.correlation_id), "xyzz": text("XYZZ"), "prxy": text("PRXY")}

class AnnotatingDaemon(Daemon):
    def annotations(self):
        return {"DDAA": b"from the python daemon"}

daemon = AnnotatingDaemon(host="127.0.0.1", port=0)
print(daemon.register(Looker(), "example.context"), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

const PYTHON_CLIENT: &str = r#"
import sys, uuid
import Pyro5.api
from Pyro5.api import current_context as ctx
Pyro5.config.SERIALIZER = sys.argv[2]
ctx.correlation_id = uuid.UUID("12345678-1234-5678-1234-567812345678")
ctx.annotations = {"XYZZ": b"from python"}
show = lambda: [(key, bytes(value).decode()) for key, value in ctx.response_annotations.items()]
with Pyro5.api.Proxy(sys.argv[1]) as proxy:
    proxy._pyroBind()
    print("connect", show())
    print("look", sorted(proxy.look().items()))
    print("echo", proxy.echo("hi"), show())
    print("forward", proxy.forward())
ctx.correlation_id = None
with Pyro5.api.Proxy(sys.argv[1]) as proxy:
    seen = proxy.look()
    print("made up", seen["flags"], len(seen["correlation_id"]), seen["correlation_id"] != str(uuid.UUID(int=0)))
"#;

#[test]
fn a_python_client_and_a_rust_method() {
    let python_server = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
    let daemon = Daemon::builder()
        .host("127.0.0.1")
        .annotations(|| [(id("DDAA"), b"from the rust daemon".to_vec())].into_iter().collect())
        .bind()
        .unwrap();
    let uri = daemon.register(Looker { next: python_server.uri().to_owned() }, Some("example.context")).unwrap();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop().unwrap());
    for serializer in SERIALIZERS {
        let out = pyro_interop::python()
            .command()
            .args(["-c", PYTHON_CLIENT, &uri.to_string(), serializer.name()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{serializer}: {}", String::from_utf8_lossy(&out.stderr));
        let expected = format!(
            "connect [('DDAA', 'from the rust daemon')]\n\
             look [('correlation_id', '12345678-1234-5678-1234-567812345678'), ('flags', 64), ('prxy', ''), \
             ('seq', 1), ('serializer_id', {}), ('xyzz', 'from python')]\n\
             echo hi [('RESP', 'from the rust method'), ('DDAA', 'from the rust daemon')]\n\
             forward 12345678-1234-5678-1234-567812345678\n\
             made up 0 36 True\n",
            serializer.id()
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{serializer}");
    }
    stop.shutdown();
    server.join().unwrap();
}

#[test]
fn a_rust_proxy_and_a_python_method() {
    let python_server = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
    for serializer in SERIALIZERS {
        let correlation = Uuid::new_v4();
        let proxy = pyro::proxy::Proxy::from_uri_str(python_server.uri())
            .unwrap()
            .with_serializer(serializer)
            .with_correlation_id(Some(correlation))
            .with_annotations([(id("PRXY"), b"from the rust proxy".to_vec())].into_iter().collect());
        proxy.bind().unwrap();
        assert_eq!(
            current_context::response_annotations(),
            [(id("DDAA"), b"from the python daemon".to_vec())].into_iter().collect::<Annotations>(),
            "{serializer}: the CONNECTOK's annotations"
        );
        let thread: Annotations = [(id("XYZZ"), b"from this call".to_vec())].into_iter().collect();
        let seen: Seen = current_context::with_annotations(thread, || proxy.call("look", &())).unwrap();
        assert_eq!(
            seen,
            Seen {
                seq: 1,
                flags: Flags::CORR_ID.bits(),
                serializer_id: serializer.id(),
                correlation_id: correlation.to_string(),
                xyzz: "from this call".into(),
                prxy: "from the rust proxy".into(),
            },
            "{serializer}"
        );
        let response: Vec<(String, Vec<u8>)> = current_context::response_annotations()
            .iter()
            .map(|(id, v)| (id.as_str().to_owned(), v.to_vec()))
            .collect();
        assert_eq!(
            response,
            [
                ("RESP".to_owned(), b"from the python method".to_vec()),
                ("DDAA".into(), b"from the python daemon".to_vec())
            ],
            "{serializer}"
        );
        // The thread's correlation id, when the proxy has none.
        let plain = proxy.clone().with_correlation_id(None);
        let other = Uuid::new_v4();
        let seen: Seen = current_context::with_correlation_id(Some(other), || plain.call("look", &())).unwrap();
        assert_eq!(seen.correlation_id, other.to_string(), "{serializer}");
        assert_eq!(seen.prxy, "from the rust proxy");
    }
}

#[test]
fn a_rust_client_through_a_rust_method_to_a_python_method() {
    let python_server = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
    let daemon = Daemon::builder().host("127.0.0.1").bind().unwrap();
    let uri = daemon.register(Looker { next: python_server.uri().to_owned() }, None).unwrap();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop().unwrap());
    let correlation = Uuid::new_v4();
    let mut looker = LookerProxy::new(&uri.to_string()).unwrap();
    looker.set_correlation_id(Some(correlation));
    assert_eq!(looker.forward().unwrap(), correlation.to_string());
    stop.shutdown();
    server.join().unwrap();
}

//! The name server client against Python Pyro5 5.17's name server (`python -m Pyro5.nameserver`),
//! over every serializer: every remote method, its naming errors, `locate_ns` (direct, local
//! first, and by broadcast to a name server on all interfaces), and `PYRONAME:`/`PYROMETA:`
//! proxies calling Python objects that registered themselves with metadata. Also the name server
//! of a Pyro5 without msgpack ([`pyro_interop::python_plain`]) over serpent.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Lines};
use std::net::{TcpListener, UdpSocket};
use std::process::{Child, ChildStdout, Stdio};
use std::time::{Duration, Instant};

use pyro_runtime::naming::{NameServerProxy, locate_ns_with_config};
use pyro_runtime::proxy::Proxy;
use pyro_runtime::uri::Protocol;
use pyro_runtime::{Config, Error, Serializer, Uri};

const SERIALIZERS: [Serializer; 4] = [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack];
const TIMEOUT: Duration = Duration::from_secs(20);

/// A Python process, killed when dropped.
struct Python {
    child: Child,
}

impl Python {
    /// Starts `python <args>` in the given environment and reads its stdout until a line
    /// starting with `marker`; returns the rest of that line.
    fn start_in(
        python: &pyro_interop::Python,
        args: &[&str],
        marker: &str,
    ) -> (Python, String, Lines<BufReader<ChildStdout>>) {
        let mut child =
            python.command().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("starting Python");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut python = Python { child };
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = Vec::new();
        loop {
            match lines.next() {
                Some(Ok(line)) => match line.strip_prefix(marker) {
                    Some(rest) => return (python, rest.trim().to_owned(), lines),
                    None => seen.push(line),
                },
                other => {
                    let _ = python.child.kill();
                    panic!("Python never printed {marker:?}: {other:?} after {seen:?}");
                }
            }
        }
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Python name server on 127.0.0.1 (random port, no broadcast responder).
struct PythonNs {
    _process: Python,
    uri: Uri,
}

impl PythonNs {
    fn start() -> PythonNs {
        PythonNs::start_with(&["-n", "127.0.0.1", "-p", "0", "-x"])
    }

    fn start_with(options: &[&str]) -> PythonNs {
        PythonNs::start_in(pyro_interop::python(), options)
    }

    fn start_in(python: &pyro_interop::Python, options: &[&str]) -> PythonNs {
        let mut args = vec!["-m", "Pyro5.nameserver"];
        args.extend_from_slice(options);
        let (process, uri, _) = Python::start_in(python, &args, "URI = ");
        PythonNs { _process: process, uri: uri.parse().unwrap() }
    }

    fn port(&self) -> u16 {
        self.uri.port().unwrap()
    }

    fn config(&self, serializer: Serializer) -> Config {
        Config { serializer: Some(serializer), comm_timeout: Some(TIMEOUT), ..Config::default() }
    }

    fn client(&self, serializer: Serializer) -> NameServerProxy {
        locate_ns_with_config(Some("127.0.0.1"), Some(self.port()), &self.config(serializer)).unwrap()
    }
}

/// Python objects ("greeters") in a Pyro5 daemon, each registered in the name server under its
/// name with the metadata `kind:greeter`, `lang:en` and `id:<name>`.
const GREETERS: &str = r#"
import sys, threading
from Pyro5.api import Daemon, expose, locate_ns

@expose
class Greeter:
    def __init__(self, name):
        self.name = name

    def greet(self, who):
        return "hello %s from %s" % (who, self.name)

    def whoami(self):
        return self.name

ns_port = int(sys.argv[1])
daemon = Daemon(host="127.0.0.1", port=0)
ns = locate_ns("127.0.0.1", ns_port)
for name in sys.argv[2:]:
    uri = daemon.register(Greeter(name), name)
    ns.register(name, uri, metadata={"kind:greeter", "lang:en", "id:" + name})
ns._pyroRelease()
print("READY", daemon.locationStr, flush=True)

def watch_stdin():
    sys.stdin.read()
    daemon.shutdown()

threading.Thread(target=watch_stdin, daemon=True).start()
daemon.requestLoop()
"#;

struct Greeters {
    _process: Python,
    /// `host:port` of their daemon.
    location: String,
}

impl Greeters {
    fn start(ns: &PythonNs, names: &[&str]) -> Greeters {
        Greeters::start_in(pyro_interop::python(), ns, names)
    }

    fn start_in(python: &pyro_interop::Python, ns: &PythonNs, names: &[&str]) -> Greeters {
        let port = ns.port().to_string();
        let mut args = vec!["-c", GREETERS, port.as_str()];
        args.extend_from_slice(names);
        let (process, location, _) = Python::start_in(python, &args, "READY ");
        Greeters { _process: process, location }
    }

    fn uri(&self, name: &str) -> Uri {
        format!("PYRO:{name}@{}", self.location).parse().unwrap()
    }
}

fn tags(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|&tag| tag.to_owned()).collect()
}

/// `lookup(name, return_metadata=True)` on Python's name server over `ser`. Over marshal Pyro5
/// cannot send its `(URI, set)` answer: its marshal serializer turns only a top-level object
/// (such as a lone URI) into a dict, so the URI inside the tuple fails with `ValueError:
/// unmarshallable object`; that is checked, and `None` returned.
fn lookup_with_metadata(client: &NameServerProxy, ser: Serializer, name: &str) -> Option<(Uri, BTreeSet<String>)> {
    let result = client.lookup_with_metadata(name);
    if ser == Serializer::Marshal {
        let err = result.expect_err("Pyro5 cannot send a URI in a tuple over marshal");
        assert_eq!(err.python_class(), "builtins.ValueError", "{err}");
        assert!(err.to_string().contains("unmarshallable object"), "{err}");
        return None;
    }
    Some(result.unwrap())
}

/// What [`lookup_with_metadata`] gives over `ser`: `found`, or nothing over marshal.
fn over<T>(ser: Serializer, found: T) -> Option<T> {
    (ser != Serializer::Marshal).then_some(found)
}

fn naming_message(err: &Error) -> &str {
    match err {
        Error::Naming { message } => message,
        other => panic!("expected Error::Naming, got {other:?}"),
    }
}

#[test]
fn lookup_count_and_ping() {
    let ns = PythonNs::start();
    for ser in SERIALIZERS {
        let client = ns.client(ser);
        assert_eq!(client.proxy().open_connections(), 1, "locate_ns with a host binds");
        client.ping().unwrap();
        assert_eq!(client.count().unwrap(), 1, "{ser}: only the name server itself");
        assert_eq!(client.lookup("Pyro.NameServer").unwrap(), ns.uri, "{ser}");
        let found = lookup_with_metadata(&client, ser, "Pyro.NameServer");
        assert_eq!(found, over(ser, (ns.uri.clone(), tags(&["class:Pyro5.nameserver.NameServer"]))), "{ser}");
    }
}

#[test]
fn register_list_and_remove() {
    let ns = PythonNs::start();
    for ser in SERIALIZERS {
        let client = ns.client(ser);
        let p = ser.name();
        let uri = |n: u16| Uri::pyro(format!("obj{n}"), "127.0.0.1", 5000 + n).unwrap();
        client.register(&format!("{p}.a"), &uri(1), false, Some(&tags(&["red", "round"]))).unwrap();
        client.register(&format!("{p}.b"), &uri(2), true, Some(&tags(&["red"]))).unwrap();
        client.register(&format!("{p}.c.x"), &uri(3), false, Some(&tags(&["blue"]))).unwrap();
        client.register(&format!("{p}.plain"), &uri(4), false, None).unwrap();

        assert_eq!(client.lookup(&format!("{p}.a")).unwrap(), uri(1), "{ser}");
        let found = lookup_with_metadata(&client, ser, &format!("{p}.b"));
        assert_eq!(found, over(ser, (uri(2), tags(&["red"]))), "{ser}");
        let found = lookup_with_metadata(&client, ser, &format!("{p}.plain"));
        assert_eq!(found, over(ser, (uri(4), BTreeSet::new())), "{ser}");

        let all = client.list(None, None).unwrap();
        assert_eq!(all.get("Pyro.NameServer"), Some(&ns.uri), "{ser}");
        assert_eq!(all.get(&format!("{p}.c.x")), Some(&uri(3)), "{ser}");
        let prefixed = client.list(Some(&format!("{p}.")), None).unwrap();
        let expected: BTreeMap<String, Uri> =
            [("a", 1), ("b", 2), ("c.x", 3), ("plain", 4)].map(|(n, i)| (format!("{p}.{n}"), uri(i))).into();
        assert_eq!(prefixed, expected, "{ser}");
        let matched = client.list(None, Some(&format!(r"{p}\.[ab]$"))).unwrap();
        assert_eq!(matched.keys().collect::<Vec<_>>(), [&format!("{p}.a"), &format!("{p}.b")], "{ser}");
        // Only names registered with metadata: Python's name server cannot send the frozenset()
        // it stores for "plain" over json or msgpack.
        let with_meta = client.list_with_metadata(None, Some(&format!(r"{p}\.[abc]"))).unwrap();
        assert_eq!(with_meta.len(), 3, "{ser}: {with_meta:?}");
        assert_eq!(with_meta[&format!("{p}.a")], (uri(1), tags(&["red", "round"])), "{ser}");
        // With "plain" too: serpent (as `()`) and marshal carry the empty frozenset.
        let everything = client.list_with_metadata(Some(&format!("{p}.")), None);
        match ser {
            Serializer::Serpent | Serializer::Marshal => {
                let everything = everything.unwrap();
                assert_eq!(everything[&format!("{p}.plain")], (uri(4), BTreeSet::new()), "{ser}");
            }
            _ => assert_eq!(everything.unwrap_err().python_class(), "Pyro5.errors.SerializeError", "{ser}"),
        }

        assert_eq!(client.remove(Some(&format!("{p}.a")), None, None).unwrap(), 1, "{ser}");
        assert_eq!(client.remove(Some(&format!("{p}.a")), None, None).unwrap(), 0, "{ser}");
        assert_eq!(client.remove(None, None, Some(&format!(r"{p}\.c"))).unwrap(), 1, "{ser}");
        assert_eq!(client.remove(None, Some(&format!("{p}.")), None).unwrap(), 2, "{ser}");
        assert_eq!(client.remove(Some("Pyro.NameServer"), None, None).unwrap(), 0, "never removes itself");
        assert_eq!(client.remove(None, Some("Pyro."), None).unwrap(), 0, "never removes itself");
        assert_eq!(client.count().unwrap(), 1, "{ser}");
    }
}

#[test]
fn yellow_pages_and_metadata_updates() {
    let ns = PythonNs::start();
    for ser in SERIALIZERS {
        let client = ns.client(ser);
        let p = ser.name();
        let uri = |n: u16| Uri::pyro(format!("obj{n}"), "127.0.0.1", 6000 + n).unwrap();
        let (red, blue) = (format!("{p}-red"), format!("{p}-blue"));
        client.register(&format!("{p}.a"), &uri(1), false, Some(&tags(&[&red, "round"]))).unwrap();
        client.register(&format!("{p}.b"), &uri(2), false, Some(&tags(&[&red]))).unwrap();
        client.register(&format!("{p}.c"), &uri(3), false, Some(&tags(&[&blue, "round"]))).unwrap();

        let found = client.yplookup(&[&red, "round"], &[]).unwrap();
        assert_eq!(found, BTreeMap::from([(format!("{p}.a"), uri(1))]), "{ser}");
        let found = client.yplookup(&[], &[&red, &blue]).unwrap();
        assert_eq!(found.len(), 3, "{ser}: {found:?}");
        let found = client.yplookup_with_metadata(&[&blue], &[]).unwrap();
        assert_eq!(found, BTreeMap::from([(format!("{p}.c"), (uri(3), tags(&[&blue, "round"])))]), "{ser}");
        assert!(client.yplookup(&[], &[]).unwrap().is_empty(), "{ser}: no criteria finds nothing");
        assert!(client.yplookup(&["no-such-tag"], &[]).unwrap().is_empty(), "{ser}");

        client.set_metadata(&format!("{p}.b"), Some(&tags(&[&blue]))).unwrap();
        assert_eq!(client.yplookup(&[&blue], &[]).unwrap().len(), 2, "{ser}");
        let found = lookup_with_metadata(&client, ser, &format!("{p}.b"));
        assert_eq!(found.map(|(_, meta)| meta), over(ser, tags(&[&blue])), "{ser}");
        client.set_metadata(&format!("{p}.b"), None).unwrap();
        let found = lookup_with_metadata(&client, ser, &format!("{p}.b"));
        assert_eq!(found.map(|(_, meta)| meta), over(ser, BTreeSet::new()), "{ser}");
    }
}

#[test]
fn naming_errors_and_other_exceptions() {
    let ns = PythonNs::start();
    for ser in SERIALIZERS {
        let client = ns.client(ser);
        let err = client.lookup("no.such.name").unwrap_err();
        assert_eq!(naming_message(&err), "unknown name: no.such.name", "{ser}");
        assert_eq!(err.python_class(), "Pyro5.errors.NamingError");
        let err = client.lookup_with_metadata("no.such.name").unwrap_err();
        assert_eq!(naming_message(&err), "unknown name: no.such.name", "{ser}");

        let name = format!("{ser}.taken");
        let uri = Uri::pyro("x", "127.0.0.1", 7000).unwrap();
        client.register(&name, &uri, true, None).unwrap();
        let err = client.register(&name, &uri, true, None).unwrap_err();
        assert_eq!(naming_message(&err), format!("name already registered: {name}"), "{ser}");
        client.register(&name, &uri, false, None).unwrap(); // not safe: replaces

        let err = client.set_metadata("no.such.name", None).unwrap_err();
        assert_eq!(naming_message(&err), "unknown name: no.such.name", "{ser}");
        let err = client.list(None, Some("(")).unwrap_err();
        assert!(naming_message(&err).starts_with("invalid regex: "), "{ser}: {err}");

        // Not naming errors: stay remote exceptions.
        let err = client.list(Some("a"), Some("b")).unwrap_err();
        assert_eq!(err.python_class(), "builtins.ValueError", "{ser}: {err}");
        let err = client.yplookup(&["a"], &["b"]).unwrap_err();
        assert_eq!(err.python_class(), "builtins.ValueError", "{ser}: {err}");
        // The connection survives all of these.
        client.ping().unwrap();
        assert_eq!(client.proxy().open_connections(), 1);
    }
}

#[test]
fn locate_ns_directly_and_locally_first() {
    let ns = PythonNs::start();
    // With a host and port: that name server, connected.
    let client = locate_ns_with_config(Some("127.0.0.1"), Some(ns.port()), &Config::default()).unwrap();
    assert_eq!(client.uri(), &ns.uri);
    assert_eq!(client.proxy().open_connections(), 1);
    // Without a host, a local NS_HOST is tried first (no broadcast, so no 0.7 s wait).
    let config = Config { ns_host: "127.0.0.1".into(), ns_port: ns.port(), ..Config::default() };
    let started = Instant::now();
    let client = locate_ns_with_config(None, None, &config).unwrap();
    assert!(started.elapsed() < Duration::from_millis(600), "{:?}", started.elapsed());
    assert_eq!(client.uri(), &ns.uri);
    client.ping().unwrap();
    // Without a host, a port is the name server's port for the local attempt (and the
    // broadcast port for the broadcast), as in Pyro5.
    assert_eq!(locate_ns_with_config(None, Some(ns.port()), &config).unwrap().uri(), &ns.uri);
    // Nothing there.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = locate_ns_with_config(Some("127.0.0.1"), Some(closed), &config).unwrap_err();
    assert!(naming_message(&err).starts_with("Failed to locate the nameserver"), "{err}");
}

#[test]
fn broadcast_finds_a_name_server_on_all_interfaces() {
    let bcport = UdpSocket::bind("0.0.0.0:0").unwrap().local_addr().unwrap().port().to_string();
    let ns = PythonNs::start_with(&["-n", "0.0.0.0", "-p", "0", "--bcport", &bcport]);
    assert_eq!(ns.uri.host(), Some("0.0.0.0"));
    // NS_HOST is not local, so locate_ns broadcasts right away, to the default
    // BROADCAST_ADDRS ("<broadcast>" and "0.0.0.0").
    let config = Config { ns_host: "ns.invalid".into(), comm_timeout: Some(TIMEOUT), ..Config::default() };
    let client = locate_ns_with_config(None, Some(bcport.parse().unwrap()), &config).unwrap();
    assert_eq!(client.uri().object(), "Pyro.NameServer");
    assert_eq!(client.uri().port(), ns.uri.port());
    assert_ne!(client.uri().host(), Some("0.0.0.0"), "the responder puts in the interface address");
    client.ping().unwrap();
    assert_eq!(client.count().unwrap(), 1);
}

#[test]
fn pyroname_proxies_call_python_objects() {
    let ns = PythonNs::start();
    let greeters = Greeters::start(&ns, &["g1", "g2"]);
    for ser in SERIALIZERS {
        let config = ns.config(ser);
        let uri: Uri = format!("PYRONAME:g1@127.0.0.1:{}", ns.port()).parse().unwrap();
        let proxy = Proxy::with_config(uri.clone(), &config);
        assert_eq!(proxy.resolved_uri(), None);
        let text: String = proxy.call("greet", &("bob",)).unwrap();
        assert_eq!(text, "hello bob from g1", "{ser}");
        assert_eq!(proxy.uri(), &uri, "the proxy keeps its PYRONAME uri");
        assert_eq!(proxy.resolved_uri(), Some(greeters.uri("g1")), "{ser}");
        assert!(proxy.metadata().unwrap().methods.contains("whoami"));

        let missing = Proxy::with_config(format!("PYRONAME:nope@127.0.0.1:{}", ns.port()).parse().unwrap(), &config);
        let err = missing.call::<_, String>("whoami", &()).unwrap_err();
        assert_eq!(naming_message(&err), "unknown name: nope", "{ser}");
        assert_eq!(missing.open_connections(), 0);
    }
}

#[test]
fn pyroname_is_resolved_again_on_reconnect() {
    let ns = PythonNs::start();
    let greeters = Greeters::start(&ns, &["g1", "g2"]);
    let client = ns.client(Serializer::Msgpack);
    client.register("moving", &greeters.uri("g1"), false, None).unwrap();
    let proxy = Proxy::with_config(
        format!("PYRONAME:moving@127.0.0.1:{}", ns.port()).parse().unwrap(),
        &ns.config(Serializer::Json),
    );
    assert_eq!(proxy.call::<_, String>("whoami", &()).unwrap(), "g1");
    // Re-registered elsewhere: the open connection still goes to g1 ...
    client.register("moving", &greeters.uri("g2"), false, None).unwrap();
    assert_eq!(proxy.call::<_, String>("whoami", &()).unwrap(), "g1");
    // ... and a new connection resolves the name again.
    proxy.release();
    assert_eq!(proxy.call::<_, String>("whoami", &()).unwrap(), "g2");
    assert_eq!(proxy.resolved_uri(), Some(greeters.uri("g2")));
    // bind() resolves too.
    client.register("moving", &greeters.uri("g1"), false, None).unwrap();
    proxy.release();
    proxy.bind().unwrap();
    assert_eq!(proxy.resolved_uri(), Some(greeters.uri("g1")));
}

#[test]
fn pyrometa_proxies_pick_among_the_matching_registrations() {
    let ns = PythonNs::start();
    let greeters = Greeters::start(&ns, &["g1", "g2", "g3"]);
    for ser in SERIALIZERS {
        let config = ns.config(ser);
        let meta = |tags: &str| -> Uri { format!("PYROMETA:{tags}@127.0.0.1:{}", ns.port()).parse().unwrap() };

        let only_g2 = Proxy::with_config(meta("id:g2,kind:greeter"), &config);
        assert_eq!(only_g2.call::<_, String>("greet", &("ann",)).unwrap(), "hello ann from g2", "{ser}");
        assert_eq!(only_g2.resolved_uri(), Some(greeters.uri("g2")));
        assert_eq!(only_g2.uri().protocol(), Protocol::PyroMeta);

        let mut seen = BTreeSet::new();
        for _ in 0..30 {
            let any = Proxy::with_config(meta("kind:greeter,lang:en"), &config);
            seen.insert(any.call::<_, String>("whoami", &()).unwrap_or_else(|e| panic!("{ser}: {e}")));
        }
        assert!(seen.len() >= 2, "{ser}: always the same pick: {seen:?}");
        assert!(seen.iter().all(|name| ["g1", "g2", "g3"].contains(&name.as_str())), "{seen:?}");

        let nobody = Proxy::with_config(meta("kind:greeter,lang:fr"), &config);
        let err = nobody.call::<_, String>("whoami", &()).unwrap_err();
        let message = naming_message(&err);
        assert!(
            message.starts_with("no registrations available with desired metadata properties {"),
            "{ser}: {message}"
        );
        assert!(message.contains("'lang:fr'") && message.contains("'kind:greeter'"), "{message}");
    }
}

/// The name server of a stock Pyro5 without msgpack (`python -m Pyro5.nameserver`), with objects
/// of that Pyro5 registered in it (over its default serpent), used by Rust with an explicit
/// serpent: every kind of lookup, registrations without metadata (an empty `frozenset` that
/// serpent sends as `()`), `PYRONAME:` and `PYROMETA:` proxies; msgpack is refused.
#[test]
fn plain_python_name_server_over_serpent() {
    let plain = pyro_interop::python_plain();
    let ns = PythonNs::start_in(plain, &["-n", "127.0.0.1", "-p", "0", "-x"]);
    let greeters = Greeters::start_in(plain, &ns, &["g1", "g2"]);
    let client = ns.client(Serializer::Serpent);
    assert_eq!(client.count().unwrap(), 3);
    assert_eq!(client.lookup("g1").unwrap(), greeters.uri("g1"));
    let (uri, meta) = client.lookup_with_metadata("g2").unwrap();
    assert_eq!((uri, meta), (greeters.uri("g2"), tags(&["kind:greeter", "lang:en", "id:g2"])));
    let plain_uri = Uri::pyro("plain", "127.0.0.1", 5000).unwrap();
    client.register("plain", &plain_uri, true, None).unwrap();
    let with_meta = client.list_with_metadata(None, None).unwrap();
    assert_eq!(with_meta["plain"], (plain_uri, BTreeSet::new()), "{with_meta:?}");
    assert_eq!(client.list(Some("g"), None).unwrap().len(), 2);
    assert_eq!(client.yplookup(&["id:g1"], &[]).unwrap(), BTreeMap::from([("g1".to_string(), greeters.uri("g1"))]));
    assert_eq!(client.remove(Some("plain"), None, None).unwrap(), 1);
    let err = client.lookup("plain").unwrap_err();
    assert_eq!(naming_message(&err), "unknown name: plain");

    let config = ns.config(Serializer::Serpent);
    let by_name = Proxy::with_config(format!("PYRONAME:g1@127.0.0.1:{}", ns.port()).parse().unwrap(), &config);
    assert_eq!(by_name.call::<_, String>("greet", &("bob",)).unwrap(), "hello bob from g1");
    let by_meta = Proxy::with_config(format!("PYROMETA:id:g2@127.0.0.1:{}", ns.port()).parse().unwrap(), &config);
    assert_eq!(by_meta.call::<_, String>("whoami", &()).unwrap(), "g2");

    let config = Config { serializer: Some(Serializer::Msgpack), comm_timeout: Some(TIMEOUT), ..Config::default() };
    // That Pyro5 has no serializer 4: its handshake fails before it can answer, and it closes.
    let err = locate_ns_with_config(Some("127.0.0.1"), Some(ns.port()), &config).unwrap_err();
    assert!(err.to_string().contains("connection closed while connecting"), "msgpack: {err}");
}

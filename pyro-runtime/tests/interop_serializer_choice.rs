//! The proxy's default serializer choice against real Python Pyro5 5.17 daemons: with no
//! serializer configured a proxy speaks msgpack, and falls back to serpent when the daemon is a
//! plain `pip install Pyro5` without msgpack (which closes a msgpack handshake without a reply);
//! a pinned serializer never falls back. `SERPENT_BYTES_REPR` changes what a proxy writes.

#![allow(clippy::unwrap_used)]

use pyro_runtime::proxy::Proxy;
use pyro_runtime::serializer::Serializer;
use pyro_runtime::value::Value;
use pyro_runtime::{Config, Error, Uri};

/// Echoes what it gets and says which serializer the call came in and the argument's type.
const SERVER: &str = r#"
import sys, threading
from Pyro5.api import Daemon, expose, current_context
import Pyro5.serializers

@expose
class Thing:
    def echo(self, value):
        return value

    def seen(self, value):
        return [Pyro5.serializers.serializers_by_id[current_context.serializer_id].serializer_id, type(value).__name__]

daemon = Daemon(host="127.0.0.1", port=0)
print(daemon.register(Thing(), "thing"), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

/// The server above, in `python`'s environment, with its URI parsed.
fn start(python: &pyro_interop::Python) -> (pyro_interop::PythonServer, Uri) {
    let server = pyro_interop::PythonServer::start(python, SERVER);
    let uri = server.uri().parse().unwrap();
    (server, uri)
}

fn default_proxy(uri: &Uri) -> Proxy {
    Proxy::with_config(uri.clone(), &Config::default())
}

#[test]
fn a_default_proxy_falls_back_to_serpent_for_a_daemon_without_msgpack() {
    let (_server, uri) = start(pyro_interop::python_plain());
    let proxy = default_proxy(&uri);
    assert_eq!(proxy.serializer(), Serializer::Msgpack, "before connecting");
    let echoed: (i64, String) = proxy.call("echo", &((7, "seven"),)).unwrap();
    assert_eq!(echoed, (7, "seven".to_owned()));
    assert_eq!(proxy.serializer(), Serializer::Serpent);
    let seen: (u8, String) = proxy.call("seen", &(1,)).unwrap();
    assert_eq!(seen, (1, "int".to_owned()));
    // Later connections (a second one in the pool, a clone) go straight to serpent.
    let copy = proxy.clone();
    let _: Value = copy.call("echo", &(1,)).unwrap();
    assert_eq!(copy.serializer(), Serializer::Serpent);
}

#[test]
fn a_default_proxy_stays_on_msgpack_where_the_daemon_has_it() {
    let (_server, uri) = start(pyro_interop::python());
    let proxy = default_proxy(&uri);
    let seen: (u8, String) = proxy.call("seen", &(1,)).unwrap();
    assert_eq!(seen, (4, "int".to_owned()));
    assert_eq!(proxy.serializer(), Serializer::Msgpack);
}

#[test]
fn a_pinned_serializer_does_not_fall_back() {
    let (_server, uri) = start(pyro_interop::python_plain());
    let config = Config { serializer: Some(Serializer::Msgpack), max_retries: 0, ..Config::default() };
    let proxy = Proxy::with_config(uri.clone(), &config);
    let err = proxy.call::<_, Value>("echo", &(1,)).unwrap_err();
    assert!(matches!(err, Error::ConnectionClosed { .. }), "{err}");
    for serializer in [Serializer::Serpent, Serializer::Marshal, Serializer::Json] {
        let proxy = default_proxy(&uri).with_serializer(serializer);
        let seen: (u8, String) = proxy.call("seen", &(1,)).unwrap();
        assert_eq!(seen, (serializer.id(), "int".to_owned()), "{serializer}");
    }
}

#[test]
fn serpent_bytes_repr_sends_bytes_as_bytes() {
    let (_server, uri) = start(pyro_interop::python_plain());
    let bytes = serde_bytes::Bytes::new(b"raw");
    let plain = default_proxy(&uri).with_serializer(Serializer::Serpent);
    let seen: (u8, String) = plain.call("seen", &(bytes,)).unwrap();
    assert_eq!(seen.1, "dict", "serpent's default: the base64 dict");
    let config = Config { serializer: Some(Serializer::Serpent), serpent_bytes_repr: true, ..Config::default() };
    let repr = Proxy::with_config(uri.clone(), &config);
    let seen: (u8, String) = repr.call("seen", &(bytes,)).unwrap();
    assert_eq!(seen.1, "bytes");
}

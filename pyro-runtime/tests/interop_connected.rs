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

mod connected_support;

use std::os::unix::net::UnixStream;
use std::time::Duration;

use connected_support::{Echo, PYTHON_CLIENT, PYTHON_DAEMON, check_python_client, finish, python_with_socket};
use pyro_runtime::daemon::Daemon;
use pyro_runtime::dispatch::Metadata;
use pyro_runtime::proxy::Proxy;
use pyro_runtime::value::{Dict, Value};
use pyro_runtime::{Config, Serializer};
use serde_json::json;

#[test]
fn rust_daemon_python_client() {
    for serializer in ["serpent", "json", "msgpack"] {
        let (server_end, client_end) = UnixStream::pair().unwrap();
        let daemon = Daemon::builder().config(Config::default()).connected(&server_end).unwrap();
        daemon.register(Echo::new(), Some("echo")).unwrap();
        let server = std::thread::spawn(move || daemon.request_loop());
        let lines = finish(python_with_socket(PYTHON_CLIENT, client_end, serializer));
        check_python_client(&lines, serializer);
        // The child exited, closing the other end: the daemon's loop ends.
        server.join().unwrap().unwrap();
        // Our end was never shut down or closed by the daemon.
        assert!(server_end.peer_addr().is_ok());
    }
}

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

//! The proxy against pyro's own daemon: its `Pyro.Daemon` object over TCP and over a Unix
//! domain socket (path and, on Linux, abstract name).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use pyro_runtime::proxy::Proxy;
use pyro_runtime::serializer::Serializer;
use pyro_runtime::{Daemon, Uri};

/// Runs the daemon's request loop in a thread; shuts it down when dropped.
struct Running {
    daemon: Arc<Daemon>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    fn start(daemon: Daemon) -> Running {
        let daemon = Arc::new(daemon);
        let looping = Arc::clone(&daemon);
        let thread = std::thread::spawn(move || looping.request_loop().unwrap());
        Running { daemon, thread: Some(thread) }
    }

    fn daemon_uri(&self) -> Uri {
        self.daemon.uri_for("Pyro.Daemon").unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.daemon.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn check_daemon_object(uri: Uri) {
    for ser in [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack] {
        let proxy = Proxy::new(uri.clone()).with_serializer(ser).with_timeout(Some(std::time::Duration::from_secs(10)));
        let () = proxy.call("ping", &()).unwrap();
        let registered: Vec<String> = proxy.call("registered", &()).unwrap();
        assert_eq!(registered, ["Pyro.Daemon"], "{ser}");
        assert!(proxy.metadata().unwrap().methods.contains("get_metadata"));
        proxy.ping().unwrap();
        let err = proxy.call::<_, pyro_runtime::Value>("get_metadata", &("nope",)).unwrap_err();
        assert_eq!(err.python_class(), "Pyro5.errors.DaemonError", "{ser}: {err}");
        // A result of the wrong type names the call it came from.
        let err = proxy.call::<_, Vec<String>>("ping", &()).unwrap_err();
        assert!(
            err.to_string().contains("the result of 'ping' does not fit Vec<String>: expected list, got NoneType"),
            "{ser}: {err}"
        );
        assert_eq!(err.python_class(), "Pyro5.errors.SerializeError", "{ser}: {err}");
    }
}

#[test]
fn tcp() {
    let running = Running::start(Daemon::bind("127.0.0.1", 0).unwrap());
    check_daemon_object(running.daemon_uri());
}

#[cfg(unix)]
#[test]
fn unix_socket_path() {
    let dir = std::env::temp_dir().join(format!("pyro-proxy-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("daemon.sock");
    let _ = std::fs::remove_file(&path);
    let running = Running::start(Daemon::bind_unix(path.to_str().unwrap()).unwrap());
    check_daemon_object(running.daemon_uri());
    drop(running);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(target_os = "linux")]
#[test]
fn unix_abstract_socket() {
    let name = format!("\0pyro-proxy-abstract-{}", std::process::id());
    let running = Running::start(Daemon::bind_unix(&name).unwrap());
    check_daemon_object(running.daemon_uri());
}

//! Callbacks between Rust peers: a client serves an object of its own and passes its proxy to a
//! server, which calls it back; `#[pyro::callback]` failures are reported on the callback side;
//! a callback into an object busy with a `&mut self` method making the outgoing call is refused
//! instead of deadlocking.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use pyro::daemon::{Daemon, DaemonBuilder};
use pyro::dispatch::CallbackError;

/// What a client serves for the server to call.
pub struct Handler {
    done: AtomicUsize,
}

#[pyro::expose]
impl Handler {
    /// Counts finished work.
    pub fn done(&self, number: u32) -> u32 {
        self.done.fetch_add(1, Ordering::SeqCst);
        number
    }

    /// Fails; not a callback: only the caller sees it.
    pub fn call1(&self) -> Result<i64, String> {
        Err("crash in call1".into())
    }

    /// Fails; a callback: the caller sees it and so does this side.
    #[pyro::callback]
    pub fn call2(&self) -> Result<i64, String> {
        Err("crash in call2".into())
    }

    /// Panics; a callback.
    #[pyro::callback]
    pub fn call3(&self) -> i64 {
        panic!("panic in call3")
    }
}

/// An object whose `&mut self` method calls out, and is called back meanwhile.
pub struct Worker {
    runs: u32,
}

#[pyro::expose]
impl Worker {
    /// Asks the server to call `me` back while this method runs.
    pub fn work(&mut self, server: ServerProxy, me: WorkerProxy) -> Result<String, String> {
        self.runs += 1;
        server.poke(me).map_err(|e| e.to_string())
    }

    /// What the server calls back.
    pub fn poked(&mut self) -> u32 {
        self.runs
    }
}

/// The server.
pub struct Server;

#[pyro::expose]
impl Server {
    /// Calls the handler's methods and says how each went.
    pub fn do_callbacks(&self, handler: HandlerProxy) -> Vec<String> {
        let outcome = |result: pyro::Result<i64>| match result {
            Ok(n) => n.to_string(),
            Err(e) => e.to_string(),
        };
        vec![
            handler.done(7).unwrap().to_string(),
            outcome(handler.call1()),
            outcome(handler.call2()),
            outcome(handler.call3()),
        ]
    }

    /// Calls `worker.poked()` and tells what came of it.
    pub fn poke(&self, worker: WorkerProxy) -> String {
        match worker.poked() {
            Ok(n) => format!("poked {n}"),
            Err(e) => e.to_string(),
        }
    }
}

fn start(builder: DaemonBuilder) -> Arc<Daemon> {
    let daemon = Arc::new(builder.host("127.0.0.1").bind().unwrap());
    let serving = Arc::clone(&daemon);
    std::thread::spawn(move || serving.request_loop());
    daemon
}

fn server() -> (Arc<Daemon>, ServerProxy) {
    let daemon = start(Daemon::builder());
    let uri = daemon.register(Server, Some("server")).unwrap();
    (daemon, ServerProxy::new(&uri.to_string()).unwrap())
}

fn client_daemon() -> (Arc<Daemon>, Receiver<CallbackError>) {
    let (tx, rx) = channel();
    let tx = std::sync::Mutex::new(tx);
    let daemon = start(Daemon::builder().on_callback_error(move |error| {
        let _ = tx.lock().unwrap().send(error.clone());
    }));
    (daemon, rx)
}

#[test]
fn the_server_calls_the_clients_object_back() {
    let (server_daemon, server) = server();
    let (client, errors) = client_daemon();
    client.register(Handler { done: AtomicUsize::new(0) }, Some("handler")).unwrap();
    let handler = HandlerProxy::from(client.proxy_for("handler").unwrap());
    let outcomes = server.do_callbacks(handler).unwrap();
    assert_eq!(outcomes[0], "7");
    assert!(outcomes[1].contains("crash in call1"), "{outcomes:?}");
    assert!(outcomes[2].contains("crash in call2"), "{outcomes:?}");
    assert!(outcomes[3].contains("panic in call3"), "{outcomes:?}");
    // Only the callbacks were reported on the client's side.
    let first = errors.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(first.method, "call2");
    assert_eq!(first.error.class, "builtins.RuntimeError");
    assert_eq!(first.to_string(), "exception in callback method 'call2': builtins.RuntimeError: crash in call2");
    let second = errors.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(second.method, "call3");
    assert!(second.error.to_string().contains("panic in call3"), "{second}");
    assert!(errors.recv_timeout(Duration::from_millis(200)).is_err());
    server_daemon.shutdown();
    client.shutdown();
}

#[test]
fn a_callback_into_a_busy_object_is_refused_instead_of_deadlocking() {
    let (server_daemon, server) = server();
    let (client, _errors) = client_daemon();
    client.register(Worker { runs: 0 }, Some("worker")).unwrap();
    let worker = WorkerProxy::from(client.proxy_for("worker").unwrap());
    let me = worker.clone();
    let started = std::time::Instant::now();
    let outcome = worker.work(server.clone(), me).unwrap();
    assert!(outcome.contains("object is busy"), "{outcome}");
    assert!(outcome.contains("Pyro5.errors.PyroError"), "{outcome}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // Not busy any more: the same call from outside works.
    assert_eq!(server.poke(worker.clone()).unwrap(), "poked 1");
    server_daemon.shutdown();
    client.shutdown();
}

/// Instances of a registered class are served like registered objects: the busy rule and
/// `#[pyro::callback]` reporting hold for them too.
#[test]
fn class_instances_follow_the_busy_rule_and_report_callbacks() {
    use pyro::daemon::InstanceMode;
    let (server_daemon, server) = server();
    let (client, errors) = client_daemon();
    client.register_class_with(InstanceMode::Single, |_| Worker { runs: 0 }, Some("worker")).unwrap();
    client
        .register_class_with(InstanceMode::Session, |_| Handler { done: AtomicUsize::new(0) }, Some("handler"))
        .unwrap();
    let worker = WorkerProxy::from(client.proxy_for("worker").unwrap());
    let outcome = worker.work(server.clone(), worker.clone()).unwrap();
    assert!(outcome.contains("object is busy"), "{outcome}");
    assert_eq!(server.poke(worker.clone()).unwrap(), "poked 1");
    let handler = HandlerProxy::from(client.proxy_for("handler").unwrap());
    let outcomes = server.do_callbacks(handler).unwrap();
    assert!(outcomes[2].contains("crash in call2"), "{outcomes:?}");
    assert_eq!(errors.recv_timeout(Duration::from_secs(5)).unwrap().method, "call2");
    assert_eq!(errors.recv_timeout(Duration::from_secs(5)).unwrap().method, "call3");
    server_daemon.shutdown();
    client.shutdown();
}

//! Callbacks through async proxies: a `&mut self` method that calls out with an async proxy
//! (blocking on it) is called back meanwhile, by an async method of a server on the async
//! daemon; the callback is refused at once instead of deadlocking, as for a blocking proxy
//! (`tests/callbacks.rs`).
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use pyro::{Daemon, aio};

/// An object whose `&mut self` method calls out through an async proxy, and is called back
/// meanwhile.
pub struct Worker {
    runs: u32,
}

#[pyro::expose]
impl Worker {
    /// Asks the server at `server` to call `me` back while this method runs: an async call,
    /// waited for on a runtime of this thread's own (the method keeps the object meanwhile).
    pub fn work(&mut self, server: String, me: WorkerProxy) -> Result<String, String> {
        self.runs += 1;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        let mut server = ServerProxyAsync::new(&server).map_err(|e| e.to_string())?;
        // Without the busy rule this call would wait for the callback, which waits for this
        // method: it would end only by this timeout.
        server.proxy_mut().set_timeout(Some(Duration::from_secs(3)));
        runtime.block_on(server.poke(WorkerProxyAsync::from(me))).map_err(|e| e.to_string())
    }

    /// What the server calls back.
    pub fn poked(&mut self) -> u32 {
        self.runs
    }
}

/// The server, on the async daemon.
pub struct Server;

#[pyro::expose]
impl Server {
    /// Calls `worker.poked()` through an async proxy and tells what came of it.
    pub async fn poke(&self, worker: WorkerProxyAsync) -> String {
        match worker.poked().await {
            Ok(n) => format!("poked {n}"),
            Err(e) => e.to_string(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_into_an_object_busy_with_an_async_call_is_refused_instead_of_deadlocking() {
    let server_daemon = aio::Daemon::new(Daemon::builder().host("127.0.0.1").bind().unwrap());
    let server_uri = server_daemon.register(Server, Some("server")).unwrap().to_string();
    let server_shutdown = server_daemon.shutdown_handle();
    let serving = tokio::spawn(async move { server_daemon.serve().await });
    let client = std::sync::Arc::new(Daemon::builder().host("127.0.0.1").bind().unwrap());
    client.register(Worker { runs: 0 }, Some("worker")).unwrap();
    let client_loop = {
        let client = std::sync::Arc::clone(&client);
        std::thread::spawn(move || client.request_loop())
    };
    let worker = WorkerProxy::from(client.proxy_for("worker").unwrap());
    let uri = server_uri.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let outcome = worker.work(uri, worker.clone()).unwrap();
        (outcome, started.elapsed())
    })
    .await
    .unwrap();
    let (outcome, took) = outcome;
    assert!(outcome.contains("object is busy"), "{outcome}");
    assert!(outcome.contains("Pyro5.errors.PyroError"), "{outcome}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    // Not busy any more: the same call from outside works.
    let server = ServerProxyAsync::new(&server_uri).unwrap();
    let worker = WorkerProxyAsync::from(WorkerProxy::from(client.proxy_for("worker").unwrap()));
    assert_eq!(server.poke(worker).await.unwrap(), "poked 1");
    server_shutdown.shutdown();
    serving.await.unwrap().unwrap();
    client.shutdown();
    client_loop.join().unwrap().unwrap();
}

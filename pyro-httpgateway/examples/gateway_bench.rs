//! Requests per second through our gateway and through Pyro5's own `pyro5-httpgateway`, in
//! front of the same object, in the same run.
//!
//! ```text
//! cargo run --release -p pyro5-httpgateway --example gateway_bench -- [SECONDS] [CLIENTS]
//! ```
//!
//! One of our objects (`http.bench`, whose `echo(message)` returns the message) is registered
//! in our name server; both gateways serve it. `CLIENTS` concurrent clients (default 4) send
//! `GET /pyro/http.bench/echo?message=hello` for `SECONDS` (default 5) against each gateway.
//! Pyro5's gateway (wsgiref, HTTP/1.0) closes the connection after every answer, so it is
//! measured with a new connection per request; ours is measured that way too, and with
//! keep-alive connections. Python Pyro5 5.17 comes from the `pyro-interop` virtualenv.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use pyro_httpgateway::{Gateway, GatewaySettings};

/// The object behind both gateways.
pub struct Bench;

#[pyro::expose]
impl Bench {
    /// Returns `message`.
    pub fn echo(&self, message: String) -> String {
        message
    }
}

const PATH: &str = "/pyro/http.bench/echo?message=hello";

/// One client: requests until `stop`, on one kept connection or a new one each time; counts
/// the `200` answers with the expected body.
async fn client(addr: SocketAddr, keep_alive: bool, stop: Arc<AtomicBool>, done: Arc<AtomicU64>) {
    let mut sender = None;
    while !stop.load(Ordering::Relaxed) {
        if sender.is_none() {
            let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream.set_nodelay(true).unwrap();
            let (s, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
            tokio::spawn(connection);
            sender = Some(s);
        }
        let Some(s) = sender.as_mut() else { continue };
        let request = http::Request::get(PATH)
            .header("Host", addr.to_string())
            .header("Connection", if keep_alive { "keep-alive" } else { "close" })
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = s.send_request(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!((status.as_u16(), &body[..]), (200, &b"\"hello\""[..]), "{}", String::from_utf8_lossy(&body));
        done.fetch_add(1, Ordering::Relaxed);
        if !keep_alive {
            sender = None;
        }
    }
}

/// Requests per second against `addr` with `clients` clients for `seconds`.
async fn measure(addr: SocketAddr, keep_alive: bool, clients: usize, seconds: f64) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> =
        (0..clients).map(|_| tokio::spawn(client(addr, keep_alive, stop.clone(), done.clone()))).collect();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: f64 = args.next().map(|s| s.parse().unwrap()).unwrap_or(5.0);
    let clients: usize = args.next().map(|s| s.parse().unwrap()).unwrap_or(4);

    let ns = pyro_ns::NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).start().unwrap();
    let ns_port: u16 = ns.uri().location().unwrap().to_string().rsplit(':').next().unwrap().parse().unwrap();
    let daemon = pyro::Daemon::bind("127.0.0.1", 0).unwrap();
    let uri = daemon.register(Bench, Some("http.bench")).unwrap();
    let stop_daemon = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    pyro::NameServerProxy::new(ns.uri().clone()).register("http.bench", &uri, false, None).unwrap();

    // Pyro5's gateway, as its command line runs it.
    let python_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut python = Command::new(pyro_interop::python().executable())
        .args(["-m", "Pyro5.utils.httpgateway", "-H", "127.0.0.1", "-p", &python_port.to_string()])
        .env("PYRO_NS_HOST", "127.0.0.1")
        .env("PYRO_NS_PORT", ns_port.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let python_addr: SocketAddr = ([127, 0, 0, 1], python_port).into();

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let pyro = pyro_runtime::Config {
            ns_host: "127.0.0.1".into(),
            ns_port,
            ns_broadcast_port: 0,
            ..pyro_runtime::Config::default()
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ours = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let gateway = Gateway::new(GatewaySettings::default().with_pyro_config(pyro));
        let serving = tokio::spawn(pyro_httpgateway::serve(listener, gateway, async {
            let _ = stopped.await;
        }));
        // Wait until Pyro5's gateway answers.
        let started = Instant::now();
        while tokio::net::TcpStream::connect(python_addr).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "Pyro5's gateway did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Warm up both.
        measure(python_addr, false, 1, 0.5).await;
        measure(ours, true, 1, 0.5).await;

        println!("{clients} clients, {seconds} s each, GET {PATH}");
        let theirs = measure(python_addr, false, clients, seconds).await;
        println!("Pyro5 5.17 pyro5-httpgateway (a connection per request): {theirs:>10.0} requests/s");
        let ours_new = measure(ours, false, clients, seconds).await;
        println!(
            "pyro-httpgateway (a connection per request):            {ours_new:>10.0} requests/s  ({:.1}x)",
            ours_new / theirs
        );
        let ours_kept = measure(ours, true, clients, seconds).await;
        println!(
            "pyro-httpgateway (keep-alive):                          {ours_kept:>10.0} requests/s  ({:.1}x)",
            ours_kept / theirs
        );
        let _ = stop.send(());
        serving.await.unwrap();
    });
    let _ = python.kill();
    let _ = python.wait();
    stop_daemon.shutdown();
    server.join().unwrap().unwrap();
}

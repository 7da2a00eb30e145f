//! The multiplexed server (`SERVERTYPE=multiplex`): many clients on one thread, a slow
//! method not holding up others, silent clients, oneway calls, and Python clients.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use daemon_support::{Running, config, start};
use pyro_runtime::config::ServerType;
use pyro_runtime::proxy::Proxy;
use pyro_runtime::{Config, Serializer, Uri};

fn multiplexed() -> Running {
    start(Config { server_type: ServerType::Multiplex, threadpool_size: 8, threadpool_size_min: 1, ..config() })
}

fn uri(running: &Running, id: &str) -> Uri {
    running.daemon.uri_for(id).unwrap()
}

#[test]
fn serves_calls_and_reports_its_type() {
    let running = multiplexed();
    let thing = Proxy::new(uri(&running, "thing"));
    assert_eq!(thing.call::<_, i64>("add", &(1, 2)).unwrap(), 3);
    assert_eq!(thing.call::<_, i64>("incr", &()).unwrap(), 1);
    assert_eq!(thing.call::<_, i64>("incr", &()).unwrap(), 2);
    let daemon = Proxy::new(uri(&running, "Pyro.Daemon"));
    let info: String = daemon.call("info", &()).unwrap();
    assert!(info.contains("Servertype: <pyro multiplexed server on 127.0.0.1:"), "{info}");
    let error = thing.call::<_, String>("fail", &("nope",)).unwrap_err();
    assert!(error.to_string().contains("nope"), "{error}");
    running.stop();
}

#[test]
fn a_slow_method_does_not_block_other_clients() {
    let running = multiplexed();
    let slow_uri = uri(&running, "thing");
    let slow = std::thread::spawn(move || Proxy::new(slow_uri).call::<_, String>("slow", &(2.0,)).unwrap());
    assert!(pyro_interop::wait_for(|| running.slow_calls.load(std::sync::atomic::Ordering::SeqCst) == 1));
    let started = Instant::now();
    let other = Proxy::new(uri(&running, "thing"));
    for i in 0..20 {
        assert_eq!(other.call::<_, i64>("add", &(i, 1)).unwrap(), i + 1);
    }
    assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
    assert_eq!(slow.join().unwrap(), "slept");
    running.stop();
}

#[test]
fn many_clients_at_once_and_silent_ones() {
    let running = multiplexed();
    // Clients that connect and never say anything cost nothing and block no one.
    let silent: Vec<TcpStream> = (0..200).map(|_| TcpStream::connect(running.addr()).unwrap()).collect();
    let threads: Vec<_> = (0..32)
        .map(|n| {
            let uri = uri(&running, "thing");
            std::thread::spawn(move || {
                let proxy =
                    Proxy::new(uri).with_serializer(if n % 2 == 0 { Serializer::Serpent } else { Serializer::Msgpack });
                for i in 0..25 {
                    assert_eq!(proxy.call::<_, i64>("add", &(n, i)).unwrap(), n + i);
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    drop(silent);
    running.stop();
}

#[test]
fn oneway_calls_and_remote_shutdown() {
    let running = multiplexed();
    let thing = Proxy::new(uri(&running, "thing"));
    let started = Instant::now();
    thing.call_oneway("notify", &("hi",)).unwrap();
    // The oneway call sleeps 300 ms on its own thread; this call does not wait for it.
    assert_eq!(thing.call::<_, i64>("add", &(2, 2)).unwrap(), 4);
    assert!(started.elapsed() < Duration::from_millis(250), "{:?}", started.elapsed());
    assert!(pyro_interop::wait_for(|| running.notified.lock().unwrap().len() == 1));
    // A method shutting the daemon down still gets its reply out.
    assert_eq!(thing.call::<_, String>("stop", &()).unwrap(), "bye");
    let mut running = running;
    running.thread.take().unwrap().join().unwrap().unwrap();
}

const PYTHON_CLIENT: &str = r#"
import sys, threading
import Pyro5.api
Pyro5.config.SERIALIZER = sys.argv[2]
uri = sys.argv[1]
results = []
def worker(n):
    with Pyro5.api.Proxy(uri) as p:
        results.append(sum(p.add(n, i) for i in range(10)))
threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
for t in threads: t.start()
for t in threads: t.join()
with Pyro5.api.Proxy(uri) as p:
    print(sorted(results), p.greet("python", greeting="hi"), p.echo([1, "two", 3.5]))
"#;

fn python_client(serializer: &str) {
    let running = multiplexed();
    let uri = uri(&running, "thing").to_string();
    let output = pyro_interop::python().command().args(["-c", PYTHON_CLIENT, &uri, serializer]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let sums: Vec<i64> = (0..8).map(|n| 10 * n + 45).collect();
    assert_eq!(stdout.trim(), format!("{sums:?} hi, python! [1, 'two', 3.5]"));
    running.stop();
}

#[test]
fn python_clients_over_serpent() {
    python_client("serpent");
}

#[test]
fn python_clients_over_msgpack() {
    python_client("msgpack");
}

/// Opens `sys.argv[2]` raw connections to `sys.argv[1]` (host:port), with TLS if a CA file
/// is given in `sys.argv[4]`, sends each the CONNECT message `sys.argv[3]` (hex), reads each
/// answer header, prints `ready` and waits.
const IDLE_CLIENTS: &str = r#"
import socket, ssl, sys
host, port = sys.argv[1].rsplit(":", 1)
connect = bytes.fromhex(sys.argv[3])
tls = ssl.create_default_context(cafile=sys.argv[4]) if len(sys.argv) > 4 else None
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.create_connection((host, int(port)))
    if tls:
        s = tls.wrap_socket(s, server_hostname=host)
    s.sendall(connect)
    socks.append(s)
for s in socks:
    header = b""
    while len(header) < 40:
        header += s.recv(40 - len(header))
    assert header[6] == 2, header  # CONNECTOK
print("ready", flush=True)
sys.stdin.read()
"#;

fn rss_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<usize>().unwrap() * 1024
}

/// What an idle connection that completed its handshake costs the multiplexed server
/// (resident memory; kernel socket buffers are not counted). Run with `--ignored
/// --nocapture`: it needs over 10,000 file descriptors.
#[test]
#[ignore = "opens 10,000 connections: needs a high file descriptor limit"]
fn ten_thousand_idle_connections_are_cheap() {
    let running = multiplexed();
    let per_connection = idle_connection_cost(&running, 10_000, None);
    assert!(per_connection <= 1024, "{per_connection} bytes per idle connection");
    running.stop();
}

/// What an idle TLS connection (handshake done, CONNECT answered) costs the multiplexed
/// server: rustls' session state and buffers come on top of a plain connection's. Run with
/// `--ignored --nocapture`.
#[test]
#[ignore = "opens 2,000 TLS connections: slow in a debug build"]
fn idle_tls_connections_cost_a_few_kilobytes() {
    let certs = pyro_interop::TestCerts::new("mux-idle");
    let running = start(Config {
        ssl: true,
        ssl_server_cert: Some(certs.server.cert.clone()),
        ssl_server_key: Some(certs.server.key.clone()),
        ..Config { server_type: ServerType::Multiplex, threadpool_size: 8, threadpool_size_min: 1, ..config() }
    });
    let per_connection = idle_connection_cost(&running, 2_000, Some(&certs.ca));
    assert!(per_connection <= 16 * 1024, "{per_connection} bytes per idle TLS connection");
    running.stop();
}

/// Opens `clients` idle connections (each handshaken: TLS with the CA file `ca`, then the
/// CONNECT) from a Python process and measures this process' resident memory before and
/// after; the bytes per connection. A call still goes through at once meanwhile.
fn idle_connection_cost(running: &Running, clients: usize, ca: Option<&std::path::Path>) -> usize {
    use std::io::{BufRead, BufReader};
    let connect = daemon_support::Client::handshake_message(Serializer::Marshal, "thing");
    let hex: String = connect
        .to_bytes(&pyro_runtime::protocol::EncodeOptions::new())
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let client_config = Config {
        ssl: ca.is_some(),
        ssl_ca_certs: ca.map(std::path::Path::to_owned),
        comm_timeout: Some(Duration::from_secs(10)),
        ..Config::default()
    };
    // Warm up: one connection made and gone, so that lazily made state is not counted.
    {
        let proxy = Proxy::with_config(uri(running, "thing"), &client_config);
        assert_eq!(proxy.call::<_, i64>("add", &(1, 1)).unwrap(), 2);
    }
    let before = rss_bytes();
    let mut args = vec![running.addr().to_string(), clients.to_string(), hex];
    args.extend(ca.map(|ca| ca.display().to_string()));
    let mut child = pyro_interop::python()
        .command()
        .arg("-c")
        .arg(IDLE_CLIENTS)
        .args(&args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready");
    let after = rss_bytes();
    let per_connection = after.saturating_sub(before) / clients;
    let kind = if ca.is_some() { "TLS" } else { "plaintext" };
    println!(
        "{clients} idle {kind} connections: {} KiB resident, {per_connection} bytes each",
        (after - before) / 1024
    );
    let started = Instant::now();
    let proxy = Proxy::with_config(uri(running, "thing"), &client_config);
    assert_eq!(proxy.call::<_, i64>("add", &(2, 3)).unwrap(), 5);
    assert!(started.elapsed() < Duration::from_secs(1));
    drop(child.stdin.take());
    child.wait().unwrap();
    per_connection
}

#[test]
fn combined_daemons_share_one_loop_driven_from_outside() {
    let first = pyro_runtime::daemon::Daemon::builder().config(config()).host("127.0.0.1").bind().unwrap();
    let second = pyro_runtime::daemon::Daemon::builder().config(config()).host("127.0.0.1").bind().unwrap();
    first.register(daemon_support::Thing::new(), Some("thing")).unwrap();
    second.register(daemon_support::Thing::new(), Some("thing")).unwrap();
    let (first_uri, second_uri) = (first.uri_for("thing").unwrap(), second.uri_for("thing").unwrap());
    let (stop_first, stop_second) = (first.shutdown_handle(), second.shutdown_handle());
    let (tx, rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        let mut event_loop = first.event_loop().unwrap();
        event_loop.combine(&second).unwrap();
        assert!(matches!(event_loop.combine(&second), Err(pyro_runtime::Error::Daemon { .. })));
        assert!(event_loop.fd() >= 0);
        // The caller's own loop: other work between non-blocking rounds of events.
        let mut rounds = 0u64;
        while !event_loop.is_shut_down() {
            event_loop.events(Some(Duration::ZERO)).unwrap();
            rounds += 1;
            std::thread::sleep(Duration::from_millis(1));
        }
        tx.send(rounds).unwrap();
        drop(event_loop);
        (first, second)
    });
    let one = Proxy::new(first_uri);
    let two = Proxy::new(second_uri.clone());
    assert_eq!(one.call::<_, i64>("add", &(1, 2)).unwrap(), 3);
    assert_eq!(two.call::<_, i64>("add", &(3, 4)).unwrap(), 7);
    assert_eq!(two.call::<_, i64>("incr", &()).unwrap(), 1);
    // The second daemon leaves the loop when shut down (its connections are closed); the
    // first goes on serving.
    let second_addr = std::net::SocketAddr::from(([127, 0, 0, 1], second_uri.port().unwrap()));
    let mut idle = daemon_support::Client::ready(second_addr, Serializer::Serpent);
    stop_second.shutdown();
    assert!(idle.is_closed());
    assert_eq!(one.call::<_, i64>("add", &(5, 5)).unwrap(), 10);
    stop_first.shutdown();
    assert!(rx.recv().unwrap() > 0);
    let (first, _second) = server.join().unwrap();
    // The listener is blocking again: the daemon could serve with the thread server now.
    assert!(first.event_loop().unwrap().is_shut_down());
}

#[test]
fn a_client_taking_none_of_its_replies_is_closed_after_the_timeout() {
    use std::io::Write;
    let running = start(Config {
        server_type: ServerType::Multiplex,
        comm_timeout: Some(Duration::from_millis(500)),
        threadpool_size: 4,
        threadpool_size_min: 1,
        ..config()
    });
    let mut hog = daemon_support::Client::ready(running.addr(), Serializer::Msgpack);
    let big = pyro_runtime::Value::Bytes(vec![7; 1 << 20]);
    let message = hog.invoke_message(Serializer::Msgpack, "thing", "echo", vec![big], Default::default());
    // Compressed, each request is about 1 KB and arrives whole; its reply is 1 MB.
    let compressed = pyro_runtime::protocol::EncodeOptions { compression: true, ..Default::default() };
    let wire = message.to_bytes(&compressed).unwrap();
    assert!(wire.len() < 10_000);
    // Requests one by one, no reply read: the daemon's output and both sides' socket buffers
    // fill, then nothing moves until the daemon gives up on the client.
    let (done, ended) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let socket = hog.stream.get_mut();
        let outcome = (0..400).find_map(|_| {
            std::thread::sleep(Duration::from_millis(10));
            socket.write_all(&wire).err()
        });
        let _ = done.send((Instant::now(), outcome));
    });
    std::thread::sleep(Duration::from_millis(300));
    // Meanwhile another client is served at once.
    let started = Instant::now();
    assert_eq!(Proxy::new(uri(&running, "thing")).call::<_, i64>("add", &(2, 3)).unwrap(), 5);
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    let (at, outcome) = ended.recv_timeout(Duration::from_secs(10)).expect("the client was never closed");
    assert!(outcome.is_some(), "the daemon read 400 requests while their replies waited");
    assert!(at.duration_since(started) < Duration::from_secs(5), "closed after {:?}", at.duration_since(started));
    running.stop();
}

#[test]
fn tls_clients_are_served_side_by_side_while_a_slow_call_runs() {
    let certs = pyro_interop::TestCerts::new("mux-concurrent");
    let running = start(Config {
        ssl: true,
        ssl_server_cert: Some(certs.server.cert.clone()),
        ssl_server_key: Some(certs.server.key.clone()),
        ..Config { server_type: ServerType::Multiplex, threadpool_size: 4, threadpool_size_min: 1, ..config() }
    });
    let client = Config {
        ssl: true,
        ssl_ca_certs: Some(certs.ca.clone()),
        comm_timeout: Some(Duration::from_secs(10)),
        ..Config::default()
    };
    let slow = {
        let (uri, client) = (uri(&running, "thing"), client.clone());
        std::thread::spawn(move || Proxy::with_config(uri, &client).call::<_, String>("slow", &(3.0,)).unwrap())
    };
    assert!(pyro_interop::wait_for(|| running.slow_calls.load(std::sync::atomic::Ordering::SeqCst) == 1));
    let started = Instant::now();
    let workers: Vec<_> = (0..8i64)
        .map(|n| {
            let (uri, client) = (uri(&running, "thing"), client.clone());
            std::thread::spawn(move || {
                let proxy = Proxy::with_config(uri, &client);
                (0..20).map(|i| proxy.call::<_, i64>("add", &(n, i)).unwrap()).sum::<i64>()
            })
        })
        .collect();
    let sums: Vec<i64> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    assert_eq!(sums, (0..8).map(|n| 20 * n + 190).collect::<Vec<_>>());
    // All of them before the slow call's 3 seconds are over.
    assert!(!slow.is_finished(), "served after {:?}", started.elapsed());
    assert_eq!(slow.join().unwrap(), "slept");
    running.stop();
}

#[test]
fn a_tls_reply_still_waiting_at_shutdown_is_written_whole() {
    let certs = pyro_interop::TestCerts::new("mux-drain");
    let running = start(Config {
        ssl: true,
        ssl_server_cert: Some(certs.server.cert.clone()),
        ssl_server_key: Some(certs.server.key.clone()),
        ..Config { server_type: ServerType::Multiplex, threadpool_size: 4, threadpool_size_min: 1, ..config() }
    });
    let client = Config { ssl: true, ssl_ca_certs: Some(certs.ca.clone()), ..Config::default() };
    let tls = pyro_runtime::transport::TlsClient::from_config(&client).unwrap();
    let stream = tls.connect("localhost", TcpStream::connect(running.addr()).unwrap()).unwrap();
    let mut raw = daemon_support::Client::over(pyro_runtime::transport::Socket::Tls(stream));
    assert_eq!(raw.handshake(Serializer::Msgpack, "thing").msg_type, pyro_runtime::protocol::MessageType::ConnectOk);
    // A 4 MB reply, not read yet: more than the socket buffers take, so part of it is still
    // in the daemon when it shuts down.
    let big = pyro_runtime::Value::Bytes(vec![9; 4 << 20]);
    let message = raw.invoke_message(Serializer::Msgpack, "thing", "echo", vec![big.clone()], Default::default());
    raw.send(&message);
    std::thread::sleep(Duration::from_millis(500));
    let stopping = std::thread::spawn(move || running.stop());
    std::thread::sleep(Duration::from_millis(300));
    let reply = raw.receive().unwrap();
    assert_eq!(reply.msg_type, pyro_runtime::protocol::MessageType::Result);
    assert_eq!(Serializer::Msgpack.from_bytes::<pyro_runtime::Value>(&reply.data).unwrap(), big);
    stopping.join().unwrap();
}

/// A client that sends its last request and closes its side at once (the request and the end
/// arrive together) gets its reply, and the server closes the connection rather than wait
/// for an end it was already told of.
#[test]
fn a_request_followed_by_the_end_is_answered_and_closed() {
    let running = multiplexed();
    for _ in 0..20 {
        let mut client = daemon_support::Client::ready(running.addr(), Serializer::Serpent);
        let request = client.invoke_message(
            Serializer::Serpent,
            "thing",
            "add",
            vec![1.into(), 2.into()],
            pyro_runtime::value::Dict::new(),
        );
        client.send(&request);
        let pyro_runtime::transport::Socket::Tcp(tcp) = client.stream.get_ref() else { panic!("not TCP") };
        tcp.shutdown(std::net::Shutdown::Write).unwrap();
        let started = Instant::now();
        let reply = client.receive().unwrap();
        assert_eq!(reply.msg_type, pyro_runtime::protocol::MessageType::Result);
        assert!(client.is_closed());
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }
    running.stop();
}

//! TLS (`SSL_*` settings) with real Python Pyro5 5.17 on the other side, certificates made at
//! test time: a Python client against the Rust daemon and the Rust proxy against a Python
//! daemon, 1-way (server certificate only) and 2-way (`SSL_REQUIRECLIENTCERT`), with and
//! without a client certificate, with the wrong CA, and plaintext against TLS both ways. The
//! handshake hooks see the peer's certificate on both sides.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use daemon_support::{config, start, start_daemon};
use pyro_interop::{PythonServer, TestCerts as Certs, path_text as text};
use pyro_runtime::daemon::Daemon;
use pyro_runtime::proxy::Proxy;
use pyro_runtime::{Config, Error, Value};
use serde_json::{Value as Json, json};

/// A Python client: sets the `Pyro5.config` items of argv[2] (JSON), calls `add(20, 22)` on
/// argv[1] and prints the result and the server certificate's CN, or the error.
const CLIENT: &str = r#"
import json, sys
import Pyro5.api, Pyro5.errors
for key, value in json.loads(sys.argv[2]).items():
    setattr(Pyro5.config, key, value)
Pyro5.config.COMMTIMEOUT = 10
try:
    with Pyro5.api.Proxy(sys.argv[1]) as p:
        result = p.add(20, 22)
        cert = p._pyroConnection.getpeercert()
        subject = dict(item[0] for item in cert["subject"]) if cert else {}
        print(json.dumps({"ok": result, "server_cn": subject.get("commonName")}))
except Exception as e:
    print(json.dumps({"error": type(e).__module__ + "." + type(e).__name__, "message": str(e)}))
"#;

fn python_client(uri: &str, settings: &Json) -> Json {
    let started = Instant::now();
    let output = pyro_interop::python().command().args(["-c", CLIENT, uri, &settings.to_string()]).output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(30), "the Python client took too long");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("bad client output ({e}): {stdout} {stderr}"))
}

fn server_config(certs: &Certs, require_client_cert: bool) -> Config {
    Config {
        ssl: true,
        ssl_server_cert: Some(certs.server.cert.clone()),
        ssl_server_key: Some(certs.server.key.clone()),
        ssl_require_client_cert: require_client_cert,
        ssl_ca_certs: Some(certs.ca.clone()),
        ..config()
    }
}

fn client_config(ca: &std::path::Path, client: Option<&pyro_interop::Issued>) -> Config {
    Config {
        ssl: true,
        ssl_ca_certs: Some(ca.to_owned()),
        ssl_client_cert: client.map(|c| c.cert.clone()),
        ssl_client_key: client.map(|c| c.key.clone()),
        comm_timeout: Some(Duration::from_secs(10)),
        ..Config::default()
    }
}

/// The client certificate chains a handshake validator saw, one per handshake.
type Seen = Arc<Mutex<Vec<Vec<Vec<u8>>>>>;

/// A TLS Rust daemon whose handshake validator records the client certificates it saw.
fn rust_daemon(config: Config) -> (daemon_support::Running, Seen) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let daemon = Daemon::builder()
        .config(config)
        .host("127.0.0.1")
        .validate_handshake(move |conn, _data| {
            record.lock().unwrap().push(conn.peer_certificates().to_vec());
            Ok(Value::from("hello"))
        })
        .bind()
        .unwrap();
    (start_daemon(daemon), seen)
}

fn uri(running: &daemon_support::Running) -> String {
    format!("PYRO:thing@127.0.0.1:{}", running.addr().port())
}

#[test]
fn python_client_one_way_tls_to_rust_daemon() {
    let certs = Certs::new("py-1way");
    let (running, seen) = rust_daemon(server_config(&certs, false));
    let uri = uri(&running);
    let out = python_client(&uri, &json!({"SSL": true, "SSL_CACERTS": text(&certs.ca)}));
    assert_eq!(out, json!({"ok": 42, "server_cn": "localhost"}));
    // 1-way: the daemon asks for no client certificate, so the hook sees none.
    assert_eq!(*seen.lock().unwrap(), vec![Vec::<Vec<u8>>::new()]);
    // A client that trusts another CA refuses the daemon's certificate.
    let out = python_client(&uri, &json!({"SSL": true, "SSL_CACERTS": text(&certs.other_ca)}));
    assert_eq!(out["error"], "Pyro5.errors.CommunicationError", "{out}");
    assert!(out["message"].as_str().unwrap().contains("CERTIFICATE_VERIFY_FAILED"), "{out}");
    // A plaintext client gets an error, not a hang.
    let out = python_client(&uri, &json!({}));
    assert!(out["error"].as_str().unwrap().starts_with("Pyro5.errors."), "{out}");
    assert_eq!(seen.lock().unwrap().len(), 1);
    running.stop();
}

#[test]
fn python_client_two_way_tls_to_rust_daemon() {
    let certs = Certs::new("py-2way");
    let (running, seen) = rust_daemon(server_config(&certs, true));
    let uri = uri(&running);
    let with_cert = json!({
        "SSL": true,
        "SSL_CACERTS": text(&certs.ca),
        "SSL_CLIENTCERT": text(&certs.client.cert),
        "SSL_CLIENTKEY": text(&certs.client.key),
    });
    assert_eq!(python_client(&uri, &with_cert), json!({"ok": 42, "server_cn": "localhost"}));
    assert_eq!(seen.lock().unwrap().first().and_then(|chain| chain.first()), Some(&certs.client.der));
    // Without a client certificate the daemon refuses the TLS handshake.
    let out = python_client(&uri, &json!({"SSL": true, "SSL_CACERTS": text(&certs.ca)}));
    assert!(out["error"].as_str().unwrap().starts_with("Pyro5.errors."), "{out}");
    // A client certificate from another CA is refused too.
    let foreign = json!({
        "SSL": true,
        "SSL_CACERTS": text(&certs.ca),
        "SSL_CLIENTCERT": text(&certs.other_server.cert),
        "SSL_CLIENTKEY": text(&certs.other_server.key),
    });
    let out = python_client(&uri, &foreign);
    assert!(out["error"].as_str().unwrap().starts_with("Pyro5.errors."), "{out}");
    assert_eq!(seen.lock().unwrap().len(), 1, "refused clients never reach the handshake hook");
    running.stop();
}

/// A Python daemon with the `Pyro5.config` items of `settings`, whose `validateHandshake`
/// answers with the CN of the client certificate (`None` without one).
fn python_daemon(settings: &Json) -> PythonServer {
    let script = format!(
        r#"
import json, sys, threading
import Pyro5.api
for key, value in json.loads({settings:?}).items():
    setattr(Pyro5.config, key, value)

class CheckingDaemon(Pyro5.api.Daemon):
    def validateHandshake(self, conn, data):
        cert = conn.getpeercert()
        subject = dict(item[0] for item in cert["subject"]) if cert else {{}}
        return {{"client_cn": subject.get("commonName")}}

@Pyro5.api.expose
class Thing:
    def add(self, a, b):
        return a + b

daemon = CheckingDaemon(host="127.0.0.1", port=0)
print(daemon.register(Thing(), "thing"), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#,
        settings = settings.to_string()
    );
    PythonServer::start(pyro_interop::python(), &script)
}

fn python_server_settings(certs: &Certs, require_client_cert: bool) -> Json {
    json!({
        "SSL": true,
        "SSL_SERVERCERT": text(&certs.server.cert),
        "SSL_SERVERKEY": text(&certs.server.key),
        "SSL_CACERTS": text(&certs.ca),
        "SSL_REQUIRECLIENTCERT": require_client_cert,
        "COMMTIMEOUT": 10,
    })
}

fn call(uri: &str, config: &Config) -> Result<(i64, Proxy), Error> {
    let proxy = Proxy::with_config(uri.parse().unwrap(), config);
    let sum = proxy.call::<_, i64>("add", &(20, 22))?;
    Ok((sum, proxy))
}

fn client_cn(proxy: &Proxy) -> Value {
    proxy.handshake_response().unwrap().as_dict().unwrap().get("client_cn").cloned().unwrap()
}

#[test]
fn rust_proxy_one_way_tls_to_python_daemon() {
    let certs = Certs::new("rs-1way");
    let server = python_daemon(&python_server_settings(&certs, false));
    let (sum, proxy) = call(server.uri(), &client_config(&certs.ca, None)).unwrap();
    assert_eq!(sum, 42);
    assert_eq!(proxy.peer_certificates().first(), Some(&certs.server.der));
    assert_eq!(client_cn(&proxy), Value::None);
    // The wrong CA: the proxy refuses the daemon's certificate.
    let err = call(server.uri(), &client_config(&certs.other_ca, None)).unwrap_err();
    assert!(matches!(&err, Error::Tls { message } if message.contains("certificate")), "{err:?}");
    // Plaintext against the TLS daemon: an error, not a hang.
    let started = Instant::now();
    let plain = Config { comm_timeout: Some(Duration::from_secs(10)), ..Config::default() };
    let err = call(server.uri(), &plain).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "{err:?}");
    assert!(
        matches!(err, Error::Protocol(_) | Error::ConnectionClosed { .. } | Error::Communication { .. }),
        "{err:?}"
    );
}

#[test]
fn rust_proxy_two_way_tls_to_python_daemon() {
    let certs = Certs::new("rs-2way");
    let server = python_daemon(&python_server_settings(&certs, true));
    let (sum, proxy) = call(server.uri(), &client_config(&certs.ca, Some(&certs.client))).unwrap();
    assert_eq!(sum, 42);
    assert_eq!(client_cn(&proxy), Value::from("pyro client"));
    // Without a client certificate the Python daemon refuses the connection.
    let err = call(server.uri(), &client_config(&certs.ca, None)).unwrap_err();
    assert!(matches!(err, Error::Tls { .. } | Error::ConnectionClosed { .. } | Error::Communication { .. }), "{err:?}");
}

#[test]
fn rust_proxy_tls_against_plaintext_daemon_fails_fast() {
    let certs = Certs::new("rs-plain");
    let running = start(config());
    let started = Instant::now();
    let err = call(&uri(&running), &client_config(&certs.ca, None)).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "{err:?}");
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    running.stop();
}

#[test]
fn rust_proxy_to_rust_daemon_two_way() {
    let certs = Certs::new("rs-rs");
    let (running, seen) = rust_daemon(server_config(&certs, true));
    let (sum, proxy) = call(&uri(&running), &client_config(&certs.ca, Some(&certs.client))).unwrap();
    assert_eq!(sum, 42);
    assert_eq!(proxy.peer_certificates().first(), Some(&certs.server.der));
    assert_eq!(seen.lock().unwrap().first().and_then(|chain| chain.first()), Some(&certs.client.der));
    // The server type of the test crate serves it (`interop_tls_multiplex`: the multiplexed one).
    let daemon_uri = format!("PYRO:Pyro.Daemon@127.0.0.1:{}", running.addr().port());
    let daemon = Proxy::with_config(daemon_uri.parse().unwrap(), &client_config(&certs.ca, Some(&certs.client)));
    let info: String = daemon.call("info", &()).unwrap();
    let multiplexed = daemon_support::server_type() == pyro_runtime::config::ServerType::Multiplex;
    assert_eq!(info.contains("<pyro multiplexed server on"), multiplexed, "{info}");
    let err = call(&uri(&running), &client_config(&certs.ca, None)).unwrap_err();
    assert!(matches!(err, Error::Tls { .. } | Error::ConnectionClosed { .. } | Error::Communication { .. }), "{err:?}");
    // Plaintext against the TLS daemon: an error, not a hang.
    let started = Instant::now();
    let plain = Config { comm_timeout: Some(Duration::from_secs(10)), ..Config::default() };
    let err = call(&uri(&running), &plain).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5), "{err:?} after {:?}", started.elapsed());
    assert!(
        matches!(err, Error::Protocol(_) | Error::ConnectionClosed { .. } | Error::Communication { .. }),
        "{err:?}"
    );
    // The daemon still serves TLS clients.
    let (sum, _) = call(&uri(&running), &client_config(&certs.ca, Some(&certs.client))).unwrap();
    assert_eq!(sum, 42);
    running.stop();
}

#[test]
fn settings_errors_are_clear() {
    let certs = Certs::new("settings");
    let no_cert = Config { ssl: true, ..config() };
    let err = Daemon::builder().config(no_cert).host("127.0.0.1").bind().unwrap_err();
    assert!(matches!(&err, Error::Tls { message } if message.contains("SSL_SERVERCERT")), "{err:?}");
    let password = Config { ssl_server_key_password: Some("secret".into()), ..server_config(&certs, false) };
    assert!(!format!("{password:?}").contains("secret"));
    let err = Daemon::builder().config(password).host("127.0.0.1").bind().unwrap_err();
    assert!(matches!(&err, Error::Tls { message } if message.contains("SSL_SERVERKEYPASSWD")), "{err:?}");
    let missing = Config { ssl_server_key: Some(certs.dir().join("nope.key")), ..server_config(&certs, false) };
    let err = Daemon::builder().config(missing).host("127.0.0.1").bind().unwrap_err();
    assert!(matches!(&err, Error::Tls { message } if message.contains("not found")), "{err:?}");
    // The key may sit in the certificate file (SSL_SERVERKEY empty), as Pyro5 allows.
    let combined = certs.dir().join("combined.pem");
    let both = format!(
        "{}{}",
        std::fs::read_to_string(&certs.server.cert).unwrap(),
        std::fs::read_to_string(&certs.server.key).unwrap()
    );
    std::fs::write(&combined, both).unwrap();
    let config = Config { ssl_server_cert: Some(combined), ssl_server_key: None, ..server_config(&certs, false) };
    let running = start(config);
    let (sum, _) = call(&uri(&running), &client_config(&certs.ca, None)).unwrap();
    assert_eq!(sum, 42);
    running.stop();
    // A CA directory works like a CA file.
    let ca_dir = certs.dir().join("cas");
    std::fs::create_dir_all(&ca_dir).unwrap();
    std::fs::copy(&certs.ca, ca_dir.join("ca.pem")).unwrap();
    let running = start(server_config(&certs, false));
    let (sum, _) = call(&uri(&running), &client_config(&ca_dir, None)).unwrap();
    assert_eq!(sum, 42);
    running.stop();
    // A proxy with a missing client certificate says so on connecting.
    let bad_client = Config { ssl_client_cert: Some(certs.dir().join("nope.crt")), ..client_config(&certs.ca, None) };
    let err = call("PYRO:thing@127.0.0.1:1", &bad_client).unwrap_err();
    assert!(matches!(&err, Error::Tls { message } if message.contains("not found")), "{err:?}");
}

#[test]
fn a_stalled_tls_handshake_delays_no_one_and_times_out() {
    use std::io::{Read, Write};
    let certs = Certs::new("stall");
    let config = Config { comm_timeout: Some(Duration::from_millis(500)), ..server_config(&certs, false) };
    let running = start(config);
    // One client sends nothing, another the first bytes of a TLS record and then stalls.
    let mut silent = std::net::TcpStream::connect(running.addr()).unwrap();
    let mut stalled = std::net::TcpStream::connect(running.addr()).unwrap();
    stalled.write_all(&[0x16, 0x03, 0x01, 0x02]).unwrap();
    let started = Instant::now();
    let (sum, _) = call(&uri(&running), &client_config(&certs.ca, None)).unwrap();
    assert_eq!(sum, 42);
    assert!(started.elapsed() < Duration::from_secs(2), "served after {:?}", started.elapsed());
    // Both are closed once COMMTIMEOUT has passed without a finished handshake.
    for stream in [&mut silent, &mut stalled] {
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut sink = Vec::new();
        let ended = stream.read_to_end(&mut sink);
        let waited = matches!(&ended, Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut));
        assert!(!waited, "still open after {:?}", started.elapsed());
    }
    assert!(started.elapsed() < Duration::from_secs(4), "closed after {:?}", started.elapsed());
    running.stop();
}

/// A Python client echoing 3 MB of text through `thing.echo` over TLS; prints its length,
/// whether it came back whole, and a small call after it.
const BIG_ECHO: &str = r#"
import sys
import Pyro5.api
Pyro5.config.SSL = True
Pyro5.config.SSL_CACERTS = sys.argv[2]
Pyro5.config.COMMTIMEOUT = 20
with Pyro5.api.Proxy(sys.argv[1]) as p:
    data = "".join(chr(32 + i % 90) for i in range(3000)) * 1000
    back = p.echo(data)
    print(len(back), back == data, p.add(1, 2))
"#;

#[test]
fn large_messages_both_ways_over_tls() {
    let certs = Certs::new("big");
    let running = start(server_config(&certs, false));
    // Many TLS records each way, more than rustls buffers at once.
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let proxy = Proxy::with_config(uri(&running).parse().unwrap(), &client_config(&certs.ca, None));
    let back: Value = proxy.call("echo", &(Value::Bytes(data.clone()),)).unwrap();
    assert_eq!(back, Value::Bytes(data));
    assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).unwrap(), 3);
    let output =
        pyro_interop::python().command().args(["-c", BIG_ECHO, &uri(&running), &text(&certs.ca)]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.trim(), "3000000 True 3", "{}", String::from_utf8_lossy(&output.stderr));
    running.stop();
}

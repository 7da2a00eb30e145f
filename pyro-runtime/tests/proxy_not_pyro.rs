//! A proxy pointed at something that is not a Pyro5 daemon (an HTTP server) says who answered
//! what, instead of Pyro5's bare "invalid data".

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::time::Duration;

use pyro_runtime::protocol::ProtocolError;
use pyro_runtime::proxy::Proxy;
use pyro_runtime::value::Value;
use pyro_runtime::{Error, Uri};

/// An HTTP server in a thread: reads what comes, answers `400 Bad Request` and closes.
fn http_like_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 64];
        let _ = stream.read(&mut request);
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    port
}

fn assert_names_the_peer(err: &Error, port: u16) {
    let Error::Protocol(ProtocolError::NotPyro { peer, found }) = err else { panic!("{err:?}") };
    assert_eq!((peer.as_str(), found), (format!("127.0.0.1:{port}").as_str(), b"HTTP"));
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{port} is not a Pyro5 daemon")), "{text}");
    assert!(text.contains("answered \"HTTP\""), "{text}");
}

#[test]
fn an_http_server_is_named_with_what_it_answered() {
    let port = http_like_server();
    let mut proxy = Proxy::new(format!("PYRO:thing@127.0.0.1:{port}").parse::<Uri>().unwrap());
    proxy.set_timeout(Some(Duration::from_secs(10)));
    let err = proxy.call::<_, Value>("ping", &()).unwrap_err();
    assert_names_the_peer(&err, port);
    assert_eq!(proxy.open_connections(), 0);
}

/// Python's own `http.server`, as a user would meet it.
struct PythonHttp(Child);

impl Drop for PythonHttp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn python_http_server_that_waits_for_a_line_gets_a_timeout_that_asks() {
    // `http.server` reads a whole request line before it answers, and Pyro5's CONNECT has no
    // newline: it never answers (Pyro5's own proxy waits too), so only a timeout ends the wait.
    let mut child = pyro_interop::python()
        .command()
        .args(["-m", "http.server", "--bind", "127.0.0.1", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = PythonHttp(child);
    // "Serving HTTP on 127.0.0.1 port 43210 (http://127.0.0.1:43210/) ..."
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port: u16 = line.split(" port ").nth(1).and_then(|rest| rest.split(' ').next()).unwrap().parse().unwrap();
    let mut proxy = Proxy::new(format!("PYRO:thing@127.0.0.1:{port}").parse::<Uri>().unwrap());
    proxy.set_timeout(Some(Duration::from_secs(1)));
    let err = proxy.call::<_, Value>("ping", &()).unwrap_err();
    let Error::Timeout { context, .. } = &err else { panic!("{err:?}") };
    assert!(context.starts_with(&format!("connecting to 127.0.0.1:{port}")), "{context}");
    assert!(context.ends_with("(is it a Pyro5 daemon?)"), "{context}");
    drop(server);
}

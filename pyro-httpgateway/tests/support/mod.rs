//! Shared by the gateway tests: our gateway in-process, Pyro5's gateway and objects in Python,
//! and Python's urllib as the HTTP client.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use pyro_httpgateway::{Gateway, GatewaySettings};
use pyro_interop::PythonServer;
use serde_json::{Value, json};

/// The Python name server with the test objects (`objects.py`).
pub fn python_objects() -> (PythonServer, u16) {
    let server = PythonServer::start(pyro_interop::python(), include_str!("objects.py"));
    let port = server.uri().rsplit(':').next().unwrap().parse().unwrap();
    (server, port)
}

/// Pyro5's gateway for the name server on `ns_port`.
pub fn python_gateway(ns_port: u16, expose: &str, cors: &str, key: &str) -> PythonServer {
    let script = include_str!("pygateway.py")
        .replace("@NS_PORT@", &ns_port.to_string())
        .replace("@EXPOSE@", expose)
        .replace("@CORS@", cors)
        .replace("@KEY@", key);
    PythonServer::start(pyro_interop::python(), &script)
}

/// Settings for a name server on 127.0.0.1:`ns_port`.
pub fn settings(ns_port: u16) -> GatewaySettings {
    let pyro = pyro_runtime::Config {
        ns_host: "127.0.0.1".into(),
        ns_port,
        ns_broadcast_port: 0,
        ..pyro_runtime::Config::default()
    };
    GatewaySettings::default().with_pyro_config(pyro)
}

/// Our gateway, served on a free port by a runtime of its own until dropped.
pub struct RunningGateway {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningGateway {
    pub fn start(settings: GatewaySettings) -> RunningGateway {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                pyro_httpgateway::serve(listener, Gateway::new(settings), async {
                    let _ = stopped.await;
                })
                .await;
            });
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        RunningGateway { addr, stop: Some(stop), thread: Some(thread) }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningGateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One request for [`fetch`].
#[derive(Clone, Debug)]
pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Req {
    pub fn get(path: impl Into<String>) -> Req {
        Req { method: "GET", path: path.into(), headers: Vec::new(), body: None }
    }

    pub fn method(method: &'static str, path: impl Into<String>) -> Req {
        Req { method, ..Req::get(path) }
    }

    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn post(path: impl Into<String>, content_type: &str, body: impl Into<Vec<u8>>) -> Req {
        Req { method: "POST", body: Some(body.into()), ..Req::get(path) }.header("Content-Type", content_type)
    }
}

/// What urllib received.
#[derive(Clone, Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub seconds: f64,
}

impl Resp {
    /// The header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Does `requests` against `base` with Python's urllib (redirects not followed).
pub fn fetch(base: &str, requests: &[Req]) -> Vec<Resp> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let job = json!({
        "base": base,
        "requests": requests.iter().map(|r| json!({
            "method": r.method,
            "path": r.path,
            "headers": r.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<serde_json::Map<_, _>>(),
            "body": r.body.as_ref().map(|b| b64.encode(b)),
        })).collect::<Vec<_>>(),
    });
    let mut child = pyro_interop::python()
        .command()
        .args(["-c", include_str!("fetch.py")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(job.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "fetch.py failed");
    let answers: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    answers
        .into_iter()
        .map(|a| Resp {
            status: a["status"].as_u64().unwrap() as u16,
            headers: a["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| (h[0].as_str().unwrap().to_string(), h[1].as_str().unwrap().to_string()))
                .collect(),
            body: b64.decode(a["body"].as_str().unwrap()).unwrap(),
            seconds: a["seconds"].as_f64().unwrap(),
        })
        .collect()
}

pub fn fetch_one(base: &str, request: Req) -> Resp {
    fetch(base, &[request]).remove(0)
}

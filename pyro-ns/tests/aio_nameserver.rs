//! The name server served from async code: `pyro_ns::NameServer` registered on a
//! `pyro::aio::Daemon` beside an object with async methods, and a real Python Pyro5 5.17 client
//! finding it with `locate_ns(host, port)`, registering and listing names, and calling the object
//! through `PYRONAME:`.
#![allow(clippy::unwrap_used)]

use pyro_ns::{NAMESERVER_NAME, NameServer};
use serde_json::{Value as Json, json};

struct Clock;

#[pyro::expose]
impl Clock {
    pub async fn later(&self, text: String) -> String {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        format!("later: {text}")
    }
}

const SCRIPT: &str = r#"
import json, sys
import Pyro5.api
Pyro5.config.COMMTIMEOUT = 10
host, port = sys.argv[1], int(sys.argv[2])
ns = Pyro5.api.locate_ns(host, port)
out = {"ns": str(ns._pyroUri), "ping": ns.ping()}
ns.register("py.other", "PYRO:other@localhost:1234", metadata={"blue"})
out["list"] = sorted(ns.list().keys())
out["lookup"] = str(ns.lookup("rust.clock"))
with Pyro5.api.Proxy("PYRONAME:rust.clock@%s:%d" % (host, port)) as clock:
    out["pyroname"] = clock.later("tea")
out["meta"] = sorted(ns.yplookup(meta_all=["blue"]).keys())
print(json.dumps(out))
"#;

#[test]
fn python_finds_and_uses_a_name_server_on_the_async_daemon() {
    let daemon = pyro::aio::Daemon::new(
        pyro::Daemon::builder()
            .config(pyro::Config { comm_timeout: Some(std::time::Duration::from_secs(10)), ..pyro::Config::default() })
            .host("127.0.0.1")
            .port(0)
            .bind()
            .unwrap(),
    );
    let ns = NameServer::in_memory();
    let ns_uri = daemon.register(ns.clone(), Some(NAMESERVER_NAME)).unwrap();
    ns.register_self(&ns_uri).unwrap();
    let clock = daemon.register(Clock, Some("clock")).unwrap();
    ns.register("rust.clock".into(), clock.to_string().into(), None, None).unwrap();
    let port = daemon.local_addr().unwrap().port();
    let shutdown = daemon.shutdown_handle();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(daemon.serve())
    });

    let output =
        pyro_interop::python().command().args(["-c", SCRIPT, "127.0.0.1", &port.to_string()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "python failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let out: Json = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(out["ns"], json!(ns_uri.to_string()));
    assert_eq!(out["ping"], Json::Null);
    assert_eq!(out["list"], json!(["Pyro.NameServer", "py.other", "rust.clock"]));
    assert_eq!(out["lookup"], json!(clock.to_string()));
    assert_eq!(out["pyroname"], json!("later: tea"));
    assert_eq!(out["meta"], json!(["py.other"]));
    assert_eq!(ns.count().unwrap(), 3);

    shutdown.shutdown();
    server.join().unwrap().unwrap();
}

//! Our name server over TLS (`SSL` with a server certificate, and 2-way with
//! `SSL_REQUIRECLIENTCERT`) with real Python Pyro5 5.17 clients: `locate_ns`, register, lookup
//! and list, then a `PYRONAME:` proxy resolved through it; a plaintext Python client and one
//! without a client certificate fail; and the Rust name server client over TLS.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use pyro::Config;
use pyro::naming::locate_ns_with_config;
use pyro_interop::{TestCerts, path_text};
use pyro_ns::NameServerBuilder;
use serde_json::{Value as Json, json};

const SCRIPT: &str = r#"
import json, sys
import Pyro5.api, Pyro5.errors
for key, value in json.loads(sys.argv[3]).items():
    setattr(Pyro5.config, key, value)
Pyro5.config.COMMTIMEOUT = 10
try:
    ns = Pyro5.api.locate_ns(sys.argv[1], int(sys.argv[2]))
    ns.register("example.tls", "PYRO:thing@localhost:4444", metadata={"secure"})
    result = {
        "ping": ns.ping(),
        "lookup": str(ns.lookup("example.tls")),
        "list": sorted(ns.list()),
        "meta": sorted(ns.lookup("example.tls", return_metadata=True)[1]),
    }
    with Pyro5.api.Proxy("PYRONAME:Pyro.NameServer@" + sys.argv[1] + ":" + sys.argv[2]) as p:
        result["via_pyroname"] = p.count()
    print(json.dumps({"ok": result}))
except Exception as e:
    print(json.dumps({"error": type(e).__module__ + "." + type(e).__name__, "message": str(e)}))
"#;

fn python(port: u16, settings: &Json) -> Json {
    let output = pyro_interop::python()
        .command()
        .args(["-c", SCRIPT, "127.0.0.1", &port.to_string(), &settings.to_string()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("bad output ({e}): {stdout} {}", String::from_utf8_lossy(&output.stderr)))
}

fn server_config(certs: &TestCerts, require_client_cert: bool) -> Config {
    Config {
        ssl: true,
        ssl_server_cert: Some(certs.server.cert.clone()),
        ssl_server_key: Some(certs.server.key.clone()),
        ssl_ca_certs: Some(certs.ca.clone()),
        ssl_require_client_cert: require_client_cert,
        comm_timeout: Some(Duration::from_secs(10)),
        ..Config::default()
    }
}

#[test]
fn python_client_uses_our_name_server_over_tls() {
    let certs = TestCerts::new("ns-1way");
    let ns = NameServerBuilder::new()
        .config(server_config(&certs, false))
        .host("127.0.0.1")
        .port(0)
        .broadcast(false)
        .start()
        .unwrap();
    let port = ns.uri().port().unwrap();
    let out = python(port, &json!({"SSL": true, "SSL_CACERTS": path_text(&certs.ca)}));
    assert_eq!(
        out,
        json!({"ok": {
            "ping": null,
            "lookup": "PYRO:thing@localhost:4444",
            "list": ["Pyro.NameServer", "example.tls"],
            "meta": ["secure"],
            "via_pyroname": 2,
        }})
    );
    let plain = python(port, &json!({}));
    assert!(plain["error"].as_str().unwrap().starts_with("Pyro5.errors."), "{plain}");
    // The Rust client over TLS sees what Python registered.
    let client = Config { ssl: true, ssl_ca_certs: Some(certs.ca.clone()), ..Config::default() };
    let proxy = locate_ns_with_config(Some("127.0.0.1"), Some(port), &client).unwrap();
    assert_eq!(proxy.lookup("example.tls").unwrap().to_string(), "PYRO:thing@localhost:4444");
}

#[test]
fn two_way_tls_name_server_refuses_clients_without_certificate() {
    let certs = TestCerts::new("ns-2way");
    let ns = NameServerBuilder::new()
        .config(server_config(&certs, true))
        .host("127.0.0.1")
        .port(0)
        .broadcast(false)
        .start()
        .unwrap();
    let port = ns.uri().port().unwrap();
    let with_cert = json!({
        "SSL": true,
        "SSL_CACERTS": path_text(&certs.ca),
        "SSL_CLIENTCERT": path_text(&certs.client.cert),
        "SSL_CLIENTKEY": path_text(&certs.client.key),
    });
    let out = python(port, &with_cert);
    assert_eq!(out["ok"]["lookup"], "PYRO:thing@localhost:4444", "{out}");
    let without = python(port, &json!({"SSL": true, "SSL_CACERTS": path_text(&certs.ca)}));
    assert!(without["error"].as_str().unwrap().starts_with("Pyro5.errors."), "{without}");
}

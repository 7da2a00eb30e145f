//! The async proxy over every transport against real Python Pyro5 5.17 daemons: TLS (1-way and
//! 2-way, certificates made at test time, the peer's certificates seen, a wrong CA refused) and
//! Unix domain sockets.

#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use pyro_interop::{PythonServer, TestCerts as Certs, path_text as text};
use pyro_runtime::aio::Proxy;
use pyro_runtime::{Config, Error, Value};

/// A Pyro5 daemon with the `Pyro5.config` items of argv[1] (JSON) whose handshake answers the
/// client certificate's CN.
const TLS_DAEMON: &str = r#"
import json, sys
import Pyro5.api
for key, value in json.loads(sys.argv[1]).items():
    setattr(Pyro5.config, key, value)

class CheckingDaemon(Pyro5.api.Daemon):
    def validateHandshake(self, conn, data):
        cert = conn.getpeercert()
        subject = dict(item[0] for item in cert["subject"]) if cert else {}
        return {"client_cn": subject.get("commonName")}

@Pyro5.api.expose
class Thing:
    def add(self, a, b):
        return a + b

daemon = CheckingDaemon(host="127.0.0.1", port=0)
print(daemon.register(Thing(), "thing"), flush=True)
daemon.requestLoop()
"#;

fn tls_daemon(certs: &Certs, require_client_cert: bool) -> PythonServer {
    let settings = serde_json::json!({
        "SSL": true,
        "SSL_SERVERCERT": text(&certs.server.cert),
        "SSL_SERVERKEY": text(&certs.server.key),
        "SSL_CACERTS": text(&certs.ca),
        "SSL_REQUIRECLIENTCERT": require_client_cert,
        "COMMTIMEOUT": 10,
    });
    let script = format!("import sys; sys.argv[1:] = [{:?}]\n{TLS_DAEMON}", settings.to_string());
    PythonServer::start(pyro_interop::python(), &script)
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

fn client_cn(proxy: &Proxy) -> Value {
    proxy.handshake_response().unwrap().as_dict().unwrap().get("client_cn").cloned().unwrap()
}

#[tokio::test]
async fn tls_one_way_and_two_way() {
    let certs = Certs::new("aio-tls");
    let one_way = tls_daemon(&certs, false);
    let proxy = Proxy::with_config(one_way.uri().parse().unwrap(), &client_config(&certs.ca, None));
    assert_eq!(proxy.call::<_, i64>("add", &(20, 22)).await.unwrap(), 42);
    assert_eq!(proxy.peer_certificates().first(), Some(&certs.server.der));
    assert_eq!(client_cn(&proxy), Value::None);
    // The wrong CA: the daemon's certificate is refused.
    let wrong = Proxy::with_config(one_way.uri().parse().unwrap(), &client_config(&certs.other_ca, None));
    let err = wrong.call::<_, i64>("add", &(1, 2)).await.unwrap_err();
    assert!(matches!(&err, Error::Tls { message } if message.contains("certificate")), "{err:?}");
    // Plaintext against TLS: an error, not a hang.
    let plain = Proxy::with_config(one_way.uri().parse().unwrap(), &Config::default())
        .with_timeout(Some(Duration::from_secs(5)));
    assert!(plain.call::<_, i64>("add", &(1, 2)).await.is_err());
    let two_way = tls_daemon(&certs, true);
    let proxy = Proxy::with_config(two_way.uri().parse().unwrap(), &client_config(&certs.ca, Some(&certs.client)));
    assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).await.unwrap(), 3);
    assert_eq!(client_cn(&proxy), Value::from("pyro client"));
}

#[cfg(unix)]
#[tokio::test]
async fn unix_domain_sockets() {
    let dir = std::env::temp_dir().join(format!("pyro-aio-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("daemon.sock");
    let _ = std::fs::remove_file(&path);
    let script = format!(
        "import Pyro5.api\n\
         @Pyro5.api.expose\n\
         class Thing:\n    def add(self, a, b): return a + b\n\
         daemon = Pyro5.api.Daemon(unixsocket={:?})\n\
         print(daemon.register(Thing(), 'thing'), flush=True)\n\
         daemon.requestLoop()\n",
        path.to_str().unwrap()
    );
    let server = PythonServer::start(pyro_interop::python(), &script);
    assert!(server.uri().contains("./u:"), "{}", server.uri());
    let proxy = Proxy::from_uri_str(server.uri()).unwrap().with_timeout(Some(Duration::from_secs(10)));
    assert_eq!(proxy.call::<_, i64>("add", &(2, 3)).await.unwrap(), 5);
    proxy.ping().await.unwrap();
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

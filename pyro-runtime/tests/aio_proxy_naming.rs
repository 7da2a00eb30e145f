//! Async naming against a real Python Pyro5 5.17 name server: `pyro::aio::locate_ns`, every
//! call of the async name server client (lookups with metadata, register, list with prefix,
//! regex and metadata filters, remove, ping), and `PYRONAME:`/`PYROMETA:` async proxies, which
//! resolve on connecting and again on every reconnect.

#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use pyro_interop::PythonServer;
use pyro_runtime::aio::{self, Proxy};
use pyro_runtime::serializer::Serializer;
use pyro_runtime::{Config, Error, Uri};

/// A name server and a daemon of greeters `g.one` and `g.two` registered in it (with the tags
/// `kind:greeter` and `id:<name>`), in one Python process; prints the name server's URI.
const SERVERS: &str = r#"
import threading
import Pyro5.nameserver
from Pyro5.api import Daemon, expose, Proxy

ns_uri, ns_daemon, _ = Pyro5.nameserver.start_ns(host="127.0.0.1", port=0, enableBroadcast=False)
threading.Thread(target=ns_daemon.requestLoop, daemon=True).start()

@expose
class Greeter:
    def __init__(self, name):
        self.name = name

    def greet(self, who):
        return "hello %s from %s" % (who, self.name)

daemon = Daemon(host="127.0.0.1", port=0)
ns = Proxy(ns_uri)
for name in ["g.one", "g.two"]:
    ns.register(name, daemon.register(Greeter(name), name), metadata={"kind:greeter", "id:" + name})
ns._pyroRelease()
print(ns_uri, flush=True)
daemon.requestLoop()
"#;

fn tags(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|&tag| tag.to_owned()).collect()
}

fn start() -> (PythonServer, u16) {
    let server = PythonServer::start(pyro_interop::python(), SERVERS);
    let uri: Uri = server.uri().parse().unwrap();
    let port = uri.port().unwrap();
    (server, port)
}

#[tokio::test]
async fn every_name_server_call() {
    let (_server, port) = start();
    for ser in [Serializer::Serpent, Serializer::Json, Serializer::Msgpack] {
        let config = Config { serializer: Some(ser), comm_timeout: Some(Duration::from_secs(20)), ..Config::default() };
        let ns = aio::locate_ns_with_config(Some("127.0.0.1"), Some(port), &config).await.unwrap();
        assert_eq!(ns.proxy().open_connections(), 1, "a located name server is connected");
        ns.ping().await.unwrap();
        let one = ns.lookup("g.one").await.unwrap();
        assert_eq!(one.object(), "g.one");
        let (uri, meta) = ns.lookup_with_metadata("g.two").await.unwrap();
        assert_eq!((uri.object(), meta), ("g.two", tags(&["kind:greeter", "id:g.two"])));
        let err = ns.lookup("no.such").await.unwrap_err();
        assert!(matches!(&err, Error::Naming { message } if message == "unknown name: no.such"), "{err:?}");
        let name = format!("extra.{ser}");
        ns.register(&name, &one, true, Some(&tags(&["kind:extra"]))).await.unwrap();
        assert!(matches!(ns.register(&name, &one, true, None).await, Err(Error::Naming { .. })));
        let listed = ns.list(Some("g."), None).await.unwrap();
        assert_eq!(listed.keys().collect::<Vec<_>>(), ["g.one", "g.two"]);
        let listed = ns.list(None, Some(r"extra\..*")).await.unwrap();
        assert_eq!(listed.keys().collect::<Vec<_>>(), [&name]);
        let with_meta = ns.list_with_metadata(Some("extra."), None).await.unwrap();
        assert_eq!(with_meta[&name].1, tags(&["kind:extra"]));
        let greeters = ns.yplookup(&["kind:greeter"], &[]).await.unwrap();
        assert_eq!(greeters.len(), 2);
        let any = ns.yplookup_with_metadata(&[], &["id:g.one", "kind:extra"]).await.unwrap();
        assert_eq!(any.keys().collect::<Vec<_>>(), [&name, &"g.one".to_owned()]);
        ns.set_metadata(&name, Some(&tags(&["kind:other"]))).await.unwrap();
        assert_eq!(ns.lookup_with_metadata(&name).await.unwrap().1, tags(&["kind:other"]));
        let before = ns.count().await.unwrap();
        assert_eq!(ns.remove(Some(&name), None, None).await.unwrap(), 1);
        assert_eq!(ns.count().await.unwrap(), before - 1);
    }
}

#[tokio::test]
async fn name_uris_resolve_on_connect_and_on_reconnect() {
    let (_server, port) = start();
    let config = Config { comm_timeout: Some(Duration::from_secs(20)), ..Config::default() };
    let named = Proxy::with_config(format!("PYRONAME:g.one@127.0.0.1:{port}").parse().unwrap(), &config);
    assert_eq!(named.resolved_uri(), None);
    assert_eq!(named.call::<_, String>("greet", &("ann",)).await.unwrap(), "hello ann from g.one");
    assert_eq!(named.resolved_uri().unwrap().object(), "g.one");
    assert_eq!(named.uri().to_string(), format!("PYRONAME:g.one@127.0.0.1:{port}"));
    // By metadata: one of the registrations having all the tags.
    let meta = Proxy::with_config(format!("PYROMETA:kind:greeter,id:g.two@127.0.0.1:{port}").parse().unwrap(), &config);
    assert_eq!(meta.call::<_, String>("greet", &("bob",)).await.unwrap(), "hello bob from g.two");
    // The name now points elsewhere: a reconnect resolves it again.
    let ns = aio::locate_ns_with_config(Some("127.0.0.1"), Some(port), &config).await.unwrap();
    let two = ns.lookup("g.two").await.unwrap();
    ns.register("g.one", &two, false, None).await.unwrap();
    named.reconnect(1).await.unwrap();
    assert_eq!(named.resolved_uri(), Some(two));
    assert_eq!(named.call::<_, String>("greet", &("ann",)).await.unwrap(), "hello ann from g.two");
    // Names that do not resolve are naming errors.
    let missing = Proxy::with_config(format!("PYRONAME:no.such@127.0.0.1:{port}").parse().unwrap(), &config);
    let err = missing.call::<_, String>("greet", &("x",)).await.unwrap_err();
    assert!(matches!(&err, Error::Naming { message } if message == "unknown name: no.such"), "{err:?}");
    assert_eq!(missing.open_connections(), 0);
    let none = Proxy::with_config(format!("PYROMETA:kind:none@127.0.0.1:{port}").parse().unwrap(), &config);
    let err = none.bind().await.unwrap_err();
    assert!(matches!(&err, Error::Naming { message } if message.starts_with("no registrations available")), "{err:?}");
}

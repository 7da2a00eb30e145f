//! Starting name servers: the uri it registers itself under (with NAT), Unix sockets, the
//! configuration's host, restarting on an SQLite database, the blocking `serve()` and other
//! objects on the name server's daemon.
#![allow(clippy::unwrap_used)]

mod support;

use pyro::proxy::Proxy;
use pyro::{Config, Uri, Value};
use pyro_ns::{Lookup, NAMESERVER_NAME, NameServerBuilder, StorageSpec};
use support::TempDir;

#[test]
fn registers_itself_under_the_nat_uri() {
    let ns =
        NameServerBuilder::new().host("127.0.0.1").port(0).nat_host("ns.example.com").nat_port(7777).start().unwrap();
    assert_eq!(ns.uri().to_string(), "PYRO:Pyro.NameServer@ns.example.com:7777");
    assert_eq!(ns.internal_uri().host(), Some("127.0.0.1"));
    let proxy = Proxy::new(ns.internal_uri().clone());
    let own: Lookup = proxy.call("lookup", &(NAMESERVER_NAME, true)).unwrap();
    assert_eq!(own.uri(), ns.uri());
    assert_eq!(own.metadata(), ["class:Pyro5.nameserver.NameServer"]);
    ns.shutdown().unwrap();
}

#[cfg(target_os = "linux")]
#[test]
fn serves_on_a_unix_socket() {
    let path = format!("\0pyro-ns-startup-{}", std::process::id());
    let ns = NameServerBuilder::new().unix_socket(path.clone()).start().unwrap();
    assert_eq!(ns.uri(), &Uri::pyro_unix(NAMESERVER_NAME, path).unwrap());
    let count: usize = Proxy::new(ns.uri().clone()).call("count", &()).unwrap();
    assert_eq!(count, 1);
    ns.shutdown().unwrap();
}

#[test]
fn host_comes_from_the_configuration() {
    let config = Config { host: "127.0.0.1".into(), ..Config::default() };
    let ns = NameServerBuilder::new().config(config).port(0).start().unwrap();
    assert_eq!(ns.uri().host(), Some("127.0.0.1"));
    ns.shutdown().unwrap();
}

#[test]
fn restarting_on_a_database_keeps_the_registrations() {
    let dir = TempDir::new("startup-restart");
    let storage = StorageSpec::Sql(dir.file("ns.db"));
    let first = NameServerBuilder::new().host("127.0.0.1").port(0).storage(storage.clone()).start().unwrap();
    let proxy = Proxy::new(first.uri().clone());
    let _: () = proxy.call("register", &("kept", "PYRO:kept@10.0.0.1:1", false, ["tag"])).unwrap();
    first.shutdown().unwrap();

    let second = NameServerBuilder::new().host("127.0.0.1").port(0).storage(storage).start().unwrap();
    let proxy = Proxy::new(second.uri().clone());
    let kept: Lookup = proxy.call("lookup", &("kept", true)).unwrap();
    assert_eq!((kept.uri().to_string().as_str(), kept.metadata()), ("PYRO:kept@10.0.0.1:1", &["tag".to_owned()][..]));
    let own: Lookup = proxy.call("lookup", &(NAMESERVER_NAME,)).unwrap();
    assert_eq!(own.uri(), second.uri(), "the new uri replaced the old one");
    let count: usize = proxy.call("count", &()).unwrap();
    assert_eq!(count, 2);
    second.shutdown().unwrap();
}

#[test]
fn blocking_serve_until_shut_down_with_other_objects_on_the_daemon() {
    #[derive(Default)]
    pub struct Echo;
    #[pyro::expose]
    impl Echo {
        pub fn echo(&self, value: Value) -> Value {
            value
        }
    }

    let bound = NameServerBuilder::new().host("127.0.0.1").port(0).bind().unwrap();
    let echo = bound.daemon().register(Echo, Some("echo")).unwrap();
    bound.name_server().register("echo".into(), echo.to_string().into(), None, None).unwrap();
    let (uri, stop) = (bound.uri().clone(), bound.shutdown_handle());
    let server = std::thread::spawn(move || bound.serve());

    let found: Lookup = Proxy::new(uri).call("lookup", &("echo",)).unwrap();
    let reply: String = Proxy::new(found.uri().clone()).call("echo", &("hi",)).unwrap();
    assert_eq!(reply, "hi");
    stop.shutdown();
    server.join().unwrap().unwrap();
}

#[test]
fn a_bad_storage_or_address_fails_to_start() {
    let dir = TempDir::new("startup-bad");
    std::fs::write(dir.file("junk.db"), vec![b'x'; 4096]).unwrap();
    let junk = NameServerBuilder::new().host("127.0.0.1").port(0).storage(StorageSpec::Sql(dir.file("junk.db"))).bind();
    assert!(matches!(junk, Err(pyro_ns::StartError::Storage(_))), "{junk:?}");
    let taken = NameServerBuilder::new().host("127.0.0.1").port(0).start().unwrap();
    let port = taken.uri().port().unwrap();
    let clash = NameServerBuilder::new().host("127.0.0.1").port(port).bind();
    assert!(matches!(clash, Err(pyro_ns::StartError::Daemon(_))), "{clash:?}");
    taken.shutdown().unwrap();
}

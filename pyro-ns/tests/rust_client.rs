//! Our name server over the network from Rust: the dynamic proxy (`call_with_kwargs`,
//! `call_value`) and the typed `RawNameServerProxy` the macro generates, with both storages and
//! serializers, errors included; and many clients at once.
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pyro::proxy::Proxy;
use pyro::value::Dict;
use pyro::{Error, Serializer, Uri, Value};
use pyro_ns::{Listed, Lookup, NameServerBuilder, RawNameServerProxy, RunningNameServer, StorageSpec};
use support::{TempDir, strs};

fn start(storage: StorageSpec) -> RunningNameServer {
    NameServerBuilder::new().host("127.0.0.1").port(0).storage(storage).start().unwrap()
}

fn storages(dir: &TempDir) -> [StorageSpec; 2] {
    [StorageSpec::Memory, StorageSpec::Sql(dir.file("names.db"))]
}

fn proxy(ns: &RunningNameServer, ser: Serializer) -> Proxy {
    Proxy::new(ns.uri().clone()).with_serializer(ser).with_timeout(Some(Duration::from_secs(10)))
}

fn remote_class(error: Error) -> (String, String) {
    match error {
        Error::Remote(remote) => (remote.class, remote.message),
        other => panic!("expected a remote error, got {other:?}"),
    }
}

#[test]
fn dynamic_and_typed_proxies_with_both_storages_and_serializers() {
    for ser in [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack] {
        let dir = TempDir::new("rust-client");
        for storage in storages(&dir) {
            let ns = start(storage.clone());
            let p = proxy(&ns, ser);
            let what = format!("{storage} {ser:?}");

            // Dynamic calls: keyword arguments map to Pyro5's parameter names.
            let kwargs: Dict = [("metadata", strs(&["red", "big"])), ("safe", Value::Bool(true))].into_iter().collect();
            p.call_with_kwargs::<_, _, ()>("register", &("car.red", "PYRO:car@10.0.0.1:1"), &kwargs).unwrap();
            let again = p.call_with_kwargs::<_, _, ()>("register", &("car.red", "PYRO:x@h:1"), &kwargs).unwrap_err();
            assert_eq!(
                remote_class(again),
                ("Pyro5.errors.NamingError".into(), "name already registered: car.red".into())
            );
            let kwargs: Dict =
                [("name", "car.red".into()), ("return_metadata", Value::Bool(true))].into_iter().collect();
            let found = p.call_value("lookup", vec![], kwargs).unwrap();
            let pair = found.as_seq().unwrap();
            assert_eq!(Uri::from_value(&pair[0]).unwrap().to_string(), "PYRO:car@10.0.0.1:1", "{what}");
            // The metadata is a Python set where the serializer has sets, as Pyro5 sends it.
            assert_eq!(pair[1].as_seq(), strs(&["big", "red"]).as_seq(), "{what}");
            let is_set = matches!(pair[1], Value::Set(_));
            assert_eq!(is_set, matches!(ser, Serializer::Serpent | Serializer::Marshal), "{what}: {:?}", pair[1]);

            // The typed proxy.
            let typed = RawNameServerProxy::from_proxy(proxy(&ns, ser));
            typed.ping().unwrap();
            typed.register("car.blue".into(), "PYRO:blue@10.0.0.2:2".into(), None, Some(strs(&["blue"]))).unwrap();
            typed.register("plain".into(), "PYRO:plain@10.0.0.3:3".into(), None, None).unwrap();
            assert_eq!(typed.count().unwrap(), 4, "{what}");
            let lookup = typed.lookup("car.blue".into(), None).unwrap();
            assert_eq!(lookup, Lookup::Uri("PYRO:blue@10.0.0.2:2".parse().unwrap()), "{what}");
            let lookup = typed.lookup("car.blue".into(), Some(true.into())).unwrap();
            assert_eq!(lookup.metadata(), ["blue"], "{what}");
            let listing = typed.list(Some("car.".into()), None, Some(true.into())).unwrap();
            assert_eq!(listing.keys().collect::<Vec<_>>(), ["car.blue", "car.red"], "{what}");
            assert_eq!(
                listing["car.red"],
                Listed::WithMetadata("PYRO:car@10.0.0.1:1".into(), vec!["big".into(), "red".into()])
            );
            let all = typed.list(None, None, Some(true.into())).unwrap();
            assert_eq!(all["plain"], Listed::WithMetadata("PYRO:plain@10.0.0.3:3".into(), vec![]), "{what}");
            let yp = typed.yplookup(None, Some(strs(&["blue", "big"])), Some(false.into())).unwrap();
            assert_eq!(
                yp.values().map(Listed::uri).collect::<Vec<_>>(),
                ["PYRO:blue@10.0.0.2:2", "PYRO:car@10.0.0.1:1"]
            );
            typed.set_metadata("plain".into(), strs(&["now", "tagged"])).unwrap();
            assert_eq!(typed.yplookup(Some(strs(&["now"])), None, None).unwrap().len(), 1, "{what}");

            let unknown = typed.lookup("nobody".into(), None).unwrap_err();
            assert_eq!(remote_class(unknown), ("Pyro5.errors.NamingError".into(), "unknown name: nobody".into()));
            let both = typed.list(Some("a".into()), Some("b".into()), None).unwrap_err();
            assert_eq!(remote_class(both).0, "builtins.ValueError");

            assert_eq!(typed.remove(None, Some("car.".into()), None).unwrap(), 2, "{what}");
            assert_eq!(typed.remove(None, None, Some(".*".into())).unwrap(), 1, "{what}");
            assert_eq!(typed.count().unwrap(), 1, "{what}");
            ns.shutdown().unwrap();
        }
    }
}

#[test]
fn many_clients_at_once() {
    const THREADS: usize = 8;
    const EACH: usize = 40;
    let dir = TempDir::new("rust-concurrent");
    for storage in storages(&dir) {
        let ns = start(storage.clone());
        let won = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let p = proxy(&ns, Serializer::Msgpack);
                let won = Arc::clone(&won);
                std::thread::spawn(move || {
                    for n in 0..EACH {
                        let name = format!("t{t}.n{n}");
                        let uri = format!("PYRO:o{n}@10.0.{t}.1:{}", 1000 + n);
                        let _: () = p.call("register", &(&name, &uri, false, [format!("t{t}")])).unwrap();
                        let found: Lookup = p.call("lookup", &(&name,)).unwrap();
                        assert_eq!(found.uri().to_string(), uri);
                        // Every thread races for the same safe names: one wins each.
                        let raced = format!("race.{n}");
                        let safe: Result<(), Error> = p.call("register", &(&raced, &uri, true));
                        if safe.is_ok() {
                            won.fetch_add(1, Ordering::SeqCst);
                        }
                        let mine: pyro_ns::Listing = p.call("list", &(format!("t{t}."),)).unwrap();
                        assert_eq!(mine.len(), n + 1);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(won.load(Ordering::SeqCst), EACH, "{storage}");
        assert_eq!(ns.name_server().count().unwrap(), 1 + THREADS * EACH + EACH, "{storage}");
        ns.shutdown().unwrap();
    }
}

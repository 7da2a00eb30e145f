//! The name server client against an in-test fake name server: the exact calls it sends (the
//! positional and keyword arguments of Pyro5's clients), the reply shapes it reads, and how
//! `PYRONAME:`/`PYROMETA:` proxies resolve: the object id they call, resolving again on
//! reconnect, `NS_LOOKUP_DELAY` retries.

#![allow(clippy::unwrap_used)]

mod proxy_support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proxy_support::{Action, FakeServer, Handshake, Stats, exception, result, thing, thing_metadata};
use pyro_runtime::dispatch::Metadata;
use pyro_runtime::naming::{NameServerProxy, locate_ns_with_config};
use pyro_runtime::protocol::{Message, MessageType};
use pyro_runtime::proxy::Proxy;
use pyro_runtime::serializer::{Call, Serializer};
use pyro_runtime::value::{Dict, Value};
use pyro_runtime::{Config, Error, RemoteError, Uri};

const SERIALIZERS: [Serializer; 4] = [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack];

/// A fake name server: records every call and answers from `answer`.
struct FakeNs {
    server: FakeServer,
    calls: Arc<Mutex<Vec<Call>>>,
}

type Answer = dyn Fn(&Call) -> Result<Value, RemoteError> + Send + Sync;

impl FakeNs {
    fn start(answer: impl Fn(&Call) -> Result<Value, RemoteError> + Send + Sync + 'static) -> FakeNs {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&calls);
        let answer: Arc<Answer> = Arc::new(answer);
        let metadata = Metadata::new(
            ["count", "list", "lookup", "ping", "register", "remove", "set_metadata", "yplookup"],
            [],
            [],
        );
        let server = FakeServer::start(Handshake::Ok(metadata), move |msg: &Message, call: &Call, _: &Stats| {
            if msg.msg_type != MessageType::Invoke {
                return Action::Close;
            }
            recorded.lock().unwrap().push(call.clone());
            match answer(call) {
                Ok(value) => result(msg, &value),
                Err(error) => exception(msg, &error),
            }
        });
        FakeNs { server, calls }
    }

    fn uri(&self) -> Uri {
        Uri::pyro("Pyro.NameServer", "127.0.0.1", self.server.port).unwrap()
    }

    fn config(&self, serializer: Serializer) -> Config {
        Config { serializer: Some(serializer), comm_timeout: Some(Duration::from_secs(10)), ..Config::default() }
    }

    fn client(&self, serializer: Serializer) -> NameServerProxy {
        NameServerProxy::with_config(self.uri(), &self.config(serializer))
    }

    fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    fn count(&self, method: &str) -> usize {
        self.calls.lock().unwrap().iter().filter(|call| call.method == method).count()
    }
}

fn kwargs(items: &[(&str, Value)]) -> Option<Dict> {
    Some(items.iter().cloned().collect())
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|&item| Value::from(item)).collect())
}

fn tags(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|&tag| tag.to_owned()).collect()
}

fn flag(call: &Call, name: &str) -> bool {
    call.kwargs.as_ref().and_then(|k| k.get(name)).and_then(Value::as_bool).unwrap_or(false)
}

/// A Python name server's answers, in the shapes msgpack/json carry them.
fn python_like(call: &Call) -> Result<Value, RemoteError> {
    let uri = Uri::pyro("obj", "127.0.0.1", 5555).unwrap();
    let with_meta = Value::List(vec![Value::from("PYRO:obj@127.0.0.1:5555"), list(&["b", "a"])]);
    Ok(match call.method.as_str() {
        "lookup" if flag(call, "return_metadata") => Value::List(vec![uri.to_value(), list(&["a"])]),
        "lookup" => uri.to_value(),
        "list" if flag(call, "return_metadata") => Value::Dict([("n", with_meta)].into_iter().collect()),
        "list" => Value::Dict([("n", Value::from("PYRO:obj@127.0.0.1:5555"))].into_iter().collect()),
        "yplookup" if flag(call, "return_metadata") => Value::Dict([("n", with_meta)].into_iter().collect()),
        "yplookup" => Value::Dict([("n", Value::from("PYRO:obj@127.0.0.1:5555"))].into_iter().collect()),
        "remove" => Value::Int(2),
        "count" => Value::Int(5),
        _ => Value::None,
    })
}

#[test]
fn calls_are_the_ones_pyro5_clients_send() {
    for ser in SERIALIZERS {
        let ns = FakeNs::start(python_like);
        let client = ns.client(ser);
        let uri = Uri::pyro("obj", "127.0.0.1", 5555).unwrap();

        assert_eq!(client.lookup("n").unwrap(), uri);
        assert_eq!(client.lookup_with_metadata("n").unwrap(), (uri.clone(), tags(&["a"])));
        client.register("n", &uri, false, None).unwrap();
        client.register("n", &uri, true, Some(&tags(&["x", "y"]))).unwrap();
        assert_eq!(client.list(None, None).unwrap(), BTreeMap::from([("n".into(), uri.clone())]));
        client.list(Some("p."), None).unwrap();
        assert_eq!(
            client.list_with_metadata(None, Some("r.*")).unwrap(),
            BTreeMap::from([("n".into(), (uri.clone(), tags(&["a", "b"])))])
        );
        assert_eq!(client.yplookup(&["x", "y"], &[]).unwrap().len(), 1);
        assert_eq!(client.yplookup_with_metadata(&[], &["z"]).unwrap()["n"].1, tags(&["a", "b"]));
        assert_eq!(client.remove(Some("n"), None, None).unwrap(), 2);
        client.remove(None, None, Some("r.*")).unwrap();
        client.set_metadata("n", Some(&tags(&["q"]))).unwrap();
        client.set_metadata("n", None).unwrap();
        assert_eq!(client.count().unwrap(), 5);
        client.ping().unwrap();

        let t = Value::Bool(true);
        let f = Value::Bool(false);
        let expected: Vec<(&str, Vec<Value>, Option<Dict>)> = vec![
            ("lookup", vec!["n".into()], kwargs(&[])),
            ("lookup", vec!["n".into()], kwargs(&[("return_metadata", t.clone())])),
            ("register", vec!["n".into(), uri.to_value()], kwargs(&[])),
            (
                "register",
                vec!["n".into(), uri.to_value()],
                kwargs(&[("safe", t.clone()), ("metadata", list(&["x", "y"]))]),
            ),
            ("list", vec![], kwargs(&[])),
            ("list", vec![], kwargs(&[("prefix", "p.".into())])),
            ("list", vec![], kwargs(&[("regex", "r.*".into()), ("return_metadata", t.clone())])),
            ("yplookup", vec![], kwargs(&[("meta_all", list(&["x", "y"])), ("return_metadata", f.clone())])),
            ("yplookup", vec![], kwargs(&[("meta_any", list(&["z"])), ("return_metadata", t.clone())])),
            ("remove", vec!["n".into()], kwargs(&[])),
            ("remove", vec![], kwargs(&[("regex", "r.*".into())])),
            ("set_metadata", vec!["n".into(), list(&["q"])], kwargs(&[])),
            ("set_metadata", vec!["n".into(), Value::None], kwargs(&[])),
            ("count", vec![], kwargs(&[])),
            ("ping", vec![], kwargs(&[])),
        ];
        let calls = ns.take_calls();
        assert_eq!(calls.len(), expected.len(), "{ser}");
        for (call, (method, vargs, kwargs)) in calls.iter().zip(expected) {
            assert_eq!(call.object, "Pyro.NameServer", "{ser}");
            assert_eq!(call.method, method, "{ser}");
            // The uri arrives as Pyro5's class dict, its state tuple as a list.
            let received: Vec<Value> = call.vargs.iter().map(normalize).collect();
            assert_eq!(received, vargs.iter().map(normalize).collect::<Vec<_>>(), "{ser} {method}");
            assert_eq!(call.kwargs, kwargs, "{ser} {method}");
        }
    }
}

/// Tuples as lists, for comparing what went over the wire.
fn normalize(value: &Value) -> Value {
    match value {
        Value::Tuple(items) | Value::List(items) => Value::List(items.iter().map(normalize).collect()),
        Value::Dict(dict) => Value::Dict(dict.iter().map(|(k, v)| (k.clone(), normalize(v))).collect()),
        other => other.clone(),
    }
}

#[test]
fn replies_in_other_shapes_are_read() {
    // A uri as text where Python sends a class dict, tuples, a set, None metadata.
    let ns = FakeNs::start(|call| {
        Ok(match call.method.as_str() {
            "lookup" if flag(call, "return_metadata") => {
                Value::Tuple(vec![Value::from("PYRO:obj@127.0.0.1:5555"), Value::Set(vec!["a".into()])])
            }
            "lookup" => Value::from("PYRO:obj@127.0.0.1:5555"),
            "list" => Value::Dict(
                [("n", Value::Tuple(vec![Uri::pyro("obj", "127.0.0.1", 5555).unwrap().to_value(), Value::None]))]
                    .into_iter()
                    .collect(),
            ),
            _ => Value::from("not a count"),
        })
    });
    let client = ns.client(Serializer::Msgpack);
    let uri = Uri::pyro("obj", "127.0.0.1", 5555).unwrap();
    assert_eq!(client.lookup("n").unwrap(), uri);
    assert_eq!(client.lookup_with_metadata("n").unwrap(), (uri.clone(), tags(&["a"])));
    assert_eq!(client.list_with_metadata(None, None).unwrap()["n"], (uri, BTreeSet::new()));
    let err = client.count().unwrap_err();
    assert!(matches!(err, Error::Serialize(_)), "{err:?}");
    assert!(err.to_string().contains("expected a count"), "{err}");
}

#[test]
fn naming_errors_from_any_name_server_become_error_naming() {
    let ns = FakeNs::start(|call| match call.method.as_str() {
        "lookup" => Err(RemoteError::new("Pyro5.errors.NamingError", vec!["unknown name: n".into()])),
        _ => Err(RemoteError::new("builtins.TypeError", vec!["bad".into()])),
    });
    let client = ns.client(Serializer::Json);
    let err = client.lookup("n").unwrap_err();
    assert!(matches!(&err, Error::Naming { message } if message == "unknown name: n"), "{err:?}");
    assert_eq!(err.python_class(), "Pyro5.errors.NamingError");
    let err = client.count().unwrap_err();
    assert!(matches!(&err, Error::Remote(remote) if remote.class == "builtins.TypeError"), "{err:?}");
}

/// A fake name server whose `lookup` and `yplookup` point at `target` (a `PYRO:` uri text).
fn pointing_at(target: Arc<Mutex<String>>) -> FakeNs {
    FakeNs::start(move |call| {
        let target = Value::from(target.lock().unwrap().as_str());
        Ok(match call.method.as_str() {
            "lookup" => Uri::from_value(&target).unwrap().to_value(),
            "yplookup" => Value::Dict([("found", target)].into_iter().collect()),
            _ => Value::None,
        })
    })
}

/// The object ids the invokes received by `server` were for.
fn invoked_objects(server: &FakeServer) -> Vec<String> {
    server
        .stats
        .invokes()
        .iter()
        .map(|msg| Serializer::from_id(msg.serializer_id).unwrap().decode_call(&msg.data).unwrap().object)
        .collect()
}

#[test]
fn pyroname_proxies_call_the_resolved_object_and_resolve_again_on_reconnect() {
    for ser in SERIALIZERS {
        let object = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
        let target = Arc::new(Mutex::new(format!("PYRO:first@127.0.0.1:{}", object.port)));
        let ns = pointing_at(Arc::clone(&target));
        let name: Uri = format!("PYRONAME:some.name@127.0.0.1:{}", ns.server.port).parse().unwrap();
        let proxy = Proxy::with_config(name.clone(), &ns.config(ser));

        assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).unwrap(), 3);
        assert_eq!(proxy.call::<_, i64>("add", &(3, 4)).unwrap(), 7);
        assert_eq!(ns.count("lookup"), 1, "{ser}: one lookup per connection");
        let lookup = ns.take_calls().into_iter().find(|call| call.method == "lookup").unwrap();
        assert_eq!((lookup.vargs, lookup.kwargs), (vec![Value::from("some.name")], Some(Dict::new())));
        assert_eq!(proxy.resolved_uri().unwrap().object(), "first");

        // The name moves to another object id; a new connection follows it.
        *target.lock().unwrap() = format!("PYRO:second@127.0.0.1:{}", object.port);
        proxy.release();
        assert_eq!(proxy.call::<_, i64>("add", &(5, 6)).unwrap(), 11);
        assert_eq!(ns.count("lookup"), 1, "{ser}");
        assert_eq!(invoked_objects(&object), ["first", "first", "second"], "{ser}");
        let connects: Vec<Message> =
            object.stats.received().into_iter().filter(|m| m.msg_type == MessageType::Connect).collect();
        assert_eq!(connects.len(), 2);
        assert_eq!(proxy.resolved_uri().unwrap().object(), "second");
        assert_eq!(proxy.uri(), &name);

        // Attributes go to the resolved object too.
        assert_eq!(proxy.get_attribute::<i64>("count").unwrap(), 7);
        assert_eq!(invoked_objects(&object).last().map(String::as_str), Some("second"));

        // A clone resolves on its own.
        let copy = proxy.clone();
        copy.ping().unwrap();
        assert_eq!(ns.count("lookup"), 2, "{ser}");
    }
}

#[test]
fn pyrometa_proxies_send_pyro5s_positional_yplookup() {
    let object = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let target = Arc::new(Mutex::new(format!("PYRO:meta_obj@127.0.0.1:{}", object.port)));
    let ns = pointing_at(target);
    let meta: Uri = format!("PYROMETA:b,a@127.0.0.1:{}", ns.server.port).parse().unwrap();
    let proxy = Proxy::with_config(meta, &ns.config(Serializer::Msgpack));
    assert_eq!(proxy.call::<_, i64>("add", &(2, 2)).unwrap(), 4);
    let calls = ns.take_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "yplookup");
    assert_eq!(calls[0].vargs, vec![list(&["a", "b"]), Value::None, Value::Bool(false)]);
    assert_eq!(calls[0].kwargs, Some(Dict::new()));
    assert_eq!(invoked_objects(&object), ["meta_obj"]);
}

#[test]
fn pyrometa_without_candidates_is_a_naming_error() {
    let ns = FakeNs::start(|_| Ok(Value::Dict(Dict::new())));
    let meta: Uri = format!("PYROMETA:b,a@127.0.0.1:{}", ns.server.port).parse().unwrap();
    let proxy = Proxy::with_config(meta, &ns.config(Serializer::Json));
    let err = proxy.call::<_, Value>("x", &()).unwrap_err();
    let Error::Naming { message } = &err else { panic!("{err:?}") };
    assert_eq!(message, "no registrations available with desired metadata properties {'a', 'b'}");
    assert_eq!(proxy.open_connections(), 0);
}

#[test]
fn ns_lookup_delay_retries_unknown_names() {
    let object = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let port = object.port;
    let attempts = Arc::new(Mutex::new(0));
    let seen = Arc::clone(&attempts);
    let ns = FakeNs::start(move |call| {
        if call.method != "lookup" {
            return Ok(Value::None);
        }
        let mut n = seen.lock().unwrap();
        *n += 1;
        if *n < 3 {
            Err(RemoteError::new("Pyro5.errors.NamingError", vec!["unknown name: late".into()]))
        } else {
            Ok(Value::from(format!("PYRO:late@127.0.0.1:{port}")))
        }
    });
    let name: Uri = format!("PYRONAME:late@127.0.0.1:{}", ns.server.port).parse().unwrap();
    let config = Config { ns_lookup_delay: Duration::from_secs(3), ..ns.config(Serializer::Msgpack) };
    let proxy = Proxy::with_config(name.clone(), &config);
    assert_eq!(proxy.call::<_, i64>("add", &(1, 1)).unwrap(), 2);
    assert_eq!(*attempts.lock().unwrap(), 3);
    // Without a delay, the first NamingError is final.
    *attempts.lock().unwrap() = 0;
    let proxy = Proxy::with_config(name, &ns.config(Serializer::Msgpack));
    let err = proxy.call::<_, i64>("add", &(1, 1)).unwrap_err();
    assert!(matches!(&err, Error::Naming { message } if message == "unknown name: late"), "{err:?}");
}

#[test]
fn locate_ns_with_a_host_binds_to_that_name_server() {
    let ns = FakeNs::start(python_like);
    let client = locate_ns_with_config(Some("127.0.0.1"), Some(ns.server.port), &ns.config(Serializer::Json)).unwrap();
    assert_eq!(client.uri(), &ns.uri());
    assert_eq!(client.proxy().open_connections(), 1);
    assert_eq!(client.proxy().serializer(), Serializer::Json);
    let client = locate_ns_with_config(Some("[127.0.0.1]"), Some(ns.server.port), &Config::default());
    assert!(client.is_ok(), "brackets are accepted");
}

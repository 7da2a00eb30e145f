//! Proxy calls against an in-test fake server: handshake, typed/dynamic/keyword calls, sequence
//! numbers, exceptions, oneway calls, attributes and the local method check.

#![allow(clippy::unwrap_used)]

mod proxy_support;

use std::time::Duration;

use proxy_support::{FakeServer, Handshake, thing, thing_metadata};
use pyro_runtime::Error;
use pyro_runtime::protocol::{Flags, MessageType};
use pyro_runtime::serializer::Serializer;
use pyro_runtime::value::{Dict, Value};

const SERIALIZERS: [Serializer; 4] = [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack];

#[test]
fn handshake_then_calls_with_increasing_seq() {
    for ser in SERIALIZERS {
        let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
        let proxy = server.proxy(ser).with_timeout(Some(Duration::from_secs(10)));
        assert_eq!(proxy.open_connections(), 0, "connects lazily");
        let sum: i64 = proxy.call("add", &(1, 2)).unwrap();
        assert_eq!(sum, 3);
        let echoed: (String, Vec<i64>) = proxy.call("echo", &("a", vec![1, 2])).unwrap();
        assert_eq!(echoed, ("a".to_owned(), vec![1, 2]));
        let value = proxy.call_value("add", vec![Value::Int(40), Value::Int(2)], Dict::new()).unwrap();
        assert_eq!(value, Value::Int(42));

        let received = server.stats.received();
        let connect = &received[0];
        assert_eq!((connect.msg_type, connect.seq, connect.serializer_id), (MessageType::Connect, 0, ser.id()));
        let hello: Value = ser.from_bytes(&connect.data).unwrap();
        let hello = hello.as_dict().unwrap();
        assert_eq!(hello.get("handshake").and_then(Value::as_str), Some("hello"), "{ser}");
        assert_eq!(hello.get("object").and_then(Value::as_str), Some("thing"), "{ser}");
        let seqs: Vec<u16> = server.stats.invokes().iter().map(|m| m.seq).collect();
        assert_eq!(seqs, [1, 2, 3], "{ser}");
        for invoke in server.stats.invokes() {
            let call = ser.decode_call(&invoke.data).unwrap();
            assert_eq!(call.kwargs, Some(Dict::new()), "{ser}: normal calls send an empty kwargs dict");
            assert_eq!(call.object, "thing");
        }
        assert_eq!(server.stats.connections.load(std::sync::atomic::Ordering::SeqCst), 1, "one connection reused");
        assert_eq!(proxy.handshake_response().and_then(|v| v.as_str().map(str::to_owned)).as_deref(), Some("hello"));
    }
}

#[test]
fn keyword_arguments() {
    for ser in SERIALIZERS {
        let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
        let proxy = server.proxy(ser);
        let kwargs: Dict = [("polite", Value::Bool(true)), ("times", Value::Int(2))].into_iter().collect();
        let got: Dict = proxy.call_with_kwargs("kwargs", &(), &kwargs).unwrap();
        assert_eq!(got, kwargs, "{ser}");
        let map = std::collections::BTreeMap::from([("x", 1)]);
        let got: Value = proxy.call_with_kwargs("kwargs", &(), &map).unwrap();
        assert_eq!(got.as_dict().and_then(|d| d.get("x")).and_then(Value::as_i64), Some(1), "{ser}");
        let got = proxy.call_value("kwargs", vec![], kwargs.clone()).unwrap();
        assert_eq!(got, Value::Dict(kwargs), "{ser}");
    }
}

#[test]
fn custom_handshake_value_is_sent() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = server.proxy(Serializer::Msgpack).with_handshake(Value::from("token-123"));
    proxy.bind().unwrap();
    let hello: Value = Serializer::Msgpack.from_bytes(&server.stats.received()[0].data).unwrap();
    assert_eq!(hello.as_dict().unwrap().get("handshake").and_then(Value::as_str), Some("token-123"));
}

#[test]
fn bind_fetches_metadata() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = server.proxy(Serializer::Json);
    assert!(proxy.metadata().is_none());
    proxy.bind().unwrap();
    assert_eq!(proxy.metadata(), Some(thing_metadata()));
    assert_eq!(proxy.open_connections(), 1);
    assert!(server.stats.invokes().is_empty(), "bind only handshakes");
    proxy.bind().unwrap();
    assert_eq!(server.stats.connections.load(std::sync::atomic::Ordering::SeqCst), 1, "bind reuses an open connection");
}

#[test]
fn unknown_method_fails_locally() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = server.proxy(Serializer::Msgpack);
    let err = proxy.call::<_, Value>("nope", &()).unwrap_err();
    let remote = err.remote().expect("an AttributeError");
    assert_eq!(remote.class, "builtins.AttributeError");
    assert_eq!(remote.message, format!("remote object '{}' has no exposed attribute or method 'nope'", server.uri()));
    assert!(server.stats.invokes().is_empty(), "no INVOKE was sent");
    // The connection stays usable.
    assert_eq!(proxy.call::<_, i64>("add", &(1, 1)).unwrap(), 2);
    assert_eq!(server.stats.connections.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn remote_exception_arrives_as_error_remote() {
    for ser in SERIALIZERS {
        let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
        let proxy = server.proxy(ser);
        let err = proxy.call::<_, Value>("fail", &()).unwrap_err();
        let Error::Remote(remote) = &err else { panic!("{ser}: expected Error::Remote, got {err:?}") };
        assert_eq!(remote.class, "builtins.ValueError");
        assert_eq!(remote.args, vec![Value::from("oops"), Value::Int(42)]);
        assert_eq!(remote.message, "('oops', 42)");
        assert_eq!(remote.traceback.len(), 2);
        // An exception reply keeps the connection.
        assert_eq!(proxy.call::<_, i64>("add", &(2, 3)).unwrap(), 5);
        assert_eq!(server.stats.connections.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}

#[test]
fn oneway_calls_do_not_wait() {
    for ser in SERIALIZERS {
        let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
        // The fake server never answers oneway calls: a proxy that waited would time out.
        let proxy = server.proxy(ser).with_timeout(Some(Duration::from_secs(5)));
        proxy.call_oneway("notify", &("event",)).unwrap();
        // "notify" is oneway in the metadata: `call` sends it oneway too and returns unit.
        let () = proxy.call("notify", &("again",)).unwrap();
        let nothing: Option<i64> = proxy.call("notify", &("third",)).unwrap();
        assert_eq!(nothing, None);
        // call_oneway on a normal method sets the flag too.
        proxy.call_oneway("add", &(1, 2)).unwrap();
        assert_eq!(proxy.call::<_, i64>("add", &(3, 4)).unwrap(), 7);
        let invokes = server.stats.invokes();
        let oneway: Vec<bool> = invokes.iter().map(|m| m.flags.contains(Flags::ONEWAY)).collect();
        assert_eq!(oneway, [true, true, true, true, false], "{ser}");
        assert_eq!(invokes.iter().map(|m| m.seq).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
    }
}

#[test]
fn remote_attributes() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = server.proxy(Serializer::Msgpack);
    assert_eq!(proxy.get_attribute::<i64>("count").unwrap(), 7);
    proxy.set_attribute("count", &9).unwrap();
    let invokes = server.stats.invokes();
    let get = Serializer::Msgpack.decode_call(&invokes[0].data).unwrap();
    assert_eq!((get.method.as_str(), get.vargs.clone(), get.kwargs), ("__getattr__", vec![Value::from("count")], None));
    let set = Serializer::Msgpack.decode_call(&invokes[1].data).unwrap();
    assert_eq!((set.method.as_str(), set.vargs.clone()), ("__setattr__", vec![Value::from("count"), Value::Int(9)]));
    let err = proxy.get_attribute::<Value>("secret").unwrap_err();
    assert_eq!(err.python_class(), "builtins.AttributeError");
    assert_eq!(server.stats.invokes().len(), 2);
}

#[test]
fn protocol_ping() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = server.proxy(Serializer::Msgpack);
    proxy.ping().unwrap();
    let ping = server.stats.received().into_iter().find(|m| m.msg_type == MessageType::Ping).unwrap();
    assert_eq!((ping.seq, ping.serializer_id, ping.data.as_slice()), (0, 42, &b"ping"[..]));
}

#[test]
fn release_closes_connections_and_next_call_reconnects() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = server.proxy(Serializer::Msgpack);
    assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).unwrap(), 3);
    proxy.release();
    assert_eq!(proxy.open_connections(), 0);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.stats.open.load(std::sync::atomic::Ordering::SeqCst) != 0 {
        assert!(std::time::Instant::now() < deadline, "the server never saw the connection close");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).unwrap(), 3);
    assert_eq!(server.stats.connections.load(std::sync::atomic::Ordering::SeqCst), 2);
    // The new connection starts its sequence numbers again, with a CONNECT at seq 0.
    let connects: Vec<u16> =
        server.stats.received().iter().filter(|m| m.msg_type == MessageType::Connect).map(|m| m.seq).collect();
    assert_eq!(connects, [0, 0]);
}

#[test]
fn proxy_clone_is_a_new_unconnected_proxy() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = server.proxy(Serializer::Json);
    proxy.bind().unwrap();
    let copy = proxy.clone();
    assert_eq!(copy.open_connections(), 0);
    assert_eq!(copy.metadata(), proxy.metadata());
    assert_eq!(copy.serializer(), Serializer::Json);
    assert_eq!(copy.call::<_, i64>("add", &(1, 2)).unwrap(), 3);
}

//! The daemon's side of the wire protocol, driven by a raw client: handshake, PING, INVOKE,
//! oneway, error replies, pipelined requests, and Pyro5's exact CONNECTFAIL texts for early
//! failures.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::io::Write;
use std::time::Duration;

use daemon_support::{Client, config, start};
use pyro_runtime::dispatch::Metadata;
use pyro_runtime::protocol::{Flags, Message, MessageType};
use pyro_runtime::serializer::marshal;
use pyro_runtime::value::{Dict, Value};
use pyro_runtime::{Serializer, TRACEBACK_ATTRIBUTE};
use uuid::Uuid;

const SERIALIZERS: [Serializer; 4] = [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack];

#[test]
fn handshake_answers_connectok_with_metadata() {
    let daemon = start(config());
    for ser in SERIALIZERS {
        let mut client = Client::connect(daemon.addr());
        client.seq = 12;
        let reply = client.handshake(ser, "thing");
        assert_eq!((reply.msg_type, reply.seq, reply.serializer_id), (MessageType::ConnectOk, 12, ser.id()));
        assert!(reply.correlation_id.is_some(), "every reply carries a correlation id");
        let value: Value = ser.from_bytes(&reply.data).unwrap();
        let dict = value.as_dict().unwrap();
        assert_eq!(dict.get("handshake").and_then(Value::as_str), Some("hello"));
        let meta: Metadata = pyro_runtime::value::from_value(dict.get("meta").unwrap().clone()).unwrap();
        assert!(meta.methods.contains("add") && meta.methods.contains("incr"));
        assert_eq!(meta.oneway.iter().collect::<Vec<_>>(), ["notify"]);
    }
    daemon.stop();
}

#[test]
fn handshake_echoes_the_correlation_id() {
    let daemon = start(config());
    let mut client = Client::connect(daemon.addr());
    let id = Uuid::new_v4();
    client.send(&Client::handshake_message(Serializer::Msgpack, "thing").with_correlation_id(id));
    assert_eq!(client.receive().unwrap().correlation_id, Some(id));
    let message = client.invoke_message(Serializer::Msgpack, "thing", "add", vec![1.into(), 2.into()], Dict::new());
    let id2 = Uuid::new_v4();
    client.send(&message.with_correlation_id(id2));
    assert_eq!(client.receive().unwrap().correlation_id, Some(id2));
    daemon.stop();
}

#[test]
fn handshake_for_unknown_object_fails_in_the_request_serializer() {
    let daemon = start(config());
    for ser in SERIALIZERS {
        let mut client = Client::connect(daemon.addr());
        client.seq = 3;
        let reply = client.handshake(ser, "nobody");
        assert_eq!((reply.msg_type, reply.seq, reply.serializer_id), (MessageType::ConnectFail, 3, ser.id()));
        assert_eq!(ser.from_bytes::<String>(&reply.data).unwrap(), "unknown object");
        assert!(client.is_closed());
    }
    daemon.stop();
}

#[test]
fn handshake_without_object_key_fails_like_pyro5() {
    let daemon = start(config());
    let mut client = Client::connect(daemon.addr());
    let mut data = Dict::new();
    data.insert("handshake", "hello");
    client.send(&Message::new(MessageType::Connect, 4, Serializer::Msgpack.to_bytes(&Value::Dict(data)).unwrap()));
    let reply = client.receive().unwrap();
    assert_eq!((reply.msg_type, reply.serializer_id), (MessageType::ConnectFail, 4));
    assert_eq!(Serializer::Msgpack.from_bytes::<String>(&reply.data).unwrap(), "'object'");
    daemon.stop();
}

/// Sends `bytes` as the first thing on a connection; returns the CONNECTFAIL (seq, text).
fn early_failure(addr: std::net::SocketAddr, bytes: &[u8]) -> (u16, String) {
    let mut client = Client::connect(addr);
    client.stream.get_mut().write_all(bytes).unwrap();
    let reply = client.receive().unwrap();
    assert_eq!(reply.msg_type, MessageType::ConnectFail);
    assert_eq!(reply.serializer_id, Serializer::MARSHAL_ID, "early failures are marshal-encoded");
    assert!(client.is_closed(), "the daemon closes after an early failure");
    (reply.seq, marshal::decode_str(&reply.data).unwrap())
}

fn connect_bytes() -> Vec<u8> {
    Client::handshake_message(Serializer::Msgpack, "thing").with_seq(7).to_bytes(&Default::default()).unwrap()
}

#[test]
fn early_failures_have_pyro5_texts() {
    let daemon = start(config());
    let addr = daemon.addr();
    assert_eq!(early_failure(addr, b"!!!!!!!!!!!!!!!!"), (0, "invalid data".into()));

    let mut bad_version = connect_bytes();
    bad_version[4..6].copy_from_slice(&501u16.to_be_bytes());
    assert_eq!(early_failure(addr, &bad_version), (0, "invalid protocol version: 501".into()));

    let mut bad_magic = connect_bytes();
    bad_magic[38..40].copy_from_slice(&[0, 0]);
    assert_eq!(early_failure(addr, &bad_magic), (0, "invalid message or protocol version".into()));

    let invoke = Message::new(MessageType::Invoke, 4, vec![0x90]).with_seq(5).to_bytes(&Default::default()).unwrap();
    assert_eq!(early_failure(addr, &invoke), (0, "invalid msg type 4 received (expected: 1)".into()));

    let ping = Message::ping().to_bytes(&Default::default()).unwrap();
    assert_eq!(early_failure(addr, &ping), (0, "invalid msg type 6 received (expected: 1)".into()));

    let mut too_large = connect_bytes();
    too_large[12..16].copy_from_slice(&(2u32 << 30).to_be_bytes());
    too_large.truncate(40);
    assert_eq!(early_failure(addr, &too_large), (0, "message too large (2147483648, max=1073741824)".into()));

    let mut unknown_type = connect_bytes();
    unknown_type[6] = 9;
    assert_eq!(early_failure(addr, &unknown_type), (0, "invalid msg type 9 received (expected: 1)".into()));
    daemon.stop();
}

#[test]
fn configured_max_message_size_applies() {
    let daemon = start(pyro_runtime::Config { max_message_size: 400, ..config() });
    let big = Client::handshake_message(Serializer::Msgpack, &"x".repeat(500)).to_bytes(&Default::default()).unwrap();
    let (_, text) = early_failure(daemon.addr(), &big);
    assert!(text.starts_with("message too large (") && text.ends_with(", max=400)"), "{text}");
    // A result too large to send closes the connection without a reply (Pyro5 does the same).
    let mut client = Client::ready(daemon.addr(), Serializer::Msgpack);
    let message =
        client.invoke_message(Serializer::Msgpack, "thing", "echo", vec![Value::from("y".repeat(500))], Dict::new());
    client.send(&message);
    assert!(client.is_closed());
    daemon.stop();
}

#[test]
fn unknown_serializer_id_closes_without_reply() {
    let daemon = start(config());
    let mut client = Client::connect(daemon.addr());
    let mut message = Client::handshake_message(Serializer::Msgpack, "thing");
    message.serializer_id = 9;
    client.send(&message);
    assert!(client.is_closed());

    // Every Pyro5 serializer is served, each answered in its own serializer.
    for ser in [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack] {
        let mut client = Client::connect(daemon.addr());
        client.send(&Client::handshake_message(ser, "thing"));
        let reply = client.receive().unwrap();
        assert_eq!((reply.msg_type, reply.serializer_id), (MessageType::ConnectOk, ser.id()), "{ser}");
    }

    // After the handshake, an INVOKE in an unknown serializer closes the connection.
    let mut client = Client::ready(daemon.addr(), Serializer::Msgpack);
    let mut message = client.invoke_message(Serializer::Msgpack, "thing", "add", vec![1.into(), 2.into()], Dict::new());
    message.serializer_id = 9;
    client.send(&message);
    assert!(client.is_closed());
    daemon.stop();
}

#[test]
fn ping_is_answered_with_pong() {
    let daemon = start(config());
    let mut client = Client::ready(daemon.addr(), Serializer::Json);
    client.send(&Message::ping().with_seq(77));
    let reply = client.receive().unwrap();
    assert_eq!((reply.msg_type, reply.seq, reply.serializer_id), (MessageType::Ping, 77, 42));
    assert_eq!(reply.data, b"pong");
    assert!(reply.correlation_id.is_some());
    daemon.stop();
}

#[test]
fn invoke_returns_results_in_the_request_serializer() {
    let daemon = start(config());
    for ser in SERIALIZERS {
        let mut client = Client::ready(daemon.addr(), ser);
        assert_eq!(client.call(ser, "thing", "add", vec![1.into(), 2.into()]), Ok(Value::Int(3)));
        let list = Value::List(vec![Value::from("a"), Value::Float(1.5), Value::None, Value::Bool(true)]);
        assert_eq!(client.call(ser, "thing", "echo", vec![list.clone()]), Ok(list));
        assert_eq!(
            client.call(ser, "thing", "incr", vec![]).unwrap(),
            client.call(ser, "thing", "incr", vec![]).map(|v| Value::Int(v.as_i64().unwrap() - 1)).unwrap()
        );
        // keyword arguments
        let kwargs: Dict = [("greeting", Value::from("hi"))].into_iter().collect();
        let message = client.invoke_message(ser, "thing", "greet", vec![Value::from("bob")], kwargs);
        client.send(&message);
        let reply = client.receive().unwrap();
        assert_eq!(ser.from_bytes::<String>(&reply.data).unwrap(), "hi, bob!");
    }
    // One connection may mix serializers: each reply is in its request's serializer.
    let mut client = Client::ready(daemon.addr(), Serializer::Msgpack);
    assert_eq!(client.call(Serializer::Json, "thing", "add", vec![2.into(), 2.into()]), Ok(Value::Int(4)));
    daemon.stop();
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let daemon = start(config());
    for ser in SERIALIZERS {
        let mut client = Client::ready(daemon.addr(), ser);
        // 40 calls in one write (more than the daemon holds replies for), a oneway call and an
        // exception among them; then one more call alone.
        let mut messages = Vec::new();
        for i in 0..40i64 {
            let message = match i {
                10 => client
                    .invoke_message(ser, "thing", "notify", vec![Value::from("x")], Dict::new())
                    .with_flags(Flags::ONEWAY),
                20 => client.invoke_message(ser, "thing", "fail", vec![], Dict::new()),
                _ => client.invoke_message(ser, "thing", "add", vec![i.into(), 1.into()], Dict::new()),
            };
            messages.push(message);
        }
        let first = client.seq - 39;
        client.stream.send_messages(&messages).unwrap();
        for i in (0..40i64).filter(|&i| i != 10) {
            let reply = client.receive().unwrap();
            assert_eq!((reply.msg_type, reply.seq), (MessageType::Result, first + i as u16), "{ser}: call {i}");
            if i == 20 {
                assert!(reply.flags.contains(Flags::EXCEPTION), "{ser}");
            } else {
                assert_eq!(ser.from_bytes::<Value>(&reply.data).unwrap(), Value::Int(i + 1), "{ser}");
            }
        }
        assert_eq!(client.call(ser, "thing", "add", vec![2.into(), 2.into()]), Ok(Value::Int(4)), "{ser}: in step");
    }
    daemon.stop();
}

#[test]
fn errors_become_exception_replies_with_traceback() {
    let daemon = start(config());
    for ser in SERIALIZERS {
        let mut client = Client::ready(daemon.addr(), ser);
        let reply = client.call_raw(ser, "thing", "fail", vec![Value::from("oops")]);
        assert!(reply.flags.contains(Flags::EXCEPTION));
        let value: Value = ser.from_bytes(&reply.data).unwrap();
        let attributes = value.as_dict().unwrap().get("attributes").unwrap().as_dict().unwrap();
        assert!(attributes.get(TRACEBACK_ATTRIBUTE).unwrap().as_seq().is_some());
        let err = pyro_runtime::RemoteError::from_value(&value).unwrap();
        assert_eq!((err.class.as_str(), err.message.as_str()), ("builtins.ValueError", "oops"));
        assert_eq!(err.traceback.first().map(String::as_str), Some("Traceback (most recent call last):\n"));
        assert!(err.traceback.iter().any(|l| l.contains("thing.fail")), "{:?}", err.traceback);
        assert_eq!(err.traceback.last().map(String::as_str), Some("ValueError: oops\n"));

        let err = client.call(ser, "thing", "nope", vec![]).unwrap_err();
        assert_eq!(err.class, "builtins.AttributeError");
        let err = client.call(ser, "nobody", "add", vec![]).unwrap_err();
        assert_eq!((err.class.as_str(), err.message.as_str()), ("Pyro5.errors.DaemonError", "unknown object"));
        let err = client.call(ser, "thing", "add", vec![1.into()]).unwrap_err();
        assert_eq!(err.class, "builtins.TypeError");
        // The connection is still usable.
        assert_eq!(client.call(ser, "thing", "add", vec![1.into(), 2.into()]), Ok(Value::Int(3)));
    }
    daemon.stop();
}

#[test]
fn result_that_cannot_be_serialized_is_a_serialize_error() {
    let daemon = start(config());
    let mut client = Client::ready(daemon.addr(), Serializer::Json);
    let err = client.call(Serializer::Json, "thing", "blob", vec![]).unwrap_err();
    assert_eq!(err.class, "Pyro5.errors.SerializeError");
    for ser in [Serializer::Msgpack, Serializer::Marshal] {
        let mut client = Client::ready(daemon.addr(), ser);
        assert_eq!(client.call(ser, "thing", "blob", vec![]), Ok(Value::Bytes(vec![1, 2, 3])), "{ser}");
    }
    // Serpent sends bytes as Pyro5 does: the base64 dict.
    let mut client = Client::ready(daemon.addr(), Serializer::Serpent);
    let base64: Dict = [("data", Value::from("AQID")), ("encoding", Value::from("base64"))].into_iter().collect();
    assert_eq!(client.call(Serializer::Serpent, "thing", "blob", vec![]), Ok(Value::Dict(base64)));
    daemon.stop();
}

#[test]
fn a_panic_is_a_runtime_error_and_the_daemon_lives_on() {
    let daemon = start(config());
    let mut client = Client::ready(daemon.addr(), Serializer::Msgpack);
    let err = client.call(Serializer::Msgpack, "thing", "panic", vec![]).unwrap_err();
    assert_eq!(err.class, "builtins.RuntimeError");
    assert!(err.message.contains("deliberate test panic"), "{}", err.message);
    assert_eq!(client.call(Serializer::Msgpack, "thing", "add", vec![1.into(), 1.into()]), Ok(Value::Int(2)));
    let mut other = Client::ready(daemon.addr(), Serializer::Msgpack);
    assert_eq!(other.call(Serializer::Msgpack, "thing", "incr", vec![]), Ok(Value::Int(1)));
    daemon.stop();
}

#[test]
fn oneway_calls_get_no_reply_and_do_not_block_the_connection() {
    let daemon = start(config());
    let mut client = Client::ready(daemon.addr(), Serializer::Msgpack);
    let oneway = client.invoke_message(Serializer::Msgpack, "thing", "notify", vec![Value::from("event")], Dict::new());
    client.send(&oneway.with_flags(Flags::ONEWAY));
    // Failing oneway calls are not answered either.
    let bad = client.invoke_message(Serializer::Msgpack, "thing", "nope", vec![], Dict::new());
    client.send(&bad.with_flags(Flags::ONEWAY));
    let bad = client.invoke_message(Serializer::Msgpack, "nobody", "nope", vec![], Dict::new());
    client.send(&bad.with_flags(Flags::ONEWAY));
    // notify sleeps 300 ms on its own thread; this call is answered first.
    let start = std::time::Instant::now();
    assert_eq!(client.call(Serializer::Msgpack, "thing", "add", vec![1.into(), 2.into()]), Ok(Value::Int(3)));
    assert!(start.elapsed() < Duration::from_millis(250), "oneway held up the connection");
    assert!(daemon.notified.lock().unwrap().is_empty());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while daemon.notified.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(*daemon.notified.lock().unwrap(), [Value::from("event")]);
    daemon.stop();
}

#[test]
fn many_oneway_calls_all_run_on_the_bounded_pool() {
    // 40 calls of 300 ms each on at most 16 oneway workers: all run, none is dropped, and the
    // connection keeps answering meanwhile.
    let daemon = start(config());
    let mut client = Client::ready(daemon.addr(), Serializer::Msgpack);
    for n in 0..40 {
        let oneway = client.invoke_message(Serializer::Msgpack, "thing", "notify", vec![Value::Int(n)], Dict::new());
        client.send(&oneway.with_flags(Flags::ONEWAY));
    }
    assert_eq!(client.call(Serializer::Msgpack, "thing", "add", vec![1.into(), 2.into()]), Ok(Value::Int(3)));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while daemon.notified.lock().unwrap().len() < 40 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut got: Vec<i64> = daemon.notified.lock().unwrap().iter().filter_map(Value::as_i64).collect();
    got.sort_unstable();
    assert_eq!(got, (0..40).collect::<Vec<i64>>());
    daemon.stop();
}

#[test]
fn pyro_daemon_object_methods() {
    let daemon = start(config());
    for ser in SERIALIZERS {
        let mut client = Client::connect(daemon.addr());
        assert_eq!(client.handshake(ser, "Pyro.Daemon").msg_type, MessageType::ConnectOk);
        assert_eq!(client.call(ser, "Pyro.Daemon", "ping", vec![]), Ok(Value::None));
        assert_eq!(
            client.call(ser, "Pyro.Daemon", "registered", vec![]),
            Ok(Value::List(vec![Value::from("Pyro.Daemon"), Value::from("thing")]))
        );
        let meta = client.call(ser, "Pyro.Daemon", "get_metadata", vec![Value::from("thing")]).unwrap();
        let meta: Metadata = pyro_runtime::value::from_value(meta).unwrap();
        assert!(meta.methods.contains("greet"));
        let err = client.call(ser, "Pyro.Daemon", "get_metadata", vec![Value::from("nobody")]).unwrap_err();
        assert_eq!((err.class.as_str(), err.message.as_str()), ("Pyro5.errors.DaemonError", "unknown object"));
        let info = client.call(ser, "Pyro.Daemon", "info", vec![]).unwrap();
        let info = info.as_str().unwrap();
        let expected =
            format!("Pyro.Daemon bound on {}, NAT None, 2 objects registered. Servertype: ", daemon.daemon.location());
        assert!(info.starts_with(&expected), "{info}");
    }
    daemon.stop();
}

#[test]
fn protocol_garbage_after_the_handshake_closes_without_reply() {
    let daemon = start(config());
    let cases: Vec<Vec<u8>> = vec![
        b"!!!!!!!!!!!!!!!!".to_vec(),
        Client::handshake_message(Serializer::Msgpack, "thing").to_bytes(&Default::default()).unwrap(),
        Message::new(MessageType::Result, 4, vec![0xc0]).to_bytes(&Default::default()).unwrap(),
        Message::new(MessageType::Invoke, 4, vec![0xc1, 0xc1]).to_bytes(&Default::default()).unwrap(),
    ];
    for (i, bytes) in cases.into_iter().enumerate() {
        let mut client = Client::ready(daemon.addr(), Serializer::Msgpack);
        client.stream.get_mut().write_all(&bytes).unwrap();
        match client.receive() {
            // an undecodable call is answered with a SerializeError first, as Pyro5 does
            Ok(reply) if i == 3 => {
                assert!(reply.flags.contains(Flags::EXCEPTION));
                assert!(client.is_closed());
            }
            Ok(reply) => panic!("case {i}: unexpected reply {reply:?}"),
            Err(e) => assert!(matches!(e, pyro_runtime::Error::ConnectionClosed { .. }), "case {i}: {e}"),
        }
    }
    daemon.stop();
}

#[test]
fn the_daemon_runs_the_server_type_of_the_test_crate() {
    let daemon = start(config());
    let mut client = Client::ready(daemon.addr(), Serializer::Serpent);
    let reply = client.call(Serializer::Serpent, "Pyro.Daemon", "info", vec![]).unwrap();
    let info = reply.as_str().unwrap().to_owned();
    let multiplexed = daemon_support::server_type() == pyro_runtime::config::ServerType::Multiplex;
    assert_eq!(info.contains("<pyro multiplexed server on"), multiplexed, "{info}");
    assert_eq!(info.contains("<pyro thread pool server on"), !multiplexed, "{info}");
    daemon.stop();
}

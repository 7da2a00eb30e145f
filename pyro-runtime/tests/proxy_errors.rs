//! Proxy error handling against an in-test fake server: rejected handshakes (incl. a
//! marshal-encoded CONNECTFAIL), bad replies, timeouts, retries and refused connections.

#![allow(clippy::unwrap_used)]

mod proxy_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proxy_support::{Action, FakeServer, Handshake, result, thing, thing_metadata};
use pyro_runtime::protocol::{Flags, Message, MessageType, ProtocolError};
use pyro_runtime::serializer::{SerializeError, Serializer};
use pyro_runtime::value::Value;
use pyro_runtime::{Error, Uri, proxy::Proxy};

#[test]
fn connectfail_is_a_communication_error_with_the_reason() {
    for ser in [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack] {
        let server = FakeServer::start(Handshake::Fail("unknown object".into()), thing);
        let proxy = server.proxy(ser);
        let err = proxy.call::<_, Value>("add", &(1, 2)).unwrap_err();
        let Error::ConnectionRejected { location, reason } = &err else { panic!("{ser}: {err:?}") };
        assert_eq!(
            (location.as_str(), reason.as_str()),
            (format!("127.0.0.1:{}", server.port).as_str(), "unknown object")
        );
        assert_eq!(proxy.open_connections(), 0);
        assert!(proxy.metadata().is_none());
    }
}

#[test]
fn marshal_connectfail_is_decoded() {
    let server = FakeServer::start(Handshake::FailMarshal("invalid data".into()), thing);
    let err = server.proxy(Serializer::Json).bind().unwrap_err();
    assert!(err.to_string().ends_with("rejected: invalid data"), "{err}");
}

#[test]
fn reply_with_wrong_seq_is_a_protocol_error_and_drops_the_connection() {
    let calls = AtomicUsize::new(0);
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), move |msg, call, stats| {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 {
            let reply =
                Message::new(MessageType::Result, msg.serializer_id, vec![0xc0]).with_seq(msg.seq.wrapping_add(5));
            Action::Reply(reply)
        } else {
            thing(msg, call, stats)
        }
    });
    let proxy = server.proxy(Serializer::Msgpack);
    let err = proxy.call::<_, Value>("add", &(1, 2)).unwrap_err();
    assert!(matches!(err, Error::Protocol(ProtocolError::SequenceMismatch { got: 6, expected: 1 })), "{err:?}");
    assert_eq!(err.python_class(), "Pyro5.errors.ProtocolError");
    assert_eq!(proxy.open_connections(), 0, "the connection was dropped");
    assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).unwrap(), 3, "the next call reconnects");
    assert_eq!(server.stats.connections.load(Ordering::SeqCst), 2);
}

#[test]
fn reply_in_another_serializer_is_refused() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), |msg, _, _| {
        let ser = Serializer::Json;
        Action::Reply(Message::new(MessageType::Result, ser.id(), ser.to_bytes(&1).unwrap()).with_seq(msg.seq))
    });
    let err = server.proxy(Serializer::Msgpack).call::<_, Value>("add", &(1, 2)).unwrap_err();
    assert!(
        matches!(&err, Error::Serialize(SerializeError::Invalid { reason, .. }) if reason == "invalid serializer in response: 3"),
        "{err:?}"
    );
}

#[test]
fn reply_of_the_wrong_type_is_a_protocol_error() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), |msg, _, _| {
        Action::Reply(Message::new(MessageType::Invoke, msg.serializer_id, vec![0xc0]).with_seq(msg.seq))
    });
    let err = server.proxy(Serializer::Msgpack).call::<_, Value>("add", &(1, 2)).unwrap_err();
    assert!(matches!(err, Error::Protocol(ProtocolError::UnexpectedMessageType { msg_type: 4, .. })), "{err:?}");
}

#[test]
fn plain_calls_refuse_stream_replies_and_batch_replies_need_a_batch() {
    for (flags, expected) in
        [(Flags::ITEMSTREAMRESULT | Flags::EXCEPTION, "call_stream"), (Flags::BATCH, "'add' was no batch call")]
    {
        let server = FakeServer::start(Handshake::Ok(thing_metadata()), move |msg, _, _| {
            let Action::Reply(reply) = result(msg, &Value::None) else { unreachable!() };
            Action::Reply(reply.with_flags(flags))
        });
        let err = server.proxy(Serializer::Msgpack).call::<_, Value>("add", &(1, 2)).unwrap_err();
        assert!(err.to_string().contains(expected), "{flags:?}: {err}");
    }
}

#[test]
fn undecodable_result_is_a_serialize_error() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = server.proxy(Serializer::Msgpack);
    let err = proxy.call::<_, String>("add", &(1, 2)).unwrap_err();
    assert!(matches!(err, Error::Serialize(_)), "{err:?}");
}

#[test]
fn slow_reply_times_out_and_the_next_call_reconnects() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let timeout = Duration::from_millis(200);
    let proxy = server.proxy(Serializer::Msgpack).with_timeout(Some(timeout));
    let started = Instant::now();
    let err = proxy.call::<_, Value>("slow", &(3000,)).unwrap_err();
    assert!(started.elapsed() < Duration::from_millis(2500), "the timeout did not fire");
    let Error::Timeout { after, context } = &err else { panic!("{err:?}") };
    assert_eq!(*after, timeout);
    assert!(context.contains("receiving a reply from PYRO:thing@127.0.0.1"), "{context}");
    assert_eq!(err.python_class(), "Pyro5.errors.TimeoutError");
    assert_eq!(proxy.open_connections(), 0);
    assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).unwrap(), 3);
    assert_eq!(server.stats.connections.load(Ordering::SeqCst), 2);
}

#[test]
fn closed_connection_is_retried_up_to_max_retries() {
    for (retries, expect_ok) in [(0, false), (1, true)] {
        let calls = AtomicUsize::new(0);
        let server = FakeServer::start(Handshake::Ok(thing_metadata()), move |msg, call, stats| {
            if msg.msg_type == MessageType::Invoke && calls.fetch_add(1, Ordering::SeqCst) == 0 {
                Action::Close
            } else {
                thing(msg, call, stats)
            }
        });
        let proxy = server.proxy(Serializer::Msgpack).with_max_retries(retries);
        let got = proxy.call::<_, i64>("add", &(1, 2));
        if expect_ok {
            assert_eq!(got.unwrap(), 3);
            assert_eq!(server.stats.connections.load(Ordering::SeqCst), 2);
        } else {
            assert!(matches!(got, Err(Error::ConnectionClosed { .. })), "{got:?}");
        }
    }
}

#[test]
fn remote_errors_are_not_retried() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = server.proxy(Serializer::Msgpack).with_max_retries(3);
    assert!(matches!(proxy.call::<_, Value>("fail", &()), Err(Error::Remote(_))));
    assert_eq!(server.stats.invokes().len(), 1);
}

#[test]
fn refused_connection() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let proxy = Proxy::new(Uri::pyro("thing", "127.0.0.1", port).unwrap());
    let err = proxy.call::<_, Value>("x", &()).unwrap_err();
    assert!(matches!(err, Error::ConnectionRefused { .. }), "{err:?}");
    assert_eq!(proxy.open_connections(), 0);
}

#[test]
fn handshake_timeout() {
    // A listener that accepts but never answers the CONNECT.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let proxy =
        Proxy::new(Uri::pyro("thing", "127.0.0.1", port).unwrap()).with_timeout(Some(Duration::from_millis(150)));
    let err = proxy.bind().unwrap_err();
    assert!(
        matches!(&err, Error::Timeout { context, .. } if context.starts_with("connecting to 127.0.0.1")),
        "{err:?}"
    );
    assert_eq!(proxy.open_connections(), 0);
    drop(listener);
}

//! Both sessions, driven by hand: no sockets, no threads.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;

use uuid::Uuid;

use super::*;
use crate::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply, Servant, Served};
use crate::protocol::{AnnotationId, Flags, Message, MessageType};
use crate::serializer::{ExceptionWrapper, marshal};
use crate::value::{Dict, Value};
use crate::{Error, RemoteError, Serializer};

struct Thing;

impl Dispatch<Thing> for Thing {
    fn metadata() -> Metadata {
        Metadata::new(["add", "fail", "panic", "annotate", "whoami"], [], [])
    }
    fn receiver(method: &str) -> Option<Receiver> {
        <Thing as Dispatch<Thing>>::metadata().methods.contains(method).then_some(Receiver::Shared)
    }
    fn invoke_shared(&self, ctx: &mut CallContext, method: &str, mut args: CallArgs) -> Result<Reply, Error> {
        match method {
            "add" => {
                let a: Value = args.required(0, "a")?;
                let b: Value = args.required(1, "b")?;
                args.finish()?;
                match (a, b) {
                    (Value::Int(a), Value::Int(b)) => ctx.encode(&(a + b)),
                    (Value::Str(a), Value::Str(b)) => Ok(Reply::Value(Value::Str(a + &b))),
                    _ => Err(RemoteError::new("builtins.TypeError", vec!["unsupported operands".into()]).into()),
                }
            }
            "fail" => Err(RemoteError::new("builtins.ValueError", vec!["deliberate".into()]).into()),
            "panic" => panic!("deliberate panic"),
            "annotate" => {
                ctx.response_annotations_mut().insert(AnnotationId::try_from("XTRA").unwrap(), b"yes".to_vec());
                ctx.encode(&())
            }
            "whoami" => {
                let corr = ctx.correlation_id().map(|id| id.to_string()).unwrap_or_default();
                ctx.encode(&(ctx.session_id(), corr))
            }
            _ => Err(CallArgs::unknown_method(method)),
        }
    }
    fn invoke_exclusive(&mut self, _: &mut CallContext, method: &str, _: CallArgs) -> Result<Reply, Error> {
        Err(CallArgs::unknown_method(method))
    }
}

struct Objects(Arc<dyn Servant>);

impl Directory for Objects {
    fn servant(&self, id: &str) -> Option<Arc<dyn Servant>> {
        (id == "thing").then(|| Arc::clone(&self.0))
    }
    fn ids(&self) -> Vec<String> {
        vec!["thing".into()]
    }
}

fn objects() -> Objects {
    Objects(Arc::new(Served::new(Thing)))
}

fn info() -> Arc<DaemonInfo> {
    Arc::new(DaemonInfo {
        location: "here:1".into(),
        nat_location: None,
        server: "<test>".into(),
        serialize_options: Default::default(),
        decode_limit: Default::default(),
    })
}

const SERIALIZERS: [Serializer; 2] = [Serializer::Msgpack, Serializer::Json];

/// A server session past its handshake, and a client session in step with it.
fn connected(ser: Serializer, objects: &Objects) -> (ServerSession, ClientSession) {
    let mut server = ServerSession::new(9, info());
    let client = ClientSession::new(ser);
    let connect = client.connect_request("thing", &Value::from("hello")).unwrap();
    let Action::Send(ok) = server.on_message(connect, objects) else { panic!("handshake refused") };
    let handshake = client.on_connect_reply(&ok, "here:1").unwrap();
    assert_eq!(handshake.response, Value::from("hello"));
    assert!(handshake.metadata.methods.contains("whoami"));
    assert!(server.is_connected());
    (server, client)
}

fn invoke(client: &mut ClientSession, object: &str, method: &str, vargs: Vec<Value>, flags: Flags) -> Message {
    let ser = client.serializer();
    let payload = ser.encode_call(object, method, &vargs, Some(&Dict::new())).unwrap();
    client.invoke_request(payload, flags)
}

/// Runs whatever the server asks to run, and returns the final action.
fn serve(server: &mut ServerSession, objects: &Objects, message: Message) -> Action {
    match server.on_message(message, objects) {
        Action::Dispatch(request) | Action::DispatchOneway(request) => server.reply(request.run()),
        other => other,
    }
}

fn sent(action: Action) -> Message {
    match action {
        Action::Send(message) => message,
        other => panic!("expected a reply to send, got {other:?}"),
    }
}

fn batch_vargs(calls: &[(&str, Vec<Value>)]) -> Vec<Value> {
    calls
        .iter()
        .map(|(method, vargs)| {
            Value::List(vec![Value::from(*method), Value::List(vargs.clone()), Value::Dict(Dict::new())])
        })
        .collect()
}

#[test]
fn calls_return_results_with_seq_and_correlation_id() {
    let objects = objects();
    for ser in SERIALIZERS {
        let (mut server, mut client) = connected(ser, &objects);
        for n in 1..=3 {
            let request = invoke(&mut client, "thing", "add", vec![Value::Int(n), Value::Int(1)], Flags::EMPTY);
            let reply = sent(serve(&mut server, &objects, request));
            client.check_reply(&reply).unwrap();
            assert_eq!(reply.seq, u16::try_from(n).unwrap());
            assert!(reply.correlation_id.is_some(), "the daemon makes one up");
            assert_eq!(client.decode_result::<i64>("add", &reply).unwrap(), n + 1);
        }
    }
}

#[test]
fn the_context_carries_session_and_correlation_id() {
    let objects = objects();
    let (mut server, mut client) = connected(Serializer::Msgpack, &objects);
    let id = Uuid::from_u128(0x1234);
    let mut request = invoke(&mut client, "thing", "whoami", vec![], Flags::EMPTY);
    request = request.with_correlation_id(id);
    let reply = sent(serve(&mut server, &objects, request));
    assert_eq!(reply.correlation_id, Some(id));
    let (session, corr): (u64, String) = client.decode_result("whoami", &reply).unwrap();
    assert_eq!((session, corr), (9, id.to_string()));
}

#[test]
fn response_annotations_go_on_the_reply() {
    let objects = objects();
    let (mut server, mut client) = connected(Serializer::Json, &objects);
    let reply = sent(serve(&mut server, &objects, invoke(&mut client, "thing", "annotate", vec![], Flags::EMPTY)));
    assert_eq!(reply.annotations.get(AnnotationId::try_from("XTRA").unwrap()), Some(&b"yes"[..]));
}

#[test]
fn exceptions_and_panics_are_exception_replies_that_keep_the_connection() {
    let objects = objects();
    for ser in SERIALIZERS {
        let (mut server, mut client) = connected(ser, &objects);
        for (method, class) in [("fail", "builtins.ValueError"), ("panic", "builtins.RuntimeError")] {
            let reply = sent(serve(&mut server, &objects, invoke(&mut client, "thing", method, vec![], Flags::EMPTY)));
            assert!(reply.flags.contains(Flags::EXCEPTION));
            assert!(!client.server_closes_after(&reply));
            let Err(Error::Remote(remote)) = client.decode_result::<Value>(method, &reply) else { panic!() };
            assert_eq!(remote.class, class);
            assert!(remote.traceback.iter().any(|line| line.contains(&format!("thing.{method}"))));
        }
        assert!(server.is_connected());
    }
}

#[test]
fn unknown_objects_are_exceptions_and_silent_when_oneway() {
    let objects = objects();
    let (mut server, mut client) = connected(Serializer::Msgpack, &objects);
    let reply = sent(serve(&mut server, &objects, invoke(&mut client, "nothing", "x", vec![], Flags::EMPTY)));
    let Err(Error::Remote(remote)) = client.decode_result::<Value>("x", &reply) else { panic!() };
    assert_eq!((remote.class.as_str(), remote.message.as_str()), ("Pyro5.errors.DaemonError", "unknown object"));
    let oneway = invoke(&mut client, "nothing", "x", vec![], Flags::ONEWAY);
    assert!(matches!(server.on_message(oneway, &objects), Action::Continue));
    assert!(server.is_connected());
}

#[test]
fn oneway_calls_are_dispatched_without_reply() {
    let objects = objects();
    let (mut server, mut client) = connected(Serializer::Msgpack, &objects);
    let oneway = invoke(&mut client, "thing", "fail", vec![], Flags::ONEWAY);
    let Action::DispatchOneway(request) = server.on_message(oneway, &objects) else { panic!() };
    assert!(request.is_oneway());
    assert!(matches!(server.reply(request.run()), Action::Continue));
}

#[test]
fn an_undecodable_call_is_a_serialize_error_then_close() {
    let objects = objects();
    let (mut server, _) = connected(Serializer::Json, &objects);
    let garbage = Message::new(MessageType::Invoke, Serializer::Json.id(), b"{not json".to_vec()).with_seq(1);
    let Action::SendAndClose(reply) = server.on_message(garbage, &objects) else { panic!() };
    let value: Value = Serializer::Json.from_bytes(&reply.data).unwrap();
    assert_eq!(RemoteError::from_value(&value).unwrap().class, "Pyro5.errors.SerializeError");
    assert!(matches!(server.on_message(Message::ping(), &objects), Action::Close));
}

#[test]
fn ping_is_answered_with_pong_and_the_same_seq() {
    let objects = objects();
    let (mut server, client) = connected(Serializer::Msgpack, &objects);
    let reply = sent(server.on_message(client.ping_request().with_seq(77), &objects));
    assert_eq!((reply.msg_type, reply.seq, &reply.data[..]), (MessageType::Ping, 77, &b"pong"[..]));
    client.check_ping_reply(&reply).unwrap();
}

#[test]
fn the_handshake_refuses_as_pyro5_does() {
    let objects = objects();
    // Anything but CONNECT first: marshal CONNECTFAIL, seq 0, then close.
    let mut server = ServerSession::new(1, info());
    let Action::SendAndClose(fail) = server.on_message(Message::ping().with_seq(5), &objects) else { panic!() };
    assert_eq!((fail.msg_type, fail.serializer_id, fail.seq), (MessageType::ConnectFail, 2, 0));
    assert_eq!(marshal::decode_str(&fail.data).unwrap(), "invalid msg type 6 received (expected: 1)");
    // An unknown object: CONNECTFAIL in the request's serializer.
    let mut server = ServerSession::new(1, info());
    let connect = ClientSession::new(Serializer::Msgpack).connect_request("nothing", &Value::from("hello")).unwrap();
    let Action::SendAndClose(fail) = server.on_message(connect.with_seq(3), &objects) else { panic!() };
    assert_eq!((fail.serializer_id, fail.seq), (4, 3));
    let err = ClientSession::new(Serializer::Msgpack).on_connect_reply(&fail, "here:1").unwrap_err();
    assert_eq!(err.to_string(), "communication error: connection to here:1 rejected: unknown object");
    // A serializer id no Pyro5 knows: closed without reply.
    let mut server = ServerSession::new(1, info());
    let unknown = Message::new(MessageType::Connect, 9, b"x".to_vec());
    assert!(matches!(server.on_message(unknown, &objects), Action::Close));
    // A missing key: its name, as Python's KeyError text.
    let mut server = ServerSession::new(1, info());
    let connect = Message::new(MessageType::Connect, 3, br#"{"handshake": "hello"}"#.to_vec());
    let Action::SendAndClose(fail) = server.on_message(connect, &objects) else { panic!() };
    assert_eq!(Serializer::Json.from_bytes::<String>(&fail.data).unwrap(), "'object'");
}

#[test]
fn after_the_handshake_a_second_connect_closes() {
    let objects = objects();
    let (mut server, client) = connected(Serializer::Json, &objects);
    let connect = client.connect_request("thing", &Value::from("hello")).unwrap();
    assert!(matches!(server.on_message(connect, &objects), Action::Close));
    assert!(!server.is_connected());
}

#[test]
fn the_daemon_object_answers_inside_the_session() {
    let objects = objects();
    for ser in SERIALIZERS {
        let (mut server, mut client) = connected(ser, &objects);
        let call = invoke(&mut client, DAEMON_OBJECT_ID, "registered", vec![], Flags::EMPTY);
        let reply = sent(server.on_message(call, &objects));
        assert_eq!(client.decode_result::<Vec<String>>("registered", &reply).unwrap(), ["Pyro.Daemon", "thing"]);
        let call = invoke(&mut client, DAEMON_OBJECT_ID, "get_metadata", vec!["thing".into()], Flags::EMPTY);
        let meta: Metadata = client.decode_result("get_metadata", &sent(server.on_message(call, &objects))).unwrap();
        assert!(meta.methods.contains("add"));
        let call = invoke(&mut client, DAEMON_OBJECT_ID, "info", vec![], Flags::EMPTY);
        let text: String = client.decode_result("info", &sent(server.on_message(call, &objects))).unwrap();
        assert_eq!(text, "Pyro.Daemon bound on here:1, NAT None, 2 objects registered. Servertype: <test>");
        let close = invoke(&mut client, DAEMON_OBJECT_ID, "close_stream", vec!["s".into()], Flags::ONEWAY);
        assert!(matches!(server.on_message(close, &objects), Action::Continue));
    }
}

#[test]
fn batches_return_results_in_order_and_stop_at_the_first_exception() {
    let objects = objects();
    for ser in SERIALIZERS {
        let (mut server, mut client) = connected(ser, &objects);
        let vargs = batch_vargs(&[
            ("add", vec![1.into(), 1.into()]),
            ("add", vec!["x".into(), "y".into()]),
            ("fail", vec![]),
            ("add", vec![2.into(), 2.into()]),
        ]);
        let payload = ser.encode_call("thing", BATCH_METHOD, &vargs, None::<&Dict>).unwrap();
        let request = client.invoke_request(payload, Flags::BATCH);
        let reply = sent(serve(&mut server, &objects, request));
        assert!(reply.flags.contains(Flags::BATCH) && !reply.flags.contains(Flags::EXCEPTION), "{:?}", reply.flags);
        let raw: Value = ser.from_bytes(&reply.data).unwrap();
        let Value::List(items) = raw else { panic!() };
        assert!(ExceptionWrapper::is_wrapper(&items[2]));
        let results = client.decode_batch(&reply).unwrap();
        assert_eq!(results.len(), 3);
        assert_eq!(results[0], Ok(Value::Int(2)));
        assert_eq!(results[1], Ok(Value::from("xy")));
        assert_eq!(results[2].as_ref().unwrap_err().class, "builtins.ValueError");
    }
}

#[test]
fn a_batch_with_an_unexposed_method_fails_as_a_whole() {
    let objects = objects();
    let (mut server, mut client) = connected(Serializer::Msgpack, &objects);
    let vargs = batch_vargs(&[("add", vec![1.into(), 1.into()]), ("nope", vec![])]);
    let payload = Serializer::Msgpack.encode_call("thing", BATCH_METHOD, &vargs, None::<&Dict>).unwrap();
    let reply = sent(serve(&mut server, &objects, client.invoke_request(payload, Flags::BATCH)));
    assert!(reply.flags.contains(Flags::EXCEPTION) && !reply.flags.contains(Flags::BATCH));
    let Err(Error::Remote(remote)) = client.decode_batch(&reply) else { panic!() };
    assert_eq!(remote.class, "builtins.AttributeError");
}

#[test]
fn malformed_batches_are_python_unpacking_errors() {
    let objects = objects();
    let (mut server, mut client) = connected(Serializer::Json, &objects);
    let vargs = vec![Value::List(vec!["add".into(), Value::List(vec![])])];
    let payload = Serializer::Json.encode_call("thing", BATCH_METHOD, &vargs, None::<&Dict>).unwrap();
    let reply = sent(serve(&mut server, &objects, client.invoke_request(payload, Flags::BATCH)));
    let Err(Error::Remote(remote)) = client.decode_batch(&reply) else { panic!() };
    assert_eq!(remote.class, "builtins.ValueError");
    assert_eq!(remote.message, "not enough values to unpack (expected 3, got 2)");
    assert!(server.is_connected());
}

#[test]
fn a_oneway_batch_runs_and_sends_nothing() {
    let objects = objects();
    let (mut server, mut client) = connected(Serializer::Msgpack, &objects);
    let vargs = batch_vargs(&[("add", vec![1.into(), 1.into()]), ("fail", vec![])]);
    let payload = Serializer::Msgpack.encode_call("thing", BATCH_METHOD, &vargs, None::<&Dict>).unwrap();
    let Action::DispatchOneway(request) =
        server.on_message(client.invoke_request(payload, Flags::BATCH | Flags::ONEWAY), &objects)
    else {
        panic!()
    };
    let completed = request.run();
    assert!(matches!(completed.outcome(), Outcome::Batch(Ok(results)) if results.len() == 2));
    assert!(matches!(server.reply(completed), Action::Continue));
}

#[test]
fn the_client_checks_replies() {
    let mut client = ClientSession::new(Serializer::Json);
    let _ = client.invoke_request(b"{}".to_vec(), Flags::EMPTY);
    let wrong_ser = Message::new(MessageType::Result, 4, vec![0xc0]).with_seq(1);
    assert!(matches!(client.check_reply(&wrong_ser), Err(Error::Serialize(_))));
    let wrong_type = Message::new(MessageType::Ping, 3, b"pong".to_vec()).with_seq(1);
    assert!(matches!(client.check_reply(&wrong_type), Err(Error::Protocol(_))));
    let ok = Message::new(MessageType::Result, 3, b"null".to_vec()).with_seq(1);
    client.check_reply(&ok).unwrap();
    assert!(client.decode_batch(&ok).is_err(), "not a batch result");
}

/// Drives a server session with `wire` through the decoder, as a driver would; returns how many
/// replies it sent. Never panics on any input (the property checked).
fn drive(wire: &[u8], objects: &Objects) -> usize {
    let mut decoder = crate::protocol::MessageDecoder::with_max_message_size(1 << 16);
    let mut server = ServerSession::new(1, info());
    decoder.feed(wire);
    let mut sent = 0;
    loop {
        let action = match decoder.next_message() {
            Ok(Some(message)) => server.on_message(message, objects),
            Ok(None) => return sent,
            Err(error) => server.on_protocol_error(error),
        };
        let action = match action {
            Action::Dispatch(request) | Action::DispatchOneway(request) => server.reply(request.run()),
            other => other,
        };
        match action {
            Action::Send(_) => sent += 1,
            Action::SendAndClose(_) => return sent + 1,
            Action::Close => return sent,
            Action::Continue => {}
            Action::Dispatch(_) | Action::DispatchOneway(_) => panic!("reply() never dispatches"),
        }
    }
}

#[test]
fn mutated_conversations_never_panic() {
    let objects = objects();
    let options = crate::protocol::EncodeOptions::default();
    let mut client = ClientSession::new(Serializer::Msgpack);
    let mut wire = client.connect_request("thing", &Value::from("hello")).unwrap().to_bytes(&options).unwrap();
    for (method, vargs, flags) in [
        ("add", vec![Value::Int(1), Value::Int(2)], Flags::EMPTY),
        ("fail", vec![], Flags::ONEWAY),
        (BATCH_METHOD, batch_vargs(&[("add", vec![1.into(), 1.into()]), ("panic", vec![])]), Flags::BATCH),
    ] {
        wire.extend(invoke(&mut client, "thing", method, vargs, flags).to_bytes(&options).unwrap());
    }
    wire.extend(Message::ping().to_bytes(&options).unwrap());
    assert_eq!(drive(&wire, &objects), 4, "the untouched conversation: CONNECTOK, add, batch, PING");
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..2000 {
        let mut mutated = wire.clone();
        for _ in 0..=(next() % 4) {
            let at = usize::try_from(next() % wire.len() as u64).unwrap();
            mutated[at] = u8::try_from(next() % 256).unwrap();
        }
        let cut = usize::try_from(next() % (wire.len() as u64 + 1)).unwrap();
        drive(&mutated[..cut.max(1)], &objects);
        super::fuzzing::exercise_server_session(&mutated[..cut]);
    }
}

#[test]
fn blob_calls_go_where_their_annotation_says_with_the_payload_unread() {
    let objects = objects();
    let (mut server, mut client) = connected(Serializer::Msgpack, &objects);
    // The payload names another object and is not even a call: the daemon does not read it.
    let mut request = client.invoke_request(b"not a call".to_vec(), Flags::KEEPSERIALIZED);
    let blbi = marshal::to_bytes(&("topic", "thing", "add")).unwrap();
    request.annotations.insert(AnnotationId::BLOB_INFO, blbi);
    let reply = sent(serve(&mut server, &objects, request));
    let err = client.decode_result::<Value>("add", &reply).unwrap_err();
    // `add` got one argument, the blob, and misses its second.
    assert_eq!(err.remote().map(|r| r.message.as_str()), Some("add() missing required argument: 'b'"));

    // Without the annotation: Pyro5's KeyError, and the connection stays.
    let request = client.invoke_request(b"x".to_vec(), Flags::KEEPSERIALIZED);
    let reply = sent(serve(&mut server, &objects, request));
    let err = client.decode_result::<Value>("add", &reply).unwrap_err();
    assert_eq!(err.python_class(), "builtins.KeyError");
    let mut request = client.invoke_request(b"x".to_vec(), Flags::KEEPSERIALIZED);
    request.annotations.insert(AnnotationId::BLOB_INFO, b"\xff".to_vec());
    let reply = sent(serve(&mut server, &objects, request));
    assert_eq!(client.decode_result::<Value>("add", &reply).unwrap_err().python_class(), "builtins.ValueError");
    assert!(server.is_connected());
}

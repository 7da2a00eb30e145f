//! Item streams without sockets: the registry with a hand-moved clock, and both sessions driven
//! by hand through stream replies, `get_next_stream_item`, `close_stream` and disconnects.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::*;
use crate::dispatch::{CallArgs, CallContext, Dispatch, ItemStream, Metadata, Receiver, Reply, Servant, Served};
use crate::protocol::{AnnotationId, Flags, Message, ProtocolError};
use crate::value::{Dict, Value};
use crate::{Error, RemoteError, Serializer};

const SERIALIZERS: [Serializer; 2] = [Serializer::Msgpack, Serializer::Json];

fn items(values: &[&str]) -> ItemStream {
    let values: Vec<Result<Value, Error>> = values.iter().map(|v| Ok(Value::from(*v))).collect();
    Box::new(values.into_iter())
}

fn class(error: &Error) -> String {
    error.remote().map(|r| r.class.clone()).unwrap_or_else(|| format!("not remote: {error}"))
}

fn message(error: &Error) -> String {
    error.remote().map(|r| r.message.clone()).unwrap_or_default()
}

fn settings(linger: u64, lifetime: Option<u64>) -> StreamSettings {
    StreamSettings {
        linger: Duration::from_secs(linger),
        lifetime: lifetime.map(Duration::from_secs),
        ..StreamSettings::default()
    }
}

#[test]
fn a_stream_is_taken_out_to_run_and_put_back() {
    let mut registry = StreamRegistry::new(StreamSettings::default());
    let now = Instant::now();
    let a = registry.open(items(&["x", "y"]), 1, now).unwrap();
    let b = registry.open(items(&[]), 1, now).unwrap();
    assert_ne!(a, b);
    assert_eq!(uuid::Uuid::parse_str(&a).unwrap().get_version_num(), 4, "a random uuid, as Pyro5's");
    let mut iterator = registry.take(&a, 1, now).unwrap();
    // While its item is fetched, another call cannot run the same iterator (Python's message).
    let (busy, _) = registry.take(&a, 2, now).err().unwrap();
    assert_eq!((class(&busy), message(&busy)), ("builtins.ValueError".into(), "generator already executing".into()));
    assert_eq!(iterator.next().unwrap().unwrap(), Value::from("x"));
    assert!(registry.put_back(&a, iterator).is_empty());
    let iterator = registry.take(&a, 1, now).unwrap();
    assert!(registry.finish(&a).is_empty(), "the taken iterator is the caller's to drop");
    drop(iterator);
    let (gone, _) = registry.take(&a, 1, now).err().unwrap();
    assert_eq!((class(&gone), message(&gone)), ("Pyro5.errors.PyroError".into(), "item stream terminated".into()));
    assert_eq!(registry.len(), 1);
}

#[test]
fn closing_a_stream_being_fetched_drops_it_when_put_back() {
    let mut registry = StreamRegistry::new(StreamSettings::default());
    let now = Instant::now();
    let id = registry.open(items(&["x"]), 1, now).unwrap();
    let iterator = registry.take(&id, 1, now).unwrap();
    assert!(registry.close(&id).is_empty());
    assert_eq!(registry.put_back(&id, iterator).len(), 1);
    assert!(registry.is_empty());
}

#[test]
fn streams_expire_after_their_lifetime_since_creation() {
    let mut registry = StreamRegistry::new(settings(30, Some(10)));
    let start = Instant::now();
    let old = registry.open(items(&["x"]), 1, start).unwrap();
    let young = registry.open(items(&["x"]), 1, start + Duration::from_secs(5)).unwrap();
    // Use does not extend the lifetime.
    let iterator = registry.take(&old, 1, start + Duration::from_secs(9)).unwrap();
    drop(registry.put_back(&old, iterator));
    assert!(registry.housekeeping(start + Duration::from_secs(10)).is_empty());
    assert_eq!(registry.housekeeping(start + Duration::from_secs(11)).len(), 1);
    assert!(registry.take(&old, 1, start + Duration::from_secs(11)).is_err());
    // Expiry is also checked on access, without housekeeping.
    let (error, removed) = registry.take(&young, 1, start + Duration::from_secs(16)).err().unwrap();
    assert_eq!((message(&error), removed.len()), ("item stream terminated".into(), 1));
    assert!(registry.is_empty());
}

#[test]
fn no_lifetime_means_streams_live_until_used_up() {
    let mut registry = StreamRegistry::new(settings(30, None));
    let start = Instant::now();
    let id = registry.open(items(&["x"]), 1, start).unwrap();
    assert!(registry.housekeeping(start + Duration::from_secs(1_000_000)).is_empty());
    assert!(registry.take(&id, 1, start + Duration::from_secs(1_000_000)).is_ok());
}

#[test]
fn streams_of_a_disconnected_client_linger_and_can_be_reattached() {
    let mut registry = StreamRegistry::new(settings(5, None));
    let start = Instant::now();
    let mine = registry.open(items(&["x", "y"]), 1, start).unwrap();
    let other = registry.open(items(&["x"]), 2, start).unwrap();
    assert!(registry.disconnect(1, start).is_empty());
    assert_eq!(registry.len(), 2);
    // Session 3 picks the lingering stream up before the linger time passes: it is its own now.
    let iterator = registry.take(&mine, 3, start + Duration::from_secs(4)).unwrap();
    drop(registry.put_back(&mine, iterator));
    assert!(registry.housekeeping(start + Duration::from_secs(100)).is_empty(), "attached streams do not linger");
    // Session 3 goes too: its stream lingers from then on.
    drop(registry.disconnect(3, start + Duration::from_secs(100)));
    assert!(registry.housekeeping(start + Duration::from_secs(105)).is_empty());
    assert_eq!(registry.housekeeping(start + Duration::from_secs(106)).len(), 1);
    assert!(registry.take(&mine, 4, start + Duration::from_secs(106)).is_err());
    assert!(registry.take(&other, 2, start + Duration::from_secs(106)).is_ok(), "another client's stream stays");
}

#[test]
fn without_linger_a_disconnect_drops_the_clients_streams_at_once() {
    let mut registry = StreamRegistry::new(settings(0, None));
    let now = Instant::now();
    registry.open(items(&["x"]), 1, now).unwrap();
    registry.open(items(&["x"]), 1, now).unwrap();
    let other = registry.open(items(&["x"]), 2, now).unwrap();
    assert_eq!(registry.disconnect(1, now).len(), 2);
    assert_eq!(registry.len(), 1);
    assert!(registry.take(&other, 2, now).is_ok());
}

#[test]
fn the_number_of_open_streams_is_bounded() {
    let now = Arc::new(Mutex::new(Instant::now()));
    let clock = Arc::clone(&now);
    let settings =
        StreamSettings { max_streams: 2, lifetime: Some(Duration::from_secs(10)), ..StreamSettings::default() };
    let streams = Streams::with_clock(settings, move || *clock.lock().unwrap());
    streams.open(items(&["x"]), 1).unwrap();
    streams.open(items(&["x"]), 1).unwrap();
    let error = streams.open(items(&["x"]), 1).unwrap_err();
    assert_eq!(class(&error), "Pyro5.errors.PyroError");
    assert!(message(&error).starts_with("too many open item streams (the daemon's limit is 2)"), "{error}");
    // Expired streams make room (housekeeping runs before refusing).
    *now.lock().unwrap() += Duration::from_secs(11);
    streams.open(items(&["x"]), 1).unwrap();
    assert_eq!(streams.len(), 1);
}

#[test]
fn housekeeping_runs_on_access_every_interval() {
    let now = Arc::new(Mutex::new(Instant::now()));
    let clock = Arc::clone(&now);
    let streams = Streams::with_clock(settings(30, Some(1)), move || *clock.lock().unwrap());
    streams.open(items(&["x"]), 1).unwrap();
    let id = streams.open(items(&["x"]), 1).unwrap();
    *now.lock().unwrap() += HOUSEKEEPING_INTERVAL;
    // Any access expires the old streams, not only the one accessed.
    streams.close("unknown");
    assert_eq!(streams.len(), 0);
    assert!(streams.take(&id, 1).is_err());
}

/// An iterator whose drop uses the shared registry: it would deadlock if dropped under its lock.
struct Reentrant {
    streams: Weak<Streams>,
    dropped: Arc<AtomicUsize>,
}

impl Iterator for Reentrant {
    type Item = Result<Value, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(Ok(Value::from(self.streams.upgrade().map_or(0, |s| s.len()))))
    }
}

impl Drop for Reentrant {
    fn drop(&mut self) {
        if let Some(streams) = self.streams.upgrade() {
            let _ = streams.len();
        }
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn iterators_run_and_drop_outside_the_registry_lock() {
    let streams = Arc::new(Streams::new(settings(0, Some(1))));
    let dropped = Arc::new(AtomicUsize::new(0));
    let open = || {
        let iterator = Reentrant { streams: Arc::downgrade(&streams), dropped: Arc::clone(&dropped) };
        streams.open(Box::new(iterator), 1).unwrap()
    };
    let id = open();
    let mut iterator = streams.take(&id, 1).unwrap();
    assert_eq!(iterator.next().unwrap().unwrap(), Value::from(1));
    streams.put_back(&id, iterator);
    streams.close(&id);
    open();
    streams.disconnected(1);
    open();
    streams.clear();
    let id = open();
    let iterator = streams.take(&id, 1).unwrap();
    streams.close(&id);
    streams.put_back(&id, iterator);
    assert_eq!(dropped.load(Ordering::SeqCst), 4);
}

// The sessions.

/// A servant whose methods return streams.
struct Generators;

impl Dispatch<Generators> for Generators {
    fn metadata() -> Metadata {
        Metadata::new(["words", "failing", "panicking", "plain"], [], [])
    }
    fn receiver(method: &str) -> Option<Receiver> {
        <Generators as Dispatch<Generators>>::metadata().methods.contains(method).then_some(Receiver::Shared)
    }
    fn invoke_shared(&self, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
        args.finish()?;
        match method {
            "words" => Ok(Reply::stream(["one", "two", "three"].into_iter())),
            "failing" => {
                let items = vec![Ok(1), Err(RemoteError::new("builtins.ValueError", vec!["mid-stream".into()]))];
                Ok(Reply::try_stream(items.into_iter()))
            }
            "panicking" => Ok(Reply::stream((0..3).map(|n| if n == 1 { panic!("deliberate") } else { n }))),
            "plain" => ctx.encode(&1),
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
        (id == "gen").then(|| Arc::clone(&self.0))
    }
    fn ids(&self) -> Vec<String> {
        vec!["gen".into()]
    }
}

fn objects() -> Objects {
    Objects(Arc::new(Served::new(Generators)))
}

fn connect(
    id: u64,
    ser: Serializer,
    objects: &Objects,
    streams: Option<&Arc<Streams>>,
) -> (ServerSession, ClientSession) {
    let mut server = ServerSession::new(id, Arc::default());
    if let Some(streams) = streams {
        server = server.with_streams(Arc::clone(streams));
    }
    let client = ClientSession::new(ser);
    let connect = client.connect_request("gen", &Value::from("hello")).unwrap();
    let Action::Send(ok) = server.on_message(connect, objects) else { panic!("handshake refused") };
    client.on_connect_reply(&ok, "here").unwrap();
    (server, client)
}

/// Sends one call and returns the reply; the stream's iterator must come out as a request for
/// the driver (`must_dispatch`), never run inside `on_message`.
fn call(
    server: &mut ServerSession,
    client: &mut ClientSession,
    objects: &Objects,
    (object, method, vargs): (&str, &str, Vec<Value>),
    flags: Flags,
) -> Option<Message> {
    let payload = client.serializer().encode_call(object, method, &vargs, Some(&Dict::new())).unwrap();
    let request = client.invoke_request(payload, flags);
    let action = match server.on_message(request, objects) {
        Action::Dispatch(request) | Action::DispatchOneway(request) => server.reply(request.run()),
        other => {
            assert_ne!(method, "words", "a user call is dispatched");
            other
        }
    };
    match action {
        Action::Send(reply) => {
            client.check_reply(&reply).unwrap();
            Some(reply)
        }
        Action::Continue => None,
        other => panic!("unexpected {other:?}"),
    }
}

fn next_item(
    server: &mut ServerSession,
    client: &mut ClientSession,
    objects: &Objects,
    id: &str,
) -> Result<Option<String>, Error> {
    let payload =
        client.serializer().encode_call(DAEMON_OBJECT_ID, "get_next_stream_item", &(id,), None::<&Dict>).unwrap();
    let request = client.invoke_request(payload, Flags::EMPTY);
    let Action::Dispatch(request) = server.on_message(request, objects) else {
        panic!("get_next_stream_item runs user code: the driver runs it")
    };
    assert_eq!((request.object(), request.method()), (DAEMON_OBJECT_ID, "get_next_stream_item"));
    let reply = match server.reply(request.run()) {
        Action::Send(reply) => reply,
        other => panic!("unexpected {other:?}"),
    };
    client.check_reply(&reply).unwrap();
    client.decode_stream_item(&reply)
}

/// Sends `count` `get_next_stream_item` requests before the daemon sees any (pipelining), then
/// lets it answer them in order and checks each reply against the request it answers.
fn pipelined_items(
    server: &mut ServerSession,
    client: &mut ClientSession,
    objects: &Objects,
    id: &str,
    count: usize,
) -> Vec<Result<Option<String>, Error>> {
    let payload =
        client.serializer().encode_call(DAEMON_OBJECT_ID, "get_next_stream_item", &(id,), None::<&Dict>).unwrap();
    let requests: Vec<Message> = (0..count).map(|_| client.invoke_request(payload.clone(), Flags::EMPTY)).collect();
    assert_eq!(client.outstanding(), count);
    let replies: Vec<Message> = requests
        .into_iter()
        .map(|request| {
            let Action::Dispatch(request) = server.on_message(request, objects) else { panic!("not dispatched") };
            match server.reply(request.run()) {
                Action::Send(reply) => reply,
                other => panic!("unexpected {other:?}"),
            }
        })
        .collect();
    replies
        .iter()
        .map(|reply| {
            client.check_reply(reply).unwrap();
            client.decode_stream_item(reply)
        })
        .collect()
}

#[test]
fn pipelined_item_requests_are_answered_in_order_past_the_end() {
    let objects = objects();
    for ser in SERIALIZERS {
        let streams = Arc::new(Streams::new(StreamSettings::default()));
        let (mut server, mut client) = connect(1, ser, &objects, Some(&streams));
        let reply = call(&mut server, &mut client, &objects, ("gen", "words", vec![]), Flags::EMPTY).unwrap();
        let id = client.stream_id(&reply).unwrap().unwrap();
        // Two ahead, then six more than the three words: the end, then "terminated" replies.
        let first = pipelined_items(&mut server, &mut client, &objects, &id, 2);
        assert_eq!(first.into_iter().map(Result::unwrap).collect::<Vec<_>>(), [Some("one".into()), Some("two".into())]);
        let rest = pipelined_items(&mut server, &mut client, &objects, &id, 6);
        assert_eq!(rest[0].as_ref().unwrap().as_deref(), Some("three"));
        assert_eq!(rest[1].as_ref().unwrap(), &None, "StopIteration");
        for late in &rest[2..] {
            assert_eq!(message(late.as_ref().unwrap_err()), "item stream terminated");
        }
        assert_eq!(client.outstanding(), 0);
        assert!(streams.is_empty());
        // The connection is in step: a plain call goes on.
        let plain = call(&mut server, &mut client, &objects, ("gen", "plain", vec![]), Flags::EMPTY).unwrap();
        assert_eq!(client.stream_id(&plain).unwrap(), None);
    }
}

#[test]
fn a_stream_reply_then_its_items_then_stop_iteration() {
    let objects = objects();
    for ser in SERIALIZERS {
        let streams = Arc::new(Streams::new(StreamSettings::default()));
        let (mut server, mut client) = connect(1, ser, &objects, Some(&streams));
        let reply = call(&mut server, &mut client, &objects, ("gen", "words", vec![]), Flags::EMPTY).unwrap();
        assert!(reply.flags.contains(Flags::EXCEPTION | Flags::ITEMSTREAMRESULT), "{:?}", reply.flags);
        assert!(!reply.flags.contains(Flags::BATCH));
        // On the wire: EXCEPTION|ITEMSTREAMRESULT|CORR_ID = 0x51, as Pyro5 sends it.
        let bytes = reply.to_bytes(&crate::protocol::EncodeOptions::default()).unwrap();
        assert_eq!(&bytes[8..10], &[0x00, 0x51]);
        let id = client.stream_id(&reply).unwrap().unwrap();
        assert_eq!(reply.annotations.get(AnnotationId::STREAM), Some(id.as_bytes()));
        // The payload is the ProtocolError Pyro5 keeps for old clients, without a traceback.
        let exception: Value = ser.from_bytes(&reply.data).unwrap();
        let remote = RemoteError::from_value(&exception).unwrap();
        assert_eq!(
            (remote.class.as_str(), remote.message.as_str()),
            ("Pyro5.errors.ProtocolError", "result of call is an iterator")
        );
        assert!(remote.traceback.is_empty());
        // A plain call of a streaming method is a clear error.
        let err = client.decode_result::<Value>("words", &reply).unwrap_err();
        assert!(err.to_string().contains("call_stream"), "{err}");
        assert!(!client.server_closes_after(&reply));

        let mut got = Vec::new();
        while let Some(word) = next_item(&mut server, &mut client, &objects, &id).unwrap() {
            got.push(word);
        }
        assert_eq!(got, ["one", "two", "three"]);
        assert!(streams.is_empty(), "deleted at its end");
        let err = next_item(&mut server, &mut client, &objects, &id).unwrap_err();
        assert_eq!(message(&err), "item stream terminated");
        // Not a stream: no id.
        let plain = call(&mut server, &mut client, &objects, ("gen", "plain", vec![]), Flags::EMPTY).unwrap();
        assert_eq!(client.stream_id(&plain).unwrap(), None);
    }
}

#[test]
fn an_exception_or_panic_mid_stream_ends_it_with_that_exception() {
    let objects = objects();
    let streams = Arc::new(Streams::new(StreamSettings::default()));
    let (mut server, mut client) = connect(1, Serializer::Json, &objects, Some(&streams));
    for (method, class_name, text) in [
        ("failing", "builtins.ValueError", "mid-stream"),
        ("panicking", "builtins.RuntimeError", "item stream iterator panicked: deliberate"),
    ] {
        let reply = call(&mut server, &mut client, &objects, ("gen", method, vec![]), Flags::EMPTY).unwrap();
        let id = client.stream_id(&reply).unwrap().unwrap();
        // The first item is a number.
        let payload = client
            .serializer()
            .encode_call(DAEMON_OBJECT_ID, "get_next_stream_item", &(id.as_str(),), None::<&Dict>)
            .unwrap();
        let request = client.invoke_request(payload, Flags::EMPTY);
        let Action::Dispatch(request) = server.on_message(request, &objects) else { panic!() };
        let Action::Send(first) = server.reply(request.run()) else { panic!() };
        client.check_reply(&first).unwrap();
        let expected = if method == "panicking" { 0 } else { 1 };
        assert_eq!(client.decode_stream_item::<i64>(&first).unwrap(), Some(expected));
        let err = next_item(&mut server, &mut client, &objects, &id).unwrap_err();
        assert_eq!((class(&err), message(&err)), (class_name.to_owned(), text.to_owned()));
        assert!(err.remote().unwrap().traceback.concat().contains("Pyro.Daemon.get_next_stream_item"));
        assert!(streams.is_empty(), "{method}: deleted after its exception");
        // The connection goes on.
        assert!(call(&mut server, &mut client, &objects, ("gen", "plain", vec![]), Flags::EMPTY).is_some());
    }
}

#[test]
fn without_streaming_the_reply_has_no_stream_id() {
    let objects = objects();
    let off = Arc::new(Streams::new(StreamSettings { enabled: false, ..StreamSettings::default() }));
    for streams in [Some(&off), None] {
        let (mut server, mut client) = connect(1, Serializer::Msgpack, &objects, streams);
        let reply = call(&mut server, &mut client, &objects, ("gen", "words", vec![]), Flags::EMPTY).unwrap();
        assert!(reply.flags.contains(Flags::EXCEPTION | Flags::ITEMSTREAMRESULT));
        assert_eq!(reply.annotations.get(AnnotationId::STREAM), None);
        let err = client.stream_id(&reply).unwrap_err();
        assert!(matches!(err, Error::Protocol(ProtocolError::StreamingDisabled)), "{err}");
        assert_eq!(
            err.to_string(),
            "result of call is an iterator, but the server is not configured to allow streaming"
        );
        assert!(off.is_empty());
    }
}

#[test]
fn close_stream_is_oneway_and_drops_the_stream() {
    let objects = objects();
    let streams = Arc::new(Streams::new(StreamSettings::default()));
    let (mut server, mut client) = connect(1, Serializer::Msgpack, &objects, Some(&streams));
    let reply = call(&mut server, &mut client, &objects, ("gen", "words", vec![]), Flags::EMPTY).unwrap();
    let id = client.stream_id(&reply).unwrap().unwrap();
    assert_eq!(next_item(&mut server, &mut client, &objects, &id).unwrap().as_deref(), Some("one"));
    let closed = call(
        &mut server,
        &mut client,
        &objects,
        (DAEMON_OBJECT_ID, "close_stream", vec![Value::from(id.as_str())]),
        Flags::ONEWAY,
    );
    assert!(closed.is_none(), "no reply to a oneway call");
    assert!(streams.is_empty());
    assert_eq!(message(&next_item(&mut server, &mut client, &objects, &id).unwrap_err()), "item stream terminated");
    // Unknown ids are ignored, as in Pyro5.
    let unknown = call(
        &mut server,
        &mut client,
        &objects,
        (DAEMON_OBJECT_ID, "close_stream", vec![Value::from("nope")]),
        Flags::EMPTY,
    );
    assert_eq!(client.decode_result::<Value>("close_stream", &unknown.unwrap()).unwrap(), Value::None);
}

#[test]
fn a_disconnect_lingers_or_drops_the_sessions_streams() {
    let objects = objects();
    for (linger, survives) in [(0, false), (30, true)] {
        let streams = Arc::new(Streams::new(settings(linger, None)));
        let (mut server, mut client) = connect(1, Serializer::Json, &objects, Some(&streams));
        let reply = call(&mut server, &mut client, &objects, ("gen", "words", vec![]), Flags::EMPTY).unwrap();
        let id = client.stream_id(&reply).unwrap().unwrap();
        assert_eq!(next_item(&mut server, &mut client, &objects, &id).unwrap().as_deref(), Some("one"));
        drop(server); // the connection is gone
        assert_eq!(streams.len(), usize::from(survives));
        // Another connection picks the stream up where it was.
        let (mut server, mut client) = connect(2, Serializer::Msgpack, &objects, Some(&streams));
        let next = next_item(&mut server, &mut client, &objects, &id);
        if survives {
            assert_eq!(next.unwrap().as_deref(), Some("two"));
        } else {
            assert_eq!(message(&next.unwrap_err()), "item stream terminated");
        }
    }
}

#[test]
fn streams_are_not_sent_in_batches() {
    let objects = objects();
    let streams = Arc::new(Streams::new(StreamSettings::default()));
    let (mut server, mut client) = connect(1, Serializer::Json, &objects, Some(&streams));
    let calls = vec![
        Value::List(vec![Value::from("plain"), Value::List(vec![]), Value::Dict(Dict::new())]),
        Value::List(vec![Value::from("words"), Value::List(vec![]), Value::Dict(Dict::new())]),
    ];
    let reply = call(&mut server, &mut client, &objects, ("gen", BATCH_METHOD, calls), Flags::BATCH).unwrap();
    let results = client.decode_batch(&reply).unwrap();
    assert_eq!(results[0], Ok(Value::Int(1)));
    let error = results[1].as_ref().unwrap_err();
    assert_eq!(error.class, "Pyro5.errors.PyroError");
    assert!(error.message.contains("no item streaming in batch calls"), "{}", error.message);
    assert!(streams.is_empty());
}

#[test]
fn the_stream_limit_is_the_callers_error() {
    let objects = objects();
    let streams = Arc::new(Streams::new(StreamSettings { max_streams: 1, ..StreamSettings::default() }));
    let (mut server, mut client) = connect(1, Serializer::Msgpack, &objects, Some(&streams));
    let first = call(&mut server, &mut client, &objects, ("gen", "words", vec![]), Flags::EMPTY).unwrap();
    assert!(client.stream_id(&first).unwrap().is_some());
    let second = call(&mut server, &mut client, &objects, ("gen", "words", vec![]), Flags::EMPTY).unwrap();
    assert!(!second.flags.contains(Flags::ITEMSTREAMRESULT));
    let err = client.decode_result::<Value>("words", &second).unwrap_err();
    assert!(message(&err).starts_with("too many open item streams"), "{err}");
    assert!(!client.server_closes_after(&second), "the connection stays");
}

//! A connection's life in the server session, driven by hand: handshake validation, instance
//! modes, tracked resources and the disconnect hook, in Pyro5's order.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::*;
use crate::daemon::InstanceMode;
use crate::daemon::class::Class;
use crate::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply, Servant};
use crate::protocol::{Flags, Message, MessageType};
use crate::value::{Dict, Value};
use crate::{Error, Serializer};

/// What happened, in order, across sessions.
type Log = Arc<Mutex<Vec<String>>>;

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// A counter class: `next()` (`&mut self`) counts calls on this instance, `id()` tells which
/// instance it is, `track()` tracks a resource logging its close; dropping it is logged.
struct Counter {
    serial: usize,
    calls: i64,
    log: Log,
}

impl Drop for Counter {
    fn drop(&mut self) {
        self.log.lock().unwrap().push(format!("drop {}", self.serial));
    }
}

impl Dispatch<Counter> for Counter {
    fn metadata() -> Metadata {
        Metadata::new(["next", "id", "track"], [], [])
    }
    fn receiver(method: &str) -> Option<Receiver> {
        match method {
            "next" => Some(Receiver::Exclusive),
            "id" | "track" => Some(Receiver::Shared),
            _ => None,
        }
    }
    fn invoke_shared(&self, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
        args.finish()?;
        match method {
            "id" => ctx.encode(&self.serial),
            "track" => {
                let log = Arc::clone(&self.log);
                let serial = self.serial;
                let name = format!("resource {serial}");
                ctx.track_resource(OnClose::named(name, move || log.lock().unwrap().push(format!("close {serial}"))))?;
                ctx.encode(&())
            }
            _ => Err(CallArgs::unknown_method(method)),
        }
    }
    fn invoke_exclusive(&mut self, ctx: &mut CallContext, _: &str, args: CallArgs) -> Result<Reply, Error> {
        args.finish()?;
        self.calls += 1;
        ctx.encode(&(self.serial, self.calls))
    }
}

/// The registered classes, one per mode, sharing a creation counter and a log.
struct Classes {
    by_id: HashMap<&'static str, Arc<dyn Servant>>,
    created: Arc<AtomicUsize>,
    log: Log,
}

impl Directory for Classes {
    fn servant(&self, id: &str) -> Option<Arc<dyn Servant>> {
        self.by_id.get(id).cloned()
    }
    fn ids(&self) -> Vec<String> {
        ["single", "session", "percall"].map(String::from).to_vec()
    }
}

fn classes() -> Classes {
    let created = Arc::new(AtomicUsize::new(0));
    let log = Log::default();
    let mut by_id = HashMap::new();
    for (id, mode) in
        [("single", InstanceMode::Single), ("session", InstanceMode::Session), ("percall", InstanceMode::Percall)]
    {
        let (created, log) = (Arc::clone(&created), Arc::clone(&log));
        let create = move |_: &CallContext| {
            let serial = created.fetch_add(1, Ordering::SeqCst) + 1;
            log.lock().unwrap().push(format!("create {serial}"));
            Counter { serial, calls: 0, log: Arc::clone(&log) }
        };
        let class: Arc<dyn Servant> =
            Arc::new(Class::<Counter, Counter>::new(mode, Box::new(move |ctx| Ok(create(ctx)))));
        by_id.insert(id, class);
    }
    Classes { by_id, created, log }
}

fn info() -> Arc<DaemonInfo> {
    Arc::new(DaemonInfo::default())
}

/// A session past its handshake with `object`.
fn connect(id: u64, classes: &Classes, hooks: ServerHooks, object: &str) -> (ServerSession, ClientSession) {
    connect_with(id, classes, hooks, object)
}

/// A session past its handshake with `object` of `classes`, without hooks.
fn connect_to(id: u64, classes: &dyn Directory, object: &str) -> (ServerSession, ClientSession) {
    connect_with(id, classes, ServerHooks::default(), object)
}

fn connect_with(id: u64, classes: &dyn Directory, hooks: ServerHooks, object: &str) -> (ServerSession, ClientSession) {
    let mut server = ServerSession::new(id, info()).with_hooks(hooks).with_client_addr("127.0.0.1:4000".parse().ok());
    let client = ClientSession::new(Serializer::Msgpack);
    let connect = client.connect_request(object, &Value::from("hello")).unwrap();
    let Action::Send(ok) = server.on_message(connect, classes) else { panic!("refused") };
    client.on_connect_reply(&ok, "here:1").unwrap();
    (server, client)
}

fn call<T: serde::de::DeserializeOwned>(
    server: &mut ServerSession,
    client: &mut ClientSession,
    classes: &dyn Directory,
    object: &str,
    method: &str,
) -> T {
    try_call(server, client, classes, object, method).unwrap()
}

/// A call whose reply may be an exception.
fn try_call<T: serde::de::DeserializeOwned>(
    server: &mut ServerSession,
    client: &mut ClientSession,
    classes: &dyn Directory,
    object: &str,
    method: &str,
) -> Result<T, Error> {
    let payload = Serializer::Msgpack.encode_call(object, method, &Vec::<Value>::new(), Some(&Dict::new())).unwrap();
    let invoke = client.invoke_request(payload, Flags::EMPTY);
    let Action::Dispatch(request) = server.on_message(invoke, classes) else { panic!("not dispatched") };
    let Action::Send(reply) = server.reply(request.run()) else { panic!("no reply") };
    client.check_reply(&reply)?;
    client.decode_result(method, &reply)
}

#[test]
fn the_handshake_hook_sees_the_data_and_its_response_reaches_the_client() {
    let seen = Arc::new(Mutex::new(None));
    let record = Arc::clone(&seen);
    let hooks = ServerHooks::default().validate_handshake(move |conn, data| {
        *record.lock().unwrap() = Some((conn.clone(), data.clone()));
        Ok(Value::List(vec!["how".into(), "are".into(), "you".into()]))
    });
    let classes = classes();
    for ser in [Serializer::Msgpack, Serializer::Json, Serializer::Serpent, Serializer::Marshal] {
        let mut server =
            ServerSession::new(5, info()).with_hooks(hooks.clone()).with_client_addr("127.0.0.1:4000".parse().ok());
        let client = ClientSession::new(ser);
        let connect = client
            .connect_request("session", &Value::from("pancakes"))
            .unwrap()
            .with_correlation_id(uuid::Uuid::from_u128(77));
        let Action::Send(ok) = server.on_message(connect, &classes) else { panic!("{ser}: refused") };
        let handshake = client.on_connect_reply(&ok, "here:1").unwrap();
        assert_eq!(handshake.response, Value::List(vec!["how".into(), "are".into(), "you".into()]), "{ser}");
        assert!(handshake.metadata.methods.contains("next"), "{ser}: the class's metadata");
        let (conn, data) = seen.lock().unwrap().take().unwrap();
        assert_eq!(data, Value::from("pancakes"));
        assert_eq!(conn, ConnectionInfo::new(5, "127.0.0.1:4000".parse().ok(), ser, Some(uuid::Uuid::from_u128(77))));
    }
}

#[test]
fn a_refused_handshake_is_a_connectfail_with_the_reason_in_pyro5s_order() {
    let hooks = ServerHooks::default().validate_handshake(|_, data| match data.as_str() {
        Some("pancakes") => Ok(Value::from("hello")),
        Some("panic") => panic!("validator bug"),
        _ => Err("wrong secret code, connection refused".into()),
    });
    let classes = classes();
    let disconnects = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&disconnects);
    let hooks = hooks.client_disconnect(move |_| {
        counted.fetch_add(1, Ordering::SeqCst);
    });
    let cases = [
        ("wrong", "session", "wrong secret code, connection refused"),
        // The validator runs before the object is looked up, as in Pyro5.
        ("wrong", "nothing", "wrong secret code, connection refused"),
        ("pancakes", "nothing", "unknown object"),
        ("panic", "session", "handshake validation panicked: validator bug"),
    ];
    for ser in [Serializer::Msgpack, Serializer::Serpent] {
        for (secret, object, reason) in cases {
            let mut server = ServerSession::new(1, info()).with_hooks(hooks.clone());
            let client = ClientSession::new(ser);
            let connect = client.connect_request(object, &Value::from(secret)).unwrap();
            let Action::SendAndClose(fail) = server.on_message(connect, &classes) else { panic!("{secret} accepted") };
            assert_eq!((fail.msg_type, fail.serializer_id), (MessageType::ConnectFail, ser.id()));
            let err = client.on_connect_reply(&fail, "here:1").unwrap_err();
            let Error::ConnectionRejected { location, reason: got } = &err else { panic!("{err:?}") };
            assert_eq!((location.as_str(), got.as_str()), ("here:1", reason), "{ser} {secret} {object}");
            assert!(!server.is_connected());
            drop(server);
        }
    }
    assert_eq!(disconnects.load(Ordering::SeqCst), 0, "no disconnect hook without a handshake");
}

#[test]
fn session_instances_live_with_their_connection() {
    let classes = classes();
    let (mut one, mut one_client) = connect(1, &classes, ServerHooks::default(), "session");
    let (mut two, mut two_client) = connect(2, &classes, ServerHooks::default(), "session");
    assert_eq!(classes.created.load(Ordering::SeqCst), 0, "created on first use, not at the handshake");
    let a: (usize, i64) = call(&mut one, &mut one_client, &classes, "session", "next");
    let b: (usize, i64) = call(&mut one, &mut one_client, &classes, "session", "next");
    let c: (usize, i64) = call(&mut two, &mut two_client, &classes, "session", "next");
    assert_eq!((a, b, c), ((1, 1), (1, 2), (2, 1)));
    assert_eq!(one.session_state().session_instances(), 1);
    drop(one);
    assert_eq!(entries(&classes.log), ["create 1", "create 2", "drop 1"]);
    let d: (usize, i64) = call(&mut two, &mut two_client, &classes, "session", "next");
    assert_eq!(d, (2, 2));
    two.close();
    assert_eq!(entries(&classes.log), ["create 1", "create 2", "drop 1", "drop 2"]);
}

#[test]
fn single_instances_serve_every_connection_and_percall_instances_one_request() {
    let classes = classes();
    let (mut one, mut one_client) = connect(1, &classes, ServerHooks::default(), "single");
    let (mut two, mut two_client) = connect(2, &classes, ServerHooks::default(), "single");
    let a: (usize, i64) = call(&mut one, &mut one_client, &classes, "single", "next");
    let b: (usize, i64) = call(&mut two, &mut two_client, &classes, "single", "next");
    assert_eq!((a, b), ((1, 1), (1, 2)));
    drop((one, two));
    assert_eq!(entries(&classes.log), ["create 1"], "the single instance outlives the connections");

    let (mut three, mut client) = connect(3, &classes, ServerHooks::default(), "percall");
    let c: (usize, i64) = call(&mut three, &mut client, &classes, "percall", "next");
    let d: (usize, i64) = call(&mut three, &mut client, &classes, "percall", "next");
    assert_eq!((c, d), ((2, 1), (3, 1)));
    assert_eq!(entries(&classes.log), ["create 1", "create 2", "drop 2", "create 3", "drop 3"]);

    // A batch shares one percall instance, as Pyro5 picks the instance once per request.
    let calls = Value::List(vec![Value::from("next"), Value::List(vec![]), Value::Dict(Dict::new())]);
    let payload =
        Serializer::Msgpack.encode_call("percall", "<batch>", &[calls.clone(), calls], Some(&Dict::new())).unwrap();
    let invoke = client.invoke_request(payload, Flags::BATCH);
    let Action::Dispatch(request) = three.on_message(invoke, &classes) else { panic!() };
    let Action::Send(reply) = three.reply(request.run()) else { panic!() };
    let results: Vec<(usize, i64)> = Serializer::Msgpack.from_bytes(&reply.data).unwrap();
    assert_eq!(results, [(4, 1), (4, 2)]);
}

#[test]
fn on_disconnect_the_hook_runs_then_instances_drop_then_resources_close() {
    let classes = classes();
    let log = Arc::clone(&classes.log);
    let hooks = ServerHooks::default().client_disconnect(move |conn| {
        log.lock().unwrap().push(format!(
            "disconnect {} {:?} {:?}",
            conn.id(),
            conn.client_addr(),
            conn.tracked_resources()
        ));
    });
    let (mut server, mut client) = connect(7, &classes, hooks, "session");
    let () = call(&mut server, &mut client, &classes, "session", "track");
    let () = call(&mut server, &mut client, &classes, "percall", "track");
    assert_eq!(server.session_state().tracked_resources(), 2);
    drop(server);
    assert_eq!(
        entries(&classes.log),
        [
            "create 1",
            "create 2",
            "drop 2",
            r#"disconnect 7 Some(127.0.0.1:4000) ["resource 1", "resource 2"]"#,
            "drop 1",
            "close 1",
            "close 2",
        ]
    );
}

#[test]
fn tracking_needs_a_connection_and_untracked_resources_stay_open() {
    let closed = Arc::new(AtomicUsize::new(0));
    let ctx = CallContext::new(Serializer::Json);
    let err = ctx.track_resource(OnClose::new(|| ())).unwrap_err();
    assert_eq!(err.to_remote().message, "cannot track resource on a connectionless call");

    let classes = classes();
    let (mut server, _client) = connect(1, &classes, ServerHooks::default(), "session");
    let ctx = CallContext::new(Serializer::Json).with_session_state(Arc::clone(server.session_state()));
    let count = Arc::clone(&closed);
    let handle = ctx
        .track_resource(OnClose::new(move || {
            count.fetch_add(1, Ordering::SeqCst);
        }))
        .unwrap();
    let mut back = ctx.untrack_resource(handle).unwrap();
    server.close();
    assert_eq!(closed.load(Ordering::SeqCst), 0);
    back.close();
    assert_eq!(closed.load(Ordering::SeqCst), 1);
    // A closed session serves nothing more.
    let message = Message::new(MessageType::Invoke, Serializer::Json.id(), Vec::new());
    assert!(matches!(server.on_message(message, &classes), Action::Close));
}

#[test]
fn a_session_class_outside_a_connection_is_a_daemon_error() {
    let classes = classes();
    let err =
        classes.by_id["session"].invoke("next", CallArgs::new("next", vec![], None), Serializer::Json).unwrap_err();
    assert_eq!(err.python_class(), "Pyro5.errors.DaemonError");
    let percall =
        classes.by_id["percall"].invoke("next", CallArgs::new("next", vec![], None), Serializer::Json).unwrap();
    assert_eq!(percall, b"[1, 1]");
}

/// Classes whose creator fails while `failing` says so: with Python's `KeyError('USER')`, or
/// by panicking (`"panic"`).
fn failing_classes(
    failing: &Arc<Mutex<&'static str>>,
    created: &Arc<AtomicUsize>,
) -> HashMap<&'static str, Arc<dyn Servant>> {
    let log = Log::default();
    let mut by_id: HashMap<&'static str, Arc<dyn Servant>> = HashMap::new();
    for (id, mode) in
        [("single", InstanceMode::Single), ("session", InstanceMode::Session), ("percall", InstanceMode::Percall)]
    {
        let (failing, created, log) = (Arc::clone(failing), Arc::clone(created), Arc::clone(&log));
        let create = move |_: &CallContext| {
            let state = *failing.lock().unwrap();
            match state {
                "keyerror" => Err(crate::RemoteError::new("builtins.KeyError", vec![Value::from("USER")])),
                "panic" => panic!("no instance today"),
                _ => {
                    let serial = created.fetch_add(1, Ordering::SeqCst) + 1;
                    Ok(Counter { serial, calls: 0, log: Arc::clone(&log) })
                }
            }
        };
        by_id.insert(id, Arc::new(Class::<Counter, Counter>::new(mode, Box::new(create))));
    }
    by_id
}

impl Directory for HashMap<&'static str, Arc<dyn Servant>> {
    fn servant(&self, id: &str) -> Option<Arc<dyn Servant>> {
        self.get(id).cloned()
    }
    fn ids(&self) -> Vec<String> {
        self.keys().map(|id| id.to_string()).collect()
    }
}

#[test]
fn a_failing_creator_fails_the_call_and_the_next_call_tries_again_in_every_mode() {
    for mode in ["single", "session", "percall"] {
        let failing = Arc::new(Mutex::new("keyerror"));
        let created = Arc::new(AtomicUsize::new(0));
        let classes = failing_classes(&failing, &created);
        let (mut server, mut client) = connect_to(1, &classes, mode);
        let Err(Error::Remote(error)) = try_call::<(usize, i64)>(&mut server, &mut client, &classes, mode, "next")
        else {
            panic!("{mode}: the creator's error is the call's")
        };
        assert_eq!((error.class.as_str(), error.message.as_str()), ("builtins.KeyError", "USER"), "{mode}");
        *failing.lock().unwrap() = "panic";
        let Err(Error::Remote(error)) = try_call::<(usize, i64)>(&mut server, &mut client, &classes, mode, "next")
        else {
            panic!("{mode}: a panicking creator fails the call")
        };
        assert_eq!(error.class, "builtins.RuntimeError", "{mode}");
        assert!(error.message.contains("no instance today"), "{mode}: {}", error.message);
        assert_eq!(server.session_state().session_instances(), 0, "{mode}: nothing kept");
        *failing.lock().unwrap() = "";
        let first: (usize, i64) = call(&mut server, &mut client, &classes, mode, "next");
        assert_eq!(first, (1, 1), "{mode}: the connection goes on and the instance is made");
        *failing.lock().unwrap() = "keyerror";
        let next = try_call::<(usize, i64)>(&mut server, &mut client, &classes, mode, "next");
        match mode {
            "percall" => assert!(next.is_err(), "every percall request creates"),
            _ => assert_eq!(next.unwrap(), (1, 2), "{mode}: the instance made is kept"),
        }
        assert_eq!(created.load(Ordering::SeqCst), 1, "{mode}");
    }
}

#[test]
fn a_oneway_call_picks_its_session_instance_before_the_client_goes() {
    let classes = classes();
    let (mut server, mut client) = connect(1, &classes, ServerHooks::default(), "session");
    let payload = Serializer::Msgpack.encode_call("session", "next", &Vec::<Value>::new(), Some(&Dict::new())).unwrap();
    let Action::DispatchOneway(mut request) =
        server.on_message(client.invoke_request(payload, Flags::ONEWAY), &classes)
    else {
        panic!("not a oneway dispatch")
    };
    request.pick_instance().unwrap();
    // The client disconnects before the oneway call runs (Pyro5's callback example does).
    server.close();
    let completed = request.run();
    let Outcome::Returned(result) = completed.outcome() else { panic!("not a result") };
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(entries(&classes.log), ["create 1", "drop 1"], "made while connected, dropped after the call");
}

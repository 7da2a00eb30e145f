//! Deadlines in the server session, driven by hand: the `DDLN` annotation, calls refused past
//! their deadline, batches stopped between calls, the deadline current while a method runs.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::*;
use crate::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply, Servant, Served};
use crate::protocol::{AnnotationId, Flags, Message};
use crate::value::{Dict, Value};
use crate::{Deadline, Error, Serializer, deadline};

/// `left()`: the microseconds left of the call's deadline as the context and the thread see
/// them (-1: none); `nap(ms)`: sleeps; counts its calls.
struct Clock {
    calls: Arc<AtomicUsize>,
}

impl Dispatch<Clock> for Clock {
    fn metadata() -> Metadata {
        Metadata::new(["left", "nap"], [], [])
    }
    fn receiver(method: &str) -> Option<Receiver> {
        ["left", "nap"].contains(&method).then_some(Receiver::Shared)
    }
    fn invoke_shared(&self, ctx: &mut CallContext, method: &str, mut args: CallArgs) -> Result<Reply, Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match method {
            "left" => {
                args.finish()?;
                let micros = |d: Option<Deadline>| d.map_or(-1, |d| i64::try_from(d.remaining().as_micros()).unwrap());
                let same = ctx.deadline() == deadline::current();
                ctx.encode(&(micros(ctx.deadline()), same))
            }
            "nap" => {
                let ms: u64 = args.required(0, "ms")?;
                args.finish()?;
                std::thread::sleep(Duration::from_millis(ms));
                ctx.encode(&ms)
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
        (id == "clock").then(|| Arc::clone(&self.0))
    }
    fn ids(&self) -> Vec<String> {
        vec!["clock".into()]
    }
}

fn setup() -> (Objects, Arc<AtomicUsize>, ServerSession, ClientSession) {
    let calls = Arc::new(AtomicUsize::new(0));
    let objects = Objects(Arc::new(Served::new(Clock { calls: Arc::clone(&calls) })));
    let mut server = ServerSession::new(1, Arc::new(DaemonInfo::default()));
    let client = ClientSession::new(Serializer::Msgpack);
    let connect = client.connect_request("clock", &Value::from("hello")).unwrap();
    let Action::Send(ok) = server.on_message(connect, &objects) else { panic!("refused") };
    client.on_connect_reply(&ok, "here").unwrap();
    (objects, calls, server, client)
}

fn request(client: &mut ClientSession, method: &str, vargs: Vec<Value>, ddln: Option<&[u8]>) -> Message {
    let payload = Serializer::Msgpack.encode_call("clock", method, &vargs, Some(&Dict::new())).unwrap();
    let mut message = client.invoke_request(payload, Flags::EMPTY);
    if let Some(value) = ddln {
        message.annotations.insert(AnnotationId::DEADLINE, value.to_vec());
    }
    message
}

fn run(server: &mut ServerSession, objects: &Objects, message: Message) -> Action {
    match server.on_message(message, objects) {
        Action::Dispatch(request) => server.reply(request.run()),
        other => other,
    }
}

#[test]
fn the_annotation_becomes_the_context_and_thread_deadline() {
    let (objects, _, mut server, mut client) = setup();
    let ddln = deadline::encode(Duration::from_secs(2));
    let Action::Send(reply) = run(&mut server, &objects, request(&mut client, "left", vec![], Some(&ddln))) else {
        panic!()
    };
    client.check_reply(&reply).unwrap();
    let (left, same): (i64, bool) = client.decode_result("left", &reply).unwrap();
    assert!(left > 1_000_000 && left <= 2_000_000, "{left}");
    assert!(same, "the thread's current deadline is the call's while it runs");
    assert_eq!(deadline::current(), None, "and it is gone afterwards");
    // Without the annotation: no deadline.
    let Action::Send(reply) = run(&mut server, &objects, request(&mut client, "left", vec![], None)) else { panic!() };
    client.check_reply(&reply).unwrap();
    assert_eq!(client.decode_result::<(i64, bool)>("left", &reply).unwrap(), (-1, true));
}

#[test]
fn the_driver_thread_deadline_is_restored_after_a_call() {
    let (objects, _, mut server, mut client) = setup();
    let ddln = deadline::encode(Duration::from_secs(2));
    deadline::within(Duration::from_secs(100), || {
        let mine = deadline::current();
        let Action::Dispatch(call) = server.on_message(request(&mut client, "left", vec![], Some(&ddln)), &objects)
        else {
            panic!()
        };
        let completed = call.run();
        assert_eq!(deadline::current(), mine);
        let Action::Send(reply) = server.reply(completed) else { panic!() };
        client.check_reply(&reply).unwrap();
        // Inside, the call's own (shorter) deadline, not the driver thread's.
        let (left, same): (i64, bool) = client.decode_result("left", &reply).unwrap();
        assert!(left <= 2_000_000 && same);
    });
}

#[test]
fn a_malformed_annotation_is_a_value_error_naming_it() {
    let (objects, calls, mut server, mut client) = setup();
    let Action::Send(reply) = run(&mut server, &objects, request(&mut client, "left", vec![], Some(b"soon"))) else {
        panic!("the connection stays open")
    };
    client.check_reply(&reply).unwrap();
    let Err(Error::Remote(remote)) = client.decode_result::<Value>("left", &reply) else { panic!() };
    assert_eq!(remote.class, "builtins.ValueError");
    assert!(remote.message.contains("DDLN") && remote.message.contains("got 4"), "{}", remote.message);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert!(server.is_connected());
}

#[test]
fn a_call_past_its_deadline_is_not_run() {
    let (objects, calls, mut server, mut client) = setup();
    let ddln = deadline::encode(Duration::from_millis(20));
    let Action::Dispatch(call) = server.on_message(request(&mut client, "nap", vec![0.into()], Some(&ddln)), &objects)
    else {
        panic!()
    };
    // Waiting for a worker, say.
    std::thread::sleep(Duration::from_millis(40));
    let completed = call.run();
    assert!(matches!(completed.outcome(), Outcome::Returned(Err(Error::Timeout { .. }))));
    let Action::SendAndClose(reply) = server.reply(completed) else { panic!("a TimeoutError closes, as in Pyro5") };
    client.check_reply(&reply).unwrap();
    let Err(error) = client.decode_result::<Value>("nap", &reply) else { panic!() };
    let remote = error.remote().unwrap();
    assert_eq!(remote.class, "Pyro5.errors.TimeoutError");
    assert!(remote.message.contains("waiting to run clock.nap") && remote.message.contains("deadline"), "{remote:?}");
    assert!(error.is_timeout());
    assert_eq!(calls.load(Ordering::SeqCst), 0, "the method did not run");
}

#[test]
fn a_zero_deadline_is_refused_at_once() {
    let (objects, calls, mut server, mut client) = setup();
    let ddln = deadline::encode(Duration::ZERO);
    let action = run(&mut server, &objects, request(&mut client, "nap", vec![0.into()], Some(&ddln)));
    let Action::SendAndClose(reply) = action else { panic!() };
    assert!(client.decode_result::<Value>("nap", &reply).unwrap_err().is_timeout());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn a_batch_stops_between_calls_once_its_deadline_passed() {
    let (objects, calls, mut server, mut client) = setup();
    let entry = |ms: i64| Value::List(vec!["nap".into(), Value::List(vec![ms.into()]), Value::Dict(Dict::new())]);
    let vargs = vec![entry(0), entry(60), entry(0), entry(0)];
    let payload = Serializer::Msgpack.encode_call("clock", BATCH_METHOD, &vargs, None::<&Dict>).unwrap();
    let mut message = client.invoke_request(payload, Flags::BATCH);
    message.annotations.insert(AnnotationId::DEADLINE, deadline::encode(Duration::from_millis(30)).to_vec());
    let Action::Send(reply) = run(&mut server, &objects, message) else {
        panic!("a batch result keeps the connection")
    };
    client.check_reply(&reply).unwrap();
    let results = client.decode_batch(&reply).unwrap();
    assert_eq!(results.len(), 3, "{results:?}");
    assert_eq!(results[0], Ok(Value::Int(0)));
    assert_eq!(results[1], Ok(Value::Int(60)));
    let timeout = results[2].as_ref().unwrap_err();
    assert_eq!(timeout.class, "Pyro5.errors.TimeoutError");
    assert!(timeout.message.contains("running batch call nap"), "{}", timeout.message);
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the last two calls did not run");
}

#[test]
fn a_generous_deadline_changes_nothing() {
    let (objects, calls, mut server, mut client) = setup();
    let ddln = deadline::encode(Duration::from_secs(u64::MAX));
    let Action::Send(reply) = run(&mut server, &objects, request(&mut client, "nap", vec![1.into()], Some(&ddln)))
    else {
        panic!()
    };
    client.check_reply(&reply).unwrap();
    assert_eq!(client.decode_result::<u64>("nap", &reply).unwrap(), 1);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

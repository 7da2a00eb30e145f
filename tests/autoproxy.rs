//! Autoproxy between Rust peers: methods returning `pyro::Remote<T>` (new objects, registered
//! ones, in containers, through a trait), typed proxies on the client, the session lifetime of
//! the objects, proxies as arguments, NAT uris, marshal.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyro::daemon::Daemon;
use pyro::proxy::Proxy;
use pyro::{Error, Remote, Serializer, Value};

/// How many `Thing`s were dropped (per test: each uses its own tag).
static DROPPED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn dropped(tag: &str) -> usize {
    DROPPED.lock().unwrap().iter().filter(|t| t.starts_with(tag)).count()
}

/// An object made by the factory.
pub struct Thing {
    tag: String,
    number: i64,
    said: Vec<String>,
}

impl Drop for Thing {
    fn drop(&mut self) {
        DROPPED.lock().unwrap().push(self.tag.clone());
    }
}

#[pyro::expose]
impl Thing {
    /// Its number.
    pub fn number(&self) -> i64 {
        self.number
    }

    /// Says something; returns all it said.
    pub fn speak(&mut self, message: String) -> Vec<String> {
        self.said.push(message);
        self.said.clone()
    }
}

/// A remote interface.
#[pyro::expose]
pub trait Shape {
    /// The area.
    fn area(&self) -> f64;
}

struct Square(f64);

impl Shape for Square {
    fn area(&self) -> f64 {
        self.0 * self.0
    }
}

/// Makes things.
pub struct Factory {
    tag: String,
    made: AtomicUsize,
}

#[pyro::expose]
impl Factory {
    /// A new thing, for this connection.
    pub fn create(&self, number: i64) -> Remote<Thing> {
        self.made.fetch_add(1, Ordering::SeqCst);
        Remote::new(Thing { tag: self.tag.clone(), number, said: Vec::new() })
    }

    /// Several.
    pub fn create_many(&self, count: i64) -> Vec<Remote<Thing>> {
        (0..count).map(|number| self.create(number)).collect()
    }

    /// One that stays until unregistered.
    pub fn create_kept(&self, id: String) -> Remote<Thing> {
        Remote::new(Thing { tag: format!("{}-kept", self.tag), number: 99, said: Vec::new() }).with_id(id).daemon_wide()
    }

    /// The registered object `id`.
    pub fn lookup(&self, id: String) -> Remote<Thing> {
        Remote::registered(id)
    }

    /// A shape, through its trait.
    pub fn square(&self, side: f64) -> Option<Remote<dyn Shape>> {
        Some(Remote::new(Square(side)))
    }

    /// A remote attribute: a new thing each time it is read.
    #[pyro::getter]
    pub fn spare(&self) -> Remote<Thing> {
        Remote::new(Thing { tag: format!("{}-spare", self.tag), number: 42, said: Vec::new() })
    }

    /// Calls the thing whose proxy it is given.
    pub fn ask(&self, thing: ThingProxy) -> Result<i64, String> {
        thing.number().map_err(|e| e.to_string())
    }
}

fn serve(tag: &str, builder: pyro::daemon::DaemonBuilder) -> (Arc<Daemon>, FactoryProxy) {
    let daemon = Arc::new(builder.host("127.0.0.1").bind().unwrap());
    daemon.register(Factory { tag: tag.into(), made: AtomicUsize::new(0) }, Some("factory")).unwrap();
    let serving = Arc::clone(&daemon);
    std::thread::spawn(move || serving.request_loop());
    let port = daemon.local_addr().unwrap().port();
    let factory = FactoryProxy::new(&format!("PYRO:factory@127.0.0.1:{port}")).unwrap();
    (daemon, factory)
}

fn wait_for(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn returned_objects_are_typed_proxies_and_go_with_the_session() {
    let (daemon, factory) = serve("session", Daemon::builder());
    for serializer in [Serializer::Msgpack, Serializer::Serpent, Serializer::Json] {
        let factory = FactoryProxy::from_proxy(factory.proxy().clone().with_serializer(serializer));
        let thing: ThingProxy = factory.create(7).unwrap();
        assert!(thing.proxy().uri().object().starts_with("obj_"), "{serializer:?}");
        // The metadata came with it: no handshake yet.
        assert!(thing.proxy().metadata().unwrap().methods.contains("speak"));
        assert_eq!(thing.proxy().open_connections(), 0);
        assert_eq!(thing.number().unwrap(), 7);
        assert_eq!(thing.speak("hi".into()).unwrap(), ["hi"]);
        assert_eq!(thing.speak("there".into()).unwrap(), ["hi", "there"]);

        let many = factory.create_many(3).unwrap();
        assert_eq!(many.iter().map(|t| t.number().unwrap()).collect::<Vec<_>>(), [0, 1, 2]);
        // A proxy as an argument.
        assert_eq!(factory.ask(many[2].clone()).unwrap(), 2);

        let shape = factory.square(3.0).unwrap().unwrap();
        assert_eq!(shape.area().unwrap(), 9.0);
        // Through a remote attribute.
        let spare: ThingProxy = factory.spare().unwrap();
        assert_eq!(spare.number().unwrap(), 42);

        assert_eq!(daemon.registered().len(), 2 + 6, "{:?}", daemon.registered());
        assert_eq!(daemon.session_objects(), 6);
        // The factory's connection closes: its objects are unregistered and dropped.
        let before = dropped("session");
        factory.proxy().release();
        wait_for("the session's objects to go", || daemon.session_objects() == 0);
        assert_eq!(daemon.registered(), ["Pyro.Daemon", "factory"]);
        assert_eq!(dropped("session") - before, 5);
        // Their proxies now get Pyro5's unknown object error.
        let err = thing.number().unwrap_err();
        assert!(err.to_string().contains("unknown object"), "{err}");
    }
    daemon.shutdown();
}

#[test]
fn daemon_wide_objects_stay_until_unregistered() {
    let (daemon, factory) = serve("wide", Daemon::builder());
    let kept = factory.create_kept("kept".into()).unwrap();
    assert_eq!(kept.proxy().uri().object(), "kept");
    assert_eq!(daemon.session_objects(), 0);
    // The same id twice: the reply is an error, the first object stays.
    let err = factory.create_kept("kept".into()).unwrap_err();
    assert!(err.to_string().contains("already registered"), "{err}");
    // A registered object by id.
    let again = factory.lookup("kept".into()).unwrap();
    assert_eq!(again.number().unwrap(), 99);
    let err = factory.lookup("nothing".into()).unwrap_err();
    assert!(err.to_string().contains("isn't registered"), "{err}");
    factory.proxy().release();
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(daemon.registered(), ["Pyro.Daemon", "factory", "kept"]);
    // The duplicate was dropped when its reply failed; the kept one only now.
    assert_eq!(dropped("wide-kept"), 1);
    assert!(daemon.unregister("kept"));
    wait_for("the kept thing to drop", || dropped("wide-kept") == 2);
    daemon.shutdown();
}

#[test]
fn explicit_unregister_ends_a_session_object_early() {
    let (daemon, factory) = serve("early", Daemon::builder());
    let thing = factory.create(1).unwrap();
    let id = thing.proxy().uri().object().to_owned();
    assert!(daemon.shutdown_handle().unregister(&id));
    wait_for("the thing to drop", || dropped("early") == 1);
    assert_eq!(daemon.session_objects(), 1);
    factory.proxy().release();
    wait_for("the session to close", || daemon.session_objects() == 0);
    assert_eq!(dropped("early"), 1);
    daemon.shutdown();
}

#[test]
fn returned_proxies_use_the_nat_location() {
    let (daemon, factory) = serve("nat", Daemon::builder().nat("example.invalid", 4321));
    let value = factory.proxy().call_value("create", vec![Value::Int(5)], Default::default()).unwrap();
    let proxy = Proxy::from_value(&value).unwrap();
    assert_eq!(proxy.uri().location().unwrap().to_string(), "example.invalid:4321");
    assert!(proxy.metadata().unwrap().methods.contains("number"));
    daemon.shutdown();
}

#[test]
fn marshal_cannot_autoproxy() {
    let (daemon, factory) = serve("marshal", Daemon::builder());
    let factory = FactoryProxy::from_proxy(factory.proxy().clone().with_serializer(Serializer::Marshal));
    let err = factory.create(1).unwrap_err();
    let Error::Remote(remote) = &err else { panic!("{err:?}") };
    assert_eq!(remote.class, "Pyro5.errors.SerializeError");
    assert!(err.to_string().contains("marshal"), "{err}");
    assert_eq!(daemon.registered(), ["Pyro.Daemon", "factory"]);
    daemon.shutdown();
}

#[test]
fn proxy_for_hands_out_own_objects() {
    let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    daemon.register(Thing { tag: "own".into(), number: 3, said: vec![] }, Some("mine")).unwrap();
    let proxy = ThingProxy::from(daemon.proxy_for("mine").unwrap());
    let bytes = Serializer::Serpent.to_bytes(&proxy).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let port = daemon.local_addr().unwrap().port();
    assert_eq!(
        text,
        format!(
            "# serpent utf-8 python3.2\n{{'__class__':'Pyro5.client.Proxy','state':('PYRO:mine@127.0.0.1:{port}',(),('number','speak'),(),'hello',None)}}"
        )
    );
    assert!(matches!(daemon.proxy_for("other"), Err(Error::Daemon { .. })));
}

/// A hand-written servant handing back an object by itself (`Reply::Object`).
struct Maker;

impl pyro::dispatch::Dispatch<Maker> for Maker {
    fn metadata() -> pyro::dispatch::Metadata {
        pyro::dispatch::Metadata::new(["make"], [], [])
    }
    fn receiver(method: &str) -> Option<pyro::dispatch::Receiver> {
        (method == "make").then_some(pyro::dispatch::Receiver::Shared)
    }
    fn invoke_shared(
        &self,
        _ctx: &mut pyro::dispatch::CallContext,
        _method: &str,
        args: pyro::dispatch::CallArgs,
    ) -> Result<pyro::dispatch::Reply, Error> {
        args.finish()?;
        let thing = Thing { tag: "object".into(), number: 11, said: vec![] };
        Ok(pyro::dispatch::Reply::Object(Arc::new(pyro::dispatch::Served::new(thing))))
    }
    fn invoke_exclusive(
        &mut self,
        _ctx: &mut pyro::dispatch::CallContext,
        method: &str,
        _args: pyro::dispatch::CallArgs,
    ) -> Result<pyro::dispatch::Reply, Error> {
        Err(pyro::dispatch::CallArgs::unknown_method(method))
    }
}

#[test]
fn an_object_reply_is_sent_as_a_proxy() {
    let daemon = Arc::new(Daemon::bind("127.0.0.1", 0).unwrap());
    let uri = daemon.register(Maker, Some("maker")).unwrap();
    let serving = Arc::clone(&daemon);
    std::thread::spawn(move || serving.request_loop());
    let maker = Proxy::new(uri);
    let thing: ThingProxy = maker.call("make", &()).unwrap();
    assert_eq!(thing.number().unwrap(), 11);
    assert_eq!(daemon.session_objects(), 1);
    maker.release();
    wait_for("the object to go", || daemon.session_objects() == 0 && dropped("object") == 1);
    daemon.shutdown();
}

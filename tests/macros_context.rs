//! Exposed methods asking for the call context (`&CallContext`, `&mut CallContext` anywhere in
//! their parameters), served by a daemon and called through the typed proxy: what the context
//! says, response annotations back to the caller (with the daemon's), correlation ids given to
//! a proxy, propagated through a nested call, and on oneway calls; the context is absent from
//! the metadata and the proxy's signatures.
#![allow(clippy::unwrap_used)]

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyro::current_context;
use pyro::dispatch::CallContext;
use pyro::protocol::{AnnotationId, Annotations, Flags};
use pyro::uuid::Uuid;
use pyro::{Daemon, ShutdownHandle};

fn id(text: &str) -> AnnotationId {
    AnnotationId::try_from(text).unwrap()
}

fn annotations(pairs: &[(&str, &[u8])]) -> Annotations {
    pairs.iter().map(|(key, value)| (id(key), value.to_vec())).collect()
}

/// What a call saw of its context.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Seen {
    seq: u16,
    flags: u16,
    serializer_id: u8,
    session_id: u64,
    client: Option<String>,
    correlation_id: Option<String>,
    xyzz: Option<Vec<u8>>,
}

fn seen(ctx: &CallContext) -> Seen {
    Seen {
        seq: ctx.seq(),
        flags: ctx.flags().bits(),
        serializer_id: ctx.serializer().id(),
        session_id: ctx.session_id(),
        client: ctx.client_addr().map(|a| a.to_string()),
        correlation_id: ctx.correlation_id().map(|id| id.to_string()),
        xyzz: ctx.annotations().get(id("XYZZ")).map(<[u8]>::to_vec),
    }
}

/// Answers with what its calls see.
pub struct Echo {
    oneway_seen: Mutex<Option<mpsc::Sender<Seen>>>,
    /// Where `forward` calls on to.
    next: Mutex<Option<String>>,
    /// The attribute `label`, with the sequence number of the call that set it.
    label: String,
}

#[pyro::expose]
impl Echo {
    /// What this call sees.
    pub fn look(&self, ctx: &CallContext) -> Seen {
        seen(ctx)
    }

    /// `text`, with response annotations.
    pub fn echo(&self, text: String, ctx: &mut CallContext) -> String {
        ctx.response_annotations_mut().insert(id("RESP"), format!("echo:{text}").into_bytes());
        ctx.response_annotations_mut().insert(id("DDAA"), b"the method's".to_vec());
        text
    }

    /// `a - b` and the sequence number.
    pub fn middle(&mut self, a: i64, ctx: &CallContext, b: i64) -> (i64, u16) {
        (a - b, ctx.seq())
    }

    #[pyro::oneway]
    /// Reports what a oneway call sees.
    pub fn later(&self, ctx: &CallContext) {
        if let Some(sender) = self.oneway_seen.lock().unwrap().as_ref() {
            sender.send(seen(ctx)).unwrap();
        }
    }

    /// Streams three numbers from the sequence number on.
    pub fn seqs(&self, ctx: &CallContext) -> impl Iterator<Item = u16> + Send + 'static {
        let seq = ctx.seq();
        (0..3).map(move |n| seq + n)
    }

    #[pyro::getter]
    /// The message flags.
    pub fn flags(&self, ctx: &CallContext) -> u16 {
        ctx.flags().bits()
    }

    /// The attribute `label`.
    #[pyro::getter]
    pub fn label(&self) -> String {
        self.label.clone()
    }

    /// Sets `label`, noting the call's sequence number in it and in a response annotation.
    #[pyro::setter]
    pub fn set_label(&mut self, ctx: &mut CallContext, label: String) {
        self.label = format!("{label} @{}", ctx.seq());
        ctx.response_annotations_mut().insert(id("SETR"), label.into_bytes());
    }

    /// Calls `look` on the next object: the correlation id travels on by itself.
    pub fn forward(&self) -> Seen {
        let uri = self.next.lock().unwrap().clone().unwrap();
        EchoProxy::new(&uri).unwrap().look().unwrap()
    }
}

#[pyro::expose]
/// Greets.
pub trait Greeter {
    /// Greets `name`.
    fn greet(&self, ctx: &CallContext, name: String) -> String;
}

struct English;

impl Greeter for English {
    fn greet(&self, ctx: &CallContext, name: String) -> String {
        format!("hello {name} #{}", ctx.seq())
    }
}

struct Served {
    uri: String,
    greeter: String,
    stop: ShutdownHandle,
    oneway: mpsc::Receiver<Seen>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop.shutdown();
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

fn serve(next: Option<String>) -> Served {
    let daemon = Daemon::builder()
        .host("127.0.0.1")
        .annotations(|| annotations(&[("DDAA", b"the daemon's"), ("DDBB", b"also")]))
        .bind()
        .unwrap();
    let (sender, oneway) = mpsc::channel();
    let echo = Echo { oneway_seen: Mutex::new(Some(sender)), next: Mutex::new(next), label: String::new() };
    let uri = daemon.register(echo, Some("example.context")).unwrap().to_string();
    let greeter = daemon.register_as::<dyn Greeter, _>(English, Some("greeter")).unwrap().to_string();
    let stop = daemon.shutdown_handle();
    let thread = Some(std::thread::spawn(move || daemon.request_loop().unwrap()));
    Served { uri, greeter, stop, oneway, thread }
}

#[test]
fn the_context_is_no_argument_on_the_wire() {
    let metadata = <Echo as pyro::dispatch::Dispatch<Echo>>::metadata();
    assert!(metadata.methods.contains("middle"));
    assert!(metadata.attrs.contains("flags"));
    let served = serve(None);
    let proxy = EchoProxy::new(&served.uri).unwrap();
    assert_eq!(proxy.middle(10, 4).unwrap(), (6, 1));
    // Python-style: two positional arguments, nothing for the context.
    let dynamic: (i64, u16) = proxy.proxy().call("middle", &(5, 3)).unwrap();
    assert_eq!(dynamic, (2, 2));
    let wrong = proxy.proxy().call::<_, (i64, u16)>("middle", &(5, 3, 1)).unwrap_err();
    assert!(wrong.to_string().contains("takes 2 positional arguments but 3 were given"), "{wrong}");
}

#[test]
fn a_method_sees_the_call_and_the_caller_sees_its_response_annotations() {
    let served = serve(None);
    let mut proxy = EchoProxy::new(&served.uri).unwrap();
    let correlation = Uuid::new_v4();
    proxy.set_correlation_id(Some(correlation));
    proxy.set_annotations(annotations(&[("XYZZ", b"from the proxy")]));
    let look = proxy.look().unwrap();
    assert_eq!(look.seq, 1);
    assert_eq!(look.flags, Flags::CORR_ID.bits());
    assert_eq!(look.serializer_id, pyro::Serializer::Msgpack.id());
    assert!(look.client.unwrap().starts_with("127.0.0.1:"));
    assert_eq!(look.correlation_id, Some(correlation.to_string()));
    assert_eq!(look.xyzz.as_deref(), Some(&b"from the proxy"[..]));
    // Per call, through the thread: the thread's value wins.
    let look = current_context::with_annotations(annotations(&[("XYZZ", b"this call")]), || proxy.look().unwrap());
    assert_eq!((look.seq, look.xyzz.as_deref()), (2, Some(&b"this call"[..])));

    assert_eq!(proxy.echo("hi".into()).unwrap(), "hi");
    let response = current_context::response_annotations();
    let pairs: Vec<(&str, &[u8])> = response.iter().map(|(id, v)| (id.as_str(), v)).collect();
    assert_eq!(
        pairs,
        [("RESP", &b"echo:hi"[..]), ("DDAA", &b"the daemon's"[..]), ("DDBB", &b"also"[..])],
        "the method's first, the daemon's after, winning on the same id"
    );
    // A call whose method sets none: only the daemon's.
    proxy.look().unwrap();
    assert_eq!(current_context::response_annotations(), annotations(&[("DDAA", b"the daemon's"), ("DDBB", b"also")]));
    // Getters and streams get the context too.
    assert_eq!(proxy.flags().unwrap(), Flags::CORR_ID.bits());
    let seqs: Vec<u16> = proxy.seqs().unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(seqs.len(), 3);
    // Setters too.
    proxy.set_label("named".into()).unwrap();
    assert_eq!(current_context::response_annotations().get(id("SETR")), Some(&b"named"[..]));
    assert!(proxy.label().unwrap().starts_with("named @"));
    // The greeter interface too.
    let greeter = GreeterProxy::new(&served.greeter).unwrap();
    assert_eq!(greeter.greet("bob".into()).unwrap(), "hello bob #1");
}

#[test]
fn a_oneway_call_gets_its_context_and_no_response_annotations() {
    let served = serve(None);
    let proxy = EchoProxy::new(&served.uri).unwrap();
    proxy.look().unwrap();
    assert!(!current_context::response_annotations().is_empty());
    let correlation = Uuid::new_v4();
    current_context::with_correlation_id(Some(correlation), || proxy.later()).unwrap();
    assert!(current_context::response_annotations().is_empty(), "a oneway call gets no reply");
    let seen = served.oneway.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(seen.seq, 2);
    assert_eq!(seen.flags, (Flags::ONEWAY | Flags::CORR_ID).bits());
    assert_eq!(seen.correlation_id, Some(correlation.to_string()));
}

#[test]
fn a_batch_sends_the_response_annotations_of_its_calls() {
    let served = serve(None);
    let proxy = EchoProxy::new(&served.uri).unwrap();
    let mut batch = proxy.batch();
    let first = batch.echo("one".into());
    let second = batch.middle(3, 1);
    batch.run().unwrap();
    assert_eq!(first.get().unwrap(), "one");
    assert_eq!(second.get().unwrap(), (2, 1));
    assert_eq!(current_context::response_annotations().get(id("RESP")), Some(&b"echo:one"[..]));
}

#[test]
fn the_correlation_id_propagates_through_a_nested_call() {
    let last = serve(None);
    let first = serve(Some(last.uri.clone()));
    let correlation = Uuid::new_v4();
    let mut proxy = EchoProxy::new(&first.uri).unwrap();
    proxy.set_correlation_id(Some(correlation));
    let seen = proxy.forward().unwrap();
    assert_eq!(seen.correlation_id, Some(correlation.to_string()));
    // The calling thread's id, when the proxy has none.
    let other = Uuid::new_v4();
    let proxy = Arc::new(EchoProxy::new(&first.uri).unwrap());
    let seen = current_context::with_correlation_id(Some(other), || proxy.forward()).unwrap();
    assert_eq!(seen.correlation_id, Some(other.to_string()));
    // None at all: the daemon makes a fresh one up for each call (the worker thread kept
    // nothing of the last call).
    let seen = proxy.forward().unwrap();
    let made_up = seen.correlation_id.unwrap();
    assert_ne!(made_up, other.to_string());
    assert_ne!(proxy.forward().unwrap().correlation_id.unwrap(), made_up);
}

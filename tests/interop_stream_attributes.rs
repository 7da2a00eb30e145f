//! Streamed attributes: a `#[pyro::getter]` returning an iterator is streamed as Pyro5 streams a
//! property whose value is an iterator or generator. A real Python Pyro5 5.17 client reads them
//! with `list(p.prop_iter)` (over serpent, msgpack and json), and Rust typed proxies read them as
//! `RemoteIter`s, from an impl and through an interface; with `ITER_STREAMING` off both get
//! Pyro5's refusal.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use pyro::{Config, Daemon, Error, RemoteError, Serializer, Value};
use serde_json::{Value as Json, json};

/// Counts its live iterators, so that tests can see the daemon drop a closed stream.
#[derive(Default)]
pub struct Sequences {
    open: Arc<AtomicU32>,
    label: String,
}

struct Tracked<I> {
    inner: I,
    open: Arc<AtomicU32>,
}

impl<I: Iterator> Iterator for Tracked<I> {
    type Item = I::Item;
    fn next(&mut self) -> Option<I::Item> {
        self.inner.next()
    }
}

impl<I> Drop for Tracked<I> {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Sequences {
    fn track<I: Iterator + Send + 'static>(&self, inner: I) -> Tracked<I> {
        self.open.fetch_add(1, Ordering::SeqCst);
        Tracked { inner, open: Arc::clone(&self.open) }
    }
}

#[pyro::expose]
impl Sequences {
    /// 1 to 10, as Pyro5's streaming example's `prop_iter`.
    #[pyro::getter]
    pub fn prop_iter(&self) -> impl Iterator<Item = u32> + Send + 'static {
        self.track(1..=10)
    }

    /// A boxed iterator from a `&mut self` getter.
    #[pyro::getter]
    pub fn prop_generator(&mut self) -> Box<dyn Iterator<Item = String> + Send> {
        Box::new(self.track((0..3).map(|i| format!("item {i}"))))
    }

    /// 1, 2, then a `ValueError` ends the stream; refused outright while the label is "refuse".
    #[pyro::getter]
    pub fn failing(&self) -> Result<impl Iterator<Item = Result<u32, RemoteError>> + Send + 'static, RemoteError> {
        if self.label == "refuse" {
            return Err(RemoteError::new("builtins.LookupError", vec![Value::from("refused")]));
        }
        let error = RemoteError::new("builtins.ValueError", vec![Value::from("no more")]);
        Ok(self.track([Ok(1), Ok(2), Err(error)].into_iter()))
    }

    /// Never ends.
    #[pyro::getter]
    pub fn endless(&self) -> impl Iterator<Item = u64> + Send + 'static {
        self.track(0..)
    }

    /// A plain attribute next to the streamed ones.
    #[pyro::getter]
    pub fn label(&self) -> String {
        self.label.clone()
    }

    /// Writes it.
    #[pyro::setter]
    pub fn set_label(&mut self, value: String) {
        self.label = value;
    }

    /// How many iterators are alive on the server.
    pub fn open_iterators(&self) -> u32 {
        self.open.load(Ordering::SeqCst)
    }
}

/// An interface with a streamed attribute.
#[pyro::expose]
pub trait Word {
    /// The letters of the word, one by one.
    #[pyro::getter]
    fn letters(&self) -> Box<dyn Iterator<Item = char> + Send>;
}

struct Hello;

impl Word for Hello {
    fn letters(&self) -> Box<dyn Iterator<Item = char> + Send> {
        Box::new("hello".chars().collect::<Vec<_>>().into_iter())
    }
}

/// A daemon on a thread serving `sequences` and `word`; stops when dropped.
struct Server {
    sequences: String,
    word: String,
    stop: pyro::ShutdownHandle,
    thread: Option<std::thread::JoinHandle<pyro::Result<()>>>,
}

impl Server {
    fn start(streaming: bool) -> Server {
        let config = Config { iter_streaming: streaming, ..Config::default() };
        let daemon = Daemon::builder().config(config).host("127.0.0.1").bind().unwrap();
        let sequences = daemon.register(Sequences::default(), Some("sequences")).unwrap().to_string();
        let word = daemon.register_as::<dyn Word, _>(Hello, Some("word")).unwrap().to_string();
        let stop = daemon.shutdown_handle();
        let thread = Some(std::thread::spawn(move || daemon.request_loop()));
        Server { sequences, word, stop, thread }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.shutdown();
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap().unwrap();
        }
    }
}

const PYTHON_CLIENT: &str = r#"
import json, sys, time
import Pyro5.api, Pyro5.errors
Pyro5.config.SERIALIZER = sys.argv[1]
sequences, word, off = sys.argv[2:5]
out = {}

def err(e):
    return [type(e).__module__ + "." + type(e).__name__, str(e)]

def wait_open(p, n):
    for _ in range(250):
        if p.open_iterators() == n:
            return True
        time.sleep(0.02)
    return False

with Pyro5.api.Proxy(sequences) as p:
    p._pyroBind()
    out["attrs"] = sorted(p._pyroAttrs)
    out["methods"] = sorted(p._pyroMethods)
    it = p.prop_iter
    out["type"] = type(it).__name__
    out["prop_iter"] = list(it)
    out["prop_generator"] = list(p.prop_generator)
    got = []
    try:
        for x in p.failing:
            got.append(x)
    except ValueError as e:
        got.append(err(e))
    out["failing"] = got
    p.label = "refuse"
    try:
        p.failing
        out["refused"] = "no error"
    except LookupError as e:
        out["refused"] = err(e)
    p.label = "plain"
    out["label"] = p.label
    it = p.endless
    out["endless"] = [next(it), next(it), next(it)]
    it.close()
    out["closed"] = wait_open(p, 0)
with Pyro5.api.Proxy(word) as w:
    out["letters"] = list(w.letters)
with Pyro5.api.Proxy(off) as p:
    try:
        out["off"] = p.prop_iter
    except Pyro5.errors.ProtocolError as e:
        out["off"] = err(e)
    out["off_open"] = p.open_iterators()
print(json.dumps(out))
"#;

const NOT_STREAMING: &str = "result of call is an iterator, but the server is not configured to allow streaming";

#[test]
fn a_python_client_lists_streamed_attributes() {
    let (server, off) = (Server::start(true), Server::start(false));
    for serializer in ["serpent", "msgpack", "json"] {
        let run = pyro_interop::python()
            .command()
            .args(["-c", PYTHON_CLIENT, serializer, &server.sequences, &server.word, &off.sequences])
            .output()
            .unwrap();
        assert!(run.status.success(), "{serializer}: {}", String::from_utf8_lossy(&run.stderr));
        let out: Json = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(out["attrs"], json!(["endless", "failing", "label", "prop_generator", "prop_iter"]), "{serializer}");
        assert_eq!(out["methods"], json!(["open_iterators"]), "{serializer}");
        assert_eq!(out["type"], "_StreamResultIterator", "{serializer}");
        assert_eq!(out["prop_iter"], json!([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), "{serializer}");
        assert_eq!(out["prop_generator"], json!(["item 0", "item 1", "item 2"]), "{serializer}");
        assert_eq!(out["failing"], json!([1, 2, ["builtins.ValueError", "no more"]]), "{serializer}");
        assert_eq!(out["refused"], json!(["builtins.LookupError", "refused"]), "{serializer}");
        assert_eq!(out["label"], "plain", "{serializer}");
        assert_eq!(out["endless"], json!([0, 1, 2]), "{serializer}");
        assert_eq!(out["closed"], true, "{serializer}: closing the stream dropped the iterator");
        assert_eq!(out["letters"], json!(["h", "e", "l", "l", "o"]), "{serializer}");
        assert_eq!(out["off"], json!(["Pyro5.errors.ProtocolError", NOT_STREAMING]), "{serializer}");
        assert_eq!(out["off_open"], 0, "{serializer}: with streaming off the iterator is dropped at once");
    }
}

fn wait_open(proxy: &SequencesProxy, n: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if proxy.open_iterators().unwrap() == n {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn rust_typed_proxies_iterate_streamed_attributes() {
    let (server, off) = (Server::start(true), Server::start(false));
    for serializer in [Serializer::Serpent, Serializer::Msgpack, Serializer::Json, Serializer::Marshal] {
        let typed = |uri: &str| pyro::proxy::Proxy::from_uri_str(uri).unwrap().with_serializer(serializer);
        let proxy = SequencesProxy::from_proxy(typed(&server.sequences));
        let all: Vec<u32> = proxy.prop_iter().unwrap().collect::<pyro::Result<_>>().unwrap();
        assert_eq!(all, (1..=10).collect::<Vec<_>>(), "{serializer:?}");
        let all: Vec<String> = proxy.prop_generator().unwrap().collect::<pyro::Result<_>>().unwrap();
        assert_eq!(all, ["item 0", "item 1", "item 2"], "{serializer:?}");

        let items: Vec<pyro::Result<u32>> = proxy.failing().unwrap().collect();
        assert_eq!(items.len(), 3, "{serializer:?}");
        assert_eq!((items[0].as_ref().unwrap(), items[1].as_ref().unwrap()), (&1, &2));
        assert!(
            matches!(&items[2], Err(Error::Remote(e)) if e.class == "builtins.ValueError" && e.message == "no more")
        );
        proxy.set_label("refuse".into()).unwrap();
        match proxy.failing() {
            Err(Error::Remote(e)) => {
                assert_eq!((e.class.as_str(), e.message.as_str()), ("builtins.LookupError", "refused"))
            }
            Err(other) => panic!("{serializer:?}: {other:?}"),
            Ok(_) => panic!("{serializer:?}: the refusal opened a stream"),
        }
        proxy.set_label("plain".into()).unwrap();
        assert_eq!(proxy.label().unwrap(), "plain");

        // Dropping the iterator early closes the stream on the daemon.
        let mut endless = proxy.endless().unwrap();
        assert_eq!((endless.next().unwrap().unwrap(), endless.next().unwrap().unwrap()), (0, 1));
        drop(endless);
        assert!(wait_open(&proxy, 0), "{serializer:?}: the stream stayed open");

        let word = WordProxy::from_proxy(typed(&server.word));
        assert_eq!(word.letters().unwrap().collect::<pyro::Result<String>>().unwrap(), "hello");

        let refused = SequencesProxy::from_proxy(typed(&off.sequences));
        match refused.prop_iter() {
            Err(error) => assert!(error.to_string().contains(NOT_STREAMING), "{serializer:?}: {error}"),
            Ok(_) => panic!("{serializer:?}: a stream from a daemon with ITER_STREAMING off"),
        }
        assert_eq!(refused.open_iterators().unwrap(), 0);
    }
}

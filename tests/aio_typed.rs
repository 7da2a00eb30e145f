//! The async typed proxies `#[pyro::expose]` generates (`ThingProxyAsync`, `ThingBatchAsync`)
//! against a Rust blocking daemon: calls with every argument shape, oneway calls, typed errors,
//! attributes, item streams as `Stream`s, batches, objects by reference, the settings
//! accessors, conversions from and to the blocking twin; and the blocking typed proxy called
//! from inside tokio runtimes (multi-thread and current-thread).

#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

use std::future::poll_fn;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyro::futures_core::Stream;
use pyro::{Daemon, Remote, RemoteError, SerializedBlob, Value, VarArgs};

/// A remote interface: its typed proxies are `GreeterProxy` and `GreeterProxyAsync`.
#[pyro::expose]
pub trait Greeter {
    /// Greets `name`.
    fn greet(&self, name: String) -> String;

    /// Greets `name` unless it is empty or "nobody".
    fn strict(&self, name: String) -> Result<String, GreetError>;
}

/// Typed remote errors.
#[derive(Debug, PartialEq, pyro::RemoteError)]
#[pyro(class = "builtins.ValueError")]
pub enum GreetError {
    /// `ValueError(message)`.
    Invalid(String),
    /// `PermissionError`.
    #[pyro(class = "builtins.PermissionError")]
    Refused,
}

impl std::fmt::Display for GreetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GreetError::Invalid(message) => f.write_str(message),
            GreetError::Refused => f.write_str("refused"),
        }
    }
}

/// A `Greeter`.
pub struct English;

impl Greeter for English {
    fn greet(&self, name: String) -> String {
        format!("hello {name}")
    }

    fn strict(&self, name: String) -> Result<String, GreetError> {
        match name.as_str() {
            "" => Err(GreetError::Invalid("empty name".into())),
            "nobody" => Err(GreetError::Refused),
            _ => Ok(name),
        }
    }
}

/// A counter with every call shape.
#[derive(Default)]
pub struct Counter {
    total: AtomicI64,
    log: Mutex<Vec<String>>,
    label: Mutex<String>,
}

#[pyro::expose]
impl Counter {
    /// Adds `n` (1 when left out).
    pub fn add(&self, n: Option<i64>) -> i64 {
        self.total.fetch_add(n.unwrap_or(1), Ordering::SeqCst) + n.unwrap_or(1)
    }

    /// Two arguments.
    pub fn sum(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    /// Fails when `n` is negative.
    pub fn checked(&self, n: i64) -> Result<i64, RemoteError> {
        if n < 0 {
            return Err(RemoteError::new("builtins.ValueError", vec![Value::from(format!("{n} is negative"))]));
        }
        Ok(n)
    }

    /// Logs a line; the caller does not wait.
    #[pyro::oneway]
    pub fn log(&self, line: String) {
        self.log.lock().unwrap().push(line);
    }

    /// The lines logged.
    pub fn lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Streams `0..n`.
    pub fn count(&self, n: u32) -> impl Iterator<Item = u32> + Send + 'static {
        0..n
    }

    /// A new counter, by reference.
    pub fn spawn(&self) -> Remote<Counter> {
        Remote::new(Counter::default())
    }

    /// The correlation id of the call.
    pub fn correlation(&self) -> Option<String> {
        pyro::current_context::correlation_id().map(|id| id.to_string())
    }

    /// A blob's info.
    pub fn blob_info(&self, blob: SerializedBlob) -> Value {
        blob.info().clone()
    }

    /// `total(first, *rest)`.
    pub fn total(&self, first: i64, rest: VarArgs<i64>) -> i64 {
        first + rest.iter().sum::<i64>()
    }

    /// Sleeps, then answers.
    pub fn slow(&self, millis: u64) -> String {
        std::thread::sleep(Duration::from_millis(millis));
        "slept".into()
    }

    /// The label.
    #[pyro::getter]
    pub fn label(&self) -> String {
        self.label.lock().unwrap().clone()
    }

    /// Sets the label.
    #[pyro::setter]
    pub fn set_label(&self, label: String) {
        *self.label.lock().unwrap() = label;
    }
}

/// Serves a `Counter` on a thread-pool daemon in a thread of its own.
fn serve() -> (String, pyro::ShutdownHandle, std::thread::JoinHandle<()>) {
    let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    let uri = daemon.register(Counter::default(), Some("counter")).unwrap().to_string();
    daemon.register_as::<dyn Greeter, _>(English, Some("greeter")).unwrap();
    let stop = daemon.shutdown_handle();
    let thread = std::thread::spawn(move || daemon.request_loop().unwrap());
    (uri, stop, thread)
}

async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_next(cx)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_shape_of_the_async_typed_proxy() {
    let (uri, stop, thread) = serve();
    let counter = CounterProxyAsync::new(&uri).unwrap();
    assert_eq!(counter.add(Some(5)).await.unwrap(), 5);
    assert_eq!(counter.add(None).await.unwrap(), 6);
    assert_eq!(counter.sum(2, 3).await.unwrap(), 5);
    assert_eq!(counter.checked(4).await.unwrap(), 4);
    match counter.checked(-1).await {
        Err(pyro::Error::Remote(remote)) => {
            assert_eq!((remote.class.as_str(), remote.message.as_str()), ("builtins.ValueError", "-1 is negative"));
        }
        other => panic!("{other:?}"),
    }
    counter.log("one".into()).await.unwrap();
    assert!(pyro_interop::wait_for(|| futures_block(counter.lines()).unwrap().contains(&"one".to_owned())));
    // Attributes.
    counter.set_label("kitchen".into()).await.unwrap();
    assert_eq!(counter.label().await.unwrap(), "kitchen");
    // Item streams.
    let mut items = Box::pin(counter.count(4).await.unwrap());
    let mut got = Vec::new();
    while let Some(item) = next(&mut items).await {
        got.push(item.unwrap());
    }
    assert_eq!(got, [0, 1, 2, 3]);
    // Batches.
    let mut batch = counter.batch();
    let a = batch.sum(1, 1);
    let b = batch.checked(-5);
    batch.run().await.unwrap();
    assert_eq!(a.get().unwrap(), 2);
    assert_eq!(b.get().unwrap_err().python_class(), "builtins.ValueError");
    // Objects by reference arrive as async typed proxies.
    let child: CounterProxyAsync = counter.spawn().await.unwrap();
    assert_eq!(child.add(Some(2)).await.unwrap(), 2);
    // Settings and the untyped proxy underneath.
    let mut copy = counter.clone();
    copy.proxy_mut().set_timeout(Some(Duration::from_millis(100)));
    assert!(matches!(copy.slow(500).await, Err(pyro::Error::Timeout { .. })));
    assert_eq!(copy.sum(1, 2).await.unwrap(), 3);
    copy.reconnect(1).await.unwrap();
    let value = counter.proxy().call_value("sum", vec![1.into(), 1.into()], Default::default()).await.unwrap();
    assert_eq!(value, Value::Int(2));
    // Varargs, blobs, correlation ids.
    assert_eq!(counter.total(1, VarArgs::from(vec![2, 3])).await.unwrap(), 6);
    let blob = SerializedBlob::new("news", &("hello",)).unwrap();
    assert_eq!(counter.blob_info(blob).await.unwrap(), Value::from("news"));
    let id = pyro::uuid::Uuid::new_v4();
    let mut tagged = counter.clone();
    tagged.set_correlation_id(Some(id));
    assert_eq!(tagged.correlation().await.unwrap(), Some(id.to_string()));
    // A trait's async typed proxy.
    let greeter = GreeterProxyAsync::new(&uri.replace("counter@", "greeter@")).unwrap();
    assert_eq!(greeter.greet("ann".into()).await.unwrap(), "hello ann");
    // Typed remote errors, as the blocking proxy decodes them.
    let err = greeter.strict(String::new()).await.unwrap_err();
    assert_eq!(err.raised::<GreetError>().unwrap(), GreetError::Invalid("empty name".into()));
    let err = greeter.strict("nobody".into()).await.unwrap_err();
    assert_eq!(err.raised::<GreetError>().unwrap(), GreetError::Refused);
    // Conversions with the blocking twin.
    let blocking: CounterProxy = counter.to_blocking();
    assert_eq!(tokio::task::spawn_blocking(move || blocking.sum(3, 4)).await.unwrap().unwrap(), 7);
    let again = CounterProxyAsync::from(CounterProxy::new(&uri).unwrap());
    assert_eq!(again.sum(1, 1).await.unwrap(), 2);
    stop.shutdown();
    thread.join().unwrap();
}

/// Runs a future to completion on a runtime of its own (for `wait_for`'s closure).
fn futures_block<F: Future + Send>(future: F) -> F::Output
where
    F::Output: Send,
{
    std::thread::scope(|scope| {
        scope
            .spawn(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future))
            .join()
            .unwrap()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_typed_calls_leave_the_proxy_usable() {
    let (uri, stop, thread) = serve();
    let counter = Arc::new(CounterProxyAsync::new(&uri).unwrap());
    assert!(tokio::time::timeout(Duration::from_millis(100), counter.slow(400)).await.is_err());
    assert_eq!(counter.sum(1, 2).await.unwrap(), 3);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move { counter.sum(i, i).await.unwrap() })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(task.await.unwrap(), 2 * i64::try_from(i).unwrap());
    }
    stop.shutdown();
    thread.join().unwrap();
}

/// The blocking typed proxy called from inside a tokio runtime: it uses std sockets and works
/// (it blocks the calling worker while it waits).
fn blocking_inside(runtime: tokio::runtime::Runtime) {
    let (uri, stop, thread) = serve();
    runtime.block_on(async {
        let counter = CounterProxy::new(&uri).unwrap();
        assert_eq!(counter.sum(20, 22).unwrap(), 42);
        let inner = tokio::spawn(async move { counter.checked(-2).unwrap_err().python_class().to_owned() });
        assert_eq!(inner.await.unwrap(), "builtins.ValueError");
    });
    stop.shutdown();
    thread.join().unwrap();
}

#[test]
fn the_blocking_proxy_works_inside_a_multi_thread_runtime() {
    blocking_inside(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap());
}

#[test]
fn the_blocking_proxy_works_inside_a_current_thread_runtime() {
    blocking_inside(tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap());
}

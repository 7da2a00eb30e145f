//! The object the async daemon tests serve: `async fn` and plain methods side by side, with
//! typed errors, item streams, oneway calls, the call context, attributes and a panic; and a
//! running async daemon on a runtime of its own.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyro::dispatch::CallContext;
use pyro::protocol::AnnotationId;
use pyro::{RemoteError, Value};

/// An object with async and plain methods.
#[derive(Default)]
pub struct Service {
    pub events: Arc<Mutex<Vec<String>>>,
    value: AtomicI64,
    in_flight: AtomicI64,
    most_in_flight: AtomicI64,
}

#[pyro::expose]
impl Service {
    /// Async: awaits a timer before answering.
    pub async fn add(&self, a: i64, b: i64) -> i64 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        a + b
    }

    /// Plain.
    pub fn mul(&self, a: i64, b: i64) -> i64 {
        a * b
    }

    /// Async, echoing any value.
    pub async fn echo(&self, value: Value) -> Value {
        tokio::task::yield_now().await;
        value
    }

    /// Async with a typed error: a Python `ValueError`.
    pub async fn fail(&self, text: String) -> Result<i64, RemoteError> {
        tokio::task::yield_now().await;
        Err(RemoteError::new("builtins.ValueError", vec![Value::from(text)]))
    }

    /// Async, returning an iterator: streamed item by item.
    pub async fn count_to(&self, n: i64) -> impl Iterator<Item = i64> + Send + 'static {
        tokio::task::yield_now().await;
        1..=n
    }

    /// Async oneway.
    #[pyro::oneway]
    pub async fn notify(&self, event: String) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.events.lock().unwrap().push(event);
    }

    /// Plain: the events notified so far.
    pub fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }

    /// Async with the call context: sets a response annotation, and tells the correlation id
    /// the context has and the one the thread context carries after an await (as proxy calls
    /// made here would send it).
    pub async fn whoami(&self, ctx: &mut CallContext) -> (String, String) {
        tokio::time::sleep(Duration::from_millis(2)).await;
        let thread = pyro::current_context::correlation_id().map(|id| id.to_string()).unwrap_or_default();
        tokio::task::yield_now().await;
        ctx.response_annotations_mut().insert(AnnotationId::try_from("ASYN").unwrap(), b"from async".to_vec());
        (ctx.correlation_id().map(|id| id.to_string()).unwrap_or_default(), thread)
    }

    /// Async and slow: counts how many run at once.
    pub async fn slow(&self, ms: u64) -> i64 {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        now
    }

    /// Plain and slow (a blocking sleep: it must not block the runtime).
    pub fn slow_sync(&self, ms: u64) -> u64 {
        std::thread::sleep(Duration::from_millis(ms));
        ms
    }

    /// The most `slow` calls seen at once.
    pub fn most_in_flight(&self) -> i64 {
        self.most_in_flight.load(Ordering::SeqCst)
    }

    /// Async: the name of the thread polling it (the daemon's runtime, or `pyro-async` for the
    /// runtime the blocking daemons run async methods on).
    pub async fn thread_name(&self) -> String {
        tokio::task::yield_now().await;
        std::thread::current().name().unwrap_or_default().to_owned()
    }

    /// Async and panicking.
    pub async fn explode(&self) -> i64 {
        tokio::task::yield_now().await;
        panic!("async boom")
    }

    /// Async, returning an object by reference (autoproxy).
    pub async fn child(&self, name: String) -> pyro::Remote<Child> {
        tokio::task::yield_now().await;
        pyro::Remote::new(Child { name })
    }

    /// A remote attribute.
    #[pyro::getter]
    pub fn value(&self) -> i64 {
        self.value.load(Ordering::SeqCst)
    }

    /// Its setter.
    #[pyro::setter]
    pub fn set_value(&self, value: i64) {
        self.value.store(value, Ordering::SeqCst);
    }
}

/// An object handed out by reference by `Service::child`.
pub struct Child {
    name: String,
}

#[pyro::expose]
impl Child {
    /// Async, on the object sent as a proxy.
    pub async fn name(&self) -> String {
        tokio::task::yield_now().await;
        self.name.clone()
    }
}

/// An async daemon serving `Service` as `service`, on a runtime of its own.
pub struct Running {
    pub uri: pyro::Uri,
    pub daemon_uri: pyro::Uri,
    pub events: Arc<Mutex<Vec<String>>>,
    shutdown: pyro::daemon::ShutdownHandle,
    server: Option<std::thread::JoinHandle<Result<(), pyro::Error>>>,
}

impl Running {
    /// Shuts the daemon down and checks that `serve` returned.
    pub fn stop(mut self) {
        self.shutdown.shutdown();
        if let Some(server) = self.server.take() {
            server.join().unwrap().unwrap();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.shutdown();
    }
}

/// Starts an async daemon made from `builder` (host 127.0.0.1) serving a `Service`.
pub fn start(builder: pyro::daemon::DaemonBuilder) -> Running {
    let daemon = pyro::aio::Daemon::new(builder.host("127.0.0.1").port(0).bind().unwrap());
    let service = Service::default();
    let events = Arc::clone(&service.events);
    let uri = daemon.register(service, Some("service")).unwrap();
    let daemon_uri = daemon.uri("Pyro.Daemon").unwrap();
    let shutdown = daemon.shutdown_handle();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("aio-test-worker")
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(daemon.serve())
    });
    Running { uri, daemon_uri, events, shutdown, server: Some(server) }
}

/// A configuration for tests: no environment, a comm timeout.
pub fn config() -> pyro::Config {
    pyro::Config { comm_timeout: Some(Duration::from_secs(10)), ..pyro::Config::default() }
}

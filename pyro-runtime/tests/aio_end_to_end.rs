//! Rust async client to Rust async daemon: the typed `WorkerProxyAsync` against
//! `pyro::aio::Daemon` serving async and plain methods (calls, oneway, batches, item streams with
//! and without read-ahead, typed exceptions, attributes, `Remote<T>` results), deadlines (one
//! set with `within_async` travels to the async method, an async method sleeping past it is
//! given up on the server and the client times out in bounded time, a nested call from inside
//! an async method inherits the rest, a past deadline sends nothing, the per-call deadline),
//! and dropping a call's future mid-call.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyro::deadline;
use pyro::futures_core::Stream;
use pyro::{Error, RemoteError, Value};

/// What the test reads of a served `Worker`.
#[derive(Default)]
struct State {
    /// `sleep_then_count` calls that got to the end of their sleep.
    completed: AtomicU64,
    /// `sleep_then_count` calls started.
    started: AtomicU64,
    notes: Mutex<Vec<String>>,
    level: AtomicU64,
}

struct Worker {
    state: Arc<State>,
}

#[pyro::expose]
impl Worker {
    /// Async.
    pub async fn add(&self, a: i64, b: i64) -> i64 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        a + b
    }

    /// Plain.
    pub fn mul(&self, a: i64, b: i64) -> i64 {
        a * b
    }

    /// Async, with a typed exception (a Python `ValueError`).
    pub async fn fail(&self, text: String) -> Result<i64, RemoteError> {
        tokio::task::yield_now().await;
        Err(RemoteError::new("builtins.ValueError", vec![Value::from(text)]))
    }

    /// Async oneway.
    #[pyro::oneway]
    pub async fn note(&self, text: String) {
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.state.notes.lock().unwrap().push(text);
    }

    /// Plain: the notes so far.
    pub fn notes(&self) -> Vec<String> {
        self.state.notes.lock().unwrap().clone()
    }

    /// Async, streaming `1..=n`.
    pub async fn count(&self, n: i64) -> impl Iterator<Item = i64> + Send + 'static {
        tokio::task::yield_now().await;
        1..=n
    }

    /// Async: the time left of the call's deadline as the method sees it, in milliseconds.
    pub async fn left_ms(&self) -> Option<u64> {
        tokio::task::yield_now().await;
        deadline::current().map(|d| d.remaining().as_millis() as u64)
    }

    /// Async: sleeps, then counts itself as completed.
    pub async fn sleep_then_count(&self, ms: u64) -> u64 {
        self.state.started.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        self.state.completed.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Async: asks the worker at `uri` (another daemon) for `left_ms`, from inside this call.
    pub async fn relay_left_ms(&self, uri: String) -> Result<Option<u64>, RemoteError> {
        let other = WorkerProxyAsync::new(&uri)
            .map_err(|e| RemoteError::new("builtins.ValueError", vec![e.to_string().into()]))?;
        other.left_ms().await.map_err(|e| RemoteError::new("builtins.RuntimeError", vec![e.to_string().into()]))
    }

    /// Async, returning an object by reference.
    pub async fn child(&self, name: String) -> pyro::Remote<Child> {
        tokio::task::yield_now().await;
        pyro::Remote::new(Child { name })
    }

    /// A remote attribute.
    #[pyro::getter]
    pub fn level(&self) -> u64 {
        self.state.level.load(Ordering::SeqCst)
    }

    /// Its setter.
    #[pyro::setter]
    pub fn set_level(&self, level: u64) {
        self.state.level.store(level, Ordering::SeqCst);
    }
}

struct Child {
    name: String,
}

#[pyro::expose]
impl Child {
    /// Async, on the object handed out by reference.
    pub async fn name(&self) -> String {
        tokio::task::yield_now().await;
        self.name.clone()
    }
}

/// An async daemon serving a `Worker` as `worker`, on a runtime (thread) of its own.
struct Served {
    uri: String,
    state: Arc<State>,
    shutdown: pyro::daemon::ShutdownHandle,
    server: Option<std::thread::JoinHandle<Result<(), Error>>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.shutdown.shutdown();
        if let Some(server) = self.server.take() {
            let _ = server.join();
        }
    }
}

fn serve() -> Served {
    let config = pyro::Config { comm_timeout: Some(Duration::from_secs(10)), ..pyro::Config::default() };
    let daemon =
        pyro::aio::Daemon::new(pyro::Daemon::builder().config(config).host("127.0.0.1").port(0).bind().unwrap());
    let state = Arc::new(State::default());
    let uri = daemon.register(Worker { state: Arc::clone(&state) }, Some("worker")).unwrap().to_string();
    let shutdown = daemon.shutdown_handle();
    let server = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(daemon.serve())
    });
    Served { uri, state, shutdown, server: Some(server) }
}

fn proxy(served: &Served) -> WorkerProxyAsync {
    let mut proxy = WorkerProxyAsync::new(&served.uri).unwrap();
    proxy.proxy_mut().set_timeout(Some(Duration::from_secs(10)));
    proxy
}

/// The next item of a stream.
async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}

/// All items of a stream.
async fn collect<S: Stream + Unpin>(mut stream: S) -> Vec<S::Item> {
    let mut items = Vec::new();
    while let Some(item) = next(&mut stream).await {
        items.push(item);
    }
    items
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_oneway_batches_exceptions_attributes_and_remote_results() {
    let served = serve();
    let worker = proxy(&served);
    assert_eq!(worker.add(40, 2).await.unwrap(), 42);
    assert_eq!(worker.mul(6, 7).await.unwrap(), 42);

    let error = worker.fail("oops".into()).await.unwrap_err();
    let remote = error.remote().unwrap();
    assert_eq!((remote.class.as_str(), remote.message.as_str()), ("builtins.ValueError", "oops"));

    worker.note("hello".into()).await.unwrap();
    assert!(pyro_interop::wait_for(|| served.state.notes.lock().unwrap().contains(&"hello".to_owned())));
    assert_eq!(worker.notes().await.unwrap(), vec!["hello".to_owned()]);

    worker.set_level(7).await.unwrap();
    assert_eq!(worker.level().await.unwrap(), 7);

    let child = worker.child("kid".into()).await.unwrap();
    assert_eq!(child.name().await.unwrap(), "kid");

    let mut batch = worker.batch();
    let sum = batch.add(1, 2);
    let product = batch.mul(3, 4);
    let failed = batch.fail("in batch".into());
    let skipped = batch.add(5, 5);
    batch.run().await.unwrap();
    assert_eq!((sum.get().unwrap(), product.get().unwrap()), (3, 12));
    assert_eq!(failed.get().unwrap_err().remote().unwrap().message, "in batch");
    assert!(skipped.get().is_err(), "the calls after a failed one do not run");

    let mut oneway = worker.batch();
    let _ = oneway.note("from batch".into());
    oneway.run_oneway().await.unwrap();
    assert!(pyro_interop::wait_for(|| served.state.notes.lock().unwrap().contains(&"from batch".to_owned())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn item_streams_with_and_without_read_ahead() {
    let served = serve();
    for read_ahead in [1, 8] {
        let mut worker = proxy(&served);
        worker.proxy_mut().set_stream_read_ahead(read_ahead);
        worker.proxy_mut().set_max_connections(1);
        let items: Vec<i64> = collect(worker.count(20).await.unwrap()).await.into_iter().map(Result::unwrap).collect();
        assert_eq!(items, (1..=20).collect::<Vec<_>>(), "read-ahead {read_ahead}");
        // The stream's connection went back (drained): the one connection serves the next call.
        assert_eq!(worker.add(1, 1).await.unwrap(), 2);
        assert_eq!(worker.proxy().open_connections(), 1, "read-ahead {read_ahead}");

        // Stopped early: closed on the daemon, and the proxy goes on.
        let mut stream = worker.count(1000).await.unwrap();
        assert_eq!(next(&mut stream).await.unwrap().unwrap(), 1);
        assert_eq!(next(&mut stream).await.unwrap().unwrap(), 2);
        stream.close().await.unwrap();
        assert_eq!(worker.mul(2, 3).await.unwrap(), 6);

        // Dropped early, with requests in flight: the proxy goes on.
        let mut stream = worker.count(1000).await.unwrap();
        assert_eq!(next(&mut stream).await.unwrap().unwrap(), 1);
        drop(stream);
        assert_eq!(worker.mul(3, 3).await.unwrap(), 9);

        // An item asked for past the deadline (none has arrived yet): a timeout, and the
        // stream ends.
        let mut stream = worker.count(1000).await.unwrap();
        let late = deadline::within_async(Duration::ZERO, next(&mut stream)).await.unwrap();
        assert!(late.unwrap_err().is_timeout(), "read-ahead {read_ahead}");
        assert!(next(&mut stream).await.is_none());
        drop(stream);
        // Under a deadline with time enough, items come.
        let stream = worker.count(50).await.unwrap();
        let items = deadline::within_async(Duration::from_secs(5), collect(stream)).await;
        assert_eq!(items.len(), 50);
        assert!(items.into_iter().all(|item| item.is_ok()));
        assert_eq!(worker.add(2, 2).await.unwrap(), 4);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_proxy_setting_and_the_stream_own_setting_are_both_honoured() {
    let served = serve();
    let mut worker = proxy(&served);
    worker.proxy_mut().set_max_connections(2);
    // With read-ahead the stream holds a connection of its own between items; without it, it
    // holds none.
    let mut stream = worker.count(100).await.unwrap().read_ahead(16);
    assert_eq!(next(&mut stream).await.unwrap().unwrap(), 1);
    assert_eq!(worker.add(1, 2).await.unwrap(), 3);
    assert_eq!(worker.proxy().open_connections(), 2, "the stream holds one connection, the call used another");
    let rest: Vec<i64> = collect(stream).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(rest, (2..=100).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_travels_to_the_async_method() {
    let served = serve();
    let worker = proxy(&served);
    assert_eq!(worker.left_ms().await.unwrap(), None, "no deadline, none sent");
    let left = deadline::within_async(Duration::from_secs(2), worker.left_ms()).await.unwrap().unwrap();
    assert!((1000..=2000).contains(&left), "the method saw {left} ms left of 2000");
    // The per-call deadline travels too.
    let mut worker = worker;
    worker.proxy_mut().set_deadline_per_call(Some(Duration::from_millis(1500)));
    let left = worker.left_ms().await.unwrap().unwrap();
    assert!((500..=1500).contains(&left), "the method saw {left} ms left of 1500");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_method_past_its_deadline_is_given_up_and_the_client_times_out() {
    let served = serve();
    let worker = proxy(&served);
    let start = Instant::now();
    let error = deadline::within_async(Duration::from_millis(200), worker.sleep_then_count(800)).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(start.elapsed() < Duration::from_millis(600), "the client waited {:?}", start.elapsed());
    assert!(pyro_interop::wait_for(|| served.state.started.load(Ordering::SeqCst) == 1));
    // Past the sleep time: the method never got to its end.
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(served.state.completed.load(Ordering::SeqCst), 0, "the daemon gave the method up");
    // The proxy works afterwards, and a method with time enough completes.
    assert_eq!(worker.add(2, 3).await.unwrap(), 5);
    let done = deadline::within_async(Duration::from_secs(5), worker.sleep_then_count(10)).await.unwrap();
    assert_eq!(done, 1);

    // The same with the proxy's per-call deadline.
    let mut worker = worker;
    worker.proxy_mut().set_deadline_per_call(Some(Duration::from_millis(200)));
    let start = Instant::now();
    let error = worker.sleep_then_count(800).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(start.elapsed() < Duration::from_millis(600), "the client waited {:?}", start.elapsed());
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(served.state.completed.load(Ordering::SeqCst), 1);
    assert_eq!(worker.add(1, 1).await.unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_past_deadline_sends_nothing() {
    let served = serve();
    let worker = proxy(&served);
    assert_eq!(worker.add(1, 1).await.unwrap(), 2);
    let error = deadline::within_async(Duration::ZERO, worker.sleep_then_count(0)).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.to_string().contains("the deadline passed"), "{error}");
    let error = deadline::within_async(Duration::ZERO, worker.note("never".into())).await.unwrap_err();
    assert!(error.is_timeout(), "oneway too: {error:?}");
    let mut batch = worker.batch();
    let _ = batch.sleep_then_count(0);
    let error = deadline::within_async(Duration::ZERO, batch.run()).await.unwrap_err();
    assert!(error.is_timeout(), "a batch too: {error:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(served.state.started.load(Ordering::SeqCst), 0, "nothing was sent");
    assert!(worker.notes().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nested_call_from_an_async_method_inherits_the_rest_of_the_deadline() {
    let front = serve();
    let back = serve();
    let worker = proxy(&front);
    assert_eq!(worker.relay_left_ms(back.uri.clone()).await.unwrap(), None);
    let left = deadline::within_async(Duration::from_secs(2), worker.relay_left_ms(back.uri.clone())).await.unwrap();
    let left = left.expect("the nested call carried a deadline");
    assert!((1000..2000).contains(&left), "the back worker saw {left} ms left of 2000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_call_future_mid_call_leaves_the_proxy_usable() {
    let served = serve();
    let mut worker = proxy(&served);
    worker.proxy_mut().set_max_connections(1);
    assert_eq!(worker.add(1, 2).await.unwrap(), 3);
    // Dropped while the reply is due.
    assert!(tokio::time::timeout(Duration::from_millis(50), worker.sleep_then_count(300)).await.is_err());
    assert_eq!(worker.add(2, 2).await.unwrap(), 4);
    assert_eq!(worker.mul(3, 3).await.unwrap(), 9);
    // Dropped before its first poll, and after a partial poll of a stream fetch.
    drop(worker.add(5, 5));
    let mut stream = worker.count(5).await.unwrap();
    // Whether or not the item came in time, the fetch is dropped here.
    let _ = tokio::time::timeout(Duration::from_micros(1), next(&mut stream)).await;
    drop(stream);
    assert_eq!(worker.add(4, 4).await.unwrap(), 8);
    // The late reply of the dropped call never shows up as another call's.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(worker.add(10, 10).await.unwrap(), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_for_a_connection_ends_at_the_deadline_and_a_late_reply_closes_its_connection() {
    let served = serve();
    let mut worker = proxy(&served);
    worker.proxy_mut().set_max_connections(1);
    let worker = Arc::new(worker);
    // One call holds the only connection; another under a short deadline gives up waiting.
    let holder = {
        let worker = Arc::clone(&worker);
        tokio::spawn(async move { worker.sleep_then_count(500).await })
    };
    assert!(pyro_interop::wait_for(|| served.state.started.load(Ordering::SeqCst) == 1));
    let start = Instant::now();
    let error = deadline::within_async(Duration::from_millis(100), worker.add(1, 1)).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(start.elapsed() < Duration::from_millis(400), "waited {:?}", start.elapsed());
    assert_eq!(holder.await.unwrap().unwrap(), 1);
    assert_eq!(worker.proxy().open_connections(), 1);
    // A reply that comes after the deadline: the connection it was due on is closed.
    let error = deadline::within_async(Duration::from_millis(100), worker.sleep_then_count(300)).await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(worker.proxy().open_connections(), 0, "the late reply's connection was closed");
    assert_eq!(worker.add(3, 4).await.unwrap(), 7);
}

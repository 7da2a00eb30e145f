//! Deadlines between pyro peers: a Rust proxy calling a Rust daemon under a deadline. The
//! deadline travels (`DDLN`), a call made inside the served method inherits what is left of it
//! (A → B), a call queued past it is not run, a batch stops between its calls, item streams
//! and oneway calls, a deadline already past sends nothing, and the proxy is usable afterwards.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyro::config::ServerType;
use pyro::dispatch::CallContext;
use pyro::protocol::{AnnotationId, Flags};
use pyro::transport::MessageStream;
use pyro::value::Dict;
use pyro::{Config, Daemon, Error, RemoteError, Serializer, Value, deadline};

#[derive(Default)]
struct State {
    naps: AtomicUsize,
    marks: AtomicUsize,
    /// What the nested call of `relay_nap` gave: whether it was a timeout, and how long it took.
    nested: Mutex<Option<(bool, Duration)>>,
    /// The microseconds left that each oneway `fire` saw (`None`: no deadline).
    fired: Mutex<Vec<Option<u64>>>,
}

/// The served object: naps, marks, reports its deadline, relays to the next one.
pub struct Sleeper {
    state: Arc<State>,
    /// Where `relay_*` calls go on.
    next: Option<String>,
}

fn micros_left() -> Option<u64> {
    deadline::current().map(|d| u64::try_from(d.remaining().as_micros()).unwrap())
}

#[pyro::expose]
impl Sleeper {
    /// Sleeps `ms`.
    pub fn nap(&self, ms: u64) -> u64 {
        self.state.naps.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(ms));
        ms
    }

    /// Counts its calls.
    pub fn mark(&self) -> usize {
        self.state.marks.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// The microseconds left of the call's deadline, as the thread and the context see it.
    pub fn left(&self, ctx: &CallContext) -> (Option<u64>, bool) {
        (micros_left(), ctx.deadline() == deadline::current())
    }

    /// `left` of the next object, called from inside this method.
    pub fn relay_left(&self) -> Result<(Option<u64>, bool), RemoteError> {
        let next = SleeperProxy::new(self.next.as_deref().unwrap()).map_err(|e| e.to_remote())?;
        next.left().map_err(|e| e.to_remote())
    }

    /// `nap(ms)` of the next object, called from inside this method; records how that went.
    pub fn relay_nap(&self, ms: u64) -> Result<u64, RemoteError> {
        let next = SleeperProxy::new(self.next.as_deref().unwrap()).map_err(|e| e.to_remote())?;
        let start = Instant::now();
        let result = next.nap(ms);
        *self.state.nested.lock().unwrap() = Some((result.as_ref().is_err_and(Error::is_timeout), start.elapsed()));
        result.map_err(|e| e.to_remote())
    }

    /// `n` items, one every `ms`.
    pub fn count(&self, n: u64, ms: u64) -> impl Iterator<Item = u64> + Send + 'static {
        (0..n).inspect(move |_| std::thread::sleep(Duration::from_millis(ms)))
    }

    /// Records the time left.
    #[pyro::oneway]
    pub fn fire(&self) {
        self.state.fired.lock().unwrap().push(micros_left());
    }
}

struct Served {
    uri: String,
    state: Arc<State>,
    stop: pyro::ShutdownHandle,
    thread: Option<std::thread::JoinHandle<Result<(), Error>>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(server_type: ServerType, workers: usize, next: Option<&str>) -> Served {
    let config = Config {
        server_type,
        threadpool_size: workers,
        threadpool_size_min: workers,
        comm_timeout: Some(Duration::from_secs(10)),
        ..Config::default()
    };
    let daemon = Daemon::builder().config(config).host("127.0.0.1").bind().unwrap();
    let state = Arc::new(State::default());
    let sleeper = Sleeper { state: Arc::clone(&state), next: next.map(str::to_owned) };
    let uri = daemon.register(sleeper, Some("sleeper")).unwrap().to_string();
    let stop = daemon.shutdown_handle();
    let thread = Some(std::thread::spawn(move || daemon.request_loop()));
    Served { uri, state, stop, thread }
}

fn proxy(uri: &str) -> SleeperProxy {
    let mut proxy = SleeperProxy::new(uri).unwrap();
    proxy.proxy_mut().set_timeout(Some(Duration::from_secs(10)));
    proxy
}

#[test]
fn the_deadline_travels_and_a_nested_call_inherits_it() {
    for server_type in [ServerType::Thread, ServerType::Multiplex] {
        let b = serve(server_type, 4, None);
        let a = serve(server_type, 4, Some(&b.uri));
        let a_proxy = proxy(&a.uri);
        // No deadline: none anywhere.
        assert_eq!(a_proxy.left().unwrap(), (None, true));
        assert_eq!(a_proxy.relay_left().unwrap(), (None, true));
        // 5 s: the daemon sees a little less, and the call A makes to B less again.
        let (left, same) = deadline::within(Duration::from_secs(5), || a_proxy.left()).unwrap();
        let left = left.unwrap();
        assert!(left > 4_000_000 && left <= 5_000_000, "{server_type:?}: {left}");
        assert!(same, "the thread's deadline is the context's");
        let (nested, _) = deadline::within(Duration::from_secs(5), || a_proxy.relay_left()).unwrap();
        let nested = nested.unwrap();
        assert!(nested > 4_000_000 && nested <= 5_000_000, "{server_type:?}: {nested}");
        // Without a deadline again: the served thread's deadline was put back.
        assert_eq!(a_proxy.relay_left().unwrap(), (None, true));
    }
}

#[test]
fn a_chain_is_bounded_by_the_first_callers_deadline() {
    let b = serve(ServerType::Thread, 4, None);
    let a = serve(ServerType::Thread, 4, Some(&b.uri));
    let a_proxy = proxy(&a.uri);
    let start = Instant::now();
    // B sleeps 3 s; the caller of A gives the whole chain 300 ms.
    let error = deadline::within(Duration::from_millis(300), || a_proxy.relay_nap(3000)).unwrap_err();
    // Whichever came first: the caller's own timeout, or A's reply that its call to B timed out.
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.to_string().contains("deadline"), "{error}");
    assert!(start.elapsed() < Duration::from_millis(1500), "{:?}", start.elapsed());
    // A's call to B gave up at about the same time, not after B's 3 s.
    assert!(pyro_interop::wait_for(|| a.state.nested.lock().unwrap().is_some()));
    let (timed_out, took) = a.state.nested.lock().unwrap().unwrap();
    assert!(timed_out, "A's nested call ended in a timeout");
    assert!(took < Duration::from_millis(1000), "A's nested call took {took:?}");
    // Both proxies are usable again.
    assert_eq!(a_proxy.relay_nap(0).unwrap(), 0);
    assert_eq!(a_proxy.nap(0).unwrap(), 0);
}

#[test]
fn a_late_reply_is_a_timeout_and_the_proxy_goes_on() {
    for server_type in [ServerType::Thread, ServerType::Multiplex] {
        let served = serve(server_type, 4, None);
        let sleeper = proxy(&served.uri);
        assert_eq!(sleeper.nap(0).unwrap(), 0);
        let start = Instant::now();
        let error = deadline::within(Duration::from_millis(200), || sleeper.nap(1500)).unwrap_err();
        assert!(matches!(&error, Error::Timeout { after, .. } if *after == Duration::from_millis(200)), "{error:?}");
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(190) && took < Duration::from_millis(1000), "{took:?}");
        // The connection with the late reply pending was closed: the next call gets its own
        // answer, not the late one.
        assert_eq!(sleeper.nap(7).unwrap(), 7);
        assert_eq!(sleeper.mark().unwrap(), 1);
    }
}

#[test]
fn a_deadline_already_past_sends_nothing() {
    let served = serve(ServerType::Thread, 4, None);
    let sleeper = proxy(&served.uri);
    let error = deadline::within(Duration::ZERO, || sleeper.mark()).unwrap_err();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert_eq!(sleeper.proxy().open_connections(), 0, "not even connected");
    let error = deadline::within(Duration::ZERO, || sleeper.fire()).unwrap_err();
    assert!(error.is_timeout());
    assert_eq!(served.state.marks.load(Ordering::SeqCst), 0);
    assert_eq!(sleeper.mark().unwrap(), 1);
}

#[test]
fn a_call_queued_past_its_deadline_is_not_run() {
    // One worker: a second client's call waits for it.
    let served = serve(ServerType::Multiplex, 1, None);
    let busy = proxy(&served.uri);
    let queued = proxy(&served.uri);
    assert_eq!(queued.mark().unwrap(), 1);
    let sleeping = {
        let uri = served.uri.clone();
        std::thread::spawn(move || proxy(&uri).nap(800))
    };
    assert!(pyro_interop::wait_for(|| served.state.naps.load(Ordering::SeqCst) == 1));
    let error = deadline::within(Duration::from_millis(200), || queued.mark()).unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(sleeping.join().unwrap().unwrap(), 800);
    // The worker is free now; the refused call has had its turn and did not run.
    assert_eq!(busy.nap(0).unwrap(), 0);
    assert_eq!(served.state.marks.load(Ordering::SeqCst), 1, "the queued call did not run");
    assert_eq!(queued.mark().unwrap(), 2);
}

#[test]
fn the_client_of_a_refused_call_gets_a_pyro5_timeout_error() {
    let served = serve(ServerType::Multiplex, 1, None);
    let sleeping = {
        let uri = served.uri.clone();
        std::thread::spawn(move || proxy(&uri).nap(600))
    };
    assert!(pyro_interop::wait_for(|| served.state.naps.load(Ordering::SeqCst) == 1));
    // A raw client that waits longer than its deadline, to see the daemon's answer.
    let uri: pyro::Uri = served.uri.parse().unwrap();
    let socket = pyro::transport::connect(uri.location().unwrap(), Some(Duration::from_secs(10))).unwrap();
    let mut stream = MessageStream::new(socket, Default::default());
    let mut session = pyro::session::ClientSession::new(Serializer::Msgpack);
    stream.send(&session.connect_request("sleeper", &Value::from("hello")).unwrap()).unwrap();
    session.on_connect_reply(&stream.receive("handshake").unwrap(), "test").unwrap();
    let payload = Serializer::Msgpack.encode_call("sleeper", "mark", &Vec::<Value>::new(), Some(&Dict::new())).unwrap();
    let mut request = session.invoke_request(payload, Flags::EMPTY);
    request.annotations.insert(AnnotationId::DEADLINE, deadline::encode(Duration::from_millis(100)).to_vec());
    stream.send(&request).unwrap();
    let reply = stream.receive("reply").unwrap();
    session.check_reply(&reply).unwrap();
    let error = session.decode_result::<Value>("mark", &reply).unwrap_err();
    let remote = error.remote().unwrap();
    assert_eq!(remote.class, "Pyro5.errors.TimeoutError");
    assert!(remote.message.contains("waiting to run sleeper.mark"), "{}", remote.message);
    // As after any TimeoutError, the daemon closes the connection.
    assert!(session.server_closes_after(&reply));
    assert!(matches!(stream.receive("eof"), Err(Error::ConnectionClosed { .. })));
    drop(sleeping.join().unwrap());
    assert_eq!(served.state.marks.load(Ordering::SeqCst), 0);
}

#[test]
fn a_batch_stops_between_its_calls() {
    let served = serve(ServerType::Thread, 4, None);
    let sleeper = proxy(&served.uri);
    let mut batch = sleeper.batch();
    let first = batch.nap(0);
    let second = batch.nap(400);
    let third = batch.mark();
    let error = deadline::within(Duration::from_millis(200), || batch.run()).unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(matches!(first.get(), Err(Error::Batch { .. })));
    drop((second, third));
    // The daemon stopped after the call that ran past the deadline.
    assert!(pyro_interop::wait_for(|| served.state.naps.load(Ordering::SeqCst) == 2));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(served.state.marks.load(Ordering::SeqCst), 0, "the last call did not run");
    // With time enough, the whole batch runs.
    let mut batch = sleeper.batch();
    let nap = batch.nap(10);
    let mark = batch.mark();
    deadline::within(Duration::from_secs(5), || batch.run()).unwrap();
    assert_eq!((nap.get().unwrap(), mark.get().unwrap()), (10, 1));
}

#[test]
fn stream_items_are_fetched_under_the_callers_deadline() {
    for read_ahead in [1, 4] {
        let served = serve(ServerType::Thread, 4, None);
        let mut sleeper = proxy(&served.uri);
        sleeper.proxy_mut().set_stream_read_ahead(read_ahead);
        let mut items = sleeper.count(20, 100).unwrap();
        let start = Instant::now();
        // (With read-ahead, pyro's daemon answers the requests it has read in one write: the
        // first 4 items come together after 400 ms.)
        let got: Vec<Result<u64, Error>> = deadline::within(Duration::from_millis(650), || items.by_ref().collect());
        assert!(start.elapsed() < Duration::from_millis(1500), "{:?}", start.elapsed());
        let (last, first) = got.split_last().unwrap();
        assert!(last.as_ref().unwrap_err().is_timeout(), "{read_ahead}: {got:?}");
        assert!(!first.is_empty() && first.len() < 10, "{read_ahead}: {got:?}");
        assert!(first.iter().enumerate().all(|(i, item)| item.as_ref().ok() == Some(&(i as u64))));
        assert!(first.iter().all(Result::is_ok));
        drop(items);
        assert_eq!(sleeper.mark().unwrap(), 1);
    }
}

#[test]
fn oneway_calls_carry_the_deadline() {
    let served = serve(ServerType::Thread, 4, None);
    let sleeper = proxy(&served.uri);
    sleeper.fire().unwrap();
    deadline::within(Duration::from_secs(5), || sleeper.fire()).unwrap();
    assert!(pyro_interop::wait_for(|| served.state.fired.lock().unwrap().len() == 2));
    // Oneway calls run beside each other: either may be recorded first.
    let mut fired = served.state.fired.lock().unwrap().clone();
    fired.sort();
    assert_eq!(fired[0], None);
    assert!(fired[1].is_some_and(|left| left > 4_000_000 && left <= 5_000_000), "{fired:?}");
}

#[test]
fn a_proxy_can_give_each_call_a_deadline() {
    let served = serve(ServerType::Thread, 4, None);
    let mut sleeper = proxy(&served.uri);
    // Connected first, so that the deadline is all the call's.
    assert_eq!(sleeper.nap(0).unwrap(), 0);
    sleeper.proxy_mut().set_deadline_per_call(Some(Duration::from_millis(300)));
    let left = sleeper.left().unwrap().0.unwrap();
    assert!(left > 100_000 && left <= 300_000, "{left}");
    // The earlier of the proxy's and the current one.
    let left = deadline::within(Duration::from_millis(100), || sleeper.left()).unwrap().0.unwrap();
    assert!(left <= 100_000, "{left}");
    let start = Instant::now();
    assert!(sleeper.nap(2000).unwrap_err().is_timeout());
    assert!(start.elapsed() < Duration::from_millis(1200));
    assert_eq!(sleeper.nap(0).unwrap(), 0);
}

#[test]
fn connecting_is_bounded_by_the_deadline() {
    // Takes the connection, never answers the handshake.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sleeper = proxy(&format!("PYRO:sleeper@127.0.0.1:{port}"));
    let start = Instant::now();
    let error = deadline::within(Duration::from_millis(200), || sleeper.mark()).unwrap_err();
    assert!(
        matches!(&error, Error::Timeout { context, .. } if context.contains("connecting to 127.0.0.1")),
        "{error:?}"
    );
    assert!(error.to_string().contains("deadline"), "{error}");
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(190) && took < Duration::from_millis(1000), "{took:?}");
    drop(listener);
}

#[test]
fn waiting_for_a_free_connection_is_bounded_by_the_deadline() {
    let served = serve(ServerType::Thread, 4, None);
    let mut sleeper = proxy(&served.uri);
    sleeper.proxy_mut().set_max_connections(1);
    let sleeper = Arc::new(sleeper);
    let busy = {
        let sleeper = Arc::clone(&sleeper);
        std::thread::spawn(move || sleeper.nap(800))
    };
    assert!(pyro_interop::wait_for(|| served.state.naps.load(Ordering::SeqCst) == 1));
    let start = Instant::now();
    let error = deadline::within(Duration::from_millis(200), || sleeper.mark()).unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(start.elapsed() < Duration::from_millis(700), "{:?}", start.elapsed());
    assert_eq!(busy.join().unwrap().unwrap(), 800);
    assert_eq!(served.state.marks.load(Ordering::SeqCst), 0);
    assert_eq!(sleeper.mark().unwrap(), 1);
}

#[test]
fn the_proxy_timeout_still_bounds_a_call_with_a_longer_deadline() {
    let served = serve(ServerType::Thread, 4, None);
    let mut sleeper = proxy(&served.uri);
    sleeper.proxy_mut().set_timeout(Some(Duration::from_millis(200)));
    let start = Instant::now();
    let error = deadline::within(Duration::from_secs(5), || sleeper.nap(1500)).unwrap_err();
    assert!(matches!(&error, Error::Timeout { after, .. } if *after == Duration::from_millis(200)), "{error:?}");
    assert!(!error.to_string().contains("deadline"), "the proxy's timeout, not the deadline: {error}");
    assert!(start.elapsed() < Duration::from_millis(1000), "{:?}", start.elapsed());
    assert_eq!(sleeper.nap(0).unwrap(), 0);
}

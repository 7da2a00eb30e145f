//! Async naming: [`locate_ns`] and [`locate_ns_any`] (the blocking
//! [`naming::locate_ns`](crate::naming::locate_ns)'s plan and failover, walked on tokio), the
//! async name server client [`NameServerProxy`] and the resolution of `PYRONAME:`/`PYROMETA:`
//! URIs that async proxies do when they connect ([`resolve_with_config`]), failing over too.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use super::Proxy;
use crate::naming::broadcast::{
    BROADCAST_ROUNDS, BROADCAST_TIMEOUT, MAX_LATE_READS, answer_uri, broadcast_targets, describe_targets,
};
use crate::naming::calls::{self, NsCall};
use crate::naming::client::naming_error;
use crate::naming::failover::{Found, Plan, Search, Step};
use crate::naming::resolve::{random_index, unreachable_none};
use crate::naming::{BROADCAST_REQUEST, decode};
use crate::uri::{Location, Protocol};
use crate::value::Value;
use crate::{Config, Error, Uri};

/// An async client of a Pyro5 name server: the async twin of
/// [`naming::NameServerProxy`](crate::naming::NameServerProxy), sending the same calls (so it
/// works with Python's name server as with pyro's) and decoding the same way; a
/// `Pyro5.errors.NamingError` arrives as [`Error::Naming`].
///
/// ```no_run
/// # async fn demo() -> Result<(), pyro::Error> {
/// let ns = pyro::aio::locate_ns(Some("localhost"), Some(9090)).await?;
/// let uri = ns.lookup("example.greeting").await?;
/// let all = ns.list(Some("example."), None).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct NameServerProxy {
    proxy: Proxy,
}

impl NameServerProxy {
    /// A client for the name server at `uri` with the process's settings; connects on the first
    /// call.
    ///
    /// ```
    /// let ns = pyro::aio::NameServerProxy::new("PYRO:Pyro.NameServer@localhost:9090".parse().unwrap());
    /// assert_eq!(ns.uri().port(), Some(9090));
    /// ```
    pub fn new(uri: Uri) -> NameServerProxy {
        NameServerProxy { proxy: Proxy::new(uri) }
    }

    /// A client for the name server at `uri` with the settings of `config`.
    ///
    /// ```
    /// let ns = pyro::aio::NameServerProxy::with_config("PYRO:Pyro.NameServer@localhost:9090".parse().unwrap(), &Default::default());
    /// assert_eq!(ns.proxy().max_retries(), 0);
    /// ```
    pub fn with_config(uri: Uri, config: &Config) -> NameServerProxy {
        NameServerProxy { proxy: Proxy::with_config(uri, config) }
    }

    /// A client over an async proxy for the name server.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:Pyro.NameServer@localhost:9090").unwrap();
    /// let ns = pyro::aio::NameServerProxy::from_proxy(proxy);
    /// assert_eq!(ns.uri().object(), "Pyro.NameServer");
    /// ```
    pub fn from_proxy(proxy: Proxy) -> NameServerProxy {
        NameServerProxy { proxy }
    }

    /// The async proxy underneath.
    ///
    /// ```
    /// let ns = pyro::aio::NameServerProxy::new("PYRO:Pyro.NameServer@localhost:9090".parse().unwrap());
    /// assert_eq!(ns.proxy().open_connections(), 0);
    /// ```
    pub fn proxy(&self) -> &Proxy {
        &self.proxy
    }

    /// The async proxy underneath, to change its settings.
    ///
    /// ```
    /// let mut ns = pyro::aio::NameServerProxy::new("PYRO:Pyro.NameServer@localhost:9090".parse().unwrap());
    /// ns.proxy_mut().set_max_retries(2);
    /// ```
    pub fn proxy_mut(&mut self) -> &mut Proxy {
        &mut self.proxy
    }

    /// The name server's URI.
    ///
    /// ```
    /// let ns = pyro::aio::NameServerProxy::new("PYRO:Pyro.NameServer@localhost:9090".parse().unwrap());
    /// assert_eq!(ns.uri().to_string(), "PYRO:Pyro.NameServer@localhost:9090");
    /// ```
    pub fn uri(&self) -> &Uri {
        self.proxy.uri()
    }

    /// The URI registered under `name`.
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// let uri = ns.lookup("example.greeting").await?;
    /// # Ok(()) }
    /// ```
    pub async fn lookup(&self, name: &str) -> Result<Uri, Error> {
        self.run(calls::lookup(name)).await
    }

    /// The URI registered under `name` and its metadata tags.
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// let (uri, tags) = ns.lookup_with_metadata("example.greeting").await?;
    /// # Ok(()) }
    /// ```
    pub async fn lookup_with_metadata(&self, name: &str) -> Result<(Uri, BTreeSet<String>), Error> {
        self.run(calls::lookup_with_metadata(name)).await
    }

    /// Registers `uri` under `name` (`safe`: fail if the name is taken), with metadata tags.
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// ns.register("example.greeting", &"PYRO:obj@localhost:5555".parse()?, false, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn register(
        &self,
        name: &str,
        uri: &Uri,
        safe: bool,
        metadata: Option<&BTreeSet<String>>,
    ) -> Result<(), Error> {
        self.run(calls::register(name, uri, safe, metadata)).await
    }

    /// The registrations, optionally those whose name starts with `prefix` or matches `regex`.
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// let names = ns.list(Some("example."), None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, prefix: Option<&str>, regex: Option<&str>) -> Result<BTreeMap<String, Uri>, Error> {
        self.run(calls::list(prefix, regex)).await
    }

    /// [`list`](NameServerProxy::list) with each registration's metadata tags.
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// let names = ns.list_with_metadata(None, Some("ex.*")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list_with_metadata(
        &self,
        prefix: Option<&str>,
        regex: Option<&str>,
    ) -> Result<BTreeMap<String, (Uri, BTreeSet<String>)>, Error> {
        self.run(calls::list_with_metadata(prefix, regex)).await
    }

    /// The registrations having all tags of `meta_all` and any of `meta_any` (metadata filters).
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// let greeters = ns.yplookup(&["kind:greeter"], &[]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn yplookup(&self, meta_all: &[&str], meta_any: &[&str]) -> Result<BTreeMap<String, Uri>, Error> {
        self.run(calls::yplookup(meta_all, meta_any)).await
    }

    /// [`yplookup`](NameServerProxy::yplookup) with each registration's metadata tags.
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// let greeters = ns.yplookup_with_metadata(&[], &["kind:greeter"]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn yplookup_with_metadata(
        &self,
        meta_all: &[&str],
        meta_any: &[&str],
    ) -> Result<BTreeMap<String, (Uri, BTreeSet<String>)>, Error> {
        self.run(calls::yplookup_with_metadata(meta_all, meta_any)).await
    }

    /// Removes the registration `name`, or those with names starting with `prefix` or
    /// matching `regex`; how many were removed.
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// let removed = ns.remove(Some("example.greeting"), None, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn remove(&self, name: Option<&str>, prefix: Option<&str>, regex: Option<&str>) -> Result<usize, Error> {
        self.run(calls::remove(name, prefix, regex)).await
    }

    /// Replaces the metadata tags of `name` (`None` clears them).
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// ns.set_metadata("example.greeting", None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_metadata(&self, name: &str, metadata: Option<&BTreeSet<String>>) -> Result<(), Error> {
        self.run(calls::set_metadata(name, metadata)).await
    }

    /// The number of registrations.
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// let count = ns.count().await?;
    /// # Ok(()) }
    /// ```
    pub async fn count(&self) -> Result<usize, Error> {
        self.run(calls::count()).await
    }

    /// Calls the name server's `ping` method.
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// ns.ping().await?;
    /// # Ok(()) }
    /// ```
    pub async fn ping(&self) -> Result<(), Error> {
        self.run(calls::ping()).await
    }

    /// Sends `call` and decodes its reply, the name server's `NamingError` as
    /// [`Error::Naming`].
    async fn run<T>(&self, call: NsCall<'_, T>) -> Result<T, Error> {
        let NsCall { request, reply } = call;
        let value = self.proxy.call_value(request.method, request.vargs, request.kwargs).await.map_err(naming_error)?;
        reply.decode(&value)
    }
}

impl fmt::Display for NameServerProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<pyro.aio.NameServerProxy at {}>", self.uri())
    }
}

/// Finds a name server (Pyro5's `locate_ns`) with the process's settings: see
/// [`locate_ns_with_config`].
///
/// ```no_run
/// # async fn demo() -> Result<(), pyro::Error> {
/// let ns = pyro::aio::locate_ns(None, None).await?;
/// ns.ping().await?;
/// # Ok(()) }
/// ```
pub async fn locate_ns(host: Option<&str>, port: Option<u16>) -> Result<NameServerProxy, Error> {
    locate_ns_with_config(host, port, &Config::environment()?).await
}

/// Finds a name server with the rules of the blocking
/// [`naming::locate_ns_with_config`](crate::naming::locate_ns_with_config), walking the same
/// plan on tokio: a given `host` is connected directly; else the configured
/// [`ns_locations`](Config::ns_locations) in turn (starting with the one that answered last),
/// or a local `NS_HOST`, then a UDP broadcast to `BROADCAST_ADDRS` on `NS_BCPORT` (3 rounds of
/// 0.7 s), then `NS_HOST`. A name server that cannot be reached is skipped (see
/// [failover](crate::naming#several-name-servers-failover)). The proxy returned is connected,
/// except after a broadcast answer. Failing is [`Error::Naming`] ("Failed to locate the
/// nameserver at ...; at ...", naming each one tried).
///
/// ```no_run
/// # async fn demo() -> Result<(), pyro::Error> {
/// let config = pyro::Config { ns_port: 9091, ..Default::default() };
/// let ns = pyro::aio::locate_ns_with_config(Some("localhost"), None, &config).await?;
/// # Ok(()) }
/// ```
pub async fn locate_ns_with_config(
    host: Option<&str>,
    port: Option<u16>,
    config: &Config,
) -> Result<NameServerProxy, Error> {
    let plan = Plan::locate(host, port, config)?;
    run(&plan, config, |ns, found| async move {
        if found == Found::Direct {
            ns.proxy().bind().await?;
        }
        Ok(ns)
    })
    .await
}

/// Connects to the first name server of `locations` that can be reached, with the process's
/// settings: see [`locate_ns_any_with_config`].
///
/// ```no_run
/// # async fn demo() -> Result<(), pyro::Error> {
/// use pyro::uri::Location;
/// let ns = pyro::aio::locate_ns_any(&[Location::tcp("ns1", 9090), Location::tcp("ns2", 9090)]).await?;
/// # Ok(()) }
/// ```
pub async fn locate_ns_any(locations: &[Location]) -> Result<NameServerProxy, Error> {
    locate_ns_any_with_config(locations, &Config::environment()?).await
}

/// The async [`naming::locate_ns_any_with_config`](crate::naming::locate_ns_any_with_config):
/// connects to the first of `locations` that can be reached, in order, starting with the one
/// that answered last in this process (blocking and async searches share that memory); only
/// these are tried. None reachable is [`Error::Naming`] naming each and why it failed.
///
/// ```no_run
/// # async fn demo() -> Result<(), pyro::Error> {
/// let locations = pyro::config::parse_ns_locations("ns1:9090,ns2:9090")?;
/// let ns = pyro::aio::locate_ns_any_with_config(&locations, &pyro::Config::default()).await?;
/// println!("using {}", ns.uri());
/// # Ok(()) }
/// ```
pub async fn locate_ns_any_with_config(locations: &[Location], config: &Config) -> Result<NameServerProxy, Error> {
    let plan = Plan::listed(locations)?;
    run(&plan, config, |ns, _| async move {
        ns.proxy().bind().await?;
        Ok(ns)
    })
    .await
}

/// The async driver of a failover [`Plan`]: the blocking `naming::failover::run` on tokio,
/// with the same [`Search`] bookkeeping (order, skipping, memory, error text) and an
/// [`AsyncBroadcast`] handing out every name server that answers, first answer first.
async fn run<T, F, A>(plan: &Plan, config: &Config, mut attempt: F) -> Result<T, Error>
where
    F: FnMut(NameServerProxy, Found) -> A,
    A: Future<Output = Result<T, Error>>,
{
    let mut search = Search::new(plan);
    for step in plan.steps() {
        match step {
            Step::Direct(uri) | Step::Listed(uri, _) => {
                if search.first_time(uri) {
                    let result = attempt(NameServerProxy::with_config(uri.clone(), config), Found::Direct).await;
                    if let Some(done) = search.settle(step, uri, Found::Direct, result) {
                        return done;
                    }
                }
            }
            Step::Broadcast(port) => {
                let mut broadcast =
                    AsyncBroadcast::new(&config.broadcast_addrs, *port, BROADCAST_ROUNDS, BROADCAST_TIMEOUT).await;
                let mut answered = false;
                while let Some(uri) = broadcast.next_answer().await {
                    answered = true;
                    if search.first_time(&uri) {
                        let result = attempt(NameServerProxy::with_config(uri.clone(), config), Found::Broadcast).await;
                        if let Some(done) = search.settle(step, &uri, Found::Broadcast, result) {
                            return done;
                        }
                    }
                }
                if !answered {
                    search.silent_broadcast(&broadcast.targets());
                }
            }
        }
    }
    search.failed()
}

/// The async twin of the blocking broadcast discovery: rounds of `GET_NSURI` sent only when
/// needed, each name server that answers given once, first answer first (later answers wait
/// in the socket until asked for).
struct AsyncBroadcast {
    socket: Option<tokio::net::UdpSocket>,
    targets: Vec<SocketAddr>,
    rounds_left: usize,
    timeout: Duration,
    /// When the latest round stops waiting; `None` before the first round.
    deadline: Option<tokio::time::Instant>,
    /// The name servers given out so far.
    seen: Vec<Uri>,
}

impl AsyncBroadcast {
    /// A discovery at `port` of `addrs`; nothing sent yet. No usable target, or no UDP
    /// socket, means no answer.
    async fn new(addrs: &[String], port: u16, rounds: usize, timeout: Duration) -> AsyncBroadcast {
        let targets = broadcast_targets(addrs, port);
        let socket = if targets.is_empty() { None } else { open_socket().await };
        AsyncBroadcast { socket, targets, rounds_left: rounds, timeout, deadline: None, seen: Vec::new() }
    }

    /// Where the requests go, for error messages.
    fn targets(&self) -> String {
        describe_targets(&self.targets)
    }

    /// The next name server answering with a `PYRO:` URI not given before; `None` once the
    /// rounds are over without a new answer.
    async fn next_answer(&mut self) -> Option<Uri> {
        let socket = self.socket.as_ref()?;
        loop {
            if let Some(deadline) = self.deadline
                && let Some(uri) = receive_new(socket, deadline, &self.seen).await
            {
                self.seen.push(uri.clone());
                return Some(uri);
            }
            if self.rounds_left == 0 {
                return None;
            }
            self.rounds_left -= 1;
            for target in &self.targets {
                // Any failure just means no answer, as in Pyro5.
                let _ = socket.send_to(BROADCAST_REQUEST, target).await;
            }
            self.deadline = Some(tokio::time::Instant::now() + self.timeout);
        }
    }
}

/// An IPv4 UDP socket on tokio allowed to broadcast.
async fn open_socket() -> Option<tokio::net::UdpSocket> {
    let socket = tokio::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).await.ok()?;
    socket.set_broadcast(true).ok()?;
    Some(socket)
}

/// Waits until `deadline` for an answer that is a `PYRO:` URI not in `seen`, skipping anything
/// else; answers already waiting are taken even past the deadline (a bounded number of them).
async fn receive_new(socket: &tokio::net::UdpSocket, deadline: tokio::time::Instant, seen: &[Uri]) -> Option<Uri> {
    let mut buffer = [0u8; 1024];
    let mut late_reads = 0;
    loop {
        if tokio::time::Instant::now() >= deadline {
            late_reads += 1;
            if late_reads > MAX_LATE_READS {
                return None;
            }
            // Only what is there already.
            let (len, _sender) = socket.try_recv_from(&mut buffer).ok()?;
            if let Some(uri) = new_answer(buffer.get(..len).unwrap_or_default(), seen) {
                return Some(uri);
            }
            continue;
        }
        // A timeout ends the round; so does any other error, rather than spinning on it.
        let (len, _sender) = tokio::time::timeout_at(deadline, socket.recv_from(&mut buffer)).await.ok()?.ok()?;
        if let Some(uri) = new_answer(buffer.get(..len).unwrap_or_default(), seen) {
            return Some(uri);
        }
    }
}

fn new_answer(answer: &[u8], seen: &[Uri]) -> Option<Uri> {
    answer_uri(answer).filter(|uri| !seen.contains(uri))
}

/// Resolves a `PYRONAME:`/`PYROMETA:` uri to a `PYRO:` uri with the rules of the blocking
/// [`naming::resolve_with_config`](crate::naming::resolve_with_config) (the name server its
/// location names, else the located one; `NS_LOOKUP_DELAY` retries; a random one of the
/// registrations having all the tags), on tokio. A `PYRO:` uri is returned as it is.
///
/// ```no_run
/// # async fn demo() -> Result<(), pyro::Error> {
/// let uri = pyro::aio::resolve_with_config(&"PYRONAME:example.greeting@localhost:9090".parse()?, &Default::default()).await?;
/// # Ok(()) }
/// ```
pub async fn resolve_with_config(uri: &Uri, config: &Config) -> Result<Uri, Error> {
    match uri.protocol() {
        Protocol::Pyro => Ok(uri.clone()),
        Protocol::PyroName => {
            let plan = Plan::for_uri(uri, config)?;
            let delay = config.ns_lookup_delay;
            run(&plan, config, |ns, _| async move {
                retrying(delay, || lookup_once(&ns, uri.object())).await?.ok_or_else(|| unreachable_none(uri))
            })
            .await
        }
        Protocol::PyroMeta => {
            let plan = Plan::for_uri(uri, config)?;
            let tags = uri.tags().cloned().unwrap_or_default();
            let none_found = || {
                let tags = Value::Set(tags.iter().map(|tag| Value::from(tag.as_str())).collect());
                Error::Naming { message: format!("no registrations available with desired metadata properties {tags}") }
            };
            let delay = config.ns_lookup_delay;
            let (tags, none_found) = (&tags, &none_found);
            let found = run(&plan, config, |ns, _| async move {
                retrying(delay, || candidates(&ns, tags)).await?.ok_or_else(none_found)
            })
            .await?;
            let (name, candidate) = found.get(random_index(found.len())).ok_or_else(none_found)?;
            decode::uri(candidate, name)
        }
    }
}

async fn lookup_once(ns: &NameServerProxy, name: &str) -> Result<Option<Uri>, Error> {
    ns.lookup(name).await.map(Some)
}

/// The registrations having all of `tags`, as their name server returned them (`None`: none).
async fn candidates(ns: &NameServerProxy, tags: &BTreeSet<String>) -> Result<Option<Vec<(String, Value)>>, Error> {
    let found = ns.run(calls::having_all(tags)).await?;
    Ok((!found.is_empty()).then_some(found))
}

/// `attempt` until it finds something, for up to `delay` (Pyro5's `NS_LOOKUP_DELAY`), pausing
/// between attempts (a tokio sleep) and retrying naming errors and timeouts, as the blocking
/// resolution does; then once more.
async fn retrying<T, F, A>(delay: Duration, mut attempt: F) -> Result<Option<T>, Error>
where
    F: FnMut() -> A,
    A: Future<Output = Result<Option<T>, Error>>,
{
    if !delay.is_zero() {
        let started = Instant::now();
        let pause = (delay / 5).max(Duration::from_millis(200));
        while started.elapsed() <= delay {
            match attempt().await {
                Ok(Some(found)) => return Ok(Some(found)),
                Ok(None) | Err(Error::Naming { .. } | Error::Timeout { .. }) => {}
                Err(other) => return Err(other),
            }
            tokio::time::sleep(pause).await;
        }
    }
    attempt().await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn broadcast_returns_the_first_pyro_uri_answered() {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = socket.local_addr().unwrap().port();
        let responder = tokio::spawn(async move {
            let mut buffer = [0u8; 64];
            let mut requests = Vec::new();
            for answer in ["garbage", "PYRONAME:loop", "PYRO:Pyro.NameServer@127.0.0.1:4567"] {
                let (len, from) = socket.recv_from(&mut buffer).await.unwrap();
                requests.push(buffer[..len].to_vec());
                socket.send_to(answer.as_bytes(), from).await.unwrap();
            }
            requests
        });
        let mut broadcast = AsyncBroadcast::new(&["127.0.0.1".into()], port, 3, Duration::from_millis(300)).await;
        let uri = broadcast.next_answer().await.unwrap();
        assert_eq!(uri.to_string(), "PYRO:Pyro.NameServer@127.0.0.1:4567");
        assert!(responder.await.unwrap().iter().all(|r| r == b"GET_NSURI"));
    }

    #[tokio::test]
    async fn every_name_server_that_answers_is_given_once_first_answer_first() {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = socket.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut buffer = [0u8; 64];
            // Each request is answered by the first name server twice, then the second one.
            loop {
                let Ok((_, from)) = socket.recv_from(&mut buffer).await else { return };
                for answer in ["PYRO:Pyro.NameServer@127.0.0.1:1111", "PYRO:Pyro.NameServer@127.0.0.1:1111"] {
                    let _ = socket.send_to(answer.as_bytes(), from).await;
                }
                let _ = socket.send_to(b"PYRO:Pyro.NameServer@127.0.0.1:2222", from).await;
            }
        });
        let addrs = vec!["127.0.0.1".to_string(), "127.0.0.1".to_string()];
        let mut broadcast = AsyncBroadcast::new(&addrs, port, 2, Duration::from_millis(200)).await;
        assert_eq!(broadcast.next_answer().await.unwrap().port(), Some(1111));
        let started = Instant::now();
        assert_eq!(broadcast.next_answer().await.unwrap().port(), Some(2222));
        assert!(started.elapsed() < Duration::from_millis(200), "the second answer came in the same round");
        let started = Instant::now();
        assert_eq!(broadcast.next_answer().await, None);
        assert!(started.elapsed() >= Duration::from_millis(300), "the remaining round was sent");
        assert_eq!(broadcast.targets(), format!("127.0.0.1:{port}, 127.0.0.1:{port}"));
        let mut none = AsyncBroadcast::new(&["::1".to_string()], 9091, 3, Duration::from_millis(10)).await;
        assert_eq!(none.next_answer().await, None);
        assert_eq!(none.targets(), "");
    }

    #[tokio::test]
    async fn unreachable_locations_are_skipped_and_all_named() {
        let closed = || std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (one, two) = (closed(), closed());
        let locations = [Location::tcp("127.0.0.1", one), Location::tcp("127.0.0.1", two)];
        let err = locate_ns_any_with_config(&locations, &Config::default()).await.unwrap_err();
        let Error::Naming { message } = &err else { panic!("{err:?}") };
        assert_eq!(
            message,
            &format!(
                "Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:{one}: connection to 127.0.0.1:{one} \
                 refused; at PYRO:Pyro.NameServer@127.0.0.1:{two}: connection to 127.0.0.1:{two} refused"
            )
        );
        let err = locate_ns_any_with_config(&[], &Config::default()).await.unwrap_err();
        assert_eq!(err.to_string(), "naming error: Failed to locate the nameserver: no name server locations given");
        // Configured locations are used (no longer ignored), then the broadcast.
        let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let bcport = silent.local_addr().unwrap().port();
        let config = Config { broadcast_addrs: vec!["127.0.0.1".into()], ..Config::default() }
            .with_ns_locations(locations.clone());
        let err = locate_ns_with_config(None, Some(bcport), &config).await.unwrap_err();
        let message = err.to_string();
        assert!(message.contains(&format!("at PYRO:Pyro.NameServer@127.0.0.1:{one}: connection to")), "{message}");
        assert!(message.contains(&format!("; at PYRO:Pyro.NameServer@127.0.0.1:{two}: connection to")), "{message}");
        assert!(message.ends_with(&format!("; no answer to the broadcast to 127.0.0.1:{bcport}")), "{message}");
        assert!(!message.contains("localhost"), "NS_HOST is not tried: {message}");
    }

    #[tokio::test]
    async fn no_name_server_is_a_naming_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let err = locate_ns_with_config(Some("127.0.0.1"), Some(port), &Config::default()).await.unwrap_err();
        let expected = format!("Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:{port}: ");
        assert!(matches!(&err, Error::Naming { message } if message.starts_with(&expected)), "{err}");
        let uri: Uri = format!("PYRONAME:thing@127.0.0.1:{port}").parse().unwrap();
        let err = resolve_with_config(&uri, &Config::default()).await.unwrap_err();
        assert!(matches!(&err, Error::Naming { message } if message.starts_with("Failed to locate")), "{err}");
    }
}

//! Async naming: [`locate_ns`] (a direct connection, then a UDP broadcast on tokio, with the
//! blocking [`naming::locate_ns`](crate::naming::locate_ns)'s rules), the async name server
//! client [`NameServerProxy`] and the resolution of `PYRONAME:`/`PYROMETA:` URIs that async
//! proxies do when they connect ([`resolve_with_config`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use super::Proxy;
use crate::config::IpVersion;
use crate::naming::client::{filters, kwargs, naming_error, tag_list, yp_options};
use crate::naming::broadcast::{BROADCAST_ROUNDS, BROADCAST_TIMEOUT, answer_uri, broadcast_target};
use crate::naming::failover::{is_local, ns_uri};
use crate::naming::resolve::{random_index, unreachable_none};
use crate::naming::{BROADCAST_REQUEST, decode};
use crate::uri::{Location, Protocol};
use crate::value::{Dict, Value};
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
        let reply = self.call("lookup", vec![name.into()], Dict::new()).await?;
        decode::uri(&reply, name)
    }

    /// The URI registered under `name` and its metadata tags.
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// let (uri, tags) = ns.lookup_with_metadata("example.greeting").await?;
    /// # Ok(()) }
    /// ```
    pub async fn lookup_with_metadata(&self, name: &str) -> Result<(Uri, BTreeSet<String>), Error> {
        let reply = self.call("lookup", vec![name.into()], kwargs([("return_metadata", true.into())])).await?;
        decode::uri_with_metadata(&reply, name)
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
        let mut options = Dict::new();
        if safe {
            options.insert("safe", true);
        }
        if let Some(tags) = metadata {
            options.insert("metadata", tag_list(tags));
        }
        self.call("register", vec![name.into(), uri.to_value()], options).await.map(drop)
    }

    /// The registrations, optionally those whose name starts with `prefix` or matches `regex`.
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// let names = ns.list(Some("example."), None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list(&self, prefix: Option<&str>, regex: Option<&str>) -> Result<BTreeMap<String, Uri>, Error> {
        let reply = self.call("list", Vec::new(), filters(prefix, regex)).await?;
        decode::name_map(&reply, decode::uri)
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
        let mut options = filters(prefix, regex);
        options.insert("return_metadata", true);
        let reply = self.call("list", Vec::new(), options).await?;
        decode::name_map(&reply, decode::uri_with_metadata)
    }

    /// The registrations having all tags of `meta_all` and any of `meta_any` (metadata filters).
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// let greeters = ns.yplookup(&["kind:greeter"], &[]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn yplookup(&self, meta_all: &[&str], meta_any: &[&str]) -> Result<BTreeMap<String, Uri>, Error> {
        let reply = self.call("yplookup", Vec::new(), yp_options(meta_all, meta_any, false)).await?;
        decode::name_map(&reply, decode::uri)
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
        let reply = self.call("yplookup", Vec::new(), yp_options(meta_all, meta_any, true)).await?;
        decode::name_map(&reply, decode::uri_with_metadata)
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
        let vargs = name.map(|name| vec![Value::from(name)]).unwrap_or_default();
        let reply = self.call("remove", vargs, filters(prefix, regex)).await?;
        decode::count(&reply, "remove")
    }

    /// Replaces the metadata tags of `name` (`None` clears them).
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// ns.set_metadata("example.greeting", None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_metadata(&self, name: &str, metadata: Option<&BTreeSet<String>>) -> Result<(), Error> {
        let tags = metadata.map_or(Value::None, tag_list);
        self.call("set_metadata", vec![name.into(), tags], Dict::new()).await.map(drop)
    }

    /// The number of registrations.
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// let count = ns.count().await?;
    /// # Ok(()) }
    /// ```
    pub async fn count(&self) -> Result<usize, Error> {
        let reply = self.call("count", Vec::new(), Dict::new()).await?;
        decode::count(&reply, "count")
    }

    /// Calls the name server's `ping` method.
    ///
    /// ```no_run
    /// # async fn demo(ns: pyro::aio::NameServerProxy) -> Result<(), pyro::Error> {
    /// ns.ping().await?;
    /// # Ok(()) }
    /// ```
    pub async fn ping(&self) -> Result<(), Error> {
        self.call("ping", Vec::new(), Dict::new()).await.map(drop)
    }

    async fn call(&self, method: &str, vargs: Vec<Value>, kwargs: Dict) -> Result<Value, Error> {
        self.proxy.call_value(method, vargs, kwargs).await.map_err(naming_error)
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
/// [`naming::locate_ns_with_config`](crate::naming::locate_ns_with_config): a given `host` is
/// connected directly; else a local `NS_HOST` is tried first, then a UDP broadcast to
/// `BROADCAST_ADDRS` on `NS_BCPORT` (3 rounds of 0.7 s, on tokio), then `NS_HOST`. The proxy
/// returned is connected, except after a broadcast answer. Failing is [`Error::Naming`]
/// ("Failed to locate the nameserver at ...").
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
    let port = port.filter(|&port| port != 0);
    if let Some(host) = host.filter(|host| !host.is_empty()) {
        return connect(host, port.unwrap_or(config.ns_port), config).await;
    }
    if is_local(&config.ns_host) {
        let ns = NameServerProxy::with_config(ns_uri(&config.ns_host, port.unwrap_or(config.ns_port))?, config);
        if ns.proxy().bind().await.is_ok() {
            return Ok(ns);
        }
    }
    if config.prefer_ip_version != IpVersion::V6 {
        let port = port.unwrap_or(config.ns_broadcast_port);
        if let Some(uri) = broadcast(&config.broadcast_addrs, port, BROADCAST_ROUNDS, BROADCAST_TIMEOUT).await {
            return Ok(NameServerProxy::with_config(uri, config));
        }
    }
    connect(&config.ns_host, config.ns_port, config).await
}

async fn connect(host: &str, port: u16, config: &Config) -> Result<NameServerProxy, Error> {
    let ns = NameServerProxy::with_config(ns_uri(host, port)?, config);
    match ns.proxy().bind().await {
        Ok(()) => Ok(ns),
        Err(err) => Err(Error::Naming { message: format!("Failed to locate the nameserver at {}: {err}", ns.uri()) }),
    }
}

/// Asks for the name server's URI by UDP broadcast; the first `PYRO:` URI answered.
async fn broadcast(addrs: &[String], port: u16, rounds: usize, timeout: Duration) -> Option<Uri> {
    let targets: Vec<SocketAddr> = addrs.iter().filter_map(|addr| broadcast_target(addr, port)).collect();
    if targets.is_empty() {
        return None;
    }
    let socket = tokio::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).await.ok()?;
    socket.set_broadcast(true).ok()?;
    let mut buffer = [0u8; 1024];
    for _ in 0..rounds {
        for target in &targets {
            // Any failure just means no answer, as in Pyro5.
            let _ = socket.send_to(BROADCAST_REQUEST, target).await;
        }
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let Ok(received) = tokio::time::timeout_at(deadline, socket.recv_from(&mut buffer)).await else { break };
            // Any error ends the round rather than spinning on it.
            let Ok((len, _sender)) = received else { break };
            if let Some(uri) = answer_uri(buffer.get(..len).unwrap_or_default()) {
                return Some(uri);
            }
        }
    }
    None
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
            let ns = name_server_for(uri, config).await?;
            let attempt = || lookup_once(&ns, uri.object());
            retrying(config.ns_lookup_delay, attempt).await?.ok_or_else(|| unreachable_none(uri))
        }
        Protocol::PyroMeta => {
            let ns = name_server_for(uri, config).await?;
            let tags = uri.tags().cloned().unwrap_or_default();
            let none_found = || {
                let tags = Value::Set(tags.iter().map(|tag| Value::from(tag.as_str())).collect());
                Error::Naming { message: format!("no registrations available with desired metadata properties {tags}") }
            };
            let attempt = || candidates(&ns, &tags);
            let found = retrying(config.ns_lookup_delay, attempt).await?.ok_or_else(none_found)?;
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
    let list = Value::List(tags.iter().map(|tag| Value::from(tag.as_str())).collect());
    let reply = ns.call("yplookup", vec![list, Value::None, Value::Bool(false)], Dict::new()).await?;
    let found: Vec<(String, Value)> = decode::name_map(&reply, |value, _| Ok(value.clone()))?.into_iter().collect();
    Ok((!found.is_empty()).then_some(found))
}

async fn name_server_for(uri: &Uri, config: &Config) -> Result<NameServerProxy, Error> {
    match uri.location() {
        Some(Location::Tcp { host, port }) => locate_ns_with_config(Some(host), Some(*port), config).await,
        Some(Location::Unix { path }) => locate_ns_with_config(Some(&format!("./u:{path}")), None, config).await,
        None => locate_ns_with_config(None, None, config).await,
    }
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
        let uri = broadcast(&["127.0.0.1".into()], port, 3, Duration::from_millis(300)).await.unwrap();
        assert_eq!(uri.to_string(), "PYRO:Pyro.NameServer@127.0.0.1:4567");
        assert!(responder.await.unwrap().iter().all(|r| r == b"GET_NSURI"));
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

//! [`NameServerProxy`]: typed calls to a name server's remote API.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::NAMING_ERROR_CLASS;
use super::calls::{self, NsCall};
use crate::proxy::Proxy;
use crate::{Config, Error, Uri};

/// A client for a name server (Pyro5's `Pyro.NameServer` object): a [`Proxy`] with typed
/// methods that send exactly the calls a Pyro5 client sends.
///
/// Get one from [`locate_ns`](super::locate_ns), or build it from the name server's URI. A
/// `Pyro5.errors.NamingError` raised by the name server arrives as
/// [`Error::Naming`](crate::Error::Naming) (see the [module documentation](super)).
///
/// ```no_run
/// use pyro::naming::NameServerProxy;
///
/// let ns = NameServerProxy::new("PYRO:Pyro.NameServer@localhost:9090".parse()?);
/// ns.ping()?;
/// for (name, uri) in ns.list(Some("example."), None)? {
///     println!("{name} -> {uri}");
/// }
/// # Ok::<(), pyro::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct NameServerProxy {
    proxy: Proxy,
}

impl NameServerProxy {
    /// A client for the name server at `uri` (normally `PYRO:Pyro.NameServer@host:port`) with
    /// the process's settings ([`Config::environment`], as [`Proxy::new`]); connects on the first call.
    ///
    /// ```
    /// let ns = pyro::naming::NameServerProxy::new("PYRO:Pyro.NameServer@localhost:9090".parse().unwrap());
    /// assert_eq!(ns.uri().port(), Some(9090));
    /// ```
    pub fn new(uri: Uri) -> NameServerProxy {
        NameServerProxy::from_proxy(Proxy::new(uri))
    }

    /// A client for the name server at `uri` with settings (serializer, timeout, ...) from `config`.
    ///
    /// ```
    /// use pyro::{naming::NameServerProxy, Config, Serializer};
    /// let config = Config { serializer: Some(Serializer::Json), ..Config::default() };
    /// let ns = NameServerProxy::with_config("PYRO:Pyro.NameServer@localhost:9090".parse().unwrap(), &config);
    /// assert_eq!(ns.proxy().serializer(), Serializer::Json);
    /// ```
    pub fn with_config(uri: Uri, config: &Config) -> NameServerProxy {
        NameServerProxy::from_proxy(Proxy::with_config(uri, config))
    }

    /// A client using `proxy` (which must be a proxy for a name server) for its calls.
    ///
    /// ```
    /// use pyro::{naming::NameServerProxy, proxy::Proxy};
    /// let proxy = Proxy::from_uri_str("PYRO:Pyro.NameServer@localhost:9090").unwrap().with_max_connections(1);
    /// let ns = NameServerProxy::from_proxy(proxy);
    /// assert_eq!(ns.proxy().max_connections(), 1);
    /// ```
    pub fn from_proxy(proxy: Proxy) -> NameServerProxy {
        NameServerProxy { proxy }
    }

    /// The proxy the calls go through (for its settings, [`Proxy::bind`], ...).
    ///
    /// ```
    /// let ns = pyro::naming::NameServerProxy::new("PYRO:Pyro.NameServer@localhost:9090".parse().unwrap());
    /// assert_eq!(ns.proxy().open_connections(), 0);
    /// ```
    pub fn proxy(&self) -> &Proxy {
        &self.proxy
    }

    /// The proxy the calls go through, mutably (to change its serializer, timeout, ...).
    ///
    /// ```
    /// let mut ns = pyro::naming::NameServerProxy::new("PYRO:Pyro.NameServer@localhost:9090".parse().unwrap());
    /// ns.proxy_mut().set_serializer(pyro::Serializer::Json);
    /// ```
    pub fn proxy_mut(&mut self) -> &mut Proxy {
        &mut self.proxy
    }

    /// The proxy, for untyped calls.
    ///
    /// ```
    /// let ns = pyro::naming::NameServerProxy::new("PYRO:Pyro.NameServer@localhost:9090".parse().unwrap());
    /// let proxy = ns.into_proxy();
    /// assert_eq!(proxy.uri().object(), "Pyro.NameServer");
    /// ```
    pub fn into_proxy(self) -> Proxy {
        self.proxy
    }

    /// The name server's URI.
    ///
    /// ```
    /// let ns = pyro::naming::NameServerProxy::new("PYRO:Pyro.NameServer@localhost:9090".parse().unwrap());
    /// assert_eq!(ns.uri().to_string(), "PYRO:Pyro.NameServer@localhost:9090");
    /// ```
    pub fn uri(&self) -> &Uri {
        self.proxy.uri()
    }

    /// The URI registered under `name` (`lookup(name)`); an unknown name is
    /// [`Error::Naming`] `"unknown name: <name>"`.
    ///
    /// ```no_run
    /// # let ns = pyro::naming::locate_ns(None, None)?;
    /// let uri = ns.lookup("example.greeting")?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn lookup(&self, name: &str) -> Result<Uri, Error> {
        self.run(calls::lookup(name))
    }

    /// The URI registered under `name` and its metadata (`lookup(name, return_metadata=True)`).
    ///
    /// ```no_run
    /// # let ns = pyro::naming::locate_ns(None, None)?;
    /// let (uri, tags) = ns.lookup_with_metadata("Pyro.NameServer")?;
    /// assert!(tags.contains("class:Pyro5.nameserver.NameServer"));
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn lookup_with_metadata(&self, name: &str) -> Result<(Uri, BTreeSet<String>), Error> {
        self.run(calls::lookup_with_metadata(name))
    }

    /// Registers `uri` under `name` with optional metadata tags (`register(name, uri)`, plus
    /// `safe=True` and `metadata=[...]` when given). An existing registration is replaced unless
    /// `safe`, which makes it [`Error::Naming`] `"name already registered: <name>"`.
    ///
    /// ```no_run
    /// # let ns = pyro::naming::locate_ns(None, None)?;
    /// let uri = "PYRO:obj_1@localhost:5555".parse()?;
    /// ns.register("example.thing", &uri, true, None)?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn register(
        &self,
        name: &str,
        uri: &Uri,
        safe: bool,
        metadata: Option<&BTreeSet<String>>,
    ) -> Result<(), Error> {
        self.run(calls::register(name, uri, safe, metadata))
    }

    /// The registrations, optionally only the names starting with `prefix` or matching `regex`
    /// (Python's `re.match`, anchored at the start) (`list(prefix=..., regex=...)`, each only
    /// when given). Giving both is the name server's `ValueError`.
    ///
    /// ```no_run
    /// # let ns = pyro::naming::locate_ns(None, None)?;
    /// let everything = ns.list(None, None)?;
    /// let examples = ns.list(None, Some(r"example\..*"))?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn list(&self, prefix: Option<&str>, regex: Option<&str>) -> Result<BTreeMap<String, Uri>, Error> {
        self.run(calls::list(prefix, regex))
    }

    /// [`list`](NameServerProxy::list) with each registration's metadata
    /// (`list(..., return_metadata=True)`).
    ///
    /// A Python name server fails this call (over json and msgpack) while any listed name was
    /// registered without metadata: it cannot serialize the `frozenset()` it stores then.
    ///
    /// ```no_run
    /// # let ns = pyro::naming::locate_ns(None, None)?;
    /// for (name, (uri, tags)) in ns.list_with_metadata(Some("example."), None)? {
    ///     println!("{name} -> {uri} {tags:?}");
    /// }
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn list_with_metadata(
        &self,
        prefix: Option<&str>,
        regex: Option<&str>,
    ) -> Result<BTreeMap<String, (Uri, BTreeSet<String>)>, Error> {
        self.run(calls::list_with_metadata(prefix, regex))
    }

    /// The registrations whose metadata has all the tags of `meta_all`, or any tag of
    /// `meta_any` (a "yellow pages" lookup: `yplookup(meta_all=[...], meta_any=[...],
    /// return_metadata=False)`, each tag list only when not empty). Both empty finds nothing;
    /// both given is the name server's `ValueError`.
    ///
    /// ```no_run
    /// # let ns = pyro::naming::locate_ns(None, None)?;
    /// let greeters = ns.yplookup(&["kind:greeter", "lang:en"], &[])?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn yplookup(&self, meta_all: &[&str], meta_any: &[&str]) -> Result<BTreeMap<String, Uri>, Error> {
        self.run(calls::yplookup(meta_all, meta_any))
    }

    /// [`yplookup`](NameServerProxy::yplookup) with each registration's metadata
    /// (`return_metadata=True`).
    ///
    /// ```no_run
    /// # let ns = pyro::naming::locate_ns(None, None)?;
    /// for (name, (uri, tags)) in ns.yplookup_with_metadata(&[], &["kind:greeter", "kind:echo"])? {
    ///     println!("{name} -> {uri} {tags:?}");
    /// }
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn yplookup_with_metadata(
        &self,
        meta_all: &[&str],
        meta_any: &[&str],
    ) -> Result<BTreeMap<String, (Uri, BTreeSet<String>)>, Error> {
        self.run(calls::yplookup_with_metadata(meta_all, meta_any))
    }

    /// Removes the registration `name`, or else those starting with `prefix`, or else those
    /// matching `regex` (the first one given counts); returns how many were removed. The name
    /// server never removes itself. Sends `remove(name)`, `remove(prefix=...)` or
    /// `remove(regex=...)`.
    ///
    /// ```no_run
    /// # let ns = pyro::naming::locate_ns(None, None)?;
    /// assert_eq!(ns.remove(Some("example.thing"), None, None)?, 1);
    /// let removed = ns.remove(None, Some("example."), None)?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn remove(&self, name: Option<&str>, prefix: Option<&str>, regex: Option<&str>) -> Result<usize, Error> {
        self.run(calls::remove(name, prefix, regex))
    }

    /// Replaces the metadata of the registration `name`; `None` clears it
    /// (`set_metadata(name, metadata)`). An unknown name is [`Error::Naming`].
    ///
    /// ```no_run
    /// use std::collections::BTreeSet;
    /// # let ns = pyro::naming::locate_ns(None, None)?;
    /// ns.set_metadata("example.thing", Some(&BTreeSet::from(["blue".to_string()])))?;
    /// ns.set_metadata("example.thing", None)?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn set_metadata(&self, name: &str, metadata: Option<&BTreeSet<String>>) -> Result<(), Error> {
        self.run(calls::set_metadata(name, metadata))
    }

    /// The number of registrations, the name server's own included (`count()`).
    ///
    /// ```no_run
    /// # let ns = pyro::naming::locate_ns(None, None)?;
    /// assert!(ns.count()? >= 1);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn count(&self) -> Result<usize, Error> {
        self.run(calls::count())
    }

    /// Calls the name server's `ping()` method: succeeds if it answers.
    ///
    /// ```no_run
    /// pyro::naming::locate_ns(None, None)?.ping()?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn ping(&self) -> Result<(), Error> {
        self.run(calls::ping())
    }

    /// Sends `call` and decodes its reply, the name server's `NamingError` as
    /// [`Error::Naming`].
    pub(super) fn run<T>(&self, call: NsCall<'_, T>) -> Result<T, Error> {
        let NsCall { request, reply } = call;
        let value = self.proxy.call_value(request.method, request.vargs, request.kwargs).map_err(naming_error)?;
        reply.decode(&value)
    }
}

impl fmt::Display for NameServerProxy {
    /// `<pyro.NameServerProxy at PYRO:Pyro.NameServer@host:port>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<pyro.NameServerProxy at {}>", self.uri())
    }
}

/// A remote `Pyro5.errors.NamingError` as [`Error::Naming`]; other errors unchanged.
pub(crate) fn naming_error(err: Error) -> Error {
    match err {
        Error::Remote(remote) if remote.class == NAMING_ERROR_CLASS => Error::Naming { message: remote.message },
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::RemoteError;

    #[test]
    fn remote_naming_errors_become_error_naming() {
        let remote = RemoteError::new(NAMING_ERROR_CLASS, vec!["unknown name: x".into()]);
        let err = naming_error(remote.into());
        assert!(matches!(&err, Error::Naming { message } if message == "unknown name: x"), "{err:?}");
        assert_eq!(err.python_class(), NAMING_ERROR_CLASS);
        let other = naming_error(RemoteError::new("builtins.ValueError", vec![]).into());
        assert_eq!(other.python_class(), "builtins.ValueError");
    }

    #[test]
    fn display_names_the_uri() {
        let ns = NameServerProxy::new("PYRO:Pyro.NameServer@localhost:9090".parse().unwrap());
        assert_eq!(ns.to_string(), "<pyro.NameServerProxy at PYRO:Pyro.NameServer@localhost:9090>");
    }
}

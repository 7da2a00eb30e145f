//! [`NameServer`]: the `Pyro.NameServer` object, with Pyro5's remote API and semantics.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use pyro::{Uri, Value};
use serde::{Deserialize, Serialize};

use crate::args::{self, Truthy};
use crate::storage::{Filter, MAX_REGEX_LEN, MemoryStorage, NameRegex, Registration, Storage};
use crate::{NameServerError, StorageError};

/// The name server's object id and its own registration name (Pyro5's `NAMESERVER_NAME`).
///
/// ```
/// assert_eq!(pyro_ns::NAMESERVER_NAME, "Pyro.NameServer");
/// ```
pub const NAMESERVER_NAME: &str = "Pyro.NameServer";

/// The metadata tag of the name server's own registration, as Pyro5 sets it.
///
/// ```
/// assert_eq!(pyro_ns::NAMESERVER_METADATA, "class:Pyro5.nameserver.NameServer");
/// ```
pub const NAMESERVER_METADATA: &str = "class:Pyro5.nameserver.NameServer";

/// The daemon object's id, which the auto-cleaner never checks.
const DAEMON_NAME: &str = "Pyro.Daemon";

/// What `lookup` returns: the uri (Pyro5 sends a `URI` object), or the uri and its metadata
/// when `return_metadata` is true. The metadata travels as a Python set, as Pyro5 sends it: a
/// set over serpent and marshal, a list over json and msgpack (which have no sets).
///
/// ```
/// use pyro_ns::Lookup;
/// let found = Lookup::Uri("PYRO:obj@localhost:1".parse().unwrap());
/// assert_eq!(found.uri().object(), "obj");
/// assert!(found.metadata().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Lookup {
    /// `(uri, metadata)`, for `return_metadata=True`.
    WithMetadata(Uri, #[serde(serialize_with = "as_set")] Vec<String>),
    /// Just the uri.
    Uri(Uri),
}

impl Lookup {
    /// The uri found.
    ///
    /// See [`Lookup`] for an example.
    pub fn uri(&self) -> &Uri {
        match self {
            Lookup::WithMetadata(uri, _) | Lookup::Uri(uri) => uri,
        }
    }

    /// The metadata (empty when it was not asked for).
    ///
    /// See [`Lookup`] for an example.
    pub fn metadata(&self) -> &[String] {
        match self {
            Lookup::WithMetadata(_, metadata) => metadata,
            Lookup::Uri(_) => &[],
        }
    }
}

/// One value of what `list` and `yplookup` return: the uri **text**, or `(uri text, metadata)`
/// when metadata was asked for (the metadata a set, as for [`Lookup`]).
///
/// ```
/// use pyro_ns::Listed;
/// let entry = Listed::WithMetadata("PYRO:obj@localhost:1".into(), vec!["red".into()]);
/// assert_eq!(entry.uri(), "PYRO:obj@localhost:1");
/// assert_eq!(entry.metadata(), ["red"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Listed {
    /// `(uri, metadata)`.
    WithMetadata(String, #[serde(serialize_with = "as_set")] Vec<String>),
    /// The uri only.
    Uri(String),
}

impl Listed {
    fn new(registration: Registration, with_metadata: bool) -> Listed {
        if with_metadata {
            Listed::WithMetadata(registration.uri, registration.metadata.into_iter().collect())
        } else {
            Listed::Uri(registration.uri)
        }
    }

    /// The uri text.
    ///
    /// See [`Listed`] for an example.
    pub fn uri(&self) -> &str {
        match self {
            Listed::WithMetadata(uri, _) | Listed::Uri(uri) => uri,
        }
    }

    /// The metadata (empty when it was not asked for).
    ///
    /// See [`Listed`] for an example.
    pub fn metadata(&self) -> &[String] {
        match self {
            Listed::WithMetadata(_, metadata) => metadata,
            Listed::Uri(_) => &[],
        }
    }
}

/// Writes metadata tags as a Python set ([`Value::Set`]): a set literal over serpent (an empty
/// one `()`, as Pyro5 writes an empty frozenset), a set over marshal, a list over json and msgpack.
fn as_set<S: serde::Serializer>(tags: &[String], serializer: S) -> Result<S::Ok, S::Error> {
    Value::Set(tags.iter().map(|tag| Value::from(tag.as_str())).collect()).serialize(serializer)
}

/// What `list` and `yplookup` return: name → [`Listed`], sorted by name (a dict in Python).
pub type Listing = BTreeMap<String, Listed>;

/// The name server: a flat name space mapping names to uris with metadata tags, served as
/// `Pyro.NameServer` with exactly Pyro5's remote API (method and parameter names, defaults,
/// results and exceptions), so Python's `locate_ns()`, `PYRONAME:`/`PYROMETA:` resolution and
/// `pyro5-nsc` work against it.
///
/// It is a cheap handle (`Clone` shares the registrations): the daemon serves one clone, the
/// auto-cleaner and the program hold others. Every method takes `&self` and may run on many
/// threads at once; changes are serialized by an internal lock, as in Pyro5, and the steps that
/// read then write (`safe` registration, `set_metadata`, the auto-cleaner's removal) are single
/// [`Storage`] steps, atomic across name servers on a shared storage such as
/// [`EtcdStorage`](crate::storage::EtcdStorage).
///
/// The methods are also an in-process Rust API. Arguments that Python passes loosely (a uri
/// as text or as a `URI` object, metadata as any iterable) are [`Value`]s:
///
/// ```
/// use pyro::Value;
/// use pyro_ns::NameServer;
///
/// let ns = NameServer::in_memory();
/// ns.register("example.thing".into(), "PYRO:thing@localhost:4444".into(), None, Some(Value::List(vec!["red".into()])))?;
/// let found = ns.lookup("example.thing".into(), Some(true.into()))?;
/// assert_eq!((found.uri().port(), found.metadata()), (Some(4444), &["red".to_owned()][..]));
/// assert_eq!(ns.list(Some("example.".into()), None, None)?.len(), 1);
/// assert_eq!(ns.remove(Some("example.thing".into()), None, None)?, 1);
/// assert!(ns.lookup("example.thing".into(), None).is_err());
/// # Ok::<(), pyro_ns::NameServerError>(())
/// ```
#[derive(Clone)]
pub struct NameServer {
    inner: Arc<Inner>,
}

struct Inner {
    storage: Arc<dyn Storage>,
    /// Held by the methods that read and then write (Pyro5's `self.lock`).
    changes: Mutex<()>,
}

#[pyro::expose(proxy = "RawNameServerProxy")]
impl NameServer {
    /// The number of registrations (the name server's own included).
    pub fn count(&self) -> Result<usize, NameServerError> {
        Ok(self.inner.storage.count()?)
    }

    /// The uri registered as `name` (a `URI` object), or `(uri, metadata)` if
    /// `return_metadata` is true. An unknown name is a `NamingError("unknown name: <name>")`.
    pub fn lookup(&self, name: String, return_metadata: Option<Truthy>) -> Result<Lookup, NameServerError> {
        let Some(registration) = self.inner.storage.get(&name)? else {
            return Err(NameServerError::UnknownName { name });
        };
        let uri: Uri = registration.uri.parse()?;
        Ok(if return_metadata.is_some_and(Truthy::get) {
            Lookup::WithMetadata(uri, registration.metadata.into_iter().collect())
        } else {
            Lookup::Uri(uri)
        })
    }

    /// Registers `name` for `uri` (a uri string or `URI` object), with optional metadata (an
    /// iterable of strings, not a string). Replaces an existing registration, unless `safe`
    /// is true: then it is a `NamingError("name already registered: <name>")`.
    ///
    /// The name server's own registration ([`NAMESERVER_NAME`]) cannot be changed: registering
    /// that name for any other uri is a `NamingError` (Pyro5 allows it, letting any client
    /// redirect everyone's name server lookups); registering it for its current uri changes
    /// nothing.
    pub fn register(
        &self,
        name: Value,
        uri: Value,
        safe: Option<Truthy>,
        metadata: Option<Value>,
    ) -> Result<(), NameServerError> {
        let uri = args::uri_text(&uri)?;
        let name = args::name_text(name)?;
        let metadata = args::metadata(metadata.unwrap_or_default(), "metadata")?.unwrap_or_default();
        let _changes = self.lock();
        if name == NAMESERVER_NAME {
            // Pyro5 lets any client point `Pyro.NameServer` elsewhere, after which every
            // `locate_ns` lookup through this server returns that address; pyro refuses it.
            let current = self.inner.storage.get(&name)?;
            if current.is_none_or(|current| current.uri != uri) {
                return Err(NameServerError::ProtectedName { name });
            }
            return Ok(());
        }
        tracing::debug!(target: "pyro::ns", %name, %uri, "register");
        let registration = Registration { uri, metadata };
        if safe.is_some_and(Truthy::get) {
            if !self.inner.storage.insert_new(&name, &registration)? {
                return Err(NameServerError::AlreadyRegistered { name });
            }
        } else {
            self.inner.storage.set(&name, &registration)?;
        }
        Ok(())
    }

    /// Replaces the metadata of the registration `name` (`None` clears it).
    pub fn set_metadata(&self, name: Value, metadata: Value) -> Result<(), NameServerError> {
        let name = args::name_text(name)?;
        let metadata = args::metadata(metadata, "metadata")?.unwrap_or_default();
        let _changes = self.lock();
        if !self.inner.storage.replace_metadata(&name, &metadata)? {
            return Err(NameServerError::UnknownName { name });
        }
        Ok(())
    }

    /// Removes registrations; returns how many. By exact `name` if given (and not the name
    /// server's own), else every name with `prefix`, else every name `regex` matches (at the
    /// start, as Python's `re.match`). The name server's own registration is never removed.
    pub fn remove(
        &self,
        name: Option<String>,
        prefix: Option<String>,
        regex: Option<String>,
    ) -> Result<usize, NameServerError> {
        let nonempty = |text: Option<String>| text.filter(|t| !t.is_empty());
        let (name, prefix, regex) = (nonempty(name), nonempty(prefix), nonempty(regex));
        let _changes = self.lock();
        if let Some(name) = name.filter(|name| name != NAMESERVER_NAME) {
            tracing::debug!(target: "pyro::ns", %name, "remove");
            return Ok(self.inner.storage.remove(&[name])?);
        }
        let compiled;
        let filter = match (&prefix, &regex) {
            (Some(prefix), _) => Filter::Prefix(prefix),
            (None, Some(regex)) => {
                compiled = compile(regex)?;
                Filter::Regex(&compiled)
            }
            (None, None) => return Ok(0),
        };
        let names: Vec<String> = self
            .inner
            .storage
            .select(&filter)?
            .into_iter()
            .map(|(name, _)| name)
            .filter(|name| name != NAMESERVER_NAME)
            .collect();
        tracing::debug!(target: "pyro::ns", count = names.len(), ?prefix, ?regex, "remove");
        Ok(self.inner.storage.remove(&names)?)
    }

    /// The registrations as name → uri string, or name → `(uri string, metadata)` if
    /// `return_metadata` is true; all of them, or those whose name has `prefix`, or those
    /// `regex` matches (at the start). `prefix` and `regex` together are a `ValueError`; a bad
    /// regex is a `NamingError("invalid regex: ...")`.
    pub fn list(
        &self,
        prefix: Option<String>,
        regex: Option<String>,
        return_metadata: Option<Truthy>,
    ) -> Result<Listing, NameServerError> {
        let prefix = prefix.filter(|p| !p.is_empty());
        let regex = regex.filter(|r| !r.is_empty());
        let compiled;
        let filter = match (&prefix, &regex) {
            (Some(_), Some(_)) => return Err(NameServerError::FilterConflict),
            (Some(prefix), None) => Filter::Prefix(prefix),
            (None, Some(regex)) => {
                compiled = compile(regex)?;
                Filter::Regex(&compiled)
            }
            (None, None) => Filter::All,
        };
        self.listing(&filter, return_metadata.is_some_and(Truthy::get))
    }

    /// Yellow-pages lookup: the registrations whose metadata contains all of `meta_all`, or
    /// any of `meta_any` (iterables of strings, not strings), as name → `(uri string,
    /// metadata)`, or name → uri string if `return_metadata` is false. Both together are a
    /// `ValueError`; neither gives an empty dict. (An explicit `return_metadata=None` counts
    /// as left out, i.e. true, Pyro5's default; Pyro5 itself would read an explicit `None` as
    /// false. A typed pyro proxy never sends that `None`: it leaves a `None` optional argument
    /// out, so both name servers apply their default.)
    pub fn yplookup(
        &self,
        meta_all: Option<Value>,
        meta_any: Option<Value>,
        return_metadata: Option<Truthy>,
    ) -> Result<Listing, NameServerError> {
        let (meta_all, meta_any) = (meta_all.unwrap_or_default(), meta_any.unwrap_or_default());
        let with_metadata = return_metadata.is_none_or(Truthy::get);
        match (args::truthy(&meta_all), args::truthy(&meta_any)) {
            (true, true) => Err(NameServerError::MetadataFilterConflict),
            (true, false) => {
                let tags = args::metadata(meta_all, "metadata_all")?.unwrap_or_default();
                self.listing(&Filter::MetadataAll(&tags), with_metadata)
            }
            (false, true) => {
                let tags = args::metadata(meta_any, "metadata_any")?.unwrap_or_default();
                self.listing(&Filter::MetadataAny(&tags), with_metadata)
            }
            (false, false) => Ok(Listing::new()),
        }
    }

    /// Does nothing: checks that the name server answers.
    pub fn ping(&self) {}
}

impl NameServer {
    /// A name server keeping its registrations in `storage`.
    ///
    /// ```
    /// let storage = pyro_ns::StorageSpec::Memory.open()?;
    /// let ns = pyro_ns::NameServer::new(storage);
    /// assert_eq!(ns.count()?, 0);
    /// # Ok::<(), pyro_ns::NameServerError>(())
    /// ```
    pub fn new(storage: Arc<dyn Storage>) -> NameServer {
        NameServer { inner: Arc::new(Inner { storage, changes: Mutex::new(()) }) }
    }

    /// A name server with a new, empty [`MemoryStorage`].
    ///
    /// See [`NameServer`] for an example.
    pub fn in_memory() -> NameServer {
        NameServer::new(Arc::new(MemoryStorage::new()))
    }

    /// The storage underneath (shared with the clones of this handle).
    ///
    /// ```
    /// assert_eq!(pyro_ns::NameServer::in_memory().storage().describe(), "memory");
    /// ```
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    /// Registers the name server itself as [`NAMESERVER_NAME`] for `uri`, with the metadata
    /// [`NAMESERVER_METADATA`], as Pyro5's name server daemon does at startup.
    ///
    /// ```
    /// let ns = pyro_ns::NameServer::in_memory();
    /// ns.register_self(&"PYRO:Pyro.NameServer@localhost:9090".parse().unwrap())?;
    /// assert_eq!(ns.count()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register_self(&self, uri: &Uri) -> Result<(), StorageError> {
        let _changes = self.lock();
        self.inner.storage.set(NAMESERVER_NAME, &Registration::new(uri.to_string(), [NAMESERVER_METADATA]))
    }

    /// Whether the auto-cleaner may check (and remove) the registration `name`: every name
    /// except the name server's own and `Pyro.Daemon`.
    pub(crate) fn is_cleanable(name: &str) -> bool {
        name != NAMESERVER_NAME && name != DAEMON_NAME
    }

    /// Removes `name` if it is still registered for `uri` (the auto-cleaner's removal, which
    /// must not remove a registration that was renewed meanwhile). Whether it was removed.
    pub(crate) fn remove_if_unchanged(&self, name: &str, uri: &str) -> Result<bool, StorageError> {
        if !NameServer::is_cleanable(name) {
            return Ok(false);
        }
        let _changes = self.lock();
        self.inner.storage.remove_if_uri(name, uri)
    }

    fn listing(&self, filter: &Filter<'_>, with_metadata: bool) -> Result<Listing, NameServerError> {
        let selected = self.inner.storage.select(filter)?;
        Ok(selected.into_iter().map(|(name, reg)| (name, Listed::new(reg, with_metadata))).collect())
    }

    // The guarded steps leave the storage consistent even if one panics.
    fn lock(&self) -> MutexGuard<'_, ()> {
        self.inner.changes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for NameServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NameServer").field("storage", &self.inner.storage.describe()).finish()
    }
}

fn compile(pattern: &str) -> Result<NameRegex, NameServerError> {
    if pattern.len() > MAX_REGEX_LEN {
        return Err(NameServerError::RegexTooLong { len: pattern.len(), max: MAX_REGEX_LEN });
    }
    NameRegex::new(pattern).map_err(|e| NameServerError::InvalidRegex { source: Box::new(e) })
}

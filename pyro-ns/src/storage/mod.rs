//! Where the name server keeps its registrations: the [`Storage`] trait, an in-memory
//! implementation ([`MemoryStorage`], the default), an SQLite one ([`SqlStorage`], Pyro5's
//! schema) and an etcd one ([`EtcdStorage`], shared by several name servers), chosen with a
//! [`StorageSpec`] (`"memory"`, `"sql:<file>"` or `"etcd:<endpoints>[/<prefix>]"`, as
//! `pyro5-ns -s`).
//!
//! ```
//! use pyro_ns::storage::{Filter, Registration, StorageSpec};
//!
//! let storage = "memory".parse::<StorageSpec>()?.open()?;
//! storage.set("example.thing", &Registration::new("PYRO:thing@localhost:4444", ["red"]))?;
//! assert_eq!(storage.count()?, 1);
//! let found = storage.select(&Filter::Prefix("example."))?;
//! assert_eq!(found[0].0, "example.thing");
//! # Ok::<(), pyro_ns::StorageError>(())
//! ```

mod etcd;
mod etcd_gateway;
mod etcd_spec;
mod filter;
mod memory;
mod sql;

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

pub use etcd::EtcdStorage;
pub use etcd_spec::{DEFAULT_ETCD_PREFIX, EtcdSpec};
pub use filter::{Filter, MAX_REGEX_LEN, NameRegex};
pub use memory::MemoryStorage;
pub use sql::SqlStorage;

use crate::StorageError;

/// One registration: the uri (as text, as Pyro5 stores it) and its metadata tags.
///
/// ```
/// let reg = pyro_ns::storage::Registration::new("PYRO:obj@localhost:1", ["b", "a"]);
/// assert_eq!(reg.metadata.iter().collect::<Vec<_>>(), ["a", "b"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registration {
    /// The uri text, e.g. `PYRO:obj@localhost:4444`.
    pub uri: String,
    /// The metadata tags (a set: no duplicates, no order).
    pub metadata: BTreeSet<String>,
}

impl Registration {
    /// A registration of `uri` with the given tags.
    ///
    /// See [`Registration`] for an example.
    pub fn new<T: Into<String>>(uri: impl Into<String>, metadata: impl IntoIterator<Item = T>) -> Registration {
        Registration { uri: uri.into(), metadata: metadata.into_iter().map(Into::into).collect() }
    }
}

/// A name server's registrations, name → [`Registration`]. Every method is one atomic step
/// and may be called from many threads at once; a change is durable (for storages that
/// persist) when the method returns.
///
/// The name server adds Pyro5's rules on top (the `safe` flag, its own entry that cannot be
/// removed), holding its own lock around steps that read and then write.
///
/// ```
/// use pyro_ns::storage::{MemoryStorage, Registration, Storage};
/// let storage = MemoryStorage::new();
/// storage.set("a", &Registration::new("PYRO:a@localhost:1", Vec::<String>::new()))?;
/// assert!(storage.get("a")?.is_some());
/// assert_eq!(storage.remove(&["a".to_owned(), "b".to_owned()])?, 1);
/// # Ok::<(), pyro_ns::StorageError>(())
/// ```
pub trait Storage: Send + Sync + 'static {
    /// The registration of `name`, if any.
    fn get(&self, name: &str) -> Result<Option<Registration>, StorageError>;
    /// Registers `name`, replacing a registration it had.
    fn set(&self, name: &str, registration: &Registration) -> Result<(), StorageError>;
    /// Removes the registrations of `names`; returns how many existed.
    fn remove(&self, names: &[String]) -> Result<usize, StorageError>;
    /// The number of registrations.
    fn count(&self) -> Result<usize, StorageError>;
    /// The registrations passing `filter`, sorted by name.
    fn select(&self, filter: &Filter<'_>) -> Result<Vec<(String, Registration)>, StorageError>;
    /// What this storage is, for logs (`"memory"`, `"sql:/var/lib/ns.db"`).
    fn describe(&self) -> String;

    /// Registers `name` unless it is registered already (`register(..., safe=True)`); whether
    /// it did.
    ///
    /// This and the two methods after it read and then write. Their default implementations
    /// call [`get`](Storage::get) and then [`set`](Storage::set) or [`remove`](Storage::remove),
    /// which is atomic for a storage that one name server uses alone, because the name server
    /// holds its lock around them; a storage that several name servers share
    /// ([`EtcdStorage`]) does each in one atomic step of its own.
    ///
    /// ```
    /// use pyro_ns::storage::{MemoryStorage, Registration, Storage};
    /// let storage = MemoryStorage::new();
    /// assert!(storage.insert_new("a", &Registration::new("PYRO:a@localhost:1", ["x"]))?);
    /// assert!(!storage.insert_new("a", &Registration::new("PYRO:b@localhost:1", ["x"]))?);
    /// assert_eq!(storage.get("a")?.unwrap().uri, "PYRO:a@localhost:1");
    /// # Ok::<(), pyro_ns::StorageError>(())
    /// ```
    fn insert_new(&self, name: &str, registration: &Registration) -> Result<bool, StorageError> {
        if self.get(name)?.is_some() {
            return Ok(false);
        }
        self.set(name, registration)?;
        Ok(true)
    }

    /// Replaces the metadata of the registration `name`, keeping its uri; `false` if `name` is
    /// not registered. See [`insert_new`](Storage::insert_new) on atomicity.
    ///
    /// ```
    /// use pyro_ns::storage::{MemoryStorage, Registration, Storage};
    /// let storage = MemoryStorage::new();
    /// storage.set("a", &Registration::new("PYRO:a@localhost:1", ["x"]))?;
    /// assert!(storage.replace_metadata("a", &["y".to_owned()].into())?);
    /// assert_eq!(storage.get("a")?.unwrap().metadata, ["y".to_owned()].into());
    /// assert!(!storage.replace_metadata("b", &Default::default())?);
    /// # Ok::<(), pyro_ns::StorageError>(())
    /// ```
    fn replace_metadata(&self, name: &str, metadata: &BTreeSet<String>) -> Result<bool, StorageError> {
        let Some(mut registration) = self.get(name)? else { return Ok(false) };
        registration.metadata = metadata.clone();
        self.set(name, &registration)?;
        Ok(true)
    }

    /// Removes `name` if it is registered for `uri` (the auto-cleaner's removal, which must not
    /// remove a registration renewed meanwhile); whether it did. See
    /// [`insert_new`](Storage::insert_new) on atomicity.
    ///
    /// ```
    /// use pyro_ns::storage::{MemoryStorage, Registration, Storage};
    /// let storage = MemoryStorage::new();
    /// storage.set("a", &Registration::new("PYRO:a@localhost:1", Vec::<String>::new()))?;
    /// assert!(!storage.remove_if_uri("a", "PYRO:a@localhost:2")?);
    /// assert!(storage.remove_if_uri("a", "PYRO:a@localhost:1")?);
    /// # Ok::<(), pyro_ns::StorageError>(())
    /// ```
    fn remove_if_uri(&self, name: &str, uri: &str) -> Result<bool, StorageError> {
        match self.get(name)? {
            Some(registration) if registration.uri == uri => Ok(self.remove(&[name.to_owned()])? == 1),
            _ => Ok(false),
        }
    }

    /// Whether this name server should run its auto-clean sweep now, given the sweep
    /// `interval`. A storage of one name server says yes (the default); a storage shared by
    /// several ([`EtcdStorage`]) says yes to one of them at a time, so that each registered
    /// object is checked once per sweep, not once per name server.
    ///
    /// ```
    /// use pyro_ns::storage::{MemoryStorage, Storage};
    /// assert!(MemoryStorage::new().autoclean_turn(std::time::Duration::from_secs(10))?);
    /// # Ok::<(), pyro_ns::StorageError>(())
    /// ```
    fn autoclean_turn(&self, interval: Duration) -> Result<bool, StorageError> {
        let _ = interval;
        Ok(true)
    }
}

/// Which storage to use, as `pyro5-ns --storage` takes it: `memory` (the default; also the
/// empty text), `sql:<file>` (an SQLite database, created if missing) or
/// `etcd:<host:port>[,<host:port>...][/<prefix>]` (an etcd cluster shared with other name
/// servers; see [`EtcdSpec`]). `sql::memory:` is refused, as in Pyro5.
///
/// ```
/// use pyro_ns::StorageSpec;
/// assert_eq!("memory".parse::<StorageSpec>().unwrap(), StorageSpec::Memory);
/// assert_eq!("sql:/tmp/ns.db".parse::<StorageSpec>().unwrap(), StorageSpec::Sql("/tmp/ns.db".into()));
/// assert!("sql:".parse::<StorageSpec>().is_err());
/// assert_eq!(StorageSpec::Sql("/tmp/ns.db".into()).to_string(), "sql:/tmp/ns.db");
/// let etcd = "etcd:10.0.0.1:2379,10.0.0.2:2379".parse::<StorageSpec>().unwrap();
/// assert_eq!(etcd.to_string(), "etcd:10.0.0.1:2379,10.0.0.2:2379/pyro-ns/");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StorageSpec {
    /// [`MemoryStorage`]: forgets everything when the name server stops.
    #[default]
    Memory,
    /// [`SqlStorage`] in this file.
    Sql(PathBuf),
    /// [`EtcdStorage`] on this etcd cluster.
    Etcd(EtcdSpec),
}

impl StorageSpec {
    /// Opens (or creates) the storage.
    ///
    /// ```
    /// let storage = pyro_ns::StorageSpec::Memory.open().unwrap();
    /// assert_eq!(storage.describe(), "memory");
    /// ```
    pub fn open(&self) -> Result<Arc<dyn Storage>, StorageError> {
        Ok(match self {
            StorageSpec::Memory => Arc::new(MemoryStorage::new()),
            StorageSpec::Sql(path) => Arc::new(SqlStorage::open(path)?),
            StorageSpec::Etcd(spec) => Arc::new(EtcdStorage::open(spec.clone())?),
        })
    }
}

impl FromStr for StorageSpec {
    type Err = StorageError;

    fn from_str(text: &str) -> Result<StorageSpec, StorageError> {
        match text {
            "" | "memory" => Ok(StorageSpec::Memory),
            ":memory:" | "sql::memory:" => Err(StorageError::SqliteMemory),
            _ if text.starts_with("etcd:") => Ok(StorageSpec::Etcd(text.parse()?)),
            _ => match text.strip_prefix("sql:") {
                Some(path) if !path.is_empty() => Ok(StorageSpec::Sql(PathBuf::from(path))),
                _ => Err(StorageError::InvalidSpec { spec: text.to_owned() }),
            },
        }
    }
}

impl fmt::Display for StorageSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StorageSpec::Memory => f.write_str("memory"),
            StorageSpec::Sql(path) => write!(f, "sql:{}", path.display()),
            StorageSpec::Etcd(spec) => spec.fmt(f),
        }
    }
}

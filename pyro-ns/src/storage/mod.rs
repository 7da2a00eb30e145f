//! Where the name server keeps its registrations: the [`Storage`] trait, an in-memory
//! implementation ([`MemoryStorage`], the default) and an SQLite one ([`SqlStorage`], Pyro5's
//! schema), chosen with a [`StorageSpec`] (`"memory"` or `"sql:<file>"`, as `pyro5-ns -s`).
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

mod filter;
mod memory;
mod sql;

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

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
}

/// Which storage to use, as `pyro5-ns --storage` takes it: `memory` (the default; also the
/// empty text) or `sql:<file>` (an SQLite database, created if missing). `sql::memory:` is
/// refused, as in Pyro5.
///
/// ```
/// use pyro_ns::StorageSpec;
/// assert_eq!("memory".parse::<StorageSpec>().unwrap(), StorageSpec::Memory);
/// assert_eq!("sql:/tmp/ns.db".parse::<StorageSpec>().unwrap(), StorageSpec::Sql("/tmp/ns.db".into()));
/// assert!("sql:".parse::<StorageSpec>().is_err());
/// assert_eq!(StorageSpec::Sql("/tmp/ns.db".into()).to_string(), "sql:/tmp/ns.db");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum StorageSpec {
    /// [`MemoryStorage`]: forgets everything when the name server stops.
    #[default]
    Memory,
    /// [`SqlStorage`] in this file.
    Sql(PathBuf),
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
        })
    }
}

impl FromStr for StorageSpec {
    type Err = StorageError;

    fn from_str(text: &str) -> Result<StorageSpec, StorageError> {
        match text {
            "" | "memory" => Ok(StorageSpec::Memory),
            ":memory:" | "sql::memory:" => Err(StorageError::SqliteMemory),
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
        }
    }
}

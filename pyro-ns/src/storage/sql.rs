//! [`SqlStorage`]: registrations in an SQLite database with Pyro5's schema.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{Filter, Registration, Storage};
use crate::StorageError;

/// Pyro5's tables (`SqlStorage._create_schema`), so that a database works with either name server.
const SCHEMA: &str = "
CREATE TABLE pyro_names
    (
        id integer PRIMARY KEY,
        name nvarchar NOT NULL UNIQUE,
        uri nvarchar NOT NULL
    );
CREATE TABLE pyro_metadata
    (
        object integer NOT NULL,
        metadata nvarchar NOT NULL,
        FOREIGN KEY(object) REFERENCES pyro_names(id)
    );";

/// How long a statement waits for another process (e.g. a Python name server on the same
/// file) to release its lock; Python's `sqlite3` default.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A persistent storage: an SQLite database with Pyro5's schema (tables `pyro_names` and
/// `pyro_metadata`), so a database made by Python's name server (`pyro5-ns -s sql:FILE`) opens
/// here and the other way round. A database of Pyro5's older single-table format is migrated
/// as Pyro5 does.
///
/// Every change is one transaction, committed before the method returns, with
/// `synchronous=FULL`: an acknowledged registration survives the process being killed (and a
/// power loss, as far as the disk keeps its promises). One connection is shared by all
/// threads behind a mutex.
///
/// ```
/// use pyro_ns::storage::{Registration, SqlStorage, Storage};
/// let dir = std::env::temp_dir().join(format!("pyro-ns-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("names.db");
/// {
///     let storage = SqlStorage::open(&path)?;
///     storage.set("example.thing", &Registration::new("PYRO:thing@localhost:4444", ["red"]))?;
/// }
/// let reopened = SqlStorage::open(&path)?;
/// assert_eq!(reopened.get("example.thing")?.unwrap().metadata.len(), 1);
/// # drop(reopened); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), pyro_ns::StorageError>(())
/// ```
#[derive(Debug)]
pub struct SqlStorage {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl SqlStorage {
    /// Opens the database at `path`, creating it and its tables if needed. `:memory:` is
    /// refused (use [`MemoryStorage`](super::MemoryStorage)).
    ///
    /// See [`SqlStorage`] for an example.
    pub fn open(path: impl AsRef<Path>) -> Result<SqlStorage, StorageError> {
        let path = path.as_ref();
        if path.as_os_str() == ":memory:" {
            return Err(StorageError::SqliteMemory);
        }
        let mut connection = Connection::open(path).map_err(StorageError::sqlite("open"))?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(StorageError::sqlite("open"))?;
        connection
            .execute_batch("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;")
            .map_err(StorageError::sqlite("open"))?;
        prepare_schema(&mut connection).map_err(StorageError::sqlite("init"))?;
        Ok(SqlStorage { path: path.to_owned(), connection: Mutex::new(connection) })
    }

    /// The database file.
    ///
    /// ```no_run
    /// let storage = pyro_ns::storage::SqlStorage::open("/var/lib/pyro/ns.db")?;
    /// assert_eq!(storage.path(), std::path::Path::new("/var/lib/pyro/ns.db"));
    /// # Ok::<(), pyro_ns::StorageError>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    // A panic cannot leave a transaction half-done (rusqlite rolls back on drop), so a
    // poisoned mutex still guards a usable connection.
    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Creates Pyro5's tables, or migrates a database that has only the old `pyro_names`.
fn prepare_schema(connection: &mut Connection) -> rusqlite::Result<()> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let has_table = |name: &str| -> rusqlite::Result<bool> {
        tx.query_row("SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1)", [name], |row| {
            row.get(0)
        })
    };
    if !has_table("pyro_names")? {
        tx.execute_batch(SCHEMA)?;
    } else if !has_table("pyro_metadata")? {
        tx.execute_batch("ALTER TABLE pyro_names RENAME TO pyro_names_old;")?;
        tx.execute_batch(SCHEMA)?;
        tx.execute_batch(
            "INSERT INTO pyro_names(name, uri) SELECT name, uri FROM pyro_names_old; DROP TABLE pyro_names_old;",
        )?;
    }
    tx.commit()
}

/// A text column as Rust text, whatever SQLite type the writer used.
fn text(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
    }
}

/// Deletes the registration `name` (metadata first, for the foreign key); whether it existed.
fn delete(tx: &rusqlite::Transaction<'_>, name: &str) -> rusqlite::Result<bool> {
    let id: Option<i64> =
        tx.query_row("SELECT id FROM pyro_names WHERE name=?1", [name], |row| row.get(0)).optional()?;
    if let Some(id) = id {
        tx.execute("DELETE FROM pyro_metadata WHERE object=?1", [id])?;
        tx.execute("DELETE FROM pyro_names WHERE id=?1", [id])?;
    }
    Ok(id.is_some())
}

impl Storage for SqlStorage {
    fn get(&self, name: &str) -> Result<Option<Registration>, StorageError> {
        let connection = self.lock();
        let run = || -> rusqlite::Result<Option<Registration>> {
            let found = connection
                .query_row("SELECT id, uri FROM pyro_names WHERE name=?1", [name], |row| {
                    Ok((row.get::<_, i64>(0)?, text(row.get_ref(1)?).unwrap_or_default()))
                })
                .optional()?;
            let Some((id, uri)) = found else { return Ok(None) };
            let mut statement = connection.prepare_cached("SELECT metadata FROM pyro_metadata WHERE object=?1")?;
            let metadata = statement.query_map([id], |row| Ok(text(row.get_ref(0)?)))?;
            let metadata = metadata.filter_map(Result::transpose).collect::<rusqlite::Result<_>>()?;
            Ok(Some(Registration { uri, metadata }))
        };
        run().map_err(StorageError::sqlite("getitem"))
    }

    fn set(&self, name: &str, registration: &Registration) -> Result<(), StorageError> {
        let mut connection = self.lock();
        let mut run = || -> rusqlite::Result<()> {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            delete(&tx, name)?;
            tx.execute("INSERT INTO pyro_names(name, uri) VALUES(?1, ?2)", params![name, registration.uri])?;
            let id = tx.last_insert_rowid();
            for tag in &registration.metadata {
                tx.execute("INSERT INTO pyro_metadata(object, metadata) VALUES (?1, ?2)", params![id, tag])?;
            }
            tx.commit()
        };
        run().map_err(StorageError::sqlite("setitem"))
    }

    fn remove(&self, names: &[String]) -> Result<usize, StorageError> {
        let mut connection = self.lock();
        let mut run = || -> rusqlite::Result<usize> {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut removed = 0;
            for name in names {
                removed += usize::from(delete(&tx, name)?);
            }
            tx.commit()?;
            Ok(removed)
        };
        run().map_err(StorageError::sqlite("remove_items"))
    }

    fn count(&self) -> Result<usize, StorageError> {
        let connection = self.lock();
        let count: i64 = connection
            .query_row("SELECT count(*) FROM pyro_names", [], |row| row.get(0))
            .map_err(StorageError::sqlite("len"))?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    fn select(&self, filter: &Filter<'_>) -> Result<Vec<(String, Registration)>, StorageError> {
        let connection = self.lock();
        let run = || -> rusqlite::Result<Vec<(String, Registration)>> {
            const JOINED: &str = "SELECT n.id, n.name, n.uri, m.metadata FROM pyro_names n \
                                  LEFT JOIN pyro_metadata m ON m.object = n.id";
            let (sql, prefix) = match filter {
                // Exact, case-sensitive prefix (Pyro5's `LIKE prefix%` also matches `_`, `%`
                // and other letter cases).
                Filter::Prefix(prefix) => (format!("{JOINED} WHERE substr(n.name, 1, length(?1)) = ?1"), Some(*prefix)),
                _ => (JOINED.to_owned(), None),
            };
            let mut statement = connection.prepare_cached(&sql)?;
            let mut rows = match prefix {
                Some(prefix) => statement.query([prefix])?,
                None => statement.query([])?,
            };
            let mut by_id: BTreeMap<i64, (String, Registration)> = BTreeMap::new();
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                let entry = match by_id.entry(id) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        let name = text(row.get_ref(1)?).unwrap_or_default();
                        let uri = text(row.get_ref(2)?).unwrap_or_default();
                        e.insert((name, Registration { uri, metadata: Default::default() }))
                    }
                };
                if let Some(tag) = text(row.get_ref(3)?) {
                    entry.1.metadata.insert(tag);
                }
            }
            let mut selected: Vec<_> = by_id.into_values().filter(|(name, reg)| filter.matches(name, reg)).collect();
            selected.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(selected)
        };
        run().map_err(StorageError::sqlite("select"))
    }

    fn describe(&self) -> String {
        format!("sql:{}", self.path.display())
    }
}

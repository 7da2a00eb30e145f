//! The errors of the name server: [`NameServerError`] (what a remote caller gets, as the Python
//! exception a Pyro5 client expects), [`StorageError`] and [`StartError`].

use std::time::Duration;

use pyro::dispatch::IntoRemoteError;
use pyro::uri::UriError;
use pyro::{RemoteError, Value};

/// Why a name server method failed. Each variant becomes the exception Pyro5's name server
/// raises ([`NameServerError::python_class`]), with the same message.
///
/// ```
/// use pyro_ns::NameServerError;
/// let e = NameServerError::UnknownName { name: "example.thing".into() };
/// assert_eq!(e.python_class(), "Pyro5.errors.NamingError");
/// assert_eq!(e.to_string(), "unknown name: example.thing");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NameServerError {
    /// The name is not registered (`NamingError`).
    #[error("unknown name: {name}")]
    UnknownName {
        /// The name looked up.
        name: String,
    },
    /// `register(..., safe=True)` for a name that is already registered (`NamingError`).
    #[error("name already registered: {name}")]
    AlreadyRegistered {
        /// The name.
        name: String,
    },
    /// The `regex` argument does not compile (`NamingError`).
    #[error("invalid regex: {source}")]
    InvalidRegex {
        /// The compiler's complaint.
        #[source]
        source: Box<regex::Error>,
    },
    /// The `regex` argument is longer than [`MAX_REGEX_LEN`](crate::storage::MAX_REGEX_LEN)
    /// bytes (`NamingError`).
    #[error("invalid regex: pattern of {len} bytes is longer than the limit of {max} bytes")]
    RegexTooLong {
        /// The pattern's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A client tried to register the name server's own name for another uri (`NamingError`).
    #[error("the name server's own registration cannot be changed: {name}")]
    ProtectedName {
        /// The name ([`NAMESERVER_NAME`](crate::NAMESERVER_NAME)).
        name: String,
    },
    /// `list()` got both `prefix` and `regex` (`ValueError`).
    #[error("you can only filter on one thing at a time")]
    FilterConflict,
    /// `yplookup()` got both `meta_all` and `meta_any` (`ValueError`).
    #[error("you can't use meta_all or meta_any at the same time")]
    MetadataFilterConflict,
    /// An argument of the wrong type (`TypeError`), e.g. metadata given as a `str`.
    #[error("{message}")]
    WrongType {
        /// Python's message, e.g. `"name must be a str"`.
        message: String,
    },
    /// The uri to register does not parse (`PyroError`).
    #[error(transparent)]
    InvalidUri(#[from] UriError),
    /// The storage failed (`NamingError`, as Pyro5 reports sqlite errors).
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl NameServerError {
    /// The Python exception class a Pyro5 client raises for this error.
    ///
    /// ```
    /// assert_eq!(pyro_ns::NameServerError::FilterConflict.python_class(), "builtins.ValueError");
    /// ```
    pub fn python_class(&self) -> &'static str {
        match self {
            NameServerError::UnknownName { .. }
            | NameServerError::AlreadyRegistered { .. }
            | NameServerError::InvalidRegex { .. }
            | NameServerError::RegexTooLong { .. }
            | NameServerError::ProtectedName { .. }
            | NameServerError::Storage(_) => "Pyro5.errors.NamingError",
            NameServerError::FilterConflict | NameServerError::MetadataFilterConflict => "builtins.ValueError",
            NameServerError::WrongType { .. } => "builtins.TypeError",
            NameServerError::InvalidUri(_) => "Pyro5.errors.PyroError",
        }
    }

    pub(crate) fn wrong_type(message: impl Into<String>) -> NameServerError {
        NameServerError::WrongType { message: message.into() }
    }
}

impl IntoRemoteError for NameServerError {
    fn into_remote_error(self) -> RemoteError {
        RemoteError::new(self.python_class(), vec![Value::Str(self.to_string())])
    }
}

/// A storage failure, or a storage that cannot be opened.
///
/// ```
/// let err = "sql::memory:".parse::<pyro_ns::StorageSpec>().unwrap_err();
/// assert!(matches!(err, pyro_ns::StorageError::SqliteMemory));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// An SQLite operation failed (Pyro5: `NamingError("sqlite error in <operation>: ...")`).
    #[error("sqlite error in {operation}: {source}")]
    Sqlite {
        /// The storage operation, e.g. `"setitem"`.
        operation: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The storage text is neither `memory` nor `sql:<file>` (Pyro5: `ValueError`).
    #[error("invalid storage type '{spec}'")]
    InvalidSpec {
        /// The text given.
        spec: String,
    },
    /// `sql::memory:` was asked for, which Pyro5 refuses too.
    #[error("We don't support the sqlite :memory: database type. Just use the default volatile in-memory store.")]
    SqliteMemory,
    /// An `etcd:` storage text that does not parse ([`EtcdSpec`](crate::storage::EtcdSpec)).
    #[error("invalid etcd storage '{spec}': {reason}")]
    InvalidEtcdSpec {
        /// The text given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An etcd request failed: no member answered in time (all down, no quorum, an election
    /// that did not end), etcd refused it, or the data under the prefix is not a name
    /// server's (Pyro5 has no etcd storage; a `NamingError` to remote callers).
    #[error("etcd error in {operation}: {message}")]
    Etcd {
        /// The storage operation, e.g. `"set"`.
        operation: &'static str,
        /// What happened.
        message: String,
    },
    /// A database whose tables are not Pyro5's.
    #[error("{path} is not a Pyro5 name server database: {reason}")]
    Schema {
        /// The database file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

impl StorageError {
    pub(crate) fn sqlite(operation: &'static str) -> impl FnOnce(rusqlite::Error) -> StorageError {
        move |source| StorageError::Sqlite { operation, source }
    }
}

/// Why a name server could not start.
///
/// ```
/// use std::time::Duration;
/// let err = pyro_ns::StartError::AutoCleanTooSmall { interval: Duration::from_secs(1) };
/// assert_eq!(err.to_string(), "NS_AUTOCLEAN cannot be smaller than 3 seconds (got 1s)");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The daemon could not be created (bind failure, bad configuration, NAT with a Unix socket).
    #[error(transparent)]
    Daemon(#[from] pyro::Error),
    /// The storage could not be opened.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The broadcast responder's UDP socket could not be bound.
    #[error("cannot bind the name server broadcast responder to {address}")]
    Broadcast {
        /// The address, e.g. `"0.0.0.0:9091"`.
        address: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// `NS_AUTOCLEAN` below Pyro5's minimum of 3 seconds.
    #[error("NS_AUTOCLEAN cannot be smaller than 3 seconds (got {interval:?})")]
    AutoCleanTooSmall {
        /// The configured interval.
        interval: Duration,
    },
    /// A background thread could not be started.
    #[error("cannot start the name server's {what} thread")]
    Thread {
        /// Which thread.
        what: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

//! [`Error`]: everything that can go wrong in pyro, as one enum a user can match on.
//!
//! Each variant maps to the Pyro5 exception class a Python peer knows ([`Error::python_class`]),
//! and exceptions raised remotely arrive as [`Error::Remote`] with the remote class name, args,
//! message and traceback.
//!
//! ```
//! use pyro::{Error, RemoteError};
//!
//! let err = Error::from(RemoteError::new("builtins.ValueError", vec!["oops".into()]));
//! assert_eq!(err.python_class(), "builtins.ValueError");
//! assert_eq!(err.to_string(), "remote builtins.ValueError: oops");
//! ```

use std::time::Duration;

use crate::config::ConfigError;
use crate::protocol::ProtocolError;
use crate::serializer::SerializeError;
use crate::uri::UriError;
use crate::value::{Dict, Value};

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error from pyro: local (communication, protocol, serialization, naming, security,
/// configuration) or raised by the remote object ([`Error::Remote`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer closed the connection (or it broke) while `context` was under way.
    #[error("connection closed while {context}")]
    ConnectionClosed {
        /// What was being done, e.g. `"receiving a reply from PYRO:obj@host:1"`.
        context: String,
    },
    /// Nothing accepted the connection at `address`.
    #[error("connection to {address} refused")]
    ConnectionRefused {
        /// The address that refused, e.g. `"localhost:9090"`.
        address: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// TLS could not be set up (bad `SSL_*` settings or files) or its handshake failed
    /// (untrusted or missing certificate, a peer not speaking TLS).
    #[error("TLS: {message}")]
    Tls {
        /// What went wrong.
        message: String,
    },
    /// An operation did not finish within its timeout.
    #[error("timed out after {after:?} while {context}")]
    Timeout {
        /// The timeout that expired.
        after: Duration,
        /// What was being done.
        context: String,
    },
    /// Any other network failure (Pyro5's `CommunicationError`), e.g. a rejected connection.
    #[error("communication error: {message}")]
    Communication {
        /// What went wrong.
        message: String,
        /// The underlying I/O error, if there was one.
        #[source]
        source: Option<std::io::Error>,
    },
    /// The daemon refused the connection at the handshake with CONNECTFAIL (Pyro5's
    /// `CommunicationError("connection to <location> rejected: <reason>")`): an unknown object,
    /// a handshake its validator refused, no free worker.
    #[error("communication error: connection to {location} rejected: {reason}")]
    ConnectionRejected {
        /// Where the daemon is, e.g. `"localhost:9090"`.
        location: String,
        /// The daemon's reason, e.g. `"unknown object"`.
        reason: String,
    },
    /// The bytes on the wire were not a valid Pyro5 message.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// A value could not be serialized or deserialized.
    #[error(transparent)]
    Serialize(#[from] SerializeError),
    /// A malformed `PYRO:`/`PYRONAME:`/`PYROMETA:` URI.
    #[error(transparent)]
    Uri(#[from] UriError),
    /// A bad configuration item.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A name could not be resolved or registered (Pyro5's `NamingError`).
    #[error("naming error: {message}")]
    Naming {
        /// What went wrong, e.g. `"unknown name: example.thing"`.
        message: String,
    },
    /// Something was refused for security reasons (Pyro5's `SecurityError`).
    #[error("security error: {message}")]
    Security {
        /// What was refused.
        message: String,
    },
    /// A daemon could not do what was asked (Pyro5's `DaemonError`), e.g. an unknown object id.
    #[error("daemon error: {message}")]
    Daemon {
        /// What went wrong, e.g. `"unknown object"`.
        message: String,
    },
    /// A batch call's result was asked for before the batch ran, or after it failed as a
    /// whole, or for a call that did not run because an earlier call of the batch failed.
    #[error("batch: {message}")]
    Batch {
        /// What went wrong.
        message: String,
    },
    /// The remote method raised an exception.
    #[error("remote {}", .0)]
    Remote(Box<RemoteError>),
}

impl Error {
    /// The fully qualified Python class a Pyro5 peer uses for this error.
    ///
    /// ```
    /// use pyro::Error;
    /// let e = Error::Naming { message: "unknown name: x".into() };
    /// assert_eq!(e.python_class(), "Pyro5.errors.NamingError");
    /// ```
    pub fn python_class(&self) -> &str {
        match self {
            Error::ConnectionClosed { .. } => "Pyro5.errors.ConnectionClosedError",
            Error::ConnectionRefused { .. }
            | Error::Communication { .. }
            | Error::ConnectionRejected { .. }
            | Error::Tls { .. } => "Pyro5.errors.CommunicationError",
            Error::Timeout { .. } => "Pyro5.errors.TimeoutError",
            Error::Protocol(_) => "Pyro5.errors.ProtocolError",
            Error::Serialize(_) => "Pyro5.errors.SerializeError",
            Error::Uri(_) | Error::Config(_) | Error::Batch { .. } => "Pyro5.errors.PyroError",
            Error::Naming { .. } => "Pyro5.errors.NamingError",
            Error::Security { .. } => "Pyro5.errors.SecurityError",
            Error::Daemon { .. } => "Pyro5.errors.DaemonError",
            Error::Remote(remote) => &remote.class,
        }
    }

    /// This error as the exception a Pyro5 peer receives: for a local error, its Pyro5 class
    /// with the message as the only argument; a remote error passes through unchanged.
    ///
    /// ```
    /// use pyro::Error;
    /// let e = Error::Daemon { message: "unknown object".into() };
    /// let exc = e.to_remote();
    /// assert_eq!(exc.class, "Pyro5.errors.DaemonError");
    /// assert_eq!(exc.message, "unknown object");
    /// ```
    pub fn to_remote(&self) -> RemoteError {
        match self {
            Error::Remote(remote) => (**remote).clone(),
            Error::ConnectionClosed { .. }
            | Error::ConnectionRefused { .. }
            | Error::Timeout { .. }
            | Error::Communication { .. }
            | Error::ConnectionRejected { .. }
            | Error::Tls { .. } => RemoteError::new(self.python_class(), vec![Value::Str(self.to_string())]),
            Error::Protocol(e) => RemoteError::new(self.python_class(), vec![Value::Str(e.to_string())]),
            Error::Serialize(e) => RemoteError::new(self.python_class(), vec![Value::Str(e.to_string())]),
            Error::Uri(e) => RemoteError::new(self.python_class(), vec![Value::Str(e.to_string())]),
            Error::Config(e) => RemoteError::new(self.python_class(), vec![Value::Str(e.to_string())]),
            Error::Naming { message }
            | Error::Security { message }
            | Error::Daemon { message }
            | Error::Batch { message } => RemoteError::new(self.python_class(), vec![Value::Str(message.clone())]),
        }
    }

    /// Whether this is a timeout: a local [`Error::Timeout`], or a `Pyro5.errors.TimeoutError`
    /// the remote side sent (e.g. a pyro daemon refusing a call whose
    /// [deadline](crate::deadline) passed before it ran).
    ///
    /// ```
    /// use std::time::Duration;
    /// use pyro::{Error, RemoteError};
    /// assert!(Error::Timeout { after: Duration::from_secs(1), context: "x".into() }.is_timeout());
    /// assert!(Error::from(RemoteError::new("Pyro5.errors.TimeoutError", vec![])).is_timeout());
    /// assert!(!Error::Naming { message: "x".into() }.is_timeout());
    /// ```
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Remote(remote) => remote.class == "Pyro5.errors.TimeoutError",
            _ => false,
        }
    }

    /// The remote exception, if this error was raised remotely.
    ///
    /// ```
    /// use pyro::{Error, RemoteError};
    /// let e = Error::from(RemoteError::new("builtins.KeyError", vec!["k".into()]));
    /// assert_eq!(e.remote().map(|r| r.class.as_str()), Some("builtins.KeyError"));
    /// ```
    pub fn remote(&self) -> Option<&RemoteError> {
        match self {
            Error::Remote(remote) => Some(remote),
            _ => None,
        }
    }
}

impl From<RemoteError> for Error {
    fn from(remote: RemoteError) -> Error {
        Error::Remote(Box::new(remote))
    }
}

/// An exception raised by a remote object, as Pyro5 transfers it: the Python class name, the
/// constructor args, the extra attributes, and the remote traceback lines.
///
/// It converts to and from Pyro5's exception dict
/// (`{"__class__": ..., "__exception__": true, "args": [...], "attributes": {"_pyroTraceback": [...]}}`)
/// with [`RemoteError::to_value`] and [`RemoteError::from_value`].
///
/// ```
/// use pyro::RemoteError;
///
/// let err = RemoteError::new("builtins.ValueError", vec!["oops".into(), 42.into()])
///     .with_traceback(vec!["Traceback (most recent call last):\n".into(), "ValueError: ('oops', 42)\n".into()]);
/// assert_eq!(err.message, "('oops', 42)");
/// let back = RemoteError::from_value(&err.to_value()).unwrap();
/// assert_eq!(back, err);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteError {
    /// Fully qualified class name, e.g. `builtins.ValueError` or `Pyro5.errors.NamingError`.
    pub class: String,
    /// The exception's `args`.
    pub args: Vec<Value>,
    /// `str(exception)` as Python computes it from `args`.
    pub message: String,
    /// The remote traceback lines (`_pyroTraceback`), each ending in a newline; empty if none was sent.
    pub traceback: Vec<String>,
    /// Other attributes of the exception (everything in `attributes` except `_pyroTraceback`).
    pub attributes: Dict,
}

/// The attribute under which Pyro5 carries the remote traceback.
pub const TRACEBACK_ATTRIBUTE: &str = "_pyroTraceback";

impl RemoteError {
    /// An exception of class `class` with constructor arguments `args`; its message is computed
    /// as Python's `str(exc)` would.
    ///
    /// ```
    /// let e = pyro::RemoteError::new("builtins.RuntimeError", vec!["boom".into()]);
    /// assert_eq!(e.message, "boom");
    /// ```
    pub fn new(class: impl Into<String>, args: Vec<Value>) -> RemoteError {
        let message = python_exception_str(&args);
        RemoteError { class: class.into(), args, message, traceback: Vec::new(), attributes: Dict::new() }
    }

    /// Sets the remote traceback lines.
    ///
    /// ```
    /// let e = pyro::RemoteError::new("builtins.RuntimeError", vec![]).with_traceback(vec!["line\n".into()]);
    /// assert_eq!(e.traceback.len(), 1);
    /// ```
    pub fn with_traceback(mut self, traceback: Vec<String>) -> RemoteError {
        self.traceback = traceback;
        self
    }

    /// The class name without its module (`ValueError` for `builtins.ValueError`).
    ///
    /// ```
    /// let e = pyro::RemoteError::new("Pyro5.errors.NamingError", vec![]);
    /// assert_eq!(e.short_class(), "NamingError");
    /// ```
    pub fn short_class(&self) -> &str {
        self.class.rsplit('.').next().unwrap_or(&self.class)
    }

    /// The remote traceback as one text, the way Pyro5's `get_pyro_traceback` shows it.
    ///
    /// ```
    /// let e = pyro::RemoteError::new("builtins.RuntimeError", vec![]).with_traceback(vec!["a\n".into(), "b\n".into()]);
    /// assert_eq!(e.traceback_text(), "a\nb\n");
    /// ```
    pub fn traceback_text(&self) -> String {
        self.traceback.concat()
    }

    /// Pyro5's exception dict for this error.
    ///
    /// ```
    /// let v = pyro::RemoteError::new("builtins.ValueError", vec![]).to_value();
    /// assert_eq!(v.as_dict().and_then(|d| d.get("__class__")).and_then(|c| c.as_str()), Some("builtins.ValueError"));
    /// ```
    pub fn to_value(&self) -> Value {
        let mut attributes = Dict::with_capacity(self.attributes.len() + 1);
        let traceback = if self.traceback.is_empty() {
            Value::None
        } else {
            Value::List(self.traceback.iter().map(|line| Value::Str(line.clone())).collect())
        };
        attributes.insert(TRACEBACK_ATTRIBUTE, traceback);
        for (k, v) in self.attributes.iter() {
            attributes.insert(k.clone(), v.clone());
        }
        let mut dict = Dict::with_capacity(4);
        dict.insert("__class__", self.class.as_str());
        dict.insert("__exception__", true);
        dict.insert("args", Value::List(self.args.clone()));
        dict.insert("attributes", attributes);
        Value::Dict(dict)
    }

    /// Reads Pyro5's exception dict. Accepts what any Pyro5 serializer produces: `args` as list
    /// or tuple, `attributes` missing or null, `_pyroTraceback` missing, null, a list or a string.
    ///
    /// Unlike a Python client, this accepts any class name (Pyro5 refuses names containing `__`,
    /// such as `__main__.MyError`, because it would instantiate the class): here the class is
    /// only a string, so nothing is lost by keeping it.
    ///
    /// ```
    /// use pyro::{value::{Dict, Value}, RemoteError};
    /// let mut d = Dict::new();
    /// d.insert("__class__", "builtins.KeyError");
    /// d.insert("__exception__", true);
    /// d.insert("args", Value::List(vec!["k".into()]));
    /// let e = RemoteError::from_value(&Value::Dict(d)).unwrap();
    /// assert_eq!(e.short_class(), "KeyError");
    /// ```
    pub fn from_value(value: &Value) -> Result<RemoteError, SerializeError> {
        let not_exception = || SerializeError::Invalid {
            what: "exception",
            reason: format!("expected an exception dict with a __class__, got {}", value.type_name()),
        };
        let dict = value.as_dict().ok_or_else(not_exception)?;
        let class = dict.get("__class__").and_then(Value::as_str).ok_or_else(not_exception)?;
        let args = match dict.get("args") {
            None | Some(Value::None) => Vec::new(),
            Some(args) => args
                .as_seq()
                .ok_or_else(|| SerializeError::Invalid {
                    what: "exception",
                    reason: format!("args must be a sequence, got {}", args.type_name()),
                })?
                .to_vec(),
        };
        let mut error = RemoteError::new(class, args);
        if let Some(Value::Dict(attributes)) = dict.get("attributes") {
            for (k, v) in attributes.iter() {
                if k.as_str() == Some(TRACEBACK_ATTRIBUTE) {
                    error.traceback = match v {
                        Value::Str(text) => vec![text.clone()],
                        other => other
                            .as_seq()
                            .unwrap_or_default()
                            .iter()
                            .map(|line| line.as_str().map_or_else(|| line.to_string(), str::to_owned))
                            .collect(),
                    };
                } else {
                    error.attributes.insert(k.clone(), v.clone());
                }
            }
        }
        Ok(error)
    }
}

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.class)
        } else {
            write!(f, "{}: {}", self.class, self.message)
        }
    }
}

impl std::error::Error for RemoteError {}

/// Python's `str(BaseException(*args))`: empty for no args, `str(arg)` for one, `repr(args)` otherwise.
fn python_exception_str(args: &[Value]) -> String {
    match args {
        [] => String::new(),
        [Value::Str(s)] => s.clone(),
        [one] => one.to_string(),
        many => Value::Tuple(many.to_vec()).to_string(),
    }
}

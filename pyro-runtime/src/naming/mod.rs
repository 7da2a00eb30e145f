//! The name server client: [`NameServerProxy`], [`locate_ns`] and the resolution of
//! `PYRONAME:`/`PYROMETA:` URIs ([`resolve`]).
//!
//! A name server maps names such as `example.greeting` to `PYRO:` URIs, with optional metadata
//! tags per name. [`locate_ns`] finds one the way Pyro5 does (a direct connection to a local
//! `NS_HOST`, then a UDP broadcast, then `NS_HOST` again), and [`NameServerProxy`] calls its
//! remote API (`lookup`, `register`, `list`, `yplookup`, `remove`, `set_metadata`, `count`,
//! `ping`) with exactly the calls a Pyro5 client sends, so it works with a Python name server as
//! with pyro's own.
//!
//! ```no_run
//! use std::collections::BTreeSet;
//! use pyro::{naming, proxy::Proxy, Uri};
//!
//! let ns = naming::locate_ns(Some("localhost"), Some(9090))?;
//! let uri: Uri = "PYRO:obj_123@localhost:51234".parse()?;
//! let tags = BTreeSet::from(["kind:greeter".to_string()]);
//! ns.register("example.greeting", &uri, false, Some(&tags))?;
//! assert_eq!(ns.lookup("example.greeting")?, uri);
//!
//! // A proxy for a name looks it up whenever it connects.
//! let greeter = Proxy::from_uri_str("PYRONAME:example.greeting@localhost:9090")?;
//! let text: String = greeter.call("greet", &("bob",))?;
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! # Naming errors
//!
//! A `Pyro5.errors.NamingError` raised by the name server (an unknown name, a name already
//! registered with `safe`, an invalid regex) arrives from the [`NameServerProxy`] methods as
//! [`Error::Naming`](crate::Error::Naming), the same variant as the local naming failures
//! ("Failed to locate the nameserver", no registration with the wanted metadata); the remote
//! traceback is dropped. Either way [`Error::python_class`](crate::Error::python_class) is
//! `"Pyro5.errors.NamingError"`, so both of these tests work:
//!
//! ```no_run
//! # let ns = pyro::naming::locate_ns(None, None)?;
//! match ns.lookup("no.such.name") {
//!     Err(pyro::Error::Naming { message }) => assert_eq!(message, "unknown name: no.such.name"),
//!     other => panic!("{other:?}"),
//! }
//! let err = ns.lookup("no.such.name").unwrap_err();
//! assert_eq!(err.python_class(), "Pyro5.errors.NamingError");
//! # Ok::<(), pyro::Error>(())
//! ```
//!
//! Other exceptions of the name server (`ValueError` for `prefix` and `regex` together,
//! `TypeError`) stay [`Error::Remote`](crate::Error::Remote).

pub(crate) mod client;
pub(crate) mod decode;
pub(crate) mod locate;
pub(crate) mod resolve;

pub use client::NameServerProxy;
pub use locate::{locate_ns, locate_ns_with_config};
pub use resolve::{resolve, resolve_with_config};

/// The object id of the name server in its daemon (Pyro5's `core.NAMESERVER_NAME`).
///
/// ```
/// assert_eq!(pyro::naming::NAMESERVER_NAME, "Pyro.NameServer");
/// ```
pub const NAMESERVER_NAME: &str = "Pyro.NameServer";

/// The datagram a client broadcasts to find a name server; the broadcast responder answers with
/// the name server's URI text.
///
/// ```
/// assert_eq!(pyro::naming::BROADCAST_REQUEST, b"GET_NSURI");
/// ```
pub const BROADCAST_REQUEST: &[u8] = b"GET_NSURI";

/// The Python class of the name server's naming errors.
pub(crate) const NAMING_ERROR_CLASS: &str = "Pyro5.errors.NamingError";

//! The name server client: [`NameServerProxy`], [`locate_ns`] and the resolution of
//! `PYRONAME:`/`PYROMETA:` URIs ([`resolve`]), going on to the next name server when one is
//! gone ([failover](#several-name-servers-failover)).
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
//!
//! # Several name servers: failover
//!
//! Name servers that share one name space (`pyro-ns` instances on one SQLite file, or on a
//! shared store) can stand in for each other, and pyro's clients go on to the next one when
//! one is gone. This is a pyro extension: Pyro5's clients ask one name server, and Python
//! programs are not affected by it.
//!
//! - **Where:** the list [`Config::ns_locations`](crate::Config::ns_locations) (`NS_LOCATIONS`,
//!   from the environment `PYRO5_NS_LOCATIONS=ns1:9090,ns2:9090,[::1]:9090`; `./u:<path>` for a
//!   Unix socket), tried in order in place of `NS_HOST`/`NS_PORT`, then the broadcast as
//!   usual (unless `PREFER_IP_VERSION` is 6); or the name servers answering a broadcast, first
//!   answer first (later answers wait in the socket until needed, and each name server counts
//!   once however often it answers). [`locate_ns_any`] tries a list given in code, and only it.
//! - **Who:** [`locate_ns`] without a host, [`resolve`] and so every `PYRONAME:`/`PYROMETA:`
//!   proxy without a location in its URI, which resolves again, with failover, whenever it
//!   opens a connection (after its daemon moved, say). A host given to [`locate_ns`] or in the
//!   URI (`PYRONAME:name@host:port`) keeps Pyro5's meaning: that name server only. The async
//!   API does exactly the same ([`aio::locate_ns`](crate::aio::locate_ns),
//!   [`aio::locate_ns_any`](crate::aio::locate_ns_any),
//!   [`aio::resolve_with_config`](crate::aio::resolve_with_config) and async `PYRONAME:`
//!   proxies walk the same plan, with the same rules, memory and errors; feature `tokio`).
//! - **When:** a name server that cannot be reached is skipped: the connection is refused,
//!   times out (`COMMTIMEOUT` bounds each attempt; without it an unresponsive host can make the
//!   client wait as long as the operating system lets a connection attempt run), is closed,
//!   also in the middle of the lookup, or is rejected at the handshake. An answer ends the
//!   search, also a negative one: an unknown name is [`Error::Naming`](crate::Error::Naming) as always, without asking
//!   the next name server (they share the name space).
//! - **Memory:** the location that answered is remembered for its list, for the whole process
//!   (up to 16 lists): the next search starts there, so a name server that is down costs one
//!   failed attempt, not one per lookup.
//! - **Failure:** when none is left, [`Error::Naming`](crate::Error::Naming) says `Failed to locate the nameserver at
//!   <uri>: <cause>; at <uri>: <cause>...`, one entry per name server tried, plus `no answer to
//!   the broadcast to <targets>` when a broadcast heard nothing.
//!
//! ```no_run
//! use pyro::{config::parse_ns_locations, proxy::Proxy, Config};
//!
//! let config = Config::default().with_ns_locations(parse_ns_locations("ns1:9090,ns2:9090")?);
//! // Resolved through ns1, or through ns2 while ns1 is down.
//! let greeter = Proxy::with_config("PYRONAME:example.greeting".parse()?, &config);
//! let text: String = greeter.call("greet", &("bob",))?;
//! # Ok::<(), pyro::Error>(())
//! ```

pub(crate) mod broadcast;
pub(crate) mod calls;
pub(crate) mod client;
pub(crate) mod decode;
pub(crate) mod failover;
mod locate;
pub(crate) mod resolve;

pub use client::NameServerProxy;
pub use locate::{locate_ns, locate_ns_any, locate_ns_any_with_config, locate_ns_with_config};
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
const NAMING_ERROR_CLASS: &str = "Pyro5.errors.NamingError";

//! # pyro-ns
//!
//! The pyro name server: a Pyro5-compatible naming service. Python's `Pyro5.api.locate_ns()`,
//! `PYRONAME:`/`PYROMETA:` proxies and `pyro5-nsc` work against it unchanged, and so do Rust
//! clients.
//!
//! ```
//! use pyro::proxy::Proxy;
//! use pyro::value::Dict;
//! use pyro::Value;
//! use pyro_ns::NameServerBuilder;
//!
//! // Port 0: any free port (the default is Pyro5's 9090).
//! let ns = NameServerBuilder::new().host("127.0.0.1").port(0).start()?;
//!
//! // A client registers an object and another looks it up, by its Pyro5 method names.
//! let client = Proxy::new(ns.uri().clone());
//! let metadata: Dict = [("metadata", Value::List(vec!["printer".into()]))].into_iter().collect();
//! client.call_with_kwargs::<_, _, ()>("register", &("office.printer", "PYRO:printer@10.0.0.7:4444"), &metadata)?;
//! let found: pyro_ns::Lookup = client.call("lookup", &("office.printer",))?;
//! assert_eq!(found.uri().to_string(), "PYRO:printer@10.0.0.7:4444");
//! let printers: pyro_ns::Listing = client.call("yplookup", &(["printer"],))?;
//! assert_eq!(printers["office.printer"].metadata(), ["printer"]);
//!
//! ns.shutdown()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## What is in here
//!
//! - [`NameServer`]: the `Pyro.NameServer` object, exposed with `#[pyro::expose]`, with Pyro5's
//!   remote API: `register`, `lookup`, `list`, `yplookup`, `remove`, `set_metadata`, `count`,
//!   `ping`: same parameter names and defaults, same results, same exceptions
//!   (`NamingError`, `ValueError`, `TypeError`, `PyroError`; see [`NameServerError`]).
//!   The macro also generates `RawNameServerProxy`, a typed client mirroring the remote API exactly
//!   (Python-style parameters); most Rust code wants the idiomatic `pyro::naming::NameServerProxy`.
//! - [`storage`]: in-memory ([`MemoryStorage`](storage::MemoryStorage)), SQLite
//!   ([`SqlStorage`](storage::SqlStorage), Pyro5's schema: the two name servers share database
//!   files) or etcd ([`EtcdStorage`](storage::EtcdStorage): one name space shared by several
//!   name servers, surviving the loss of a machine; consistency and expiry documented there),
//!   chosen by a [`StorageSpec`] (`memory`, `sql:FILE`, `etcd:HOST:PORT,...[/PREFIX]`).
//! - [`broadcast`]: the UDP responder that answers `GET_NSURI` discovery broadcasts.
//! - [`AutoClean`]/[`AutoCleaner`]: Pyro5's `NS_AUTOCLEAN`, removing registrations whose
//!   server is gone.
//! - [`NameServerBuilder`]: `pyro5-ns`'s options; [`NameServerDaemon`] and
//!   [`RunningNameServer`] to serve on the current or a background thread.
//!
//! ## Differences from Pyro5
//!
//! Deliberate, where Pyro5 has bugs or where Rust's tools differ:
//! - Metadata travels as a set where the serializer has sets (serpent, marshal) and as a list
//!   over json and msgpack: Pyro5 5.17 keeps an empty `frozenset` for entries registered
//!   without metadata, which its json and msgpack cannot send, so its
//!   `list(return_metadata=True)` fails over those serializers. Here it works. Over marshal,
//!   Pyro5 cannot answer `lookup(name, return_metadata=True)` at all (the `URI` inside the
//!   answer's tuple is unmarshallable); here it answers.
//! - Metadata tags must be strings (`TypeError` otherwise; Pyro5 stores any hashable).
//! - `list` and `yplookup` results are sorted by name (Python returns them in storage order).
//! - Regular expressions use the `regex` crate's syntax, with `re.match`'s anchoring; see
//!   [`NameRegex`](storage::NameRegex) for the differences (no backreferences or look-around).
//!   Patterns are bounded: at most [`MAX_REGEX_LEN`](storage::MAX_REGEX_LEN) bytes, and a
//!   size limit on the compiled pattern and its matching memory (`NamingError` past them).
//! - The name server's own registration (`Pyro.NameServer`) cannot be re-registered for another
//!   uri (a `NamingError`); Pyro5 allows it, letting any client redirect everyone's lookups.
//! - The SQLite prefix search is an exact, case-sensitive prefix (Pyro5's `LIKE` treats `_`
//!   and `%` as wildcards and ignores ASCII case); `yplookup(meta_all=...)` with repeated
//!   tags works.
//! - Arguments of the wrong type are `TypeError`s, with Python's messages where the name server
//!   checks them itself and the binding layer's messages elsewhere.

mod args;
mod autoclean;
pub mod broadcast;
mod error;
mod nameserver;
mod startup;
pub mod storage;

pub use args::Truthy;
pub use autoclean::{AutoClean, AutoCleaner};
pub use error::{NameServerError, StartError, StorageError};
pub use nameserver::{Listed, Listing, Lookup, NAMESERVER_METADATA, NAMESERVER_NAME, NameServer, RawNameServerProxy};
pub use startup::{BroadcastStatus, NameServerBuilder, NameServerDaemon, RunningNameServer};
pub use storage::StorageSpec;

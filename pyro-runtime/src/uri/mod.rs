//! Pyro URIs: `PYRO:obj@host:port`, `PYRONAME:name[@host[:port]]` and `PYROMETA:tag1,tag2[@host[:port]]`.
//!
//! A [`Uri`] is a [`Protocol`], an object part and an optional [`Location`]:
//!
//! | text | protocol | object | location |
//! |---|---|---|---|
//! | `PYRO:obj@host:4444` | `Pyro` | `obj` | `Tcp { host: "host", port: 4444 }` |
//! | `PYRO:obj@[::1]:4444` | `Pyro` | `obj` | `Tcp { host: "::1", port: 4444 }` |
//! | `PYRO:obj@./u:/tmp/sock` | `Pyro` | `obj` | `Unix { path: "/tmp/sock" }` |
//! | `PYRONAME:thing` | `PyroName` | `thing` | none: find the name server by broadcast |
//! | `PYRONAME:thing@nshost` | `PyroName` | `thing` | `Tcp { host: "nshost", port: 9090 }` |
//! | `PYROMETA:a,b@nshost:9090` | `PyroMeta` | `a,b` (tags `{a, b}`) | `Tcp { host: "nshost", port: 9090 }` |
//!
//! Parsing ([`str::parse`]) mirrors Pyro5's `URI.__init__` and `URI._parseLocation` exactly, odd
//! cases included (`PYRO:a@b@c:1` is object `a` on host `b@c`; `PYRO:obj@::1:4444` has an invalid
//! port; the protocol is case-insensitive), and [`Display`](std::fmt::Display) writes what
//! Python's `str(uri)` writes. The fields are private so that every `Uri` is one Python could hold:
//! the constructors check what the parser checks. [`Uri::state`] gives Python's five-field state
//! `(protocol, object, sockname, host, port)`, which is also what travels on the wire (`serde`).
//!
//! Deliberate differences from Pyro5 (which accepts these texts but can never connect with them):
//! a port must be in `0..=65535` ([`UriError::PortOutOfRange`]), and a port written with
//! non-ASCII digits (Python's `int()` reads `'٤٤'` as 44) is rejected. PYROMETA tags are kept
//! sorted, where Python prints them in its set's arbitrary order.
//!
//! ```
//! use pyro::uri::{Location, Protocol, Uri};
//!
//! let uri: Uri = "pyro:thing@[::1]:4444".parse().unwrap();
//! assert_eq!(uri.protocol(), Protocol::Pyro);
//! assert_eq!(uri.object(), "thing");
//! assert_eq!(uri.location(), Some(&Location::tcp("::1", 4444)));
//! assert_eq!(uri.to_string(), "PYRO:thing@[::1]:4444");
//! assert_eq!(uri, Uri::pyro("thing", "::1", 4444).unwrap());
//! ```

mod parse;
mod state;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::config::pytext;

/// The name server's default TCP port (Pyro5's `NS_PORT`), used by `PYRONAME:name@host` and
/// `PYROMETA:tags@host` URIs that give no port.
///
/// ```
/// let uri: pyro::Uri = "PYRONAME:thing@nshost".parse().unwrap();
/// assert_eq!(uri.port(), Some(pyro::uri::DEFAULT_NS_PORT));
/// ```
pub const DEFAULT_NS_PORT: u16 = 9090;

/// The kind of a URI: the text before the first `:`.
///
/// ```
/// use pyro::uri::Protocol;
/// assert_eq!("pyroname".parse::<Protocol>().unwrap(), Protocol::PyroName);
/// assert_eq!(Protocol::PyroMeta.to_string(), "PYROMETA");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// `PYRO:` a direct reference to an object in a daemon.
    Pyro,
    /// `PYRONAME:` a name to look up in the name server.
    PyroName,
    /// `PYROMETA:` metadata tags to look up in the name server.
    PyroMeta,
}

impl Protocol {
    /// The protocol as Pyro5 writes it: `"PYRO"`, `"PYRONAME"` or `"PYROMETA"`.
    ///
    /// ```
    /// assert_eq!(pyro::uri::Protocol::Pyro.as_str(), "PYRO");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Pyro => "PYRO",
            Protocol::PyroName => "PYRONAME",
            Protocol::PyroMeta => "PYROMETA",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Protocol {
    type Err = UriError;

    /// Case-insensitive, as Pyro5 uppercases the protocol.
    fn from_str(text: &str) -> Result<Protocol, UriError> {
        match text.to_ascii_uppercase().as_str() {
            "PYRO" => Ok(Protocol::Pyro),
            "PYRONAME" => Ok(Protocol::PyroName),
            "PYROMETA" => Ok(Protocol::PyroMeta),
            _ => Err(UriError::InvalidProtocol { protocol: text.to_owned() }),
        }
    }
}

/// Where a daemon (or, for `PYRONAME`/`PYROMETA`, the name server) listens.
///
/// Its `Display` is Pyro5's `uri.location`: `host:port`, `[host]:port` when the host contains a
/// `:` (IPv6), or `./u:path` for a Unix domain socket.
///
/// ```
/// use pyro::uri::Location;
/// assert_eq!(Location::tcp("::1", 9090).to_string(), "[::1]:9090");
/// assert_eq!(Location::unix("/tmp/ns.sock").to_string(), "./u:/tmp/ns.sock");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    /// A TCP socket. The host is a name or address, IPv6 without brackets (`::1`, `fe80::1%25`).
    Tcp {
        /// Host name or address.
        host: String,
        /// TCP port.
        port: u16,
    },
    /// A Unix domain socket; a path starting with NUL (`"\0name"`) is in Linux's abstract namespace.
    Unix {
        /// The socket path (Pyro5's `sockname`).
        path: String,
    },
}

impl Location {
    /// A TCP location.
    ///
    /// ```
    /// let loc = pyro::uri::Location::tcp("localhost", 9090);
    /// assert_eq!(loc.to_string(), "localhost:9090");
    /// ```
    pub fn tcp(host: impl Into<String>, port: u16) -> Location {
        Location::Tcp { host: host.into(), port }
    }

    /// A Unix domain socket location.
    ///
    /// ```
    /// let loc = pyro::uri::Location::unix("\0abstract");
    /// assert_eq!(loc.to_string(), "./u:\0abstract");
    /// ```
    pub fn unix(path: impl Into<String>) -> Location {
        Location::Unix { path: path.into() }
    }

    /// Checks that the location's text form parses back to it (what Pyro5's parser can produce).
    fn check(&self) -> Result<(), UriError> {
        match self {
            Location::Unix { path } => parse::check_socket_path(path),
            Location::Tcp { host, .. } => check_host(host),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Location::Tcp { host, port } => write!(f, "{host}:{port}"),
            Location::Unix { path } => write!(f, "./u:{path}"),
        }
    }
}

/// A Pyro URI. See the [module documentation](self) for the forms and how they map.
///
/// Equality and hashing compare protocol, object (or tags) and location, as Pyro5 compares
/// `URI.__getstate__()`.
///
/// ```
/// use pyro::uri::{Protocol, Uri};
///
/// let ns: Uri = "PYRONAME:example.greeting".parse().unwrap();
/// assert_eq!((ns.protocol(), ns.object(), ns.location()), (Protocol::PyroName, "example.greeting", None));
///
/// let meta: Uri = "PYROMETA:b,a@nshost".parse().unwrap();
/// assert_eq!(meta.to_string(), "PYROMETA:a,b@nshost:9090");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Uri {
    protocol: Protocol,
    /// The object id or name; for PYROMETA the sorted tags joined by `,`.
    object: String,
    /// The tags of a PYROMETA uri (empty for the others).
    tags: BTreeSet<String>,
    location: Option<Location>,
}

impl Uri {
    /// `PYRO:object@host:port`, a direct reference to an object of a daemon listening on TCP.
    ///
    /// ```
    /// let uri = pyro::Uri::pyro("thing", "localhost", 4444).unwrap();
    /// assert_eq!(uri.to_string(), "PYRO:thing@localhost:4444");
    /// assert!(pyro::Uri::pyro("my thing", "localhost", 4444).is_err());
    /// ```
    pub fn pyro(object: impl Into<String>, host: impl Into<String>, port: u16) -> Result<Uri, UriError> {
        Uri::pyro_at(object, Location::tcp(host, port))
    }

    /// `PYRO:object@./u:path`, a direct reference to an object of a daemon on a Unix domain socket.
    ///
    /// ```
    /// let uri = pyro::Uri::pyro_unix("thing", "/tmp/pyro.sock").unwrap();
    /// assert_eq!(uri.to_string(), "PYRO:thing@./u:/tmp/pyro.sock");
    /// assert!(pyro::Uri::pyro_unix("thing", "").is_err());
    /// ```
    pub fn pyro_unix(object: impl Into<String>, path: impl Into<String>) -> Result<Uri, UriError> {
        Uri::pyro_at(object, Location::unix(path))
    }

    /// `PYRO:object@location`.
    ///
    /// ```
    /// use pyro::uri::{Location, Uri};
    /// let uri = Uri::pyro_at("Pyro.NameServer", Location::tcp("::1", 9090)).unwrap();
    /// assert_eq!(uri.to_string(), "PYRO:Pyro.NameServer@[::1]:9090");
    /// ```
    pub fn pyro_at(object: impl Into<String>, location: Location) -> Result<Uri, UriError> {
        Uri::new(Protocol::Pyro, object, Some(location))
    }

    /// `PYRONAME:name`: a name that the name server found by broadcast resolves.
    ///
    /// ```
    /// let uri = pyro::Uri::name("example.thing").unwrap();
    /// assert_eq!(uri.to_string(), "PYRONAME:example.thing");
    /// ```
    pub fn name(name: impl Into<String>) -> Result<Uri, UriError> {
        Uri::new(Protocol::PyroName, name, None)
    }

    /// `PYRONAME:name@location`: a name that the name server at `location` resolves.
    ///
    /// ```
    /// use pyro::uri::{Location, Uri};
    /// let uri = Uri::name_at("example.thing", Location::tcp("nshost", 9090)).unwrap();
    /// assert_eq!(uri.to_string(), "PYRONAME:example.thing@nshost:9090");
    /// ```
    pub fn name_at(name: impl Into<String>, location: Location) -> Result<Uri, UriError> {
        Uri::new(Protocol::PyroName, name, Some(location))
    }

    /// `PYROMETA:tag1,tag2`: any object registered with all these metadata tags, from the name
    /// server found by broadcast. Tags may not be empty sets, contain `,` or whitespace.
    ///
    /// ```
    /// let uri = pyro::Uri::meta(["class:printer", "color"]).unwrap();
    /// assert_eq!(uri.to_string(), "PYROMETA:class:printer,color");
    /// assert!(pyro::Uri::meta(Vec::<String>::new()).is_err());
    /// ```
    pub fn meta<T: Into<String>>(tags: impl IntoIterator<Item = T>) -> Result<Uri, UriError> {
        Uri::meta_with(tags.into_iter().map(Into::into).collect(), None)
    }

    /// `PYROMETA:tag1,tag2@location`.
    ///
    /// ```
    /// use pyro::uri::{Location, Uri};
    /// let uri = Uri::meta_at(["b", "a"], Location::tcp("nshost", 9090)).unwrap();
    /// assert_eq!(uri.to_string(), "PYROMETA:a,b@nshost:9090");
    /// ```
    pub fn meta_at<T: Into<String>>(tags: impl IntoIterator<Item = T>, location: Location) -> Result<Uri, UriError> {
        Uri::meta_with(tags.into_iter().map(Into::into).collect(), Some(location))
    }

    fn meta_with(tags: BTreeSet<String>, location: Option<Location>) -> Result<Uri, UriError> {
        if tags.is_empty() {
            return Err(UriError::EmptyObject);
        }
        for tag in &tags {
            if tag.contains(',') || tag.contains(pytext::is_space) {
                return Err(UriError::InvalidTag { tag: tag.clone() });
            }
        }
        if let Some(location) = &location {
            location.check()?;
        }
        Ok(Uri::meta_unchecked(tags, location))
    }

    /// A `PYRO` or `PYRONAME` uri (for `PYROMETA` the object is split into tags at `,`).
    /// `PYRO` needs a location.
    ///
    /// ```
    /// use pyro::uri::{Protocol, Uri};
    /// let uri = Uri::new(Protocol::PyroName, "thing", None).unwrap();
    /// assert_eq!(uri.to_string(), "PYRONAME:thing");
    /// assert!(Uri::new(Protocol::Pyro, "thing", None).is_err());
    /// ```
    pub fn new(protocol: Protocol, object: impl Into<String>, location: Option<Location>) -> Result<Uri, UriError> {
        let object = object.into();
        if protocol == Protocol::PyroMeta {
            return Uri::meta_with(object.split(',').map(str::to_owned).collect(), location);
        }
        if object.is_empty() {
            return Err(UriError::EmptyObject);
        }
        if object.contains(pytext::is_space) {
            return Err(UriError::WhitespaceInObject { object });
        }
        match &location {
            Some(location) => location.check()?,
            None if protocol == Protocol::Pyro => return Err(UriError::MissingLocation),
            None => {}
        }
        Ok(Uri { protocol, object, tags: BTreeSet::new(), location })
    }

    fn meta_unchecked(tags: BTreeSet<String>, location: Option<Location>) -> Uri {
        let object = tags.iter().map(String::as_str).collect::<Vec<_>>().join(",");
        Uri { protocol: Protocol::PyroMeta, object, tags, location }
    }

    /// Parses `text` like [`str::parse`], but with `ns_port` as the port of a `PYRONAME`/`PYROMETA`
    /// location that gives none (Pyro5 uses its `NS_PORT` setting there).
    ///
    /// ```
    /// let uri = pyro::Uri::parse_with_ns_port("PYRONAME:thing@nshost", 9999).unwrap();
    /// assert_eq!(uri.port(), Some(9999));
    /// ```
    pub fn parse_with_ns_port(text: &str, ns_port: u16) -> Result<Uri, UriError> {
        parse::parse(text, ns_port)
    }

    /// The protocol.
    ///
    /// ```
    /// use pyro::uri::{Protocol, Uri};
    /// assert_eq!("pyrometa:x".parse::<Uri>().unwrap().protocol(), Protocol::PyroMeta);
    /// ```
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The object part as [`Display`](fmt::Display) writes it: the object id (`PYRO`), the name
    /// (`PYRONAME`), or the sorted tags joined by `,` (`PYROMETA`).
    ///
    /// ```
    /// let uri: pyro::Uri = "PYRO:o:b:j@host:1".parse().unwrap();
    /// assert_eq!(uri.object(), "o:b:j");
    /// ```
    pub fn object(&self) -> &str {
        &self.object
    }

    /// The tags of a `PYROMETA` uri, sorted; `None` for the other protocols.
    ///
    /// ```
    /// let uri: pyro::Uri = "PYROMETA:b,a,b".parse().unwrap();
    /// let tags: Vec<&str> = uri.tags().unwrap().iter().map(String::as_str).collect();
    /// assert_eq!(tags, ["a", "b"]);
    /// ```
    pub fn tags(&self) -> Option<&BTreeSet<String>> {
        (self.protocol == Protocol::PyroMeta).then_some(&self.tags)
    }

    /// The location; always present for `PYRO`, `None` for a name server to find by broadcast.
    ///
    /// ```
    /// use pyro::uri::{Location, Uri};
    /// let uri: Uri = "PYRO:obj@./u:/tmp/s".parse().unwrap();
    /// assert_eq!(uri.location(), Some(&Location::unix("/tmp/s")));
    /// ```
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// The TCP host (Pyro5's `uri.host`), without IPv6 brackets.
    ///
    /// ```
    /// let uri: pyro::Uri = "PYRO:obj@[::1]:4444".parse().unwrap();
    /// assert_eq!(uri.host(), Some("::1"));
    /// ```
    pub fn host(&self) -> Option<&str> {
        match &self.location {
            Some(Location::Tcp { host, .. }) => Some(host),
            _ => None,
        }
    }

    /// The TCP port (Pyro5's `uri.port`).
    ///
    /// ```
    /// let uri: pyro::Uri = "PYRONAME:thing@nshost".parse().unwrap();
    /// assert_eq!(uri.port(), Some(9090));
    /// ```
    pub fn port(&self) -> Option<u16> {
        match &self.location {
            Some(Location::Tcp { port, .. }) => Some(*port),
            _ => None,
        }
    }

    /// The Unix domain socket path (Pyro5's `uri.sockname`).
    ///
    /// ```
    /// let uri: pyro::Uri = "PYRO:obj@./u:/tmp/s".parse().unwrap();
    /// assert_eq!(uri.sockname(), Some("/tmp/s"));
    /// ```
    pub fn sockname(&self) -> Option<&str> {
        match &self.location {
            Some(Location::Unix { path }) => Some(path),
            _ => None,
        }
    }

    /// The same uri with another object id or name (for `PYROMETA`, other comma-separated tags).
    ///
    /// ```
    /// let ns: pyro::Uri = "PYRO:Pyro.NameServer@host:9090".parse().unwrap();
    /// assert_eq!(ns.with_object("Pyro.Daemon").unwrap().to_string(), "PYRO:Pyro.Daemon@host:9090");
    /// ```
    pub fn with_object(&self, object: impl Into<String>) -> Result<Uri, UriError> {
        Uri::new(self.protocol, object, self.location.clone())
    }
}

impl fmt::Display for Uri {
    /// Python's `str(uri)`; like Pyro5, a location with an empty host is left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.protocol, self.object)?;
        match &self.location {
            Some(Location::Tcp { host, .. }) if host.is_empty() => Ok(()),
            Some(location) => write!(f, "@{location}"),
            None => Ok(()),
        }
    }
}

impl FromStr for Uri {
    type Err = UriError;

    /// Parses like Pyro5's `URI(text)`, with [`DEFAULT_NS_PORT`] for a name server location
    /// without port.
    fn from_str(text: &str) -> Result<Uri, UriError> {
        parse::parse(text, DEFAULT_NS_PORT)
    }
}

/// Checks that a TCP host written into a uri parses back to the same host.
fn check_host(host: &str) -> Result<(), UriError> {
    let invalid = |reason| Err(UriError::InvalidHost { host: host.to_owned(), reason });
    if host.contains('\n') {
        invalid("contains a line break")
    } else if host.starts_with('[') {
        invalid("write IPv6 addresses without brackets")
    } else if host == "./u" {
        invalid("would read as a unix socket location")
    } else if host.contains(':') && !parse::is_ipv6_text(host) {
        Err(UriError::InvalidIpv6 { address: host.to_owned() })
    } else {
        Ok(())
    }
}

/// A malformed Pyro URI (or URI state). Pyro5 raises `PyroError` for all of these; the messages
/// start like Pyro5's.
///
/// ```
/// use pyro::uri::{Uri, UriError};
/// let err = "PYRO:obj@::1:4444".parse::<Uri>().unwrap_err();
/// assert!(matches!(err, UriError::InvalidPort { .. }));
/// assert_eq!(err.to_string(), "invalid port in uri, port=:1:4444");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    /// The text does not start with `PYRO`, letters and `:` (Pyro5: "invalid uri").
    #[error("invalid uri: {uri:?} does not start with PYRO:, PYRONAME: or PYROMETA:")]
    NotAUri {
        /// The text.
        uri: String,
    },
    /// A protocol other than `PYRO`, `PYRONAME` and `PYROMETA`, e.g. `PYROX`.
    #[error("invalid uri (protocol): {protocol}")]
    InvalidProtocol {
        /// The protocol as written.
        protocol: String,
    },
    /// Nothing after the protocol (Pyro5: "invalid uri"); also a `PYROMETA` uri without tags.
    #[error("invalid uri: empty object id")]
    EmptyObject,
    /// The object id contains whitespace (Pyro5: "invalid uri").
    #[error("invalid uri: whitespace in object id {object:?}")]
    WhitespaceInObject {
        /// The object id, up to the first `@`.
        object: String,
    },
    /// A line break inside the location (Pyro5: "invalid uri").
    #[error("invalid uri: line break in the location of {uri:?}")]
    LineBreak {
        /// The text.
        uri: String,
    },
    /// A `PYRO` uri without `@location` (Pyro5: "invalid uri").
    #[error("invalid uri: a PYRO uri needs a location (PYRO:object@host:port)")]
    MissingLocation,
    /// A `PYRO` location without port.
    #[error("invalid port in uri, port=None")]
    MissingPort,
    /// A port that is not a number.
    #[error("invalid port in uri, port={port}")]
    InvalidPort {
        /// The port text.
        port: String,
    },
    /// A number outside `0..=65535` (Pyro5 accepts it, but cannot connect).
    #[error("invalid port in uri, port={port}: not in the range 0-65535")]
    PortOutOfRange {
        /// The port text.
        port: String,
    },
    /// `[[...` around an IPv6 address.
    #[error("invalid ipv6 address: enclosed in too many brackets")]
    Ipv6TooManyBrackets,
    /// Text between brackets that is not hex digits, `:` and `%` (e.g. `fe80::1%eth0`).
    #[error("invalid ipv6 address: the part between brackets must be a numeric ipv6 address, got {address:?}")]
    InvalidIpv6 {
        /// The location or host.
        address: String,
    },
    /// `./u:` with nothing after it.
    #[error("invalid uri (location): empty unix socket path")]
    EmptySocketPath,
    /// A unix socket path containing `:` (or, when built by hand, a line break).
    #[error("invalid uri (location): invalid unix socket path {path:?}")]
    InvalidSocketPath {
        /// The path.
        path: String,
    },
    /// A host that would not read back from the uri's text (built by hand or received as state).
    #[error("invalid uri host {host:?}: {reason}")]
    InvalidHost {
        /// The host.
        host: String,
        /// Why.
        reason: &'static str,
    },
    /// A `PYROMETA` tag containing `,` or whitespace.
    #[error("invalid uri: metadata tag {tag:?} contains ',' or whitespace")]
    InvalidTag {
        /// The tag.
        tag: String,
    },
    /// A `Pyro5.core.URI` state or value of the wrong shape.
    #[error("invalid uri state: {reason}")]
    InvalidState {
        /// What is wrong.
        reason: String,
    },
}

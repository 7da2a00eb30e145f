//! Configuration: Pyro5's 39 configuration items as a typed [`Config`], with Pyro5's defaults,
//! `PYRO_*` environment variables, and access by item name; plus pyro's own
//! [extension items](Config::EXTENSION_ITEMS), which Pyro5 does not have.
//!
//! Each field's documentation starts with the Pyro5 item it stands for. Where Pyro5 uses `0`
//! for "none" (no timeout, no autoclean, unlimited lifetime) the field is an
//! `Option<Duration>`; text items that Pyro5 leaves empty or `None` until set are `Option`s, and
//! an empty value means `None` (Pyro5 tests them for truth, so it treats `""` as unset too).
//!
//! Values are checked when they are set, where Pyro5 takes any text and fails later when it uses
//! it: `SERVERTYPE`, `PREFER_IP_VERSION` and `SERIALIZER` must name a known choice, numbers must
//! fit their field (ports `0..=65535`, counts not negative), durations must be finite and not
//! negative (Pyro5 accepts `inf`).
//!
//! No setting is silently ignored: a daemon (the name server included) refuses to start with
//! one pyro cannot honour yet, naming it: `DETAILED_TRACEBACK=true`, `SOCK_REUSE=false`, and
//! `SERVERTYPE=multiplex` outside Unix (see [`Config::check_supported`]). `LOGLEVEL`, `LOGFILE`
//! and `LOGWIRE` are honoured as Pyro5 does (see [`logging`](crate::logging)).
//!
//! # Extension items
//!
//! pyro's own items are set and read by name like Pyro5's, but from the environment as
//! `PYRO5_<ITEM>`: Python's Pyro5 refuses to import in an environment with a `PYRO_` variable it
//! does not know, so `PYRO_<ITEM>` would break every Python program started there (pyro refuses
//! it too, naming the variable to set instead). The only one so far is `NS_LOCATIONS`
//! ([`Config::ns_locations`]): the name servers a client tries in turn, in place of
//! `NS_HOST`/`NS_PORT`, e.g. `PYRO5_NS_LOCATIONS=ns1:9090,ns2:9090,[::1]:9090` (see
//! [failover](crate::naming#several-name-servers-failover)).
//!
//! ```
//! use std::time::Duration;
//! use pyro::Config;
//!
//! let mut config = Config::default();
//! assert_eq!(config.ns_port, 9090);
//! config.apply_vars([("PYRO_COMMTIMEOUT", "2.5"), ("PYRO_COMPRESSION", "on"), ("HOME", "/root")]).unwrap();
//! assert_eq!(config.comm_timeout, Some(Duration::from_millis(2500)));
//! assert!(config.compression);
//! assert_eq!(config.get("COMMTIMEOUT").as_deref(), Some("2.5"));
//! assert!(config.apply_vars([("PYRO_NO_SUCH_ITEM", "1")]).is_err());
//! ```

mod error;
mod ip_version;
mod items;
mod key_password;
mod ns_locations;
pub(crate) mod pytext;
mod server_type;
#[cfg(test)]
mod tests;

use std::path::PathBuf;
use std::time::Duration;

use crate::serializer::Serializer;
use crate::uri::Location;

pub use error::ConfigError;
pub use ip_version::IpVersion;
pub use key_password::KeyPassword;
pub use ns_locations::parse_ns_locations;
pub use server_type::ServerType;

/// All of Pyro5's configuration settings (`Pyro5.config`), with Pyro5's defaults.
///
/// The one default that differs is [`serializer`](Config::serializer): Pyro5 defaults to
/// `serpent`; pyro's proxies default to negotiating (`None`): msgpack, the fastest, falling back
/// to serpent for a daemon that lacks msgpack (a plain `pip install Pyro5`). Setting it (or
/// `PYRO_SERIALIZER`) pins one serializer, as in Pyro5.
///
/// Building one never checks the relations between items; [`Config::validate`] does, and it
/// also refuses the settings pyro cannot honour yet ([`Config::check_supported`]).
///
/// ```
/// use pyro::config::{Config, ServerType};
/// let config = Config { threadpool_size: 8, ..Config::default() };
/// assert!(config.validate().is_ok());
/// let traceback = Config { detailed_traceback: true, ..config };
/// assert_eq!(traceback.get("DETAILED_TRACEBACK").as_deref(), Some("True"));
/// assert!(traceback.validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// HOST: the host a daemon binds to by default. Default `"localhost"`.
    pub host: String,
    /// NS_HOST: the host where clients look for the name server. Default `"localhost"`.
    pub ns_host: String,
    /// NS_PORT: the name server's TCP port. Default 9090.
    pub ns_port: u16,
    /// NS_BCPORT: the name server's broadcast responder UDP port. Default 9091.
    pub ns_broadcast_port: u16,
    /// NS_BCHOST: the host the broadcast responder binds to; `None` (default) = the name server's.
    pub ns_broadcast_host: Option<String>,
    /// NS_AUTOCLEAN: how often the name server removes unreachable registrations; `None`
    /// (default, `0.0`) = never. At least 3 seconds.
    pub ns_autoclean: Option<Duration>,
    /// NS_LOOKUP_DELAY: how long a name lookup keeps retrying an unknown name. Default 0 (no retry).
    pub ns_lookup_delay: Duration,
    /// NATHOST: the external host to put in URIs when the daemon is behind NAT. Default `None`.
    pub nat_host: Option<String>,
    /// NATPORT: the external port for NAT; 0 (default) = the daemon's own port.
    pub nat_port: u16,
    /// COMPRESSION: zlib-compress message payloads over 100 bytes. Default `false`.
    pub compression: bool,
    /// SERVERTYPE: the daemon's socket server. Default [`ServerType::Thread`].
    pub server_type: ServerType,
    /// COMMTIMEOUT: socket timeout for network operations; `None` (default, `0.0`) = wait forever.
    /// A daemon applies it to each whole request (first byte to last), not to each read, and
    /// closes a connection idle for longer.
    pub comm_timeout: Option<Duration>,
    /// POLLTIMEOUT: how often a server loop wakes up to check for shutdown. Default 2 seconds.
    pub poll_timeout: Duration,
    /// MAX_RETRIES: how often a proxy retries a call after a lost connection or timeout. Default 0.
    pub max_retries: u32,
    /// SOCK_REUSE: set `SO_REUSEADDR` on server sockets. Default `true`.
    pub sock_reuse: bool,
    /// SOCK_NODELAY: set `TCP_NODELAY` on sockets. Default `false`.
    pub sock_nodelay: bool,
    /// DETAILED_TRACEBACK: send detailed tracebacks (with local variables) to clients. Default `false`.
    pub detailed_traceback: bool,
    /// THREADPOOL_SIZE: the thread server's maximum number of workers, which is also the maximum
    /// number of concurrent connections. Default 80.
    pub threadpool_size: usize,
    /// THREADPOOL_SIZE_MIN: the thread server's number of idle workers kept ready. Default 4.
    pub threadpool_size_min: usize,
    /// MAX_MESSAGE_SIZE: the largest message (data plus annotations) accepted, in bytes.
    /// Default 1073741824 (1 GiB).
    pub max_message_size: u64,
    /// BROADCAST_ADDRS: where clients send name server discovery broadcasts.
    /// Default `["<broadcast>", "0.0.0.0"]`.
    pub broadcast_addrs: Vec<String>,
    /// PREFER_IP_VERSION: the IP version to resolve host names to. Default [`IpVersion::Any`].
    pub prefer_ip_version: IpVersion,
    /// SERIALIZER: the serializer a proxy uses. Default `None` (text form `auto`; Pyro5's default
    /// is `"serpent"`): a proxy uses msgpack, and when the daemon closes the connection at the
    /// handshake without a reply (what a Pyro5 daemon without the `msgpack` package does with a
    /// msgpack CONNECT) it connects again with serpent, which every Pyro5 has, and keeps serpent.
    /// `Some(serializer)` uses that one serializer, with no fallback. A daemon serves every
    /// serializer whatever this says, and replies in the request's serializer.
    pub serializer: Option<Serializer>,
    /// SERPENT_BYTES_REPR: serpent writes bytes as `b'..'` literals instead of the
    /// `{'data': <base64>, 'encoding': 'base64'}` dict (the writing side: a proxy's calls, a
    /// daemon's replies). Default `false`.
    pub serpent_bytes_repr: bool,
    /// ITER_STREAMING: allow streaming iterators and generators to clients. Default `true`.
    pub iter_streaming: bool,
    /// ITER_STREAM_LIFETIME: maximum lifetime of a stream; `None` (default, `0.0`) = unlimited.
    pub iter_stream_lifetime: Option<Duration>,
    /// ITER_STREAM_LINGER: how long a stream survives its client's disconnect. Default 30 seconds.
    pub iter_stream_linger: Duration,
    /// LOGFILE: the log file name (`"{stderr}"` = standard error), written when `LOGLEVEL` is
    /// set ([`logging`](crate::logging)). Default `"pyro5.log"`.
    pub log_file: String,
    /// LOGLEVEL: the log level name (`"DEBUG"`, `"INFO"`, ...); `None` (default) = no logging
    /// ([`logging`](crate::logging)).
    pub log_level: Option<String>,
    /// LOGWIRE: log every message, its bytes too, at debug level on the `pyro::wire` target
    /// ([`logging`](crate::logging)). Default `false`.
    pub log_wire: bool,
    /// SSL: use TLS on all connections. Default `false`. (Pyro5 has no URI scheme for TLS: this
    /// decides for daemons and proxies alike; see [`transport::TlsServer`](crate::transport::TlsServer).)
    pub ssl: bool,
    /// SSL_SERVERCERT: the server's certificate file. Default none (`""`).
    pub ssl_server_cert: Option<PathBuf>,
    /// SSL_SERVERKEY: the server's private key file. Default none (`""`): the key is in the
    /// certificate file.
    pub ssl_server_key: Option<PathBuf>,
    /// SSL_SERVERKEYPASSWD: the password of the server's key. Default none (`""`). pyro reads
    /// only unencrypted keys: a password is refused when the daemon starts.
    pub ssl_server_key_password: Option<KeyPassword>,
    /// SSL_REQUIRECLIENTCERT: the server requires a client certificate (2-way TLS). Default `false`.
    pub ssl_require_client_cert: bool,
    /// SSL_CLIENTCERT: the client's certificate file. Default none (`""`).
    pub ssl_client_cert: Option<PathBuf>,
    /// SSL_CLIENTKEY: the client's private key file. Default none (`""`).
    pub ssl_client_key: Option<PathBuf>,
    /// SSL_CLIENTKEYPASSWD: the password of the client's key. Default none (`""`). Refused
    /// when set, as [`ssl_server_key_password`](Config::ssl_server_key_password).
    pub ssl_client_key_password: Option<KeyPassword>,
    /// SSL_CACERTS: a file or directory of CA certificates to verify peers with. Default none
    /// (`""`): the system's trusted certificates.
    pub ssl_ca_certs: Option<PathBuf>,
    /// NS_LOCATIONS (a pyro extension, environment variable `PYRO5_NS_LOCATIONS`): the name
    /// servers a client tries in turn to find one without a given host, in place of
    /// `NS_HOST`/`NS_PORT` (then a broadcast, as without it); see
    /// [`naming`](crate::naming#several-name-servers-failover) for the rules. Default empty:
    /// Pyro5's way. Text form `host:port,[ipv6]:port,./u:path` ([`parse_ns_locations`]).
    pub ns_locations: Vec<Location>,
}

impl Default for Config {
    /// Pyro5's defaults (`Configuration.reset(use_environment=False)`), except
    /// [`serializer`](Config::serializer) = msgpack.
    fn default() -> Config {
        Config {
            host: "localhost".into(),
            ns_host: "localhost".into(),
            ns_port: 9090,
            ns_broadcast_port: 9091,
            ns_broadcast_host: None,
            ns_autoclean: None,
            ns_lookup_delay: Duration::ZERO,
            nat_host: None,
            nat_port: 0,
            compression: false,
            server_type: ServerType::Thread,
            comm_timeout: None,
            poll_timeout: Duration::from_secs(2),
            max_retries: 0,
            sock_reuse: true,
            sock_nodelay: false,
            detailed_traceback: false,
            threadpool_size: 80,
            threadpool_size_min: 4,
            max_message_size: 1024 * 1024 * 1024,
            broadcast_addrs: vec!["<broadcast>".into(), "0.0.0.0".into()],
            prefer_ip_version: IpVersion::Any,
            serializer: None,
            serpent_bytes_repr: false,
            iter_streaming: true,
            iter_stream_lifetime: None,
            iter_stream_linger: Duration::from_secs(30),
            log_file: DEFAULT_LOG_FILE.into(),
            log_level: None,
            log_wire: false,
            ssl: false,
            ssl_server_cert: None,
            ssl_server_key: None,
            ssl_server_key_password: None,
            ssl_require_client_cert: false,
            ssl_client_cert: None,
            ssl_client_key: None,
            ssl_client_key_password: None,
            ssl_ca_certs: None,
            ns_locations: Vec::new(),
        }
    }
}

/// The prefix of the environment variables that set configuration items.
const ENV_PREFIX: &str = "PYRO_";

/// The prefix of the environment variables that set pyro's [extension items](Config::EXTENSION_ITEMS).
const EXTENSION_ENV_PREFIX: &str = "PYRO5_";

impl Config {
    /// The defaults overridden by the `PYRO_<ITEM>` environment variables, as Pyro5 does at import,
    /// and by the `PYRO5_<ITEM>` variables of pyro's [extension items](Config::EXTENSION_ITEMS).
    /// Any other variable starting with `PYRO_` is an error (Pyro5 raises `ValueError`), as is a
    /// variable read here whose name or value is not UTF-8; see [`Config::apply_vars`] for the
    /// `PYRO5_` variables. The result is not [validated](Config::validate).
    ///
    /// ```
    /// match pyro::Config::from_env() {
    ///     Ok(config) => println!("name server at {}:{}", config.ns_host, config.ns_port),
    ///     Err(err) => eprintln!("bad PYRO_* variable: {err}"),
    /// }
    /// ```
    pub fn from_env() -> Result<Config, ConfigError> {
        let mut vars = Vec::new();
        for (name, value) in std::env::vars_os() {
            let bytes = name.as_encoded_bytes();
            if !bytes.starts_with(ENV_PREFIX.as_bytes()) && !bytes.starts_with(EXTENSION_ENV_PREFIX.as_bytes()) {
                continue;
            }
            let name =
                name.into_string().map_err(|n| ConfigError::UnknownVariable { name: n.to_string_lossy().into() })?;
            let item = match variable(&name) {
                Variable::Other => continue,
                Variable::Refused(err) => return Err(err),
                Variable::Item(item) => item,
            };
            let value = value.into_string().map_err(|v| ConfigError::InvalidValue {
                item,
                value: v.to_string_lossy().into(),
                expected: "UTF-8 text",
            })?;
            vars.push((name, value));
        }
        let mut config = Config::default();
        config.apply_vars(vars)?;
        Ok(config)
    }

    /// The configuration of this process: [`Config::from_env`], read on first use and kept, as
    /// Pyro5 reads its environment once, when it is imported. Everything that takes no `Config`
    /// of its own starts from it: [`Proxy::new`](crate::proxy::Proxy::new) and
    /// [`Proxy::from_uri_str`](crate::proxy::Proxy::from_uri_str) (and so typed proxies and
    /// [`NameServerProxy::new`](crate::naming::NameServerProxy::new)), [`Daemon::bind`](crate::Daemon::bind)
    /// and a [`DaemonBuilder`](crate::daemon::DaemonBuilder) without [`config`](crate::daemon::DaemonBuilder::config),
    /// [`serve`](crate::daemon::serve), [`naming::resolve`](crate::naming::resolve) and
    /// [`naming::locate_ns`](crate::naming::locate_ns). An explicit `Config` always wins, and
    /// [`Config::default`] stays Pyro5's pure defaults.
    ///
    /// An invalid `PYRO_*` variable is returned as the error every time. Constructors that can
    /// fail return it; [`Proxy::new`](crate::proxy::Proxy::new), which cannot, falls back to
    /// [`Config::default`] and says so once on standard error.
    ///
    /// ```
    /// match pyro::Config::environment() {
    ///     Ok(config) => println!("proxies use {:?}", config.serializer),
    ///     Err(err) => eprintln!("bad PYRO_* variable: {err}"),
    /// }
    /// ```
    pub fn environment() -> Result<Config, ConfigError> {
        static ENVIRONMENT: std::sync::OnceLock<Result<Config, ConfigError>> = std::sync::OnceLock::new();
        ENVIRONMENT.get_or_init(Config::from_env).clone()
    }

    /// [`Config::environment`], or [`Config::default`] after one warning on standard error if the
    /// environment is invalid; for constructors that cannot return an error.
    pub(crate) fn environment_or_default() -> Config {
        Config::environment().unwrap_or_else(|err| {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED
                .call_once(|| eprintln!("pyro: ignoring the PYRO_* environment variables ({err}); using the defaults"));
            Config::default()
        })
    }

    /// Applies environment-style variables: those named `PYRO_<ITEM>` set the Pyro5 item, those
    /// named `PYRO5_<ITEM>` an [extension item](Config::EXTENSION_ITEMS), other names are
    /// skipped. An unknown `PYRO_*` name is an error, as in Pyro5, and so is `PYRO_` with an
    /// extension item (Python's Pyro5 would refuse it). `PYRO5_` is shared with other tools
    /// (such as pyro's test harness), so unknown `PYRO5_*` names are skipped, except those that
    /// look meant for pyro: a Pyro5 item's name or one starting with `NS_`. On error nothing is
    /// changed.
    ///
    /// ```
    /// use pyro::config::{Config, ConfigError};
    /// let mut config = Config::default();
    /// config.apply_vars([("PYRO_NS_PORT".to_string(), "9999".to_string())]).unwrap();
    /// assert_eq!(config.ns_port, 9999);
    /// assert!(config.apply_vars([("PYRO_NS_PORT", "99999")]).is_err());
    /// assert_eq!(config.ns_port, 9999);
    /// config.apply_vars([("PYRO5_NS_LOCATIONS", "ns1:9090,ns2:9090"), ("PYRO5_VENV", "/venv")]).unwrap();
    /// assert_eq!(config.ns_locations.len(), 2);
    /// let err = config.apply_vars([("PYRO_NS_LOCATIONS", "ns1:9090")]).unwrap_err();
    /// assert!(matches!(err, ConfigError::ExtensionVariable { .. }));
    /// ```
    pub fn apply_vars<I, K, V>(&mut self, vars: I) -> Result<(), ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut updated = self.clone();
        for (name, value) in vars {
            match variable(name.as_ref()) {
                Variable::Other => {}
                Variable::Refused(err) => return Err(err),
                Variable::Item(item) => updated.set(item, value.as_ref())?,
            }
        }
        *self = updated;
        Ok(())
    }

    /// Checks the relations Pyro5 checks when it uses the items: the thread server's pool
    /// (`THREADPOOL_SIZE` and `THREADPOOL_SIZE_MIN` at least 1, the minimum not above the
    /// maximum; `svr_threads.Pool`) and the name server's `NS_AUTOCLEAN` (off, or at least 3
    /// seconds; `nameserver.NameServerDaemon`) and `LOGLEVEL` (a Python level name, where
    /// Pyro5 fails at import); then [`Config::check_supported`]. Every daemon
    /// (and so the name server) runs it when it starts.
    ///
    /// ```
    /// let config = pyro::Config { threadpool_size: 2, ..Default::default() };
    /// assert_eq!(
    ///     config.validate().unwrap_err().to_string(),
    ///     "invalid config THREADPOOL_SIZE_MIN: minimum threadpool size must be less than or equal to max size (4 > 2)"
    /// );
    /// ```
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.threadpool_size < 1 {
            return Err(ConfigError::Invalid {
                item: "THREADPOOL_SIZE",
                reason: "threadpool sizes must be greater than zero".into(),
            });
        }
        if self.threadpool_size_min < 1 {
            return Err(ConfigError::Invalid {
                item: "THREADPOOL_SIZE_MIN",
                reason: "threadpool sizes must be greater than zero".into(),
            });
        }
        if self.threadpool_size_min > self.threadpool_size {
            return Err(ConfigError::Invalid {
                item: "THREADPOOL_SIZE_MIN",
                reason: format!(
                    "minimum threadpool size must be less than or equal to max size ({} > {})",
                    self.threadpool_size_min, self.threadpool_size
                ),
            });
        }
        if let Some(autoclean) = self.ns_autoclean
            && autoclean < MIN_AUTOCLEAN
        {
            return Err(ConfigError::Invalid {
                item: "NS_AUTOCLEAN",
                reason: format!("NS_AUTOCLEAN cannot be smaller than 3 (is {autoclean:?})"),
            });
        }
        if let Some(level) = self.log_level.as_deref() {
            crate::logging::level_filter(level)?;
        }
        self.check_supported()
    }

    /// Refuses the settings pyro cannot honour yet, rather than ignoring them: a
    /// [`ConfigError::Unsupported`] naming the first such item. Refused are:
    /// - `SERVERTYPE=multiplex` outside Unix (the multiplexed server is built on Unix only);
    /// - `DETAILED_TRACEBACK=true`: a Rust method has no Python frames or local variables to send;
    /// - `SOCK_REUSE=false`: the server socket always sets `SO_REUSEADDR` (Rust's standard
    ///   library does so on Unix).
    ///
    /// Not refused, because what they ask for always holds: `POLLTIMEOUT` (how often Pyro5's
    /// server loops wake up to notice a shutdown; pyro's notice it at once). The `SSL*` items
    /// are read as Pyro5 reads them, and `LOGLEVEL`, `LOGFILE` and `LOGWIRE` are honoured
    /// ([`logging`](crate::logging)).
    ///
    /// ```
    /// use pyro::config::{Config, ConfigError};
    /// assert_eq!(Config::default().check_supported(), Ok(()));
    /// let mut config = Config::default();
    /// config.set("SOCK_REUSE", "false").unwrap();
    /// let err = config.check_supported().unwrap_err();
    /// assert!(matches!(err, ConfigError::Unsupported { item: "SOCK_REUSE", .. }));
    /// assert_eq!(err.to_string(), "unsupported Pyro config value: SOCK_REUSE=False (server sockets always set SO_REUSEADDR)");
    /// ```
    pub fn check_supported(&self) -> Result<(), ConfigError> {
        let refuse = |item: &'static str, reason: &'static str| {
            Err(ConfigError::Unsupported { item, value: self.text(item), reason })
        };
        if cfg!(not(unix)) && self.server_type == ServerType::Multiplex {
            return refuse("SERVERTYPE", "the multiplexed server is built on Unix only");
        }
        if self.detailed_traceback {
            return refuse("DETAILED_TRACEBACK", "Rust methods have no Python frames or local variables to send");
        }
        if !self.sock_reuse {
            return refuse("SOCK_REUSE", "server sockets always set SO_REUSEADDR");
        }
        Ok(())
    }

    /// Every item as `(name, value as text)`, in Pyro5's order (`Configuration.__slots__`). The
    /// text is what Python's `str(value)` shows (`True`, `2.0`, `None`, `['<broadcast>', '0.0.0.0']`).
    ///
    /// ```
    /// let items = pyro::Config::default().items();
    /// assert_eq!(items.len(), 39);
    /// assert_eq!(items[0], ("HOST", "localhost".to_string()));
    /// ```
    pub fn items(&self) -> Vec<(&'static str, String)> {
        Config::ITEMS.iter().map(|&item| (item, self.text(item))).collect()
    }

    /// A report of the settings like Pyro5's `pyro5-check-config`: a header, then one
    /// `NAME = value` line per item, sorted by name; then, after the line
    /// `pyro extensions:`, one line per [extension item](Config::EXTENSION_ITEMS).
    ///
    /// ```
    /// let dump = pyro::Config::default().with_ns_locations([pyro::uri::Location::tcp("ns1", 9090)]).dump();
    /// assert!(dump.contains("\nNS_PORT = 9090\n"));
    /// assert!(dump.contains("\nSERIALIZER = auto\n"));
    /// assert!(dump.ends_with("\npyro extensions:\nNS_LOCATIONS = ns1:9090"));
    /// ```
    pub fn dump(&self) -> String {
        let mut items = self.items();
        items.sort_unstable_by_key(|(name, _)| *name);
        let mut lines = vec![
            format!("pyro version: {} (Rust; Pyro5 5.17 wire protocol)", env!("CARGO_PKG_VERSION")),
            format!("Protocol version: {}", crate::protocol::PROTOCOL_VERSION),
            "Currently active configuration settings:".to_owned(),
        ];
        lines.extend(items.into_iter().map(|(name, value)| format!("{name} = {value}")));
        lines.push("pyro extensions:".to_owned());
        lines.extend(Config::EXTENSION_ITEMS.iter().map(|&name| format!("{name} = {}", self.text(name))));
        lines.join("\n")
    }

    /// This configuration with [`ns_locations`](Config::ns_locations) set to `locations`: the
    /// name servers to try in turn (see [`naming`](crate::naming#several-name-servers-failover)).
    ///
    /// ```
    /// use pyro::{config::parse_ns_locations, uri::Location, Config};
    /// let config = Config::default().with_ns_locations([Location::tcp("ns1", 9090), Location::tcp("::1", 9090)]);
    /// assert_eq!(config.get("NS_LOCATIONS").as_deref(), Some("ns1:9090,[::1]:9090"));
    /// let same = Config::default().with_ns_locations(parse_ns_locations("ns1:9090, [::1]:9090")?);
    /// assert_eq!(same, config);
    /// # Ok::<(), pyro::config::ConfigError>(())
    /// ```
    pub fn with_ns_locations(mut self, locations: impl IntoIterator<Item = Location>) -> Config {
        self.ns_locations = locations.into_iter().collect();
        self
    }
}

/// What an environment variable's name means.
enum Variable {
    /// It sets this item.
    Item(&'static str),
    /// It is not pyro's.
    Other,
    /// It is refused.
    Refused(ConfigError),
}

/// The meaning of the environment variable `name` (see [`Config::apply_vars`]).
fn variable(name: &str) -> Variable {
    if let Some(item) = name.strip_prefix(ENV_PREFIX) {
        return match (items::find(item), items::find_extension(item)) {
            (Some(item), _) => Variable::Item(item),
            (None, Some(item)) => Variable::Refused(ConfigError::ExtensionVariable {
                name: name.to_owned(),
                instead: format!("{EXTENSION_ENV_PREFIX}{item}"),
            }),
            (None, None) => Variable::Refused(ConfigError::UnknownVariable { name: name.to_owned() }),
        };
    }
    let Some(item) = name.strip_prefix(EXTENSION_ENV_PREFIX) else { return Variable::Other };
    match (items::find_extension(item), items::find(item)) {
        (Some(item), _) => Variable::Item(item),
        (None, Some(_)) => Variable::Refused(ConfigError::ExtensionVariable {
            name: name.to_owned(),
            instead: format!("{ENV_PREFIX}{item}"),
        }),
        (None, None) if item.starts_with("NS_") => {
            Variable::Refused(ConfigError::UnknownVariable { name: name.to_owned() })
        }
        (None, None) => Variable::Other,
    }
}

/// Pyro5's default `LOGFILE`.
const DEFAULT_LOG_FILE: &str = "pyro5.log";

/// Pyro5's `AutoCleaner.min_autoclean_value`.
const MIN_AUTOCLEAN: Duration = Duration::from_secs(3);

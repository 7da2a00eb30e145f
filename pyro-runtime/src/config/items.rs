//! The configuration items by Pyro5 name: reading a value from text as Pyro5 does for
//! environment variables, and writing it as Python's `str(value)`.

use std::path::PathBuf;
use std::time::Duration;

use super::{Config, ConfigError, IpVersion, KeyPassword, ns_locations, pytext};
use crate::serializer::Serializer;
use crate::value::Value;

impl Config {
    /// The names of all configuration items, in Pyro5's order (`Configuration.__slots__`).
    ///
    /// ```
    /// assert_eq!(pyro::Config::ITEMS.len(), 39);
    /// assert!(pyro::Config::ITEMS.contains(&"COMMTIMEOUT"));
    /// ```
    pub const ITEMS: [&'static str; 39] = [
        "HOST",
        "NS_HOST",
        "NS_PORT",
        "NS_BCPORT",
        "NS_BCHOST",
        "NS_AUTOCLEAN",
        "NS_LOOKUP_DELAY",
        "NATHOST",
        "NATPORT",
        "COMPRESSION",
        "SERVERTYPE",
        "COMMTIMEOUT",
        "POLLTIMEOUT",
        "MAX_RETRIES",
        "SOCK_REUSE",
        "SOCK_NODELAY",
        "DETAILED_TRACEBACK",
        "THREADPOOL_SIZE",
        "THREADPOOL_SIZE_MIN",
        "MAX_MESSAGE_SIZE",
        "BROADCAST_ADDRS",
        "PREFER_IP_VERSION",
        "SERIALIZER",
        "SERPENT_BYTES_REPR",
        "ITER_STREAMING",
        "ITER_STREAM_LIFETIME",
        "ITER_STREAM_LINGER",
        "LOGFILE",
        "LOGLEVEL",
        "LOGWIRE",
        "SSL",
        "SSL_SERVERCERT",
        "SSL_SERVERKEY",
        "SSL_SERVERKEYPASSWD",
        "SSL_REQUIRECLIENTCERT",
        "SSL_CLIENTCERT",
        "SSL_CLIENTKEY",
        "SSL_CLIENTKEYPASSWD",
        "SSL_CACERTS",
    ];

    /// The names of pyro's own configuration items, which Pyro5 does not have. They are set and
    /// read by name like Pyro5's ([`Config::set`], [`Config::get`]), but from the environment as
    /// `PYRO5_<ITEM>` rather than `PYRO_<ITEM>`: Python's Pyro5 refuses to import when it sees a
    /// `PYRO_` variable it does not know, so Python programs sharing the environment never see
    /// these. [`Config::items`] lists Pyro5's items only; [`Config::dump`] shows these too.
    ///
    /// - `NS_LOCATIONS`: the name servers to try in turn ([`Config::ns_locations`]).
    ///
    /// ```
    /// assert_eq!(pyro::Config::EXTENSION_ITEMS, ["NS_LOCATIONS"]);
    /// assert!(!pyro::Config::ITEMS.contains(&"NS_LOCATIONS"));
    /// ```
    pub const EXTENSION_ITEMS: [&'static str; 1] = [ns_locations::ITEM];

    /// Sets the item named `item` (Pyro5's upper-case name) from text, read as Pyro5 reads a
    /// `PYRO_<ITEM>` environment variable: booleans `0/off/no/false` or `1/yes/on/true` in any
    /// case, numbers as Python's `int()`/`float()` read them, lists comma-separated (each entry
    /// stripped). Durations are seconds; `0` turns an optional one off. On error nothing changes.
    /// The [extension items](Config::EXTENSION_ITEMS) are set the same way (`NS_LOCATIONS`:
    /// see [`parse_ns_locations`](super::parse_ns_locations)).
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut config = pyro::Config::default();
    /// config.set("POLLTIMEOUT", "0.5").unwrap();
    /// config.set("BROADCAST_ADDRS", "10.0.0.255, <broadcast>").unwrap();
    /// config.set("SOCK_NODELAY", "Yes").unwrap();
    /// assert_eq!(config.poll_timeout, Duration::from_millis(500));
    /// assert_eq!(config.broadcast_addrs, ["10.0.0.255", "<broadcast>"]);
    /// assert!(config.sock_nodelay);
    /// assert!(config.set("MAX_RETRIES", "-1").is_err());
    /// assert!(config.set("host", "x").is_err());
    /// config.set("NS_LOCATIONS", "ns1:9090,[::1]:9090").unwrap();
    /// assert_eq!(config.ns_locations.len(), 2);
    /// ```
    pub fn set(&mut self, item: &str, value: &str) -> Result<(), ConfigError> {
        let item = find_any(item).ok_or_else(|| ConfigError::UnknownItem { item: item.to_owned() })?;
        let v = Text { item, value };
        match item {
            "HOST" => self.host = value.to_owned(),
            "NS_HOST" => self.ns_host = value.to_owned(),
            "NS_PORT" => self.ns_port = v.int(PORT)?,
            "NS_BCPORT" => self.ns_broadcast_port = v.int(PORT)?,
            "NS_BCHOST" => self.ns_broadcast_host = v.optional(),
            "NS_AUTOCLEAN" => self.ns_autoclean = v.optional_duration()?,
            "NS_LOOKUP_DELAY" => self.ns_lookup_delay = v.duration()?,
            "NATHOST" => self.nat_host = v.optional(),
            "NATPORT" => self.nat_port = v.int(PORT)?,
            "COMPRESSION" => self.compression = v.bool()?,
            "SERVERTYPE" => self.server_type = value.parse()?,
            "COMMTIMEOUT" => self.comm_timeout = v.optional_duration()?,
            "POLLTIMEOUT" => self.poll_timeout = v.duration()?,
            "MAX_RETRIES" => self.max_retries = v.int("an integer from 0 to 4294967295")?,
            "SOCK_REUSE" => self.sock_reuse = v.bool()?,
            "SOCK_NODELAY" => self.sock_nodelay = v.bool()?,
            "DETAILED_TRACEBACK" => self.detailed_traceback = v.bool()?,
            "THREADPOOL_SIZE" => self.threadpool_size = v.int("a non-negative integer")?,
            "THREADPOOL_SIZE_MIN" => self.threadpool_size_min = v.int("a non-negative integer")?,
            "MAX_MESSAGE_SIZE" => self.max_message_size = v.int("a non-negative integer")?,
            "BROADCAST_ADDRS" => self.broadcast_addrs = v.list(),
            "PREFER_IP_VERSION" => {
                self.prefer_ip_version = pytext::parse_int(value)
                    .and_then(|n| u8::try_from(n).ok())
                    .and_then(IpVersion::from_number)
                    .ok_or_else(|| v.invalid("0, 4 or 6"))?;
            }
            "SERIALIZER" => {
                self.serializer = match value {
                    "auto" => None,
                    name => Some(
                        Serializer::from_name(name)
                            .map_err(|_| v.invalid("serpent, marshal, json, msgpack or auto"))?,
                    ),
                };
            }
            "SERPENT_BYTES_REPR" => self.serpent_bytes_repr = v.bool()?,
            "ITER_STREAMING" => self.iter_streaming = v.bool()?,
            "ITER_STREAM_LIFETIME" => self.iter_stream_lifetime = v.optional_duration()?,
            "ITER_STREAM_LINGER" => self.iter_stream_linger = v.duration()?,
            "LOGFILE" => self.log_file = value.to_owned(),
            "LOGLEVEL" => self.log_level = v.optional(),
            "LOGWIRE" => self.log_wire = v.bool()?,
            "SSL" => self.ssl = v.bool()?,
            "SSL_SERVERCERT" => self.ssl_server_cert = v.optional().map(PathBuf::from),
            "SSL_SERVERKEY" => self.ssl_server_key = v.optional().map(PathBuf::from),
            "SSL_SERVERKEYPASSWD" => self.ssl_server_key_password = v.optional().map(KeyPassword::from),
            "SSL_REQUIRECLIENTCERT" => self.ssl_require_client_cert = v.bool()?,
            "SSL_CLIENTCERT" => self.ssl_client_cert = v.optional().map(PathBuf::from),
            "SSL_CLIENTKEY" => self.ssl_client_key = v.optional().map(PathBuf::from),
            "SSL_CLIENTKEYPASSWD" => self.ssl_client_key_password = v.optional().map(KeyPassword::from),
            "SSL_CACERTS" => self.ssl_ca_certs = v.optional().map(PathBuf::from),
            ns_locations::ITEM => self.ns_locations = ns_locations::parse_ns_locations(value)?,
            _ => return Err(ConfigError::UnknownItem { item: item.to_owned() }),
        }
        Ok(())
    }

    /// The value of the item named `item` as Python's `str(value)` shows it (`None` for an
    /// unknown name). Setting an item to this text gives the same value back, except that the
    /// text `None` of an unset optional host or log level would be taken as a name, as in Pyro5.
    /// An [extension item](Config::EXTENSION_ITEMS) gives its own text form (`NS_LOCATIONS`:
    /// the locations joined by commas, empty when there are none).
    ///
    /// ```
    /// let config = pyro::Config::default();
    /// assert_eq!(config.get("POLLTIMEOUT").as_deref(), Some("2.0"));
    /// assert_eq!(config.get("SOCK_REUSE").as_deref(), Some("True"));
    /// assert_eq!(config.get("NATHOST").as_deref(), Some("None"));
    /// assert_eq!(config.get("SSL_CACERTS").as_deref(), Some(""));
    /// assert_eq!(config.get("NOPE"), None);
    /// assert_eq!(config.get("NS_LOCATIONS").as_deref(), Some(""));
    /// ```
    pub fn get(&self, item: &str) -> Option<String> {
        find_any(item).map(|item| self.text(item))
    }

    /// The text of a known item.
    pub(super) fn text(&self, item: &str) -> String {
        match item {
            "HOST" => self.host.clone(),
            "NS_HOST" => self.ns_host.clone(),
            "NS_PORT" => self.ns_port.to_string(),
            "NS_BCPORT" => self.ns_broadcast_port.to_string(),
            "NS_BCHOST" => none_text(self.ns_broadcast_host.as_deref()),
            "NS_AUTOCLEAN" => seconds_text(self.ns_autoclean.unwrap_or_default()),
            "NS_LOOKUP_DELAY" => seconds_text(self.ns_lookup_delay),
            "NATHOST" => none_text(self.nat_host.as_deref()),
            "NATPORT" => self.nat_port.to_string(),
            "COMPRESSION" => bool_text(self.compression),
            "SERVERTYPE" => self.server_type.to_string(),
            "COMMTIMEOUT" => seconds_text(self.comm_timeout.unwrap_or_default()),
            "POLLTIMEOUT" => seconds_text(self.poll_timeout),
            "MAX_RETRIES" => self.max_retries.to_string(),
            "SOCK_REUSE" => bool_text(self.sock_reuse),
            "SOCK_NODELAY" => bool_text(self.sock_nodelay),
            "DETAILED_TRACEBACK" => bool_text(self.detailed_traceback),
            "THREADPOOL_SIZE" => self.threadpool_size.to_string(),
            "THREADPOOL_SIZE_MIN" => self.threadpool_size_min.to_string(),
            "MAX_MESSAGE_SIZE" => self.max_message_size.to_string(),
            "BROADCAST_ADDRS" => {
                Value::List(self.broadcast_addrs.iter().map(|a| Value::from(a.as_str())).collect()).to_string()
            }
            "PREFER_IP_VERSION" => self.prefer_ip_version.number().to_string(),
            "SERIALIZER" => self.serializer.map_or("auto", Serializer::name).to_owned(),
            "SERPENT_BYTES_REPR" => bool_text(self.serpent_bytes_repr),
            "ITER_STREAMING" => bool_text(self.iter_streaming),
            "ITER_STREAM_LIFETIME" => seconds_text(self.iter_stream_lifetime.unwrap_or_default()),
            "ITER_STREAM_LINGER" => seconds_text(self.iter_stream_linger),
            "LOGFILE" => self.log_file.clone(),
            "LOGLEVEL" => none_text(self.log_level.as_deref()),
            "LOGWIRE" => bool_text(self.log_wire),
            "SSL" => bool_text(self.ssl),
            "SSL_SERVERCERT" => path_text(self.ssl_server_cert.as_ref()),
            "SSL_SERVERKEY" => path_text(self.ssl_server_key.as_ref()),
            "SSL_SERVERKEYPASSWD" => {
                self.ssl_server_key_password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default()
            }
            "SSL_REQUIRECLIENTCERT" => bool_text(self.ssl_require_client_cert),
            "SSL_CLIENTCERT" => path_text(self.ssl_client_cert.as_ref()),
            "SSL_CLIENTKEY" => path_text(self.ssl_client_key.as_ref()),
            "SSL_CLIENTKEYPASSWD" => {
                self.ssl_client_key_password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default()
            }
            "SSL_CACERTS" => path_text(self.ssl_ca_certs.as_ref()),
            ns_locations::ITEM => ns_locations::text(&self.ns_locations),
            _ => String::new(),
        }
    }
}

/// The Pyro5 item's static name, if `name` is one (exact, upper-case, as Pyro5).
pub(super) fn find(name: &str) -> Option<&'static str> {
    Config::ITEMS.iter().copied().find(|item| *item == name)
}

/// The extension item's static name, if `name` is one.
pub(super) fn find_extension(name: &str) -> Option<&'static str> {
    Config::EXTENSION_ITEMS.iter().copied().find(|item| *item == name)
}

/// The static name of a Pyro5 or extension item.
fn find_any(name: &str) -> Option<&'static str> {
    find(name).or_else(|| find_extension(name))
}

const PORT: &str = "an integer from 0 to 65535";

/// The text given for an item, read as Pyro5 reads environment variables.
struct Text<'a> {
    item: &'static str,
    value: &'a str,
}

impl Text<'_> {
    fn invalid(&self, expected: &'static str) -> ConfigError {
        ConfigError::InvalidValue { item: self.item, value: self.value.to_owned(), expected }
    }

    /// `envvalue.lower()` in `("0", "off", "no", "false")` or `("1", "yes", "on", "true")`.
    fn bool(&self) -> Result<bool, ConfigError> {
        match self.value.to_lowercase().as_str() {
            "0" | "off" | "no" | "false" => Ok(false),
            "1" | "yes" | "on" | "true" => Ok(true),
            _ => Err(ConfigError::InvalidBool { item: self.item, value: self.value.to_owned() }),
        }
    }

    /// Python's `int(text)`, then the range of `T`.
    fn int<T: TryFrom<i128>>(&self, expected: &'static str) -> Result<T, ConfigError> {
        pytext::parse_int(self.value).and_then(|n| T::try_from(n).ok()).ok_or_else(|| self.invalid(expected))
    }

    /// Python's `float(text)` as seconds: finite and not negative.
    fn duration(&self) -> Result<Duration, ConfigError> {
        pytext::parse_float(self.value)
            .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
            .ok_or_else(|| self.invalid("a number of seconds, at least 0"))
    }

    /// A duration where 0 means none.
    fn optional_duration(&self) -> Result<Option<Duration>, ConfigError> {
        self.duration().map(|d| (!d.is_zero()).then_some(d))
    }

    /// Text where empty means none.
    fn optional(&self) -> Option<String> {
        (!self.value.is_empty()).then(|| self.value.to_owned())
    }

    /// `[v.strip() for v in text.split(",")]`.
    fn list(&self) -> Vec<String> {
        self.value.split(',').map(|v| pytext::strip(v).to_owned()).collect()
    }
}

fn bool_text(b: bool) -> String {
    if b { "True" } else { "False" }.to_owned()
}

/// Python's `str(float)` of a number of seconds.
fn seconds_text(d: Duration) -> String {
    Value::Float(d.as_secs_f64()).to_string()
}

fn none_text(text: Option<&str>) -> String {
    text.unwrap_or("None").to_owned()
}

fn path_text(path: Option<&PathBuf>) -> String {
    path.map(|p| p.to_string_lossy().into_owned()).unwrap_or_default()
}

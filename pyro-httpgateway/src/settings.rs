//! [`GatewaySettings`]: what the gateway exposes and how it guards itself.

use std::time::Duration;

use pyro_runtime::Config;
use regex::Regex;

use crate::GatewayError;

/// Pyro5's default expose pattern: names starting with `http.`.
pub const DEFAULT_EXPOSE: &str = r"http\.";

/// How long a name server lookup is reused by default (see [`GatewaySettings::name_cache_ttl`]).
pub const DEFAULT_NAME_CACHE_TTL: Duration = Duration::from_secs(2);

/// The gateway's settings. [`GatewaySettings::default`] is Pyro5's command-line defaults:
/// expose `http\.`, CORS origin `*`, no gateway key, the [`Config`] from the `PYRO_*`
/// environment variables.
///
/// ```
/// use std::time::Duration;
/// use pyro_httpgateway::GatewaySettings;
///
/// let settings = GatewaySettings::default()
///     .with_expose(r"shop\.")?
///     .with_gateway_key(Some("secret".into()))
///     .with_name_cache_ttl(Duration::from_secs(5));
/// assert_eq!(settings.expose_pattern(), Some(r"shop\."));
/// # Ok::<(), pyro_httpgateway::GatewayError>(())
/// ```
#[derive(Clone, Debug)]
pub struct GatewaySettings {
    /// The pattern as given (empty: everything exposed), and compiled anchored at the start as
    /// Python's `re.match` is.
    expose: Option<(String, Regex)>,
    /// The `Access-Control-Allow-Origin` value.
    pub cors: String,
    /// The key clients must send (`X-Pyro-Gateway-Key` header or `$key` parameter); `None` or
    /// empty: none needed.
    pub gateway_key: Option<String>,
    /// The Pyro settings for the name server and backend proxies (`COMMTIMEOUT`, `NS_HOST`, ...);
    /// the serializer is always json.
    pub pyro: Config,
    /// How long a name looked up in the name server is reused before it is looked up again
    /// (default [`DEFAULT_NAME_CACHE_TTL`]; zero: every request looks it up, as Pyro5 does). A
    /// call refused by a backend drops the name at once, so a restarted server is found again.
    pub name_cache_ttl: Duration,
    /// The most connections kept open to one backend object (default 32): up to this many calls
    /// to it run at once, more wait for a connection.
    pub max_connections_per_backend: usize,
    /// The most requests handled at once (default 256); more wait for a free slot.
    pub max_concurrent_requests: usize,
    /// The largest request body read (default 1 MiB); larger ones get `413`.
    pub max_body_size: usize,
    /// How long a client may take to send a request's head and body (default 30 s).
    pub request_read_timeout: Duration,
    /// The most backend objects (and name lookups) cached (default 1024).
    pub max_cached_backends: usize,
}

impl Default for GatewaySettings {
    fn default() -> GatewaySettings {
        let expose = Regex::new(&anchored(DEFAULT_EXPOSE)).ok().map(|regex| (DEFAULT_EXPOSE.to_string(), regex));
        GatewaySettings {
            expose,
            cors: "*".into(),
            gateway_key: None,
            pyro: Config::environment().unwrap_or_default(),
            name_cache_ttl: DEFAULT_NAME_CACHE_TTL,
            max_connections_per_backend: 32,
            max_concurrent_requests: 256,
            max_body_size: 1024 * 1024,
            request_read_timeout: Duration::from_secs(30),
            max_cached_backends: 1024,
        }
    }
}

impl GatewaySettings {
    /// Exposes the objects whose names match `pattern` at their start (Python's `re.match`);
    /// an empty pattern exposes every name.
    ///
    /// ```
    /// let settings = pyro_httpgateway::GatewaySettings::default().with_expose("")?;
    /// assert!(settings.exposes("anything"));
    /// assert!(pyro_httpgateway::GatewaySettings::default().with_expose("(").is_err());
    /// # Ok::<(), pyro_httpgateway::GatewayError>(())
    /// ```
    pub fn with_expose(mut self, pattern: &str) -> Result<GatewaySettings, GatewayError> {
        self.expose = if pattern.is_empty() {
            None
        } else {
            let regex = Regex::new(&anchored(pattern))
                .map_err(|source| GatewayError::Expose { pattern: pattern.to_string(), source })?;
            Some((pattern.to_string(), regex))
        };
        Ok(self)
    }

    /// The expose pattern as given; `None` when every name is exposed.
    ///
    /// ```
    /// assert_eq!(pyro_httpgateway::GatewaySettings::default().expose_pattern(), Some(r"http\."));
    /// ```
    pub fn expose_pattern(&self) -> Option<&str> {
        self.expose.as_ref().map(|(pattern, _)| pattern.as_str())
    }

    /// Whether the object `name` may be called through the gateway.
    ///
    /// ```
    /// let settings = pyro_httpgateway::GatewaySettings::default();
    /// assert!(settings.exposes("http.shop"));
    /// assert!(!settings.exposes("Pyro.NameServer"));
    /// ```
    pub fn exposes(&self, name: &str) -> bool {
        self.expose.as_ref().is_none_or(|(_, regex)| regex.is_match(name))
    }

    /// Sets the CORS origin (`Access-Control-Allow-Origin`).
    ///
    /// ```
    /// let settings = pyro_httpgateway::GatewaySettings::default().with_cors("https://example.com");
    /// assert_eq!(settings.cors, "https://example.com");
    /// ```
    #[must_use]
    pub fn with_cors(mut self, cors: impl Into<String>) -> GatewaySettings {
        self.cors = cors.into();
        self
    }

    /// Sets the gateway key (`None` or empty: none needed).
    ///
    /// ```
    /// let settings = pyro_httpgateway::GatewaySettings::default().with_gateway_key(Some("k".into()));
    /// assert_eq!(settings.gateway_key.as_deref(), Some("k"));
    /// ```
    #[must_use]
    pub fn with_gateway_key(mut self, key: Option<String>) -> GatewaySettings {
        self.gateway_key = key;
        self
    }

    /// Sets the Pyro settings.
    ///
    /// ```
    /// let pyro = pyro_runtime::Config { ns_port: 9999, ..pyro_runtime::Config::default() };
    /// let settings = pyro_httpgateway::GatewaySettings::default().with_pyro_config(pyro);
    /// assert_eq!(settings.pyro.ns_port, 9999);
    /// ```
    #[must_use]
    pub fn with_pyro_config(mut self, pyro: Config) -> GatewaySettings {
        self.pyro = pyro;
        self
    }

    /// Sets how long name lookups are reused.
    ///
    /// ```
    /// use std::time::Duration;
    /// let settings = pyro_httpgateway::GatewaySettings::default().with_name_cache_ttl(Duration::ZERO);
    /// assert!(settings.name_cache_ttl.is_zero());
    /// ```
    #[must_use]
    pub fn with_name_cache_ttl(mut self, ttl: Duration) -> GatewaySettings {
        self.name_cache_ttl = ttl;
        self
    }

    /// The gateway key when one is needed.
    pub(crate) fn required_key(&self) -> Option<&str> {
        self.gateway_key.as_deref().filter(|key| !key.is_empty())
    }
}

/// `pattern` anchored at the start only, as `re.match` applies it.
fn anchored(pattern: &str) -> String {
    format!("^(?:{pattern})")
}

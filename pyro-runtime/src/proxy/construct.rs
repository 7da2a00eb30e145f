//! Making a [`Proxy`]: from a [`Uri`] with the process's settings or a given [`Config`], or
//! from URI text.

use std::sync::{Arc, RwLock};

use super::pool::Pool;
use super::resolution::Naming;
use super::serializer_choice::SerializerChoice;
use super::{DEFAULT_HANDSHAKE, DEFAULT_MAX_CONNECTIONS, Proxy, normalize_timeout};
use crate::protocol::{Annotations, EncodeOptions};
use crate::serializer::SerializeOptions;
use crate::uri::Protocol;
use crate::value::Value;
use crate::{Config, Error, Uri};

impl Proxy {
    /// A proxy for the object at `uri` with the process's settings ([`Config::environment`]:
    /// the defaults overridden by `PYRO_*` environment variables, as in Pyro5); connects lazily
    /// on the first call. If a `PYRO_*` variable is invalid the proxy uses [`Config::default`]
    /// (and a warning is printed once); [`Proxy::from_uri_str`] returns that error instead.
    ///
    /// ```
    /// use pyro::{proxy::Proxy, Uri};
    /// let proxy = Proxy::new(Uri::pyro("thing", "localhost", 9999).unwrap());
    /// assert_eq!(proxy.uri().object(), "thing");
    /// ```
    pub fn new(uri: Uri) -> Proxy {
        Proxy::with_config(uri, &Config::environment_or_default())
    }

    /// A proxy for the object at `uri` with settings from `config`: `serializer`,
    /// `comm_timeout`, `max_retries`, `compression` and `max_message_size`; for a `PYRONAME`
    /// or `PYROMETA` uri also the name server settings used to resolve it (`ns_host`, `ns_port`,
    /// `ns_broadcast_port`, `broadcast_addrs`, `ns_lookup_delay`, `ns_locations`, ...).
    ///
    /// ```
    /// use pyro::{proxy::Proxy, Config, Serializer};
    /// let config = Config { serializer: Some(Serializer::Json), max_retries: 2, ..Config::default() };
    /// let proxy = Proxy::with_config("PYRO:thing@localhost:9999".parse().unwrap(), &config);
    /// assert_eq!((proxy.serializer(), proxy.max_retries()), (Serializer::Json, 2));
    /// ```
    pub fn with_config(uri: Uri, config: &Config) -> Proxy {
        crate::logging::init_or_warn(config);
        let max_message_size = usize::try_from(config.max_message_size).unwrap_or(usize::MAX);
        let naming = (uri.protocol() != Protocol::Pyro).then(|| Naming::new(Arc::new(config.clone()), None));
        Proxy {
            uri,
            naming,
            serializer: SerializerChoice::new(config.serializer),
            serialize_options: SerializeOptions::from_config(config),
            timeout: normalize_timeout(config.comm_timeout),
            handshake: Value::from(DEFAULT_HANDSHAKE),
            max_retries: config.max_retries,
            options: EncodeOptions::new()
                .compression(config.compression)
                .max_message_size(max_message_size)
                .wire_log(config.log_wire.then_some("proxy")),
            known: RwLock::new(None),
            pool: Pool::new(DEFAULT_MAX_CONNECTIONS),
            stream_read_ahead: 1,
            annotations: Annotations::new(),
            correlation_id: None,
            deadline_per_call: None,
            tls: if config.ssl {
                crate::transport::TlsClient::from_config(config).map(Some).map_err(|e| e.to_string())
            } else {
                Ok(None)
            },
            connected: None,
        }
    }

    /// A proxy for the object at the URI text `uri`, with the process's settings
    /// ([`Config::environment`]). Fails on a bad URI or an invalid `PYRO_*` variable.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(proxy.uri().port(), Some(9999));
    /// assert!(pyro::proxy::Proxy::from_uri_str("not a uri").is_err());
    /// ```
    pub fn from_uri_str(uri: &str) -> Result<Proxy, Error> {
        let uri = uri.parse()?;
        Ok(Proxy::with_config(uri, &Config::environment()?))
    }
}

//! The URIs of a [`Proxy`]: the one it was made for and, for a `PYRONAME`/`PYROMETA` uri, how
//! it is resolved and what it was resolved to.

use std::sync::{Arc, PoisonError, RwLock};

use super::Proxy;
use crate::{Config, Error, Uri, naming};

/// What a proxy for a `PYRONAME`/`PYROMETA` uri needs to resolve it.
#[derive(Debug)]
pub(super) struct Naming {
    /// Where to look for the name server, and the settings of the name server proxy.
    pub(super) config: Arc<Config>,
    /// The `PYRO` uri the latest connection was opened to.
    resolved: RwLock<Option<Uri>>,
}

impl Naming {
    /// The settings to resolve with, and a resolution already known (a copied proxy's).
    pub(super) fn new(config: Arc<Config>, resolved: Option<Uri>) -> Box<Naming> {
        Box::new(Naming { config, resolved: RwLock::new(resolved) })
    }

    /// Resolves `uri` now: finds the name server and asks it.
    pub(super) fn resolve(&self, uri: &Uri) -> Result<Uri, Error> {
        naming::resolve_with_config(uri, &self.config)
    }

    /// The `PYRO` uri of the latest connection, if any.
    pub(super) fn resolved(&self) -> Option<Uri> {
        self.resolved.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Keeps `uri` as what the latest connection was opened to.
    pub(super) fn remember(&self, uri: Uri) {
        *self.resolved.write().unwrap_or_else(PoisonError::into_inner) = Some(uri);
    }
}

impl Proxy {
    /// The URI the proxy was made for (a `PYRONAME`/`PYROMETA` uri stays one; see
    /// [`resolved_uri`](Proxy::resolved_uri)).
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(proxy.uri().to_string(), "PYRO:thing@localhost:9999");
    /// ```
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The `PYRO:` URI of the object the proxy talks to: its [`uri`](Proxy::uri) if that is a
    /// `PYRO:` URI, else what the name was resolved to when the latest connection was opened
    /// (`None` before the first one).
    ///
    /// ```
    /// use pyro::proxy::Proxy;
    /// let direct = Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(direct.resolved_uri().as_ref(), Some(direct.uri()));
    /// let named = Proxy::from_uri_str("PYRONAME:example.thing").unwrap();
    /// assert_eq!(named.resolved_uri(), None);
    /// ```
    pub fn resolved_uri(&self) -> Option<Uri> {
        match &self.naming {
            None => Some(self.uri.clone()),
            Some(naming) => naming.resolved(),
        }
    }

    /// For a `PYRONAME`/`PYROMETA` uri: the settings to find the name server with.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn naming_config(&self) -> Option<&Arc<Config>> {
        self.naming.as_ref().map(|naming| &naming.config)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::value::Value;

    #[test]
    fn an_unresolvable_name_is_a_naming_error_and_leaves_no_connection() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        for uri in [format!("PYRONAME:example.thing@127.0.0.1:{port}"), format!("PYROMETA:a,b@127.0.0.1:{port}")] {
            let proxy = Proxy::from_uri_str(&uri).unwrap();
            let err = proxy.call::<_, Value>("x", &()).unwrap_err();
            assert!(matches!(&err, Error::Naming { message } if message.starts_with("Failed to locate")), "{err}");
            assert_eq!(proxy.open_connections(), 0);
            assert_eq!(proxy.resolved_uri(), None);
            assert!(proxy.bind().is_err());
        }
    }

    #[test]
    fn only_name_uris_carry_naming_settings() {
        assert!(Proxy::from_uri_str("PYRO:x@localhost:1").unwrap().naming.is_none());
        let config = Config { ns_port: 7777, ..Config::default() };
        let proxy = Proxy::with_config("PYRONAME:x".parse().unwrap(), &config);
        assert_eq!(proxy.naming.as_ref().unwrap().config.ns_port, 7777);
        assert_eq!(proxy.clone().naming.unwrap().config.ns_port, 7777);
    }
}

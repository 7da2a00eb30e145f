//! A [`Proxy`] as it travels: Pyro5's `Pyro5.client.Proxy` class dict, so a
//! proxy can be an argument or a result (a callback object, an object handed on), to and from
//! Python and Rust alike.
//!
//! The state is Pyro5's `Proxy.__getstate__` tuple: the uri text, the oneway method names, the
//! method names, the attribute names, the handshake data and the serializer name (`None` unless
//! the serializer was set for that proxy). The receiver gets a new, unconnected proxy that knows
//! the metadata it carried and takes its timeout and retries from its own configuration, as
//! Pyro5's `__setstate__` takes them from `config.COMMTIMEOUT` and `config.MAX_RETRIES`.
//!
//! Every serializer carries it. With marshal a Python peer accepts it only as a whole argument
//! or result, not nested in a container (Pyro5 converts only top-level values for marshal).

use std::sync::{Arc, PoisonError, RwLock};

use serde::{Deserialize, Serialize};

use super::{Known, Proxy};
use crate::dispatch::Metadata;
use crate::serializer::{ProxyState, Serializer};
use crate::value::Value;
use crate::{Config, Error};

impl Proxy {
    /// What this proxy sends of itself (Pyro5's `Proxy.__getstate__`): its uri, the metadata it
    /// knows (empty before its first connection), its handshake data and its serializer name
    /// when one was set for it ([`set_serializer`](Proxy::set_serializer)).
    ///
    /// ```
    /// use pyro::{proxy::Proxy, Serializer};
    /// let proxy = Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap().with_serializer(Serializer::Json);
    /// let state = proxy.state();
    /// assert_eq!(state.uri.to_string(), "PYRO:thing@localhost:9999");
    /// assert_eq!((state.handshake.as_str(), state.serializer.as_deref()), (Some("hello"), Some("json")));
    /// assert!(state.methods.is_empty());
    /// ```
    pub fn state(&self) -> ProxyState {
        let mut state = ProxyState::new(self.uri.clone());
        if let Some(known) = self.known() {
            state.methods = known.metadata.methods.clone();
            state.oneway = known.metadata.oneway.clone();
            state.attrs = known.metadata.attrs.clone();
        }
        state.handshake = self.handshake.clone();
        state.serializer = self.serializer.explicit().map(|s| s.name().to_owned());
        state
    }

    /// A new, unconnected proxy from a received state (Pyro5's `Proxy.__setstate__`), with the
    /// process's settings ([`Config::environment`], the defaults if a `PYRO_*` variable is
    /// invalid) for everything the state does not say: timeout, retries, compression.
    ///
    /// ```
    /// use pyro::{proxy::Proxy, serializer::ProxyState};
    /// let mut state = ProxyState::new("PYRO:thing@localhost:9999".parse().unwrap());
    /// state.methods.insert("speak".into());
    /// let proxy = Proxy::from_state(state).unwrap();
    /// assert!(proxy.metadata().unwrap().methods.contains("speak"));
    /// assert_eq!(proxy.open_connections(), 0);
    /// ```
    pub fn from_state(state: ProxyState) -> Result<Proxy, Error> {
        Proxy::from_state_with_config(state, &Config::environment_or_default())
    }

    /// [`from_state`](Proxy::from_state) with the settings of `config`. A serializer name the
    /// state carries that pyro does not know is an [`Error::Serialize`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use pyro::{proxy::Proxy, serializer::ProxyState, Config};
    /// let config = Config { comm_timeout: Some(Duration::from_secs(2)), ..Config::default() };
    /// let mut state = ProxyState::new("PYRO:thing@localhost:9999".parse().unwrap());
    /// state.serializer = Some("json".into());
    /// let proxy = Proxy::from_state_with_config(state.clone(), &config).unwrap();
    /// assert_eq!(proxy.timeout(), Some(Duration::from_secs(2)));
    /// assert_eq!(proxy.serializer(), pyro::Serializer::Json);
    /// state.serializer = Some("pickle".into());
    /// assert!(Proxy::from_state_with_config(state, &config).is_err());
    /// ```
    pub fn from_state_with_config(state: ProxyState, config: &Config) -> Result<Proxy, Error> {
        let ProxyState { uri, oneway, methods, attrs, handshake, serializer } = state;
        let serializer = serializer.as_deref().map(Serializer::from_name).transpose()?;
        let mut proxy = Proxy::with_config(uri, config).with_handshake(handshake);
        if let Some(serializer) = serializer {
            proxy.set_serializer(serializer);
        }
        let metadata = Metadata { methods, oneway, attrs };
        if !metadata.is_empty() || !metadata.oneway.is_empty() {
            proxy.known = RwLock::new(Some(Arc::new(Known {
                metadata,
                handshake_response: None,
                peer_certificates: Vec::new(),
            })));
        }
        Ok(proxy)
    }

    /// The proxy as a [`Value`]: Pyro5's `Pyro5.client.Proxy` class dict (what a dynamic call
    /// passes to send a proxy along).
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// let value = proxy.to_value();
    /// assert_eq!(pyro::serializer::class_name(&value), Some("Pyro5.client.Proxy"));
    /// ```
    pub fn to_value(&self) -> Value {
        self.state().to_value()
    }

    /// A proxy from a received [`Value`]: a `Pyro5.client.Proxy` class dict (how a proxy in a
    /// dynamic result, e.g. one returned by a Python factory, arrives), or a `Pyro5.core.URI`
    /// class dict or uri string (a proxy for that uri).
    ///
    /// ```
    /// use pyro::{proxy::Proxy, Value};
    /// let sent = Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap().to_value();
    /// assert_eq!(Proxy::from_value(&sent).unwrap().uri().object(), "thing");
    /// assert_eq!(Proxy::from_value(&Value::from("PYRO:x@h:1")).unwrap().uri().object(), "x");
    /// assert!(Proxy::from_value(&Value::Int(1)).is_err());
    /// ```
    pub fn from_value(value: &Value) -> Result<Proxy, Error> {
        if crate::serializer::class_name(value) == Some(ProxyState::CLASS) {
            return Proxy::from_state(ProxyState::from_value(value)?);
        }
        let uri = crate::Uri::from_value(value)?;
        Ok(Proxy::with_config(uri, &Config::environment_or_default()))
    }
}

/// Writes Pyro5's `{"__class__": "Pyro5.client.Proxy", "state": (...)}` ([`Proxy::state`]).
impl Serialize for Proxy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.state().serialize(serializer)
    }
}

/// Reads a `Pyro5.client.Proxy` class dict into an unconnected proxy ([`Proxy::from_state`]).
impl<'de> Deserialize<'de> for Proxy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Proxy, D::Error> {
        let state = ProxyState::deserialize(deserializer)?;
        Proxy::from_state(state).map_err(serde::de::Error::custom)
    }
}

impl Proxy {
    /// Replaces the known metadata (a daemon's [`proxy_for`](crate::Daemon::proxy_for) fills
    /// it in, as Pyro5's `proxyFor` does).
    pub(crate) fn set_known_metadata(&mut self, metadata: Metadata) {
        *self.known.get_mut().unwrap_or_else(PoisonError::into_inner) =
            Some(Arc::new(Known { metadata, handshake_response: None, peer_certificates: Vec::new() }));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Serializer;

    /// Pyro5: `p = Proxy("PYRO:o@h:1"); p._pyroMethods = {"m"}; p._pyroOneway = {"fire"};
    /// p._pyroAttrs = {"size"}; serializers[name].dumps(p)`.
    const SERPENT: &[u8] = b"# serpent utf-8 python3.2\n{'__class__':'Pyro5.client.Proxy','state':('PYRO:o@h:1',('fire',),('m',),('size',),'hello',None)}";
    const JSON: &[u8] =
        br#"{"__class__": "Pyro5.client.Proxy", "state": ["PYRO:o@h:1", ["fire"], ["m"], ["size"], "hello", null]}"#;
    const MSGPACK: &[u8] =
        b"\x82\xa9__class__\xb2Pyro5.client.Proxy\xa5state\x96\xaaPYRO:o@h:1\x91\xa4fire\x91\xa1m\x91\xa4size\xa5hello\xc0";
    const MARSHAL: &[u8] = b"{\xda\t__class__z\x12Pyro5.client.Proxy\xda\x05state)\x06z\nPYRO:o@h:1)\x01\xda\x04fire)\x01\xda\x01m)\x01\xda\x04size\xda\x05helloN0";

    fn sample() -> Proxy {
        let mut state = ProxyState::new("PYRO:o@h:1".parse().unwrap());
        state.methods.insert("m".into());
        state.oneway.insert("fire".into());
        state.attrs.insert("size".into());
        state.handshake = "hello".into();
        Proxy::from_state_with_config(state, &Config::default()).unwrap()
    }

    #[test]
    fn proxies_serialize_as_pyro5_does() {
        for (serializer, python) in
            [(Serializer::Serpent, SERPENT), (Serializer::Json, JSON), (Serializer::Msgpack, MSGPACK)]
        {
            assert_eq!(serializer.to_bytes(&sample()).unwrap(), python, "{serializer:?}");
        }
    }

    #[test]
    fn proxies_from_python_are_proxies() {
        for (serializer, python) in [
            (Serializer::Serpent, SERPENT),
            (Serializer::Json, JSON),
            (Serializer::Msgpack, MSGPACK),
            (Serializer::Marshal, MARSHAL),
        ] {
            let proxy: Proxy = serializer.from_bytes(python).unwrap();
            assert_eq!(proxy.state(), sample().state(), "{serializer:?}");
            let metadata = proxy.metadata().unwrap();
            assert!(
                metadata.methods.contains("m") && metadata.oneway.contains("fire") && metadata.attrs.contains("size")
            );
            assert_eq!(proxy.handshake_response(), None);
            // Round trip through our own writer too (marshal included).
            let again: Proxy = serializer.from_bytes(&serializer.to_bytes(&proxy).unwrap()).unwrap();
            assert_eq!(again.state(), proxy.state());
            // And as a value.
            let value: Value = serializer.from_bytes(python).unwrap();
            assert_eq!(Proxy::from_value(&value).unwrap().state(), sample().state());
        }
    }

    #[test]
    fn receivers_use_their_own_settings() {
        let config =
            Config { comm_timeout: Some(std::time::Duration::from_secs(3)), max_retries: 5, ..Config::default() };
        let proxy = sample().with_timeout(None).with_max_retries(0);
        let received = Proxy::from_state_with_config(proxy.state(), &config).unwrap();
        assert_eq!((received.timeout(), received.max_retries()), (config.comm_timeout, 5));
        assert_eq!(received.serializer(), Serializer::Msgpack);
        assert_eq!(received.state().serializer, None);
        let json = Proxy::from_state_with_config(sample().with_serializer(Serializer::Json).state(), &config).unwrap();
        assert_eq!(json.serializer(), Serializer::Json);
        assert_eq!(json.state().serializer.as_deref(), Some("json"));
    }

    #[test]
    fn bad_proxy_states_are_errors() {
        let mut state = sample().state();
        state.serializer = Some("pickle".into());
        assert!(matches!(Proxy::from_state(state), Err(Error::Serialize(_))));
        let not_a_proxy = br#"{"__class__": "Pyro5.client.Proxy", "state": ["PYRO:o@h:1"]}"#;
        assert!(Serializer::Json.from_bytes::<Proxy>(not_a_proxy).is_err());
        assert!(Serializer::Json.from_bytes::<Proxy>(b"42").is_err());
    }
}

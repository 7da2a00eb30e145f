//! A [`Uri`] as it travels: Pyro5's state tuple `(protocol, object, sockname, host, port)` inside
//! the class dict `{"__class__": "Pyro5.core.URI", "state": [...]}`, and `serde` for both.

use serde::ser::{SerializeMap, SerializeTuple};
use serde::{Deserialize, Serialize};

use super::{Location, Protocol, Uri, UriError};
use crate::serializer::{CLASS_KEY, class_name};
use crate::value::{Dict, Value};

impl Uri {
    /// The `__class__` Pyro5 gives a uri.
    ///
    /// ```
    /// assert_eq!(pyro::Uri::CLASS, "Pyro5.core.URI");
    /// ```
    pub const CLASS: &'static str = "Pyro5.core.URI";

    /// Python's `URI.__getstate__()`: the tuple `(protocol, object, sockname, host, port)`, with
    /// `None` for absent parts and, for `PYROMETA`, the tags as a set. Its `Display` is the
    /// state's Python `repr` (with the tags sorted).
    ///
    /// ```
    /// let uri: pyro::Uri = "PYRO:obj@localhost:9999".parse().unwrap();
    /// assert_eq!(uri.state().to_string(), "('PYRO', 'obj', None, 'localhost', 9999)");
    /// ```
    pub fn state(&self) -> Value {
        let object = match self.tags() {
            Some(tags) => Value::Set(tags.iter().map(|tag| Value::from(tag.as_str())).collect()),
            None => Value::from(self.object.as_str()),
        };
        Value::Tuple(vec![
            Value::from(self.protocol.as_str()),
            object,
            Value::from(self.sockname()),
            Value::from(self.host()),
            Value::from(self.port()),
        ])
    }

    /// Rebuilds a uri from Python's state tuple (a list, tuple of five; the `PYROMETA` tags as
    /// any sequence), checking it as the parser would.
    ///
    /// ```
    /// use pyro::{Uri, value::Value};
    /// let state = Value::List(vec!["PYRO".into(), "obj".into(), Value::None, "::1".into(), 4444.into()]);
    /// assert_eq!(Uri::from_state(&state).unwrap().to_string(), "PYRO:obj@[::1]:4444");
    /// ```
    pub fn from_state(state: &Value) -> Result<Uri, UriError> {
        let invalid = |reason: String| UriError::InvalidState { reason };
        let fields =
            state.as_seq().ok_or_else(|| invalid(format!("expected a sequence, got {}", state.type_name())))?;
        let [protocol, object, sockname, host, port] = fields else {
            return Err(invalid(format!("expected 5 fields, got {}", fields.len())));
        };
        let text = |name: &str, value: &Value| -> Result<Option<String>, UriError> {
            match value {
                Value::None => Ok(None),
                Value::Str(s) => Ok(Some(s.clone())),
                other => Err(invalid(format!("{name} must be a str or None, got {}", other.type_name()))),
            }
        };
        let protocol: Protocol =
            text("protocol", protocol)?.ok_or_else(|| invalid("protocol is None".into()))?.parse()?;
        let port = match port {
            Value::None => None,
            Value::Int(n) => Some(u16::try_from(*n).map_err(|_| UriError::PortOutOfRange { port: n.to_string() })?),
            Value::BigInt(n) => return Err(UriError::PortOutOfRange { port: n.to_string() }),
            other => return Err(invalid(format!("port must be an int or None, got {}", other.type_name()))),
        };
        let location = match (text("sockname", sockname)?, text("host", host)?, port) {
            (None, None, None) => None,
            (Some(path), None, None) => Some(Location::Unix { path }),
            (None, Some(host), Some(port)) => Some(Location::Tcp { host, port }),
            (sockname, host, port) => {
                return Err(invalid(format!(
                    "sockname {sockname:?}, host {host:?} and port {port:?} do not make a location"
                )));
            }
        };
        if protocol == Protocol::PyroMeta {
            let tags = object.as_seq().ok_or_else(|| {
                invalid(format!("the PYROMETA object must be a set of tags, got {}", object.type_name()))
            })?;
            let tags = tags
                .iter()
                .map(|tag| tag.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| invalid("PYROMETA tags must be strings".into()))?;
            return Uri::meta_with(tags, location);
        }
        let object = text("object", object)?.ok_or_else(|| invalid("object is None".into()))?;
        Uri::new(protocol, object, location)
    }

    /// Pyro5's class dict for this uri: `{"__class__": "Pyro5.core.URI", "state": (...)}`.
    ///
    /// ```
    /// let uri: pyro::Uri = "PYRONAME:thing".parse().unwrap();
    /// let value = uri.to_value();
    /// assert_eq!(pyro::serializer::class_name(&value), Some("Pyro5.core.URI"));
    /// assert_eq!(pyro::Uri::from_value(&value).unwrap(), uri);
    /// ```
    pub fn to_value(&self) -> Value {
        let mut dict = Dict::with_capacity(2);
        dict.insert(CLASS_KEY, Uri::CLASS);
        dict.insert("state", self.state());
        Value::Dict(dict)
    }

    /// A uri from a received value: Pyro5's `Pyro5.core.URI` class dict, or a uri string (the
    /// name server's `list()` returns strings).
    ///
    /// ```
    /// use pyro::{Uri, value::Value};
    /// let uri = Uri::from_value(&Value::from("PYRO:obj@host:1")).unwrap();
    /// assert_eq!(uri.port(), Some(1));
    /// assert!(Uri::from_value(&Value::Int(1)).is_err());
    /// ```
    pub fn from_value(value: &Value) -> Result<Uri, UriError> {
        match value {
            Value::Str(text) => text.parse(),
            Value::Dict(dict) if class_name(value) == Some(Uri::CLASS) => {
                Uri::from_state(dict.get("state").unwrap_or(&Value::None))
            }
            other => Err(UriError::InvalidState {
                reason: format!("expected a uri string or a {} class dict, got {}", Uri::CLASS, describe(other)),
            }),
        }
    }
}

/// A value's type, or a class dict's class, for error messages.
fn describe(value: &Value) -> String {
    match class_name(value) {
        Some(class) => format!("a {class} class dict"),
        None => value.type_name().to_owned(),
    }
}

/// Writes Pyro5's class dict `{"__class__": "Pyro5.core.URI", "state": [protocol, object,
/// sockname, host, port]}` (the `PYROMETA` object as a list of tags).
impl Serialize for Uri {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(CLASS_KEY, Uri::CLASS)?;
        map.serialize_entry("state", &State(self))?;
        map.end()
    }
}

/// The state tuple of a uri, for `Serialize`.
struct State<'a>(&'a Uri);

impl Serialize for State<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let uri = self.0;
        let mut tuple = serializer.serialize_tuple(5)?;
        tuple.serialize_element(uri.protocol.as_str())?;
        match uri.tags() {
            Some(tags) => tuple.serialize_element(tags)?,
            None => tuple.serialize_element(&uri.object)?,
        }
        tuple.serialize_element(&uri.sockname())?;
        tuple.serialize_element(&uri.host())?;
        tuple.serialize_element(&uri.port())?;
        tuple.end()
    }
}

/// Reads Pyro5's `Pyro5.core.URI` class dict (state as list or tuple) or a uri string.
impl<'de> Deserialize<'de> for Uri {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Uri, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Uri::from_value(&value).map_err(serde::de::Error::custom)
    }
}

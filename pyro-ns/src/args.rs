//! Python's rules for the name server's loosely typed arguments: truth values, uris given as
//! text or as `URI` objects, and metadata given as any iterable of strings.

use std::collections::BTreeSet;

use pyro::serializer::class_name;
use pyro::{Uri, Value};

use crate::NameServerError;

/// Python's `bool(value)`.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::None => false,
        Value::Bool(b) => *b,
        Value::Int(n) => *n != 0,
        Value::BigInt(_) => true,
        Value::Float(x) => *x != 0.0,
        Value::Complex { re, im } => *re != 0.0 || *im != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::Bytes(b) => !b.is_empty(),
        Value::List(items) | Value::Tuple(items) | Value::Set(items) => !items.is_empty(),
        Value::Dict(dict) => !dict.is_empty(),
        Value::DateTime(_) | Value::Date(_) => true,
    }
}

/// The uri to register, as the text to store: a `URI` object is stored as `str(uri)`, a
/// string is checked by parsing and stored as given (as Pyro5 does).
pub(crate) fn uri_text(uri: &Value) -> Result<String, NameServerError> {
    match uri {
        Value::Str(text) => {
            text.parse::<Uri>()?;
            Ok(text.clone())
        }
        Value::Dict(_) if class_name(uri) == Some(Uri::CLASS) => Ok(Uri::from_value(uri)?.to_string()),
        _ => Err(NameServerError::wrong_type("only URIs or strings can be registered")),
    }
}

/// The name argument of `register`/`set_metadata`, which must be a `str`.
pub(crate) fn name_text(name: Value) -> Result<String, NameServerError> {
    match name {
        Value::Str(name) => Ok(name),
        _ => Err(NameServerError::wrong_type("name must be a str")),
    }
}

/// A metadata argument: `None`, or an iterable of strings that is not itself a string (a list,
/// tuple or set; a dict gives its keys, as iterating a Python dict does). `parameter` names it
/// in the message for a `str` (`"metadata"`, `"metadata_all"`, ...).
pub(crate) fn metadata(value: Value, parameter: &str) -> Result<Option<BTreeSet<String>>, NameServerError> {
    let items: Vec<Value> = match value {
        Value::None => return Ok(None),
        Value::Str(_) => {
            return Err(NameServerError::wrong_type(format!(
                "{parameter} should not be a str, but another iterable (set, list, etc)"
            )));
        }
        Value::List(items) | Value::Tuple(items) | Value::Set(items) => items,
        Value::Dict(dict) => dict.keys().cloned().collect(),
        other => {
            return Err(NameServerError::wrong_type(format!("'{}' object is not iterable", other.type_name())));
        }
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Str(tag) => Ok(tag),
            other => {
                Err(NameServerError::wrong_type(format!("{parameter} items must be str, not {}", other.type_name())))
            }
        })
        .collect::<Result<BTreeSet<String>, _>>()
        .map(Some)
}

/// A flag argument with Python's truth rules: any value is accepted and means `bool(value)`.
/// Pyro5 clients rely on this: `Pyro5.core.resolve` calls `lookup(name, 0.0)`, passing its
/// lookup delay where `return_metadata` goes.
///
/// ```
/// use pyro_ns::Truthy;
/// let flag: Truthy = pyro::value::from_value(pyro::Value::Float(0.0)).unwrap();
/// assert!(!flag.get());
/// let flag: Truthy = pyro::value::from_value(pyro::Value::List(vec![pyro::Value::None])).unwrap();
/// assert!(flag.get());
/// assert!(Truthy::from(true).get());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Truthy(pub bool);

impl Truthy {
    /// The truth value.
    ///
    /// See [`Truthy`] for an example.
    pub fn get(self) -> bool {
        self.0
    }
}

impl From<bool> for Truthy {
    fn from(value: bool) -> Truthy {
        Truthy(value)
    }
}

impl serde::Serialize for Truthy {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bool(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Truthy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Truthy, D::Error> {
        Value::deserialize(deserializer).map(|value| Truthy(truthy(&value)))
    }
}

//! Pyro5's `__class__` dicts: how objects that are not plain data travel.
//!
//! A dict with a `"__class__"` key stands for an instance of that Python class. Pyro5 rebuilds a
//! fixed set of them on receipt: [`Uri`] (`Pyro5.core.URI`), [`ProxyState`]
//! (`Pyro5.client.Proxy`), exceptions ([`RemoteError`]) and, in batch results,
//! [`ExceptionWrapper`] (`Pyro5.core._ExceptionWrapper`). Before interpreting any of them it
//! refuses class names containing `__` ([`check_class`]).
//!
//! ```
//! use pyro::serializer::{class_name, check_class, CLASS_KEY};
//! use pyro::value::{Dict, Value};
//!
//! let mut dict = Dict::new();
//! dict.insert(CLASS_KEY, "__main__.Thing");
//! let value = Value::Dict(dict);
//! assert_eq!(class_name(&value), Some("__main__.Thing"));
//! assert!(check_class(&value).is_err());
//! ```

use std::collections::BTreeSet;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, RemoteError};
use crate::serializer::SerializeError;
use crate::uri::Uri;
use crate::value::{Dict, Value};

/// The key that marks a dict as a serialized class instance.
///
/// ```
/// assert_eq!(pyro::serializer::CLASS_KEY, "__class__");
/// ```
pub const CLASS_KEY: &str = "__class__";

/// The class name of a class dict: its `"__class__"` entry (a str, or bytes holding UTF-8 as
/// Pyro5 also accepts). `None` for anything else.
///
/// ```
/// use pyro::serializer::class_name;
/// use pyro::value::Value;
/// let uri: pyro::Uri = "PYRO:obj@host:1".parse().unwrap();
/// assert_eq!(class_name(&uri.to_value()), Some("Pyro5.core.URI"));
/// assert_eq!(class_name(&Value::from("Pyro5.core.URI")), None);
/// ```
pub fn class_name(value: &Value) -> Option<&str> {
    match value.as_dict()?.get(CLASS_KEY)? {
        Value::Str(name) => Some(name),
        Value::Bytes(name) => std::str::from_utf8(name).ok(),
        _ => None,
    }
}

/// Pyro5's security rule for received class dicts (`SerializerBase.dict_to_class`): a class name
/// containing `"__"` (every class of a script's `__main__`) is refused. Returns the class name
/// of a class dict that may be interpreted, `None` if `value` is no class dict.
///
/// Pyro5 applies the rule after looking for a converter registered with
/// `register_dict_to_class`, so only a registered converter may accept such a name.
///
/// ```
/// use pyro::serializer::check_class;
/// let uri: pyro::Uri = "PYRO:obj@host:1".parse().unwrap();
/// assert_eq!(check_class(&uri.to_value()).unwrap(), Some("Pyro5.core.URI"));
/// assert_eq!(check_class(&pyro::value::Value::Int(1)).unwrap(), None);
/// ```
pub fn check_class(value: &Value) -> Result<Option<&str>, RefusedClass> {
    match class_name(value) {
        Some(class) if class.contains("__") => Err(RefusedClass { class: class.to_owned() }),
        other => Ok(other),
    }
}

/// A received class dict whose class name contains `"__"`; Pyro5 raises `SecurityError` for it,
/// and it converts to [`Error::Security`].
///
/// ```
/// use pyro::serializer::RefusedClass;
/// let err = RefusedClass { class: "__main__.Thing".into() };
/// assert_eq!(err.to_string(), "refused to deserialize types with double underscores in their name: __main__.Thing");
/// assert_eq!(pyro::Error::from(err).python_class(), "Pyro5.errors.SecurityError");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("refused to deserialize types with double underscores in their name: {class}")]
pub struct RefusedClass {
    /// The refused class name.
    pub class: String,
}

impl From<RefusedClass> for Error {
    fn from(refused: RefusedClass) -> Error {
        Error::Security { message: refused.to_string() }
    }
}

/// The state of a `Pyro5.client.Proxy` as it travels (`Proxy.__getstate__`): the uri, the
/// names of its oneway methods, methods and attributes (as Pyro5 learnt them from the
/// metadata), the handshake data and the serializer name.
///
/// On the wire it is `{"__class__": "Pyro5.client.Proxy", "state": [uri_str, oneway, methods,
/// attrs, handshake, serializer]}`; the name sets are written sorted (Python writes them in its
/// sets' arbitrary order). A receiver uses its own timeout and retry settings and connects anew.
///
/// ```
/// use pyro::serializer::ProxyState;
///
/// let mut state = ProxyState::new("PYRO:sub@127.0.0.1:37849".parse().unwrap());
/// state.methods.insert("hello".into());
/// state.handshake = "hello".into();
/// let back = ProxyState::from_value(&state.to_value()).unwrap();
/// assert_eq!(back, state);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyState {
    /// The object the proxy is for (sent as its text, `str(uri)`).
    pub uri: Uri,
    /// Names of the methods called oneway (`_pyroOneway`).
    pub oneway: BTreeSet<String>,
    /// Names of the remote methods (`_pyroMethods`).
    pub methods: BTreeSet<String>,
    /// Names of the remote attributes (`_pyroAttrs`).
    pub attrs: BTreeSet<String>,
    /// The data the proxy sends in its connection handshake (`_pyroHandshake`, default `None`).
    pub handshake: Value,
    /// The serializer the proxy uses (`_pyroSerializer`), e.g. `"msgpack"`; `None` = the
    /// configured default. Kept as a name, as a Python peer sends it (it may name a serializer
    /// that is not installed on the receiving side, e.g. msgpack for a plain Pyro5).
    pub serializer: Option<String>,
}

impl ProxyState {
    /// The `__class__` Pyro5 gives a proxy.
    ///
    /// ```
    /// assert_eq!(pyro::serializer::ProxyState::CLASS, "Pyro5.client.Proxy");
    /// ```
    pub const CLASS: &'static str = "Pyro5.client.Proxy";

    /// The state of a fresh proxy for `uri`: no metadata yet, handshake `None`, default serializer.
    ///
    /// ```
    /// let state = pyro::serializer::ProxyState::new("PYRONAME:thing".parse().unwrap());
    /// assert!(state.methods.is_empty() && state.handshake.is_none() && state.serializer.is_none());
    /// ```
    pub fn new(uri: Uri) -> ProxyState {
        ProxyState {
            uri,
            oneway: BTreeSet::new(),
            methods: BTreeSet::new(),
            attrs: BTreeSet::new(),
            handshake: Value::None,
            serializer: None,
        }
    }

    /// Pyro5's class dict for this proxy (the state as a tuple, the name sets as Python sets).
    ///
    /// ```
    /// use pyro::serializer::{class_name, ProxyState};
    /// let state = ProxyState::new("PYRO:obj@host:1".parse().unwrap());
    /// assert_eq!(class_name(&state.to_value()), Some("Pyro5.client.Proxy"));
    /// ```
    pub fn to_value(&self) -> Value {
        let names = |set: &BTreeSet<String>| Value::Tuple(set.iter().map(|n| Value::from(n.as_str())).collect());
        let state = Value::Tuple(vec![
            Value::Str(self.uri.to_string()),
            names(&self.oneway),
            names(&self.methods),
            names(&self.attrs),
            self.handshake.clone(),
            Value::from(self.serializer.as_deref()),
        ]);
        let mut dict = Dict::with_capacity(2);
        dict.insert(CLASS_KEY, ProxyState::CLASS);
        dict.insert("state", state);
        Value::Dict(dict)
    }

    /// Reads Pyro5's `Pyro5.client.Proxy` class dict: the state as list or tuple of (at least)
    /// six, the name collections as any sequence of strings, the uri as text.
    ///
    /// ```
    /// use pyro::serializer::ProxyState;
    /// use pyro::value::Value;
    /// assert!(ProxyState::from_value(&Value::from("PYRO:obj@host:1")).is_err());
    /// ```
    pub fn from_value(value: &Value) -> Result<ProxyState, SerializeError> {
        let invalid = |reason: String| SerializeError::Invalid { what: "proxy", reason };
        match class_name(value) {
            Some(ProxyState::CLASS) => {}
            Some(other) => {
                return Err(invalid(format!("expected a {} class dict, got a {other} one", ProxyState::CLASS)));
            }
            None => {
                return Err(invalid(format!("expected a {} class dict, got {}", ProxyState::CLASS, value.type_name())));
            }
        }
        let state = value.as_dict().and_then(|d| d.get("state")).unwrap_or(&Value::None);
        let fields =
            state.as_seq().ok_or_else(|| invalid(format!("state must be a sequence, got {}", state.type_name())))?;
        let [uri, oneway, methods, attrs, handshake, serializer, ..] = fields else {
            return Err(invalid(format!("state must have 6 fields, got {}", fields.len())));
        };
        let uri = match uri {
            Value::Str(text) => text.parse().map_err(|e| invalid(format!("{e}")))?,
            other => return Err(invalid(format!("the uri must be a str, got {}", other.type_name()))),
        };
        let names = |what: &str, value: &Value| -> Result<BTreeSet<String>, SerializeError> {
            value
                .as_seq()
                .and_then(|items| items.iter().map(|n| n.as_str().map(str::to_owned)).collect())
                .ok_or_else(|| invalid(format!("{what} must be a sequence of str, got {}", value.type_name())))
        };
        let serializer = match serializer {
            Value::None => None,
            Value::Str(name) => Some(name.clone()),
            other => return Err(invalid(format!("serializer must be a str or None, got {}", other.type_name()))),
        };
        Ok(ProxyState {
            uri,
            oneway: names("oneway", oneway)?,
            methods: names("methods", methods)?,
            attrs: names("attrs", attrs)?,
            handshake: handshake.clone(),
            serializer,
        })
    }
}

/// Writes `{"__class__": "Pyro5.client.Proxy", "state": [uri, oneway, methods, attrs, handshake, serializer]}`.
impl Serialize for ProxyState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Python's `__getstate__` makes tuples of the name sets: serpent and marshal keep them.
        let state = (
            self.uri.to_string(),
            NameTuple(&self.oneway),
            NameTuple(&self.methods),
            NameTuple(&self.attrs),
            &self.handshake,
            &self.serializer,
        );
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(CLASS_KEY, ProxyState::CLASS)?;
        map.serialize_entry("state", &state)?;
        map.end()
    }
}

/// A set of names written as a tuple.
struct NameTuple<'a>(&'a BTreeSet<String>);

impl Serialize for NameTuple<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for name in self.0 {
            tuple.serialize_element(name)?;
        }
        tuple.end()
    }
}

/// Reads Pyro5's `Pyro5.client.Proxy` class dict (see [`ProxyState::from_value`]).
impl<'de> Deserialize<'de> for ProxyState {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ProxyState, D::Error> {
        let value = Value::deserialize(deserializer)?;
        ProxyState::from_value(&value).map_err(serde::de::Error::custom)
    }
}

/// An exception inside a batch result (Pyro5's `core._ExceptionWrapper`): the calls of a batch
/// that ran before the failing one return their results, then this wrapper.
///
/// On the wire it is `{"__class__": "Pyro5.core._ExceptionWrapper", "exception": {exception dict}}`.
///
/// ```
/// use pyro::RemoteError;
/// use pyro::serializer::ExceptionWrapper;
///
/// let wrapper = ExceptionWrapper(RemoteError::new("builtins.ZeroDivisionError", vec!["division by zero".into()]));
/// let value = wrapper.to_value();
/// assert!(ExceptionWrapper::is_wrapper(&value));
/// assert_eq!(ExceptionWrapper::from_value(&value).unwrap(), wrapper);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ExceptionWrapper(pub RemoteError);

impl ExceptionWrapper {
    /// The `__class__` Pyro5 gives the wrapper.
    ///
    /// ```
    /// assert_eq!(pyro::serializer::ExceptionWrapper::CLASS, "Pyro5.core._ExceptionWrapper");
    /// ```
    pub const CLASS: &'static str = "Pyro5.core._ExceptionWrapper";

    /// Whether `value` is a wrapper's class dict.
    ///
    /// ```
    /// use pyro::serializer::ExceptionWrapper;
    /// assert!(!ExceptionWrapper::is_wrapper(&pyro::value::Value::None));
    /// ```
    pub fn is_wrapper(value: &Value) -> bool {
        class_name(value) == Some(ExceptionWrapper::CLASS)
    }

    /// The wrapper's class dict.
    ///
    /// ```
    /// use pyro::{serializer::ExceptionWrapper, RemoteError};
    /// let value = ExceptionWrapper(RemoteError::new("builtins.ValueError", vec![])).to_value();
    /// assert!(value.as_dict().unwrap().get("exception").is_some());
    /// ```
    pub fn to_value(&self) -> Value {
        let mut dict = Dict::with_capacity(2);
        dict.insert(CLASS_KEY, ExceptionWrapper::CLASS);
        dict.insert("exception", self.0.to_value());
        Value::Dict(dict)
    }

    /// Reads a wrapper's class dict. The wrapped exception dict passes [`check_class`] first, as
    /// in Pyro5, so a refused class name is an [`Error::Security`]; a malformed one an
    /// [`Error::Serialize`].
    ///
    /// ```
    /// use pyro::{serializer::ExceptionWrapper, Error, RemoteError};
    /// let sneaky = ExceptionWrapper(RemoteError::new("__main__.MyError", vec![])).to_value();
    /// assert!(matches!(ExceptionWrapper::from_value(&sneaky), Err(Error::Security { .. })));
    /// ```
    pub fn from_value(value: &Value) -> Result<ExceptionWrapper, Error> {
        let invalid = |reason: String| Error::from(SerializeError::Invalid { what: "exception wrapper", reason });
        if !ExceptionWrapper::is_wrapper(value) {
            return Err(invalid(format!(
                "expected a {} class dict, got {}",
                ExceptionWrapper::CLASS,
                value.type_name()
            )));
        }
        let exception = value.as_dict().and_then(|d| d.get("exception")).unwrap_or(&Value::None);
        if check_class(exception)?.is_none() {
            return Err(invalid(format!("the exception must be a class dict, got {}", exception.type_name())));
        }
        Ok(ExceptionWrapper(RemoteError::from_value(exception)?))
    }
}

/// Writes `{"__class__": "Pyro5.core._ExceptionWrapper", "exception": {...}}`.
impl Serialize for ExceptionWrapper {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry(CLASS_KEY, ExceptionWrapper::CLASS)?;
        map.serialize_entry("exception", &self.0.to_value())?;
        map.end()
    }
}

/// Reads a wrapper's class dict (see [`ExceptionWrapper::from_value`]).
impl<'de> Deserialize<'de> for ExceptionWrapper {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ExceptionWrapper, D::Error> {
        let value = Value::deserialize(deserializer)?;
        ExceptionWrapper::from_value(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::serializer::Serializer;

    fn class_dict(class: Value) -> Value {
        let mut dict = Dict::new();
        dict.insert(CLASS_KEY, class);
        Value::Dict(dict)
    }

    #[test]
    fn class_names() {
        assert_eq!(class_name(&class_dict("a.B".into())), Some("a.B"));
        assert_eq!(class_name(&class_dict(Value::Bytes(b"a.B".to_vec()))), Some("a.B"));
        assert_eq!(class_name(&class_dict(Value::Bytes(vec![0xff]))), None);
        assert_eq!(class_name(&class_dict(1.into())), None);
        assert_eq!(class_name(&Value::Dict(Dict::new())), None);
        assert_eq!(class_name(&Value::List(vec![])), None);
    }

    #[test]
    fn double_underscores_are_refused() {
        for class in ["__main__.Thing", "mod.__X", "a__b", "__"] {
            let err = check_class(&class_dict(class.into())).unwrap_err();
            assert_eq!(err.class, class);
            let err = Error::from(err);
            assert_eq!(err.python_class(), "Pyro5.errors.SecurityError");
            assert_eq!(
                err.to_string(),
                format!("security error: refused to deserialize types with double underscores in their name: {class}")
            );
        }
        for class in ["Pyro5.core._ExceptionWrapper", "builtins.ValueError", "Pyro5.core.URI", "_a._b"] {
            assert_eq!(check_class(&class_dict(class.into())).unwrap(), Some(class));
        }
        assert_eq!(check_class(&Value::from("__main__")).unwrap(), None);
        assert!(check_class(&class_dict(Value::Bytes(b"__main__.X".to_vec()))).is_err());
    }

    fn sample_proxy() -> ProxyState {
        let mut state = ProxyState::new("PYRO:o@h:1".parse().unwrap());
        state.methods.insert("m".into());
        let mut handshake = Dict::new();
        handshake.insert("x", 1);
        state.handshake = Value::Dict(handshake);
        state
    }

    #[test]
    fn proxy_json_matches_pyro5() {
        // Pyro5: p = Proxy("PYRO:o@h:1"); p._pyroMethods = {"m"}; p._pyroHandshake = {"x": 1}
        let python = br#"{"__class__": "Pyro5.client.Proxy", "state": ["PYRO:o@h:1", [], ["m"], [], {"x": 1}, null]}"#;
        assert_eq!(Serializer::Json.to_bytes(&sample_proxy()).unwrap(), python);
        assert_eq!(Serializer::Json.from_bytes::<ProxyState>(python).unwrap(), sample_proxy());
        // The reference's observed proxy (§3.4).
        let observed = br#"{"__class__": "Pyro5.client.Proxy", "state": ["PYRO:sub@127.0.0.1:37849", [], ["hello"], [], "hello", null]}"#;
        let state = Serializer::Json.from_bytes::<ProxyState>(observed).unwrap();
        assert_eq!(state.uri.port(), Some(37849));
        assert_eq!(state.handshake, Value::from("hello"));
        assert_eq!(Serializer::Json.to_bytes(&state).unwrap(), observed);
    }

    #[test]
    fn proxy_msgpack_matches_pyro5() {
        let python =
            b"\x82\xa9__class__\xb2Pyro5.client.Proxy\xa5state\x96\xaaPYRO:o@h:1\x90\x91\xa1m\x90\x81\xa1x\x01\xc0";
        assert_eq!(Serializer::Msgpack.to_bytes(&sample_proxy()).unwrap(), python);
        assert_eq!(Serializer::Msgpack.from_bytes::<ProxyState>(python).unwrap(), sample_proxy());
    }

    #[test]
    fn proxy_value_forms() {
        let mut state = sample_proxy();
        state.oneway.insert("fire".into());
        state.attrs.insert("size".into());
        state.serializer = Some("json".into());
        let value = state.to_value();
        assert_eq!(
            value.to_string(),
            "{'__class__': 'Pyro5.client.Proxy', 'state': ('PYRO:o@h:1', ('fire',), ('m',), ('size',), {'x': 1}, 'json')}"
        );
        assert_eq!(ProxyState::from_value(&value).unwrap(), state);

        let with_state = |fields: Vec<Value>| {
            let mut dict = Dict::new();
            dict.insert(CLASS_KEY, ProxyState::CLASS);
            dict.insert("state", Value::List(fields));
            Value::Dict(dict)
        };
        let empty = || Value::List(vec![]);
        // Python ignores extra state fields.
        let extra =
            with_state(vec!["PYRO:o@h:1".into(), empty(), empty(), empty(), Value::None, Value::None, "x".into()]);
        assert_eq!(ProxyState::from_value(&extra).unwrap(), ProxyState::new("PYRO:o@h:1".parse().unwrap()));
        let bad = [
            with_state(vec!["PYRO:o@h:1".into(), empty(), empty(), empty(), Value::None]),
            with_state(vec![1.into(), empty(), empty(), empty(), Value::None, Value::None]),
            with_state(vec!["PYRO:o@h".into(), empty(), empty(), empty(), Value::None, Value::None]),
            with_state(vec![
                "PYRO:o@h:1".into(),
                Value::List(vec![1.into()]),
                empty(),
                empty(),
                Value::None,
                Value::None,
            ]),
            with_state(vec!["PYRO:o@h:1".into(), Value::None, empty(), empty(), Value::None, Value::None]),
            with_state(vec!["PYRO:o@h:1".into(), empty(), empty(), empty(), Value::None, 4.into()]),
            class_dict(ProxyState::CLASS.into()),
            class_dict("Pyro5.core.URI".into()),
            Value::from("PYRO:o@h:1"),
        ];
        for value in bad {
            assert!(
                matches!(ProxyState::from_value(&value), Err(SerializeError::Invalid { what: "proxy", .. })),
                "{value}"
            );
        }
        let tuple_state = {
            let mut dict = Dict::new();
            dict.insert(CLASS_KEY, ProxyState::CLASS);
            dict.insert(
                "state",
                Value::Tuple(vec![
                    "PYRONAME:x".into(),
                    Value::Set(vec!["a".into()]),
                    empty(),
                    empty(),
                    Value::None,
                    Value::None,
                ]),
            );
            Value::Dict(dict)
        };
        assert_eq!(ProxyState::from_value(&tuple_state).unwrap().oneway.len(), 1);
    }

    fn sample_wrapper() -> ExceptionWrapper {
        ExceptionWrapper(
            RemoteError::new("builtins.ValueError", vec!["oops".into(), 42.into()])
                .with_traceback(vec!["tb1\n".into(), "tb2\n".into()]),
        )
    }

    #[test]
    fn exception_wrapper_matches_pyro5() {
        // Pyro5: e = ValueError("oops", 42); e._pyroTraceback = ["tb1\n", "tb2\n"]; dumps(core._ExceptionWrapper(e))
        let json = br#"{"__class__": "Pyro5.core._ExceptionWrapper", "exception": {"__class__": "builtins.ValueError", "__exception__": true, "args": ["oops", 42], "attributes": {"_pyroTraceback": ["tb1\n", "tb2\n"]}}}"#;
        assert_eq!(Serializer::Json.to_bytes(&sample_wrapper()).unwrap(), json);
        assert_eq!(Serializer::Json.from_bytes::<ExceptionWrapper>(json).unwrap(), sample_wrapper());
        let msgpack = b"\x82\xa9__class__\xbcPyro5.core._ExceptionWrapper\xa9exception\x84\xa9__class__\xb3builtins.ValueError\xad__exception__\xc3\xa4args\x92\xa4oops*\xaaattributes\x81\xae_pyroTraceback\x92\xa4tb1\n\xa4tb2\n";
        assert_eq!(Serializer::Msgpack.to_bytes(&sample_wrapper()).unwrap(), msgpack);
        assert_eq!(Serializer::Msgpack.from_bytes::<ExceptionWrapper>(msgpack).unwrap(), sample_wrapper());
    }

    #[test]
    fn exception_wrapper_checks() {
        let value = sample_wrapper().to_value();
        assert!(ExceptionWrapper::is_wrapper(&value));
        assert_eq!(ExceptionWrapper::from_value(&value).unwrap(), sample_wrapper());
        // Pyro5 refuses the inner class: SecurityError.
        let sneaky = ExceptionWrapper(RemoteError::new("__main__.MyErr", vec![])).to_value();
        let err = ExceptionWrapper::from_value(&sneaky).unwrap_err();
        assert_eq!(
            err.to_string(),
            "security error: refused to deserialize types with double underscores in their name: __main__.MyErr"
        );
        let mut no_exception = Dict::new();
        no_exception.insert(CLASS_KEY, ExceptionWrapper::CLASS);
        assert!(matches!(ExceptionWrapper::from_value(&Value::Dict(no_exception.clone())), Err(Error::Serialize(_))));
        no_exception.insert("exception", "text");
        assert!(matches!(ExceptionWrapper::from_value(&Value::Dict(no_exception)), Err(Error::Serialize(_))));
        assert!(matches!(ExceptionWrapper::from_value(&Value::from(1)), Err(Error::Serialize(_))));
        assert!(!ExceptionWrapper::is_wrapper(&RemoteError::new("builtins.ValueError", vec![]).to_value()));
    }
}

//! The call payload (`INVOKE`) in each serializer's shape.

use serde::Serialize;

use super::{DecodeLimit, SerializeError, SerializeOptions, Serializer};
use crate::value::{Dict, Value};

/// A decoded remote call: the target object id, the method name and its arguments.
///
/// ```
/// use pyro::serializer::{Call, Serializer};
/// use pyro::value::{Dict, Value};
///
/// let bytes = Serializer::Json.encode_call("thing", "add", &(1, 2), Some(&Dict::new())).unwrap();
/// let call = Serializer::Json.decode_call(&bytes).unwrap();
/// assert_eq!(call, Call { object: "thing".into(), method: "add".into(), vargs: vec![Value::Int(1), Value::Int(2)], kwargs: Some(Dict::new()) });
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The object id the call is for (e.g. `"Pyro.Daemon"`).
    pub object: String,
    /// The method name (`"__getattr__"`, `"__setattr__"` and `"<batch>"` are Pyro5's special ones).
    pub method: String,
    /// Positional arguments.
    pub vargs: Vec<Value>,
    /// Keyword arguments by name; `None` when the caller sent null (Pyro5 does for attribute
    /// access and batches).
    pub kwargs: Option<Dict>,
}

/// The json shape of a call: an object with exactly these keys, in this order.
#[derive(Serialize)]
struct JsonCall<'a, A: ?Sized, K: ?Sized> {
    object: &'a str,
    method: &'a str,
    params: &'a A,
    kwargs: Option<&'a K>,
}

pub(super) fn encode<A, K>(
    ser: Serializer,
    options: SerializeOptions,
    object: &str,
    method: &str,
    vargs: &A,
    kwargs: Option<&K>,
) -> Result<Vec<u8>, SerializeError>
where
    A: Serialize + ?Sized,
    K: Serialize + ?Sized,
{
    match ser {
        Serializer::Json => ser.to_bytes_with(&JsonCall { object, method, params: vargs, kwargs }, options),
        // Serpent, marshal and msgpack all carry the same 4-tuple (an array in msgpack). Pyro5's
        // marshal serializer turns vargs into a list first; a tuple reads the same on its side.
        Serializer::Serpent | Serializer::Marshal | Serializer::Msgpack => {
            ser.to_bytes_with(&(object, method, vargs, kwargs), options)
        }
    }
}

pub(super) fn decode(ser: Serializer, bytes: &[u8], limit: DecodeLimit) -> Result<Call, SerializeError> {
    let value: Value = ser.from_bytes_limited(bytes, limit)?;
    let (object, method, vargs, kwargs) = match (ser, value) {
        (Serializer::Serpent | Serializer::Marshal | Serializer::Msgpack, Value::List(items) | Value::Tuple(items))
            if items.len() == 4 =>
        {
            let mut items = items.into_iter();
            let mut next = || items.next().unwrap_or_default();
            (next(), next(), next(), next())
        }
        (Serializer::Json, Value::Dict(mut dict)) => {
            let mut field = |key: &str| dict.remove(key).ok_or_else(|| invalid(format!("missing key {key:?}")));
            (field("object")?, field("method")?, field("params")?, field("kwargs").unwrap_or_default())
        }
        (Serializer::Msgpack, other) => {
            return Err(invalid(format!("expected a 4-element array, got {}", describe(&other))));
        }
        (Serializer::Serpent | Serializer::Marshal, other) => {
            return Err(invalid(format!("expected a 4-element tuple, got {}", describe(&other))));
        }
        (Serializer::Json, other) => return Err(invalid(format!("expected an object, got {}", other.type_name()))),
    };
    let object = into_string(object, "object id")?;
    let method = into_string(method, "method name")?;
    let vargs = match vargs {
        Value::List(items) | Value::Tuple(items) => items,
        other => return Err(invalid(format!("positional arguments must be a sequence, got {}", other.type_name()))),
    };
    let kwargs = match kwargs {
        Value::None => None,
        Value::Dict(dict) => {
            if let Some(key) = dict.keys().find(|k| k.as_str().is_none()) {
                return Err(invalid(format!("keyword argument names must be str, got {}", key.type_name())));
            }
            Some(dict)
        }
        other => return Err(invalid(format!("keyword arguments must be a dict or null, got {}", other.type_name()))),
    };
    Ok(Call { object, method, vargs, kwargs })
}

fn into_string(value: Value, what: &str) -> Result<String, SerializeError> {
    match value {
        Value::Str(s) => Ok(s),
        other => Err(invalid(format!("{what} must be str, got {}", other.type_name()))),
    }
}

fn describe(value: &Value) -> String {
    match value.as_seq() {
        Some(items) => format!("{} of {} elements", value.type_name(), items.len()),
        None => value.type_name().to_owned(),
    }
}

fn invalid(reason: String) -> SerializeError {
    SerializeError::Invalid { what: "call", reason }
}

//! The call payload (`INVOKE`) in each serializer's shape.

use std::sync::Arc;

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

/// msgpack's marker of an array of 4 items: a call's frame.
const MSGPACK_ARRAY_OF_4: u8 = 0x94;

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
        // The same bytes as the tuple below, the frame written directly (every call is one).
        Serializer::Msgpack => {
            // Into the thread's spare buffer (the async proxy gives it back once sent).
            let mut out = super::spare_buffer::take();
            out.reserve(128);
            out.push(MSGPACK_ARRAY_OF_4);
            super::msgpack::write_str(&mut out, object)?;
            super::msgpack::write_str(&mut out, method)?;
            super::msgpack::write_to(&mut out, vargs)?;
            super::msgpack::write_to(&mut out, &kwargs)?;
            Ok(out)
        }
        // Serpent, marshal and msgpack all carry the same 4-tuple (an array in msgpack). Pyro5's
        // marshal serializer turns vargs into a list first; a tuple reads the same on its side.
        Serializer::Serpent | Serializer::Marshal => ser.to_bytes_with(&(object, method, vargs, kwargs), options),
    }
}

pub(super) fn decode(ser: Serializer, bytes: &[u8], limit: DecodeLimit) -> Result<Call, SerializeError> {
    let SharedCall { object, method, vargs, kwargs } = decode_shared(ser, bytes, limit)?;
    Ok(Call { object, method: method.to_string(), vargs, kwargs })
}

/// A decoded call whose method name can be shared (a daemon's request keeps it for the reply
/// and its arguments' errors, without a copy for each).
#[derive(Debug)]
pub(crate) struct SharedCall {
    pub(crate) object: String,
    pub(crate) method: Arc<str>,
    pub(crate) vargs: Vec<Value>,
    pub(crate) kwargs: Option<Dict>,
}

/// [`Serializer::decode_call_limited`] with the method name shared.
pub(crate) fn decode_shared(ser: Serializer, bytes: &[u8], limit: DecodeLimit) -> Result<SharedCall, SerializeError> {
    // msgpack, the common case: the parts read directly (the general path below explains a
    // payload of another shape).
    if ser == Serializer::Msgpack
        && let Some((object, method, vargs, kwargs)) = super::msgpack::call_parts(bytes, limit)?
    {
        return Ok(SharedCall { object, method, vargs, kwargs: keyword_arguments(kwargs)? });
    }
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
    Ok(SharedCall { object, method: Arc::from(method), vargs, kwargs: keyword_arguments(kwargs)? })
}

/// A call's keyword arguments: null, or a dict with str keys.
fn keyword_arguments(kwargs: Value) -> Result<Option<Dict>, SerializeError> {
    match kwargs {
        Value::None => Ok(None),
        Value::Dict(dict) => {
            if let Some(key) = dict.keys().find(|k| k.as_str().is_none()) {
                return Err(invalid(format!("keyword argument names must be str, got {}", key.type_name())));
            }
            Ok(Some(dict))
        }
        other => Err(invalid(format!("keyword arguments must be a dict or null, got {}", other.type_name()))),
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn msgpack(value: &Value) -> Vec<u8> {
        Serializer::Msgpack.to_bytes(value).unwrap()
    }

    fn decode_msgpack(value: &Value) -> Result<Call, SerializeError> {
        decode(Serializer::Msgpack, &msgpack(value), DecodeLimit::default())
    }

    #[test]
    fn msgpack_calls_read_directly_match_the_general_shape() {
        let kwargs: Dict = [(Value::from("polite"), Value::Bool(true))].into_iter().collect();
        let sent = Value::List(vec![
            Value::from("thing"),
            Value::from("add"),
            Value::List(vec![Value::Int(1), Value::List(vec![Value::None])]),
            Value::Dict(kwargs.clone()),
        ]);
        let call = decode_msgpack(&sent).unwrap();
        let expected = Call {
            object: "thing".into(),
            method: "add".into(),
            vargs: vec![Value::Int(1), Value::List(vec![Value::None])],
            kwargs: Some(kwargs),
        };
        assert_eq!(call, expected);
        let null_kwargs = Value::List(vec![Value::from("o"), Value::from("m"), Value::List(vec![]), Value::None]);
        assert_eq!(decode_msgpack(&null_kwargs).unwrap().kwargs, None);
    }

    #[test]
    fn msgpack_calls_are_written_as_the_4_tuple_is() {
        let kwargs: Dict = [(Value::from("k"), Value::from("é".repeat(40)))].into_iter().collect();
        let long = "m".repeat(300);
        for (object, method) in [("obj", "add"), ("x".repeat(40).as_str(), long.as_str())] {
            let vargs = (1, "two", vec![3.5], Value::None);
            for kwargs in [Some(&kwargs), None] {
                let direct = encode(Serializer::Msgpack, SerializeOptions::default(), object, method, &vargs, kwargs);
                let tuple = Serializer::Msgpack.to_bytes(&(object, method, &vargs, kwargs)).unwrap();
                assert_eq!(direct.unwrap(), tuple, "{object} {method} {kwargs:?}");
            }
        }
    }

    #[test]
    fn msgpack_calls_of_another_shape_are_refused_with_the_reason() {
        let parts = |n: usize| Value::List((0..n).map(|_| Value::from("x")).collect());
        for n in [3, 5] {
            let error = decode_msgpack(&parts(n)).unwrap_err().to_string();
            assert!(error.contains("expected a 4-element array"), "{n}: {error}");
        }
        let number_id = Value::List(vec![Value::Int(1), Value::from("m"), Value::List(vec![]), Value::None]);
        assert!(decode_msgpack(&number_id).unwrap_err().to_string().contains("object id must be str"));
        let bad_kwargs = Value::List(vec![Value::from("o"), Value::from("m"), Value::List(vec![]), Value::Int(3)]);
        assert!(decode_msgpack(&bad_kwargs).unwrap_err().to_string().contains("must be a dict or null"));
        let int_key: Dict = [(Value::Int(1), Value::None)].into_iter().collect();
        let int_key = Value::List(vec![Value::from("o"), Value::from("m"), Value::List(vec![]), Value::Dict(int_key)]);
        assert!(decode_msgpack(&int_key).unwrap_err().to_string().contains("names must be str"));
        let vargs_not_a_list = Value::List(vec![Value::from("o"), Value::from("m"), Value::Int(1), Value::None]);
        assert!(decode_msgpack(&vargs_not_a_list).unwrap_err().to_string().contains("must be a sequence"));
    }
}

//! `Deserialize` for [`Value`], and [`from_value`]: a [`Value`] as any `Deserialize` type.
//!
//! A `Value` is itself a serde `Deserializer` (owned, so strings and byte strings move into the
//! target without copying). `deserialize_any` presents it in serde's data model: `None` as unit,
//! ints, floats, str, bytes, lists/tuples/sets as sequences, dicts as maps, and the values
//! Pyro5's msgpack carries as extensions (complex, big ints, datetime, date) through the
//! extension newtype channel, exactly as rmp-serde presents a msgpack ext: `visit_newtype_struct`
//! of the sequence `(code: i8, payload: bytes)`.
//!
//! `Value`'s own `Deserialize` asks for the private newtype struct [`VALUE_TOKEN`]; every
//! deserializer but a `Value` treats that as "any value", while a `Value` answers with a view
//! that also keeps tuples and sets apart from lists, so `from_value::<Value>(v) == v`.
//!
//! Limitation: when serde buffers input (untagged or internally tagged enums, `flatten`), a
//! `Value` inside reads tuples and sets as lists, and a msgpack extension buffered by serde as
//! the list `[code, payload]`.

use serde::de::{DeserializeOwned, Deserializer, IntoDeserializer, Visitor};

use super::{Dict, EXT_STRUCT_NAME, Value};
use crate::serializer::SerializeError;

mod access;
mod keys;
mod visitor;

use access::{ByteSeq, EnumDeserializer, ExactValue, ExtDeserializer, MapDeserializer, SeqDeserializer};

/// The newtype struct name `Value::deserialize` asks for.
pub(crate) const VALUE_TOKEN: &str = "$pyro::private::Value";
/// Private enum variants that carry a tuple or a set from a `Value` to `Value`'s visitor.
const TUPLE_VARIANT: &str = "$pyro::private::Tuple";
const SET_VARIANT: &str = "$pyro::private::Set";

/// Upper bound for capacities taken from size hints of untrusted input.
const MAX_PREALLOC: usize = 4096;

/// Converts a [`Value`] into any deserializable type.
///
/// Integers convert to any integer type they fit, ints to floats, `None` to `Option::None` or
/// `()`, a str to a unit enum variant and a one-entry dict to any other variant, dicts to
/// structs and maps, lists/tuples/sets to sequences and tuples, bytes to `serde_bytes` buffers
/// or `Vec<u8>` (so does serpent's bytes dict `{'data': <base64>, 'encoding': 'base64'}`). Errors name the Python type that did not fit.
///
/// ```
/// use pyro::value::{from_value, Dict, Value};
///
/// #[derive(serde::Deserialize, Debug, PartialEq)]
/// struct Point {
///     x: i32,
///     y: f64,
/// }
///
/// let mut d = Dict::new();
/// d.insert("x", 1);
/// d.insert("y", 2); // Python may send an int where a float is meant
/// assert_eq!(from_value::<Point>(Value::Dict(d)).unwrap(), Point { x: 1, y: 2.0 });
///
/// let err = from_value::<i32>(Value::from("seven")).unwrap_err();
/// assert_eq!(err.to_string(), "expected i32, got str");
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, SerializeError> {
    T::deserialize(value)
}

fn mismatch(expected: &str, got: &Value) -> SerializeError {
    SerializeError::Custom(format!("expected {expected}, got {}", got.type_name()))
}

/// The integer in `value` as a `T`, or an error naming `name`.
fn int_as<T>(value: &Value, name: &str) -> Result<T, SerializeError>
where
    T: TryFrom<i64> + for<'a> TryFrom<&'a num_bigint::BigInt>,
{
    let fits = match value {
        Value::Int(n) => T::try_from(*n).ok(),
        Value::BigInt(n) => T::try_from(n).ok(),
        other => return Err(mismatch(name, other)),
    };
    fits.ok_or_else(|| SerializeError::Custom(format!("expected {name}, got int {value} (out of range)")))
}

/// Runs `visitor` over a sequence and checks that it took every element.
fn visit_items<'de, V: Visitor<'de>>(items: Vec<Value>, visitor: V) -> Result<V::Value, SerializeError> {
    let total = items.len();
    let mut seq = SeqDeserializer { iter: items.into_iter() };
    let out = visitor.visit_seq(&mut seq)?;
    match seq.iter.len() {
        0 => Ok(out),
        left => Err(SerializeError::Custom(format!("expected {} elements, got {total}", total - left))),
    }
}

/// Runs `visitor` over a dict's entries and checks that it took every one.
fn visit_dict<'de, V: Visitor<'de>>(dict: Dict, visitor: V) -> Result<V::Value, SerializeError> {
    let total = dict.len();
    let mut map = MapDeserializer { iter: dict.into_iter(), value: None };
    let out = visitor.visit_map(&mut map)?;
    match map.iter.len() {
        0 => Ok(out),
        left => Err(SerializeError::Custom(format!("expected {} entries, got {total}", total - left))),
    }
}

/// The base64 text of serpent's bytes dict `{'data': <base64 str>, 'encoding': 'base64'}`
/// (how Pyro5's default serializer sends bytes), or `None` if `dict` is not one.
fn serpent_base64(dict: &Dict) -> Option<&str> {
    if dict.len() != 2 || dict.get("encoding").and_then(Value::as_str) != Some("base64") {
        return None;
    }
    dict.get("data").and_then(Value::as_str)
}

fn decode_base64(data: &str) -> Result<Vec<u8>, SerializeError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| SerializeError::Custom(format!("invalid base64 in a serpent bytes dict: {e}")))
}

/// Bytes from a sequence of ints in 0..=255.
fn bytes_of(items: &[Value]) -> Option<Vec<u8>> {
    items.iter().map(|item| item.as_i64().and_then(|n| u8::try_from(n).ok())).collect()
}

macro_rules! deserialize_int {
    ($($method:ident => $visit:ident: $t:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
            visitor.$visit(int_as::<$t>(&self, stringify!($t))?)
        }
    )*};
}

impl<'de> Deserializer<'de> for Value {
    type Error = SerializeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self {
            Value::None => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(n) => visitor.visit_i64(n),
            Value::Float(f) => visitor.visit_f64(f),
            Value::Str(s) => visitor.visit_string(s),
            Value::Bytes(b) => visitor.visit_byte_buf(b),
            Value::List(items) | Value::Tuple(items) | Value::Set(items) => visit_items(items, visitor),
            Value::Dict(dict) => visit_dict(dict, visitor),
            Value::BigInt(ref n) => match u64::try_from(n) {
                Ok(n) => visitor.visit_u64(n),
                Err(_) => visitor.visit_newtype_struct(ExtDeserializer::of(&self)?),
            },
            Value::Complex { .. } | Value::DateTime(_) | Value::Date(_) => {
                visitor.visit_newtype_struct(ExtDeserializer::of(&self)?)
            }
        }
    }

    fn is_human_readable(&self) -> bool {
        true
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self {
            Value::Bool(b) => visitor.visit_bool(b),
            // Python code passes numbers as flags (Pyro5's own `resolve` calls
            // `lookup(name, 0.0)`); a number's truth value is whether it is non-zero.
            Value::Int(n) => visitor.visit_bool(n != 0),
            Value::BigInt(_) => visitor.visit_bool(true),
            Value::Float(f) => visitor.visit_bool(f != 0.0),
            other => Err(mismatch("bool", &other)),
        }
    }

    deserialize_int! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_i128 => visit_i128: i128,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_u128 => visit_u128: u128,
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        use num_traits::ToPrimitive as _;
        match self {
            Value::Float(f) => visitor.visit_f64(f),
            // Python sends 1 for 1.0 whenever the number happens to be an int.
            Value::Int(n) => visitor.visit_f64(n as f64),
            Value::BigInt(ref n) => visitor.visit_f64(n.to_f64().unwrap_or(f64::NAN)),
            other => Err(mismatch("float", &other)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        if let Value::Str(s) = &self {
            let mut chars = s.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                return visitor.visit_char(c);
            }
        }
        Err(mismatch("a one-character str", &self))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self {
            Value::Str(s) => visitor.visit_string(s),
            // Pyro5's json sends dates as isoformat strings; accept the msgpack form too.
            Value::Date(d) => visitor.visit_string(d.to_string()),
            other => Err(mismatch("str", &other)),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self {
            Value::Bytes(b) => visitor.visit_byte_buf(b),
            Value::Str(s) => visitor.visit_string(s),
            Value::List(ref items) | Value::Tuple(ref items) => match bytes_of(items) {
                Some(bytes) => visitor.visit_byte_buf(bytes),
                None => Err(mismatch("bytes", &self)),
            },
            Value::Dict(ref dict) => match serpent_base64(dict) {
                Some(data) => visitor.visit_byte_buf(decode_base64(data)?),
                None => Err(mismatch("bytes", &self)),
            },
            other => Err(mismatch("bytes", &other)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self {
            Value::None => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self {
            Value::None => visitor.visit_unit(),
            other => Err(mismatch("None", &other)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        match self {
            Value::None => visitor.visit_unit(),
            Value::List(ref items) | Value::Tuple(ref items) if items.is_empty() => visitor.visit_unit(),
            other => Err(mismatch("None", &other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        match (name, &self) {
            (VALUE_TOKEN, _) => visitor.visit_newtype_struct(ExactValue(self)),
            (EXT_STRUCT_NAME, Value::Complex { .. } | Value::BigInt(_) | Value::DateTime(_) | Value::Date(_)) => {
                visitor.visit_newtype_struct(ExtDeserializer::of(&self)?)
            }
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self {
            Value::List(items) | Value::Tuple(items) | Value::Set(items) => visit_items(items, visitor),
            Value::Bytes(bytes) => {
                let total = bytes.len();
                let mut seq = ByteSeq { iter: bytes.into_iter() };
                let out = visitor.visit_seq(&mut seq)?;
                match seq.iter.len() {
                    0 => Ok(out),
                    left => Err(SerializeError::Custom(format!("expected {} elements, got {total}", total - left))),
                }
            }
            Value::Dict(ref dict) => match serpent_base64(dict) {
                Some(data) => Value::Bytes(decode_base64(data)?).deserialize_seq(visitor),
                None => Err(mismatch("list", &self)),
            },
            other => Err(mismatch("list", &other)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, SerializeError> {
        match self {
            Value::List(_) | Value::Tuple(_) | Value::Set(_) | Value::Bytes(_) => self.deserialize_seq(visitor),
            Value::Dict(ref dict) if serpent_base64(dict).is_some() => self.deserialize_seq(visitor),
            other => Err(mismatch("tuple", &other)),
        }
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self {
            Value::Dict(dict) => visit_dict(dict, visitor),
            other => Err(mismatch("dict", &other)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        match self {
            Value::Dict(dict) => visit_dict(dict, visitor),
            Value::List(items) | Value::Tuple(items) => visit_items(items, visitor),
            other => Err(mismatch("dict", &other)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        match self {
            Value::Str(_) => visitor.visit_enum(EnumDeserializer { variant: self, content: None }),
            Value::Dict(dict) if dict.len() == 1 => {
                let mut entries = dict.into_iter();
                match entries.next() {
                    Some((variant, content)) => {
                        visitor.visit_enum(EnumDeserializer { variant, content: Some(content) })
                    }
                    None => Err(SerializeError::Custom("expected a one-entry dict for an enum".into())),
                }
            }
            Value::Dict(_) => Err(SerializeError::Custom("expected str or a one-entry dict, got dict".into())),
            other => Err(mismatch("str or a one-entry dict", &other)),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self {
            Value::Str(s) => visitor.visit_string(s),
            Value::Int(n) if n >= 0 => visitor.visit_u64(n.unsigned_abs()),
            Value::Bytes(b) => visitor.visit_byte_buf(b),
            other => Err(mismatch("str", &other)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        drop(self);
        visitor.visit_unit()
    }
}

impl IntoDeserializer<'_, SerializeError> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

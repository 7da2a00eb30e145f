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

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::ext_codec::{decode_ext, encode_ext};
use super::{Dict, EXT_STRUCT_NAME, Value};
use crate::serializer::SerializeError;

mod keys;

use keys::KeyDeserializer;

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

impl<'de> de::Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_newtype_struct(VALUE_TOKEN, ValueVisitor { outer: true })
    }
}

/// Builds a [`Value`] from whatever a deserializer presents.
///
/// `outer` is the visitor given to `deserialize_newtype_struct(VALUE_TOKEN)`: its
/// `visit_newtype_struct` is the deserializer's way of saying "no special meaning" and reads
/// the value inside; an inner visitor's `visit_newtype_struct` is a msgpack extension.
#[derive(Clone, Copy)]
struct ValueVisitor {
    outer: bool,
}

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::int(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::int(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(Value::int(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Bytes(v.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Bytes(v))
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        de::Deserialize::deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        if self.outer {
            deserializer.deserialize_any(ValueVisitor { outer: false })
        } else {
            deserializer.deserialize_tuple(2, ExtVisitor)
        }
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_PREALLOC));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut dict = Dict::with_capacity(map.size_hint().unwrap_or(0).min(MAX_PREALLOC));
        while let Some((k, v)) = map.next_entry::<Value, Value>()? {
            dict.insert(k, v);
        }
        Ok(Value::Dict(dict))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        use de::VariantAccess as _;
        let (variant, content): (String, _) = data.variant()?;
        match variant.as_str() {
            TUPLE_VARIANT => Ok(Value::Tuple(content.newtype_variant()?)),
            SET_VARIANT => Ok(Value::Set(content.newtype_variant()?)),
            // Another format's enum: serde's external tagging, `{variant: content}`.
            _ => {
                let mut dict = Dict::with_capacity(1);
                dict.insert(Value::Str(variant), content.newtype_variant::<Value>()?);
                Ok(Value::Dict(dict))
            }
        }
    }
}

/// A dict deserializes from any map; a repeated key keeps its last value.
///
/// ```
/// use pyro::value::{from_value, Dict, Value};
///
/// let mut d = Dict::new();
/// d.insert(1, "one");
/// assert_eq!(from_value::<Dict>(Value::Dict(d.clone())).unwrap(), d);
/// assert_eq!(from_value::<Dict>(Value::List(vec![])).unwrap_err().to_string(), "expected dict, got list");
/// ```
impl<'de> de::Deserialize<'de> for Dict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Dict, D::Error> {
        struct DictVisitor;

        impl<'de> Visitor<'de> for DictVisitor {
            type Value = Dict;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a dict")
            }

            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Dict, A::Error> {
                match (ValueVisitor { outer: false }).visit_map(map)? {
                    Value::Dict(dict) => Ok(dict),
                    _ => Err(de::Error::custom("expected dict")),
                }
            }
        }

        deserializer.deserialize_map(DictVisitor)
    }
}

/// Reads the `(code, payload)` sequence of a msgpack extension.
struct ExtVisitor;

impl<'de> Visitor<'de> for ExtVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a msgpack extension (code, bytes)")
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let code: i8 = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let data: serde_bytes::ByteBuf = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(1, &self))?;
        decode_ext(code, &data).map_err(de::Error::custom)
    }
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

/// A `Value` given to `Value`'s own visitor: like the value itself, but tuples and sets arrive
/// through a private enum so that they stay tuples and sets.
struct ExactValue(Value);

impl<'de> Deserializer<'de> for ExactValue {
    type Error = SerializeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self.0 {
            Value::Tuple(items) => visitor.visit_enum(PrivateEnum { variant: TUPLE_VARIANT, items }),
            Value::Set(items) => visitor.visit_enum(PrivateEnum { variant: SET_VARIANT, items }),
            other => other.deserialize_any(visitor),
        }
    }

    fn is_human_readable(&self) -> bool {
        true
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// The private enum carrying a tuple's or a set's items.
struct PrivateEnum {
    variant: &'static str,
    items: Vec<Value>,
}

impl<'de> de::EnumAccess<'de> for PrivateEnum {
    type Error = SerializeError;
    type Variant = PrivateItems;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, PrivateItems), SerializeError> {
        let variant = seed.deserialize(de::value::StrDeserializer::<SerializeError>::new(self.variant))?;
        Ok((variant, PrivateItems(self.items)))
    }
}

/// The items of a [`PrivateEnum`], read as its newtype content.
struct PrivateItems(Vec<Value>);

impl<'de> de::VariantAccess<'de> for PrivateItems {
    type Error = SerializeError;

    fn unit_variant(self) -> Result<(), SerializeError> {
        Err(SerializeError::Custom("expected a newtype variant".into()))
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, SerializeError> {
        seed.deserialize(Value::List(self.0))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, SerializeError> {
        visit_items(self.0, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        visit_items(self.0, visitor)
    }
}

/// A msgpack extension as rmp-serde presents it: the sequence `(code, payload)`.
struct ExtDeserializer {
    code: i8,
    data: Vec<u8>,
}

impl ExtDeserializer {
    fn of(value: &Value) -> Result<ExtDeserializer, SerializeError> {
        let (code, data) = encode_ext(value).ok_or_else(|| mismatch("an extension type", value))?;
        Ok(ExtDeserializer { code, data })
    }
}

impl<'de> Deserializer<'de> for ExtDeserializer {
    type Error = SerializeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        visitor.visit_seq(ExtSeq { ext: self, next: 0 })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

struct ExtSeq {
    ext: ExtDeserializer,
    next: u8,
}

impl<'de> de::SeqAccess<'de> for ExtSeq {
    type Error = SerializeError;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, SerializeError> {
        self.next = self.next.saturating_add(1);
        match self.next {
            1 => seed.deserialize(de::value::I8Deserializer::<SerializeError>::new(self.ext.code)).map(Some),
            2 => seed.deserialize(de::value::BytesDeserializer::new(&self.ext.data)).map(Some),
            _ => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(2usize.saturating_sub(usize::from(self.next)))
    }
}

struct SeqDeserializer {
    iter: std::vec::IntoIter<Value>,
}

impl<'de> de::SeqAccess<'de> for SeqDeserializer {
    type Error = SerializeError;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, SerializeError> {
        self.iter.next().map(|item| seed.deserialize(item)).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// Bytes read as a sequence of small ints (for `Vec<u8>` and `[u8; N]`).
struct ByteSeq {
    iter: std::vec::IntoIter<u8>,
}

impl<'de> de::SeqAccess<'de> for ByteSeq {
    type Error = SerializeError;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, SerializeError> {
        self.iter.next().map(|b| seed.deserialize(de::value::U8Deserializer::<SerializeError>::new(b))).transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct MapDeserializer {
    iter: super::DictIntoIter,
    value: Option<Value>,
}

impl<'de> de::MapAccess<'de> for MapDeserializer {
    type Error = SerializeError;

    fn next_key_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, SerializeError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(KeyDeserializer(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, SerializeError> {
        match self.value.take() {
            Some(v) => seed.deserialize(v),
            None => Err(SerializeError::Custom("map value asked for before its key".into())),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// An enum read from a str (unit variant) or a one-entry dict `{variant: content}`.
struct EnumDeserializer {
    variant: Value,
    content: Option<Value>,
}

impl<'de> de::EnumAccess<'de> for EnumDeserializer {
    type Error = SerializeError;
    type Variant = VariantDeserializer;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, VariantDeserializer), SerializeError> {
        let variant = seed.deserialize(self.variant)?;
        Ok((variant, VariantDeserializer { content: self.content }))
    }
}

struct VariantDeserializer {
    content: Option<Value>,
}

impl VariantDeserializer {
    fn content(self, kind: &str) -> Result<Value, SerializeError> {
        self.content
            .ok_or_else(|| SerializeError::Custom(format!("expected a one-entry dict for a {kind} variant, got str")))
    }
}

impl<'de> de::VariantAccess<'de> for VariantDeserializer {
    type Error = SerializeError;

    fn unit_variant(self) -> Result<(), SerializeError> {
        match self.content {
            None | Some(Value::None) => Ok(()),
            Some(other) => Err(mismatch("None for a unit variant", &other)),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, SerializeError> {
        seed.deserialize(self.content("newtype")?)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, SerializeError> {
        self.content("tuple")?.deserialize_tuple(len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        self.content("struct")?.deserialize_struct("", fields, visitor)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

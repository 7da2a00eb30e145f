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
/// use pyro_runtime::value::{from_value, Dict, Value};
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
/// use pyro_runtime::value::{from_value, Dict, Value};
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

/// A dict key. Json carries every key as a str (Python's json turns `1`, `1.5`, `True` and
/// `None` keys into `"1"`, `"1.5"`, `"true"` and `"null"`), so a str key also reads as the
/// integer, float, bool or `None` it spells when the target asks for one.
struct KeyDeserializer(Value);

/// A str key read as a number or bool: the text parsed, then handed to `visitor` as that value.
macro_rules! key_from_str {
    ($($method:ident: $t:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
            match self.0 {
                Value::Str(s) => match s.parse::<$t>() {
                    Ok(n) => Value::from(n).$method(visitor),
                    Err(_) => Err(SerializeError::Custom(format!(
                        "expected {}, got str {s:?} as a dict key",
                        stringify!($t)
                    ))),
                },
                other => other.$method(visitor),
            }
        }
    )*};
}

impl<'de> Deserializer<'de> for KeyDeserializer {
    type Error = SerializeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.0.deserialize_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        true
    }

    key_from_str! {
        deserialize_i8: i8,
        deserialize_i16: i16,
        deserialize_i32: i32,
        deserialize_i64: i64,
        deserialize_i128: i128,
        deserialize_u8: u8,
        deserialize_u16: u16,
        deserialize_u32: u32,
        deserialize_u64: u64,
        deserialize_u128: u128,
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self.0 {
            Value::Str(s) if s == "true" => visitor.visit_bool(true),
            Value::Str(s) if s == "false" => visitor.visit_bool(false),
            other => other.deserialize_bool(visitor),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self.0 {
            Value::Str(s) => match python_float(&s) {
                Some(f) => visitor.visit_f64(f),
                None => Err(SerializeError::Custom(format!("expected float, got str {s:?} as a dict key"))),
            },
            other => other.deserialize_f64(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self.0 {
            Value::Str(s) if s == "null" => visitor.visit_none(),
            Value::None => visitor.visit_none(),
            other => visitor.visit_some(KeyDeserializer(other)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        match self.0 {
            Value::Str(s) if s == "null" => visitor.visit_unit(),
            other => other.deserialize_unit(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        match name {
            // A `Value` key stays what the wire says.
            VALUE_TOKEN => self.0.deserialize_newtype_struct(name, visitor),
            _ => visitor.visit_newtype_struct(self),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.0.deserialize_char(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.0.deserialize_str(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.0.deserialize_string(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.0.deserialize_bytes(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.0.deserialize_byte_buf(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        self.0.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.0.deserialize_seq(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, SerializeError> {
        self.0.deserialize_tuple(len, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        self.0.deserialize_tuple_struct(name, len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.0.deserialize_map(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        self.0.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        self.0.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.0.deserialize_identifier(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        self.0.deserialize_ignored_any(visitor)
    }
}

/// A float as Python's json writes a float key: its `repr()`, or `NaN`, `Infinity`, `-Infinity`.
fn python_float(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        // Rust's parser also takes "inf" and "nan", which Python's json never writes.
        _ if s.bytes().any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') => None,
        _ => s.parse().ok(),
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
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::value::{Date, to_value};

    /// One value of every kind, nested.
    pub(crate) fn sample() -> Value {
        let mut inner = Dict::new();
        inner.insert("k", Value::Tuple(vec![Value::Int(1), Value::Set(vec![Value::from("s")])]));
        inner.insert(Value::Int(7), Value::Tuple(vec![]));
        inner.insert(Value::Tuple(vec![Value::Int(1), Value::Int(2)]), Value::Bytes(vec![0, 255]));
        Value::List(vec![
            Value::None,
            Value::Bool(true),
            Value::Int(-5),
            Value::int(u64::MAX),
            Value::int(i128::MIN),
            Value::Float(f64::NAN),
            Value::Float(-0.0),
            Value::Complex { re: 1.0, im: -2.0 },
            Value::from("é'\""),
            Value::Bytes(b"\x00bin".to_vec()),
            Value::Tuple(vec![Value::Int(1)]),
            Value::Set(vec![Value::Int(1), Value::Int(2)]),
            Value::Dict(inner),
            Value::DateTime(1_704_164_645.6),
            Value::Date(Date::new(2024, 1, 2).unwrap()),
        ])
    }

    #[test]
    fn every_value_survives_from_value_and_to_value() {
        let v = sample();
        let Value::List(items) = &v else { unreachable!() };
        for item in items {
            assert_eq!(&from_value::<Value>(item.clone()).unwrap(), item, "from_value {item}");
            assert_eq!(&to_value(item).unwrap(), item, "to_value {item}");
        }
        assert_eq!(from_value::<Value>(v.clone()).unwrap(), v);
        assert_eq!(to_value(&v).unwrap(), v);
        // Inside typed containers too.
        let wrapped: Vec<Option<Value>> = from_value(v.clone()).unwrap();
        assert_eq!(Value::List(wrapped.into_iter().map(Value::from).collect()), v);
    }

    #[test]
    fn tuples_and_sets_stay_apart_from_lists() {
        let t = Value::Tuple(vec![Value::Int(1), Value::Set(vec![])]);
        let back: Value = from_value(t.clone()).unwrap();
        assert!(matches!(&back, Value::Tuple(items) if matches!(items.as_slice(), [Value::Int(1), Value::Set(_)])));
        assert_ne!(Value::List(vec![]), Value::Tuple(vec![]));
        // Typed targets read them as sequences.
        assert_eq!(from_value::<Vec<i32>>(Value::Set(vec![Value::Int(3)])).unwrap(), [3]);
        assert_eq!(from_value::<(i32, Vec<i32>)>(t).unwrap(), (1, vec![]));
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    enum Shape {
        Dot,
        Circle(f64),
        Rect(u32, u32),
        Poly { points: Vec<(i16, i16)>, closed: bool },
    }

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    struct Everything {
        id: u64,
        name: String,
        ratio: f32,
        maybe: Option<i8>,
        missing: Option<String>,
        raw: Vec<u8>,
        #[serde(with = "serde_bytes")]
        blob: Vec<u8>,
        counts: HashMap<String, i64>,
        by_number: BTreeMap<i32, String>,
        pair: (bool, char),
        shapes: Vec<Shape>,
        big: u128,
        neg: i128,
        unit: (),
        any: Value,
    }

    fn everything() -> Everything {
        Everything {
            id: u64::MAX,
            name: "nöme".into(),
            ratio: 0.5,
            maybe: Some(-3),
            missing: None,
            raw: vec![1, 2, 3],
            blob: vec![0, 159, 255],
            counts: [("a".to_string(), 1), ("b".to_string(), -2)].into_iter().collect(),
            by_number: [(1, "one".to_string()), (-2, "minus two".to_string())].into_iter().collect(),
            pair: (true, 'λ'),
            shapes: vec![
                Shape::Dot,
                Shape::Circle(1.5),
                Shape::Rect(2, 3),
                Shape::Poly { points: vec![(0, 0), (1, -1)], closed: true },
            ],
            big: u128::MAX,
            neg: i128::MIN,
            unit: (),
            any: Value::Tuple(vec![Value::Complex { re: 0.0, im: 1.0 }]),
        }
    }

    #[test]
    fn typed_values_round_trip() {
        let e = everything();
        let v = to_value(&e).unwrap();
        let d = v.as_dict().unwrap();
        assert_eq!(d.get("raw"), Some(&Value::List(vec![1.into(), 2.into(), 3.into()])));
        assert_eq!(d.get("blob"), Some(&Value::Bytes(vec![0, 159, 255])));
        assert_eq!(d.get("pair"), Some(&Value::Tuple(vec![Value::Bool(true), Value::from("λ")])));
        assert_eq!(d.get("unit"), Some(&Value::None));
        assert_eq!(d.get("big"), Some(&Value::int(u128::MAX)));
        assert_eq!(
            d.get("by_number").unwrap().as_dict().unwrap().get_value(&Value::Int(-2)),
            Some(&"minus two".into())
        );
        let shapes = d.get("shapes").unwrap().to_string();
        assert_eq!(
            shapes,
            "['Dot', {'Circle': 1.5}, {'Rect': (2, 3)}, {'Poly': {'points': [(0, 0), (1, -1)], 'closed': True}}]"
        );
        assert_eq!(from_value::<Everything>(v).unwrap(), e);
    }

    #[test]
    fn serpent_base64_dict_is_bytes_for_byte_receivers() {
        let dict = |data: &str, encoding: &str| {
            let mut d = Dict::new();
            d.insert("data", data);
            d.insert("encoding", encoding);
            Value::Dict(d)
        };
        let raw = dict("cmF3", "base64");
        assert_eq!(from_value::<serde_bytes::ByteBuf>(raw.clone()).unwrap().into_vec(), b"raw");
        assert_eq!(from_value::<Vec<u8>>(raw.clone()).unwrap(), b"raw");
        assert_eq!(&from_value::<[u8; 3]>(raw.clone()).unwrap(), b"raw");
        // Any other receiver sees the dict it is.
        assert_eq!(from_value::<Value>(raw.clone()).unwrap(), raw);
        let as_map = from_value::<std::collections::BTreeMap<String, String>>(raw).unwrap();
        assert_eq!(as_map["encoding"], "base64");
        let bad = from_value::<Vec<u8>>(dict("!!", "base64")).unwrap_err().to_string();
        assert!(bad.contains("invalid base64"), "{bad}");
        assert_eq!(err::<Vec<u8>>(dict("cmF3", "hex")), "expected list, got dict");
        assert_eq!(err::<serde_bytes::ByteBuf>(dict("cmF3", "hex")), "expected bytes, got dict");
    }

    #[test]
    fn lenient_conversions() {
        assert_eq!(from_value::<f64>(Value::Int(2)).unwrap(), 2.0);
        assert_eq!(from_value::<f32>(Value::Int(-1)).unwrap(), -1.0);
        assert_eq!(from_value::<u64>(Value::int(u64::MAX)).unwrap(), u64::MAX);
        assert_eq!(from_value::<i128>(Value::int(i128::MIN)).unwrap(), i128::MIN);
        assert_eq!(from_value::<Vec<u8>>(Value::Bytes(vec![1, 2])).unwrap(), [1, 2]);
        assert_eq!(from_value::<[u8; 2]>(Value::Bytes(vec![1, 2])).unwrap(), [1, 2]);
        let list = Value::List(vec![Value::Int(1), Value::Int(255)]);
        assert_eq!(from_value::<serde_bytes::ByteBuf>(list).unwrap().into_vec(), [1, 255]);
        assert_eq!(from_value::<serde_bytes::ByteBuf>(Value::Bytes(vec![9])).unwrap().into_vec(), [9]);
        assert_eq!(from_value::<String>(Value::Date(Date::new(2024, 1, 2).unwrap())).unwrap(), "2024-01-02");
        assert_eq!(from_value::<Option<i32>>(Value::None).unwrap(), None);
        assert_eq!(from_value::<(i32, i32)>(Value::Set(vec![1.into(), 2.into()])).unwrap(), (1, 2));
        assert_eq!(from_value::<Shape>(Value::from("Dot")).unwrap(), Shape::Dot);
        let mut d = Dict::new();
        d.insert("Dot", Value::None);
        assert_eq!(from_value::<Shape>(Value::Dict(d)).unwrap(), Shape::Dot);
        // A struct from its fields in order (rmp-serde's compact form).
        #[derive(Deserialize, Debug, PartialEq)]
        struct P {
            x: i32,
            y: i32,
        }
        assert_eq!(from_value::<P>(Value::List(vec![1.into(), 2.into()])).unwrap(), P { x: 1, y: 2 });
        // serde's Value-agnostic types work through deserialize_any.
        let j: serde_json::Value = from_value(sample_json_compatible()).unwrap();
        assert_eq!(j.to_string(), r#"[null,true,1,2.5,"s",[1],{"k":[]}]"#);
    }

    fn sample_json_compatible() -> Value {
        let mut d = Dict::new();
        d.insert("k", Value::Set(vec![]));
        Value::List(vec![
            Value::None,
            Value::Bool(true),
            Value::Int(1),
            Value::Float(2.5),
            Value::from("s"),
            Value::Tuple(vec![Value::Int(1)]),
            Value::Dict(d),
        ])
    }

    fn err<T: DeserializeOwned + std::fmt::Debug>(v: Value) -> String {
        from_value::<T>(v).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_python_type() {
        assert_eq!(err::<i32>(Value::from("x")), "expected i32, got str");
        assert_eq!(err::<u8>(Value::Int(300)), "expected u8, got int 300 (out of range)");
        assert_eq!(err::<u64>(Value::Int(-1)), "expected u64, got int -1 (out of range)");
        assert_eq!(err::<i64>(Value::int(u64::MAX)), "expected i64, got int 18446744073709551615 (out of range)");
        assert_eq!(err::<bool>(Value::from("yes")), "expected bool, got str");
        // Numbers stand for flags as Python's truth value.
        assert_eq!(from_value::<bool>(Value::Float(0.0)).ok(), Some(false));
        assert_eq!(from_value::<bool>(Value::Int(2)).ok(), Some(true));
        assert_eq!(err::<f64>(Value::from("1.0")), "expected float, got str");
        assert_eq!(err::<String>(Value::Bytes(vec![])), "expected str, got bytes");
        assert_eq!(err::<char>(Value::from("ab")), "expected a one-character str, got str");
        assert_eq!(err::<Vec<i32>>(Value::Dict(Dict::new())), "expected list, got dict");
        assert_eq!(err::<HashMap<String, i32>>(Value::List(vec![])), "expected dict, got list");
        assert_eq!(err::<Vec<u8>>(Value::Int(1)), "expected list, got int");
        assert_eq!(err::<serde_bytes::ByteBuf>(Value::List(vec![Value::Int(256)])), "expected bytes, got list");
        assert_eq!(err::<()>(Value::Int(0)), "expected None, got int");
        assert_eq!(err::<Shape>(Value::Int(0)), "expected str or a one-entry dict, got int");
        assert_eq!(err::<Shape>(Value::from("Circle")), "expected a one-entry dict for a newtype variant, got str");
        assert_eq!(err::<(i32, i32)>(Value::List(vec![1.into(), 2.into(), 3.into()])), "expected 2 elements, got 3");
        assert!(err::<(i32, i32)>(Value::List(vec![1.into()])).contains("invalid length 1"));
        assert!(err::<Shape>(Value::from("Hexagon")).contains("unknown variant `Hexagon`"));
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Need {
            field: i32,
        }
        assert_eq!(err::<Need>(Value::Dict(Dict::new())), "missing field `field`");
        assert_eq!(err::<Need>(Value::Int(3)), "expected dict, got int");
        let mut d = Dict::new();
        d.insert("field", "nope");
        assert_eq!(err::<Need>(Value::Dict(d)), "expected i32, got str");
        assert_eq!(err::<i32>(Value::Complex { re: 0.0, im: 0.0 }), "expected i32, got complex");
    }

    #[test]
    fn ext_newtype_reaches_typed_targets() {
        // A user type shaped like rmp-serde's documented ext struct sees the raw payload.
        #[derive(Deserialize, Debug, PartialEq)]
        #[serde(rename = "_ExtStruct")]
        struct ExtStruct((i8, serde_bytes::ByteBuf));
        let date = Value::Date(Date::new(2024, 1, 2).unwrap());
        let ExtStruct((code, data)) = from_value(date).unwrap();
        assert_eq!((code, data.into_vec()), (0x33, 738_887i64.to_ne_bytes().to_vec()));
        // And an unknown extension code given to to_value is an error, as in Pyro5.
        let unknown = crate::value::ext_codec::Ext { code: 5, data: b"" };
        assert_eq!(to_value(&unknown).unwrap_err().to_string(), "invalid ext code for msgpack: 5");
    }

    #[test]
    fn values_pass_through_foreign_serde_formats() {
        // serde_json's own (de)serializer treats the private newtypes as plain values.
        let v = sample_json_compatible();
        let text = serde_json::to_string(&v).unwrap();
        assert_eq!(text, r#"[null,true,1,2.5,"s",[1],{"k":[]}]"#);
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back.to_string(), "[None, True, 1, 2.5, 's', [1], {'k': []}]");
    }

    #[test]
    fn str_keys_read_as_the_numbers_and_bools_they_spell() {
        // What Python's json makes of {1: .., -2: .., 2**70: ..}, {True: ..} and {1.5: .., nan: ..}.
        let d = |keys: &[&str]| Value::Dict(keys.iter().enumerate().map(|(i, k)| (*k, i)).collect());
        let ints: HashMap<i64, usize> = from_value(d(&["1", "-2"])).unwrap();
        assert_eq!(ints, HashMap::from([(1, 0), (-2, 1)]));
        let wide: BTreeMap<u128, usize> = from_value(d(&["1180591620717411303424"])).unwrap();
        assert_eq!(wide, BTreeMap::from([(1 << 70, 0)]));
        let bools: BTreeMap<bool, usize> = from_value(d(&["true", "false"])).unwrap();
        assert_eq!(bools, BTreeMap::from([(true, 0), (false, 1)]));
        #[derive(Deserialize, PartialEq, Eq, Hash, Debug)]
        struct F(u8);
        let typed: HashMap<F, usize> = from_value(d(&["7"])).unwrap();
        assert_eq!(typed, HashMap::from([(F(7), 0)]));
        assert_eq!(python_float("Infinity"), Some(f64::INFINITY));
        assert_eq!(python_float("inf"), None);
        assert_eq!(python_float("2.5e-3"), Some(0.0025));
        let opt: HashMap<Option<i32>, usize> = from_value(d(&["null", "3"])).unwrap();
        assert_eq!(opt, HashMap::from([(None, 0), (Some(3), 1)]));
        // Int keys (msgpack) read as they are; str keys stay str for str and Value targets.
        let mut native = Dict::new();
        native.insert(5, "five");
        assert_eq!(from_value::<HashMap<u8, String>>(Value::Dict(native)).unwrap()[&5], "five");
        let kept: HashMap<String, usize> = from_value(d(&["1"])).unwrap();
        assert_eq!(kept["1"], 0);
        let as_value: Dict = from_value(d(&["1"])).unwrap();
        assert_eq!(as_value.keys().next(), Some(&Value::from("1")));
        // A key that spells no number says so.
        assert_eq!(err::<HashMap<i32, usize>>(d(&["one"])), "expected i32, got str \"one\" as a dict key");
        assert_eq!(err::<HashMap<u8, usize>>(d(&["300"])), "expected u8, got str \"300\" as a dict key");
        assert_eq!(err::<HashMap<f64Key, usize>>(d(&["x"])), "expected float, got str \"x\" as a dict key");
    }

    /// A float map key (f64 itself is not `Hash`).
    #[derive(Deserialize, PartialEq, Eq, Hash, Debug)]
    #[allow(non_camel_case_types)]
    struct f64Key(#[serde(deserialize_with = "float_bits")] u64);

    fn float_bits<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        f64::deserialize(d).map(f64::to_bits)
    }

    #[test]
    fn float_keys_read_from_their_json_spelling() {
        let d: Value = Value::Dict([("1.5", 1), ("NaN", 2), ("-Infinity", 3), ("2", 4)].into_iter().collect());
        let keys: HashMap<f64Key, i32> = from_value(d).unwrap();
        let get = |f: f64| keys.get(&f64Key(f.to_bits())).copied();
        assert_eq!((get(1.5), get(f64::NAN), get(f64::NEG_INFINITY), get(2.0)), (Some(1), Some(2), Some(3), Some(4)));
    }

    #[test]
    fn repeated_dict_keys_keep_the_last_value() {
        #[derive(Serialize)]
        struct Pairs(#[serde(serialize_with = "pairs")] Vec<(i32, i32)>);
        fn pairs<S: serde::Serializer>(v: &[(i32, i32)], s: S) -> Result<S::Ok, S::Error> {
            s.collect_map(v.iter().copied())
        }
        let v = to_value(&Pairs(vec![(1, 1), (2, 2), (1, 3)])).unwrap();
        assert_eq!(v.to_string(), "{1: 3, 2: 2}");
    }
}

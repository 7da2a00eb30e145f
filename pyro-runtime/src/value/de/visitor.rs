//! `Deserialize` for [`Value`] and [`Dict`]: the visitor that builds a [`Value`] from whatever a
//! deserializer presents, msgpack extensions included.

use serde::de::{self, Deserializer, Visitor};

use super::super::ext_codec::decode_ext;
use super::super::{Dict, Value};
use super::{MAX_PREALLOC, SET_VARIANT, TUPLE_VARIANT, VALUE_TOKEN};

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
        Ok(Value::int_from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::int_from(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(Value::int_from(v))
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

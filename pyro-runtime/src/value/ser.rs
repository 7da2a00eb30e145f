//! `Serialize` for [`Value`], and [`to_value`]: any `Serialize` type as a [`Value`].
//!
//! A `Value` serializes the way Pyro5's msgpack serializer writes the Python value: tuples and
//! sets as sequences, dicts as maps (keys of any kind), and `complex`, big ints, `datetime` and
//! `date` as the msgpack extension newtype (see `ext_codec`). A set is wrapped in the newtype
//! struct [`SET_TOKEN`], which every serializer but [`to_value`] writes as its plain sequence.

use serde::Serialize;
use serde::ser::{self, SerializeMap as _, SerializeSeq as _, SerializeTuple as _};

use super::ext_codec::{capture_ext, serialize_ext};
use super::{EXT_STRUCT_NAME, Value};
use crate::serializer::SerializeError;

/// Name of the newtype struct a [`Value::Set`] serializes as, so that [`to_value`] can tell it
/// from a list; other serializers write the inner sequence.
pub(crate) const SET_TOKEN: &str = "$pyro::private::Set";

/// Upper bound for capacities taken from size hints.
const MAX_PREALLOC: usize = 4096;

/// Converts any serializable value into a [`Value`], with serde_json's conventions: structs and
/// maps become dicts, sequences lists, tuples tuples, unit and `None` become `None`, a unit enum
/// variant its name, other variants a one-entry dict `{variant: content}`.
///
/// ```
/// use pyro::value::{to_value, Value};
///
/// #[derive(serde::Serialize)]
/// struct Point {
///     x: i32,
///     y: Option<f64>,
/// }
///
/// let v = to_value(&Point { x: 1, y: None }).unwrap();
/// assert_eq!(v.to_string(), "{'x': 1, 'y': None}");
/// assert_eq!(to_value(&(1, "a")).unwrap().to_string(), "(1, 'a')");
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, SerializeError> {
    value.serialize(ValueSerializer)
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::None => serializer.serialize_none(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(n) => serializer.serialize_i64(*n),
            Value::BigInt(n) => match u64::try_from(n) {
                // Python packs [2^63, 2^64) as a msgpack uint64.
                Ok(n) => serializer.serialize_u64(n),
                Err(_) => serialize_ext(self, serializer),
            },
            Value::Float(f) => serializer.serialize_f64(*f),
            Value::Str(s) => serializer.serialize_str(s),
            Value::Bytes(b) => serializer.serialize_bytes(b),
            Value::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Value::Tuple(items) => {
                let mut tuple = serializer.serialize_tuple(items.len())?;
                for item in items {
                    tuple.serialize_element(item)?;
                }
                tuple.end()
            }
            Value::Set(items) => serializer.serialize_newtype_struct(SET_TOKEN, &SetItems(items)),
            Value::Dict(dict) => dict.serialize(serializer),
            Value::Complex { .. } | Value::DateTime(_) | Value::Date(_) => serialize_ext(self, serializer),
        }
    }
}

/// A dict serializes as a map whose keys may be of any kind.
///
/// ```
/// use pyro::value::{to_value, Dict, Value};
///
/// let mut d = Dict::new();
/// d.insert("a", 1);
/// assert_eq!(to_value(&d).unwrap(), Value::Dict(d));
/// ```
impl Serialize for super::Dict {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The members of a set, as a plain sequence.
struct SetItems<'a>(&'a [Value]);

impl Serialize for SetItems<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

/// The serde serializer whose output is a [`Value`].
struct ValueSerializer;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = SerializeError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = VariantBuilder<SeqBuilder>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = StructBuilder;
    type SerializeStructVariant = VariantBuilder<StructBuilder>;

    fn is_human_readable(&self) -> bool {
        // A Value is what a Python peer sees: uuids, addresses and the like as text.
        true
    }

    fn serialize_bool(self, v: bool) -> Result<Value, SerializeError> {
        Ok(Value::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Value, SerializeError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i16(self, v: i16) -> Result<Value, SerializeError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i32(self, v: i32) -> Result<Value, SerializeError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i64(self, v: i64) -> Result<Value, SerializeError> {
        Ok(Value::Int(v))
    }

    fn serialize_i128(self, v: i128) -> Result<Value, SerializeError> {
        Ok(Value::int_from(v))
    }

    fn serialize_u8(self, v: u8) -> Result<Value, SerializeError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u16(self, v: u16) -> Result<Value, SerializeError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u32(self, v: u32) -> Result<Value, SerializeError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u64(self, v: u64) -> Result<Value, SerializeError> {
        Ok(Value::int_from(v))
    }

    fn serialize_u128(self, v: u128) -> Result<Value, SerializeError> {
        Ok(Value::int_from(v))
    }

    fn serialize_f32(self, v: f32) -> Result<Value, SerializeError> {
        Ok(Value::Float(v.into()))
    }

    fn serialize_f64(self, v: f64) -> Result<Value, SerializeError> {
        Ok(Value::Float(v))
    }

    fn serialize_char(self, v: char) -> Result<Value, SerializeError> {
        Ok(Value::Str(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Value, SerializeError> {
        Ok(Value::Str(v.to_owned()))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Value, SerializeError> {
        Ok(Value::Bytes(v.to_vec()))
    }

    fn serialize_none(self) -> Result<Value, SerializeError> {
        Ok(Value::None)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, SerializeError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, SerializeError> {
        Ok(Value::None)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, SerializeError> {
        Ok(Value::None)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, SerializeError> {
        Ok(Value::Str(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Value, SerializeError> {
        match name {
            EXT_STRUCT_NAME => capture_ext(value),
            SET_TOKEN => match value.serialize(self)? {
                Value::List(items) => Ok(Value::Set(items)),
                other => Ok(other),
            },
            _ => value.serialize(self),
        }
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, SerializeError> {
        Ok(single_entry(variant, value.serialize(self)?))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, SerializeError> {
        Ok(SeqBuilder::new(len.unwrap_or(0), false))
    }

    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, SerializeError> {
        Ok(SeqBuilder::new(len, true))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqBuilder, SerializeError> {
        Ok(SeqBuilder::new(len, true))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<SeqBuilder>, SerializeError> {
        Ok(VariantBuilder { variant, inner: SeqBuilder::new(len, true) })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, SerializeError> {
        Ok(MapBuilder { dict: super::Dict::with_capacity(len.unwrap_or(0).min(MAX_PREALLOC)), key: None })
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<StructBuilder, SerializeError> {
        Ok(StructBuilder { dict: super::Dict::with_capacity(len.min(MAX_PREALLOC)) })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantBuilder<StructBuilder>, SerializeError> {
        Ok(VariantBuilder { variant, inner: StructBuilder { dict: super::Dict::with_capacity(len.min(MAX_PREALLOC)) } })
    }
}

/// `{variant: value}`, serde's externally tagged enum form.
fn single_entry(variant: &str, value: Value) -> Value {
    let mut dict = super::Dict::with_capacity(1);
    dict.insert(Value::Str(variant.to_owned()), value);
    Value::Dict(dict)
}

/// Collects a sequence (a list) or a tuple.
struct SeqBuilder {
    items: Vec<Value>,
    tuple: bool,
}

impl SeqBuilder {
    fn new(len: usize, tuple: bool) -> SeqBuilder {
        SeqBuilder { items: Vec::with_capacity(len.min(MAX_PREALLOC)), tuple }
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn finish(self) -> Value {
        if self.tuple { Value::Tuple(self.items) } else { Value::List(self.items) }
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Value;
    type Error = SerializeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        self.push(value)
    }

    fn end(self) -> Result<Value, SerializeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Value;
    type Error = SerializeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        self.push(value)
    }

    fn end(self) -> Result<Value, SerializeError> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Value;
    type Error = SerializeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        self.push(value)
    }

    fn end(self) -> Result<Value, SerializeError> {
        Ok(self.finish())
    }
}

/// Collects a map; keys may be any value.
struct MapBuilder {
    dict: super::Dict,
    key: Option<Value>,
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Value;
    type Error = SerializeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerializeError> {
        self.key = Some(key.serialize(ValueSerializer)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        let key = self.key.take().ok_or_else(|| SerializeError::Custom("map value without a key".into()))?;
        self.dict.insert(key, value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), SerializeError> {
        self.dict.insert(key.serialize(ValueSerializer)?, value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value, SerializeError> {
        Ok(Value::Dict(self.dict))
    }
}

/// Collects a struct's fields as a dict with str keys.
struct StructBuilder {
    dict: super::Dict,
}

impl ser::SerializeStruct for StructBuilder {
    type Ok = Value;
    type Error = SerializeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), SerializeError> {
        self.dict.insert(Value::Str(key.to_owned()), value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value, SerializeError> {
        Ok(Value::Dict(self.dict))
    }
}

/// A tuple or struct variant: the content wrapped as `{variant: content}`.
struct VariantBuilder<B> {
    variant: &'static str,
    inner: B,
}

impl ser::SerializeTupleVariant for VariantBuilder<SeqBuilder> {
    type Ok = Value;
    type Error = SerializeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        self.inner.push(value)
    }

    fn end(self) -> Result<Value, SerializeError> {
        Ok(single_entry(self.variant, self.inner.finish()))
    }
}

impl ser::SerializeStructVariant for VariantBuilder<StructBuilder> {
    type Ok = Value;
    type Error = SerializeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), SerializeError> {
        ser::SerializeStruct::serialize_field(&mut self.inner, key, value)
    }

    fn end(self) -> Result<Value, SerializeError> {
        Ok(single_entry(self.variant, Value::Dict(self.inner.dict)))
    }
}

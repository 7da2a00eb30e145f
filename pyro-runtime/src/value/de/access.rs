//! The serde access types a [`Value`] deserializes through: sequences, maps, enums, msgpack
//! extensions, and the exact view `Value`'s own visitor gets.

use serde::de::{self, DeserializeSeed, Deserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::super::ext_codec::encode_ext;
use super::super::{DictIntoIter, Value};
use super::keys::KeyDeserializer;
use super::{SET_VARIANT, TUPLE_VARIANT, mismatch, visit_items};
use crate::serializer::SerializeError;

/// A `Value` given to `Value`'s own visitor: like the value itself, but tuples and sets arrive
/// through a private enum so that they stay tuples and sets.
pub(super) struct ExactValue(pub(super) Value);

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
pub(super) struct ExtDeserializer {
    code: i8,
    data: Vec<u8>,
}

impl ExtDeserializer {
    pub(super) fn of(value: &Value) -> Result<ExtDeserializer, SerializeError> {
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

pub(super) struct SeqDeserializer {
    pub(super) iter: std::vec::IntoIter<Value>,
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
pub(super) struct ByteSeq {
    pub(super) iter: std::vec::IntoIter<u8>,
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

pub(super) struct MapDeserializer {
    pub(super) iter: DictIntoIter,
    pub(super) value: Option<Value>,
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
pub(super) struct EnumDeserializer {
    pub(super) variant: Value,
    pub(super) content: Option<Value>,
}

impl<'de> de::EnumAccess<'de> for EnumDeserializer {
    type Error = SerializeError;
    type Variant = VariantDeserializer;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, VariantDeserializer), SerializeError> {
        let variant = seed.deserialize(self.variant)?;
        Ok((variant, VariantDeserializer { content: self.content }))
    }
}

pub(super) struct VariantDeserializer {
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

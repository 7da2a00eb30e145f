//! A serde `Deserializer` that reads marshal bytes straight into any `Deserialize` type, without
//! a [`Value`] in between: strings and bytes are lent from the input, dict keys that name struct
//! fields are never allocated.
//!
//! It shares the [`Reader`] (position, reference table, copy budget, depth limit) with the
//! [`Value`] reader, registers FLAG_REF objects in the same order, and follows an `r` by reading
//! the referenced object again. Where the target asks for a [`Value`] (a `Value` field, or
//! `from_bytes::<Value>`), and for enums, the object is read by the [`Value`] reader and handed
//! over, so tuples, sets and big integers keep their kind.
//!
//! Unlike the [`Value`] reader it does not check that dict keys and set members are hashable:
//! the Rust target decides what it accepts.

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, Visitor};
use serde::forward_to_deserialize_any;

use super::super::budget;
use super::super::{DecodeLimit, SerializeError};
use super::codes::*;
use super::read::{PENDING, Reader, latin1};
use crate::value::{VALUE_TOKEN, Value};

/// Deserializes one marshal object that fills `bytes` (see [`super::from_bytes`]).
pub(super) fn from_bytes<T: DeserializeOwned>(bytes: &[u8], limit: DecodeLimit) -> Result<T, SerializeError> {
    let mut reader = Reader::new(bytes, limit);
    match T::deserialize(&mut reader).and_then(|value| reader.finish().map(|()| value)) {
        Ok(value) => Ok(value),
        // Read it again as a Value, as the other serializers do: from_value explains a
        // mismatch in Python's terms (`expected list, got NoneType`). Malformed bytes keep the
        // reader's own error.
        Err(direct @ SerializeError::TooLarge { .. }) => Err(direct),
        Err(direct) => match super::read::parse(bytes, limit) {
            Ok(value) => crate::value::from_value(value),
            Err(_) => Err(direct),
        },
    }
}

/// The items a target did not take.
fn leftover(kind: &str, n: usize) -> SerializeError {
    SerializeError::Custom(format!("a {kind} with {n} more items than the target takes"))
}

impl<'de> Reader<'de> {
    /// Finishes a scalar: charges it when it is being read again and registers it if flagged.
    fn scalar(&mut self, flagged: bool, start: usize) -> Result<(), SerializeError> {
        self.charge(0, start)?;
        self.register(flagged, start);
        Ok(())
    }

    /// Hands a sequence of `n` items (type code at `start`) to the visitor.
    fn seq<V: Visitor<'de>>(
        &mut self,
        kind: &'static str,
        n: usize,
        start: usize,
        flagged: bool,
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        self.charge(0, start)?;
        if n > self.left() {
            return Err(self.error_at(start, &format!("{kind} of {n} items in {} bytes", self.left())));
        }
        self.ensure_items(n)?;
        if n == 0 {
            self.register(flagged, start);
            let mut items = Items { reader: self, left: 0 };
            return visitor.visit_seq(&mut items);
        }
        self.enter(start)?;
        let slot = self.register(flagged, PENDING);
        let mut items = Items { reader: self, left: n };
        let value = visitor.visit_seq(&mut items)?;
        if items.left > 0 {
            return Err(leftover(kind, items.left));
        }
        self.leave();
        self.complete(slot, start);
        Ok(value)
    }

    /// Hands a dict (type code at `start`) to the visitor.
    fn dict<V: Visitor<'de>>(&mut self, start: usize, flagged: bool, visitor: V) -> Result<V::Value, SerializeError> {
        self.charge(budget::DICT, start)?;
        self.enter(start)?;
        let slot = self.register(flagged, PENDING);
        let mut entries = Entries { reader: self, ended: false };
        let value = visitor.visit_map(&mut entries)?;
        if !entries.ended {
            return Err(leftover("dict", 1));
        }
        self.leave();
        self.complete(slot, start);
        Ok(value)
    }

    /// Reads a scalar of type `code` (FLAG_REF removed; the type code at `start`) for the visitor.
    #[inline(never)]
    fn scalar_any<V: Visitor<'de>>(
        &mut self,
        code: u8,
        start: usize,
        flagged: bool,
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        match code {
            // Singletons never enter the reference table, but each still costs a value.
            NONE | TRUE | FALSE => {
                self.charge(0, start)?;
                match code {
                    NONE => visitor.visit_unit(),
                    other => visitor.visit_bool(other == TRUE),
                }
            }
            INT => {
                let n = self.i32("int")?;
                self.scalar(flagged, start)?;
                visitor.visit_i64(i64::from(n))
            }
            INT64 => {
                let n = i64::from_le_bytes(self.take(8, "int64")?.try_into().unwrap_or_default());
                self.scalar(flagged, start)?;
                visitor.visit_i64(n)
            }
            LONG => {
                let n = self.long()?;
                self.scalar(flagged, start)?;
                match n {
                    Value::Int(n) => visitor.visit_i64(n),
                    Value::BigInt(ref big) => {
                        if let Ok(n) = u64::try_from(big) {
                            visitor.visit_u64(n)
                        } else if let Ok(n) = i128::try_from(big) {
                            visitor.visit_i128(n)
                        } else if let Ok(n) = u128::try_from(big) {
                            visitor.visit_u128(n)
                        } else {
                            n.deserialize_any(visitor)
                        }
                    }
                    other => other.deserialize_any(visitor),
                }
            }
            BINARY_FLOAT => {
                let f = self.f64("float")?;
                self.scalar(flagged, start)?;
                visitor.visit_f64(f)
            }
            FLOAT => {
                let f = self.text_float()?;
                self.scalar(flagged, start)?;
                visitor.visit_f64(f)
            }
            BINARY_COMPLEX | COMPLEX => {
                let binary = code == BINARY_COMPLEX;
                let (re, im) = if binary {
                    (self.f64("complex")?, self.f64("complex")?)
                } else {
                    (self.text_float()?, self.text_float()?)
                };
                self.scalar(flagged, start)?;
                Value::Complex { re, im }.deserialize_any(visitor)
            }
            STRING => {
                let n = self.size("bytes")?;
                self.charge_bytes(n.min(self.left()), start)?;
                let bytes = self.take(n, "bytes")?;
                self.scalar(flagged, start)?;
                visitor.visit_borrowed_bytes(bytes)
            }
            UNICODE | INTERNED => {
                let n = self.size("str")?;
                self.charge_bytes(n.min(self.left()), start)?;
                let at = self.pos;
                let bytes = self.take(n, "str")?;
                let text = std::str::from_utf8(bytes).map_err(|e| {
                    self.error_at(
                        at + e.valid_up_to(),
                        "invalid UTF-8 (or a lone surrogate, which a Rust string cannot hold) in str",
                    )
                })?;
                self.scalar(flagged, start)?;
                visitor.visit_borrowed_str(text)
            }
            kind @ (ASCII | ASCII_INTERNED | SHORT_ASCII | SHORT_ASCII_INTERNED) => {
                let n = if matches!(kind, SHORT_ASCII | SHORT_ASCII_INTERNED) {
                    usize::from(self.u8("str")?)
                } else {
                    self.size("str")?
                };
                self.charge_bytes(n.min(self.left()), start)?;
                let bytes = self.take(n, "str")?;
                self.scalar(flagged, start)?;
                match std::str::from_utf8(bytes) {
                    Ok(text) if bytes.is_ascii() => visitor.visit_borrowed_str(text),
                    _ => visitor.visit_string(latin1(bytes)),
                }
            }
            other => Err(self.refused(other, start)),
        }
    }

    /// Whether the next type code is `code` (with or without FLAG_REF).
    fn next_is(&self, code: u8) -> bool {
        self.peek().is_some_and(|c| c & !FLAG_REF == code)
    }
}

impl<'de> Deserializer<'de> for &mut Reader<'de> {
    type Error = SerializeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        // Containers recurse through here: scalars are read in `scalar_any`, so that this
        // function's stack frame stays small even in debug builds.
        let start = self.pos;
        let code = self.u8("type code")?;
        let flagged = code & FLAG_REF != 0;
        match code & !FLAG_REF {
            SMALL_TUPLE => {
                let n = usize::from(self.u8("tuple")?);
                self.seq("tuple", n, start, flagged, visitor)
            }
            TUPLE => {
                let n = self.size("tuple")?;
                self.seq("tuple", n, start, flagged, visitor)
            }
            LIST => {
                let n = self.size("list")?;
                self.seq("list", n, start, flagged, visitor)
            }
            SET => {
                let n = self.size("set")?;
                self.seq("set", n, start, flagged, visitor)
            }
            FROZENSET => {
                let n = self.size("frozenset")?;
                self.seq("frozenset", n, start, flagged, visitor)
            }
            DICT => self.dict(start, flagged, visitor),
            REF => {
                let offset = self.reference(start)?;
                let resume = self.start_replay(offset);
                let value = self.deserialize_any(visitor);
                self.end_replay(resume);
                value
            }
            other => self.scalar_any(other, start, flagged, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        if self.next_is(NONE) {
            let start = self.pos;
            self.pos += 1;
            self.charge(0, start)?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        if name == VALUE_TOKEN {
            // A `Value` wants tuples, sets and big ints as themselves: let the Value reader read it.
            return self.tree()?.deserialize_newtype_struct(name, visitor);
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        // `'Unit'` or `{'Variant': content}`, read as a Value (serde_json's external tagging).
        self.tree()?.deserialize_enum(name, variants, visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, SerializeError> {
        // Bytes also fill a sequence of ints (a `Vec<u8>` without `serde_bytes`), as from a Value.
        let start = self.pos;
        match self.peek().map(|code| code & !FLAG_REF) {
            Some(STRING) => {
                let flagged = self.u8("type code")? & FLAG_REF != 0;
                let n = self.size("bytes")?;
                self.charge_bytes(n.min(self.left()), start)?;
                let bytes = self.take(n, "bytes")?;
                self.scalar(flagged, start)?;
                let mut items = de::value::SeqDeserializer::<_, SerializeError>::new(bytes.iter().copied());
                let value = visitor.visit_seq(&mut items)?;
                items.end()?;
                Ok(value)
            }
            Some(REF) => {
                self.pos += 1;
                let offset = self.reference(start)?;
                let resume = self.start_replay(offset);
                let value = self.deserialize_seq(visitor);
                self.end_replay(resume);
                value
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, SerializeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, SerializeError> {
        self.deserialize_seq(visitor)
    }

    fn is_human_readable(&self) -> bool {
        // A Python peer sends uuids, addresses and the like as text.
        true
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct map struct identifier ignored_any
    }
}

/// The items of a tuple, list, set or frozenset.
struct Items<'r, 'de> {
    reader: &'r mut Reader<'de>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for Items<'_, 'de> {
    type Error = SerializeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, SerializeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.reader).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        // At most one item per byte left, so a hostile count cannot make the target preallocate much.
        Some(self.left.min(self.reader.left()))
    }
}

/// The entries of a dict, up to its NULL.
struct Entries<'r, 'de> {
    reader: &'r mut Reader<'de>,
    ended: bool,
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = SerializeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, SerializeError> {
        if self.ended {
            return Ok(None);
        }
        if self.reader.next_is(NULL) {
            self.reader.pos += 1;
            self.ended = true;
            return Ok(None);
        }
        let at = self.reader.pos;
        self.reader.charge_bytes(budget::ENTRY, at)?;
        seed.deserialize(&mut *self.reader).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, SerializeError> {
        if self.reader.next_is(NULL) {
            return Err(self.reader.error_at(self.reader.pos, "NULL object outside a dict's end"));
        }
        seed.deserialize(&mut *self.reader)
    }
}

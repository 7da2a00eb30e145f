//! A serde `Serializer` that writes Python's marshal format (version 4) straight to bytes.
//!
//! It writes the forms `marshal.dumps` picks for fresh values and never sets FLAG_REF or writes
//! back-references (Python's choice there depends on reference counts; a reader needs neither).

use num_bigint::{BigInt, Sign};
use serde::Serialize;
use serde::ser;

use super::super::SerializeError;
use super::codes::*;
use crate::value::{EXT_STRUCT_NAME, SET_TOKEN, Value};

/// Serializes `value` as marshal bytes (see [`super::to_bytes`]).
pub(super) fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, SerializeError> {
    let mut writer = Writer { out: Vec::with_capacity(128), hashable: false, next_seq_is_set: false };
    value.serialize(&mut writer)?;
    Ok(writer.out)
}

fn cannot_carry(what: impl Into<String>) -> SerializeError {
    SerializeError::CannotCarry { serializer: "marshal", what: what.into() }
}

fn unhashable(kind: &str) -> SerializeError {
    cannot_carry(format!("a {kind} as a dict key or set member (Python needs a hashable value there)"))
}

/// The output and what the value being written must be.
struct Writer {
    out: Vec<u8>,
    /// Inside a dict key or a set member: Python must be able to hash the value, so lists and
    /// dicts are refused and sets are written as frozensets.
    hashable: bool,
    /// Set by [`SET_TOKEN`]: the sequence that follows is a [`Value::Set`].
    next_seq_is_set: bool,
}

impl Writer {
    /// A length as marshal's signed 32-bit count.
    fn size(&mut self, n: usize, what: &str) -> Result<(), SerializeError> {
        match i32::try_from(n) {
            Ok(n) => {
                self.out.extend_from_slice(&n.to_le_bytes());
                Ok(())
            }
            Err(_) => Err(cannot_carry(format!("a {what} of {n} items or bytes (marshal's limit is 2^31-1)"))),
        }
    }

    fn int(&mut self, n: i128) {
        match i32::try_from(n) {
            Ok(small) => {
                self.out.push(INT);
                self.out.extend_from_slice(&small.to_le_bytes());
            }
            Err(_) => {
                let magnitude = n.unsigned_abs();
                self.long(n < 0, &[magnitude as u64, (magnitude >> 64) as u64]);
            }
        }
    }

    fn bigint(&mut self, n: &BigInt) {
        if let Ok(n) = i128::try_from(n) {
            return self.int(n);
        }
        self.long(n.sign() == Sign::Minus, &n.magnitude().to_u64_digits());
    }

    /// Writes a `l` int: the digit count (negative for a negative number), then the magnitude in
    /// little-endian 15-bit digits, each as a 16-bit little-endian short.
    fn long(&mut self, negative: bool, words: &[u64]) {
        let top = words.iter().rposition(|&w| w != 0);
        let bits = top.map_or(0, |i| i as u64 * 64 + u64::from(64 - words[i].leading_zeros()));
        let digits = bits.div_ceil(u64::from(LONG_DIGIT_BITS));
        // A BigInt of 2^31 digits would need 4 GiB of memory first: the count fits.
        let count = i32::try_from(digits).unwrap_or(i32::MAX);
        self.out.push(LONG);
        self.out.extend_from_slice(&(if negative { -count } else { count }).to_le_bytes());
        self.out.reserve(digits as usize * 2);
        for d in 0..digits {
            let bit = d * u64::from(LONG_DIGIT_BITS);
            let (word, shift) = ((bit / 64) as usize, bit % 64);
            let mut digit = words[word] >> shift;
            if shift > 64 - u64::from(LONG_DIGIT_BITS)
                && let Some(next) = words.get(word + 1)
            {
                digit |= next << (64 - shift);
            }
            self.out.extend_from_slice(&((digit & 0x7fff) as u16).to_le_bytes());
        }
    }

    fn float(&mut self, f: f64) {
        self.out.push(BINARY_FLOAT);
        self.out.extend_from_slice(&f.to_le_bytes());
    }

    /// A `str` as Python 3.8+ writes a fresh one: `z` (ASCII, under 256 bytes), `a` (longer
    /// ASCII) or `u` (UTF-8).
    fn str(&mut self, s: &str) -> Result<(), SerializeError> {
        let bytes = s.as_bytes();
        self.out.reserve(bytes.len() + 5);
        match u8::try_from(bytes.len()) {
            Ok(len) if bytes.is_ascii() => self.out.extend_from_slice(&[SHORT_ASCII, len]),
            _ => {
                self.out.push(if bytes.is_ascii() { ASCII } else { UNICODE });
                self.size(bytes.len(), "str")?;
            }
        }
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    fn bytes(&mut self, bytes: &[u8]) -> Result<(), SerializeError> {
        self.out.push(STRING);
        self.size(bytes.len(), "bytes")?;
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    /// Opens a list, set or frozenset whose count is patched in at the end.
    fn open_counted(&mut self, code: u8, inner_hashable: bool) -> Compound<'_> {
        self.out.push(code);
        let count_at = self.out.len();
        self.out.extend_from_slice(&[0; 4]);
        let outer_hashable = std::mem::replace(&mut self.hashable, inner_hashable);
        Compound { w: self, shape: Shape::Counted { count_at }, count: 0, outer_hashable, variant: false }
    }

    /// Opens a tuple of `len` items: `)` with a one-byte count below 256, else `(`.
    fn open_tuple(&mut self, len: usize) -> Result<Compound<'_>, SerializeError> {
        if let Ok(small) = u8::try_from(len) {
            self.out.push(SMALL_TUPLE);
            self.out.push(small);
        } else {
            self.out.push(TUPLE);
            self.size(len, "tuple")?;
        }
        // A tuple is hashable when its items are: they inherit the requirement.
        let outer_hashable = self.hashable;
        Ok(Compound { w: self, shape: Shape::Tuple { len }, count: 0, outer_hashable, variant: false })
    }

    /// Opens a dict (a map or a struct named `kind`), ended by a NULL.
    fn open_dict(&mut self, kind: &str) -> Result<Compound<'_>, SerializeError> {
        if self.hashable {
            return Err(unhashable(kind));
        }
        self.out.push(DICT);
        Ok(Compound { w: self, shape: Shape::Dict, count: 0, outer_hashable: false, variant: false })
    }

    /// `{'Variant': ` — the opening of serde_json's externally tagged enum variant.
    fn open_variant(&mut self, variant: &str) -> Result<(), SerializeError> {
        if self.hashable {
            return Err(unhashable("enum variant with data"));
        }
        self.out.push(DICT);
        self.str(variant)
    }

    fn close_variant(&mut self) {
        self.out.push(NULL);
    }

    /// Writes an extension value (see `value/ext.rs`): big ints and complex numbers.
    fn ext<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        match crate::value::ext_codec::capture_ext(value)? {
            Value::Int(n) => self.int(i128::from(n)),
            Value::BigInt(n) => self.bigint(&n),
            Value::Complex { re, im } => {
                self.out.push(BINARY_COMPLEX);
                self.out.extend_from_slice(&re.to_le_bytes());
                self.out.extend_from_slice(&im.to_le_bytes());
            }
            Value::Date(_) => return Err(cannot_carry("date")),
            Value::DateTime(_) => return Err(cannot_carry("datetime")),
            other => return Err(cannot_carry(format!("extension value of type {}", other.type_name()))),
        }
        Ok(())
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = SerializeError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), SerializeError> {
        self.out.push(if v { TRUE } else { FALSE });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), SerializeError> {
        self.serialize_i32(i32::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<(), SerializeError> {
        self.serialize_i32(i32::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<(), SerializeError> {
        self.out.push(INT);
        self.out.extend_from_slice(&v.to_le_bytes());
        Ok(())
    }

    fn serialize_i64(self, v: i64) -> Result<(), SerializeError> {
        self.int(i128::from(v));
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), SerializeError> {
        self.int(v);
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<(), SerializeError> {
        self.serialize_i32(i32::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<(), SerializeError> {
        self.serialize_i32(i32::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<(), SerializeError> {
        self.int(i128::from(v));
        Ok(())
    }

    fn serialize_u64(self, v: u64) -> Result<(), SerializeError> {
        self.int(i128::from(v));
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), SerializeError> {
        match i128::try_from(v) {
            Ok(v) => self.int(v),
            Err(_) => self.long(false, &[v as u64, (v >> 64) as u64]),
        }
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), SerializeError> {
        // Python has only doubles: send the exact value of the f32.
        self.float(f64::from(v));
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), SerializeError> {
        self.float(v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), SerializeError> {
        self.str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), SerializeError> {
        self.str(v)
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), SerializeError> {
        self.bytes(v)
    }

    fn serialize_none(self) -> Result<(), SerializeError> {
        self.out.push(NONE);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), SerializeError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), SerializeError> {
        self.serialize_none()
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), SerializeError> {
        self.serialize_none()
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), SerializeError> {
        self.str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), SerializeError> {
        match name {
            EXT_STRUCT_NAME => self.ext(value),
            SET_TOKEN => {
                self.next_seq_is_set = true;
                let written = value.serialize(&mut *self);
                self.next_seq_is_set = false;
                written
            }
            _ => value.serialize(self),
        }
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), SerializeError> {
        self.open_variant(variant)?;
        value.serialize(&mut *self)?;
        self.close_variant();
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, SerializeError> {
        if std::mem::take(&mut self.next_seq_is_set) {
            // Members of a set must be hashable; a set that must be hashable is a frozenset.
            let code = if self.hashable { FROZENSET } else { SET };
            return Ok(self.open_counted(code, true));
        }
        if self.hashable {
            return Err(unhashable("list"));
        }
        Ok(self.open_counted(LIST, false))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, SerializeError> {
        self.open_tuple(len)
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a>, SerializeError> {
        self.open_tuple(len)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, SerializeError> {
        self.open_variant(variant)?;
        let mut tuple = self.open_tuple(len)?;
        tuple.variant = true;
        Ok(tuple)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, SerializeError> {
        self.open_dict("dict")
    }

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Compound<'a>, SerializeError> {
        self.open_dict(name)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, SerializeError> {
        self.open_variant(variant)?;
        let mut dict = self.open_dict("dict")?;
        dict.variant = true;
        Ok(dict)
    }

    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Result<(), SerializeError> {
        self.str(&value.to_string())
    }
}

/// What a [`Compound`] is writing.
enum Shape {
    /// A list, set or frozenset: the item count is written at `count_at` at the end.
    Counted { count_at: usize },
    /// A tuple whose count, `len`, is already written.
    Tuple { len: usize },
    /// A dict, ended by a NULL.
    Dict,
}

/// A container being written.
struct Compound<'a> {
    w: &'a mut Writer,
    shape: Shape,
    count: usize,
    /// The writer's `hashable` to restore at the end.
    outer_hashable: bool,
    /// It is the content of an enum variant: a NULL also ends the `{variant: ...}` dict.
    variant: bool,
}

impl Compound<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        self.count += 1;
        value.serialize(&mut *self.w)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), SerializeError> {
        self.w.str(key)?;
        value.serialize(&mut *self.w)
    }

    fn close(self) -> Result<(), SerializeError> {
        match self.shape {
            Shape::Counted { count_at } => {
                let count = i32::try_from(self.count).map_err(|_| {
                    cannot_carry(format!("a list or set of {} items (marshal's limit is 2^31-1)", self.count))
                })?;
                self.w.out[count_at..count_at + 4].copy_from_slice(&count.to_le_bytes());
            }
            Shape::Tuple { len } if len != self.count => {
                return Err(SerializeError::Custom(format!("a tuple said it had {len} items but gave {}", self.count)));
            }
            Shape::Tuple { .. } => {}
            Shape::Dict => self.w.out.push(NULL),
        }
        if self.variant {
            self.w.close_variant();
        }
        self.w.hashable = self.outer_hashable;
        Ok(())
    }
}

crate::serializer::forward_compounds!(Compound);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = SerializeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerializeError> {
        self.w.hashable = true;
        let written = key.serialize(&mut *self.w);
        self.w.hashable = false;
        written
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        value.serialize(&mut *self.w)
    }

    fn end(self) -> Result<(), SerializeError> {
        self.close()
    }
}

//! A serde `Serializer` that writes serpent (Python literal syntax) straight to bytes.
//!
//! The output is byte-identical to Python's `serpent.dumps(obj, module_in_classname=True,
//! bytes_repr=...)` for the same data: the header line, then the value with no spaces except
//! inside the `repr()` of the base64 bytes dict.

use std::io::Write as _;

use base64::Engine as _;
use serde::Serialize;
use serde::ser;

use super::super::SerializeError;
use super::Options;
use super::repr::{write_bytes, write_str};
use crate::value::{EXT_STRUCT_NAME, SET_TOKEN, Value, ext_codec::capture_ext};

/// The first line of every serpent document.
pub(crate) const HEADER: &str = "# serpent utf-8 python3.2\n";

/// Serpent writes a float NaN as this dict (no literal expression yields NaN).
const NAN_DICT: &str = "{'__class__':'float','value':'nan'}";

/// Serializes `value` as serpent (see [`super::to_bytes_with`]).
pub(super) fn to_bytes<T: Serialize + ?Sized>(value: &T, options: Options) -> Result<Vec<u8>, SerializeError> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(HEADER.as_bytes());
    let mut writer =
        Writer { out, scratch: String::new(), bytes_repr: options.bytes_repr, key: false, set_next: false };
    value.serialize(&mut writer)?;
    Ok(writer.out)
}

fn cannot_carry(what: impl Into<String>) -> SerializeError {
    SerializeError::CannotCarry { serializer: "serpent", what: what.into() }
}

/// Refuses a value that cannot be a dict key or set member.
fn unhashable(what: &str) -> SerializeError {
    cannot_carry(format!(
        "{what} as a dict key or set member (keys must be str, int, float, complex, bool, None, bytes or tuples of those)"
    ))
}

/// The output buffer and the state of the value being written.
struct Writer {
    out: Vec<u8>,
    /// Room for a float's `repr()` (written by a helper that takes a `String`).
    scratch: String,
    /// Bytes as `b'..'` rather than the base64 dict.
    bytes_repr: bool,
    /// Writing a dict key or set member: only hashable values are allowed.
    key: bool,
    /// The next sequence is the members of a [`Value::Set`].
    set_next: bool,
}

impl Writer {
    /// Writes a decimal integer (the hot path: no formatting machinery).
    fn int(&mut self, negative: bool, mut magnitude: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (magnitude % 10) as u8;
            magnitude /= 10;
            if magnitude == 0 {
                break;
            }
        }
        if negative {
            self.out.push(b'-');
        }
        self.out.extend_from_slice(&digits[at..]);
    }

    fn display(&mut self, n: impl std::fmt::Display) {
        // Writing to a Vec cannot fail.
        let _ = write!(self.out, "{n}");
    }

    /// `{'Name':` — the opening of serde_json's externally tagged enum variant.
    fn open_variant(&mut self, variant: &str) -> Result<(), SerializeError> {
        if self.key {
            return Err(unhashable("an enum variant with data"));
        }
        self.out.push(b'{');
        write_str(&mut self.out, variant);
        self.out.push(b':');
        Ok(())
    }

    fn float(&mut self, f: f64) -> Result<(), SerializeError> {
        if self.key && f.is_nan() {
            // The NaN dict would be an unhashable key.
            return Err(unhashable("a NaN float"));
        }
        write_float(&mut self.out, &mut self.scratch, f);
        Ok(())
    }

    fn bytes(&mut self, b: &[u8]) -> Result<(), SerializeError> {
        if self.bytes_repr {
            write_bytes(&mut self.out, b);
            return Ok(());
        }
        if self.key {
            // The base64 dict would be an unhashable key.
            return Err(unhashable("bytes (without bytes_repr)"));
        }
        // `repr({'data': ..., 'encoding': 'base64'})`; base64 text needs no escapes.
        let encoded_len = b.len().div_ceil(3) * 4;
        self.out.reserve(encoded_len + 40);
        self.out.extend_from_slice(b"{'data': '");
        let start = self.out.len();
        self.out.resize(start + encoded_len, 0);
        let written = base64::engine::general_purpose::STANDARD
            .encode_slice(b, &mut self.out[start..])
            .map_err(|e| SerializeError::Custom(format!("base64 encoding: {e}")))?;
        self.out.truncate(start + written);
        self.out.extend_from_slice(b"', 'encoding': 'base64'}");
        Ok(())
    }

    /// Writes a value carried as a Pyro5 extension newtype (big int, complex, date, datetime).
    fn ext(&mut self, value: &Value) -> Result<(), SerializeError> {
        match value {
            Value::Int(n) => self.int(*n < 0, n.unsigned_abs()),
            Value::BigInt(n) => self.display(n),
            Value::Complex { re, im } => {
                if self.key && (re.is_nan() || im.is_nan()) {
                    return Err(unhashable("a complex with NaN parts"));
                }
                write_complex(&mut self.out, &mut self.scratch, *re, *im);
            }
            Value::Date(d) => write_str(&mut self.out, &d.to_string()),
            Value::DateTime(ts) => write_str(&mut self.out, &super::super::json::isoformat_utc(*ts)?),
            other => return Err(cannot_carry(format!("a {} as an extension value", other.type_name()))),
        }
        Ok(())
    }

    fn open(&mut self, kind: Kind) -> Result<Compound<'_>, SerializeError> {
        let start = self.out.len();
        let was_key = self.key;
        match kind {
            Kind::List => {
                if self.key {
                    return Err(unhashable("a list"));
                }
                self.out.push(b'[');
            }
            Kind::Dict => {
                if self.key {
                    return Err(unhashable("a dict"));
                }
                self.out.push(b'{');
            }
            Kind::Set => {
                if self.key {
                    return Err(unhashable("a set"));
                }
                self.out.push(b'{');
                self.key = true;
            }
            Kind::Tuple => self.out.push(b'('),
        }
        Ok(Compound { w: self, kind, start, count: 0, was_key, variant: false })
    }
}

/// Writes a float as serpent does: `repr()`, `1e30000`/`-1e30000` for the infinities, a dict for NaN.
fn write_float(out: &mut Vec<u8>, scratch: &mut String, f: f64) {
    if f.is_nan() {
        out.extend_from_slice(NAN_DICT.as_bytes());
    } else if f.is_infinite() {
        out.extend_from_slice(if f > 0.0 { b"1e30000" } else { b"-1e30000" });
    } else {
        scratch.clear();
        crate::value::write_float_repr(scratch, f);
        out.extend_from_slice(scratch.as_bytes());
    }
}

/// Writes a complex as serpent does: `(re+imj)`, or a class dict when a part is NaN.
fn write_complex(out: &mut Vec<u8>, scratch: &mut String, re: f64, im: f64) {
    if re.is_nan() || im.is_nan() {
        out.extend_from_slice(b"{'__class__':'complex','real':");
        write_float(out, scratch, re);
        out.extend_from_slice(b",'imag':");
        write_float(out, scratch, im);
        out.push(b'}');
        return;
    }
    out.push(b'(');
    write_float(out, scratch, re);
    if im.is_sign_positive() {
        out.push(b'+');
    }
    write_float(out, scratch, im);
    out.extend_from_slice(b"j)");
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
        self.out.extend_from_slice(if v { b"True" } else { b"False" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), SerializeError> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i16(self, v: i16) -> Result<(), SerializeError> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i32(self, v: i32) -> Result<(), SerializeError> {
        self.serialize_i64(i64::from(v))
    }

    fn serialize_i64(self, v: i64) -> Result<(), SerializeError> {
        self.int(v < 0, v.unsigned_abs());
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), SerializeError> {
        self.display(v);
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<(), SerializeError> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u16(self, v: u16) -> Result<(), SerializeError> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u32(self, v: u32) -> Result<(), SerializeError> {
        self.serialize_u64(u64::from(v))
    }

    fn serialize_u64(self, v: u64) -> Result<(), SerializeError> {
        self.int(false, v);
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), SerializeError> {
        self.display(v);
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), SerializeError> {
        // Python has only doubles: send the exact value of the f32.
        self.float(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), SerializeError> {
        self.float(v)
    }

    fn serialize_char(self, v: char) -> Result<(), SerializeError> {
        write_str(&mut self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), SerializeError> {
        write_str(&mut self.out, v);
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), SerializeError> {
        self.bytes(v)
    }

    fn serialize_none(self) -> Result<(), SerializeError> {
        self.out.extend_from_slice(b"None");
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
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<(), SerializeError> {
        match name {
            EXT_STRUCT_NAME => {
                let value = capture_ext(value)?;
                self.ext(&value)
            }
            SET_TOKEN => {
                self.set_next = true;
                let result = value.serialize(&mut *self);
                self.set_next = false;
                result
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
        self.out.push(b'}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, SerializeError> {
        let kind = if std::mem::take(&mut self.set_next) { Kind::Set } else { Kind::List };
        self.open(kind)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Compound<'a>, SerializeError> {
        self.open(Kind::Tuple)
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>, SerializeError> {
        self.open(Kind::Tuple)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, SerializeError> {
        self.open_variant(variant)?;
        let mut compound = self.open(Kind::Tuple)?;
        compound.variant = true;
        Ok(compound)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, SerializeError> {
        self.open(Kind::Dict)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>, SerializeError> {
        self.open(Kind::Dict)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, SerializeError> {
        self.open_variant(variant)?;
        let mut compound = self.open(Kind::Dict)?;
        compound.variant = true;
        Ok(compound)
    }

    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Result<(), SerializeError> {
        self.serialize_str(&value.to_string())
    }
}

/// The kind of container a [`Compound`] writes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Tuple,
    Set,
    Dict,
}

/// A list, tuple, set or dict being written.
struct Compound<'a> {
    w: &'a mut Writer,
    kind: Kind,
    /// Where its opening bracket is in the output (an empty set is rewritten as `()`).
    start: usize,
    /// Elements (or entries) written so far.
    count: usize,
    /// The writer's key mode outside this container.
    was_key: bool,
    /// It is the content of an enum variant: a `}` closes the variant's dict after it.
    variant: bool,
}

impl Compound<'_> {
    fn separator(&mut self) {
        if self.count > 0 {
            self.w.out.push(b',');
        }
        self.count += 1;
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        self.separator();
        value.serialize(&mut *self.w)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), SerializeError> {
        self.separator();
        write_str(&mut self.w.out, key);
        self.w.out.push(b':');
        value.serialize(&mut *self.w)
    }

    fn close(self) -> Result<(), SerializeError> {
        let out = &mut self.w.out;
        match self.kind {
            Kind::List => out.push(b']'),
            Kind::Dict => out.push(b'}'),
            Kind::Tuple => {
                if self.count == 1 {
                    out.push(b',');
                }
                out.push(b')');
            }
            Kind::Set if self.count == 0 => {
                // There is no empty set literal: serpent writes an empty tuple.
                out.truncate(self.start);
                out.extend_from_slice(b"()");
            }
            Kind::Set => out.push(b'}'),
        }
        if self.variant {
            out.push(b'}');
        }
        self.w.key = self.was_key;
        Ok(())
    }
}

crate::serializer::forward_compounds!(Compound);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = SerializeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerializeError> {
        self.separator();
        self.w.key = true;
        let result = key.serialize(&mut *self.w);
        self.w.key = false;
        result?;
        self.w.out.push(b':');
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        value.serialize(&mut *self.w)
    }

    fn end(self) -> Result<(), SerializeError> {
        self.close()
    }
}

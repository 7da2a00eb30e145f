//! A serde `Serializer` that writes Python's json dialect straight to bytes.
//!
//! The output is byte-identical to `json.dumps(obj, ensure_ascii=False)` for the same data:
//! separators `", "` and `": "`, raw UTF-8, `NaN`/`Infinity`/`-Infinity`, float `repr()`,
//! unbounded integers and non-str dict keys turned into strings.

mod ext;
mod key;

use std::fmt::Write as _;

use serde::Serialize;
use serde::ser;

use self::ext::capture_ext;
use self::key::KeyWriter;
use super::super::SerializeError;
use crate::value::{Date, EXT_BIGINT, EXT_COMPLEX, EXT_DATE, EXT_DATETIME, EXT_STRUCT_NAME};

/// Serializes `value` as Python's json does (see [`super::to_bytes`]).
pub(super) fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, SerializeError> {
    let mut writer = Writer { out: String::with_capacity(128) };
    value.serialize(&mut writer)?;
    Ok(writer.out.into_bytes())
}

fn cannot_carry(what: impl Into<String>) -> SerializeError {
    SerializeError::CannotCarry { serializer: "json", what: what.into() }
}

/// The output buffer. It is a `String` (everything written is UTF-8) so that float `repr()`
/// can be written into it directly.
struct Writer {
    out: String,
}

impl Writer {
    fn display(&mut self, n: impl std::fmt::Display) {
        // Writing to a String cannot fail.
        let _ = write!(self.out, "{n}");
    }

    /// `{"Name": ` — the opening of serde_json's externally tagged enum variant.
    fn open_variant(&mut self, variant: &str) {
        self.out.push('{');
        write_str(&mut self.out, variant);
        self.out.push_str(": ");
    }
}

/// Writes `s` as a json string the way Python's `json.dumps(..., ensure_ascii=False)` does.
fn write_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let mut start = 0;
    for (i, &b) in s.as_bytes().iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        // `i` is the index of an ASCII byte, hence a char boundary.
        out.push_str(&s[start..i]);
        start = i + 1;
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Writes a float as Python's json does: `repr()` for finite values, else `NaN`, `Infinity`, `-Infinity`.
fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        crate::value::write_float_repr(out, f);
    }
}

/// What a Pyro5 extension value (see `value/ext.rs`) becomes in json.
enum ExtForm {
    /// A bare json number (a big integer's decimal digits).
    Number(String),
    /// A json string (dates and datetimes as ISO 8601).
    Text(String),
}

/// Renders an extension value carried as `_ExtStruct((code, bytes))`.
fn render_ext(code: i8, data: &[u8]) -> Result<ExtForm, SerializeError> {
    match code {
        EXT_BIGINT => {
            let digits = std::str::from_utf8(data).ok().filter(|d| is_int_literal(d.as_bytes()));
            match digits {
                Some(digits) => Ok(ExtForm::Number(digits.to_owned())),
                None => {
                    Err(SerializeError::Custom(format!("big integer extension holds {data:?}, not decimal digits")))
                }
            }
        }
        EXT_DATE => {
            let ordinal = i64::from_ne_bytes(fixed_payload(data, "date")?);
            let date = Date::from_ordinal(ordinal)
                .ok_or_else(|| SerializeError::Custom(format!("date ordinal {ordinal} is outside years 1..=9999")))?;
            Ok(ExtForm::Text(date.to_string()))
        }
        EXT_DATETIME => Ok(ExtForm::Text(isoformat_utc(f64::from_ne_bytes(fixed_payload(data, "datetime")?))?)),
        EXT_COMPLEX => Err(cannot_carry("complex")),
        other => Err(cannot_carry(format!("msgpack extension type {other:#04x}"))),
    }
}

fn fixed_payload(data: &[u8], what: &str) -> Result<[u8; 8], SerializeError> {
    data.try_into()
        .map_err(|_| SerializeError::Custom(format!("{what} extension payload of {} bytes, not 8", data.len())))
}

/// Whether `s` is a decimal integer as Python writes one: `-?(0|[1-9][0-9]*)`.
fn is_int_literal(s: &[u8]) -> bool {
    let digits = s.strip_prefix(b"-").unwrap_or(s);
    match digits {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// The ISO 8601 text of the UTC time `timestamp` seconds after the Unix epoch, as Python's
/// `datetime.utcfromtimestamp(timestamp).isoformat()` (microseconds rounded half to even).
///
/// Pyro5 peers read naive datetimes as *local* time; we have no time zone database and use UTC.
pub(in crate::serializer) fn isoformat_utc(timestamp: f64) -> Result<String, SerializeError> {
    // 0001-01-01T00:00:00 and 10000-01-01T00:00:00 relative to the epoch.
    const MIN: f64 = -62_135_596_800.0;
    const MAX: f64 = 253_402_300_800.0;
    if !(MIN..MAX).contains(&timestamp) {
        return Err(SerializeError::Custom(format!("datetime timestamp {timestamp} is outside years 1..=9999")));
    }
    let whole = timestamp.trunc();
    let mut micros = ((timestamp - whole) * 1e6).round_ties_even();
    let mut whole = whole;
    if micros >= 1e6 {
        micros -= 1e6;
        whole += 1.0;
    } else if micros < 0.0 {
        micros += 1e6;
        whole -= 1.0;
    }
    // Both are integral and in range after the check above.
    let (secs, micros) = (whole as i64, micros as i64);
    let ordinal = secs.div_euclid(86_400) + 719_163; // 1970-01-01 is day 719163
    let date = Date::from_ordinal(ordinal)
        .ok_or_else(|| SerializeError::Custom(format!("datetime timestamp {timestamp} is outside years 1..=9999")))?;
    let of_day = secs.rem_euclid(86_400);
    let mut text = format!("{date}T{:02}:{:02}:{:02}", of_day / 3600, of_day / 60 % 60, of_day % 60);
    if micros != 0 {
        let _ = write!(text, ".{micros:06}");
    }
    Ok(text)
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
        self.out.push_str(if v { "true" } else { "false" });
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
        self.display(v);
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
        self.display(v);
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), SerializeError> {
        self.display(v);
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), SerializeError> {
        // Python has only doubles: send the exact value of the f32.
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), SerializeError> {
        write_float(&mut self.out, v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), SerializeError> {
        write_str(&mut self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), SerializeError> {
        write_str(&mut self.out, v);
        Ok(())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), SerializeError> {
        Err(cannot_carry("bytes"))
    }

    fn serialize_none(self) -> Result<(), SerializeError> {
        self.out.push_str("null");
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
        if name != EXT_STRUCT_NAME {
            return value.serialize(self);
        }
        let (code, data) = capture_ext(value)?;
        match render_ext(code, &data)? {
            ExtForm::Number(digits) => self.out.push_str(&digits),
            ExtForm::Text(text) => write_str(&mut self.out, &text),
        }
        Ok(())
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), SerializeError> {
        self.open_variant(variant);
        value.serialize(&mut *self)?;
        self.out.push('}');
        Ok(())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, SerializeError> {
        self.out.push('[');
        Ok(Compound { w: self, first: true, close: "]" })
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, SerializeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a>, SerializeError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, SerializeError> {
        self.open_variant(variant);
        self.out.push('[');
        Ok(Compound { w: self, first: true, close: "]}" })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, SerializeError> {
        self.out.push('{');
        Ok(Compound { w: self, first: true, close: "}" })
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'a>, SerializeError> {
        self.serialize_map(None)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, SerializeError> {
        self.open_variant(variant);
        self.out.push('{');
        Ok(Compound { w: self, first: true, close: "}}" })
    }

    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Result<(), SerializeError> {
        self.serialize_str(&value.to_string())
    }
}

/// An array or object being written.
struct Compound<'a> {
    w: &'a mut Writer,
    first: bool,
    /// What closes it: `]`, `}`, or those followed by `}` for an enum variant.
    close: &'static str,
}

impl Compound<'_> {
    fn separator(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.w.out.push_str(", ");
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        self.separator();
        value.serialize(&mut *self.w)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), SerializeError> {
        self.separator();
        write_str(&mut self.w.out, key);
        self.w.out.push_str(": ");
        value.serialize(&mut *self.w)
    }

    fn close(self) -> Result<(), SerializeError> {
        self.w.out.push_str(self.close);
        Ok(())
    }
}

crate::serializer::forward_compounds!(Compound);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = SerializeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerializeError> {
        self.separator();
        key.serialize(KeyWriter { out: &mut self.w.out })?;
        self.w.out.push_str(": ");
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        value.serialize(&mut *self.w)
    }

    fn end(self) -> Result<(), SerializeError> {
        self.close()
    }
}

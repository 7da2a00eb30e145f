//! [`KeyWriter`]: how Python's json writes a dict key (str keys as they are, int, float, bool
//! and None keys stringified, other keys refused).

use std::fmt::Write as _;

use serde::Serialize;
use serde::ser::{self, Impossible};

use super::super::super::SerializeError;
use super::ext::capture_ext;
use super::{ExtForm, cannot_carry, render_ext, write_float, write_str};
use crate::value::{EXT_DATE, EXT_DATETIME, EXT_STRUCT_NAME};

/// Writes a dict key. Python's json accepts str keys and stringifies int, float, bool and None
/// keys (`{1: 'v'}` → `{"1": "v"}`, `True` → `"true"`, `None` → `"null"`); anything else is refused.
pub(super) struct KeyWriter<'a> {
    pub(super) out: &'a mut String,
}

impl KeyWriter<'_> {
    fn quoted(self, n: impl std::fmt::Display) -> Result<(), SerializeError> {
        let _ = write!(self.out, "\"{n}\"");
        Ok(())
    }
}

fn bad_key(what: &str) -> SerializeError {
    cannot_carry(format!("dict key of type {what} (keys must be str, int, float, bool or None)"))
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = SerializeError;
    type SerializeSeq = Impossible<(), SerializeError>;
    type SerializeTuple = Impossible<(), SerializeError>;
    type SerializeTupleStruct = Impossible<(), SerializeError>;
    type SerializeTupleVariant = Impossible<(), SerializeError>;
    type SerializeMap = Impossible<(), SerializeError>;
    type SerializeStruct = Impossible<(), SerializeError>;
    type SerializeStructVariant = Impossible<(), SerializeError>;

    fn serialize_bool(self, v: bool) -> Result<(), SerializeError> {
        self.out.push_str(if v { "\"true\"" } else { "\"false\"" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), SerializeError> {
        self.quoted(v)
    }

    fn serialize_i16(self, v: i16) -> Result<(), SerializeError> {
        self.quoted(v)
    }

    fn serialize_i32(self, v: i32) -> Result<(), SerializeError> {
        self.quoted(v)
    }

    fn serialize_i64(self, v: i64) -> Result<(), SerializeError> {
        self.quoted(v)
    }

    fn serialize_i128(self, v: i128) -> Result<(), SerializeError> {
        self.quoted(v)
    }

    fn serialize_u8(self, v: u8) -> Result<(), SerializeError> {
        self.quoted(v)
    }

    fn serialize_u16(self, v: u16) -> Result<(), SerializeError> {
        self.quoted(v)
    }

    fn serialize_u32(self, v: u32) -> Result<(), SerializeError> {
        self.quoted(v)
    }

    fn serialize_u64(self, v: u64) -> Result<(), SerializeError> {
        self.quoted(v)
    }

    fn serialize_u128(self, v: u128) -> Result<(), SerializeError> {
        self.quoted(v)
    }

    fn serialize_f32(self, v: f32) -> Result<(), SerializeError> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), SerializeError> {
        self.out.push('"');
        write_float(self.out, v);
        self.out.push('"');
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), SerializeError> {
        write_str(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), SerializeError> {
        write_str(self.out, v);
        Ok(())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), SerializeError> {
        Err(bad_key("bytes"))
    }

    fn serialize_none(self) -> Result<(), SerializeError> {
        self.out.push_str("\"null\"");
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
        match (code, render_ext(code, &data)?) {
            (_, ExtForm::Number(digits)) => self.quoted(digits),
            (EXT_DATE, _) => Err(bad_key("date")),
            (EXT_DATETIME, _) => Err(bad_key("datetime")),
            (_, ExtForm::Text(_)) => Err(bad_key("extension value")),
        }
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), SerializeError> {
        Err(bad_key("enum variant with data"))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, SerializeError> {
        Err(bad_key("list"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, SerializeError> {
        Err(bad_key("tuple"))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, SerializeError> {
        Err(bad_key("tuple"))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, SerializeError> {
        Err(bad_key("enum variant with data"))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, SerializeError> {
        Err(bad_key("dict"))
    }

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Self::SerializeStruct, SerializeError> {
        Err(bad_key(name))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, SerializeError> {
        Err(bad_key("enum variant with data"))
    }

    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Result<(), SerializeError> {
        self.serialize_str(&value.to_string())
    }
}

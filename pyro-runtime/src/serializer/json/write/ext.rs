//! [`ExtCapture`]: reads the `(i8, bytes)` content of an `_ExtStruct` newtype (how [`Value`]'s
//! dates, datetimes, big integers and complex numbers reach the json writer).
//!
//! [`Value`]: crate::Value

use serde::Serialize;
use serde::ser::{self, Impossible};

use super::super::super::SerializeError;
use crate::value::EXT_STRUCT_NAME;

/// Captures the `(i8, bytes)` content of an `_ExtStruct` newtype.
pub(super) fn capture_ext<T: Serialize + ?Sized>(value: &T) -> Result<(i8, Vec<u8>), SerializeError> {
    match value.serialize(ExtCapture)? {
        Captured::Ext(code, data) => Ok((code, data)),
        _ => Err(not_ext()),
    }
}

fn not_ext() -> SerializeError {
    SerializeError::Custom(format!("{EXT_STRUCT_NAME} must hold an (i8, bytes) tuple"))
}

/// The pieces of an extension value seen by [`ExtCapture`].
enum Captured {
    Code(i8),
    Bytes(Vec<u8>),
    Ext(i8, Vec<u8>),
}

/// A serializer that accepts only an `(i8, bytes)` tuple (or its two parts).
struct ExtCapture;

/// Collects the two elements of the extension tuple.
struct ExtTuple {
    code: Option<i8>,
    data: Option<Vec<u8>>,
}

impl ExtTuple {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        match (value.serialize(ExtCapture)?, self.code.is_some()) {
            (Captured::Code(code), false) => self.code = Some(code),
            (Captured::Bytes(data), true) if self.data.is_none() => self.data = Some(data),
            _ => return Err(not_ext()),
        }
        Ok(())
    }

    fn finish(self) -> Result<Captured, SerializeError> {
        match (self.code, self.data) {
            (Some(code), Some(data)) => Ok(Captured::Ext(code, data)),
            _ => Err(not_ext()),
        }
    }
}

impl ser::SerializeTuple for ExtTuple {
    type Ok = Captured;
    type Error = SerializeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        self.push(value)
    }

    fn end(self) -> Result<Captured, SerializeError> {
        self.finish()
    }
}

impl ser::SerializeSeq for ExtTuple {
    type Ok = Captured;
    type Error = SerializeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        self.push(value)
    }

    fn end(self) -> Result<Captured, SerializeError> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for ExtTuple {
    type Ok = Captured;
    type Error = SerializeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SerializeError> {
        self.push(value)
    }

    fn end(self) -> Result<Captured, SerializeError> {
        self.finish()
    }
}

/// Implements the serializer methods that [`ExtCapture`] refuses.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*);)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<Captured, SerializeError> {
            Err(not_ext())
        }
    )*};
}

/// Implements the integer methods of [`ExtCapture`]: any integer type may carry the code.
macro_rules! code_from {
    ($($method:ident($arg:ty);)*) => {$(
        fn $method(self, v: $arg) -> Result<Captured, SerializeError> {
            i8::try_from(v).map(Captured::Code).map_err(|_| not_ext())
        }
    )*};
}

impl ser::Serializer for ExtCapture {
    type Ok = Captured;
    type Error = SerializeError;
    type SerializeSeq = ExtTuple;
    type SerializeTuple = ExtTuple;
    type SerializeTupleStruct = ExtTuple;
    type SerializeTupleVariant = Impossible<Captured, SerializeError>;
    type SerializeMap = Impossible<Captured, SerializeError>;
    type SerializeStruct = Impossible<Captured, SerializeError>;
    type SerializeStructVariant = Impossible<Captured, SerializeError>;

    fn serialize_i8(self, v: i8) -> Result<Captured, SerializeError> {
        Ok(Captured::Code(v))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Captured, SerializeError> {
        Ok(Captured::Bytes(v.to_vec()))
    }

    code_from! {
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
    }

    refuse! {
        serialize_bool(bool);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<Captured, SerializeError> {
        Err(not_ext())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Captured, SerializeError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Captured, SerializeError> {
        Err(not_ext())
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<ExtTuple, SerializeError> {
        Ok(ExtTuple { code: None, data: None })
    }

    fn serialize_tuple(self, _len: usize) -> Result<ExtTuple, SerializeError> {
        Ok(ExtTuple { code: None, data: None })
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<ExtTuple, SerializeError> {
        Ok(ExtTuple { code: None, data: None })
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, SerializeError> {
        Err(not_ext())
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, SerializeError> {
        Err(not_ext())
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, SerializeError> {
        Err(not_ext())
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, SerializeError> {
        Err(not_ext())
    }
}

//! Positional arguments: `()` (what a call without arguments naturally passes) serializes as
//! nil/null, but a Pyro5 daemon needs a sequence, so the proxy sends an empty array instead.

use serde::Serialize;
use serde::ser::{Impossible, Serializer};

/// Whether `value` serializes as unit (`()` or a unit struct). Costs one method call: every
/// other shape stops the probe at once.
pub(crate) fn is_unit<T: Serialize + ?Sized>(value: &T) -> bool {
    matches!(value.serialize(UnitProbe), Ok(true))
}

struct UnitProbe;

/// The probe's "not unit" signal for compound values.
#[derive(Debug)]
struct NotUnit;

impl std::fmt::Display for NotUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not unit")
    }
}

impl std::error::Error for NotUnit {}

impl serde::ser::Error for NotUnit {
    fn custom<T: std::fmt::Display>(_msg: T) -> NotUnit {
        NotUnit
    }
}

macro_rules! not_unit {
    ($($name:ident($($ty:ty),*);)*) => {
        $(fn $name(self, $(_: $ty),*) -> Result<bool, NotUnit> { Ok(false) })*
    };
}

impl Serializer for UnitProbe {
    type Ok = bool;
    type Error = NotUnit;
    type SerializeSeq = Impossible<bool, NotUnit>;
    type SerializeTuple = Impossible<bool, NotUnit>;
    type SerializeTupleStruct = Impossible<bool, NotUnit>;
    type SerializeTupleVariant = Impossible<bool, NotUnit>;
    type SerializeMap = Impossible<bool, NotUnit>;
    type SerializeStruct = Impossible<bool, NotUnit>;
    type SerializeStructVariant = Impossible<bool, NotUnit>;

    not_unit! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_i128(i128);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_u128(u128);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_unit(self) -> Result<bool, NotUnit> {
        Ok(true)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<bool, NotUnit> {
        Ok(true)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<bool, NotUnit> {
        Ok(false)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<bool, NotUnit> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<bool, NotUnit> {
        Ok(false)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, NotUnit> {
        Err(NotUnit)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, NotUnit> {
        Err(NotUnit)
    }
}

#[cfg(test)]
mod tests {
    use super::is_unit;

    #[derive(serde::Serialize)]
    struct Empty;

    #[test]
    fn only_unit_is_unit() {
        assert!(is_unit(&()));
        assert!(is_unit(&Empty));
        assert!(!is_unit(&(1,)));
        assert!(!is_unit(&(1, "a")));
        assert!(!is_unit(&Vec::<i32>::new()));
        assert!(!is_unit(&[0u8; 0]));
        assert!(!is_unit(&None::<i32>));
        assert!(!is_unit(&5));
    }
}

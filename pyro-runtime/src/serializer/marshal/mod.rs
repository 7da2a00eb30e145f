//! Pyro5's marshal serializer (id 2): Python's `marshal` format, version 4 (what
//! `marshal.dumps` writes on Python 3.8 to 3.13; CPython's `Python/marshal.c` is the authority).
//!
//! Pyro5 sends `marshal.dumps(value)` as the message body. [`to_bytes`] writes what Python
//! writes for the same data and [`parse_value`] reads everything Python writes for the values
//! Pyro5 sends, back-references included.
//!
//! How Rust and [`Value`] data map to marshal (the json writer's mapping where marshal can carry it):
//!
//! - `None`, `()` and unit structs → `N`; `bool` → `T`/`F`.
//! - integers of any width and [`Value::BigInt`] → `i` (fits in 32 bits) or `l` (15-bit digits).
//! - floats → `g` (binary double; `f32` as its exact double); [`Value::Complex`] → `y`.
//! - `str` → `z` (ASCII, under 256 bytes), `a` (longer ASCII) or `u` (UTF-8), as Python writes a
//!   fresh, non-interned string; bytes (`serde_bytes`, [`Value::Bytes`]) → `s`.
//! - Rust tuples, tuple structs and [`Value::Tuple`] → `)` (under 256 items) or `(`; sequences →
//!   `[`; [`Value::Set`] → `<` set, or `>` frozenset where Python needs a hashable value.
//! - maps and structs → `{` ... NULL, in order. Keys (and set members) must be hashable in
//!   Python: lists, dicts and enum variants with data are refused there.
//! - enums as serde_json does: `'Unit'`, `{'Newtype': ...}`, `{'Tuple': (...)}`, `{'Struct': {...}}`.
//! - [`Value::Date`] and [`Value::DateTime`] cannot be carried ([`SerializeError::CannotCarry`]),
//!   as Pyro5's marshal serializer cannot carry them.
//!
//! The writer never sets FLAG_REF nor writes back-references: Python sets them from reference
//! counts (small ints, interned and shared objects), which no reader needs. The output is
//! byte-identical to Python's wherever Python's choice does not depend on reference counts.
//!
//! Reading accepts every type code of format versions 0 to 4 that carries data: `N T F`, `i`,
//! `I` (64-bit, read only), `l`, `g` and text `f`, `y` and text `x`, the strings `u t a A z Z`
//! (the ASCII kinds are read as Latin-1, as CPython does), `s`, `( ) [ { < >`, and FLAG_REF with
//! `r` back-references. Frozensets arrive as [`Value::Set`] too; sets and dicts keep the first of
//! equal members or keys (a dict the last value) as Python's do. `S` (StopIteration), `.`
//! (Ellipsis), code objects and version 5 slices are refused, and so are what `marshal.loads`
//! refuses (dict keys and set members Python cannot hash) and a back-reference to a container
//! from inside itself (a recursive list, which a [`Value`] cannot hold). It is stricter than
//! `marshal.loads` in ways Python's writer never needs: bytes after the object, a NULL where a
//! dict value belongs and integers over 4300 decimal digits are errors. Nesting is limited to
//! [`MAX_DEPTH`], copies made by back-references to [`REF_COPY_BUDGET`]; every error is
//! [`SerializeError::Malformed`] naming the byte offset.
//!
//! [`from_bytes`] reads straight into the target type (strings lent from the input, struct field
//! names never allocated), following back-references the same way; a [`Value`] anywhere in the
//! target is read by [`parse_value`]'s reader, so it keeps tuples, sets and big ints. A typed
//! target decides itself which keys it accepts (the hashability check is [`parse_value`]'s).
//!
//! ```
//! use pyro::serializer::marshal;
//! use pyro::value::Value;
//!
//! let bytes = marshal::to_bytes(&("ok", 1u8, vec![1.5])).unwrap();
//! assert_eq!(bytes, b"\x29\x03\x7a\x02ok\x69\x01\0\0\0\x5b\x01\0\0\0\x67\0\0\0\0\0\0\xf8\x3f");
//! // What Python 3.11 writes for ("ok", "ok"): the second is a back-reference to the first.
//! let back = marshal::parse_value(b"\xa9\x02\xda\x02ok\x72\x01\0\0\0").unwrap();
//! assert_eq!(back.to_string(), "('ok', 'ok')");
//! ```

mod codes;
mod de;
mod read;
mod strings;
mod write;

pub use read::{MAX_DEPTH, REF_COPY_BUDGET};
pub use strings::{decode_str, encode_str};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{DecodeLimit, SerializeError};
use crate::value::Value;

/// Serializes a value as Python's `marshal.dumps` writes the same data.
///
/// ```
/// use std::collections::BTreeMap;
/// use pyro::serializer::marshal::to_bytes;
/// use pyro::value::{Date, Value};
///
/// assert_eq!(to_bytes(&BTreeMap::from([(1, "v")])).unwrap(), b"{i\x01\0\0\0z\x01v0");
/// assert_eq!(to_bytes(&(1u128 << 64)).unwrap(), b"l\x05\0\0\0\0\0\0\0\0\0\0\0\x10\0");
/// assert_eq!(to_bytes(serde_bytes::Bytes::new(b"raw")).unwrap(), b"s\x03\0\0\0raw");
/// assert!(to_bytes(&Value::Date(Date::new(2024, 1, 2).unwrap())).is_err());
/// ```
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, SerializeError> {
    write::to_bytes(value)
}

/// Deserializes marshal bytes into any type, straight from the bytes (no [`Value`] in between
/// unless the type asks for one); a [`Value`] takes anything [`parse_value`] reads.
///
/// ```
/// use pyro::serializer::marshal::from_bytes;
///
/// let (name, n): (String, u64) = from_bytes(b"\xa9\x02\xfa\x03big\xec\x05\0\0\0\0\0\0\0\0\0\0\0\x01\0").unwrap();
/// assert_eq!((name.as_str(), n), ("big", 1 << 60));
/// assert!(from_bytes::<Vec<i32>>(b"[\x02\0\0\0i\x01\0\0\0").is_err());
/// ```
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, SerializeError> {
    de::from_bytes(bytes, DecodeLimit::default())
}

/// [`from_bytes`] within `limit`: reading stops with [`SerializeError::TooLarge`] once the
/// values read (back-references included, each copy counted) would cost more than the limit
/// allows for the input's size.
///
/// ```
/// use pyro::serializer::{marshal, DecodeLimit, SerializeError};
/// use pyro::value::Value;
///
/// // A list of 1,000 Nones: 1 kB of marshal, 32 kB of values.
/// let nones = [&b"[\xe8\x03\0\0"[..], &[b'N'; 1000]].concat();
/// assert!(marshal::from_bytes_limited::<Value>(&nones, DecodeLimit::new(40_000)).is_ok());
/// let err = marshal::from_bytes_limited::<Vec<()>>(&nones, DecodeLimit::new(20_000));
/// assert!(matches!(err, Err(SerializeError::TooLarge { serializer: "marshal", .. })));
/// ```
pub fn from_bytes_limited<T: DeserializeOwned>(bytes: &[u8], limit: DecodeLimit) -> Result<T, SerializeError> {
    de::from_bytes(bytes, limit)
}

/// Parses marshal bytes into a [`Value`]: exactly one object, which must fill `bytes`.
///
/// ```
/// use pyro::serializer::marshal::parse_value;
/// use pyro::value::Value;
///
/// // {'a': 1, 'b': 'a'}, the second 'a' a back-reference to the first (table entry 1).
/// let v = parse_value(b"\xfb\xda\x01a\xe9\x01\0\0\0\xda\x01br\x01\0\0\x000").unwrap();
/// assert_eq!(v.to_string(), "{'a': 1, 'b': 'a'}");
/// assert!(parse_value(b"N extra").is_err());
/// ```
pub fn parse_value(bytes: &[u8]) -> Result<Value, SerializeError> {
    read::parse(bytes, DecodeLimit::default())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

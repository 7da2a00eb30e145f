//! Pyro5's serpent serializer (id 1), Pyro5's default: Python literal syntax.
//!
//! Python writes it with `serpent.dumps(obj, module_in_classname=True, bytes_repr=...)` and
//! reads it with `ast.literal_eval`. [`to_bytes`] produces the same bytes for the same data:
//! the header line `# serpent utf-8 python3.2`, then the value with no spaces, strings as
//! Python's `repr()`, floats as `repr()` with `1e30000`/`-1e30000` for the infinities and
//! `{'__class__':'float','value':'nan'}` for NaN. [`parse_value`] reads any Python literal.
//!
//! How Rust and [`Value`] data map to serpent:
//!
//! - `None`, `()` and unit structs → `None`; integers of any width and [`Value::BigInt`] →
//!   decimal literals; floats → `repr()` (`1.5`, `1e+16`); `f32` → the exact `f64` value.
//! - sequences → lists `[1,2]`; tuples, tuple structs and [`Value::Tuple`] → tuples (`(1,)`
//!   for one element); [`Value::Set`] → `{1,2}` in its order (an empty set → `()`, as
//!   serpent writes it); maps and structs → dicts `{'k':1}` in order. (Serpent sorts keys and
//!   members only when indenting, which Pyro5 never asks for.)
//! - enums as serde_json does: `'Unit'`, `{'Newtype':...}`, `{'Tuple':(...)}`, `{'Struct':{...}}`.
//! - bytes → `{'data': '<base64>', 'encoding': 'base64'}` (written as Python's `repr()` of
//!   that dict, with spaces), or `b'..'` with [`Options::bytes_repr`] (Pyro5's
//!   `SERPENT_BYTES_REPR`).
//! - [`Value::Complex`] → `(1.0+2.0j)` (a `{'__class__':'complex',...}` dict if a part is NaN);
//!   [`Value::Date`] → `'YYYY-MM-DD'`; [`Value::DateTime`] → `'YYYY-MM-DDTHH:MM:SS[.ffffff]'`
//!   computed in UTC, as the json serializer writes it.
//! - dict keys and set members must be hashable in Python: str, numbers (not NaN), bool,
//!   None, tuples of those, and bytes with `bytes_repr` (the base64 dict cannot be a key);
//!   anything else is [`SerializeError::CannotCarry`]. (Python's serpent refuses to write a
//!   `None` key, but reads one; we write it.)
//!
//! Reading gives lists, tuples, sets and dicts (keys of any hashable kind; a repeated key keeps
//! its first position and its last value) as the matching [`Value`]s, `b'..'` as
//! [`Value::Bytes`], the base64 bytes dict as the [`Value::Dict`] it is (a typed receiver asking
//! for bytes gets them decoded), serpent's NaN dict as a NaN [`Value::Float`] and its NaN
//! complex dict as [`Value::Complex`]. Strings take every escape except `\N{name}`, which is
//! refused with an error. Integers may have up to 4300 decimal digits (Python's limit) or
//! 14300 bits in hex, octal or binary. Equal keys and set members are merged by [`Value`]'s equality, so
//! `1`, `1.0` and `True` stay apart (Python merges them). Unsupported: a sign or a `+ 2j` applied
//! to a parenthesized number (`-(1)`, `(1)+2j`), which no serializer writes.
//!
//! ```
//! use pyro::serializer::serpent;
//! use pyro::value::Value;
//!
//! let bytes = serpent::to_bytes(&(1, "é'", f64::INFINITY, vec![1.5, 1e16])).unwrap();
//! assert_eq!(bytes, "# serpent utf-8 python3.2\n(1,\"é'\",1e30000,[1.5,1e+16])".as_bytes());
//! let back: (i32, String, f64, Vec<f64>) = serpent::from_bytes(&bytes).unwrap();
//! assert_eq!(back.1, "é'");
//! let v = serpent::parse_value(b"{'a': (1,), 'b': -2j}").unwrap();
//! assert_eq!(v.to_string(), "{'a': (1,), 'b': (-0-2j)}"); // as Python's repr shows it
//! ```

mod numbers;
pub(super) mod parse;
mod printable;
mod repr;
mod strings;
mod write;
pub(crate) use write::HEADER;

pub use parse::MAX_DEPTH;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{DecodeLimit, SerializeError};
use crate::value::Value;

/// How [`to_bytes_with`] writes what Python's serpent has a choice about.
///
/// ```
/// use pyro::serializer::serpent::Options;
/// assert!(!Options::default().bytes_repr);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Write bytes as a `b'..'` literal instead of the `{'data': .., 'encoding': 'base64'}` dict
    /// (Pyro5's `SERPENT_BYTES_REPR` setting, off by default).
    pub bytes_repr: bool,
}

/// Serializes a value as Python's `serpent.dumps(value, module_in_classname=True)` writes the same data.
///
/// ```
/// use std::collections::BTreeMap;
/// use pyro::serializer::serpent::to_bytes;
///
/// assert_eq!(to_bytes(&(Some(1e-5), None::<u8>, true)).unwrap(), b"# serpent utf-8 python3.2\n(1e-05,None,True)");
/// assert_eq!(to_bytes(&BTreeMap::from([(1, "v")])).unwrap(), b"# serpent utf-8 python3.2\n{1:'v'}");
/// assert_eq!(
///     to_bytes(serde_bytes::Bytes::new(b"raw")).unwrap(),
///     b"# serpent utf-8 python3.2\n{'data': 'cmF3', 'encoding': 'base64'}"
/// );
/// ```
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, SerializeError> {
    write::to_bytes(value, Options::default())
}

/// Serializes a value as `serpent.dumps(value, module_in_classname=True, bytes_repr=options.bytes_repr)`.
///
/// ```
/// use pyro::serializer::serpent::{to_bytes_with, Options};
///
/// let bytes = to_bytes_with(serde_bytes::Bytes::new(b"it's\n"), Options { bytes_repr: true }).unwrap();
/// assert_eq!(bytes, b"# serpent utf-8 python3.2\nb\"it's\\n\"");
/// ```
pub fn to_bytes_with<T: Serialize + ?Sized>(value: &T, options: Options) -> Result<Vec<u8>, SerializeError> {
    write::to_bytes(value, options)
}

/// Deserializes serpent bytes into any type; a [`Value`] takes anything. Bytes arrive as the
/// base64 dict unless the sender used `bytes_repr`; a `Vec<u8>` or `serde_bytes` receiver takes either.
///
/// ```
/// use pyro::serializer::serpent::from_bytes;
///
/// let (name, n): (String, u128) = from_bytes(b"# serpent utf-8 python3.2\n('big',18446744073709551616)").unwrap();
/// assert_eq!((name.as_str(), n), ("big", 1 << 64));
/// let data: serde_bytes::ByteBuf = from_bytes(b"{'data': 'cmF3', 'encoding': 'base64'}").unwrap();
/// assert_eq!(data.as_slice(), b"raw");
/// assert!(from_bytes::<Vec<i32>>(b"[1, 2").is_err());
/// ```
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, SerializeError> {
    from_bytes_limited(bytes, DecodeLimit::default())
}

/// [`from_bytes`] within `limit`: reading stops with [`SerializeError::TooLarge`] once the
/// values read would cost more than the limit allows for the input's size.
///
/// ```
/// use pyro::serializer::{serpent, DecodeLimit, SerializeError};
/// use pyro::value::Value;
///
/// // 1,000 empty tuples: 3 kB of serpent, 32 kB of values.
/// let empties = format!("[{}]", "(),".repeat(1000));
/// assert!(serpent::from_bytes_limited::<Value>(empties.as_bytes(), DecodeLimit::new(40_000)).is_ok());
/// let err = serpent::from_bytes_limited::<Value>(empties.as_bytes(), DecodeLimit::new(20_000));
/// assert!(matches!(err, Err(SerializeError::TooLarge { serializer: "serpent", .. })));
/// ```
pub fn from_bytes_limited<T: DeserializeOwned>(bytes: &[u8], limit: DecodeLimit) -> Result<T, SerializeError> {
    crate::value::from_value(parse::parse(bytes, limit)?)
}

/// Parses serpent bytes (any Python literal `ast.literal_eval` reads) into a [`Value`].
/// Nesting is limited to [`MAX_DEPTH`]; every error is [`SerializeError::Malformed`] and names
/// the byte offset.
///
/// ```
/// use pyro::serializer::serpent::parse_value;
/// use pyro::value::Value;
///
/// let v = parse_value(b"# serpent utf-8 python3.2\n{'a':[1,1e30000],'a':None}").unwrap();
/// assert_eq!(v.as_dict().and_then(|d| d.get("a")), Some(&Value::None));
/// assert_eq!(parse_value(br"b'\x00' b'\xff'").unwrap(), Value::Bytes(vec![0, 255]));
/// assert_eq!(parse_value(b"{'__class__':'float','value':'nan'}").unwrap(), Value::Float(f64::NAN));
/// assert!(parse_value(b"[1,,]").unwrap_err().to_string().contains("at byte 3"));
/// ```
pub fn parse_value(bytes: &[u8]) -> Result<Value, SerializeError> {
    parse::parse(bytes, DecodeLimit::default())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

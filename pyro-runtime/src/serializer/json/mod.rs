//! Pyro5's json serializer (id 3), speaking Python's json dialect exactly.
//!
//! Python writes it with `json.dumps(obj, ensure_ascii=False, default=...)`: separators `", "`
//! and `": "`, raw UTF-8, `NaN`/`Infinity`/`-Infinity` for non-finite floats and unbounded
//! integers. [`to_bytes`] produces the same bytes for the same data; [`parse_value`] reads what
//! Python's `json.loads` reads.
//!
//! How Rust and [`Value`] data map to json:
//!
//! - `None`, `()` and unit structs → `null`; integers of any width → bare numbers (a
//!   [`Value::BigInt`] too); floats → Python's `repr()` (`1.5`, `1e+16`, `1e-05`); `f32` → the
//!   exact `f64` value.
//! - sequences, tuples, [`Value::Set`] → arrays; maps and structs → objects in order. Dict keys
//!   must be str, or int/float/bool/None, which are stringified as Python does (`{1: 'v'}` →
//!   `{"1": "v"}`, `True` → `"true"`, `None` → `"null"`); other keys are refused.
//! - enums as serde_json does: `"Unit"`, `{"Newtype": ...}`, `{"Tuple": [...]}`, `{"Struct": {...}}`.
//! - [`Value::Date`] → `"YYYY-MM-DD"`; [`Value::DateTime`] → `"YYYY-MM-DDTHH:MM:SS[.ffffff]"`
//!   computed in UTC (a Pyro5 peer uses its local time zone; pyro has no time zone database).
//! - bytes and [`Value::Complex`] cannot be carried ([`SerializeError::CannotCarry`]), as in Pyro5.
//!
//! Reading gives objects as [`Value::Dict`] with str keys (a repeated key: the last value wins),
//! arrays as [`Value::List`], integers as [`Value::Int`] or [`Value::BigInt`], and dates as
//! the strings they are on the wire.
//!
//! ```
//! use pyro::serializer::json;
//!
//! let bytes = json::to_bytes(&(1, "é", f64::NAN, vec![1.5, 1e16])).unwrap();
//! assert_eq!(bytes, "[1, \"é\", NaN, [1.5, 1e+16]]".as_bytes());
//! let back: (i32, String, f64, Vec<f64>) = json::from_bytes(&bytes).unwrap();
//! assert_eq!(back.3, [1.5, 1e16]);
//! ```

pub(super) mod parse;
mod write;

pub(super) use write::isoformat_utc;

pub use parse::MAX_DEPTH;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{DecodeLimit, SerializeError};
use crate::value::Value;

/// Serializes a value to json bytes exactly as Pyro5's json serializer (Python's
/// `json.dumps(..., ensure_ascii=False)`) would write the same data.
///
/// ```
/// use std::collections::BTreeMap;
/// use pyro::serializer::json::to_bytes;
///
/// assert_eq!(to_bytes(&(Some(1e-5), None::<u8>, true)).unwrap(), b"[1e-05, null, true]");
/// assert_eq!(to_bytes(&BTreeMap::from([(1, "v")])).unwrap(), br#"{"1": "v"}"#);
/// assert_eq!(to_bytes("tab\there").unwrap(), br#""tab\there""#);
/// assert!(to_bytes(serde_bytes::Bytes::new(b"raw")).is_err()); // json cannot carry bytes
/// ```
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, SerializeError> {
    write::to_bytes(value)
}

/// Deserializes json bytes (Python's dialect) into any type; a [`Value`] takes anything.
///
/// ```
/// use pyro::serializer::json::from_bytes;
///
/// let (name, n): (String, u128) = from_bytes(b"[\"big\", 18446744073709551616]").unwrap();
/// assert_eq!((name.as_str(), n), ("big", 1 << 64));
/// assert!(from_bytes::<Vec<i32>>(b"[1, 2").is_err());
/// ```
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, SerializeError> {
    from_bytes_limited(bytes, DecodeLimit::default())
}

/// [`from_bytes`] within `limit`: reading stops with [`SerializeError::TooLarge`] once the
/// values read would cost more than the limit allows for the input's size.
///
/// ```
/// use pyro::serializer::{json, DecodeLimit, SerializeError};
/// use pyro::value::Value;
///
/// // 1,000 empty objects: 4 kB of json, more than 100 kB of dicts.
/// let empties = format!("[{}{{}}]", "{}, ".repeat(999));
/// let limit = DecodeLimit::new(100_000);
/// assert_eq!(json::from_bytes_limited::<Vec<()>>(b"[null, null]", limit).unwrap().len(), 2);
/// let err = json::from_bytes_limited::<Value>(empties.as_bytes(), limit);
/// assert!(matches!(err, Err(SerializeError::TooLarge { serializer: "json", .. })));
/// ```
pub fn from_bytes_limited<T: DeserializeOwned>(bytes: &[u8], limit: DecodeLimit) -> Result<T, SerializeError> {
    crate::value::from_value(parse::parse(bytes, limit)?)
}

/// Parses json bytes (Python's dialect, with `NaN`, `Infinity`, `-Infinity` and integers of any
/// size) into a [`Value`]. Nesting is limited to [`MAX_DEPTH`]; every error is
/// [`SerializeError::Malformed`] and names the byte offset.
///
/// ```
/// use pyro::serializer::json::parse_value;
/// use pyro::value::Value;
///
/// let v = parse_value(br#"{"a": [1, NaN, -Infinity], "a": null}"#).unwrap();
/// assert_eq!(v.as_dict().and_then(|d| d.get("a")), Some(&Value::None));
/// assert!(matches!(parse_value(b"123456789012345678901234567890").unwrap(), Value::BigInt(_)));
/// assert!(parse_value(b"[1,]").is_err());
/// ```
pub fn parse_value(bytes: &[u8]) -> Result<Value, SerializeError> {
    parse::parse(bytes, DecodeLimit::default())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

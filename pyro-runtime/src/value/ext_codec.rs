//! The payloads of Pyro5's msgpack extension types, and the serde newtype that carries them.
//!
//! | code | Python value | payload |
//! |---|---|---|
//! | 0x30 | `complex` | `struct.pack("dd", re, im)`: two native-endian f64 |
//! | 0x31 | `int` outside [-2^63, 2^64) | ASCII decimal, `str(n).encode()` |
//! | 0x32 | naive `datetime` | `struct.pack("d", dt.timestamp())` |
//! | 0x33 | `date` | `struct.pack("l", d.toordinal())`: native long (8 bytes on LP64) |
//!
//! Any serde serializer sees these as the newtype struct [`EXT_STRUCT_NAME`] holding the tuple
//! `(i8, bytes)`; rmp-serde writes that as a real msgpack ext and presents a msgpack ext to a
//! visitor as `visit_newtype_struct` of a two-element sequence (code, then bytes).

use num_bigint::BigInt;
use serde::Serialize;

use super::{Date, EXT_BIGINT, EXT_COMPLEX, EXT_DATE, EXT_DATETIME, EXT_STRUCT_NAME, Value};
use crate::serializer::SerializeError;

/// Python's default `sys.get_int_max_str_digits()`: longer decimal ints are refused (parsing them
/// costs quadratic time).
const MAX_INT_DIGITS: usize = 4300;

/// Why an extension payload could not be turned into a [`Value`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum ExtError {
    /// A code that Pyro5 does not define.
    #[error("invalid ext code for msgpack: {code}")]
    UnknownCode {
        /// The extension code.
        code: i8,
    },
    /// A payload of the wrong size for its code.
    #[error("invalid msgpack ext {code:#04x} ({what}): {len} bytes of data")]
    BadLength {
        /// The extension code.
        code: i8,
        /// The Python type it encodes.
        what: &'static str,
        /// The payload length.
        len: usize,
    },
    /// An ext 0x31 payload that is not a decimal integer Python would accept.
    #[error("invalid msgpack ext 0x31 (int): {reason}")]
    BadInteger {
        /// What is wrong.
        reason: String,
    },
    /// An ext 0x33 ordinal outside 0001-01-01..=9999-12-31.
    #[error("invalid msgpack ext 0x33 (date): ordinal {ordinal} out of range")]
    DateOutOfRange {
        /// The ordinal received.
        ordinal: i64,
    },
}

impl From<ExtError> for SerializeError {
    fn from(e: ExtError) -> SerializeError {
        SerializeError::Custom(e.to_string())
    }
}

/// The extension newtype as serde sees it: `_ExtStruct((code, bytes))`.
pub(crate) struct Ext<'a> {
    /// Extension code.
    pub(crate) code: i8,
    /// Payload.
    pub(crate) data: &'a [u8],
}

impl Serialize for Ext<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(EXT_STRUCT_NAME, &(self.code, serde_bytes::Bytes::new(self.data)))
    }
}

/// The `(code, payload)` of a value that Pyro5 sends as a msgpack extension: complex, a big int
/// (any `BigInt`; the caller sends those that fit in a u64 as plain ints), datetime and date.
pub(crate) fn encode_ext(value: &Value) -> Option<(i8, Vec<u8>)> {
    match value {
        Value::Complex { re, im } => {
            let mut data = Vec::with_capacity(16);
            data.extend_from_slice(&re.to_ne_bytes());
            data.extend_from_slice(&im.to_ne_bytes());
            Some((EXT_COMPLEX, data))
        }
        Value::BigInt(n) => Some((EXT_BIGINT, n.to_string().into_bytes())),
        Value::DateTime(ts) => Some((EXT_DATETIME, ts.to_ne_bytes().to_vec())),
        Value::Date(d) => Some((EXT_DATE, d.ordinal().to_ne_bytes().to_vec())),
        _ => None,
    }
}

/// Serializes a value that Pyro5 sends as a msgpack extension as the extension newtype.
pub(crate) fn serialize_ext<S: serde::Serializer>(value: &Value, serializer: S) -> Result<S::Ok, S::Error> {
    match encode_ext(value) {
        Some((code, data)) => Ext { code, data: &data }.serialize(serializer),
        None => Err(serde::ser::Error::custom(format_args!("a {} is not a msgpack extension type", value.type_name()))),
    }
}

/// The value of an extension payload, as Pyro5's msgpack `ext_hook` decodes it.
pub(crate) fn decode_ext(code: i8, data: &[u8]) -> Result<Value, ExtError> {
    match code {
        EXT_COMPLEX => {
            let bytes: &[u8; 16] =
                data.try_into().map_err(|_| ExtError::BadLength { code, what: "complex", len: data.len() })?;
            let (re, im) = bytes.split_at(8);
            Ok(Value::Complex { re: f64_ne(re), im: f64_ne(im) })
        }
        EXT_BIGINT => parse_python_int(data).map(Value::int),
        EXT_DATETIME => {
            let bytes: [u8; 8] =
                data.try_into().map_err(|_| ExtError::BadLength { code, what: "datetime", len: data.len() })?;
            Ok(Value::DateTime(f64::from_ne_bytes(bytes)))
        }
        EXT_DATE => {
            // A native C long: 8 bytes from LP64 hosts, 4 from Windows.
            let ordinal = match data.len() {
                8 => i64::from_ne_bytes(data.try_into().unwrap_or_default()),
                4 => i64::from(i32::from_ne_bytes(data.try_into().unwrap_or_default())),
                len => return Err(ExtError::BadLength { code, what: "date", len }),
            };
            Date::from_ordinal(ordinal).map(Value::Date).ok_or(ExtError::DateOutOfRange { ordinal })
        }
        code => Err(ExtError::UnknownCode { code }),
    }
}

/// Reads the `(code, bytes)` tuple that a serializer was given inside the extension newtype
/// and decodes it; for serializers (like `to_value` and the json writer) that meet
/// [`EXT_STRUCT_NAME`] in `serialize_newtype_struct`.
pub(crate) fn capture_ext<T: Serialize + ?Sized>(inner: &T) -> Result<Value, SerializeError> {
    match super::to_value(inner)? {
        Value::Tuple(parts) | Value::List(parts) => match parts.as_slice() {
            [Value::Int(code), Value::Bytes(data)] => {
                let code = i8::try_from(*code)
                    .map_err(|_| SerializeError::Custom(format!("invalid ext code for msgpack: {code}")))?;
                Ok(decode_ext(code, data)?)
            }
            _ => Err(SerializeError::Custom(format!("{EXT_STRUCT_NAME} must hold (i8, bytes)"))),
        },
        other => {
            Err(SerializeError::Custom(format!("{EXT_STRUCT_NAME} must hold (i8, bytes), not {}", other.type_name())))
        }
    }
}

fn f64_ne(bytes: &[u8]) -> f64 {
    f64::from_ne_bytes(bytes.try_into().unwrap_or_default())
}

/// Python's `int(data)` for the ASCII payload of ext 0x31: surrounding whitespace, an optional
/// sign, decimal digits with single underscores between them, at most 4300 digits.
fn parse_python_int(data: &[u8]) -> Result<BigInt, ExtError> {
    let bad = |reason: &str| ExtError::BadInteger { reason: reason.to_owned() };
    let text = data.trim_ascii();
    let (negative, body) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let mut digits = Vec::with_capacity(body.len().min(MAX_INT_DIGITS + 1));
    if negative {
        digits.push(b'-');
    }
    let mut previous_underscore = true; // no leading underscore
    let mut count = 0usize;
    for &b in body {
        match b {
            b'0'..=b'9' => {
                digits.push(b);
                count += 1;
                previous_underscore = false;
            }
            b'_' if !previous_underscore => previous_underscore = true,
            _ => return Err(bad("not a decimal integer")),
        }
        if count > MAX_INT_DIGITS {
            return Err(bad("more than 4300 digits"));
        }
    }
    if previous_underscore {
        return Err(bad("not a decimal integer"));
    }
    BigInt::parse_bytes(&digits, 10).ok_or_else(|| bad("not a decimal integer"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn decodes_every_pyro5_ext_code() {
        let mut complex = 1.5f64.to_ne_bytes().to_vec();
        complex.extend(2.0f64.to_ne_bytes());
        assert_eq!(decode_ext(0x30, &complex).unwrap(), Value::Complex { re: 1.5, im: 2.0 });
        assert_eq!(decode_ext(0x31, b"18446744073709551616").unwrap(), Value::int(1u128 << 64));
        assert_eq!(decode_ext(0x31, b" -1_000 ").unwrap(), Value::Int(-1000));
        assert_eq!(decode_ext(0x32, &2.5f64.to_ne_bytes()).unwrap(), Value::DateTime(2.5));
        let date = Date::new(2024, 1, 2).unwrap();
        assert_eq!(decode_ext(0x33, &738887i64.to_ne_bytes()).unwrap(), Value::Date(date));
        assert_eq!(decode_ext(0x33, &738887i32.to_ne_bytes()).unwrap(), Value::Date(date));
    }

    #[test]
    fn rejects_bad_payloads() {
        assert_eq!(decode_ext(0x29, b"").unwrap_err().to_string(), "invalid ext code for msgpack: 41");
        assert!(matches!(decode_ext(0x30, &[0; 15]), Err(ExtError::BadLength { len: 15, .. })));
        assert!(matches!(decode_ext(0x32, &[0; 9]), Err(ExtError::BadLength { .. })));
        assert!(matches!(decode_ext(0x33, &0i64.to_ne_bytes()), Err(ExtError::DateOutOfRange { ordinal: 0 })));
        for bad in [&b""[..], b"-", b"1__0", b"_1", b"1_", b"0x10", b"1.5", b"--1", b"\xff"] {
            assert!(matches!(decode_ext(0x31, bad), Err(ExtError::BadInteger { .. })), "{bad:?}");
        }
        assert!(decode_ext(0x31, &[b'9'; 4300]).is_ok());
        assert!(decode_ext(0x31, &[b'9'; 4301]).is_err());
    }
}

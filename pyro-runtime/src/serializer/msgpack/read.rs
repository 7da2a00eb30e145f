//! [`Value`]s read straight from msgpack that [`validate`](super::validate) has passed, without
//! serde in between.
//!
//! Written by hand for speed: every call a daemon receives is decoded into `Value`s (its
//! arguments) and rmp-serde's visitor machinery was the largest part of that. This reader
//! gives exactly what the serde path (`Value::deserialize` over rmp-serde) gives, marker by
//! marker, which the tests check on every kind of value; the input is validated first, so
//! recursion is bounded by [`MAX_DEPTH`](super::MAX_DEPTH) and an error here (truncation, bad
//! UTF-8, an unknown extension) only answers input that skipped validation.

use super::{CallParts, malformed};
use crate::serializer::SerializeError;
use crate::value::ext_codec::decode_ext;
use crate::value::{Dict, Value};

/// The most items reserved before they are read (as the serde path reserves).
const MAX_PREALLOC: usize = 4096;

/// The one value in validated `bytes`.
pub(crate) fn value(bytes: &[u8]) -> Result<Value, SerializeError> {
    let mut cursor = Cursor { bytes, pos: 0 };
    let value = cursor.value()?;
    cursor.end()?;
    Ok(value)
}

/// A call's `[object, method, vargs, kwargs]` from validated `bytes`: `None` when the payload
/// has another shape (a str that is not a str, vargs that are not an array, another length),
/// which the general path then explains.
pub(crate) fn call_parts(bytes: &[u8]) -> Result<Option<CallParts>, SerializeError> {
    let mut cursor = Cursor { bytes, pos: 0 };
    if cursor.array_len()? != Some(4) {
        return Ok(None);
    }
    let (Some(object), Some(method)) = (cursor.str()?, cursor.str()?) else { return Ok(None) };
    let Some(count) = cursor.array_len()? else { return Ok(None) };
    let vargs = cursor.items(count)?;
    let kwargs = cursor.value()?;
    cursor.end()?;
    Ok(Some((object.to_owned(), method.to_owned(), vargs, kwargs)))
}

/// A position in validated input.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SerializeError> {
        let slice = self.pos.checked_add(n).and_then(|end| self.bytes.get(self.pos..end));
        let slice = slice.ok_or_else(|| malformed(format!("truncated: {n} bytes needed at byte {}", self.pos)))?;
        self.pos += n;
        Ok(slice)
    }

    fn u8(&mut self) -> Result<u8, SerializeError> {
        let byte = self.bytes.get(self.pos).copied();
        let byte = byte.ok_or_else(|| malformed(format!("truncated: a marker needed at byte {}", self.pos)))?;
        self.pos += 1;
        Ok(byte)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], SerializeError> {
        let bytes = self.take(N)?;
        Ok(bytes.try_into().unwrap_or([0; N]))
    }

    /// A big-endian length of `width` bytes (1, 2 or 4).
    fn len(&mut self, width: usize) -> Result<usize, SerializeError> {
        let n = self.take(width)?.iter().fold(0u64, |n, &b| n << 8 | u64::from(b));
        usize::try_from(n).map_err(|_| malformed(format!("length {n} too large")))
    }

    /// Nothing may follow the value.
    fn end(&self) -> Result<(), SerializeError> {
        match self.bytes.len() - self.pos {
            0 => Ok(()),
            left => Err(malformed(format!("{left} trailing bytes after the value at byte {}", self.pos))),
        }
    }

    /// The length of the array that starts here (consumed), or `None` (nothing consumed) if
    /// another value starts here.
    fn array_len(&mut self) -> Result<Option<usize>, SerializeError> {
        let Some(&marker) = self.bytes.get(self.pos) else { return Ok(None) };
        let width = match marker {
            0x90..=0x9f => {
                self.pos += 1;
                return Ok(Some(usize::from(marker & 0x0f)));
            }
            0xdc => 2,
            0xdd => 4,
            _ => return Ok(None),
        };
        self.pos += 1;
        self.len(width).map(Some)
    }

    /// The str that starts here (consumed), or `None` (nothing consumed) if another value
    /// starts here.
    fn str(&mut self) -> Result<Option<&'a str>, SerializeError> {
        let Some(&marker) = self.bytes.get(self.pos) else { return Ok(None) };
        let len = match marker {
            0xa0..=0xbf => {
                self.pos += 1;
                usize::from(marker & 0x1f)
            }
            0xd9..=0xdb => {
                self.pos += 1;
                self.len(1 << (marker - 0xd9))?
            }
            _ => return Ok(None),
        };
        self.text(len).map(Some)
    }

    fn text(&mut self, len: usize) -> Result<&'a str, SerializeError> {
        let at = self.pos;
        std::str::from_utf8(self.take(len)?)
            .map_err(|e| malformed(format!("invalid UTF-8 in the str at byte {at}: {e}")))
    }

    fn items(&mut self, count: usize) -> Result<Vec<Value>, SerializeError> {
        let mut items = Vec::with_capacity(count.min(MAX_PREALLOC));
        for _ in 0..count {
            items.push(self.value()?);
        }
        Ok(items)
    }

    fn dict(&mut self, entries: usize) -> Result<Value, SerializeError> {
        let mut dict = Dict::with_capacity(entries.min(MAX_PREALLOC));
        for _ in 0..entries {
            let key = self.value()?;
            let value = self.value()?;
            dict.insert(key, value);
        }
        Ok(Value::Dict(dict))
    }

    /// An extension of `len` payload bytes.
    fn ext(&mut self, len: usize) -> Result<Value, SerializeError> {
        let at = self.pos;
        let code = i8::from_ne_bytes([self.u8()?]);
        let data = self.take(len)?;
        decode_ext(code, data).map_err(|e| malformed(format!("{e} (at byte {at})")))
    }

    fn unsigned(n: u64) -> Value {
        match i64::try_from(n) {
            Ok(n) => Value::Int(n),
            Err(_) => Value::int(n),
        }
    }

    /// The value that starts here.
    fn value(&mut self) -> Result<Value, SerializeError> {
        let at = self.pos;
        let marker = self.u8()?;
        Ok(match marker {
            0x00..=0x7f => Value::Int(i64::from(marker)),
            0xe0..=0xff => Value::Int(i64::from(i8::from_ne_bytes([marker]))),
            0xc0 => Value::None,
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0x80..=0x8f => self.dict(usize::from(marker & 0x0f))?,
            0xde => {
                let entries = self.len(2)?;
                self.dict(entries)?
            }
            0xdf => {
                let entries = self.len(4)?;
                self.dict(entries)?
            }
            0x90..=0x9f => Value::List(self.items(usize::from(marker & 0x0f))?),
            0xdc => {
                let count = self.len(2)?;
                Value::List(self.items(count)?)
            }
            0xdd => {
                let count = self.len(4)?;
                Value::List(self.items(count)?)
            }
            0xa0..=0xbf => Value::Str(self.text(usize::from(marker & 0x1f))?.to_owned()),
            0xd9..=0xdb => {
                let len = self.len(1 << (marker - 0xd9))?;
                Value::Str(self.text(len)?.to_owned())
            }
            0xc4..=0xc6 => {
                let len = self.len(1 << (marker - 0xc4))?;
                Value::Bytes(self.take(len)?.to_vec())
            }
            0xc7..=0xc9 => {
                let len = self.len(1 << (marker - 0xc7))?;
                self.ext(len)?
            }
            0xd4..=0xd8 => self.ext(1 << (marker - 0xd4))?,
            0xca => Value::Float(f64::from(f32::from_be_bytes(self.array()?))),
            0xcb => Value::Float(f64::from_be_bytes(self.array()?)),
            0xcc => Value::Int(i64::from(self.u8()?)),
            0xcd => Value::Int(i64::from(u16::from_be_bytes(self.array()?))),
            0xce => Value::Int(i64::from(u32::from_be_bytes(self.array()?))),
            0xcf => Self::unsigned(u64::from_be_bytes(self.array()?)),
            0xd0 => Value::Int(i64::from(i8::from_be_bytes(self.array()?))),
            0xd1 => Value::Int(i64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Value::Int(i64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Value::Int(i64::from_be_bytes(self.array()?)),
            0xc1 => return Err(malformed(format!("reserved marker 0xc1 at byte {at}"))),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde::Deserialize as _;

    use super::*;
    use crate::serializer::msgpack::{deserializer, to_bytes, validate};

    /// What the serde path makes of `bytes`.
    fn through_serde(bytes: &[u8]) -> Value {
        Value::deserialize(&mut deserializer(bytes)).unwrap()
    }

    /// The value and its exact kind: `Value`'s `==` is Python's (1 == 1.0 == True).
    fn exactly(value: &Value) -> String {
        format!("{value:?}")
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    /// One input per marker family, each width of each, and the edges of the int ranges.
    fn every_marker() -> Vec<Vec<u8>> {
        let mut inputs: Vec<Vec<u8>> = [
            "00",
            "7f",
            "e0",
            "ff",
            "c0",
            "c2",
            "c3",
            "cc00",
            "ccff",
            "cd0000",
            "cdffff",
            "ce00000000",
            "ceffffffff",
            "cf0000000000000000",
            "cf7fffffffffffffff",
            "cf8000000000000000",
            "cfffffffffffffffff",
            "d000",
            "d080",
            "d17fff",
            "d18000",
            "d27fffffff",
            "d280000000",
            "d37fffffffffffffff",
            "d38000000000000000",
            "ca3fc00000",
            "ca7fc00000",
            "caff800000",
            "cb3ff8000000000000",
            "cb7ff8000000000000",
            "a0",
            "a3616263",
            "d90161",
            "da000161",
            "db0000000161",
            "c40101",
            "c5000101",
            "c600000001ff",
            "90",
            "9101",
            "dc000101",
            "dd0000000101",
            "80",
            "81a16101",
            "de0001a16101",
            "df00000001a16101",
            "8201a1610202",
            "82a16101a16102",
            "920102",
            "d830000000000000f03f0000000000000040",
            "d73347460b0000000000",
            "d73266666649df64d941",
            "c714313138343436373434303733373039353531363136",
            "c80014313138343436373434303733373039353531363136",
            "c9000000143131383434363734343037333730393535313631360a",
            "d43135",
            "d5313130",
            "c703312d3130",
        ]
        .iter()
        .map(|h| hex(&h.replace(' ', "")))
        .collect();
        // Nested containers, empty and not, and a dict with repeated (Python-equal) keys.
        let nested = Value::List(vec![
            Value::List(vec![]),
            Value::Tuple(vec![Value::Int(-5), Value::Float(0.25), Value::Bytes(vec![1, 2])]),
            [(Value::from("k"), Value::List(vec![Value::None]))].into_iter().collect::<Dict>().into(),
        ]);
        inputs.push(to_bytes(&nested).unwrap());
        inputs.push(hex("8301a16101a162c3a163"));
        inputs.push(to_bytes(&"é".repeat(200)).unwrap());
        inputs.push(to_bytes(&vec![7u8; 70_000].iter().map(|&b| Value::Int(b.into())).collect::<Vec<_>>()).unwrap());
        inputs
    }

    #[test]
    fn every_marker_reads_as_the_serde_path_reads_it() {
        let mut checked = 0;
        for bytes in every_marker() {
            if validate(&bytes).is_err() {
                continue;
            }
            assert_eq!(exactly(&value(&bytes).unwrap()), exactly(&through_serde(&bytes)), "{bytes:02x?}");
            checked += 1;
        }
        assert!(checked > 55, "only {checked} inputs were valid");
    }

    #[test]
    fn a_call_reads_as_the_serde_path_reads_it() {
        let kwargs: Dict = [("flag", Value::Bool(true))].into_iter().collect();
        for kwargs in [Value::Dict(kwargs), Value::Dict(Dict::new()), Value::None, Value::Int(3)] {
            let vargs = vec![Value::Int(42), Value::from("two"), Value::List(vec![Value::Float(1.5)])];
            let bytes = to_bytes(&("obj_1", "echo", &vargs, &kwargs)).unwrap();
            let (object, method, got_vargs, got_kwargs) = call_parts(&bytes).unwrap().unwrap();
            assert_eq!((object.as_str(), method.as_str()), ("obj_1", "echo"));
            assert_eq!(exactly(&Value::List(got_vargs)), exactly(&through_serde(&to_bytes(&vargs).unwrap())));
            assert_eq!(exactly(&got_kwargs), exactly(&kwargs));
        }
    }

    #[test]
    fn a_payload_of_another_shape_is_left_to_the_general_path() {
        for shape in [
            to_bytes(&("obj", "m", Vec::<Value>::new())).unwrap(),
            to_bytes(&(1, "m", Vec::<Value>::new(), Value::None)).unwrap(),
            to_bytes(&("obj", serde_bytes::Bytes::new(b"m"), Vec::<Value>::new(), Value::None)).unwrap(),
            to_bytes(&("obj", "m", 5, Value::None)).unwrap(),
            to_bytes(&Value::Dict(Dict::new())).unwrap(),
        ] {
            assert!(call_parts(&shape).unwrap().is_none(), "{shape:02x?}");
        }
    }

    #[test]
    fn input_that_skipped_validation_is_an_error_not_a_panic() {
        for bad in ["", "c1", "92", "a36162", "d9", "c4ff", "d4ff00", "cb00", "0000", "a1ff", "dd000000ff"] {
            assert!(value(&hex(bad)).is_err(), "{bad}");
        }
        assert!(call_parts(&hex("94a16fa16d9101")).is_err());
    }
}

//! The payload of a batch call, read entry by entry: a msgpack batch is read
//! straight from its bytes, each call's method name shared with the calls before it that call
//! the same method, without first decoding the whole batch into one [`Value`] tree. What the
//! batch will cost is counted against the request's [`DecodeLimit`] as for any other payload.
//!
//! Why by hand: a batch of a thousand small calls spent most of its time building and dropping
//! that tree (a method `String`, an argument `Vec` and a kwargs dict per call). This reader walks
//! the msgpack markers itself, reads simple arguments (numbers, nil, bools, strs) directly,
//! checks every str as UTF-8, decodes every other part with the validating decoder, and hands a
//! payload of any other shape, and every error, to the general decoder: what it accepts and the
//! errors it gives are the general decoder's (the unit tests compare the two on many shapes and
//! on malformed input). Other serializers take the general path.

use std::ops::Range;
use std::sync::Arc;

use super::budget::{Budget, VALUE};
use super::{DecodeLimit, SerializeError, Serializer, msgpack};
use crate::dispatch::Vargs;
use crate::value::{Dict, Value};

/// A decoded batch call: the object, the method as sent (`"<batch>"`), and the entries of its
/// positional arguments in order.
#[derive(Debug)]
pub(crate) struct BatchCall {
    pub(crate) object: String,
    pub(crate) method: String,
    pub(crate) entries: Vec<BatchEntry>,
}

/// One entry of a batch.
#[derive(Debug, PartialEq)]
pub(crate) enum BatchEntry {
    /// A well-formed `(method, vargs, kwargs)` triple (kwargs `None` when null or empty).
    Call { method: Arc<str>, vargs: Vargs, kwargs: Option<Dict> },
    /// Anything else, decoded, for the caller to judge (it may still be a triple, of other
    /// sequence types).
    Other(Value),
}

/// Reads a batch call in `ser`: what [`Serializer::decode_call_limited`] reads within
/// `limit`, with its positional arguments as [`BatchEntry`]s. Errors are those of
/// `decode_call_limited`.
pub(crate) fn decode(ser: Serializer, bytes: &[u8], limit: DecodeLimit) -> Result<BatchCall, SerializeError> {
    if ser == Serializer::Msgpack {
        match msgpack_batch(bytes, limit) {
            Ok(Some(call)) => return Ok(call),
            // Refused before anything was built; the general decoder would refuse it too.
            Err(error @ SerializeError::TooLarge { .. }) => return Err(error),
            _ => {}
        }
    }
    // Any other serializer, or a msgpack payload of an unusual shape or with an error: the
    // general decoder, which gives the errors.
    let call = ser.decode_call_limited(bytes, limit)?;
    let entries = call.vargs.into_iter().map(BatchEntry::Other).collect();
    Ok(BatchCall { object: call.object, method: call.method, entries })
}

/// A msgpack batch call, or `None` if its outer shape is not the usual
/// `[object, method, [entries...], nil or {}]` (the general decoder then reads it). Validated
/// as a whole first (which counts what its values cost against `limit`, and the entries on top),
/// then every part that is not read here is decoded with [`msgpack::from_validated`].
fn msgpack_batch(bytes: &[u8], limit: DecodeLimit) -> Result<Option<BatchCall>, SerializeError> {
    let cursor = Cursor { bytes };
    let Some((4, pos)) = cursor.array(0) else { return Ok(None) };
    let Some((object, pos)) = cursor.str(pos) else { return Ok(None) };
    let Some((method, pos)) = cursor.str(pos) else { return Ok(None) };
    let Some((count, mut pos)) = cursor.array(pos) else { return Ok(None) };
    let mut budget = Budget::new("msgpack", bytes.len(), limit);
    msgpack::validate_within(bytes, &mut budget)?;
    // Each entry was counted as a value; it is held as a (larger) `BatchEntry`.
    budget.charge(count.saturating_mul(std::mem::size_of::<BatchEntry>().saturating_sub(VALUE)))?;
    let mut entries = Vec::with_capacity(count.min(bytes.len()));
    let mut last: Option<Arc<str>> = None;
    for _ in 0..count {
        // Most entries call the method of the one before with one simple argument.
        if let Some(last) = &last
            && let Some((arg, end)) = cursor.repeated_call(pos, last)?
        {
            entries.push(BatchEntry::Call { method: Arc::clone(last), vargs: Vargs::One(arg), kwargs: None });
            pos = end;
            continue;
        }
        let (entry, end) = match cursor.triple(pos, last.as_ref())? {
            Some(Triple { name, vargs, kwargs, end }) => {
                let method = match name {
                    Name::Same => last.clone().unwrap_or_else(|| Arc::from("")),
                    Name::New(name) => Arc::clone(last.insert(Arc::from(name))),
                };
                (BatchEntry::Call { method, vargs, kwargs }, end)
            }
            None => {
                let end = cursor.skip(pos)?;
                (BatchEntry::Other(msgpack::value_from_validated(cursor.slice(pos, end)?)?), end)
            }
        };
        entries.push(entry);
        pos = end;
    }
    // The batch's own kwargs: null or empty, else the general decoder checks them.
    if !matches!(bytes.get(pos), Some(0xc0 | 0x80)) || pos + 1 != bytes.len() {
        return Ok(None);
    }
    Ok(Some(BatchCall { object: object.to_owned(), method: method.to_owned(), entries }))
}

/// Where each item of the msgpack list `bytes` is (validated first), or `None` if it is not a
/// list.
pub(crate) fn msgpack_list_items(bytes: &[u8]) -> Result<Option<Vec<Range<usize>>>, SerializeError> {
    msgpack::validate(bytes)?;
    let cursor = Cursor { bytes };
    let Some((count, mut pos)) = cursor.array(0) else { return Ok(None) };
    let mut items = Vec::with_capacity(count.min(bytes.len()));
    for _ in 0..count {
        let end = cursor.skip(pos)?;
        items.push(pos..end);
        pos = end;
    }
    Ok(Some(items))
}

/// A batch entry read by [`Cursor::triple`].
struct Triple<'a> {
    name: Name<'a>,
    vargs: Vargs,
    kwargs: Option<Dict>,
    end: usize,
}

/// The method name of a batch entry.
enum Name<'a> {
    /// The name of the entry before.
    Same,
    New(&'a str),
}

/// `bytes` (validated) as a value if they are one number, bool, nil or str, read as the
/// general decoder reads it.
pub(crate) fn msgpack_scalar(bytes: &[u8]) -> Option<Value> {
    match (Cursor { bytes }).scalar(0) {
        Ok(Some((value, end))) if end == bytes.len() => Some(value),
        _ => None,
    }
}

/// Reads msgpack: any length or marker it does not expect is `None` or an error, never a
/// panic. [`skip`](Cursor::skip) only finds where a value ends: what it passes is validated
/// when it is decoded.
struct Cursor<'a> {
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn slice(&self, from: usize, to: usize) -> Result<&'a [u8], SerializeError> {
        self.bytes.get(from..to).ok_or_else(|| truncated(from))
    }

    fn byte(&self, at: usize) -> Result<u8, SerializeError> {
        self.bytes.get(at).copied().ok_or_else(|| truncated(at))
    }

    /// A big-endian number of `width` (at most 8) bytes at `at`.
    fn number64(&self, at: usize, width: usize) -> Result<u64, SerializeError> {
        let end = at.checked_add(width).ok_or_else(|| truncated(at))?;
        Ok(self.slice(at, end)?.iter().fold(0u64, |n, &b| n << 8 | u64::from(b)))
    }

    /// A big-endian length of `width` bytes at `at`.
    fn number(&self, at: usize, width: usize) -> Result<usize, SerializeError> {
        usize::try_from(self.number64(at, width)?).map_err(|_| truncated(at))
    }

    /// The length of the array at `at` and where its first item starts.
    fn array(&self, at: usize) -> Option<(usize, usize)> {
        match self.byte(at).ok()? {
            marker @ 0x90..=0x9f => Some((usize::from(marker & 0x0f), at + 1)),
            0xdc => Some((self.number(at + 1, 2).ok()?, at + 3)),
            0xdd => Some((self.number(at + 1, 4).ok()?, at + 5)),
            _ => None,
        }
    }

    /// The str at `at` and where it ends.
    fn str(&self, at: usize) -> Option<(&'a str, usize)> {
        let (len, start) = match self.byte(at).ok()? {
            marker @ 0xa0..=0xbf => (usize::from(marker & 0x1f), at + 1),
            0xd9 => (self.number(at + 1, 1).ok()?, at + 2),
            0xda => (self.number(at + 1, 2).ok()?, at + 3),
            0xdb => (self.number(at + 1, 4).ok()?, at + 5),
            _ => return None,
        };
        let end = start.checked_add(len)?;
        Some((std::str::from_utf8(self.bytes.get(start..end)?).ok()?, end))
    }

    /// The str at `at` (its raw bytes, validated as UTF-8 before) and where it ends.
    fn str_bytes(&self, at: usize) -> Option<(&'a [u8], usize)> {
        let (len, start) = match self.byte(at).ok()? {
            marker @ 0xa0..=0xbf => (usize::from(marker & 0x1f), at + 1),
            0xd9 => (self.number(at + 1, 1).ok()?, at + 2),
            0xda => (self.number(at + 1, 2).ok()?, at + 3),
            0xdb => (self.number(at + 1, 4).ok()?, at + 5),
            _ => return None,
        };
        let end = start.checked_add(len)?;
        Some((self.bytes.get(start..end)?, end))
    }

    /// The entry at `at` if it is a `[str, array, nil or map]` triple whose map (if any)
    /// decodes as a dict: its name (compared with the name of the entry before, `last`), its
    /// arguments decoded, and where it ends.
    fn triple(&self, at: usize, last: Option<&Arc<str>>) -> Result<Option<Triple<'a>>, SerializeError> {
        let Some((3, pos)) = self.array(at) else { return Ok(None) };
        let Some((raw, pos)) = self.str_bytes(pos) else { return Ok(None) };
        let name = match last {
            Some(last) if last.as_bytes() == raw => Name::Same,
            _ => match std::str::from_utf8(raw) {
                Ok(name) => Name::New(name),
                Err(_) => return Ok(None),
            },
        };
        let Some((count, mut item)) = self.array(pos) else { return Ok(None) };
        let arg = |at: usize| -> Result<(Value, usize), SerializeError> {
            match self.scalar(at)? {
                Some(scalar) => Ok(scalar),
                None => {
                    let end = self.skip(at)?;
                    Ok((msgpack::value_from_validated(self.slice(at, end)?)?, end))
                }
            }
        };
        let vargs = if count == 1 {
            let (value, end) = arg(item)?;
            item = end;
            Vargs::One(value)
        } else {
            let mut values = Vec::with_capacity(count.min(self.bytes.len()));
            for _ in 0..count {
                let (value, end) = arg(item)?;
                values.push(value);
                item = end;
            }
            Vargs::Many(values)
        };
        let (kwargs, end) = match self.byte(item)? {
            0xc0 | 0x80 => (None, item + 1),
            0x81..=0x8f | 0xde | 0xdf => {
                let end = self.skip(item)?;
                match msgpack::value_from_validated(self.slice(item, end)?)? {
                    Value::Dict(dict) => (Some(dict), end),
                    _ => return Ok(None),
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(Triple { name, vargs, kwargs, end }))
    }

    /// The entry at `at` if it is `[last, [arg], nil or {}]` with a short method name and a
    /// [`scalar`](Cursor::scalar) argument: the argument and where the entry ends.
    fn repeated_call(&self, at: usize, last: &str) -> Result<Option<(Value, usize)>, SerializeError> {
        let Some([0x93, marker @ 0xa0..=0xbf, rest @ ..]) = self.bytes.get(at..) else { return Ok(None) };
        let len = usize::from(marker & 0x1f);
        match rest.split_at_checked(len) {
            Some((name, [0x91, ..])) if name == last.as_bytes() => {}
            _ => return Ok(None),
        }
        let arg_at = at + 3 + len;
        let Some((arg, end)) = self.scalar(arg_at)? else { return Ok(None) };
        Ok(match self.bytes.get(end) {
            Some(0xc0 | 0x80) => Some((arg, end + 1)),
            _ => None,
        })
    }

    /// The value at `at` and where it ends, if it is a number, nil, a bool or a str (read
    /// here as the general decoder reads it), else `None`.
    fn scalar(&self, at: usize) -> Result<Option<(Value, usize)>, SerializeError> {
        let marker = self.byte(at)?;
        let unsigned = |width: usize| -> Result<(Value, usize), SerializeError> {
            let n = self.number64(at + 1, width)?;
            let value = Value::int_from(n);
            Ok((value, at + 1 + width))
        };
        let signed = |width: usize| -> Result<(Value, usize), SerializeError> {
            let n = self.number64(at + 1, width)?;
            let shift = 64 - 8 * width as u32;
            Ok((Value::Int(((n << shift) as i64) >> shift), at + 1 + width))
        };
        Ok(Some(match marker {
            0x00..=0x7f => (Value::Int(i64::from(marker)), at + 1),
            0xe0..=0xff => (Value::Int(i64::from(i8::from_ne_bytes([marker]))), at + 1),
            0xc0 => (Value::None, at + 1),
            0xc2 => (Value::Bool(false), at + 1),
            0xc3 => (Value::Bool(true), at + 1),
            0xcc => unsigned(1)?,
            0xcd => unsigned(2)?,
            0xce => unsigned(4)?,
            0xcf => unsigned(8)?,
            0xd0 => signed(1)?,
            0xd1 => signed(2)?,
            0xd2 => signed(4)?,
            0xd3 => signed(8)?,
            0xcb => {
                let bits = self.number64(at + 1, 8)?;
                (Value::Float(f64::from_bits(bits)), at + 9)
            }
            0xa0..=0xbf | 0xd9..=0xdb => match self.str(at) {
                Some((text, end)) => (Value::Str(text.to_owned()), end),
                None => return Ok(None),
            },
            _ => return Ok(None),
        }))
    }

    /// Where the value at `at` ends (iteratively: a count of the items still to pass).
    fn skip(&self, mut at: usize) -> Result<usize, SerializeError> {
        // The common one-byte values (small ints, nil, bools).
        if let Some(0x00..=0x7f | 0xe0..=0xff | 0xc0 | 0xc2 | 0xc3) = self.bytes.get(at) {
            return Ok(at + 1);
        }
        let mut items: u64 = 1;
        while items > 0 {
            items -= 1;
            let marker = self.byte(at)?;
            let (head, body, children) = match marker {
                0x00..=0x7f | 0xe0..=0xff | 0xc0..=0xc3 => (1, 0, 0),
                0x80..=0x8f => (1, 0, 2 * u64::from(marker & 0x0f)),
                0x90..=0x9f => (1, 0, u64::from(marker & 0x0f)),
                0xa0..=0xbf => (1, usize::from(marker & 0x1f), 0),
                0xc4 | 0xd9 => (2, self.number(at + 1, 1)?, 0),
                0xc5 | 0xda => (3, self.number(at + 1, 2)?, 0),
                0xc6 | 0xdb => (5, self.number(at + 1, 4)?, 0),
                0xc7 => (3, self.number(at + 1, 1)?, 0),
                0xc8 => (4, self.number(at + 1, 2)?, 0),
                0xc9 => (6, self.number(at + 1, 4)?, 0),
                0xca => (1, 4, 0),
                0xcb => (1, 8, 0),
                0xcc | 0xd0 => (1, 1, 0),
                0xcd | 0xd1 => (1, 2, 0),
                0xce | 0xd2 => (1, 4, 0),
                0xcf | 0xd3 => (1, 8, 0),
                0xd4 => (2, 1, 0),
                0xd5 => (2, 2, 0),
                0xd6 => (2, 4, 0),
                0xd7 => (2, 8, 0),
                0xd8 => (2, 16, 0),
                0xdc => (3, 0, self.number(at + 1, 2)? as u64),
                0xdd => (5, 0, self.number(at + 1, 4)? as u64),
                0xde => (3, 0, 2 * self.number(at + 1, 2)? as u64),
                0xdf => (5, 0, 2 * self.number(at + 1, 4)? as u64),
            };
            at = at.checked_add(head + body).filter(|&end| end <= self.bytes.len()).ok_or_else(|| truncated(at))?;
            items = items.saturating_add(children);
        }
        Ok(at)
    }
}

fn truncated(at: usize) -> SerializeError {
    SerializeError::Malformed { serializer: "msgpack", reason: format!("truncated batch call at byte {at}") }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::value::{Date, Dict};

    fn general(bytes: &[u8]) -> Vec<Value> {
        Serializer::Msgpack.decode_call(bytes).unwrap().vargs.into_iter().map(empty_kwargs_as_none).collect()
    }

    /// A triple with empty kwargs as one with none (the session binds both the same).
    fn empty_kwargs_as_none(entry: Value) -> Value {
        match entry {
            Value::List(mut items) if items.len() == 3 && items[2] == Value::Dict(Dict::new()) => {
                items[2] = Value::None;
                Value::List(items)
            }
            other => other,
        }
    }

    /// The entries as the general decoder reads them, with fast entries turned back into
    /// the triple they were.
    fn as_values(call: &BatchCall) -> Vec<Value> {
        call.entries
            .iter()
            .map(|entry| match entry {
                BatchEntry::Call { method, vargs, kwargs } => Value::List(vec![
                    Value::from(&**method),
                    Value::List(match vargs {
                        Vargs::One(value) => vec![value.clone()],
                        Vargs::Many(values) => values.clone(),
                    }),
                    kwargs.clone().map_or(Value::None, Value::Dict),
                ]),
                BatchEntry::Other(value) => empty_kwargs_as_none(value.clone()),
            })
            .collect()
    }

    fn args() -> Vec<Value> {
        let mut dict = Dict::new();
        dict.insert(Value::from("k"), Value::List(vec![Value::Int(1), Value::Float(2.5)]));
        vec![
            Value::Int(42),
            Value::Int(-(1 << 40)),
            Value::Int(-1),
            Value::Int(-32),
            Value::Int(-33),
            Value::Int(-129),
            Value::Int(-32769),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::Int(200),
            Value::Int(65_000),
            Value::Int(1 << 31),
            Value::Int(1 << 40),
            Value::Bool(false),
            Value::from(""),
            Value::from("y".repeat(70_000)),
            Value::int(u64::MAX),
            Value::from("text é"),
            Value::from("x".repeat(300)),
            Value::None,
            Value::Bool(true),
            Value::Float(0.1),
            Value::Bytes(vec![0; 300]),
            Value::List(vec![Value::List(vec![]), Value::Dict(Dict::new())]),
            Value::Dict(dict),
            Value::Complex { re: 1.0, im: 2.0 },
            Value::Date(Date::new(2024, 1, 2).unwrap()),
        ]
    }

    #[test]
    fn reads_what_the_general_decoder_reads() {
        let kwargs: Dict = [("n", Value::Int(1))].into_iter().collect();
        let mut calls: Vec<Value> = args()
            .into_iter()
            .enumerate()
            .map(|(i, arg)| {
                let method = if i % 3 == 0 { "echo" } else { "other" };
                Value::Tuple(vec![Value::from(method), Value::Tuple(vec![arg]), Value::Dict(Dict::new())])
            })
            .collect();
        calls.push(Value::Tuple(vec![Value::from("kw"), Value::Tuple(vec![]), Value::Dict(kwargs.clone())]));
        calls.push(Value::Tuple(vec![Value::from("none"), Value::Tuple(vec![]), Value::None]));
        // Not triples: read as values, for the session to judge.
        calls.push(Value::Int(3));
        calls.push(Value::Tuple(vec![Value::from("two"), Value::Tuple(vec![])]));
        calls.push(Value::Tuple(vec![Value::Int(1), Value::Tuple(vec![]), Value::None]));
        calls.push(Value::Tuple(vec![Value::from("m"), Value::Int(1), Value::None]));
        calls.push(Value::Tuple(vec![Value::from("m"), Value::Tuple(vec![]), Value::Int(1)]));
        // Long enough for a 16-bit array header.
        let many: Vec<Value> = calls.iter().cycle().take(40).cloned().collect();
        for calls in [calls, many] {
            let bytes = Serializer::Msgpack.encode_call("thing", "<batch>", &calls, None::<&Dict>).unwrap();
            let call = decode(Serializer::Msgpack, &bytes, DecodeLimit::default()).unwrap();
            assert_eq!((call.object.as_str(), call.method.as_str()), ("thing", "<batch>"));
            assert!(matches!(call.entries[0], BatchEntry::Call { .. }));
            assert_eq!(as_values(&call), general(&bytes));
        }
    }

    #[test]
    fn scalars_read_as_the_general_decoder_reads_them() {
        let mut read = 0;
        for value in args() {
            let bytes = Serializer::Msgpack.to_bytes(&value).unwrap();
            if let Some(scalar) = msgpack_scalar(&bytes) {
                assert_eq!(scalar, msgpack::from_bytes::<Value>(&bytes).unwrap());
                read += 1;
            }
        }
        assert!(read > 20, "{read}");
        assert_eq!(msgpack_scalar(&[0x01, 0x02]), None);
    }

    #[test]
    fn shares_method_names_and_drops_empty_kwargs() {
        let call =
            |m: &str| Value::Tuple(vec![Value::from(m), Value::Tuple(vec![Value::Int(1)]), Value::Dict(Dict::new())]);
        let calls = vec![call("a"), call("a"), call("b"), call("b")];
        let bytes = Serializer::Msgpack.encode_call("thing", "<batch>", &calls, None::<&Dict>).unwrap();
        let entries = decode(Serializer::Msgpack, &bytes, DecodeLimit::default()).unwrap().entries;
        let methods: Vec<&Arc<str>> = entries
            .iter()
            .map(|entry| match entry {
                BatchEntry::Call { method, kwargs: None, .. } => method,
                other => panic!("not a call: {other:?}"),
            })
            .collect();
        assert!(Arc::ptr_eq(methods[0], methods[1]) && Arc::ptr_eq(methods[2], methods[3]));
        assert_eq!((&methods[0][..], &methods[2][..]), ("a", "b"));
    }

    #[test]
    fn unusual_shapes_and_other_serializers_take_the_general_path() {
        let calls = vec![Value::Tuple(vec![Value::from("a"), Value::Tuple(vec![]), Value::None])];
        let kwargs: Dict = [("x", Value::Int(1))].into_iter().collect();
        for ser in [Serializer::Serpent, Serializer::Json, Serializer::Marshal, Serializer::Msgpack] {
            for kwargs in [None, Some(&kwargs)] {
                let bytes = ser.encode_call("thing", "<batch>", &calls, kwargs).unwrap();
                let call = decode(ser, &bytes, DecodeLimit::default()).unwrap();
                assert_eq!(call.entries.len(), 1, "{ser}");
                let fast = ser == Serializer::Msgpack && kwargs.is_none();
                assert_eq!(matches!(call.entries[0], BatchEntry::Call { .. }), fast, "{ser}");
            }
        }
        // The general decoder's errors.
        let bytes = Serializer::Msgpack.to_bytes(&("thing", "<batch>", 1, ())).unwrap();
        let general = Serializer::Msgpack.decode_call(&bytes).unwrap_err().to_string();
        assert_eq!(decode(Serializer::Msgpack, &bytes, DecodeLimit::default()).unwrap_err().to_string(), general);
    }

    #[test]
    fn malformed_input_is_an_error() {
        let calls = vec![Value::Tuple(vec![Value::from("a"), Value::Tuple(vec![Value::Int(1)]), Value::None])];
        let bytes = Serializer::Msgpack.encode_call("thing", "<batch>", &calls, None::<&Dict>).unwrap();
        for len in 0..bytes.len() {
            assert!(decode(Serializer::Msgpack, &bytes[..len], DecodeLimit::default()).is_err(), "{len}");
        }
        let mut extra = bytes.clone();
        extra.push(0xc0);
        assert!(decode(Serializer::Msgpack, &extra, DecodeLimit::default()).is_err());
        // Bad bytes inside an entry: the general decoder's errors.
        let at = |byte: u8| bytes.iter().rposition(|&b| b == byte).unwrap();
        let mut reserved = bytes.clone();
        reserved[at(0x01)] = 0xc1;
        let mut not_utf8 = bytes.clone();
        not_utf8[at(b'a')] = 0xff;
        for bad in [reserved, not_utf8, extra] {
            let general = Serializer::Msgpack.decode_call(&bad).unwrap_err().to_string();
            assert_eq!(decode(Serializer::Msgpack, &bad, DecodeLimit::default()).unwrap_err().to_string(), general);
        }
    }
}

//! [`Value`]s read straight from msgpack, without serde in between: from input that
//! [`validate`](super::validate) has passed, or (a call's payload) checked as it is read.
//!
//! Written by hand for speed: every call a daemon receives is decoded into `Value`s (its
//! arguments) and rmp-serde's visitor machinery, then the separate validation pass, were the
//! largest part of that. This reader gives exactly what the serde path (`Value::deserialize`
//! over rmp-serde) gives, marker by marker; checking as it reads, it refuses what the
//! validator refuses with the validator's error at the same byte (the same checks in the same
//! order: well-formed markers and lengths, UTF-8, Pyro5's extensions, at most
//! [`MAX_DEPTH`] nested containers, the [`Budget`] charged the same amounts), and what it has
//! built by then never passes the budget nor the input's size in reserved items. It is used
//! for small payloads only (see [`ONE_PASS_MAX`](super::ONE_PASS_MAX)): what they build before a
//! refusal is a few times their size, where a large hostile one must cost nothing. The tests
//! check both against the serde path and the validator.

use super::{CallParts, MAX_DEPTH, malformed};
use crate::serializer::SerializeError;
use crate::serializer::budget::{self, Budget};
use crate::value::ext_codec::decode_ext;
use crate::value::{Dict, Value};

/// The most items reserved before they are read (as the serde path reserves).
const MAX_PREALLOC: usize = 4096;

/// The one value in validated `bytes`.
pub(crate) fn value(bytes: &[u8]) -> Result<Value, SerializeError> {
    let mut cursor = Cursor { bytes, pos: 0, checks: Validated };
    let value = cursor.value(1)?;
    cursor.end()?;
    Ok(value)
}

/// A call's `[object, method, vargs, kwargs]` from `bytes`, checked as they are read with the
/// validator's checks and `budget`: `None` when the payload has another shape (a str that is
/// not a str, vargs that are not an array, another length), which the general path then
/// validates and explains.
pub(crate) fn call_parts(bytes: &[u8], budget: &mut Budget) -> Result<Option<CallParts>, SerializeError> {
    call_parts_with(bytes, budget)
}

/// [`call_parts`] of validated `bytes`.
pub(crate) fn validated_call_parts(bytes: &[u8]) -> Result<Option<CallParts>, SerializeError> {
    call_parts_with(bytes, Validated)
}

fn call_parts_with<C: Checks>(bytes: &[u8], checks: C) -> Result<Option<CallParts>, SerializeError> {
    let mut cursor = Cursor { bytes, pos: 0, checks };
    if cursor.array_len(1)? != Some(4) {
        return Ok(None);
    }
    let Some(object) = cursor.str()? else { return Ok(None) };
    let Some(method) = cursor.str()? else { return Ok(None) };
    let Some(count) = cursor.array_len(2)? else { return Ok(None) };
    let vargs = cursor.items(count, 3)?;
    let kwargs = cursor.value(2)?;
    cursor.end()?;
    Ok(Some((object.to_owned(), std::sync::Arc::from(method), vargs, kwargs)))
}

/// What is checked while reading: nothing more for validated input, the validator's budget
/// for a payload read in one pass.
trait Checks {
    /// One more value.
    fn value(&mut self) -> Result<(), SerializeError>;
    /// `bytes` more of what the values will cost.
    fn charge(&mut self, bytes: usize) -> Result<(), SerializeError>;
}

/// Input [`validate`](super::validate) has passed.
struct Validated;

impl Checks for Validated {
    #[inline]
    fn value(&mut self) -> Result<(), SerializeError> {
        Ok(())
    }

    #[inline]
    fn charge(&mut self, _: usize) -> Result<(), SerializeError> {
        Ok(())
    }
}

impl Checks for &mut Budget {
    #[inline]
    fn value(&mut self) -> Result<(), SerializeError> {
        Budget::value(self, 0)
    }

    #[inline]
    fn charge(&mut self, bytes: usize) -> Result<(), SerializeError> {
        Budget::charge(self, bytes)
    }
}

/// A position in the input, with what is checked on the way.
struct Cursor<'a, C> {
    bytes: &'a [u8],
    pos: usize,
    checks: C,
}

impl<'a, C: Checks> Cursor<'a, C> {
    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SerializeError> {
        match self.pos.checked_add(n).and_then(|end| self.bytes.get(self.pos..end)) {
            Some(slice) => {
                self.pos += n;
                Ok(slice)
            }
            None => Err(malformed(format!("truncated: {n} bytes needed at byte {}, {} left", self.pos, self.left()))),
        }
    }

    fn u8(&mut self) -> Result<u8, SerializeError> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
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
        match self.left() {
            0 => Ok(()),
            left => Err(malformed(format!("{left} trailing bytes after the value at byte {}", self.pos))),
        }
    }

    /// A container at nesting level `depth` (the top level is 1) whose marker is at `at`.
    fn container(&self, depth: usize, at: usize) -> Result<(), SerializeError> {
        if depth > MAX_DEPTH {
            return Err(malformed(format!("nested deeper than {MAX_DEPTH} levels at byte {at}")));
        }
        Ok(())
    }

    /// The marker of the value here, if `accept` takes it (then consumed and counted).
    fn marker_if(&mut self, accept: impl Fn(u8) -> bool) -> Result<Option<(u8, usize)>, SerializeError> {
        match self.bytes.get(self.pos) {
            Some(&marker) if accept(marker) => {
                let at = self.pos;
                self.pos += 1;
                self.checks.value()?;
                Ok(Some((marker, at)))
            }
            _ => Ok(None),
        }
    }

    /// The length of the array at nesting level `depth` that starts here (consumed), or `None`
    /// (nothing consumed) if another value starts here.
    fn array_len(&mut self, depth: usize) -> Result<Option<usize>, SerializeError> {
        let Some((marker, at)) = self.marker_if(|m| matches!(m, 0x90..=0x9f | 0xdc | 0xdd))? else { return Ok(None) };
        let count = self.array_count(marker)?;
        self.container(depth, at)?;
        Ok(Some(count))
    }

    /// The item count of the array whose marker (fixarray, array 16 or 32) was just read.
    fn array_count(&mut self, marker: u8) -> Result<usize, SerializeError> {
        match marker {
            0xdc => self.len(2),
            0xdd => self.len(4),
            fix => Ok(usize::from(fix & 0x0f)),
        }
    }

    /// The byte length of the str whose marker (fixstr, str 8, 16 or 32) was just read.
    fn str_len(&mut self, marker: u8) -> Result<usize, SerializeError> {
        match marker {
            0xd9..=0xdb => self.len(1 << (marker - 0xd9)),
            fix => Ok(usize::from(fix & 0x1f)),
        }
    }

    /// The str that starts here (consumed), or `None` (nothing consumed) if another value
    /// starts here.
    fn str(&mut self) -> Result<Option<&'a str>, SerializeError> {
        let Some((marker, _)) = self.marker_if(|m| matches!(m, 0xa0..=0xbf | 0xd9..=0xdb))? else { return Ok(None) };
        let len = self.str_len(marker)?;
        self.text(len).map(Some)
    }

    /// A str's `len` bytes, its length charged.
    fn text(&mut self, len: usize) -> Result<&'a str, SerializeError> {
        self.checks.charge(len.min(self.left()))?;
        let at = self.pos;
        std::str::from_utf8(self.take(len)?)
            .map_err(|e| malformed(format!("invalid UTF-8 in the str at byte {at}: {e}")))
    }

    /// The `count` items of an array whose items are at nesting level `depth`.
    fn items(&mut self, count: usize, depth: usize) -> Result<Vec<Value>, SerializeError> {
        // An item takes a byte at least: no more is reserved than the input could hold.
        let mut items = Vec::with_capacity(count.min(self.left()).min(MAX_PREALLOC));
        for _ in 0..count {
            items.push(self.value(depth)?);
        }
        Ok(items)
    }

    /// A dict of `entries` entries at nesting level `depth - 1`, its marker at `at`.
    fn dict(&mut self, entries: usize, depth: usize, at: usize) -> Result<Value, SerializeError> {
        let fits = entries.min(self.left() / 2);
        self.checks.charge(budget::DICT.saturating_add(fits.saturating_mul(budget::ENTRY)))?;
        self.container(depth - 1, at)?;
        let mut dict = Dict::with_capacity(fits.min(MAX_PREALLOC));
        for _ in 0..entries {
            let key = self.value(depth)?;
            let value = self.value(depth)?;
            dict.insert(key, value);
        }
        Ok(Value::Dict(dict))
    }

    /// An extension of `len` payload bytes whose marker is at `at`.
    fn ext(&mut self, len: usize, at: usize) -> Result<Value, SerializeError> {
        let code = i8::from_ne_bytes([self.u8()?]);
        let data = self.take(len)?;
        decode_ext(code, data).map_err(|e| malformed(format!("{e} (at byte {at})")))
    }

    /// A length of `width` bytes, charged (bin, variable-length ext).
    fn charged_len(&mut self, width: usize) -> Result<usize, SerializeError> {
        let len = self.len(width)?;
        self.checks.charge(len.min(self.left()))?;
        Ok(len)
    }

    /// The value that starts here, at nesting level `depth` (the top level is 1).
    fn value(&mut self, depth: usize) -> Result<Value, SerializeError> {
        let at = self.pos;
        let marker = self.u8()?;
        self.checks.value()?;
        Ok(match marker {
            0x00..=0x7f => Value::Int(i64::from(marker)),
            0xe0..=0xff => Value::Int(i64::from(i8::from_ne_bytes([marker]))),
            0xc0 => Value::None,
            0xc2 => Value::Bool(false),
            0xc3 => Value::Bool(true),
            0x80..=0x8f => self.dict(usize::from(marker & 0x0f), depth + 1, at)?,
            0xde => {
                let entries = self.len(2)?;
                self.dict(entries, depth + 1, at)?
            }
            0xdf => {
                let entries = self.len(4)?;
                self.dict(entries, depth + 1, at)?
            }
            0x90..=0x9f | 0xdc | 0xdd => {
                let count = self.array_count(marker)?;
                self.container(depth, at)?;
                Value::List(self.items(count, depth + 1)?)
            }
            0xa0..=0xbf | 0xd9..=0xdb => {
                let len = self.str_len(marker)?;
                Value::Str(self.text(len)?.to_owned())
            }
            0xc4..=0xc6 => {
                let len = self.charged_len(1 << (marker - 0xc4))?;
                Value::Bytes(self.take(len)?.to_vec())
            }
            0xc7..=0xc9 => {
                let len = self.charged_len(1 << (marker - 0xc7))?;
                self.ext(len, at)?
            }
            0xd4..=0xd8 => self.ext(1 << (marker - 0xd4), at)?,
            0xca => Value::Float(f64::from(f32::from_be_bytes(self.array()?))),
            0xcb => Value::Float(f64::from_be_bytes(self.array()?)),
            0xcc => Value::Int(i64::from(self.u8()?)),
            0xcd => Value::Int(i64::from(u16::from_be_bytes(self.array()?))),
            0xce => Value::Int(i64::from(u32::from_be_bytes(self.array()?))),
            0xcf => Value::int_from(u64::from_be_bytes(self.array()?)),
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
    use crate::serializer::DecodeLimit;
    use crate::serializer::msgpack::{NAME, deserializer, to_bytes, validate, validate_within};

    fn parts(bytes: &[u8]) -> Result<Option<CallParts>, SerializeError> {
        call_parts(bytes, &mut Budget::new(NAME, bytes.len(), DecodeLimit::default()))
    }

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
            let (object, method, got_vargs, got_kwargs) = parts(&bytes).unwrap().unwrap();
            assert_eq!((object.as_str(), &*method), ("obj_1", "echo"));
            assert_eq!(exactly(&Value::List(got_vargs)), exactly(&through_serde(&to_bytes(&vargs).unwrap())));
            assert_eq!(exactly(&got_kwargs), exactly(&kwargs));
        }
    }

    /// Calls of several shapes, then each cut short at every byte and each byte replaced by
    /// markers that change the structure, read within several limits: the one-pass reader
    /// refuses exactly what the validator refuses, with its error, or leaves the payload to
    /// the general path (which then validates it); what it accepts reads as the serde path
    /// reads it.
    #[test]
    fn a_call_checked_in_one_pass_is_refused_as_the_validator_refuses_it() {
        let nested = Value::List(vec![Value::Dict(Dict::new()), Value::Bytes(vec![9; 3]), Value::Float(2.5)]);
        let kwargs: Dict = [("k", Value::from("v")), ("n", nested.clone())].into_iter().collect();
        let calls = [
            to_bytes(&("obj_1", "echo", vec![Value::Int(42)], Value::Dict(Dict::new()))).unwrap(),
            to_bytes(&("o", "m", vec![nested.clone(), Value::from("é"), Value::int(u64::MAX)], &kwargs)).unwrap(),
            to_bytes(&("o", "m", Vec::<Value>::new(), Value::None)).unwrap(),
            to_bytes(&("o", "m", vec![Value::Complex { re: 1.0, im: 2.0 }, Value::Int(-200)], Value::None)).unwrap(),
        ];
        let markers = [
            0x00, 0x7f, 0x80, 0x81, 0x8f, 0x90, 0x91, 0x9f, 0xa1, 0xbf, 0xc0, 0xc1, 0xc4, 0xc7, 0xca, 0xcb, 0xcf, 0xd4,
            0xd8, 0xd9, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff,
        ];
        let mut inputs = Vec::new();
        for call in &calls {
            for cut in 0..call.len() {
                inputs.push(call[..cut].to_vec());
            }
            for at in 0..call.len() {
                for marker in markers {
                    let mut changed = call.clone();
                    changed[at] = marker;
                    inputs.push(changed);
                }
            }
            inputs.push([call.as_slice(), &[0xc0]].concat());
        }
        let mut checked = (0, 0);
        for input in &inputs {
            for limit in [DecodeLimit::default(), DecodeLimit::new(40), DecodeLimit::new(120), DecodeLimit::new(400)] {
                let validated = validate_within(input, &mut Budget::new(NAME, input.len(), limit));
                let read = call_parts(input, &mut Budget::new(NAME, input.len(), limit));
                match (&validated, &read) {
                    (Err(want), Err(got)) => {
                        assert_eq!(got.to_string(), want.to_string(), "{input:02x?}");
                        checked.0 += 1;
                    }
                    (_, Ok(None)) => {}
                    (Ok(()), Ok(Some((object, method, vargs, kwargs)))) => {
                        let serde: (String, String, Vec<Value>, Value) =
                            serde::Deserialize::deserialize(&mut deserializer(input)).unwrap();
                        let got =
                            (object.clone(), method.to_string(), exactly(&Value::List(vargs.clone())), exactly(kwargs));
                        assert_eq!(got, (serde.0, serde.1, exactly(&Value::List(serde.2)), exactly(&serde.3)));
                        checked.1 += 1;
                    }
                    _ => panic!("validator {validated:?}, one pass {read:?}: {input:02x?}"),
                }
            }
        }
        assert!(checked.0 > 1000 && checked.1 > 100, "{checked:?}");
    }

    /// A payload past the one-pass size is validated first: the same results and errors.
    #[test]
    fn a_large_call_is_validated_first_with_the_same_results() {
        let vargs: Vec<Value> = (0..20_000).map(Value::Int).collect();
        let call = to_bytes(&("o", "m", &vargs, Value::None)).unwrap();
        assert!(call.len() > super::super::ONE_PASS_MAX);
        let (_, _, got, _) = super::super::call_parts(&call, DecodeLimit::default()).unwrap().unwrap();
        assert_eq!(got.len(), 20_000);
        for bad in [&call[..call.len() - 1], &[&call[..], &[0xc1]].concat()] {
            let want = validate_within(bad, &mut Budget::new(NAME, bad.len(), DecodeLimit::default())).unwrap_err();
            let got = super::super::call_parts(bad, DecodeLimit::default()).unwrap_err();
            assert_eq!(got.to_string(), want.to_string());
        }
        let tight = DecodeLimit::new(1000);
        assert!(matches!(super::super::call_parts(&call, tight), Err(SerializeError::TooLarge { .. })));
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
            assert!(parts(&shape).unwrap().is_none(), "{shape:02x?}");
        }
    }

    #[test]
    fn input_that_skipped_validation_is_an_error_not_a_panic() {
        for bad in ["", "c1", "92", "a36162", "d9", "c4ff", "d4ff00", "cb00", "0000", "a1ff", "dd000000ff"] {
            assert!(value(&hex(bad)).is_err(), "{bad}");
        }
        assert!(parts(&hex("94a16fa16d9101")).is_err());
    }
}

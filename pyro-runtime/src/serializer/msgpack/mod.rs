//! The msgpack serializer (Pyro5 id 4), byte-compatible with Python's
//! `msgpack.packb(value, use_bin_type=True)` as Pyro5 uses it.
//!
//! Encoding goes straight from any `Serialize` type to bytes through rmp-serde: structs as maps
//! with their field names, ints in the smallest encoding (non-negative ones unsigned, as Python
//! does; `i128`/`u128` too, and beyond 64 bits as ext 0x31), unit structs as nil (like `()`),
//! floats as float64, `str` as str, bytes (`serde_bytes`, [`Value::Bytes`]) as bin, and
//! Pyro5's extension types for [`Value::Complex`] (0x30), ints outside [-2^63, 2^64) (0x31),
//! [`Value::DateTime`] (0x32) and [`Value::Date`] (0x33). Serde is told the format is human
//! readable, so uuids, addresses and the like travel as text, as Python sends them. Reading an
//! `i128`/`u128` takes any of those int forms, range-checked.
//!
//! Decoding first checks the whole input without recursion: well-formed msgpack, valid UTF-8 in
//! every str, Pyro5's extension codes with valid payloads, at most [`MAX_DEPTH`] nested
//! containers, and nothing after the value; it also counts what the decoded values will cost
//! and refuses input past its [`DecodeLimit`] ([`SerializeError::TooLarge`]). Only then does
//! serde read it. A call's payload, which every request carries, is read into its parts
//! directly; a small one with the same checks on the way, in one pass: the same errors, and
//! what is built before one is a few times the payload's size at most.
//!
//! A Python receiver refuses map keys other than `str` and `bytes` (Pyro5 loads with
//! `strict_map_key`, so the error is Pyro5's `ValueError`); this module writes whatever keys it
//! is given (a `HashMap<i64, _>`, or a [`Value::Dict`] with int or tuple keys), since Rust peers
//! read them, so keep such maps for Rust peers and use str keys towards Python. Python's own int
//! keys (which its packer writes) read into typed maps.
//!
//! ```
//! use pyro::serializer::msgpack;
//! use pyro::value::Value;
//!
//! let bytes = msgpack::to_bytes(&("thing", 2u64.pow(63))).unwrap();
//! assert_eq!(bytes, [0x92, 0xa5, b't', b'h', b'i', b'n', b'g', 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0]);
//! let back: Value = msgpack::from_bytes(&bytes).unwrap();
//! assert_eq!(back.to_string(), "['thing', 9223372036854775808]");
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::budget::Budget;
use super::pyshape::PyShape;
use super::{DecodeLimit, SerializeError};
use crate::value::{Value, from_value};

mod read;
mod validate;

pub(crate) use validate::{validate, validate_within};

/// The deepest nesting of arrays, maps and extensions that [`from_bytes`] accepts; deeper input
/// is refused before any recursive decoding starts, so it cannot overflow the stack.
///
/// ```
/// use pyro::serializer::msgpack::{self, MAX_DEPTH};
/// use pyro::value::Value;
///
/// let mut deep = vec![0x91; MAX_DEPTH + 1];
/// deep.push(0xc0);
/// assert!(msgpack::from_bytes::<Value>(&deep).is_err());
/// assert!(msgpack::from_bytes::<Value>(&deep[1..]).is_ok());
/// ```
pub const MAX_DEPTH: usize = 256;

const NAME: &str = "msgpack";

/// Serializes a value to msgpack bytes as Pyro5 does.
///
/// ```
/// use pyro::serializer::msgpack;
///
/// #[derive(serde::Serialize)]
/// struct Pos {
///     x: i32,
/// }
/// // A struct is a map with its field names: {'x': -1}.
/// assert_eq!(msgpack::to_bytes(&Pos { x: -1 }).unwrap(), [0x81, 0xa1, b'x', 0xff]);
/// ```
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, SerializeError> {
    // Most payloads (a call, a small result) fit: one allocation instead of a growth per
    // doubling from 8 bytes.
    let mut out = Vec::with_capacity(INITIAL_CAPACITY);
    let mut serializer = rmp_serde::Serializer::new(&mut out).with_struct_map().with_human_readable();
    value.serialize(PyShape(&mut serializer)).map_err(encode_error)?;
    Ok(out)
}

/// What [`to_bytes`] reserves at first.
const INITIAL_CAPACITY: usize = 128;

/// [`to_bytes`], appending to `out`.
pub(crate) fn write_to<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), SerializeError> {
    let mut serializer = rmp_serde::Serializer::new(out).with_struct_map().with_human_readable();
    value.serialize(PyShape(&mut serializer)).map_err(encode_error)
}

/// [`write_to`] for a str, written directly (the shortest header, as Python's packer writes
/// it).
pub(crate) fn write_str(out: &mut Vec<u8>, text: &str) -> Result<(), SerializeError> {
    let len = text.len();
    out.reserve(len + 5);
    match (u8::try_from(len), u16::try_from(len), u32::try_from(len)) {
        (Ok(n), _, _) if n < 32 => out.push(0xa0 | n),
        (Ok(n), _, _) => out.extend_from_slice(&[0xd9, n]),
        (_, Ok(n), _) => {
            out.push(0xda);
            out.extend_from_slice(&n.to_be_bytes());
        }
        (_, _, Ok(n)) => {
            out.push(0xdb);
            out.extend_from_slice(&n.to_be_bytes());
        }
        _ => return write_to(out, text),
    }
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

/// Deserializes msgpack bytes into any type; a [`Value`] takes anything Pyro5 sends.
///
/// Malformed input (truncated, a reserved marker, invalid UTF-8 in a str, an unknown
/// extension, nesting deeper than [`MAX_DEPTH`], bytes after the value) is a
/// [`SerializeError::Malformed`]; well-formed data that does not fit `T` a
/// [`SerializeError::Custom`] naming the Python type that did not fit.
///
/// ```
/// use pyro::serializer::{msgpack, SerializeError};
///
/// let n: Vec<f64> = msgpack::from_bytes(&[0x92, 0x01, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]).unwrap();
/// assert_eq!(n, [1.0, 1.5]);
/// assert!(matches!(msgpack::from_bytes::<i32>(&[0x01, 0x02]), Err(SerializeError::Malformed { .. })));
/// assert_eq!(msgpack::from_bytes::<i32>(&[0xa1, b'x']).unwrap_err().to_string(), "expected i32, got str");
/// ```
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, SerializeError> {
    from_bytes_limited(bytes, DecodeLimit::default())
}

/// [`from_bytes`] within `limit`: input whose values would cost more than the limit allows for
/// its size is refused with [`SerializeError::TooLarge`] before any is built.
///
/// ```
/// use pyro::serializer::{msgpack, DecodeLimit, SerializeError};
/// use pyro::value::Value;
///
/// // 1,000 empty lists, then 1,000 empty dicts.
/// let lists = [&[0xdc, 0x03, 0xe8][..], &[0x90; 1000]].concat();
/// let dicts = [&[0xdc, 0x03, 0xe8][..], &[0x80; 1000]].concat();
/// let limit = DecodeLimit::new(64_000);
/// assert!(msgpack::from_bytes_limited::<Value>(&lists, limit).is_ok());
/// assert!(matches!(msgpack::from_bytes_limited::<Value>(&dicts, limit), Err(SerializeError::TooLarge { .. })));
/// ```
pub fn from_bytes_limited<T: DeserializeOwned>(bytes: &[u8], limit: DecodeLimit) -> Result<T, SerializeError> {
    validate_within(bytes, &mut Budget::new(NAME, bytes.len(), limit))?;
    from_validated(bytes)
}

/// The parts of a call (`[object, method, vargs, kwargs]`), read straight from the array with
/// no [`Value`] around them, with the same checks as [`from_bytes_limited`]; `None` when the
/// payload has another shape (the caller's general path then says what is wrong with it).
pub(crate) fn call_parts(bytes: &[u8], limit: DecodeLimit) -> Result<Option<CallParts>, SerializeError> {
    let mut budget = Budget::new(NAME, bytes.len(), limit);
    if bytes.len() > ONE_PASS_MAX {
        // Validated whole first: a large hostile payload is refused before anything is built.
        validate_within(bytes, &mut budget)?;
        return read::validated_call_parts(bytes);
    }
    // Checked as it is read, in one pass (see `read`).
    read::call_parts(bytes, &mut budget)
}

/// The largest call payload checked as it is read rather than validated first: before a
/// refusal it has built at most a few times its size in values.
const ONE_PASS_MAX: usize = 16 * 1024;

/// A call's `(object, method, vargs, kwargs)`, as [`call_parts`] reads them.
pub(crate) type CallParts = (String, std::sync::Arc<str>, Vec<Value>, Value);

/// [`from_bytes`] for input that [`validate`] has passed (a part of a validated message, one
/// whole value).
pub(crate) fn from_validated<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, SerializeError> {
    match T::deserialize(PyShape(&mut deserializer(bytes))) {
        Ok(value) => Ok(value),
        // Read it again as a Value: from_value accepts a few more shapes (an ext 0x31 int for
        // an i128, a date for a String) and explains a mismatch in Python's terms.
        Err(_) => from_value(value_from_validated(bytes)?),
    }
}

/// [`from_validated`] for a [`Value`], read directly (see `read`): what a call's arguments
/// and any untyped part of a message decode with.
pub(crate) fn value_from_validated(bytes: &[u8]) -> Result<Value, SerializeError> {
    read::value(bytes)
}

type RmpDeserializer<'a> = rmp_serde::Deserializer<
    rmp_serde::decode::ReadRefReader<'a, [u8]>,
    rmp_serde::config::HumanReadableConfig<rmp_serde::config::DefaultConfig>,
>;

fn deserializer(bytes: &[u8]) -> RmpDeserializer<'_> {
    let mut de = rmp_serde::Deserializer::from_read_ref(bytes).with_human_readable();
    // The input is validated, this is a second line of defence.
    de.set_max_depth(MAX_DEPTH + 2);
    de
}

fn encode_error(e: rmp_serde::encode::Error) -> SerializeError {
    match e {
        rmp_serde::encode::Error::Syntax(message) => SerializeError::Custom(message),
        other => SerializeError::Custom(other.to_string()),
    }
}

fn malformed(reason: String) -> SerializeError {
    SerializeError::Malformed { serializer: NAME, reason }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;
    use crate::value::{Date, Dict};

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    fn dict(entries: Vec<(Value, Value)>) -> Value {
        let mut d = Dict::new();
        for (k, v) in entries {
            d.insert(k, v);
        }
        Value::Dict(d)
    }

    /// `(value, Pyro5 5.17's msgpack bytes for the equivalent Python value)`, from
    /// `serializers_by_id[4].dumps(v).hex()` on x86-64 Linux (extensions are native-endian).
    fn golden() -> Vec<(Value, String)> {
        let big = |digits: &str| Value::int(num_bigint::BigInt::parse_bytes(digits.as_bytes(), 10).unwrap());
        vec![
            (Value::None, "c0".into()),
            (Value::Bool(true), "c3".into()),
            (Value::Bool(false), "c2".into()),
            (Value::Int(0), "00".into()),
            (Value::Int(-1), "ff".into()),
            (Value::Int(127), "7f".into()),
            (Value::Int(128), "cc80".into()),
            (Value::Int(255), "ccff".into()),
            (Value::Int(256), "cd0100".into()),
            (Value::Int(65536), "ce00010000".into()),
            (Value::Int(1 << 32), "cf0000000100000000".into()),
            (Value::Int(-32), "e0".into()),
            (Value::Int(-33), "d0df".into()),
            (Value::Int(-129), "d1ff7f".into()),
            (Value::Int(-32769), "d2ffff7fff".into()),
            (Value::Int(i64::MAX), "cf7fffffffffffffff".into()),
            (Value::Int(i64::MIN), "d38000000000000000".into()),
            (Value::int(u64::MAX), "cfffffffffffffffff".into()),
            (big("18446744073709551616"), "c714313138343436373434303733373039353531363136".into()),
            (big("-9223372036854775809"), "c714312d39323233333732303336383534373735383039".into()),
            (
                big("1000000000000000000000000000000"),
                "c71f3131303030303030303030303030303030303030303030303030303030303030".into(),
            ),
            (Value::Float(1.5), "cb3ff8000000000000".into()),
            (Value::Float(f64::NAN), "cb7ff8000000000000".into()),
            (Value::Float(f64::INFINITY), "cb7ff0000000000000".into()),
            (Value::from("x"), "a178".into()),
            (Value::from("a".repeat(32)), format!("d920{}", "61".repeat(32))),
            (Value::from("é".repeat(40)), format!("d950{}", "c3a9".repeat(40))),
            (Value::Bytes(vec![]), "c400".into()),
            (Value::Bytes(vec![0; 300]), format!("c5012c{}", "00".repeat(300))),
            (Value::List(vec![Value::Int(1), Value::from("a")]), "9201a161".into()),
            (Value::Tuple(vec![Value::Int(1), Value::Int(2)]), "920102".into()),
            (Value::Set(vec![Value::Int(1), Value::Int(2)]), "920102".into()),
            (dict(vec![("a".into(), Value::Int(1))]), "81a16101".into()),
            // Through Python's msgpack.packb directly (Pyro5's receiver would refuse the int key).
            (dict(vec![(Value::Int(1), "x".into())]), "8101a178".into()),
            (Value::Complex { re: 1.0, im: 2.0 }, "d830000000000000f03f0000000000000040".into()),
            (Value::Date(Date::new(2024, 1, 2).unwrap()), "d73347460b0000000000".into()),
            // datetime(2024, 1, 2, 3, 4, 5, 600000) on a host in UTC.
            (Value::DateTime(1_704_164_645.6), "d73266666649df64d941".into()),
        ]
    }

    #[test]
    fn strs_are_written_directly_as_serde_writes_them() {
        for len in [0, 1, 31, 32, 255, 256, 65_535, 65_536] {
            let text = "é".repeat(len / 2) + &"x".repeat(len % 2);
            let mut out = vec![0x90];
            write_str(&mut out, &text).unwrap();
            assert_eq!(out[1..], to_bytes(&text).unwrap()[..], "{len}");
        }
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn encoding_matches_pyro5_byte_for_byte() {
        for (value, want) in golden() {
            assert_eq!(to_bytes(&value).unwrap(), hex(&want), "{value}");
        }
    }

    #[test]
    #[cfg(target_endian = "little")]
    fn decodes_what_pyro5_sends() {
        for (value, bytes) in golden() {
            // msgpack has no tuples or sets: Python's arrive as lists.
            let want = match value {
                Value::Tuple(items) | Value::Set(items) => Value::List(items),
                other => other,
            };
            assert_eq!(from_bytes::<Value>(&hex(&bytes)).unwrap(), want, "{bytes}");
        }
        // Decimal('1.10') and a UUID arrive as str.
        assert_eq!(from_bytes::<Value>(&hex("a4312e3130")).unwrap(), Value::from("1.10"));
        let uuid_hex = "d92431323334353637382d313233342d353637382d313233342d353637383132333435363738";
        let id = uuid::Uuid::parse_str("12345678-1234-5678-1234-567812345678").unwrap();
        assert_eq!(to_bytes(&id.to_string()).unwrap(), hex(uuid_hex));
        // Types with two forms (uuids, addresses) take the text form, as Python sends them.
        let addr: std::net::Ipv4Addr = from_bytes(&to_bytes("10.0.0.1").unwrap()).unwrap();
        assert_eq!(to_bytes(&addr).unwrap(), to_bytes("10.0.0.1").unwrap());
        // The call from the protocol reference: thing.add(1, 2).
        let call = hex("94a57468696e67a3616464920102 80".replace(' ', "").as_str());
        let (object, method, vargs, kwargs): (String, String, Vec<i32>, HashMap<String, Value>) =
            from_bytes(&call).unwrap();
        assert_eq!((object.as_str(), method.as_str(), vargs, kwargs.len()), ("thing", "add", vec![1, 2], 0));
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    enum Mode {
        Off,
        Level(u8),
        Span(i32, i32),
        Named { name: String },
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Message {
        id: u32,
        text: String,
        score: Option<f64>,
        list: Vec<u8>,
        #[serde(with = "serde_bytes")]
        bin: Vec<u8>,
        map: HashMap<String, i64>,
        sorted: BTreeMap<String, (i32, bool)>,
        modes: Vec<Mode>,
        big: i128,
        extra: Value,
    }

    #[test]
    fn typed_values_round_trip() {
        let m = Message {
            id: 7,
            text: "hi".into(),
            score: None,
            list: vec![1, 2],
            bin: vec![1, 2],
            map: [("k".to_string(), -1)].into_iter().collect(),
            sorted: [("a".to_string(), (1, true))].into_iter().collect(),
            modes: vec![Mode::Off, Mode::Level(3), Mode::Span(-1, 1), Mode::Named { name: "n".into() }],
            big: -(1 << 100),
            extra: Value::Complex { re: 1.0, im: 0.5 },
        };
        let bytes = to_bytes(&m).unwrap();
        assert_eq!(from_bytes::<Message>(&bytes).unwrap(), m);
        // Python's view: a dict with field names; Vec<u8> an array, serde_bytes a bin.
        let v: Value = from_bytes(&bytes).unwrap();
        let d = v.as_dict().unwrap();
        assert_eq!(d.get("list"), Some(&Value::List(vec![1.into(), 2.into()])));
        assert_eq!(d.get("bin"), Some(&Value::Bytes(vec![1, 2])));
        assert_eq!(
            d.get("modes").unwrap().to_string(),
            "['Off', {'Level': 3}, {'Span': [-1, 1]}, {'Named': {'name': 'n'}}]"
        );
        // i128 is an int as Python writes it: ext 0x31 beyond 64 bits.
        let ext_int = to_bytes(&Value::int(-(1i128 << 100))).unwrap();
        assert_eq!(ext_int.first(), Some(&0xc7));
        assert_eq!(to_bytes(&-(1i128 << 100)).unwrap(), ext_int);
        assert_eq!(from_bytes::<i128>(&ext_int).unwrap(), -(1 << 100));
        // Python sends 2 for 2.0.
        assert_eq!(from_bytes::<f64>(&[0x02]).unwrap(), 2.0);
        assert_eq!(from_bytes::<Option<f32>>(&[0xc0]).unwrap(), None);
    }

    #[test]
    fn wide_ints_are_ints_and_unit_structs_are_nil() {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct Unit;
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct Wide {
            a: i128,
            b: u128,
            unit: Unit,
            nested: Vec<Option<(i128, u128)>>,
        }
        // Native ints as Python packs them when they fit in 64 bits, else ext 0x31.
        let cases: [(i128, &str); 6] = [
            (5, "05"),
            (-1, "ff"),
            (i128::from(i64::MIN), "d38000000000000000"),
            (i128::from(u64::MAX), "cfffffffffffffffff"),
            (1 << 64, "c714313138343436373434303733373039353531363136"),
            (i128::from(i64::MIN) - 1, "c714312d39323233333732303336383534373735383039"),
        ];
        for (n, want) in cases {
            assert_eq!(to_bytes(&n).unwrap(), hex(want), "{n}");
            assert_eq!(from_bytes::<i128>(&hex(want)).unwrap(), n, "{n}");
            if let Ok(u) = u128::try_from(n) {
                assert_eq!(to_bytes(&u).unwrap(), hex(want), "{u}");
                assert_eq!(from_bytes::<u128>(&hex(want)).unwrap(), u, "{u}");
            }
        }
        let max = to_bytes(&u128::MAX).unwrap();
        assert_eq!(from_bytes::<Value>(&max).unwrap(), Value::int(u128::MAX));
        assert_eq!(from_bytes::<u128>(&max).unwrap(), u128::MAX);
        assert!(from_bytes::<i128>(&max).unwrap_err().to_string().contains("out of range"));
        assert!(from_bytes::<u128>(&hex("ff")).unwrap_err().to_string().contains("out of range"));
        assert_eq!(to_bytes(&Unit).unwrap(), [0xc0]);
        assert_eq!(from_bytes::<Unit>(&[0xc0]).unwrap(), Unit);
        let w = Wide { a: i128::MIN, b: u128::MAX, unit: Unit, nested: vec![None, Some((-(1 << 80), 1 << 90))] };
        let bytes = to_bytes(&w).unwrap();
        assert_eq!(from_bytes::<Wide>(&bytes).unwrap(), w);
        let v: Value = from_bytes(&bytes).unwrap();
        assert_eq!(
            v.to_string(),
            format!(
                "{{'a': {}, 'b': {}, 'unit': None, 'nested': [None, [{}, {}]]}}",
                i128::MIN,
                u128::MAX,
                -(1i128 << 80),
                1u128 << 90
            )
        );
    }

    #[test]
    fn values_round_trip() {
        let with_seq = |seq: Value| {
            let mut d = Dict::new();
            d.insert("t", seq);
            d.insert(Value::Int(3), Value::List(vec![Value::None, Value::Date(Date::new(1, 1, 1).unwrap())]));
            d.insert(Value::Bytes(vec![1]), Value::int(u128::MAX));
            Value::List(vec![Value::Dict(d), Value::DateTime(-1.25), Value::Complex { re: f64::NAN, im: 0.0 }])
        };
        let items = vec![Value::Float(-0.0), Value::Bytes(vec![7])];
        let back: Value = from_bytes(&to_bytes(&with_seq(Value::Tuple(items.clone()))).unwrap()).unwrap();
        assert_eq!(back, with_seq(Value::List(items)));
    }

    fn malformed_reason(bytes: &[u8]) -> String {
        match from_bytes::<Value>(bytes) {
            Err(SerializeError::Malformed { serializer: "msgpack", reason }) => reason,
            other => panic!("expected Malformed for {bytes:02x?}, got {other:?}"),
        }
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(malformed_reason(&[]).contains("truncated"));
        assert!(malformed_reason(&[0x92, 0x01]).contains("truncated"));
        assert!(malformed_reason(&[0xcd, 0x01]).contains("truncated"));
        assert!(malformed_reason(&[0xa3, b'a']).contains("truncated"));
        assert!(malformed_reason(&[0xdb, 0xff, 0xff, 0xff, 0xff]).contains("truncated"));
        assert!(malformed_reason(&[0xdd, 0xff, 0xff, 0xff, 0xff]).contains("truncated"));
        assert!(malformed_reason(&[0xc1]).contains("reserved marker 0xc1 at byte 0"));
        assert!(malformed_reason(&[0x91, 0xa2, 0xc3, 0x28]).contains("invalid UTF-8 in the str at byte 2"));
        assert!(malformed_reason(&[0x01, 0x02]).contains("1 trailing bytes after the value at byte 1"));
        assert!(malformed_reason(&[0xd4, 0x05, 0x00]).contains("invalid ext code for msgpack: 5"));
        assert!(malformed_reason(&[0xd4, 0x30, 0x00]).contains("complex"));
        assert!(malformed_reason(&[0xd7, 0x33, 0, 0, 0, 0, 0, 0, 0, 0]).contains("ordinal 0"));
        assert!(malformed_reason(&[0xc7, 0x01, 0x31, b'x']).contains("not a decimal integer"));
        // Typed targets get the same checks.
        assert!(matches!(from_bytes::<String>(&[0xa1, 0xff]), Err(SerializeError::Malformed { .. })));
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        for (open, close) in [(0x91u8, 0xc0u8), (0x81, 0xc0)] {
            // A map nests through its values: {nil: {nil: ... nil}}.
            let nest = |n: usize| -> Vec<u8> {
                let mut bytes = Vec::new();
                for _ in 0..n {
                    bytes.push(open);
                    if open == 0x81 {
                        bytes.push(0xc0);
                    }
                }
                bytes.push(close);
                bytes
            };
            assert!(from_bytes::<Value>(&nest(MAX_DEPTH)).is_ok());
            assert!(malformed_reason(&nest(MAX_DEPTH + 1)).contains("nested deeper than"));
            // An extension at the deepest level still decodes (rmp-serde counts it as a level).
            let mut with_ext = nest(MAX_DEPTH);
            with_ext.pop();
            with_ext.extend([0xd7, 0x32]);
            with_ext.extend(2.5f64.to_ne_bytes());
            assert!(from_bytes::<Value>(&with_ext).is_ok());
            // Far deeper input fails fast, on the validator's heap stack.
            assert!(malformed_reason(&nest(1_000_000)).contains("nested deeper than"));
        }
    }

    #[test]
    fn type_mismatches_name_the_python_type() {
        let err = |bytes: &[u8]| from_bytes::<(i32, String)>(bytes).unwrap_err();
        assert_eq!(err(&[0x92, 0xa1, b'x', 0xa1, b'y']).to_string(), "expected i32, got str");
        assert!(matches!(err(&[0x92, 0x01, 0x02]), SerializeError::Custom(m) if m == "expected str, got int"));
        assert_eq!(
            from_bytes::<u8>(&[0xcd, 0x01, 0x00]).unwrap_err().to_string(),
            "expected u8, got int 256 (out of range)"
        );
    }

    /// xorshift64: a tiny deterministic generator.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Whether `bytes` decoded; if so, re-encoding gives the same value.
    fn check_round_trip(bytes: &[u8]) -> bool {
        let Ok(value) = from_bytes::<Value>(bytes) else { return false };
        let again = to_bytes(&value).unwrap();
        assert_eq!(from_bytes::<Value>(&again).unwrap(), value, "{bytes:02x?}");
        true
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..4000 {
            let len = usize::try_from(next(&mut state) % 48).unwrap();
            let bytes: Vec<u8> = (0..len).map(|_| next(&mut state).to_le_bytes()[0]).collect();
            check_round_trip(&bytes);
        }
        let mut decoded = 0;
        // Mutations of valid encodings reach deeper into the decoder.
        let seeds: Vec<Vec<u8>> = golden().iter().map(|(_, h)| hex(h)).collect();
        for _ in 0..4000 {
            let mut pick = || seeds[usize::try_from(next(&mut state)).unwrap() % seeds.len()].clone();
            let (first, second) = (pick(), pick());
            let mut bytes = match next(&mut state) % 3 {
                0 => [vec![0x92], first, second].concat(),
                1 => [vec![0x81], first, second].concat(),
                _ => [vec![0x91], first].concat(),
            };
            // Overwrite 0..=2 bytes, often with a marker.
            for _ in 0..next(&mut state) % 3 {
                let at = usize::try_from(next(&mut state)).unwrap() % bytes.len();
                let markers = [0xc0, 0xc1, 0x91, 0x81, 0xa1, 0xd4, 0xc7, 0xcb, 0xdc, 0xff];
                bytes[at] = match next(&mut state) % 2 {
                    0 => markers[usize::try_from(next(&mut state)).unwrap() % markers.len()],
                    _ => next(&mut state).to_le_bytes()[0],
                };
            }
            if next(&mut state).is_multiple_of(8) {
                bytes.truncate(usize::try_from(next(&mut state)).unwrap() % (bytes.len() + 1));
            }
            decoded += usize::from(check_round_trip(&bytes));
        }
        assert!(decoded > 1000, "only {decoded} mutated inputs decoded");
    }
}

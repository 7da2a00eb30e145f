//! Golden tests against Python's output, parser tests and robustness tests.
//!
//! Expected bytes come from Python 3.11 + Pyro5 5.17:
//! `python -c "from Pyro5.serializers import serializers_by_id as s; print(s[3].dumps(VALUE))"`.

use std::collections::BTreeMap;

use num_bigint::BigInt;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

use super::{MAX_DEPTH, from_bytes, parse_value, to_bytes};
use crate::serializer::SerializeError;
use crate::value::{Date, Dict, Value};

/// The complete json payloads of Appendix A.2 (paths in tracebacks redacted there).
const CAPTURED: &[&str] = &[
    r##"{"handshake": "hello-from-client", "object": "thing"}"##,
    r##"{"handshake": {"server-says": "welcome", "got": "hello-from-client"}, "meta": {"methods": ["fail", "add", "sub", "corr", "big", "gen", "ow", "anno"], "oneway": ["ow"], "attrs": ["prop"]}}"##,
    r##"{"object": "thing", "method": "add", "params": [1, 2], "kwargs": {}}"##,
    r##"3"##,
    r##"{"__class__": "builtins.ValueError", "__exception__": true, "args": ["oops", 42], "attributes": {"_pyroTraceback": ["Traceback (most recent call last):\n", "  File \"<venv>/lib/python3.11/site-packages/Pyro5/server.py\", line 482, in handleRequest\n    data = method(*vargs, **kwargs)  # this is the actual method call to the Pyro object\n           ^^^^^^^^^^^^^^^^^^^^^^^^\n", "  File \"<captures>/capture.py\", line 30, in fail\n    raise ValueError(\"oops\", 42)\n", "ValueError: ('oops', 42)\n"]}}"##,
    r##"{"object": "thing", "method": "__getattr__", "params": ["prop"], "kwargs": null}"##,
    r##"{"object": "thing", "method": "__setattr__", "params": ["prop", 7], "kwargs": null}"##,
    r##"{"__class__": "Pyro5.errors.ProtocolError", "__exception__": true, "args": ["result of call is an iterator"], "attributes": {"_pyroTraceback": null}}"##,
    r##"{"object": "thing", "method": "<batch>", "params": [["add", [1, 1], {}], ["add", ["x", "y"], {}], ["fail", [], {}], ["add", [2, 2], {}]], "kwargs": null}"##,
    r##"{"__class__": "Pyro5.client.Proxy", "state": ["PYRO:sub@127.0.0.1:37849", [], ["hello"], [], "hello", null]}"##,
    r##""handshake rejected: 'reject-me'""##,
];

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    String::from_utf8(to_bytes(value).expect("serializable")).expect("utf-8")
}

fn parse(text: &str) -> Value {
    parse_value(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn list(items: impl IntoIterator<Item = Value>) -> Value {
    Value::List(items.into_iter().collect())
}

fn dict<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    let mut d = Dict::new();
    for (k, v) in entries {
        d.insert(k, v);
    }
    Value::Dict(d)
}

fn big(text: &str) -> Value {
    Value::int(text.parse::<BigInt>().expect("decimal"))
}

/// The `what` of a `CannotCarry` error.
fn cannot_carry<T: Serialize + ?Sized>(value: &T) -> String {
    match to_bytes(value) {
        Err(SerializeError::CannotCarry { serializer: "json", what }) => what,
        other => panic!("expected CannotCarry, got {other:?}"),
    }
}

/// The `reason` of a `Malformed` error.
fn malformed(input: &[u8]) -> String {
    match parse_value(input) {
        Err(SerializeError::Malformed { serializer: "json", reason }) => reason,
        other => panic!("{:?}: expected Malformed, got {other:?}", String::from_utf8_lossy(input)),
    }
}

/// A map with keys of any type, in order (std maps need `Ord`/`Hash` keys).
struct Pairs<K, V>(Vec<(K, V)>);

impl<K: Serialize, V: Serialize> Serialize for Pairs<K, V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// An extension value in the serde convention of `value/ext.rs`.
struct Ext<'a>(i8, &'a [u8]);

impl Serialize for Ext<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct("_ExtStruct", &(self.0, serde_bytes::Bytes::new(self.1)))
    }
}

/// xorshift64: a tiny deterministic PRNG for the robustness tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

// ---- writer: typed values --------------------------------------------------------------------

#[test]
fn writes_scalars_like_python() {
    assert_eq!(json(&None::<i32>), "null");
    assert_eq!(json(&()), "null");
    assert_eq!(json(&true), "true");
    assert_eq!(json(&false), "false");
    assert_eq!(json(&0), "0");
    assert_eq!(json(&-1), "-1");
    assert_eq!(json(&Some(5u8)), "5");
    assert_eq!(json(&i64::MIN), "-9223372036854775808");
    assert_eq!(json(&u64::MAX), "18446744073709551615");
    assert_eq!(json(&(1u128 << 64)), "18446744073709551616"); // 2**64
    assert_eq!(json(&i128::MIN), "-170141183460469231731687303715884105728");
    assert_eq!(json(&u128::MAX), "340282366920938463463374607431768211455");
    assert_eq!(json("x"), r#""x""#);
    assert_eq!(json(&'é'), r#""é""#);
    assert_eq!(json(&'"'), r#""\"""#);
}

#[test]
fn writes_floats_as_python_repr() {
    let cases: &[(f64, &str)] = &[
        (1.5, "1.5"),
        (100.0, "100.0"),
        (1e16, "1e+16"),
        (1.5e16, "1.5e+16"),
        (1e15, "1000000000000000.0"),
        (1e-5, "1e-05"),
        (-2.5e-7, "-2.5e-07"),
        (-0.0, "-0.0"),
        (0.1, "0.1"),
        (1e22, "1e+22"),
        (1.2345678901234568e29, "1.2345678901234568e+29"),
        (5e-324, "5e-324"),
        (1.5e-323, "1.5e-323"),
        (f64::MAX, "1.7976931348623157e+308"),
        (1.0 / 3.0, "0.3333333333333333"),
        (12345.678, "12345.678"),
        (f64::NAN, "NaN"),
        (f64::INFINITY, "Infinity"),
        (f64::NEG_INFINITY, "-Infinity"),
    ];
    for &(f, expected) in cases {
        assert_eq!(json(&f), expected, "{f:?}");
    }
    assert_eq!(json(&0.5f32), "0.5");
}

#[test]
fn escapes_strings_like_python_with_ensure_ascii_false() {
    assert_eq!(json("é\"\n\u{1}"), r#""é\"\n\u0001""#);
    let all: String = (0u8..=0x20).map(char::from).chain(['\\', '\u{7f}', '\u{2028}', 'é', '😀']).collect();
    let expected = concat!(
        r#""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#,
        r#"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f "#,
        "\\\\\u{7f}\u{2028}é😀\"",
    );
    assert_eq!(json(&all), expected);
    assert_eq!(json(""), r#""""#);
}

#[test]
fn writes_sequences_and_maps_with_python_separators() {
    assert_eq!(json(&(1, "a")), r#"[1, "a"]"#);
    assert_eq!(json(&(1,)), "[1]");
    assert_eq!(json(&Vec::<i32>::new()), "[]");
    assert_eq!(json(&[[1, 2], [3, 4]]), "[[1, 2], [3, 4]]");
    let inner: BTreeMap<String, i32> = BTreeMap::new();
    assert_eq!(json(&BTreeMap::from([("a", (1, inner))])), r#"{"a": [1, {}]}"#);
    assert_eq!(json(&BTreeMap::from([("a", 1), ("b", 2)])), r#"{"a": 1, "b": 2}"#);
}

#[test]
fn stringifies_int_float_bool_and_none_keys_as_python_does() {
    assert_eq!(json(&BTreeMap::from([(1, "v")])), r#"{"1": "v"}"#);
    assert_eq!(json(&BTreeMap::from([(u128::MAX, 0)])), r#"{"340282366920938463463374607431768211455": 0}"#);
    assert_eq!(json(&Pairs(vec![(true, 1), (false, 2)])), r#"{"true": 1, "false": 2}"#);
    assert_eq!(json(&Pairs(vec![(None::<i32>, 2), (Some(-3), 4)])), r#"{"null": 2, "-3": 4}"#);
    assert_eq!(json(&Pairs(vec![(1.5, 3), (f64::NAN, 4), (1e16, 5)])), r#"{"1.5": 3, "NaN": 4, "1e+16": 5}"#);
    assert_eq!(json(&Pairs(vec![('k', 1)])), r#"{"k": 1}"#);
    assert_eq!(json(&Pairs(vec![("q\"", 1)])), r#"{"q\"": 1}"#);
    assert!(cannot_carry(&Pairs(vec![((1, 2), 1)])).contains("tuple"));
    assert!(cannot_carry(&Pairs(vec![(vec![1], 1)])).contains("list"));
    assert!(cannot_carry(&Pairs(vec![(serde_bytes::Bytes::new(b"k"), 1)])).contains("bytes"));
    assert!(cannot_carry(&Pairs(vec![(Point { x: 1, y: 2 }, 1)])).contains("Point"));
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Point {
    x: i32,
    y: i32,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Shape {
    Empty,
    Circle(f64),
    Line(Point, Point),
    Rect { w: u32, h: u32 },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Record {
    name: String,
    tags: Vec<String>,
    origin: Option<Point>,
    shapes: Vec<Shape>,
    unit: (),
}

#[test]
fn writes_structs_in_field_order_and_enums_as_serde_json_does() {
    assert_eq!(json(&Point { x: 1, y: -2 }), r#"{"x": 1, "y": -2}"#);
    assert_eq!(json(&Shape::Empty), r#""Empty""#);
    assert_eq!(json(&Shape::Circle(0.5)), r#"{"Circle": 0.5}"#);
    assert_eq!(
        json(&Shape::Line(Point { x: 0, y: 0 }, Point { x: 1, y: 1 })),
        r#"{"Line": [{"x": 0, "y": 0}, {"x": 1, "y": 1}]}"#
    );
    assert_eq!(json(&Shape::Rect { w: 2, h: 3 }), r#"{"Rect": {"w": 2, "h": 3}}"#);
    let record = Record {
        name: "r".into(),
        tags: vec![],
        origin: None,
        shapes: vec![Shape::Empty, Shape::Circle(1e-5)],
        unit: (),
    };
    assert_eq!(
        json(&record),
        r#"{"name": "r", "tags": [], "origin": null, "shapes": ["Empty", {"Circle": 1e-05}], "unit": null}"#
    );
    // The same bytes serde_json would give, modulo separators.
    let compact = serde_json::to_string(&record).expect("serde_json");
    assert_eq!(json(&record).replace(", ", ",").replace(": ", ":"), compact.replace("0.00001", "1e-05"));
}

#[test]
fn writes_the_call_shape_byte_identical_to_pyro5() {
    #[derive(Serialize)]
    struct Call<'a, P> {
        object: &'a str,
        method: &'a str,
        params: P,
        kwargs: Option<BTreeMap<String, i32>>,
    }
    let call = Call { object: "thing", method: "add", params: (1, 2), kwargs: Some(BTreeMap::new()) };
    assert_eq!(json(&call), CAPTURED[2]);
    let getattr = Call { object: "thing", method: "__getattr__", params: ["prop"], kwargs: None };
    assert_eq!(json(&getattr), CAPTURED[5]);
    let handshake = BTreeMap::from([("handshake", "hello-from-client"), ("object", "thing")]);
    assert_eq!(json(&handshake), CAPTURED[0]);
}

#[test]
fn refuses_bytes_as_pyro5_does() {
    assert_eq!(cannot_carry(serde_bytes::Bytes::new(b"raw")), "bytes");
    assert_eq!(cannot_carry(&(1, serde_bytes::ByteBuf::from(vec![1u8]))), "bytes");
}

#[test]
fn writes_extension_values() {
    assert_eq!(json(&Ext(0x31, b"18446744073709551616")), "18446744073709551616");
    assert_eq!(json(&Ext(0x31, b"-99999999999999999999")), "-99999999999999999999");
    let ordinal = Date::new(2024, 1, 2).expect("date").ordinal();
    assert_eq!(json(&Ext(0x33, &ordinal.to_ne_bytes())), r#""2024-01-02""#);
    assert_eq!(json(&Ext(0x32, &1_704_164_645.6f64.to_ne_bytes())), r#""2024-01-02T03:04:05.600000""#);
    assert_eq!(json(&[Ext(0x31, b"7")]), "[7]");
    assert_eq!(cannot_carry(&Ext(0x30, &[0; 16])), "complex");
    assert!(cannot_carry(&Ext(0x40, b"")).contains("0x40"));
    // Malformed extension payloads are errors, not garbage output.
    for bad in [Ext(0x31, b"12a"), Ext(0x31, b"012"), Ext(0x31, b""), Ext(0x33, b"1234"), Ext(0x32, b"")] {
        assert!(to_bytes(&bad).is_err());
    }
    assert!(to_bytes(&Ext(0x33, &0i64.to_ne_bytes())).is_err()); // no year 0
    // As dict keys: big integers are stringified, dates refused, as Python does.
    assert_eq!(json(&Pairs(vec![(Ext(0x31, b"18446744073709551616"), 1)])), r#"{"18446744073709551616": 1}"#);
    assert!(cannot_carry(&Pairs(vec![(Ext(0x33, &ordinal.to_ne_bytes()), 1)])).contains("date"));
    assert!(cannot_carry(&Pairs(vec![(Ext(0x30, &[0; 16]), 1)])).contains("complex"));
}

#[test]
fn datetime_isoformat_matches_python_utcfromtimestamp() {
    // datetime.datetime.utcfromtimestamp(ts).isoformat()
    let cases: &[(f64, &str)] = &[
        (0.0, "1970-01-01T00:00:00"),
        (1_704_164_645.6, "2024-01-02T03:04:05.600000"),
        (-1.5, "1969-12-31T23:59:58.500000"),
        (0.000_000_5, "1970-01-01T00:00:00"),
        (0.000_001_5, "1970-01-01T00:00:00.000002"),
        (1.000_001_5, "1970-01-01T00:00:01.000001"),
        (-0.000_000_5, "1970-01-01T00:00:00"),
        (-62_135_596_800.0, "0001-01-01T00:00:00"),
        (951_782_400.25, "2000-02-29T00:00:00.250000"),
    ];
    for &(ts, expected) in cases {
        assert_eq!(json(&Ext(0x32, &ts.to_ne_bytes())), format!("\"{expected}\""), "{ts}");
    }
    // Python: "year 10000 is out of range", "year 0 is out of range".
    for ts in [253_402_300_799.999_999, -62_135_596_800.5, f64::NAN, f64::INFINITY, 1e300] {
        assert!(to_bytes(&Ext(0x32, &ts.to_ne_bytes())).is_err(), "{ts}");
    }
}

// ---- parser ----------------------------------------------------------------------------------

#[test]
fn parses_every_token_kind() {
    assert_eq!(parse("null"), Value::None);
    assert_eq!(parse("true"), Value::Bool(true));
    assert_eq!(parse("false"), Value::Bool(false));
    assert_eq!(parse("0"), Value::Int(0));
    assert_eq!(parse("-12"), Value::Int(-12));
    assert_eq!(parse("1.5"), Value::Float(1.5));
    assert!(parse("NaN").as_f64().is_some_and(f64::is_nan));
    assert_eq!(parse("Infinity"), Value::Float(f64::INFINITY));
    assert_eq!(parse("-Infinity"), Value::Float(f64::NEG_INFINITY));
    assert_eq!(parse(r#""é""#), Value::from("é"));
    assert_eq!(parse("[]"), list([]));
    assert_eq!(parse("{}"), dict([]));
    assert_eq!(
        parse(" \t\r\n[1 , \"a\" ,{ \"k\" : [ ] , \"n\":null} ]\n "),
        list([Value::Int(1), Value::from("a"), dict([("k", list([])), ("n", Value::None)])])
    );
    assert_eq!(parse("[[[]], [{}]]"), list([list([list([])]), list([dict([])])]));
}

#[test]
fn parses_numbers_like_python() {
    assert_eq!(parse("-0"), Value::Int(0));
    assert_eq!(parse("9223372036854775807"), Value::Int(i64::MAX));
    assert_eq!(parse("-9223372036854775808"), Value::Int(i64::MIN));
    assert_eq!(parse("9223372036854775808"), big("9223372036854775808"));
    assert_eq!(parse("-9223372036854775809"), big("-9223372036854775809"));
    assert_eq!(parse("18446744073709551616"), big("18446744073709551616"));
    assert_eq!(parse("000000000000000000001".trim_start_matches('0')), Value::Int(1));
    assert_eq!(parse("1.0E+2"), Value::Float(100.0));
    assert_eq!(parse("1e5"), Value::Float(1e5));
    assert_eq!(parse("2.5e-3"), Value::Float(2.5e-3));
    assert_eq!(parse("1e400"), Value::Float(f64::INFINITY));
    assert_eq!(parse("-1E400"), Value::Float(f64::NEG_INFINITY));
    assert_eq!(parse("1e-400"), Value::Float(0.0));
    assert_eq!(parse("1e99999999999999999999999"), Value::Float(f64::INFINITY));
    assert!(parse("-0.0").as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative()));
    assert_eq!(parse("0.30000000000000004"), Value::Float(0.1 + 0.2));
    let digits = "7".repeat(4300);
    assert_eq!(parse(&digits), big(&digits));
    assert_eq!(parse(&format!("-{digits}")), big(&format!("-{digits}")));
    assert!(malformed("7".repeat(4301).as_bytes()).contains("4300 digits"));
    // Long floats are fine (Python has no limit for them).
    assert_eq!(parse(&format!("0.{}1", "0".repeat(5000))), Value::Float(0.0));
}

#[test]
fn parses_string_escapes() {
    assert_eq!(parse(r#""\"\\\/\b\f\n\r\t""#), Value::from("\"\\/\u{8}\u{c}\n\r\t"));
    assert_eq!(parse(r#""a\u00e9b\u00E9""#), Value::from("aébé"));
    assert_eq!(parse(r#""\u0000\u001f""#), Value::from("\u{0}\u{1f}"));
    assert_eq!(parse(r#""\ud83d\ude00!""#), Value::from("😀!"));
    assert_eq!(parse(r#""\uD83D\uDE00""#), Value::from("😀"));
    assert_eq!(parse("\"raw é 😀 \u{7f}\""), Value::from("raw é 😀 \u{7f}"));
    assert_eq!(parse(r#""x\ny""#), Value::from("x\ny"));
    assert_eq!(malformed(br#""\ud83d""#), "lone surrogate \\ud83d (a Rust string cannot hold it) at byte 1");
    assert!(malformed(br#""\ude00""#).contains("lone surrogate"));
    assert!(malformed(br#""\ud83dx""#).contains("lone surrogate"));
    assert!(malformed(br#""\ud83d\u0041""#).contains("lone surrogate"));
    assert!(malformed(br#""\ud83d\u00""#).contains("invalid \\u escape (4 hex digits expected)"));
}

#[test]
fn keeps_the_last_value_of_a_duplicate_key_at_the_first_position() {
    let v = parse(r#"{"a": 1, "b": 2, "a": 3}"#);
    let d = v.as_dict().expect("dict");
    assert_eq!(d.len(), 2);
    assert_eq!(
        d.iter().map(|(k, v)| (k.as_str(), v.as_i64())).collect::<Vec<_>>(),
        [(Some("a"), Some(3)), (Some("b"), Some(2))]
    );
    // The hashed path for bigger objects.
    let text = format!(
        "{{{}, \"k3\": \"last\", \"k0\": \"again\"}}",
        (0..20).map(|i| format!("\"k{i}\": {i}")).collect::<Vec<_>>().join(", ")
    );
    let v = parse(&text);
    let d = v.as_dict().expect("dict");
    assert_eq!(d.len(), 20);
    assert_eq!(d.get("k3"), Some(&Value::from("last")));
    assert_eq!(d.get("k0"), Some(&Value::from("again")));
    assert_eq!(d.keys().map(|k| k.as_str().unwrap_or_default()).take(4).collect::<Vec<_>>(), ["k0", "k1", "k2", "k3"]);
}

#[test]
fn reports_malformed_input_with_byte_offsets() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "expecting value at byte 0"),
        (b"  ", "expecting value at byte 2"),
        (b"[1,]", "expecting value at byte 3"),
        (br#"{"a":1,}"#, "expecting property name enclosed in double quotes at byte 7"),
        (b"{1:2}", "expecting property name enclosed in double quotes at byte 1"),
        (br#"{"a" 1}"#, "expecting ':' delimiter at byte 5"),
        (b"[1 2]", "expecting ',' or ']' at byte 3"),
        (br#"{"a": 1 "b": 2}"#, "expecting ',' or '}' at byte 8"),
        (b"[1", "expecting ',' or ']' at byte 2"),
        (b"{\"a\": 1", "expecting ',' or '}' at byte 7"),
        (b"[", "expecting value at byte 1"),
        (b"01", "extra data after the value at byte 1"),
        (b"1.", "extra data after the value at byte 1"),
        (b"1e", "extra data after the value at byte 1"),
        (b"1e+", "extra data after the value at byte 1"),
        (b"1 2", "extra data after the value at byte 2"),
        (b"NaN1", "extra data after the value at byte 3"),
        (b"[] x", "extra data after the value at byte 3"),
        (b".5", "expecting value at byte 0"),
        (b"-", "expecting value at byte 0"),
        (b"+1", "expecting value at byte 0"),
        (b"-NaN", "expecting value at byte 0"),
        (b"[-Infinity, -NaN]", "expecting value at byte 12"),
        (b"nul", "expecting value at byte 0"),
        (b"True", "expecting value at byte 0"),
        (b"'a'", "expecting value at byte 0"),
        (br#""\x""#, "invalid \\escape at byte 1"),
        (br#""\u12""#, "invalid \\u escape (4 hex digits expected) at byte 1"),
        (br#""\u12g4""#, "invalid \\u escape (4 hex digits expected) at byte 1"),
        (b"\"a\x01\"", "invalid control character in string at byte 2"),
        (b"\"a\\n\tb\"", "invalid control character in string at byte 4"),
        (b"\"abc", "unterminated string starting at byte 0"),
        (b"[\"a\\\"", "unterminated string starting at byte 1"),
        (b"\xef\xbb\xbf1", "expecting value at byte 0"),
    ];
    for &(input, expected) in cases {
        assert_eq!(malformed(input), expected, "{:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn refuses_invalid_utf8() {
    assert_eq!(malformed(b"\"ab\xff\""), "invalid UTF-8 at byte 3");
    assert_eq!(malformed(b"[\"\xc3\"]"), "invalid UTF-8 at byte 2");
    // A surrogate encoded in UTF-8 (CESU-8) is invalid, as Python's decoder says too.
    assert_eq!(malformed(b"\"\xed\xa0\xbd\""), "invalid UTF-8 at byte 1");
}

#[test]
fn caps_nesting_depth_without_recursion() {
    // `depth` levels of alternating arrays and objects.
    let nested = |depth: usize| {
        let inner = if depth % 2 == 1 { "[]" } else { "0" };
        "[{\"k\": ".repeat(depth / 2) + inner + &"}]".repeat(depth / 2)
    };
    assert!(parse_value(nested(MAX_DEPTH).as_bytes()).is_ok());
    assert!(malformed(nested(MAX_DEPTH + 1).as_bytes()).contains("nesting deeper than 256"));
    assert!(parse_value(nested(MAX_DEPTH - 1).as_bytes()).is_ok());
    assert!(malformed(nested(MAX_DEPTH + 2).as_bytes()).contains("nesting deeper than 256"));
    // Far deeper than any stack could recurse: an error, quickly.
    assert!(malformed("[".repeat(1_000_000).as_bytes()).contains(&format!("at byte {MAX_DEPTH}")));
    assert!(malformed("{\"a\":".repeat(100_000).as_bytes()).contains("nesting"));
}

#[test]
fn parses_captured_pyro5_payloads() {
    for payload in CAPTURED {
        parse(payload);
    }
    assert_eq!(
        parse(CAPTURED[2]),
        dict([
            ("object", Value::from("thing")),
            ("method", Value::from("add")),
            ("params", list([Value::Int(1), Value::Int(2)])),
            ("kwargs", dict([])),
        ])
    );
    assert_eq!(parse(CAPTURED[3]), Value::Int(3));
    let exception = parse(CAPTURED[4]);
    let d = exception.as_dict().expect("dict");
    assert_eq!(
        d.keys().filter_map(Value::as_str).collect::<Vec<_>>(),
        ["__class__", "__exception__", "args", "attributes"]
    );
    assert_eq!(d.get("__class__"), Some(&Value::from("builtins.ValueError")));
    assert_eq!(d.get("__exception__"), Some(&Value::Bool(true)));
    assert_eq!(d.get("args"), Some(&list([Value::from("oops"), Value::Int(42)])));
    let traceback = d.get("attributes").and_then(Value::as_dict).and_then(|a| a.get("_pyroTraceback"));
    let lines = traceback.and_then(Value::as_seq).expect("traceback list");
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], Value::from("Traceback (most recent call last):\n"));
    assert_eq!(
        lines[2],
        Value::from("  File \"<captures>/capture.py\", line 30, in fail\n    raise ValueError(\"oops\", 42)\n")
    );
    assert_eq!(lines[3], Value::from("ValueError: ('oops', 42)\n"));
    let getattr = parse(CAPTURED[5]);
    assert_eq!(getattr.as_dict().and_then(|d| d.get("kwargs")), Some(&Value::None));
    assert_eq!(
        parse(CAPTURED[9]).as_dict().and_then(|d| d.get("state")),
        Some(&list([
            Value::from("PYRO:sub@127.0.0.1:37849"),
            list([]),
            list([Value::from("hello")]),
            list([]),
            Value::from("hello"),
            Value::None,
        ]))
    );
    assert_eq!(parse(CAPTURED[10]), Value::from("handshake rejected: 'reject-me'"));
}

#[test]
fn random_and_mutated_input_never_panics() {
    const TOKENS: &[&str] = &[
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        " ",
        "\"",
        "\"k\"",
        "\\",
        "\\u",
        "d83d",
        "\\ude00",
        "0",
        "-",
        "1",
        "9",
        ".",
        "e",
        "E",
        "+",
        "NaN",
        "Infinity",
        "-Infinity",
        "true",
        "fals",
        "null",
        "é",
        "\u{0}",
        "\n",
        "12345678901234567890",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for round in 0..6000 {
        let input: Vec<u8> = match round % 3 {
            0 => (0..rng.below(40)).map(|_| rng.next() as u8).collect(),
            1 => (0..rng.below(30)).flat_map(|_| TOKENS[rng.below(TOKENS.len())].bytes()).collect(),
            _ => {
                let mut bytes = CAPTURED[rng.below(CAPTURED.len())].as_bytes().to_vec();
                for _ in 0..=rng.below(3) {
                    let at = rng.below(bytes.len());
                    match rng.below(3) {
                        0 => bytes[at] = rng.next() as u8,
                        1 => bytes.truncate(at),
                        _ => {
                            bytes.remove(at);
                        }
                    }
                    if bytes.is_empty() {
                        break;
                    }
                }
                bytes
            }
        };
        match parse_value(&input) {
            Ok(_) => parsed += 1,
            Err(SerializeError::Malformed { serializer: "json", reason }) => assert!(reason.contains(" at byte ")),
            Err(other) => panic!("unexpected error kind {other:?}"),
        }
    }
    assert!(parsed > 100, "only {parsed} inputs parsed: the generator is too weak");
}

// ---- Value through the writer and round trips (needs value/ser.rs and value/de.rs) ----------

#[test]
fn writes_values_like_python() {
    assert_eq!(json(&Value::None), "null");
    assert_eq!(json(&Value::int(1u128 << 64)), "18446744073709551616");
    assert_eq!(json(&big("-18446744073709551617")), "-18446744073709551617");
    assert_eq!(json(&Value::Float(f64::NAN)), "NaN");
    assert_eq!(json(&Value::Tuple(vec![Value::Int(1)])), "[1]");
    assert_eq!(json(&Value::Set(vec![Value::Int(1), Value::from("a")])), r#"[1, "a"]"#);
    assert_eq!(json(&dict([("a", list([Value::Int(1), dict([])]))])), r#"{"a": [1, {}]}"#);
    let mut keys = Dict::new();
    keys.insert(1, "v");
    keys.insert(false, 1); // `true` would be the key 1, as in Python
    keys.insert(Value::None, 2);
    keys.insert(1.5, 3);
    keys.insert(Value::int(1u128 << 70), 5);
    assert_eq!(json(&Value::Dict(keys)), r#"{"1": "v", "false": 1, "null": 2, "1.5": 3, "1180591620717411303424": 5}"#);
    let mut tuple_key = Dict::new();
    tuple_key.insert(Value::Tuple(vec![Value::Int(1)]), 1);
    assert!(cannot_carry(&Value::Dict(tuple_key)).contains("tuple"));
    assert_eq!(json(&Value::Date(Date::new(2024, 1, 2).expect("date"))), r#""2024-01-02""#);
    assert_eq!(json(&Value::DateTime(1_704_164_645.6)), r#""2024-01-02T03:04:05.600000""#);
    assert_eq!(cannot_carry(&Value::Bytes(b"x".to_vec())), "bytes");
    assert_eq!(cannot_carry(&Value::Complex { re: 1.0, im: 2.0 }), "complex");
}

#[test]
fn captured_payloads_rewrite_byte_identical() {
    for payload in CAPTURED {
        assert_eq!(json(&parse(payload)), *payload);
    }
}

/// A random value that json carries unchanged (no tuples, sets, bytes, dates or non-str keys).
fn random_value(rng: &mut Rng, depth: usize) -> Value {
    const STRINGS: &[&str] = &["", "a", "é\"\\", "\n\t\u{1}\u{1f}", "😀", "\u{2028}x", "NaN", "12"];
    match rng.below(if depth == 0 { 6 } else { 8 }) {
        0 => Value::None,
        1 => Value::Bool(rng.next().is_multiple_of(2)),
        2 => Value::Int(rng.next() as i64 >> rng.below(64)),
        3 => {
            let f = f64::from_bits(rng.next());
            Value::Float(if rng.below(4) == 0 { [f64::NAN, f64::INFINITY, -0.0, 1e16][rng.below(4)] } else { f })
        }
        4 => Value::int(BigInt::from(rng.next()) * BigInt::from(rng.next()) * BigInt::from(rng.next())),
        5 => Value::from(STRINGS[rng.below(STRINGS.len())].repeat(rng.below(3))),
        6 => Value::List((0..rng.below(4)).map(|_| random_value(rng, depth - 1)).collect()),
        _ => {
            let mut d = Dict::new();
            for _ in 0..rng.below(4) {
                d.insert(STRINGS[rng.below(STRINGS.len())], random_value(rng, depth - 1));
            }
            Value::Dict(d)
        }
    }
}

#[test]
fn values_round_trip_through_write_and_parse() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for _ in 0..2000 {
        let value = random_value(&mut rng, 4);
        let bytes = to_bytes(&value).expect("carriable");
        assert_eq!(parse_value(&bytes).expect("own output parses"), value, "{}", String::from_utf8_lossy(&bytes));
    }
    // Tuples and sets come back as lists.
    let bytes = to_bytes(&Value::Tuple(vec![Value::Set(vec![Value::Int(1)])])).expect("carriable");
    assert_eq!(parse_value(&bytes).expect("parses"), list([list([Value::Int(1)])]));
}

#[test]
fn parsed_input_round_trips() {
    const ALPHABET: &[u8] = b"0123456789-.eE[]{},:\"\\ntfuNI ";
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    for _ in 0..3000 {
        let mut bytes = CAPTURED[rng.below(CAPTURED.len())].as_bytes().to_vec();
        let at = rng.below(bytes.len());
        bytes[at] = ALPHABET[rng.below(ALPHABET.len())];
        if let Ok(value) = parse_value(&bytes) {
            let again = to_bytes(&value).expect("parsed json is carriable");
            assert_eq!(parse_value(&again).expect("own output parses"), value);
        }
    }
}

#[test]
fn typed_values_round_trip_through_from_bytes() {
    let record = Record {
        name: "rec é".into(),
        tags: vec!["a".into(), "\"b\"".into()],
        origin: Some(Point { x: -1, y: 2 }),
        shapes: vec![
            Shape::Empty,
            Shape::Circle(f64::INFINITY),
            Shape::Line(Point { x: 0, y: 0 }, Point { x: 3, y: 4 }),
            Shape::Rect { w: 5, h: 6 },
        ],
        unit: (),
    };
    let bytes = to_bytes(&record).expect("serializable");
    assert_eq!(from_bytes::<Record>(&bytes).expect("deserializable"), record);
    let n: u128 = from_bytes(b"340282366920938463463374607431768211455").expect("u128");
    assert_eq!(n, u128::MAX);
    let v: Value = from_bytes(CAPTURED[2].as_bytes()).expect("value");
    assert_eq!(v, parse(CAPTURED[2]));
    assert!(matches!(from_bytes::<Point>(b"{\"x\": 1"), Err(SerializeError::Malformed { .. })));
}

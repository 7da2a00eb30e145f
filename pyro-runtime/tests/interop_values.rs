//! Values both ways between Rust and real Python Pyro5 5.17, over msgpack and json:
//! bytes that Pyro5's serializers produce decode to the expected `Value`, and bytes that Rust
//! produces are loaded by Pyro5 as the expected Python value (same types, same contents).
//! Covers every value kind of reference section 3.5 that msgpack or json can carry.

use pyro_interop::CodecPeer;
use pyro_runtime::value::{Date, Dict, Value};
use pyro_runtime::{RemoteError, Serializer};

const MSGPACK: u8 = 4;
const JSON: u8 = 3;

fn big(text: &str) -> Value {
    Value::int(text.parse::<num_bigint::BigInt>().expect("valid integer"))
}

fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

fn dict(entries: Vec<(&str, Value)>) -> Value {
    Value::Dict(entries.into_iter().collect())
}

fn s(text: &str) -> Value {
    Value::from(text)
}

/// Cases shared by both serializers: (Python expression, the Value Rust must decode).
fn common_from_python() -> Vec<(&'static str, Value)> {
    vec![
        ("None", Value::None),
        ("True", Value::Bool(true)),
        ("False", Value::Bool(false)),
        ("0", Value::Int(0)),
        ("-1", Value::Int(-1)),
        ("127", Value::Int(127)),
        ("128", Value::Int(128)),
        ("-33", Value::Int(-33)),
        ("65536", Value::Int(65536)),
        ("2**63-1", Value::Int(i64::MAX)),
        ("-2**63", Value::Int(i64::MIN)),
        ("2**64-1", big("18446744073709551615")),
        ("2**64", big("18446744073709551616")),
        ("-2**63-1", big("-9223372036854775809")),
        ("3**100", big("515377520732011331036461129765621272702107522001")),
        ("-(3**100)", big("-515377520732011331036461129765621272702107522001")),
        ("1.5", Value::Float(1.5)),
        ("-0.0", Value::Float(-0.0)),
        ("1e300", Value::Float(1e300)),
        ("1e16", Value::Float(1e16)),
        ("5e-324", Value::Float(5e-324)),
        ("nan", Value::Float(f64::NAN)),
        ("inf", Value::Float(f64::INFINITY)),
        ("-inf", Value::Float(f64::NEG_INFINITY)),
        ("''", s("")),
        ("'hello'", s("hello")),
        ("'é ünïcode ✓ 😀 \\n\\t\"quoted\" \\\\ \\x01'", s("é ünïcode ✓ 😀 \n\t\"quoted\" \\ \u{1}")),
        ("'x' * 70000", s(&"x".repeat(70000))),
        (
            "[1, 'a', None, [2.5, []]]",
            list(vec![Value::Int(1), s("a"), Value::None, list(vec![Value::Float(2.5), list(vec![])])]),
        ),
        ("(1, 'two')", list(vec![Value::Int(1), s("two")])),
        ("()", list(vec![])),
        ("{3}", list(vec![Value::Int(3)])),
        (
            "{'a': 1, 'b': [True], 'c': {}}",
            dict(vec![("a", Value::Int(1)), ("b", list(vec![Value::Bool(true)])), ("c", Value::Dict(Dict::new()))]),
        ),
        ("list(range(100))", list((0..100).map(Value::Int).collect())),
        ("decimal.Decimal('1.10')", s("1.10")),
        ("uuid.UUID('12345678-1234-5678-1234-567812345678')", s("12345678-1234-5678-1234-567812345678")),
        ("array.array('i', [1, 2, 3])", list(vec![Value::Int(1), Value::Int(2), Value::Int(3)])),
        ("Plain(1, 'x')", dict(vec![("a", Value::Int(1)), ("b", s("x")), ("__class__", s("interop.Plain"))])),
    ]
}

fn msgpack_from_python() -> Vec<(&'static str, Value)> {
    vec![
        ("b''", Value::Bytes(vec![])),
        ("b'\\x00\\xffabc'", Value::Bytes(vec![0, 0xff, b'a', b'b', b'c'])),
        ("bytearray(b'ab')", Value::Bytes(b"ab".to_vec())),
        ("memoryview(b'ab')", Value::Bytes(b"ab".to_vec())),
        ("bytes(range(256)) * 300", Value::Bytes((0..=255u8).cycle().take(256 * 300).collect())),
        ("complex(1.5, -2)", Value::Complex { re: 1.5, im: -2.0 }),
        ("datetime.date(2024, 1, 2)", Value::Date(Date::new(2024, 1, 2).expect("valid date"))),
        ("datetime.date(1, 1, 1)", Value::Date(Date::new(1, 1, 1).expect("valid date"))),
        // The peer runs with TZ=UTC: Pyro5 sends the local-time timestamp.
        ("datetime.datetime(2024, 1, 2, 3, 4, 5, 600000)", Value::DateTime(1_704_164_645.6)),
        (
            "{'set': {1}, 'tuple': (1,)}",
            dict(vec![("set", list(vec![Value::Int(1)])), ("tuple", list(vec![Value::Int(1)]))]),
        ),
    ]
}

fn json_from_python() -> Vec<(&'static str, Value)> {
    vec![
        ("datetime.date(2024, 1, 2)", s("2024-01-02")),
        ("datetime.datetime(2024, 1, 2, 3, 4, 5, 600000)", s("2024-01-02T03:04:05.600000")),
        (
            "{1: 'int key', None: 'none key', 2.5: 'float key'}",
            dict(vec![("1", s("int key")), ("null", s("none key")), ("2.5", s("float key"))]),
        ),
    ]
}

#[test]
fn python_values_decode_in_rust() {
    let mut peer = CodecPeer::start();
    let mut failures = Vec::new();
    for (ser_id, cases) in [
        (MSGPACK, common_from_python().into_iter().chain(msgpack_from_python()).collect::<Vec<_>>()),
        (JSON, common_from_python().into_iter().chain(json_from_python()).collect()),
    ] {
        let ser = Serializer::from_id(ser_id).expect("supported serializer");
        for (expr, expected) in cases {
            let bytes = peer.dumps(ser_id, expr);
            match ser.from_bytes::<Value>(&bytes) {
                Ok(value) if value == expected => {}
                Ok(value) => failures.push(format!("{ser} {expr}: decoded {value:?}, expected {expected:?}")),
                Err(e) => failures.push(format!("{ser} {expr}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// Cases for Rust → Python: (the Value Rust encodes, the Python value Pyro5 must load).
fn common_to_python() -> Vec<(Value, &'static str)> {
    vec![
        (Value::None, "None"),
        (Value::Bool(true), "True"),
        (Value::Int(0), "0"),
        (Value::Int(-1), "-1"),
        (Value::Int(255), "255"),
        (Value::Int(-129), "-129"),
        (Value::Int(i64::MAX), "2**63-1"),
        (Value::Int(i64::MIN), "-2**63"),
        (big("18446744073709551615"), "2**64-1"),
        (big("18446744073709551616"), "2**64"),
        (big("-9223372036854775809"), "-2**63-1"),
        (big("-515377520732011331036461129765621272702107522001"), "-(3**100)"),
        (Value::Float(1.5), "1.5"),
        (Value::Float(-0.0), "-0.0"),
        (Value::Float(1e16), "1e16"),
        (Value::Float(1e-5), "1e-05"),
        (Value::Float(0.1), "0.1"),
        (Value::Float(f64::MAX), "1.7976931348623157e308"),
        (Value::Float(f64::NAN), "nan"),
        (Value::Float(f64::INFINITY), "inf"),
        (Value::Float(f64::NEG_INFINITY), "-inf"),
        (s(""), "''"),
        (s("é ünïcode ✓ 😀 \n\t\"q\" \\ \u{1}\u{7f}"), "'é ünïcode ✓ 😀 \\n\\t\"q\" \\\\ \\x01\\x7f'"),
        (list(vec![Value::Int(1), s("a"), Value::None]), "[1, 'a', None]"),
        (Value::Tuple(vec![Value::Int(1), s("two")]), "[1, 'two']"),
        (Value::Set(vec![Value::Int(3)]), "[3]"),
        (dict(vec![("a", Value::Int(1)), ("b", list(vec![]))]), "{'a': 1, 'b': []}"),
    ]
}

fn msgpack_to_python() -> Vec<(Value, &'static str)> {
    vec![
        (Value::Bytes(vec![0, 0xff, b'a']), "b'\\x00\\xffa'"),
        (Value::Bytes(vec![7; 70000]), "b'\\x07' * 70000"),
        (Value::Complex { re: 1.5, im: -2.0 }, "complex(1.5, -2)"),
        (Value::Date(Date::new(2024, 1, 2).expect("valid date")), "datetime.date(2024, 1, 2)"),
        (Value::DateTime(1_704_164_645.6), "datetime.datetime(2024, 1, 2, 3, 4, 5, 600000)"),
        (dict(vec![("k", Value::Bytes(b"v".to_vec()))]), "{'k': b'v'}"),
    ]
}

fn json_to_python() -> Vec<(Value, &'static str)> {
    vec![
        (Value::Date(Date::new(2024, 1, 2).expect("valid date")), "'2024-01-02'"),
        (Value::DateTime(1_704_164_645.6), "'2024-01-02T03:04:05.600000'"),
        (
            // (`True` would be the key 1 again, as in Python.)
            Value::Dict([(Value::Int(1), s("int key")), (Value::Bool(false), s("bool key"))].into_iter().collect()),
            "{'1': 'int key', 'false': 'bool key'}",
        ),
    ]
}

#[test]
fn rust_values_load_in_python() {
    let mut peer = CodecPeer::start();
    let mut failures = Vec::new();
    for (ser_id, cases) in [
        (MSGPACK, common_to_python().into_iter().chain(msgpack_to_python()).collect::<Vec<_>>()),
        (JSON, common_to_python().into_iter().chain(json_to_python()).collect()),
    ] {
        let ser = Serializer::from_id(ser_id).expect("supported serializer");
        for (value, expected) in cases {
            match ser.to_bytes(&value) {
                Ok(bytes) => {
                    if let Err(why) = peer.loads_equals(ser_id, &bytes, expected) {
                        failures.push(format!("{ser} {value:?}: {why}"));
                    }
                }
                Err(e) => failures.push(format!("{ser} {value:?}: cannot encode: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn rust_encoding_is_byte_identical_to_pyro5_for_plain_values() {
    let mut peer = CodecPeer::start();
    for ser_id in [MSGPACK, JSON] {
        let ser = Serializer::from_id(ser_id).expect("supported serializer");
        for (value, expr) in common_to_python() {
            if matches!(value, Value::Set(_)) {
                continue; // Python writes a set as a tuple-shaped array too, but set order is Python's own
            }
            let ours = ser.to_bytes(&value).expect("encodable");
            let python_expr = match &value {
                Value::Tuple(_) => "(1, 'two')",
                _ => expr,
            };
            assert_eq!(ours, peer.dumps(ser_id, python_expr), "{ser}: {value:?} vs Python {python_expr}");
        }
    }
}

#[test]
fn json_refuses_what_pyro5_json_refuses() {
    for value in [Value::Bytes(b"x".to_vec()), Value::Complex { re: 1.0, im: 0.0 }] {
        let err = Serializer::Json.to_bytes(&value).expect_err("json cannot carry it");
        assert!(err.to_string().contains("json"), "{err}");
    }
}

#[test]
fn exceptions_cross_both_ways() {
    let mut peer = CodecPeer::start();
    for ser_id in [MSGPACK, JSON] {
        let ser = Serializer::from_id(ser_id).expect("supported serializer");

        // Python → Rust: a raised exception as Pyro5 sends it, traceback included.
        let bytes = peer.dumps(ser_id, "(lambda e: (setattr(e, '_pyroTraceback', ['Traceback...\\n', 'ValueError: oops\\n']), e)[1])(ValueError('oops', 42))");
        let value: Value = ser.from_bytes(&bytes).expect("decodes");
        let err = RemoteError::from_value(&value).expect("an exception dict");
        assert_eq!(err.class, "builtins.ValueError");
        assert_eq!(err.args, vec![s("oops"), Value::Int(42)]);
        assert_eq!(err.message, "('oops', 42)");
        assert_eq!(err.traceback, vec!["Traceback...\n".to_string(), "ValueError: oops\n".to_string()]);

        // Python → Rust: a Pyro5 error class.
        let bytes = peer.dumps(ser_id, "Pyro5.errors.NamingError('unknown name: x')");
        let err = RemoteError::from_value(&ser.from_bytes(&bytes).expect("decodes")).expect("an exception dict");
        assert_eq!((err.class.as_str(), err.message.as_str()), ("Pyro5.errors.NamingError", "unknown name: x"));

        // Rust → Python: Pyro5 rebuilds the exception with its args and traceback.
        let ours = RemoteError::new("builtins.ValueError", vec![s("bad"), Value::Int(7)])
            .with_traceback(vec!["Traceback (most recent call last):\n".into(), "ValueError: ('bad', 7)\n".into()]);
        let bytes = ser.to_bytes(&ours.to_value()).expect("encodes");
        let reply = peer.request(serde_json::json!({"op": "loads", "ser": ser_id, "hex": pyro_interop::hex(&bytes)}));
        assert_eq!(reply["exception"]["class"], "builtins.ValueError", "{reply}");
        assert_eq!(reply["exception"]["args"], "('bad', 7)", "{reply}");
        assert_eq!(reply["exception"]["traceback"][1], "ValueError: ('bad', 7)\n", "{reply}");

        // Rust → Python: a local pyro error reaches Python as the matching Pyro5 class.
        let local = pyro_runtime::Error::Naming { message: "unknown name: y".into() };
        let bytes = ser.to_bytes(&local.to_remote().to_value()).expect("encodes");
        let reply = peer.request(serde_json::json!({"op": "loads", "ser": ser_id, "hex": pyro_interop::hex(&bytes)}));
        assert_eq!(reply["exception"]["class"], "Pyro5.errors.NamingError", "{reply}");
        assert_eq!(reply["exception"]["str"], "unknown name: y", "{reply}");
    }
}

//! Values both ways between Rust and real Python Pyro5 5.17 over the marshal serializer (id 2):
//! bytes that Pyro5's marshal serializer produces (FLAG_REF, back-references and interned
//! strings included) decode to the expected `Value`, and bytes that Rust produces are loaded by
//! Pyro5 as the expected Python value (same types, same contents).

use pyro_interop::CodecPeer;
use pyro_runtime::serializer::ProxyState;
use pyro_runtime::serializer::marshal::{from_bytes, parse_value, to_bytes};
use pyro_runtime::value::{Date, Dict, Value};
use pyro_runtime::{RemoteError, Uri};

const MARSHAL: u8 = 2;

fn big(text: &str) -> Value {
    Value::int(text.parse::<num_bigint::BigInt>().expect("valid integer"))
}

fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

fn tuple(items: Vec<Value>) -> Value {
    Value::Tuple(items)
}

fn set(items: Vec<Value>) -> Value {
    Value::Set(items)
}

fn dict(entries: Vec<(Value, Value)>) -> Value {
    Value::Dict(entries.into_iter().collect::<Dict>())
}

fn s(text: &str) -> Value {
    Value::from(text)
}

/// (Python expression, the Value Rust must decode from Pyro5's marshal bytes for it).
fn from_python() -> Vec<(&'static str, Value)> {
    vec![
        ("None", Value::None),
        ("True", Value::Bool(true)),
        ("False", Value::Bool(false)),
        ("0", Value::Int(0)),
        ("-5", Value::Int(-5)),
        ("256", Value::Int(256)),
        ("257", Value::Int(257)),
        ("2**31-1", Value::Int(i32::MAX.into())),
        ("-2**31", Value::Int(i32::MIN.into())),
        ("2**31", Value::Int(1 << 31)),
        ("2**63-1", Value::Int(i64::MAX)),
        ("-2**63", Value::Int(i64::MIN)),
        ("2**64", big("18446744073709551616")),
        ("3**100", big("515377520732011331036461129765621272702107522001")),
        ("-(3**100)", big("-515377520732011331036461129765621272702107522001")),
        ("1.5", Value::Float(1.5)),
        ("-0.0", Value::Float(-0.0)),
        ("5e-324", Value::Float(5e-324)),
        ("nan", Value::Float(f64::NAN)),
        ("-inf", Value::Float(f64::NEG_INFINITY)),
        ("complex(1.5, -2)", Value::Complex { re: 1.5, im: -2.0 }),
        ("''", s("")),
        ("'hello'", s("hello")),
        ("'hello world'", s("hello world")),
        ("'é ünïcode ✓ 😀 \\n\\x00'", s("é ünïcode ✓ 😀 \n\u{0}")),
        ("'x' * 70000", s(&"x".repeat(70000))),
        ("'é' * 300", s(&"é".repeat(300))),
        ("b''", Value::Bytes(vec![])),
        ("b'\\x00\\xffabc'", Value::Bytes(vec![0, 0xff, b'a', b'b', b'c'])),
        ("bytearray(b'ab')", Value::Bytes(b"ab".to_vec())),
        ("bytes(range(256)) * 300", Value::Bytes((0..=255u8).cycle().take(256 * 300).collect())),
        ("()", tuple(vec![])),
        ("(1, 'two')", tuple(vec![Value::Int(1), s("two")])),
        ("tuple(range(300))", tuple((0..300).map(Value::Int).collect())),
        ("[1, 'a', None, [2.5, []]]", list(vec![1.into(), s("a"), Value::None, list(vec![2.5.into(), list(vec![])])])),
        ("list(range(-10, 1000))", list((-10..1000).map(Value::Int).collect())),
        ("{3}", set(vec![3.into()])),
        ("set()", set(vec![])),
        ("frozenset({'a'})", set(vec![s("a")])),
        ("{1: 'int key', (1, 'a'): 'tuple key', frozenset({2}): {3}, None: b'v', 2.5: 1j}", {
            dict(vec![
                (1.into(), s("int key")),
                (tuple(vec![1.into(), s("a")]), s("tuple key")),
                (set(vec![2.into()]), set(vec![3.into()])),
                (Value::None, Value::Bytes(b"v".to_vec())),
                (2.5.into(), Value::Complex { re: 0.0, im: 1.0 }),
            ])
        }),
        // Shared objects: Python writes the second occurrence as a back-reference.
        ("(lambda d: [d, d, d['k']])({'k': 'shared value'})", {
            let d = dict(vec![(s("k"), s("shared value"))]);
            list(vec![d.clone(), d, s("shared value")])
        }),
        ("(lambda t: {'a': t, 'b': [t, t]})((1.5, 'x y', 2**70))", {
            let t = tuple(vec![1.5.into(), s("x y"), Value::int(1u128 << 70)]);
            dict(vec![(s("a"), t.clone()), (s("b"), list(vec![t.clone(), t]))])
        }),
        ("[{'name': 'n%d' % i, 'id': i} for i in range(3)]", {
            list((0..3).map(|i| dict(vec![(s("name"), s(&format!("n{i}"))), (s("id"), Value::Int(i))])).collect())
        }),
        ("uuid.UUID('12345678-1234-5678-1234-567812345678')", s("12345678-1234-5678-1234-567812345678")),
        ("array.array('i', [1, 2, 3])", list(vec![1.into(), 2.into(), 3.into()])),
        ("Plain(1, 'x')", dict(vec![(s("a"), 1.into()), (s("b"), s("x")), (s("__class__"), s("interop.Plain"))])),
    ]
}

#[test]
fn python_values_decode_in_rust() {
    let mut peer = CodecPeer::start();
    let mut failures = Vec::new();
    for (expr, expected) in from_python() {
        let bytes = peer.dumps(MARSHAL, expr);
        match parse_value(&bytes) {
            Ok(value) if value == expected => {}
            Ok(value) => failures.push(format!("{expr}: decoded {value:?}, expected {expected:?}")),
            Err(e) => failures.push(format!("{expr}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// (the Value Rust encodes, the Python value Pyro5 must load).
fn to_python() -> Vec<(Value, &'static str)> {
    vec![
        (Value::None, "None"),
        (Value::Bool(false), "False"),
        (Value::Int(-1), "-1"),
        (Value::Int(i32::MAX.into()), "2**31-1"),
        (Value::Int(1 << 31), "2**31"),
        (Value::Int(i64::MIN), "-2**63"),
        (big("18446744073709551616"), "2**64"),
        (big("-515377520732011331036461129765621272702107522001"), "-(3**100)"),
        (Value::Float(0.1), "0.1"),
        (Value::Float(-0.0), "-0.0"),
        (Value::Float(f64::NAN), "nan"),
        (Value::Float(f64::INFINITY), "inf"),
        (Value::Complex { re: 1.5, im: -2.0 }, "complex(1.5, -2)"),
        (s(""), "''"),
        (s("ascii"), "'ascii'"),
        (s(&"x".repeat(300)), "'x' * 300"),
        (s("é ünïcode ✓ 😀 \n\u{0}"), "'é ünïcode ✓ 😀 \\n\\x00'"),
        (Value::Bytes(vec![0, 0xff, b'a']), "b'\\x00\\xffa'"),
        (Value::Bytes(vec![7; 70000]), "b'\\x07' * 70000"),
        (tuple(vec![]), "()"),
        (tuple(vec![1.into(), s("two")]), "(1, 'two')"),
        (tuple((0..300).map(Value::Int).collect()), "tuple(range(300))"),
        (list(vec![1.into(), list(vec![]), Value::None]), "[1, [], None]"),
        (set(vec![1.into(), s("a")]), "{1, 'a'}"),
        (set(vec![set(vec![1.into()])]), "{frozenset({1})}"),
        (
            dict(vec![
                (s("a"), 1.into()),
                (1.into(), list(vec![])),
                (tuple(vec![1.into(), set(vec![2.into()])]), s("t")),
                (Value::Bytes(b"k".to_vec()), Value::None),
                (Value::None, 2.5.into()),
            ]),
            "{'a': 1, 1: [], (1, frozenset({2})): 't', b'k': None, None: 2.5}",
        ),
    ]
}

#[test]
fn rust_values_load_in_python() {
    let mut peer = CodecPeer::start();
    let mut failures = Vec::new();
    for (value, expected) in to_python() {
        match to_bytes(&value) {
            Ok(bytes) => {
                if let Err(why) = peer.loads_equals(MARSHAL, &bytes, expected) {
                    failures.push(format!("{value:?}: {why}"));
                }
            }
            Err(e) => failures.push(format!("{value:?}: cannot encode: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Item {
    name: String,
    id: u64,
    price: f64,
    tags: Vec<String>,
    owner: Option<Value>,
}

#[test]
fn python_data_decodes_into_typed_rust() {
    let mut peer = CodecPeer::start();
    // Repeated keys and the shared tuple are back-references in Python's bytes.
    let bytes = peer.dumps(
        MARSHAL,
        "(lambda t: [{'name': 'n%d' % i, 'id': i * 99999, 'price': i * 1.5, 'tags': ['a', 'b'], 'owner': t} \
         for i in range(300)])(('x', frozenset({1})))",
    );
    let items: Vec<Item> = from_bytes(&bytes).expect("decodes");
    assert_eq!(items.len(), 300);
    let owner = tuple(vec![s("x"), set(vec![1.into()])]);
    for (i, item) in items.iter().enumerate() {
        let expected = Item {
            name: format!("n{i}"),
            id: i as u64 * 99999,
            price: i as f64 * 1.5,
            tags: vec!["a".into(), "b".into()],
            owner: Some(owner.clone()),
        };
        assert_eq!(*item, expected);
    }
    let reply = peer.request(serde_json::json!({
        "op": "dumps_call", "ser": MARSHAL, "object": "thing", "method": "add",
        "vargs": "(1, 'a')", "kwargs": "{'k': b'v'}",
    }));
    let call: (String, String, Vec<Value>, std::collections::BTreeMap<String, serde_bytes::ByteBuf>) =
        from_bytes(&pyro_interop::unhex(reply["hex"].as_str().expect("hex"))).expect("decodes");
    assert_eq!(
        (call.0.as_str(), call.1.as_str(), call.2, call.3["k"].as_slice()),
        ("thing", "add", vec![1.into(), s("a")], &b"v"[..])
    );
}

#[derive(serde::Serialize)]
struct Order {
    id: u64,
    item: String,
    qty: Option<i32>,
    tags: Vec<&'static str>,
    pos: (f64, f64),
    kind: Kind,
}

#[derive(serde::Serialize)]
enum Kind {
    Express { days: u8 },
}

#[test]
fn typed_rust_data_loads_in_python() {
    let mut peer = CodecPeer::start();
    let order = Order {
        id: u64::MAX,
        item: "tea ☕".into(),
        qty: None,
        tags: vec!["a", "b"],
        pos: (1.5, -2.0),
        kind: Kind::Express { days: 2 },
    };
    let bytes = to_bytes(&order).expect("encodes");
    peer.loads_equals(
        MARSHAL,
        &bytes,
        "{'id': 2**64-1, 'item': 'tea ☕', 'qty': None, 'tags': ['a', 'b'], 'pos': (1.5, -2.0), \
         'kind': {'Express': {'days': 2}}}",
    )
    .unwrap_or_else(|why| panic!("{why}"));
}

/// Python's output where the only reference-count-driven difference is the top-level FLAG_REF
/// bit (each value is built fresh, so nothing inside is shared or interned).
#[test]
fn rust_encoding_is_byte_identical_to_python_for_fresh_values() {
    let mut peer = CodecPeer::start();
    let cases: Vec<(Value, &str)> = vec![
        (Value::None, "None"),
        (Value::Bool(true), "True"),
        (Value::Float(1.5), "float('1.5')"),
        (big("-515377520732011331036461129765621272702107522001"), "-(3**100)"),
        (Value::Int(1 << 40), "2**40"),
        (s("hello world"), "'hello world'"),
        (s("é ü"), "'é ü'"),
        (Value::Complex { re: 1.0, im: 2.0 }, "complex('1+2j')"),
        (Value::Bytes(b"\x00\xff".to_vec()), "bytes([0, 255])"),
        (list(vec![1.5.into(), 2.5.into()]), "[float(x) for x in '1.5 2.5'.split()]"),
        (list(vec![s("a b"), s("c d")]), "'a b,c d'.split(',')"),
        (tuple(vec![Value::int(1u64 << 50), Value::Bytes(vec![0; 3])]), "(2**50 + int('0'), bytes(3))"),
        (dict(vec![(s("x y"), Value::int(1u64 << 33))]), "{'x y' + str(): 2**33 + int('0')}"),
    ];
    for (value, expr) in cases {
        let mut python = peer.dumps(MARSHAL, expr);
        if let Some(first) = python.first_mut() {
            *first &= 0x7f;
        }
        assert_eq!(to_bytes(&value).expect("encodes"), python, "{value:?} vs Python {expr}");
    }
}

#[test]
fn exceptions_uris_proxies_and_calls_as_pyro5_marshal_makes_them() {
    let mut peer = CodecPeer::start();

    // A raised exception, traceback included.
    let bytes = peer.dumps(
        MARSHAL,
        "(lambda e: (setattr(e, '_pyroTraceback', ['Traceback...\\n', 'ValueError: oops\\n']), e)[1])(ValueError('oops', 42))",
    );
    let err = RemoteError::from_value(&parse_value(&bytes).expect("decodes")).expect("an exception dict");
    assert_eq!(err.class, "builtins.ValueError");
    assert_eq!(err.args, vec![s("oops"), Value::Int(42)]);
    assert_eq!(err.traceback, vec!["Traceback...\n".to_string(), "ValueError: oops\n".to_string()]);
    let bytes = peer.dumps(MARSHAL, "Pyro5.errors.NamingError('unknown name: x')");
    let err = RemoteError::from_value(&parse_value(&bytes).expect("decodes")).expect("an exception dict");
    assert_eq!((err.class.as_str(), err.message.as_str()), ("Pyro5.errors.NamingError", "unknown name: x"));

    // Rust → Python: Pyro5 rebuilds the exception with its args and traceback.
    let ours = RemoteError::new("builtins.ValueError", vec![s("bad"), Value::Int(7)])
        .with_traceback(vec!["Traceback (most recent call last):\n".into(), "ValueError: ('bad', 7)\n".into()]);
    let bytes = to_bytes(&ours.to_value()).expect("encodes");
    let reply = peer.request(serde_json::json!({"op": "loads", "ser": MARSHAL, "hex": pyro_interop::hex(&bytes)}));
    assert_eq!(reply["exception"]["class"], "builtins.ValueError", "{reply}");
    assert_eq!(reply["exception"]["args"], "('bad', 7)", "{reply}");
    assert_eq!(reply["exception"]["traceback"][1], "ValueError: ('bad', 7)\n", "{reply}");

    // URIs and proxies both ways.
    let bytes = peer.dumps(MARSHAL, "Pyro5.core.URI('PYRO:obj@localhost:4444')");
    let uri = Uri::from_value(&parse_value(&bytes).expect("decodes")).expect("a uri dict");
    assert_eq!(uri.to_string(), "PYRO:obj@localhost:4444");
    let bytes = to_bytes(&uri.to_value()).expect("encodes");
    peer.loads_equals(MARSHAL, &bytes, "Pyro5.core.URI('PYRO:obj@localhost:4444')")
        .unwrap_or_else(|why| panic!("{why}"));
    let bytes = peer.dumps(MARSHAL, "Pyro5.client.Proxy('PYRO:obj@localhost:4444')");
    let proxy = ProxyState::from_value(&parse_value(&bytes).expect("decodes")).expect("a proxy dict");
    assert_eq!(proxy.uri.to_string(), "PYRO:obj@localhost:4444");

    // The call shape Pyro5's dumpsCall writes: (object, method, vargs list, kwargs dict).
    let reply = peer.request(serde_json::json!({
        "op": "dumps_call", "ser": MARSHAL, "object": "thing", "method": "add",
        "vargs": "(1, 'a', Pyro5.core.URI('PYRO:x@h:1'))", "kwargs": "{'k': b'v'}",
    }));
    let call = parse_value(&pyro_interop::unhex(reply["hex"].as_str().expect("hex"))).expect("decodes");
    let uri_dict = Uri::from_value(&Value::from("PYRO:x@h:1")).expect("uri").to_value();
    assert_eq!(
        call,
        tuple(vec![
            s("thing"),
            s("add"),
            list(vec![1.into(), s("a"), uri_dict]),
            dict(vec![(s("k"), Value::Bytes(b"v".to_vec()))]),
        ])
    );
}

#[test]
fn marshal_refuses_dates_as_python_does() {
    for value in [Value::Date(Date::new(2024, 1, 2).expect("valid date")), Value::DateTime(0.0)] {
        let err = to_bytes(&list(vec![value])).expect_err("marshal cannot carry it");
        assert!(err.to_string().contains("the marshal serializer cannot carry"), "{err}");
    }
    let script = "import datetime, marshal\n\
                  for v in (datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2)):\n\
                  \x20   try:\n\
                  \x20       marshal.dumps([v])\n\
                  \x20   except ValueError as e:\n\
                  \x20       print(e)\n";
    let out = pyro_interop::python().command().args(["-c", script]).output().expect("python runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "unmarshallable object\nunmarshallable object\n", "{out:?}");
}

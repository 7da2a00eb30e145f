//! Tests of reading typed values out of `Value`s.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::keys::python_float;
use super::*;
use crate::value::{Date, to_value};

/// One value of every kind, nested.
pub(crate) fn sample() -> Value {
    let mut inner = Dict::new();
    inner.insert("k", Value::Tuple(vec![Value::Int(1), Value::Set(vec![Value::from("s")])]));
    inner.insert(Value::Int(7), Value::Tuple(vec![]));
    inner.insert(Value::Tuple(vec![Value::Int(1), Value::Int(2)]), Value::Bytes(vec![0, 255]));
    Value::List(vec![
        Value::None,
        Value::Bool(true),
        Value::Int(-5),
        Value::int(u64::MAX),
        Value::int(i128::MIN),
        Value::Float(f64::NAN),
        Value::Float(-0.0),
        Value::Complex { re: 1.0, im: -2.0 },
        Value::from("é'\""),
        Value::Bytes(b"\x00bin".to_vec()),
        Value::Tuple(vec![Value::Int(1)]),
        Value::Set(vec![Value::Int(1), Value::Int(2)]),
        Value::Dict(inner),
        Value::DateTime(1_704_164_645.6),
        Value::Date(Date::new(2024, 1, 2).unwrap()),
    ])
}

#[test]
fn every_value_survives_from_value_and_to_value() {
    let v = sample();
    let Value::List(items) = &v else { unreachable!() };
    for item in items {
        assert_eq!(&from_value::<Value>(item.clone()).unwrap(), item, "from_value {item}");
        assert_eq!(&to_value(item).unwrap(), item, "to_value {item}");
    }
    assert_eq!(from_value::<Value>(v.clone()).unwrap(), v);
    assert_eq!(to_value(&v).unwrap(), v);
    // Inside typed containers too.
    let wrapped: Vec<Option<Value>> = from_value(v.clone()).unwrap();
    assert_eq!(Value::List(wrapped.into_iter().map(Value::from).collect()), v);
}

#[test]
fn tuples_and_sets_stay_apart_from_lists() {
    let t = Value::Tuple(vec![Value::Int(1), Value::Set(vec![])]);
    let back: Value = from_value(t.clone()).unwrap();
    assert!(matches!(&back, Value::Tuple(items) if matches!(items.as_slice(), [Value::Int(1), Value::Set(_)])));
    assert_ne!(Value::List(vec![]), Value::Tuple(vec![]));
    // Typed targets read them as sequences.
    assert_eq!(from_value::<Vec<i32>>(Value::Set(vec![Value::Int(3)])).unwrap(), [3]);
    assert_eq!(from_value::<(i32, Vec<i32>)>(t).unwrap(), (1, vec![]));
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Shape {
    Dot,
    Circle(f64),
    Rect(u32, u32),
    Poly { points: Vec<(i16, i16)>, closed: bool },
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Everything {
    id: u64,
    name: String,
    ratio: f32,
    maybe: Option<i8>,
    missing: Option<String>,
    raw: Vec<u8>,
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
    counts: HashMap<String, i64>,
    by_number: BTreeMap<i32, String>,
    pair: (bool, char),
    shapes: Vec<Shape>,
    big: u128,
    neg: i128,
    unit: (),
    any: Value,
}

fn everything() -> Everything {
    Everything {
        id: u64::MAX,
        name: "nöme".into(),
        ratio: 0.5,
        maybe: Some(-3),
        missing: None,
        raw: vec![1, 2, 3],
        blob: vec![0, 159, 255],
        counts: [("a".to_string(), 1), ("b".to_string(), -2)].into_iter().collect(),
        by_number: [(1, "one".to_string()), (-2, "minus two".to_string())].into_iter().collect(),
        pair: (true, 'λ'),
        shapes: vec![
            Shape::Dot,
            Shape::Circle(1.5),
            Shape::Rect(2, 3),
            Shape::Poly { points: vec![(0, 0), (1, -1)], closed: true },
        ],
        big: u128::MAX,
        neg: i128::MIN,
        unit: (),
        any: Value::Tuple(vec![Value::Complex { re: 0.0, im: 1.0 }]),
    }
}

#[test]
fn typed_values_round_trip() {
    let e = everything();
    let v = to_value(&e).unwrap();
    let d = v.as_dict().unwrap();
    assert_eq!(d.get("raw"), Some(&Value::List(vec![1.into(), 2.into(), 3.into()])));
    assert_eq!(d.get("blob"), Some(&Value::Bytes(vec![0, 159, 255])));
    assert_eq!(d.get("pair"), Some(&Value::Tuple(vec![Value::Bool(true), Value::from("λ")])));
    assert_eq!(d.get("unit"), Some(&Value::None));
    assert_eq!(d.get("big"), Some(&Value::int(u128::MAX)));
    assert_eq!(d.get("by_number").unwrap().as_dict().unwrap().get_value(&Value::Int(-2)), Some(&"minus two".into()));
    let shapes = d.get("shapes").unwrap().to_string();
    assert_eq!(
        shapes,
        "['Dot', {'Circle': 1.5}, {'Rect': (2, 3)}, {'Poly': {'points': [(0, 0), (1, -1)], 'closed': True}}]"
    );
    assert_eq!(from_value::<Everything>(v).unwrap(), e);
}

#[test]
fn serpent_base64_dict_is_bytes_for_byte_receivers() {
    let dict = |data: &str, encoding: &str| {
        let mut d = Dict::new();
        d.insert("data", data);
        d.insert("encoding", encoding);
        Value::Dict(d)
    };
    let raw = dict("cmF3", "base64");
    assert_eq!(from_value::<serde_bytes::ByteBuf>(raw.clone()).unwrap().into_vec(), b"raw");
    assert_eq!(from_value::<Vec<u8>>(raw.clone()).unwrap(), b"raw");
    assert_eq!(&from_value::<[u8; 3]>(raw.clone()).unwrap(), b"raw");
    // Any other receiver sees the dict it is.
    assert_eq!(from_value::<Value>(raw.clone()).unwrap(), raw);
    let as_map = from_value::<std::collections::BTreeMap<String, String>>(raw).unwrap();
    assert_eq!(as_map["encoding"], "base64");
    let bad = from_value::<Vec<u8>>(dict("!!", "base64")).unwrap_err().to_string();
    assert!(bad.contains("invalid base64"), "{bad}");
    assert_eq!(err::<Vec<u8>>(dict("cmF3", "hex")), "expected list, got dict");
    assert_eq!(err::<serde_bytes::ByteBuf>(dict("cmF3", "hex")), "expected bytes, got dict");
}

#[test]
fn lenient_conversions() {
    assert_eq!(from_value::<f64>(Value::Int(2)).unwrap(), 2.0);
    assert_eq!(from_value::<f32>(Value::Int(-1)).unwrap(), -1.0);
    assert_eq!(from_value::<u64>(Value::int(u64::MAX)).unwrap(), u64::MAX);
    assert_eq!(from_value::<i128>(Value::int(i128::MIN)).unwrap(), i128::MIN);
    assert_eq!(from_value::<Vec<u8>>(Value::Bytes(vec![1, 2])).unwrap(), [1, 2]);
    assert_eq!(from_value::<[u8; 2]>(Value::Bytes(vec![1, 2])).unwrap(), [1, 2]);
    let list = Value::List(vec![Value::Int(1), Value::Int(255)]);
    assert_eq!(from_value::<serde_bytes::ByteBuf>(list).unwrap().into_vec(), [1, 255]);
    assert_eq!(from_value::<serde_bytes::ByteBuf>(Value::Bytes(vec![9])).unwrap().into_vec(), [9]);
    assert_eq!(from_value::<String>(Value::Date(Date::new(2024, 1, 2).unwrap())).unwrap(), "2024-01-02");
    assert_eq!(from_value::<Option<i32>>(Value::None).unwrap(), None);
    assert_eq!(from_value::<(i32, i32)>(Value::Set(vec![1.into(), 2.into()])).unwrap(), (1, 2));
    assert_eq!(from_value::<Shape>(Value::from("Dot")).unwrap(), Shape::Dot);
    let mut d = Dict::new();
    d.insert("Dot", Value::None);
    assert_eq!(from_value::<Shape>(Value::Dict(d)).unwrap(), Shape::Dot);
    // A struct from its fields in order (rmp-serde's compact form).
    #[derive(Deserialize, Debug, PartialEq)]
    struct P {
        x: i32,
        y: i32,
    }
    assert_eq!(from_value::<P>(Value::List(vec![1.into(), 2.into()])).unwrap(), P { x: 1, y: 2 });
    // serde's Value-agnostic types work through deserialize_any.
    let j: serde_json::Value = from_value(sample_json_compatible()).unwrap();
    assert_eq!(j.to_string(), r#"[null,true,1,2.5,"s",[1],{"k":[]}]"#);
}

fn sample_json_compatible() -> Value {
    let mut d = Dict::new();
    d.insert("k", Value::Set(vec![]));
    Value::List(vec![
        Value::None,
        Value::Bool(true),
        Value::Int(1),
        Value::Float(2.5),
        Value::from("s"),
        Value::Tuple(vec![Value::Int(1)]),
        Value::Dict(d),
    ])
}

fn err<T: DeserializeOwned + std::fmt::Debug>(v: Value) -> String {
    from_value::<T>(v).unwrap_err().to_string()
}

#[test]
fn errors_name_the_python_type() {
    assert_eq!(err::<i32>(Value::from("x")), "expected i32, got str");
    assert_eq!(err::<u8>(Value::Int(300)), "expected u8, got int 300 (out of range)");
    assert_eq!(err::<u64>(Value::Int(-1)), "expected u64, got int -1 (out of range)");
    assert_eq!(err::<i64>(Value::int(u64::MAX)), "expected i64, got int 18446744073709551615 (out of range)");
    assert_eq!(err::<bool>(Value::from("yes")), "expected bool, got str");
    // Numbers stand for flags as Python's truth value.
    assert_eq!(from_value::<bool>(Value::Float(0.0)).ok(), Some(false));
    assert_eq!(from_value::<bool>(Value::Int(2)).ok(), Some(true));
    assert_eq!(err::<f64>(Value::from("1.0")), "expected float, got str");
    assert_eq!(err::<String>(Value::Bytes(vec![])), "expected str, got bytes");
    assert_eq!(err::<char>(Value::from("ab")), "expected a one-character str, got str");
    assert_eq!(err::<Vec<i32>>(Value::Dict(Dict::new())), "expected list, got dict");
    assert_eq!(err::<HashMap<String, i32>>(Value::List(vec![])), "expected dict, got list");
    assert_eq!(err::<Vec<u8>>(Value::Int(1)), "expected list, got int");
    assert_eq!(err::<serde_bytes::ByteBuf>(Value::List(vec![Value::Int(256)])), "expected bytes, got list");
    assert_eq!(err::<()>(Value::Int(0)), "expected None, got int");
    assert_eq!(err::<Shape>(Value::Int(0)), "expected str or a one-entry dict, got int");
    assert_eq!(err::<Shape>(Value::from("Circle")), "expected a one-entry dict for a newtype variant, got str");
    assert_eq!(err::<(i32, i32)>(Value::List(vec![1.into(), 2.into(), 3.into()])), "expected 2 elements, got 3");
    assert!(err::<(i32, i32)>(Value::List(vec![1.into()])).contains("invalid length 1"));
    assert!(err::<Shape>(Value::from("Hexagon")).contains("unknown variant `Hexagon`"));
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Need {
        field: i32,
    }
    assert_eq!(err::<Need>(Value::Dict(Dict::new())), "missing field `field`");
    assert_eq!(err::<Need>(Value::Int(3)), "expected dict, got int");
    let mut d = Dict::new();
    d.insert("field", "nope");
    assert_eq!(err::<Need>(Value::Dict(d)), "expected i32, got str");
    assert_eq!(err::<i32>(Value::Complex { re: 0.0, im: 0.0 }), "expected i32, got complex");
}

#[test]
fn ext_newtype_reaches_typed_targets() {
    // A user type shaped like rmp-serde's documented ext struct sees the raw payload.
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename = "_ExtStruct")]
    struct ExtStruct((i8, serde_bytes::ByteBuf));
    let date = Value::Date(Date::new(2024, 1, 2).unwrap());
    let ExtStruct((code, data)) = from_value(date).unwrap();
    assert_eq!((code, data.into_vec()), (0x33, 738_887i64.to_ne_bytes().to_vec()));
    // And an unknown extension code given to to_value is an error, as in Pyro5.
    let unknown = crate::value::ext_codec::Ext { code: 5, data: b"" };
    assert_eq!(to_value(&unknown).unwrap_err().to_string(), "invalid ext code for msgpack: 5");
}

#[test]
fn values_pass_through_foreign_serde_formats() {
    // serde_json's own (de)serializer treats the private newtypes as plain values.
    let v = sample_json_compatible();
    let text = serde_json::to_string(&v).unwrap();
    assert_eq!(text, r#"[null,true,1,2.5,"s",[1],{"k":[]}]"#);
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back.to_string(), "[None, True, 1, 2.5, 's', [1], {'k': []}]");
}

#[test]
fn str_keys_read_as_the_numbers_and_bools_they_spell() {
    // What Python's json makes of {1: .., -2: .., 2**70: ..}, {True: ..} and {1.5: .., nan: ..}.
    let d = |keys: &[&str]| Value::Dict(keys.iter().enumerate().map(|(i, k)| (*k, i)).collect());
    let ints: HashMap<i64, usize> = from_value(d(&["1", "-2"])).unwrap();
    assert_eq!(ints, HashMap::from([(1, 0), (-2, 1)]));
    let wide: BTreeMap<u128, usize> = from_value(d(&["1180591620717411303424"])).unwrap();
    assert_eq!(wide, BTreeMap::from([(1 << 70, 0)]));
    let bools: BTreeMap<bool, usize> = from_value(d(&["true", "false"])).unwrap();
    assert_eq!(bools, BTreeMap::from([(true, 0), (false, 1)]));
    #[derive(Deserialize, PartialEq, Eq, Hash, Debug)]
    struct F(u8);
    let typed: HashMap<F, usize> = from_value(d(&["7"])).unwrap();
    assert_eq!(typed, HashMap::from([(F(7), 0)]));
    assert_eq!(python_float("Infinity"), Some(f64::INFINITY));
    assert_eq!(python_float("inf"), None);
    assert_eq!(python_float("2.5e-3"), Some(0.0025));
    let opt: HashMap<Option<i32>, usize> = from_value(d(&["null", "3"])).unwrap();
    assert_eq!(opt, HashMap::from([(None, 0), (Some(3), 1)]));
    // Int keys (msgpack) read as they are; str keys stay str for str and Value targets.
    let mut native = Dict::new();
    native.insert(5, "five");
    assert_eq!(from_value::<HashMap<u8, String>>(Value::Dict(native)).unwrap()[&5], "five");
    let kept: HashMap<String, usize> = from_value(d(&["1"])).unwrap();
    assert_eq!(kept["1"], 0);
    let as_value: Dict = from_value(d(&["1"])).unwrap();
    assert_eq!(as_value.keys().next(), Some(&Value::from("1")));
    // A key that spells no number says so.
    assert_eq!(err::<HashMap<i32, usize>>(d(&["one"])), "expected i32, got str \"one\" as a dict key");
    assert_eq!(err::<HashMap<u8, usize>>(d(&["300"])), "expected u8, got str \"300\" as a dict key");
    assert_eq!(err::<HashMap<f64Key, usize>>(d(&["x"])), "expected float, got str \"x\" as a dict key");
}

/// A float map key (f64 itself is not `Hash`).
#[derive(Deserialize, PartialEq, Eq, Hash, Debug)]
#[allow(non_camel_case_types)]
struct f64Key(#[serde(deserialize_with = "float_bits")] u64);

fn float_bits<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    f64::deserialize(d).map(f64::to_bits)
}

#[test]
fn float_keys_read_from_their_json_spelling() {
    let d: Value = Value::Dict([("1.5", 1), ("NaN", 2), ("-Infinity", 3), ("2", 4)].into_iter().collect());
    let keys: HashMap<f64Key, i32> = from_value(d).unwrap();
    let get = |f: f64| keys.get(&f64Key(f.to_bits())).copied();
    assert_eq!((get(1.5), get(f64::NAN), get(f64::NEG_INFINITY), get(2.0)), (Some(1), Some(2), Some(3), Some(4)));
}

#[test]
fn repeated_dict_keys_keep_the_last_value() {
    #[derive(Serialize)]
    struct Pairs(#[serde(serialize_with = "pairs")] Vec<(i32, i32)>);
    fn pairs<S: serde::Serializer>(v: &[(i32, i32)], s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(v.iter().copied())
    }
    let v = to_value(&Pairs(vec![(1, 1), (2, 2), (1, 3)])).unwrap();
    assert_eq!(v.to_string(), "{1: 3, 2: 2}");
}

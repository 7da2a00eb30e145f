//! Golden tests against Python's output, reader tests and robustness tests.
//!
//! Expected bytes come from Python 3.11: `python -c "import marshal; print(marshal.dumps(VALUE).hex())"`.
//! Python sets FLAG_REF (0x80) on objects it sees referenced more than once (small ints,
//! constants, interned strings); the writer never does, so where the golden bytes come from
//! Python the writer's expectation has that bit cleared (noted at each case).

use std::collections::BTreeMap;

use num_bigint::BigInt;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

use super::{MAX_DEPTH, from_bytes, parse_value, to_bytes};
use crate::serializer::SerializeError;
use crate::value::{Date, Dict, Value};

fn unhex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits.chunks(2).map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap()).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn marshal<T: Serialize + ?Sized>(value: &T) -> String {
    hex(&to_bytes(value).expect("serializable"))
}

fn parse_hex(text: &str) -> Value {
    parse_value(&unhex(text)).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn list(items: impl IntoIterator<Item = Value>) -> Value {
    Value::List(items.into_iter().collect())
}

fn tuple(items: impl IntoIterator<Item = Value>) -> Value {
    Value::Tuple(items.into_iter().collect())
}

fn dict(entries: impl IntoIterator<Item = (Value, Value)>) -> Value {
    let mut d = Dict::new();
    for (k, v) in entries {
        d.insert(k, v);
    }
    Value::Dict(d)
}

fn s(text: &str) -> Value {
    Value::from(text)
}

fn big(text: &str) -> Value {
    Value::int(text.parse::<BigInt>().expect("decimal"))
}

/// The `what` of a `CannotCarry` error.
fn cannot_carry<T: Serialize + ?Sized>(value: &T) -> String {
    match to_bytes(value) {
        Err(SerializeError::CannotCarry { serializer: "marshal", what }) => what,
        other => panic!("expected CannotCarry, got {other:?}"),
    }
}

/// The `reason` of a `Malformed` error.
fn malformed(input: &[u8]) -> String {
    match parse_value(input) {
        Err(SerializeError::Malformed { serializer: "marshal", reason }) => reason,
        other => panic!("{}: expected Malformed, got {other:?}", hex(input)),
    }
}

/// A map with keys of any type, in order.
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

// ---- writer ----------------------------------------------------------------------------------

#[test]
fn writes_scalars_like_python() {
    assert_eq!(marshal(&None::<i32>), "4e");
    assert_eq!(marshal(&()), "4e");
    assert_eq!(marshal(&(true, false)), "29025446"); // Python: a9025446
    // Python: db04000000 e900000000 e9ffffffff e9ffffff7f e900000080
    assert_eq!(marshal(&vec![0, -1, i32::MAX, i32::MIN]), "5b04000000690000000069ffffffff69ffffff7f6900000080");
    assert_eq!(marshal(&1.5), "67000000000000f83f"); // Python: e7...
    assert_eq!(marshal(&1.5f32), "67000000000000f83f");
    assert_eq!(marshal(&f64::INFINITY), "67000000000000f07f");
    assert_eq!(marshal(&'é'), "7502000000c3a9");
    assert_eq!(marshal(serde_bytes::Bytes::new(b"\x00\xff")), "730200000000ff"); // Python: f3...
}

#[test]
fn writes_ints_of_every_width_as_i_or_l() {
    // Python (each flagged): [2**31, -2**31-1, 2**63-1, -2**63, 2**64]
    assert_eq!(marshal(&(1i64 << 31)), "6c03000000000000000200");
    assert_eq!(marshal(&(-(1i64 << 31) - 1)), "6cfdffffff010000000200");
    assert_eq!(marshal(&i64::MAX), "6c05000000ff7fff7fff7fff7f0700");
    assert_eq!(marshal(&i64::MIN), "6cfbffffff00000000000000000800");
    assert_eq!(marshal(&(1u128 << 64)), "6c0500000000000000000000001000");
    assert_eq!(marshal(&u32::MAX), "6c03000000ff7fff7f0300");
    assert_eq!(marshal(&7u8), "6907000000");
    assert_eq!(marshal(&u128::MAX), marshal(&Value::int(u128::MAX)));
    assert_eq!(parse_value(&to_bytes(&u128::MAX).unwrap()).unwrap(), Value::int(u128::MAX));
    assert_eq!(parse_value(&to_bytes(&i128::MIN).unwrap()).unwrap(), Value::int(i128::MIN));
    // Python: -(3**100)
    assert_eq!(
        marshal(&big("-515377520732011331036461129765621272702107522001")),
        "6cf5ffffffd113701e5775a3345d773e689615b41b674aa70c6901"
    );
}

#[test]
fn writes_the_string_kinds_python_writes_for_fresh_strings() {
    assert_eq!(marshal(""), "7a00");
    assert_eq!(marshal("abc"), "7a03616263");
    assert_eq!(marshal(&"x".repeat(255))[..4], *"7aff");
    assert_eq!(marshal(&"x".repeat(256))[..10], *"6100010000");
    assert_eq!(marshal("é"), "7502000000c3a9");
    assert_eq!(marshal(&"é".repeat(200))[..10], *"7590010000");
}

#[test]
fn writes_containers_like_python() {
    assert_eq!(marshal(&Vec::<u8>::new()), "5b00000000");
    assert_eq!(marshal(&Value::Tuple(vec![])), "2900");
    // Python for ('rep', 'rep') is a902 da03726570 7201000000: the same string twice.
    assert_eq!(marshal(&("rep", "rep")), "29027a037265707a03726570");
    let long_tuple = Value::Tuple(vec![Value::None; 256]);
    assert_eq!(marshal(&long_tuple)[..10], *"2800010000");
    // Python for {'k': [1, (2,)], 3: None}: fb da016b 5b02000000 e901000000 a901 e902000000 e903000000 4e 30
    let value = dict([(s("k"), list([1.into(), tuple([2.into()])])), (3.into(), Value::None)]);
    assert_eq!(marshal(&value), "7b7a016b5b0200000069010000002901690200000069030000004e30");
    // Python for {frozenset({1}): {2}}: fb 3e01000000 e901000000 3c01000000 e902000000 30
    let value = dict([(Value::Set(vec![1.into()]), Value::Set(vec![2.into()]))]);
    assert_eq!(marshal(&value), "7b3e0100000069010000003c01000000690200000030");
    assert_eq!(marshal(&Value::Complex { re: 1.0, im: 2.0 }), "79000000000000f03f0000000000000040");
}

#[test]
fn writes_sets_that_must_be_hashable_as_frozensets() {
    // A set inside a set and inside a tuple key: Python needs frozensets there.
    let inner = Value::Set(vec![1.into()]);
    assert_eq!(marshal(&Value::Set(vec![inner.clone()])), "3c010000003e010000006901000000");
    let key = tuple([inner.clone()]);
    assert_eq!(marshal(&dict([(key, inner.clone())])), "7b29013e0100000069010000003c01000000690100000030");
    // The key context ends with the key: a list value is fine.
    assert_eq!(marshal(&dict([(1.into(), list([]))])), "7b69010000005b0000000030");
}

#[test]
fn refuses_unhashable_keys_and_what_marshal_cannot_carry() {
    assert!(cannot_carry(&Pairs(vec![(vec![1], 2)])).contains("list"));
    assert!(cannot_carry(&dict([(tuple([list([])]), 1.into())])).contains("list"));
    assert!(cannot_carry(&Value::Set(vec![dict([])])).contains("dict"));
    assert!(cannot_carry(&Pairs(vec![(Shape::Circle(1.0), 2)])).contains("enum variant"));
    assert!(cannot_carry(&Pairs(vec![(Point { x: 1, y: 2 }, 2)])).contains("Point"));
    assert_eq!(cannot_carry(&Value::Date(Date::new(2024, 1, 2).unwrap())), "date");
    assert_eq!(cannot_carry(&Value::DateTime(0.0)), "datetime");
    assert_eq!(cannot_carry(&vec![Value::DateTime(0.0)]), "datetime");
    // Unit variants are strings, so they may be keys.
    assert_eq!(marshal(&Pairs(vec![(Shape::Empty, 1)])), "7b7a05456d707479690100000030");
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Point {
    x: i32,
    y: i32,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Shape {
    Empty,
    Circle(f64),
    Line(Point, Point),
    Rect { w: u32, h: u32 },
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Record {
    name: String,
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
    shapes: Vec<Shape>,
    pair: (u64, Option<String>),
    big: u128,
    unit: (),
}

#[test]
fn writes_structs_in_field_order_and_enums_as_serde_json_does() {
    assert_eq!(marshal(&Point { x: 1, y: -1 }), "7b7a017869010000007a017969ffffffff30");
    assert_eq!(marshal(&Shape::Empty), "7a05456d707479");
    assert_eq!(marshal(&Shape::Circle(1.5)), "7b7a06436972636c6567000000000000f83f30");
    let origin = "7b7a017869000000007a0179690000000030";
    assert_eq!(
        marshal(&Shape::Line(Point { x: 0, y: 0 }, Point { x: 0, y: 0 })),
        format!("7b7a044c696e652902{origin}{origin}30")
    );
    assert_eq!(marshal(&Shape::Rect { w: 2, h: 3 }), "7b7a04526563747b7a017769020000007a016869030000003030");
}

#[test]
fn typed_values_round_trip_through_from_bytes() {
    let record = Record {
        name: "rec é".into(),
        blob: vec![0, 1, 255],
        shapes: vec![
            Shape::Empty,
            Shape::Circle(f64::INFINITY),
            Shape::Line(Point { x: 0, y: 0 }, Point { x: 3, y: 4 }),
            Shape::Rect { w: 5, h: 6 },
        ],
        pair: (u64::MAX, Some("x".into())),
        big: u128::MAX,
        unit: (),
    };
    let bytes = to_bytes(&record).unwrap();
    assert_eq!(from_bytes::<Record>(&bytes).unwrap(), record);
    let map: BTreeMap<i64, Vec<String>> = BTreeMap::from([(-1, vec!["a".into()]), (1 << 40, vec![])]);
    assert_eq!(from_bytes::<BTreeMap<i64, Vec<String>>>(&to_bytes(&map).unwrap()).unwrap(), map);
    assert!(matches!(from_bytes::<Point>(b"{z\x01x"), Err(SerializeError::Malformed { .. })));
}

#[derive(Debug, PartialEq, Deserialize)]
struct Tagged {
    name: String,
    id: u32,
    tags: (String, String),
}

#[test]
fn typed_decoding_follows_back_references_without_a_value_in_between() {
    // Python 3.11 for [{'name': 'n%d' % i, 'id': i * 1000, 'tags': ('a', 'b')} for i in range(2)]:
    // the second dict's keys and its tuple are back-references.
    let python = unhex(
        "5b020000007bda046e616d657a026e30da026964e900000000da0474616773a902da0161da0162307b7200000000\
         7a026e31720100000069e80300007203000000720400000030",
    );
    let tagged = |name: &str, id| Tagged { name: name.into(), id, tags: ("a".into(), "b".into()) };
    assert_eq!(from_bytes::<Vec<Tagged>>(&python).unwrap(), [tagged("n0", 0), tagged("n1", 1000)]);
    assert_eq!(from_bytes::<Value>(&python).unwrap(), parse_value(&python).unwrap());
    // A Value inside a typed target keeps tuples, sets and big ints as they are.
    let (name, rest): (String, Value) =
        from_bytes(b")\x02z\x01a)\x02<\x01\0\0\0N\xec\x05\0\0\0\0\0\0\0\0\0\0\0\0\x01").unwrap();
    assert_eq!((name.as_str(), rest), ("a", tuple([Value::Set(vec![Value::None]), Value::int(1u128 << 68)])));
    // Ints of every width, options, bytes and refused shapes.
    let (a, b, c): (u64, i128, Option<u8>) =
        from_bytes(&to_bytes(&(u64::MAX, i128::MIN, None::<u8>)).unwrap()).unwrap();
    assert_eq!((a, b, c), (u64::MAX, i128::MIN, None));
    let blob: serde_bytes::ByteBuf = from_bytes(b"s\x02\0\0\0\x00\xff").unwrap();
    assert_eq!(blob.as_slice(), [0, 255]);
    // Bytes fill a plain Vec<u8> or a byte array too, directly or through a back-reference.
    let (plain, again, array): (Vec<u8>, Vec<u8>, [u8; 2]) =
        from_bytes(b")\x03\xf3\x02\0\0\0\x00\xffr\0\0\0\0s\x02\0\0\0ab").unwrap();
    assert_eq!((plain, again, array), (vec![0, 255], vec![0, 255], *b"ab"));
    assert!(from_bytes::<[u8; 1]>(b"s\x02\0\0\0ab").is_err());
    assert!(from_bytes::<(i32,)>(b")\x02i\x01\0\0\0i\x01\0\0\0").is_err());
    assert!(from_bytes::<u8>(b"i\x00\x01\0\0").is_err());
    assert!(matches!(from_bytes::<Vec<u8>>(b"[\x01\0\0\0r\0\0\0\0"), Err(SerializeError::Malformed { .. })));
    assert!(matches!(from_bytes::<String>(b"z\x01a trailing"), Err(SerializeError::Malformed { .. })));
    assert!(matches!(from_bytes::<BTreeMap<String, u8>>(b"{z\x01a0"), Err(SerializeError::Malformed { .. })));
}

// ---- reader: what Python writes ----------------------------------------------------------------

#[test]
fn reads_python_output_with_flags_and_back_references() {
    let cases: Vec<(&str, Value)> = vec![
        ("4e", Value::None),
        ("a9025446", tuple([true.into(), false.into()])),
        (
            "db04000000e900000000e9ffffffffe9ffffff7fe900000080",
            list([0.into(), (-1).into(), i32::MAX.into(), i32::MIN.into()]),
        ),
        (
            "db06000000ec03000000000000000200ecfdffffff010000000200ec05000000ff7fff7fff7fff7f0700\
             ecfbffffff00000000000000000800ec05000000000000000000000010006cf5ffffffd113701e5775a3345d773e689615b41b674aa70c6901",
            list([
                Value::Int(1 << 31),
                Value::Int(-(1 << 31) - 1),
                Value::Int(i64::MAX),
                Value::Int(i64::MIN),
                Value::int(1u128 << 64),
                big("-515377520732011331036461129765621272702107522001"),
            ]),
        ),
        (
            "db03000000e7000000000000f83fe7000000000000008067000000000000f07f",
            list([1.5.into(), (-0.0).into(), f64::INFINITY.into()]),
        ),
        ("f9000000000000f03f0000000000000040", Value::Complex { re: 1.0, im: 2.0 }),
        ("f30200000000ff", Value::Bytes(vec![0, 255])),
        (
            "fbda016b5b02000000e901000000a901e902000000e9030000004e30",
            dict([(s("k"), list([1.into(), tuple([2.into()])])), (3.into(), Value::None)]),
        ),
        (
            "fb3e01000000e9010000003c01000000e90200000030",
            dict([(Value::Set(vec![1.into()]), Value::Set(vec![2.into()]))]),
        ),
        ("a902da037265707201000000", tuple([s("rep"), s("rep")])),
        // [d, d, x] with d = {'a': x}: the dict and the string are referenced again.
        ("5b03000000fbda0161fa07736861726564313072000000007202000000", {
            let d = dict([(s("a"), s("shared1"))]);
            list([d.clone(), d, s("shared1")])
        }),
        // Interned ASCII ('Z') and plain UTF-8 ('u').
        ("5b02000000da08696e7465726e6564f504000000c3a9c3a9", list([s("interned"), s("éé")])),
        // Python ints 250..259: the small ones are cached (flagged), the rest are fresh.
        (
            "5b0a000000e9fa000000e9fb000000e9fc000000e9fd000000e9fe000000e9ff000000e900010000690101000069020100006903010000",
            list((250..260).map(Value::from)),
        ),
        // Version 1 text floats and complex numbers, version 2 strings and tuples.
        ("6603312e35", 1.5.into()),
        ("7801310132", Value::Complex { re: 1.0, im: 2.0 }),
        ("66036e616e", f64::NAN.into()),
        ("5b0200000075030000006162632801000000750100000074", list([s("abc"), tuple([s("t")])])),
    ];
    for (hex, expected) in cases {
        assert_eq!(parse_hex(hex), expected, "{hex}");
    }
    // 'A' (long interned ASCII) as Python writes 'x' * 256.
    let mut long_ascii = unhex("c100010000");
    long_ascii.extend([b'x'; 256]);
    assert_eq!(parse_value(&long_ascii).unwrap(), s(&"x".repeat(256)));
}

#[test]
fn reads_the_codes_python_no_longer_writes() {
    assert_eq!(parse_value(b"I\x01\x01\x01\x01\x01\x01\x01\x01").unwrap(), Value::Int(72340172838076673));
    assert_eq!(parse_value(b"\xc9\xff\xff\xff\xff\xff\xff\xff\xff").unwrap(), Value::Int(-1));
    assert_eq!(parse_value(b"t\x02\0\0\0\xc3\xa9").unwrap(), s("é"));
    assert_eq!(parse_value(b"A\x01\0\0\0\xe9").unwrap(), s("é"), "ASCII kinds are read as Latin-1");
    assert_eq!(parse_value(b"z\x02\xe9x").unwrap(), s("éx"));
    assert_eq!(parse_value(b"f\x04-inf").unwrap(), f64::NEG_INFINITY.into());
    assert_eq!(parse_value(b"f\x02.5").unwrap(), 0.5.into());
    assert_eq!(parse_value(b"l\0\0\0\0").unwrap(), Value::Int(0));
    assert_eq!(parse_value(b"(\x01\0\0\0N").unwrap(), tuple([Value::None]));
    assert_eq!(parse_value(b"\xbe\0\0\0\0").unwrap(), Value::Set(vec![]));
}

#[test]
fn sets_and_dicts_keep_the_first_of_equal_members_and_the_last_value() {
    assert_eq!(parse_value(b"<\x03\0\0\0z\x01az\x01bz\x01a").unwrap(), Value::Set(vec![s("a"), s("b")]));
    let d = parse_value(b"{z\x01ai\x01\0\0\0z\x01bN\xfa\x01ai\x02\0\0\x000").unwrap();
    assert_eq!(
        d.as_dict().map(|d| d.iter().map(|(k, v)| (k.clone(), v.clone())).collect::<Vec<_>>()),
        Some(vec![(s("a"), 2.into()), (s("b"), Value::None)])
    );
    // A large set takes the hashed path.
    let mut data = vec![b'<', 0, 2, 0, 0];
    for i in 0..512 {
        data.push(b'i');
        data.extend((i % 300i32).to_le_bytes());
    }
    assert_eq!(parse_value(&data).unwrap().as_seq().map(<[Value]>::len), Some(300));
}

#[test]
fn back_references_follow_cpythons_numbering() {
    // Index 0 is the list (numbered before its items), 1 the first int, 2 the float: True,
    // None and the unflagged str take no index.
    let data = b"\xdb\x05\0\0\0\xe9\x07\0\0\0T\xce\xe7\0\0\0\0\0\0\xf8?r\x01\0\0\0";
    assert_eq!(parse_value(data).unwrap(), list([7.into(), true.into(), Value::None, 1.5.into(), 7.into()]));
    let data = b"[\x03\0\0\0\xe9\x07\0\0\0\xe7\0\0\0\0\0\0\xf8?r\x01\0\0\0";
    assert_eq!(parse_value(data).unwrap(), list([7.into(), 1.5.into(), 1.5.into()]));
    // A reference into a referenced container, itself read again.
    let data = b"[\x03\0\0\0\xa9\x02\xfa\x01xNr\0\0\0\0r\x01\0\0\0";
    assert_eq!(parse_value(data).unwrap(), list([tuple([s("x"), Value::None]), tuple([s("x"), Value::None]), s("x")]));
    assert!(malformed(b"\xdb\x01\0\0\0r\0\0\0\0").contains("still being read at byte 5"));
    assert!(malformed(b"\xbe\x01\0\0\0r\0\0\0\0").contains("still being read"));
    assert!(malformed(b"[\x03\0\0\0\xce\xe9\x01\0\0\0r\x01\0\0\0").contains("invalid reference 1"));
    assert!(malformed(b"r\xff\xff\xff\xff").contains("invalid reference -1 (the table has 0 entries) at byte 0"));
}

#[test]
fn back_references_cannot_expand_without_bound() {
    let levels = 60u32;
    // L0 = ['x', 'x'] and Lk = [Lk-1, Lk-1] by reference (Lk is table entry k): 2^60 strings from 700 bytes.
    let mut data = b"[".to_vec();
    data.extend((levels + 1).to_le_bytes());
    data.extend(b"\xdb\x02\0\0\0z\x01xz\x01x");
    for k in 1..levels {
        data.extend(b"\xdb\x02\0\0\0r");
        data.extend((k - 1).to_le_bytes());
        data.push(b'r');
        data.extend((k - 1).to_le_bytes());
    }
    data.extend(b"N");
    let reason = malformed(&data);
    assert!(reason.contains("copy budget"), "{reason}");
}

#[test]
fn reports_malformed_input_with_byte_offsets() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "type code needs 1 bytes but only 0 are left at byte 0"),
        (b"N extra", "extra data after the object at byte 1"),
        (b"i\x01\x00", "int needs 4 bytes but only 2 are left at byte 1"),
        (b"s\xff\xff\xff\x7f", "bytes needs 2147483647 bytes but only 0 are left at byte 5"),
        (b"s\xff\xff\xff\xff", "negative bytes size -1 at byte 1"),
        (b"[\xff\xff\xff\x7fN", "list of 2147483647 items in 1 bytes at byte 0"),
        (b"u\x01\0\0\0\xff", "in str at byte 5"),
        (b"u\x03\0\0\0\xed\xa0\x80", "lone surrogate"),
        (b"0", "NULL object outside a dict's end at byte 0"),
        (b"(\x01\0\0\x000", "NULL object outside a dict's end at byte 5"),
        (b"{z\x01k0", "NULL object outside a dict's end at byte 4"),
        (b"{[\0\0\0\0N0", "unhashable dict key (list) at byte 1"),
        (b"<\x01\0\0\0<\0\0\0\0", "unhashable set member (set) at byte 5"),
        (b"{)\x01[\0\0\0\0N0", "unhashable dict key (tuple) at byte 1"),
        (b"l\x01\0\0\0\0\0", "unnormalized long data at byte 1"),
        (b"l\x01\0\0\0\0\x80", "digit out of range in long at byte 5"),
        (b"l\0\0\0\x80", "long size out of range at byte 1"),
        (b"l\0\x10\0\0", "more than 4300 digits at byte 1"),
        (b"f\x03abc", "float text that is not a number at byte 2"),
        (b"S", "StopIteration cannot be carried at byte 0"),
        (b"[\x01\0\0\0.", "Ellipsis cannot be carried at byte 5"),
        (b"c\0\0\0\0", "code objects are refused at byte 0"),
        (b":NNN", "slice (marshal version 5) cannot be carried at byte 0"),
        (b"?", "unknown type code '?' at byte 0"),
        (b"\x00", "unknown type code '\\0' at byte 0"),
    ];
    for (input, expected) in cases {
        let reason = malformed(input);
        assert!(reason.contains(expected), "{}: {reason:?} lacks {expected:?}", hex(input));
    }
}

#[test]
fn caps_nesting_depth_without_recursion() {
    let mut ok = b"[\x01\0\0\0".repeat(MAX_DEPTH);
    ok.push(b'N');
    assert!(parse_value(&ok).is_ok());
    let mut deep = b"{N".repeat(100_000);
    deep.push(b'N');
    assert!(malformed(&deep).contains("nesting deeper than 256"));
    let tuples = b")\x01".repeat(1_000_000);
    assert!(malformed(&tuples).contains(&format!("nesting deeper than {MAX_DEPTH} at byte {}", 2 * MAX_DEPTH)));
}

#[test]
fn the_deserializer_keeps_the_depth_limit_through_back_references() {
    use serde::de::IgnoredAny;
    // A flagged list nested MAX_DEPTH - 1 deep (table entries 1..), then, inside a list, a
    // reference to its outermost level: reading it again nests MAX_DEPTH deep, which is allowed.
    let nested = |levels: usize| {
        let mut data = b"\xdb\x01\0\0\0".repeat(levels);
        data.push(b'N');
        data
    };
    let mut data = b"[\x02\0\0\0".to_vec();
    data.extend(nested(MAX_DEPTH - 1));
    data.extend(b"r\0\0\0\0");
    assert!(from_bytes::<IgnoredAny>(&data).is_ok());
    assert!(parse_value(&data).is_ok());
    // One level more through the reference is refused by both readers.
    let mut data = b"[\x02\0\0\0[\x01\0\0\0".to_vec();
    data.extend(nested(MAX_DEPTH - 1));
    data.extend(b"[\x01\0\0\0r\0\0\0\0");
    assert!(from_bytes::<IgnoredAny>(&data).is_err());
    assert!(malformed(&data).contains("nesting deeper"));
    assert!(from_bytes::<IgnoredAny>(&nested(MAX_DEPTH + 1)).is_err());
    // serde recursion: MAX_DEPTH levels fit in half a test thread's stack, even in a debug build
    // (about 2.5 KiB a level there).
    let deepest = nested(MAX_DEPTH);
    let small_stack = std::thread::Builder::new().stack_size(1024 * 1024);
    let read = small_stack.spawn(move || from_bytes::<IgnoredAny>(&deepest).is_ok()).unwrap();
    assert!(read.join().unwrap());
}

#[test]
fn integers_up_to_4300_digits_read_and_write() {
    let n: BigInt = "9".repeat(4300).parse().unwrap();
    let bytes = to_bytes(&Value::int(n.clone())).unwrap();
    assert_eq!(parse_value(&bytes).unwrap(), Value::int(n.clone()));
    // Like every pyro serializer, the writer refuses more (the value travels as decimal text).
    assert!(to_bytes(&Value::int(n + 1)).is_err());
    // 952 digits of 0x7fff are 2^14280 - 1 (4299 decimal digits); 953 are 4304 digits.
    let mut digits952 = vec![b'l'];
    digits952.extend(952i32.to_le_bytes());
    digits952.extend([0xff, 0x7f].repeat(952));
    assert!(matches!(parse_value(&digits952).unwrap(), Value::BigInt(_)));
    let mut digits953 = vec![b'l'];
    digits953.extend((-953i32).to_le_bytes());
    digits953.extend([0xff, 0x7f].repeat(953));
    assert!(malformed(&digits953).contains("more than 4300 digits at byte 1"));
}

// ---- robustness ---------------------------------------------------------------------------------

/// Python's output for a broad value, for mutation.
const SAMPLES: &[&str] = &[
    "5b03000000fbda0161fa07736861726564313072000000007202000000",
    "fbda016b5b02000000e901000000a901e902000000e9030000004e30",
    "fb3e01000000e9010000003c01000000e90200000030",
    "db06000000ec03000000000000000200ecfdffffff010000000200ec05000000ff7fff7fff7fff7f0700ecfbffffff000000000000000008006cf5ffffffd113701e5775a3345d773e689615b41b674aa70c6901",
    "a902da037265707201000000",
    "5b0200000075030000006162632801000000750100000074",
];

#[test]
fn random_and_mutated_input_never_panics() {
    const TOKENS: &[&[u8]] = &[
        b"N",
        b"T",
        b"F",
        b"0",
        b"i\x01\0\0\0",
        b"\xe9\x02\0\0\0",
        b"l\x02\0\0\0\x01\0\x01\0",
        b"l\xfe\xff\xff\xff",
        b"g\0\0\0\0\0\0\xf8?",
        b"f\x031.5",
        b"y",
        b"x\x011\x012",
        b"s\x01\0\0\0",
        b"u\x02\0\0\0\xc3\xa9",
        b"z\x01a",
        b"\xda\x01k",
        b"a\x01\0\0\0",
        b"[\x02\0\0\0",
        b"\xdb\x01\0\0\0",
        b")\x02",
        b"\xa9\x01",
        b"(\x01\0\0\0",
        b"{",
        b"\xfb",
        b"<\x02\0\0\0",
        b">\x01\0\0\0",
        b"r\0\0\0\0",
        b"r\x01\0\0\0",
        b"r\x02\0\0\0",
        b"\xff",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for round in 0..9000 {
        let input: Vec<u8> = match round % 3 {
            0 => (0..rng.below(40)).map(|_| rng.next() as u8).collect(),
            1 => (0..rng.below(12)).flat_map(|_| TOKENS[rng.below(TOKENS.len())].iter().copied()).collect(),
            _ => {
                let mut bytes = unhex(SAMPLES[rng.below(SAMPLES.len())]);
                for _ in 0..=rng.below(3) {
                    let at = rng.below(bytes.len());
                    match rng.below(4) {
                        0 => bytes[at] = rng.next() as u8,
                        1 => bytes[at] ^= 0x80,
                        2 => bytes.truncate(at),
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
        let typed = from_bytes::<serde::de::IgnoredAny>(&input);
        // Typed targets only must not panic.
        let _ = from_bytes::<Vec<(String, Vec<u8>, Option<f64>)>>(&input);
        let _ = from_bytes::<BTreeMap<String, (i64, Vec<Value>)>>(&input);
        assert_eq!(from_bytes::<Value>(&input).ok(), parse_value(&input).ok());
        match parse_value(&input) {
            Ok(value) => {
                parsed += 1;
                assert!(typed.is_ok(), "{}: the typed reader refused what the Value reader read", hex(&input));
                let again = to_bytes(&value).expect("a parsed value writes back");
                assert_eq!(parse_value(&again).expect("own output parses"), value, "{}", hex(&input));
            }
            Err(SerializeError::Malformed { serializer: "marshal", reason }) => assert!(reason.contains(" at byte ")),
            Err(other) => panic!("unexpected error kind {other:?}"),
        }
    }
    assert!(parsed > 300, "only {parsed} inputs parsed: the generator is too weak");
}

/// A random value that marshal carries unchanged (sets without repeats, hashable keys).
fn random_value(rng: &mut Rng, depth: usize, hashable: bool) -> Value {
    const STRINGS: &[&str] = &["", "a", "é\"\\", "\u{0}", "😀", "key", "x"];
    let kinds = if depth == 0 { 7 } else { 11 };
    match rng.below(kinds) {
        0 => Value::None,
        1 => Value::Bool(rng.next().is_multiple_of(2)),
        2 => Value::Int(rng.next() as i64 >> rng.below(64)),
        3 => Value::Float(f64::from_bits(rng.next())),
        4 => Value::int(BigInt::from(rng.next()) * BigInt::from(rng.next()) * BigInt::from(rng.next() as i64)),
        5 => Value::from(STRINGS[rng.below(STRINGS.len())].repeat(rng.below(300))),
        6 => Value::Bytes((0..rng.below(5)).map(|_| rng.next() as u8).collect()),
        7 => Value::Tuple((0..rng.below(4)).map(|_| random_value(rng, depth - 1, hashable)).collect()),
        8 if !hashable => Value::List((0..rng.below(4)).map(|_| random_value(rng, depth - 1, false)).collect()),
        9 if !hashable => {
            let mut d = Dict::new();
            for _ in 0..rng.below(4) {
                d.insert(random_value(rng, depth - 1, true), random_value(rng, depth - 1, false));
            }
            Value::Dict(d)
        }
        _ => {
            let mut members: Vec<Value> = Vec::new();
            for _ in 0..rng.below(4) {
                let member = random_value(rng, depth - 1, true);
                if !members.contains(&member) {
                    members.push(member);
                }
            }
            Value::Set(members)
        }
    }
}

#[test]
fn values_round_trip_through_write_and_parse() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for _ in 0..3000 {
        let value = random_value(&mut rng, 4, false);
        let bytes = to_bytes(&value).expect("carriable");
        assert_eq!(parse_value(&bytes).expect("own output parses"), value, "{}", hex(&bytes));
    }
}

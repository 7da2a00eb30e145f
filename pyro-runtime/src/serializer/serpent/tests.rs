//! Golden tests against Python's output, parser tests and robustness tests.
//!
//! Expected bytes come from Python 3.11 + serpent 1.43 (what Pyro5 5.17 uses):
//! `python -c "import serpent; print(serpent.dumps(VALUE, module_in_classname=True))"`.

use std::collections::BTreeMap;

use num_bigint::BigInt;
use serde::{Deserialize, Serialize};

use super::printable::NOT_PRINTABLE;
use super::{MAX_DEPTH, Options, from_bytes, parse_value, to_bytes, to_bytes_with};
use crate::protocol::fuzzing::XorShift;
use crate::serializer::SerializeError;
use crate::value::{Date, Dict, Value};

const HEADER: &str = "# serpent utf-8 python3.2\n";

/// Pyro5 5.17 serpent payloads, captured from Python (`SerpentSerializer().dumps(...)`).
const CAPTURED: &[&str] = &[
    "# serpent utf-8 python3.2\n('thing','add',(1,2),{})",
    "# serpent utf-8 python3.2\n{'__class__':'builtins.ValueError','__exception__':True,'args':('oops',42),'attributes':{}}",
    "# serpent utf-8 python3.2\n{'__class__':'Pyro5.core.URI','state':('PYRO','obj',None,'localhost',4444)}",
    "# serpent utf-8 python3.2\n{'handshake':{'server-says':'welcome'},'meta':{'methods':('add',),'oneway':(),'attrs':()}}",
    "# serpent utf-8 python3.2\n[1,2.5,-1e30000,{'__class__':'float','value':'nan'},(0.0+1.0j),{'data': 'cmF3', 'encoding': 'base64'}]",
    "# serpent utf-8 python3.2\n{1:'v',2.5:None,(1,2):3,'s':{1,2},\"it's\":b'\\x00'}",
];

/// The serpent text of `value` after the header.
fn serpent<T: Serialize + ?Sized>(value: &T) -> String {
    let bytes = to_bytes(value).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    text.strip_prefix(HEADER).expect("header").to_owned()
}

fn serpent_repr<T: Serialize + ?Sized>(value: &T) -> String {
    let bytes = to_bytes_with(value, Options { bytes_repr: true }).unwrap();
    String::from_utf8(bytes).unwrap().strip_prefix(HEADER).expect("header").to_owned()
}

fn parse(text: &str) -> Value {
    parse_value(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn list(items: impl IntoIterator<Item = Value>) -> Value {
    Value::List(items.into_iter().collect())
}

fn tuple(items: impl IntoIterator<Item = Value>) -> Value {
    Value::Tuple(items.into_iter().collect())
}

fn dict<'a>(entries: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    let mut d = Dict::new();
    for (k, v) in entries {
        d.insert(k, v);
    }
    Value::Dict(d)
}

fn big(text: &str) -> Value {
    Value::int(text.parse::<BigInt>().unwrap())
}

fn cannot_carry<T: Serialize + ?Sized>(value: &T) -> String {
    match to_bytes(value) {
        Err(SerializeError::CannotCarry { serializer: "serpent", what }) => what,
        other => panic!("expected CannotCarry, got {other:?}"),
    }
}

fn malformed(input: &[u8]) -> String {
    match parse_value(input) {
        Err(SerializeError::Malformed { serializer: "serpent", reason }) => reason,
        other => panic!("expected Malformed for {:?}, got {other:?}", String::from_utf8_lossy(input)),
    }
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
    pair: (u8, String),
    #[serde(with = "serde_bytes")]
    blob: Vec<u8>,
    unit: (),
}

// ---- writer ------------------------------------------------------------------------------------

#[test]
fn writes_the_header_and_scalars_like_python() {
    assert_eq!(to_bytes(&()).unwrap(), b"# serpent utf-8 python3.2\nNone");
    assert_eq!(serpent(&true), "True");
    assert_eq!(serpent(&false), "False");
    assert_eq!(serpent(&0u8), "0");
    assert_eq!(serpent(&-1i8), "-1");
    assert_eq!(serpent(&i64::MAX), "9223372036854775807");
    assert_eq!(serpent(&i64::MIN), "-9223372036854775808");
    assert_eq!(serpent(&(1u128 << 64)), "18446744073709551616");
    assert_eq!(serpent(&i128::MIN), "-170141183460469231731687303715884105728");
    assert_eq!(serpent(&big("-717897987691852588770249")), "-717897987691852588770249");
    assert_eq!(serpent(&Some(3)), "3");
    assert_eq!(serpent(&None::<i32>), "None");
}

#[test]
fn writes_floats_as_serpent_does() {
    for (f, text) in [
        (1.5, "1.5"),
        (-0.0, "-0.0"),
        (1e16, "1e+16"),
        (1e-5, "1e-05"),
        (0.1, "0.1"),
        (1e22, "1e+22"),
        (123456789.123, "123456789.123"),
        (5e-324, "5e-324"),
        (f64::INFINITY, "1e30000"),
        (f64::NEG_INFINITY, "-1e30000"),
        (f64::NAN, "{'__class__':'float','value':'nan'}"),
    ] {
        assert_eq!(serpent(&f), text);
    }
    assert_eq!(serpent(&0.1f32), "0.10000000149011612");
}

#[test]
fn writes_strings_as_python_repr() {
    for (s, text) in [
        ("", "''"),
        ("hello", "'hello'"),
        ("it's", "\"it's\""),
        ("say \"hi\"", "'say \"hi\"'"),
        ("both ' and \"", r#"'both \' and "'"#),
        ("\\ back", r"'\\ back'"),
        ("tab\there\nnew\rret", r"'tab\there\nnew\rret'"),
        ("\u{0}\u{1}\u{1f}\u{7f}", r"'\x00\x01\x1f\x7f'"),
        ("é ü ✓ 😀", "'é ü ✓ 😀'"),
        ("\u{80}\u{a0}\u{ad}", r"'\x80\xa0\xad'"),
        ("\u{2028}\u{200b}\u{feff}", r"'\u2028\u200b\ufeff'"),
        ("\u{e0001}\u{10ffff}", r"'\U000e0001\U0010ffff'"),
        ("\u{378}", r"'\u0378'"),
    ] {
        assert_eq!(serpent(s), text, "{s:?}");
    }
    assert_eq!(serpent(&'\''), "\"'\"");
}

#[test]
fn writes_bytes_as_base64_dict_or_repr() {
    let cases: [(&[u8], &str, &str); 5] = [
        (b"", "{'data': '', 'encoding': 'base64'}", "b''"),
        (b"raw", "{'data': 'cmF3', 'encoding': 'base64'}", "b'raw'"),
        (b"it's", "{'data': 'aXQncw==', 'encoding': 'base64'}", "b\"it's\""),
        (b"\x00\xff\n\\", "{'data': 'AP8KXA==', 'encoding': 'base64'}", r"b'\x00\xff\n\\'"),
        (b"a'b\"c", "{'data': 'YSdiImM=', 'encoding': 'base64'}", r#"b'a\'b"c'"#),
    ];
    for (b, base64, repr) in cases {
        assert_eq!(serpent(serde_bytes::Bytes::new(b)), base64);
        assert_eq!(serpent_repr(serde_bytes::Bytes::new(b)), repr);
        assert_eq!(serpent(&Value::Bytes(b.to_vec())), base64);
    }
    // Without serde_bytes a Vec<u8> is a list of ints, as anywhere in serde.
    assert_eq!(serpent(&vec![1u8, 2]), "[1,2]");
}

#[test]
fn writes_containers_without_spaces() {
    assert_eq!(serpent(&Vec::<i32>::new()), "[]");
    assert_eq!(serpent(&[1]), "(1,)"); // arrays are tuples in serde
    assert_eq!(serpent(&vec![1]), "[1]");
    assert_eq!(serpent(&list([Value::Int(1), list([Value::Int(2), list([])])])), "[1,[2,[]]]");
    assert_eq!(serpent(&tuple([])), "()");
    assert_eq!(serpent(&(1,)), "(1,)");
    assert_eq!(serpent(&(1, 2)), "(1,2)");
    assert_eq!(serpent(&tuple([tuple([])])), "((),)");
    assert_eq!(serpent(&Value::Set(vec![])), "()");
    assert_eq!(serpent(&Value::Set(vec![Value::Int(1)])), "{1}");
    assert_eq!(serpent(&Value::Set(vec![1.into(), 2.into(), 3.into()])), "{1,2,3}");
    assert_eq!(serpent(&Dict::new()), "{}");
    assert_eq!(serpent(&dict([("a", 1.into()), ("b", tuple([1.into()]))])), "{'a':1,'b':(1,)}");
    assert_eq!(serpent(&BTreeMap::from([("k", vec![(); 2])])), "{'k':[None,None]}");
}

#[test]
fn writes_hashable_dict_keys_and_refuses_others() {
    let mut keys = Dict::new();
    keys.insert(1, "v");
    keys.insert(2.5, Value::None);
    keys.insert(tuple([1.into(), 2.into()]), 3);
    keys.insert(Value::None, 4);
    keys.insert(false, 5);
    keys.insert(Value::Complex { re: 1.0, im: -2.0 }, 6);
    assert_eq!(serpent(&Value::Dict(keys)), "{1:'v',2.5:None,(1,2):3,None:4,False:5,(1.0-2.0j):6}");
    let with_key = |k: Value| {
        let mut d = Dict::new();
        d.insert(k, 1);
        Value::Dict(d)
    };
    assert!(cannot_carry(&with_key(list([]))).contains("a list as a dict key"));
    assert!(cannot_carry(&with_key(tuple([dict([])]))).contains("a dict as a dict key"));
    assert!(cannot_carry(&with_key(Value::Set(vec![]))).contains("a set"));
    assert!(cannot_carry(&with_key(Value::Float(f64::NAN))).contains("NaN"));
    assert!(cannot_carry(&with_key(Value::Bytes(vec![1]))).contains("bytes"));
    assert!(cannot_carry(&Value::Set(vec![list([])])).contains("a list as a dict key or set member"));
    assert!(cannot_carry(&BTreeMap::from([((1, vec![2]), 0)])).contains("list"));
    // With bytes_repr, bytes are a hashable literal.
    assert_eq!(serpent_repr(&with_key(Value::Bytes(vec![b'x']))), "{b'x':1}");
    #[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
    enum Key {
        Unit,
    }
    assert_eq!(serpent(&BTreeMap::from([(Key::Unit, 1)])), "{'Unit':1}");
}

#[test]
fn writes_structs_in_field_order_and_enums_as_serde_json_does() {
    assert_eq!(serpent(&Point { x: 1, y: -2 }), "{'x':1,'y':-2}");
    assert_eq!(serpent(&Shape::Empty), "'Empty'");
    assert_eq!(serpent(&Shape::Circle(0.5)), "{'Circle':0.5}");
    assert_eq!(
        serpent(&Shape::Line(Point { x: 0, y: 0 }, Point { x: 1, y: 1 })),
        "{'Line':({'x':0,'y':0},{'x':1,'y':1})}"
    );
    assert_eq!(serpent(&Shape::Rect { w: 2, h: 3 }), "{'Rect':{'w':2,'h':3}}");
}

#[test]
fn writes_extension_values_as_serpent_does() {
    let c = |re, im| Value::Complex { re, im };
    assert_eq!(serpent(&c(1.0, 2.0)), "(1.0+2.0j)");
    assert_eq!(serpent(&c(-1.0, -2.0)), "(-1.0-2.0j)");
    assert_eq!(serpent(&c(0.0, 0.0)), "(0.0+0.0j)");
    assert_eq!(serpent(&c(-0.0, -0.0)), "(-0.0-0.0j)");
    assert_eq!(serpent(&c(1.0, f64::INFINITY)), "(1.0+1e30000j)");
    assert_eq!(
        serpent(&c(f64::NAN, 1.0)),
        "{'__class__':'complex','real':{'__class__':'float','value':'nan'},'imag':1.0}"
    );
    assert_eq!(serpent(&Value::Date(Date::new(2024, 1, 2).unwrap())), "'2024-01-02'");
    assert_eq!(serpent(&Value::DateTime(1_704_164_645.6)), "'2024-01-02T03:04:05.600000'");
    assert_eq!(serpent(&Value::DateTime(1_704_164_645.0)), "'2024-01-02T03:04:05'");
    assert_eq!(serpent(&Value::int(u64::MAX)), "18446744073709551615");
}

#[test]
fn writes_the_call_shape_byte_identical_to_pyro5() {
    let call = ("thing", "add", (1, 2), Dict::new());
    assert_eq!(to_bytes(&call).unwrap(), CAPTURED[0].as_bytes());
}

// ---- parser ------------------------------------------------------------------------------------

#[test]
fn parses_every_literal_kind() {
    assert_eq!(parse("None"), Value::None);
    assert_eq!(parse("# serpent utf-8 python3.2\nTrue"), Value::Bool(true));
    assert_eq!(parse("# serpent utf-8 python2.6\nFalse"), Value::Bool(false));
    assert_eq!(parse(" \t[1, 2,]  # comment"), list([1.into(), 2.into()]));
    assert_eq!(parse("(1)"), Value::Int(1));
    assert_eq!(parse("((1),)"), tuple([1.into()]));
    assert_eq!(parse("( )"), tuple([]));
    assert_eq!(parse("(1, 2)"), tuple([1.into(), 2.into()]));
    assert_eq!(parse("{1, 2, 1}"), Value::Set(vec![1.into(), 2.into()]));
    assert_eq!(parse("{1,}"), Value::Set(vec![1.into()]));
    assert_eq!(parse("set( )"), Value::Set(vec![]));
    assert_eq!(parse("{}"), Value::Dict(Dict::new()));
    assert_eq!(parse("{'a': 1, }"), dict([("a", 1.into())]));
    assert_eq!(parse("[\n1,\\\n2\r\n]"), list([1.into(), 2.into()]));
    let mut keys = Dict::new();
    keys.insert(tuple([1.into(), Value::Bytes(b"x".to_vec())]), Value::None);
    keys.insert(Value::None, true);
    keys.insert(1.5, tuple([]));
    assert_eq!(parse("{(1, b'x'): None, None: True, 1.5: ()}"), Value::Dict(keys));
}

#[test]
fn parses_numbers_like_python() {
    for (text, value) in [
        ("0", Value::Int(0)),
        ("00", Value::Int(0)),
        ("0_0", Value::Int(0)),
        ("-7", Value::Int(-7)),
        ("+7", Value::Int(7)),
        ("- 7", Value::Int(-7)),
        ("1_000", Value::Int(1000)),
        ("0x_fF", Value::Int(255)),
        ("0o17", Value::Int(15)),
        ("0B101", Value::Int(5)),
        ("9223372036854775807", Value::Int(i64::MAX)),
        ("-9223372036854775808", Value::Int(i64::MIN)),
        ("9223372036854775808", big("9223372036854775808")),
        ("-0x10000000000000000", big("-18446744073709551616")),
        ("1.5", Value::Float(1.5)),
        ("1.", Value::Float(1.0)),
        (".5", Value::Float(0.5)),
        ("09.5", Value::Float(9.5)),
        ("1_0.5_5e1_0", Value::Float(105_500_000_000.0)),
        ("1E+2", Value::Float(100.0)),
        ("-0.0", Value::Float(-0.0)),
        ("1e30000", Value::Float(f64::INFINITY)),
        ("-1e30000", Value::Float(f64::NEG_INFINITY)),
        ("5e-324", Value::Float(5e-324)),
    ] {
        assert_eq!(parse(text), value, "{text}");
    }
    let is_negative_zero = |v: Value| matches!(v, Value::Float(f) if f == 0.0 && f.is_sign_negative());
    assert!(is_negative_zero(parse("-0.0")));
    assert_eq!(parse(&"9".repeat(4300)), Value::int(BigInt::parse_bytes("9".repeat(4300).as_bytes(), 10).unwrap()));
}

#[test]
fn parses_complex_numbers_with_python_signs() {
    let parts = |text: &str| match parse(text) {
        Value::Complex { re, im } => (re, im, re.is_sign_negative(), im.is_sign_negative()),
        other => panic!("{text}: not complex but {other:?}"),
    };
    assert_eq!(parts("1j"), (0.0, 1.0, false, false));
    assert_eq!(parts("-1j"), (-0.0, -1.0, true, true));
    assert_eq!(parts("+1J"), (0.0, 1.0, false, false));
    assert_eq!(parts("(1.0+2.0j)"), (1.0, 2.0, false, false));
    assert_eq!(parts("(-1.0-2.0j)"), (-1.0, -2.0, true, true));
    assert_eq!(parts("1-0j"), (1.0, 0.0, false, false)); // Python loses the sign too
    assert_eq!(parts("-0.0+1j"), (0.0, 1.0, false, false));
    assert_eq!(parts("(-0.0-0.0j)"), (-0.0, 0.0, true, false));
    assert_eq!(parts("[1 -2j]".trim_start_matches('[').trim_end_matches(']')), (1.0, -2.0, false, true));
    assert_eq!(parts("(1.0+1e30000j)"), (1.0, f64::INFINITY, false, false));
    assert_eq!(parts("10j"), (0.0, 10.0, false, false));
    assert_eq!(parts("{'__class__':'complex','real':{'__class__':'float','value':'nan'},'imag':1.0}").1, 1.0);
}

#[test]
fn parses_string_literals_and_escapes() {
    for (text, s) in [
        ("''", ""),
        ("\"it's\"", "it's"),
        (r#"'both \' and "'"#, "both ' and \""),
        (r"'\\ \a\b\f\n\r\t\v'", "\\ \u{7}\u{8}\u{c}\n\r\t\u{b}"),
        (r"'\x00\x7f\xff'", "\u{0}\u{7f}\u{ff}"),
        (r"'\0\7\101\777'", "\u{0}\u{7}A\u{1ff}"),
        (r"'\u2028\U0001F600'", "\u{2028}😀"),
        (r"'\q\w'", "\\q\\w"),
        ("'a\\\nb\\\r\nc'", "abc"),
        ("'''multi\r\nline\r'''", "multi\nline\n"),
        (r#""""a"b""c""""#, "a\"b\"\"c"),
        (r"r'\n\''", "\\n\\'"),
        ("R'\\x'", "\\x"),
        ("u'é'", "é"),
        ("'a' \"b\" '''c'''", "abc"),
        ("'a'\\\n'b'", "ab"),
        ("'é ü ✓ 😀'", "é ü ✓ 😀"),
    ] {
        assert_eq!(parse(text), Value::from(s), "{text}");
    }
    for (text, b) in [
        ("b''", &b""[..]),
        (r"b'\x00\xff\n\\'", b"\x00\xff\n\\"),
        (r"B'\777\u1234'", b"\xff\\u1234"),
        (r"rb'\x'", b"\\x"),
        (r"Br'\x'", b"\\x"),
        ("b'a' b\"b\"", b"ab"),
    ] {
        assert_eq!(parse(text), Value::Bytes(b.to_vec()), "{text}");
    }
}

#[test]
fn reads_serpent_nan_and_base64_dicts() {
    assert_eq!(parse("{'__class__':'float','value':'nan'}"), Value::Float(f64::NAN));
    assert_eq!(parse("[{'__class__': 'float', 'value': '-inf'}]"), list([Value::Float(f64::NEG_INFINITY)]));
    // A different class dict stays a dict.
    assert!(matches!(parse("{'__class__':'float','value':'x'}"), Value::Dict(_)));
    let bytes = parse("{'data': 'cmF3', 'encoding': 'base64'}");
    assert_eq!(bytes, dict([("data", "cmF3".into()), ("encoding", "base64".into())]));
    assert_eq!(crate::value::from_value::<serde_bytes::ByteBuf>(bytes).unwrap().into_vec(), b"raw");
}

#[test]
fn keeps_the_last_value_of_a_duplicate_key_at_the_first_position() {
    let v = parse("{'a': 1, 2: 2, 'a': 3, (1,): 4, 2: 5}");
    let entries: Vec<String> = v.as_dict().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(entries, ["'a'=3", "2=5", "(1,)=4"]);
    // Large dicts and sets take the hashed path.
    let text = format!("{{{}}}", (0..100).map(|i| format!("{}: {i}", i % 10)).collect::<Vec<_>>().join(","));
    let v = parse(&text);
    let d = v.as_dict().unwrap();
    assert_eq!(d.len(), 10);
    assert_eq!(d.get_value(&Value::Int(3)), Some(&Value::Int(93)));
    let text = format!("{{{}}}", (0..100).map(|i| format!("'{}'", i % 7)).collect::<Vec<_>>().join(","));
    assert_eq!(parse(&text).as_seq().map(<[Value]>::len), Some(7));
}

#[test]
fn reports_malformed_input_with_byte_offsets() {
    for (input, expect) in [
        (&b""[..], "expecting a value, found the end at byte 0"),
        (b"[1,,]", "expecting a value at byte 3"),
        (b"[1 2]", "expecting ',' or ']' at byte 3"),
        (b"(1 2)", "expecting ',' or ')' at byte 3"),
        (b"{1 2}", "expecting ',', ':' or '}' at byte 3"),
        (b"{1: 2 3}", "expecting ',' or '}' at byte 6"),
        (b"{1: 2, 3}", "expecting ':' at byte 8"),
        (b"{[1]: 2}", "unhashable list as a dict key or set member at byte 4"),
        (b"{{}}", "unhashable dict as a dict key or set member at byte 3"),
        (b"1 2", "extra data after the value at byte 2"),
        (b"'abc", "unterminated string literal at byte 0"),
        (b"'a\nb'", "unterminated string literal at byte 0"),
        (b"'''abc''", "unterminated string literal at byte 0"),
        (br"'\x4'", "truncated \\xXX escape at byte 1"),
        (br"'\u12'", "truncated \\u escape at byte 1"),
        (br"'\U00110000'", "illegal Unicode character 0x110000 in an escape at byte 1"),
        (br"'\ud800'", "surrogate escape \\ud800 (a Rust string cannot hold it) at byte 1"),
        (br"'\N{DASH}'", "\\N{name} escapes are not supported (write the character itself) at byte 1"),
        ("b'é'".as_bytes(), "bytes can only contain ASCII literal characters at byte 2"),
        (b"'a' b'b'", "cannot mix bytes and nonbytes literals at byte 4"),
        (b"f'x'", "an f-string is not a literal at byte 0"),
        (b"x'y'", "invalid string prefix \"x\" at byte 0"),
        (b"none", "name \"none\" is not a literal at byte 0"),
        (b"set(1)", "only set() may be called at byte 0"),
        (b"09", "leading zeros in a decimal integer literal at byte 0"),
        (b"1__0", "invalid number literal at byte 1"),
        (b"0b12", "invalid number literal at byte 3"),
        (b"1x", "invalid number literal at byte 1"),
        (b"1e", "invalid number literal at byte 2"),
        (b".", "invalid number literal at byte 0"),
        (b"--1", "expecting a number at byte 1"),
        (b"1+2", "only an imaginary number may be added to a number at byte 1"),
        (b"1j+2j", "only a real number may have an imaginary number added at byte 2"),
        (b"1+x", "only an imaginary number may follow + or - here at byte 1"),
        (b"[1]\x00", "NUL byte at byte 3"),
        (b"[1, \xff]", "invalid UTF-8 at byte 4"),
    ] {
        assert_eq!(malformed(input), expect, "{:?}", String::from_utf8_lossy(input));
    }
    assert!(malformed(&"1".repeat(4301).into_bytes()).contains("more than 4300 digits"));
    assert!(parse_value(format!("0x{}", "f".repeat(3575)).as_bytes()).is_ok());
    assert!(malformed(format!("0x{}", "f".repeat(3600)).as_bytes()).contains("more than 14300 bits"));
    assert!(parse_value(format!("0b{}1", "0".repeat(100_000)).as_bytes()).is_ok());
}

#[test]
fn caps_nesting_depth_without_recursion() {
    for (open, close) in [("[", "]"), ("(", ",)"), ("{1:", "}")] {
        let ok = open.repeat(MAX_DEPTH) + "1" + &close.repeat(MAX_DEPTH);
        assert!(parse_value(ok.as_bytes()).is_ok(), "{open}");
        let deep = open.repeat(MAX_DEPTH + 1) + "1" + &close.repeat(MAX_DEPTH + 1);
        assert!(malformed(deep.as_bytes()).contains(&format!("nesting deeper than {MAX_DEPTH}")));
    }
    // Far deeper input fails fast rather than overflowing the stack.
    assert!(malformed("[".repeat(1_000_000).as_bytes()).contains("nesting"));
}

#[test]
fn parses_captured_pyro5_payloads() {
    assert_eq!(
        parse(CAPTURED[0]),
        tuple(["thing".into(), "add".into(), tuple([1.into(), 2.into()]), Value::Dict(Dict::new())])
    );
    let exc = parse(CAPTURED[1]);
    let d = exc.as_dict().unwrap();
    assert_eq!(d.get("__exception__"), Some(&Value::Bool(true)));
    assert_eq!(d.get("args"), Some(&tuple(["oops".into(), 42.into()])));
    let uri = parse(CAPTURED[2]);
    assert_eq!(
        uri.as_dict().unwrap().get("state"),
        Some(&tuple(["PYRO".into(), "obj".into(), Value::None, "localhost".into(), 4444.into()]))
    );
    assert_eq!(
        parse(CAPTURED[4]),
        list([
            1.into(),
            2.5.into(),
            Value::Float(f64::NEG_INFINITY),
            Value::Float(f64::NAN),
            Value::Complex { re: 0.0, im: 1.0 },
            dict([("data", "cmF3".into()), ("encoding", "base64".into())]),
        ])
    );
}

#[test]
fn captured_payloads_rewrite_byte_identical() {
    for payload in &CAPTURED[..4] {
        assert_eq!(String::from_utf8(to_bytes(&parse(payload)).unwrap()).unwrap(), *payload);
    }
    // The base64 dict reads as the dict it is, and a dict is written without spaces.
    let rewritten = String::from_utf8(to_bytes(&parse(CAPTURED[4])).unwrap()).unwrap();
    assert_eq!(rewritten, CAPTURED[4].replace("': '", "':'").replace(", '", ",'"));
    let last = parse(CAPTURED[5]);
    assert_eq!(String::from_utf8(to_bytes_with(&last, Options { bytes_repr: true }).unwrap()).unwrap(), CAPTURED[5]);
}

// ---- robustness and round trips ----------------------------------------------------------------

fn below(rng: &mut XorShift, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

#[test]
fn random_and_mutated_input_never_panics() {
    const TOKENS: &[&str] = &[
        "[",
        "]",
        "(",
        ")",
        "{",
        "}",
        ",",
        ":",
        " ",
        "\n",
        "\\\n",
        "#c\n",
        "'",
        "\"",
        "'''",
        "b'",
        "r'",
        "rb\"",
        "'k'",
        "\\",
        "\\x",
        "\\u",
        "\\U0001",
        "\\N{",
        "\\7",
        "0",
        "-",
        "+",
        "1",
        "9",
        ".",
        "e",
        "E",
        "j",
        "_",
        "0x",
        "0o",
        "0b",
        "None",
        "True",
        "Fals",
        "set()",
        "set(",
        "é",
        "\u{0}",
        "\r",
        "12345678901234567890",
        "{'__class__':'float','value':'nan'}",
        "1e30000",
    ];
    let mut rng = XorShift::new(0x9e37_79b9_7f4a_7c15);
    let mut parsed = 0;
    for round in 0..9000 {
        let input: Vec<u8> = match round % 3 {
            0 => (0..below(&mut rng, 40)).map(|_| rng.next_u64() as u8).collect(),
            1 => (0..below(&mut rng, 30)).flat_map(|_| TOKENS[below(&mut rng, TOKENS.len())].bytes()).collect(),
            _ => {
                let mut bytes = CAPTURED[below(&mut rng, CAPTURED.len())].as_bytes().to_vec();
                for _ in 0..=below(&mut rng, 3) {
                    let at = below(&mut rng, bytes.len());
                    match below(&mut rng, 4) {
                        0 => bytes[at] = rng.next_u64() as u8,
                        1 => bytes.truncate(at),
                        2 => bytes.insert(at, TOKENS[below(&mut rng, TOKENS.len())].as_bytes()[0]),
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
            Ok(value) => {
                parsed += 1;
                // Whatever parses can be written (bytes_repr keeps bytes keys writable) and read back.
                let again = to_bytes_with(&value, Options { bytes_repr: true }).unwrap();
                let expected = empty_sets_as_tuples(value);
                assert_eq!(parse_value(&again).unwrap(), expected, "{:?}", String::from_utf8_lossy(&input));
            }
            Err(SerializeError::Malformed { serializer: "serpent", reason }) => assert!(reason.contains(" at byte ")),
            Err(other) => panic!("unexpected error kind {other:?}"),
        }
    }
    assert!(parsed > 300, "only {parsed} inputs parsed: the generator is too weak");
}

/// `value` as Python reads it back from serpent: an empty set is written as `()`.
fn empty_sets_as_tuples(value: Value) -> Value {
    let all = |items: Vec<Value>| items.into_iter().map(empty_sets_as_tuples).collect();
    match value {
        Value::Set(items) if items.is_empty() => Value::Tuple(items),
        Value::Set(items) => Value::Set(all(items)),
        Value::List(items) => Value::List(all(items)),
        Value::Tuple(items) => Value::Tuple(all(items)),
        Value::Dict(d) => {
            Value::Dict(d.into_iter().map(|(k, v)| (empty_sets_as_tuples(k), empty_sets_as_tuples(v))).collect())
        }
        other => other,
    }
}

/// `value` as Python reads it back from serpent without `bytes_repr`: bytes as the base64 dict.
fn bytes_as_dicts(value: Value) -> Value {
    use base64::Engine as _;
    let all = |items: Vec<Value>| items.into_iter().map(bytes_as_dicts).collect();
    match value {
        Value::Bytes(b) => {
            dict([("data", base64::engine::general_purpose::STANDARD.encode(b).into()), ("encoding", "base64".into())])
        }
        Value::Set(items) => Value::Set(all(items)),
        Value::List(items) => Value::List(all(items)),
        Value::Tuple(items) => Value::Tuple(all(items)),
        Value::Dict(d) => Value::Dict(d.into_iter().map(|(k, v)| (bytes_as_dicts(k), bytes_as_dicts(v))).collect()),
        other => other,
    }
}

/// A random value of any kind serpent carries unchanged.
fn random_value(rng: &mut XorShift, depth: usize, hashable: bool) -> Value {
    const STRINGS: &[&str] = &["", "a", "é\"\\", "'", "\n\t\u{1}\u{1f}\u{7f}", "😀", "\u{2028}\u{ad}x", "nan", "12"];
    let kinds = if depth == 0 {
        9
    } else if hashable {
        10
    } else {
        14
    };
    match below(rng, kinds) {
        0 => Value::None,
        1 => Value::Bool(rng.one_in(2)),
        2 => Value::Int(rng.next_u64() as i64 >> below(rng, 64)),
        3 => {
            let f = f64::from_bits(rng.next_u64());
            let f = if rng.one_in(4) { [f64::INFINITY, f64::NEG_INFINITY, -0.0, 1e16][below(rng, 4)] } else { f };
            Value::Float(if f.is_nan() && !hashable {
                f64::NAN
            } else if f.is_nan() {
                0.5
            } else {
                f
            })
        }
        4 => Value::int(BigInt::from(rng.next_u64()) * BigInt::from(rng.next_u64()) * -BigInt::from(rng.next_u64())),
        5 => Value::from(STRINGS[below(rng, STRINGS.len())].repeat(below(rng, 3))),
        6 => Value::Bytes((0..below(rng, 6)).map(|_| rng.next_u64() as u8).collect()),
        7 => {
            // Finite parts whose sign survives `re+imj` (a negative zero imaginary part does not).
            let part = |rng: &mut XorShift| [0.0, 1.5, -2.0, 1e300, f64::INFINITY, -0.0][below(rng, 6)];
            let re = part(rng);
            let im = part(rng);
            Value::Complex { re, im: if im == 0.0 { 0.0 } else { im } }
        }
        8 => Value::Int(below(rng, 3) as i64),
        9 => Value::Tuple((0..below(rng, 4)).map(|_| random_value(rng, depth - 1, hashable)).collect()),
        10 => Value::List((0..below(rng, 4)).map(|_| random_value(rng, depth - 1, false)).collect()),
        11 => {
            // Distinct by Python's rules (`1`, `1.0` and `True` are one member), as a set reads.
            let mut items: Vec<Value> = Vec::new();
            let mut seen = Dict::new();
            for _ in 0..below(rng, 4) {
                let item = random_value(rng, depth - 1, true);
                if seen.insert(item.clone(), Value::None).is_none() {
                    items.push(item);
                }
            }
            // A one-member set would read back fine; an empty one comes back as a tuple.
            if items.is_empty() { Value::Tuple(items) } else { Value::Set(items) }
        }
        _ => {
            let mut d = Dict::new();
            for _ in 0..below(rng, 4) {
                d.insert(random_value(rng, depth - 1, true), random_value(rng, depth - 1, false));
            }
            Value::Dict(d)
        }
    }
}

#[test]
fn values_round_trip_through_write_and_parse() {
    let mut rng = XorShift::new(0x1234_5678_9abc_def1);
    for round in 0..3000 {
        let value = random_value(&mut rng, 4, false);
        let bytes = to_bytes_with(&value, Options { bytes_repr: true }).unwrap_or_else(|e| panic!("{value}: {e}"));
        let back = parse_value(&bytes).unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(&bytes)));
        assert_eq!(back, value, "{}", String::from_utf8_lossy(&bytes));
        // Without bytes_repr bytes come back as the base64 dict, and cannot be keys.
        match to_bytes(&value) {
            Ok(bytes) => assert_eq!(parse_value(&bytes).unwrap(), bytes_as_dicts(value.clone()), "round {round}"),
            Err(SerializeError::CannotCarry { what, .. }) => assert!(what.starts_with("bytes"), "{what}"),
            Err(other) => panic!("{other}"),
        }
    }
}

#[test]
fn dates_and_empty_sets_come_back_as_python_reads_them() {
    let v = tuple([Value::Date(Date::new(2024, 1, 2).unwrap()), Value::DateTime(0.5), Value::Set(vec![])]);
    assert_eq!(
        parse_value(&to_bytes(&v).unwrap()).unwrap(),
        tuple(["2024-01-02".into(), "1970-01-01T00:00:00.500000".into(), tuple([])])
    );
}

#[test]
fn typed_values_round_trip_through_from_bytes() {
    let record = Record {
        name: "rec é'".into(),
        tags: vec!["a".into(), "\"b\"".into()],
        origin: Some(Point { x: -1, y: 2 }),
        shapes: vec![
            Shape::Empty,
            Shape::Circle(f64::INFINITY),
            Shape::Line(Point { x: 0, y: 0 }, Point { x: 3, y: 4 }),
            Shape::Rect { w: 5, h: 6 },
        ],
        pair: (7, "seven".into()),
        blob: vec![0, 1, 255],
        unit: (),
    };
    for options in [Options::default(), Options { bytes_repr: true }] {
        let bytes = to_bytes_with(&record, options).unwrap();
        assert_eq!(from_bytes::<Record>(&bytes).unwrap(), record);
    }
    let n: u128 = from_bytes(b"340282366920938463463374607431768211455").unwrap();
    assert_eq!(n, u128::MAX);
    let blob: Vec<u8> = from_bytes(b"{'data': 'AAH/', 'encoding': 'base64'}").unwrap();
    assert_eq!(blob, [0, 1, 255]);
    assert!(matches!(from_bytes::<Point>(b"{'x': 1"), Err(SerializeError::Malformed { .. })));
}

#[test]
fn printable_table_is_sorted_and_disjoint() {
    assert!(NOT_PRINTABLE.windows(2).all(|w| w[0].1 < w[1].0));
    assert!(NOT_PRINTABLE.iter().all(|&(start, end)| start <= end && start >= 0x80));
}

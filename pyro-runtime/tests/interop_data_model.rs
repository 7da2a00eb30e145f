//! The data model table (`pyro_runtime::value::guide`), checked against real Python Pyro5 5.17:
//! each Rust type, what Pyro5 loads from pyro's bytes per serializer, and that the Rust type
//! reads back from Pyro5's own bytes for that Python value.
//!
//! The table is over [`SERIALIZERS`]: a new serializer is one more column in every row. A row
//! whose cells all agree is written `[cell; 4]`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::time::Duration;

use pyro_interop::CodecPeer;
use pyro_runtime::Serializer;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The serializers of the table's columns, in order.
const SERIALIZERS: [Serializer; 4] = [Serializer::Msgpack, Serializer::Json, Serializer::Serpent, Serializer::Marshal];

/// What one serializer does with one Rust value.
#[derive(Clone, Copy)]
enum Expect {
    /// Pyro5 loads this Python value (same types), and the Rust type reads back from Pyro5's
    /// serialization of it.
    Both(&'static str),
    /// Pyro5 loads this Python value; reading back is not expected (a lossy direction).
    Loads(&'static str),
    /// pyro refuses to serialize the value (the serializer cannot carry it).
    Refused,
    /// pyro writes it, and Pyro5 refuses to load it (e.g. msgpack int keys: `strict_map_key`).
    PythonRefuses,
}

use Expect::{Both, Loads, PythonRefuses, Refused};

struct Table {
    peer: CodecPeer,
    failures: Vec<String>,
}

impl Table {
    fn new() -> Table {
        Table { peer: CodecPeer::start(), failures: Vec::new() }
    }

    /// Checks `value` against one expectation per serializer of [`SERIALIZERS`].
    fn row<T>(&mut self, value: T, expect: [Expect; SERIALIZERS.len()])
    where
        T: Serialize + DeserializeOwned + PartialEq + Debug,
    {
        for (ser, expect) in SERIALIZERS.into_iter().zip(expect) {
            let id = ser.id();
            let bytes = match (expect, ser.to_bytes(&value)) {
                (Refused, Err(_)) => continue,
                (Refused, Ok(bytes)) => {
                    self.failures.push(format!("{ser} {value:?}: expected a refusal, wrote {bytes:02x?}"));
                    continue;
                }
                (_, Err(e)) => {
                    self.failures.push(format!("{ser} {value:?}: cannot encode: {e}"));
                    continue;
                }
                (_, Ok(bytes)) => bytes,
            };
            let python = match expect {
                Both(python) | Loads(python) => python,
                Refused => continue,
                PythonRefuses => {
                    let request = serde_json::json!({"op": "loads", "ser": id, "hex": pyro_interop::hex(&bytes)});
                    let reply = self.peer.request(request);
                    if reply.get("error").is_none() {
                        self.failures.push(format!("{ser} {value:?}: Pyro5 loaded it as {}", reply["repr"]));
                    }
                    continue;
                }
            };
            if let Err(why) = self.peer.loads_equals(id, &bytes, python) {
                self.failures.push(format!("{ser} {value:?}: {why}"));
            }
            if matches!(expect, Both(_)) {
                let bytes = self.peer.dumps(id, python);
                match ser.from_bytes::<T>(&bytes) {
                    Ok(read) if read == value => {}
                    Ok(read) => self.failures.push(format!("{ser} {python} read back as {read:?}, not {value:?}")),
                    Err(e) => self.failures.push(format!("{ser} {python} does not read back as {value:?}: {e}")),
                }
            }
        }
    }

    /// Checks that Pyro5's serialization of the Python value `python` reads as `value`, per serializer.
    fn reads_from_python<T>(&mut self, python: &str, value: T)
    where
        T: DeserializeOwned + PartialEq + Debug,
    {
        for ser in SERIALIZERS {
            let bytes = self.peer.dumps(ser.id(), python);
            match ser.from_bytes::<T>(&bytes) {
                Ok(read) if read == value => {}
                Ok(read) => self.failures.push(format!("{ser} {python} read as {read:?}, not {value:?}")),
                Err(e) => self.failures.push(format!("{ser} {python} does not read as {value:?}: {e}")),
            }
        }
    }

    /// Checks that Pyro5's serialization of `python` does not read as a `T`, per serializer.
    fn refused_from_python<T: DeserializeOwned + Debug>(&mut self, python: &str) {
        for ser in SERIALIZERS {
            let bytes = self.peer.dumps(ser.id(), python);
            if let Ok(read) = ser.from_bytes::<T>(&bytes) {
                self.failures.push(format!("{ser} {python} was read as {read:?}"));
            }
        }
    }

    fn finish(self) {
        assert!(self.failures.is_empty(), "{} mismatches:\n{}", self.failures.len(), self.failures.join("\n"));
    }
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Point {
    x: i32,
    y: f64,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Unit;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Meters(f64);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Pair(i32, i32);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Mode {
    Off,
    Level(u8),
    Span(i32, i32),
    Named { name: String },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(tag = "kind")]
enum Internal {
    Circle { r: f64 },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(tag = "t", content = "c")]
enum Adjacent {
    Level(u8),
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
#[serde(untagged)]
enum Untagged {
    Int(i64),
    Text(String),
}

#[test]
fn integers_of_every_width() {
    let mut t = Table::new();
    t.row(-5i8, [Both("-5"); 4]);
    t.row(-300i16, [Both("-300"); 4]);
    t.row(i32::MIN, [Both("-2**31"); 4]);
    t.row(i64::MIN, [Both("-2**63"); 4]);
    t.row(255u8, [Both("255"); 4]);
    t.row(u16::MAX, [Both("2**16-1"); 4]);
    t.row(u32::MAX, [Both("2**32-1"); 4]);
    t.row(u64::MAX, [Both("2**64-1"); 4]);
    t.row(-7isize, [Both("-7"); 4]);
    t.row(7usize, [Both("7"); 4]);
    t.row(5i128, [Both("5"); 4]);
    t.row(-5i128, [Both("-5"); 4]);
    t.row(i128::MIN, [Both("-2**127"); 4]);
    t.row(i128::MAX, [Both("2**127-1"); 4]);
    t.row(1u128 << 64, [Both("2**64"); 4]);
    t.row(u128::MAX, [Both("2**128-1"); 4]);
    // Out of range is an error, never a wrapped value.
    t.refused_from_python::<u128>("-1");
    t.refused_from_python::<u64>("-1");
    t.refused_from_python::<i128>("2**127");
    t.refused_from_python::<u8>("256");
    t.refused_from_python::<i32>("1.5");
    t.finish();
}

#[test]
fn scalars_strings_and_bytes() {
    let mut t = Table::new();
    t.row(true, [Both("True"); 4]);
    t.row(1.5f64, [Both("1.5"); 4]);
    t.row(-0.0f64, [Both("-0.0"); 4]);
    t.row(1e300f64, [Both("1e300"); 4]);
    t.row(0.1f32, [Both("0.10000000149011612"); 4]);
    t.row('λ', [Both("'λ'"); 4]);
    t.row("é ✓".to_string(), [Both("'é ✓'"); 4]);
    // Vec<u8> is a list of ints; serde_bytes makes it bytes: json cannot carry them, and
    // Pyro5's serpent sends them as a base64 dict that a Python receiver keeps as the dict.
    t.row(vec![1u8, 2], [Both("[1, 2]"); 4]);
    let base64 = "{'data': 'AQI=', 'encoding': 'base64'}";
    t.row(
        serde_bytes::ByteBuf::from(vec![1u8, 2]),
        [Both("b'\\x01\\x02'"), Refused, Loads(base64), Both("b'\\x01\\x02'")],
    );
    t.refused_from_python::<i32>("'1'");
    // Python's int for a float parameter.
    t.reads_from_python("2", 2.0f64);
    t.finish();
    // Python bytes read into a Vec<u8> and into a bytes type too, serpent's base64 dict
    // included (json has no bytes).
    let mut peer = CodecPeer::start();
    for ser in [Serializer::Msgpack, Serializer::Serpent, Serializer::Marshal] {
        let bytes = peer.dumps(ser.id(), "b'\\x01\\x02'");
        assert_eq!(ser.from_bytes::<Vec<u8>>(&bytes).unwrap_or_default(), [1, 2], "{ser}");
        let buf = ser.from_bytes::<serde_bytes::ByteBuf>(&bytes).unwrap_or_default();
        assert_eq!(buf.as_ref(), [1, 2], "{ser}");
    }
}

#[test]
fn sequences_structs_and_enums() {
    let mut t = Table::new();
    // serde's tuples (tuples, tuple structs, arrays) are lists where the serializer has no
    // tuples, and tuples in serpent and marshal.
    let tuple = |list, tuple| [Both(list), Both(list), Both(tuple), Both(tuple)];
    t.row((1, "a".to_string()), tuple("[1, 'a']", "(1, 'a')"));
    t.row([1, 2, 3], tuple("[1, 2, 3]", "(1, 2, 3)"));
    t.row(vec![1, 2, 3], [Both("[1, 2, 3]"); 4]);
    t.row(Point { x: 1, y: 2.5 }, [Both("{'x': 1, 'y': 2.5}"); 4]);
    t.row(Unit, [Both("None"); 4]);
    t.row((), [Both("None"); 4]);
    t.row(Meters(5.5), [Both("5.5"); 4]);
    t.row(Pair(1, 2), tuple("[1, 2]", "(1, 2)"));
    t.row(Mode::Off, [Both("'Off'"); 4]);
    t.row(Mode::Level(3), [Both("{'Level': 3}"); 4]);
    t.row(Mode::Span(-1, 1), tuple("{'Span': [-1, 1]}", "{'Span': (-1, 1)}"));
    let named = "{'Named': {'name': 'n'}}";
    t.row(Mode::Named { name: "n".into() }, [Both(named); 4]);
    let circle = "{'kind': 'Circle', 'r': 1.5}";
    t.row(Internal::Circle { r: 1.5 }, [Both(circle); 4]);
    t.row(Adjacent::Level(3), [Both("{'t': 'Level', 'c': 3}"); 4]);
    t.row(Untagged::Int(3), [Both("3"); 4]);
    t.row(Untagged::Text("x".into()), [Both("'x'"); 4]);
    t.row(None::<i32>, [Both("None"); 4]);
    t.row(Some(3), [Both("3"); 4]);
    t.row(Duration::new(1, 5), [Both("{'secs': 1, 'nanos': 5}"); 4]);
    // Pyro5's serpent sends a timedelta as its float seconds (the other serializers refuse it).
    let seconds = t.peer.dumps(Serializer::SERPENT_ID, "datetime.timedelta(seconds=1.5)");
    assert_eq!(Serializer::Serpent.from_bytes::<f64>(&seconds).ok(), Some(1.5));
    // Python tuples and sets arrive as sequences.
    t.reads_from_python("(1, 'a')", (1, "a".to_string()));
    t.reads_from_python("{3}", BTreeSet::from([3]));
    t.finish();
}

#[test]
fn maps_and_sets() {
    let mut t = Table::new();
    t.row(HashMap::from([("a".to_string(), 1)]), [Both("{'a': 1}"); 4]);
    // Int keys: msgpack carries them, but Pyro5's msgpack loader refuses non-str keys
    // (strict_map_key); json turns them into str, and they read back as ints; serpent and
    // marshal keep them.
    let one = "{1: 'one'}";
    t.row(BTreeMap::from([(1, "one".to_string())]), [PythonRefuses, Both("{'1': 'one'}"), Both(one), Both(one)]);
    t.row(BTreeMap::from([(true, 1)]), [PythonRefuses, Both("{'true': 1}"), Both("{True: 1}"), Both("{True: 1}")]);
    t.row(BTreeMap::from([(-2i64, 1)]), [PythonRefuses, Loads("{'-2': 1}"), Both("{-2: 1}"), Both("{-2: 1}")]);
    // Tuple keys: only serpent and marshal carry them (as tuples).
    let pairs = "{(1, 2): 3}";
    t.row(BTreeMap::from([((1, 2), 3)]), [PythonRefuses, Refused, Both(pairs), Both(pairs)]);
    t.row(BTreeSet::from([1, 2]), [Both("[1, 2]"); 4]);
    // Python's int-keyed dicts read into int-keyed maps over every serializer.
    t.reads_from_python("{1: 'one', 2: 'two'}", BTreeMap::from([(1u8, "one".to_string()), (2, "two".to_string())]));
    t.finish();
}

#[test]
fn value_kinds() {
    use pyro_runtime::value::{Date, Dict, Value};
    let mut t = Table::new();
    let pair = Value::Tuple(vec![Value::Int(1), Value::from("a")]);
    t.row(pair, [Loads("[1, 'a']"), Loads("[1, 'a']"), Both("(1, 'a')"), Both("(1, 'a')")]);
    t.row(Value::Set(vec![Value::Int(3)]), [Loads("[3]"), Loads("[3]"), Both("{3}"), Both("{3}")]);
    // Pyro5's serpent writes an empty set as `()`, and so does pyro.
    t.row(Value::Set(vec![]), [Loads("[]"), Loads("[]"), Loads("()"), Both("set()")]);
    t.row(
        Value::Complex { re: 1.0, im: 2.0 },
        [Both("complex(1, 2)"), Refused, Both("complex(1, 2)"), Both("complex(1, 2)")],
    );
    // With a NaN part serpent writes the class dict Pyro5 writes, which Pyro5 cannot load.
    let nan = Value::Complex { re: f64::NAN, im: 1.0 };
    t.row(nan, [Loads("complex(nan, 1)"), Refused, PythonRefuses, Loads("complex(nan, 1)")]);
    let bytes = Value::Bytes(vec![1, 2]);
    let base64 = "{'data': 'AQI=', 'encoding': 'base64'}";
    t.row(bytes, [Both("b'\\x01\\x02'"), Refused, Loads(base64), Both("b'\\x01\\x02'")]);
    t.row(Value::Float(f64::NAN), [Loads("nan"), Loads("nan"), Loads("nan"), Loads("nan")]);
    let int_keys: Dict = [(Value::Int(1), Value::from("one"))].into_iter().collect();
    t.row(Value::Dict(int_keys), [PythonRefuses, Loads("{'1': 'one'}"), Both("{1: 'one'}"), Both("{1: 'one'}")]);
    let tuple_keys: Dict = [(Value::Tuple(vec![Value::Int(1), Value::Int(2)]), Value::Int(3))].into_iter().collect();
    t.row(Value::Dict(tuple_keys), [PythonRefuses, Refused, Both("{(1, 2): 3}"), Both("{(1, 2): 3}")]);
    // Dates: msgpack's ext types; isoformat text over json and serpent; marshal has none, not
    // even at the top level (where Pyro5's marshal serializer would turn other objects into dicts).
    let date = Value::Date(Date::new(2024, 1, 2).expect("valid date"));
    t.row(date, [Both("datetime.date(2024, 1, 2)"), Loads("'2024-01-02'"), Loads("'2024-01-02'"), Refused]);
    let iso = "'2024-01-02T03:04:05.600000'";
    let when = Value::DateTime(1_704_164_645.6);
    t.row(when, [Both("datetime.datetime(2024, 1, 2, 3, 4, 5, 600000)"), Loads(iso), Loads(iso), Refused]);
    t.finish();
    // And Pyro5's marshal refuses a top-level date too.
    let script = "import datetime, Pyro5.serializers as s\n\
                  for v in (datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2)):\n\
                  \x20   try:\n\
                  \x20       s.serializers['marshal'].dumps(v)\n\
                  \x20   except Exception as e:\n\
                  \x20       print(type(e).__name__)\n";
    let out = pyro_interop::python().command().args(["-c", script]).output().expect("python runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "SerializeError\nSerializeError\n", "{out:?}");
}

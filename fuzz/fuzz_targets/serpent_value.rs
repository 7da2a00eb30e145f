//! Any bytes given to the serpent parser give a value or an error, never a panic; a parsed value
//! writes back (with `bytes_repr`, so bytes stay hashable) to bytes that parse to an equal
//! value, up to the one change Python makes too: an empty set is written, and read back, as `()`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyro_runtime::serializer::serpent::{self, Options};
use pyro_runtime::value::Value;

/// `value` as it reads back from serpent: empty sets become empty tuples.
fn as_read_back(value: &Value) -> Value {
    let all = |items: &[Value]| items.iter().map(as_read_back).collect();
    match value {
        Value::Set(items) if items.is_empty() => Value::Tuple(Vec::new()),
        Value::Set(items) => Value::Set(all(items)),
        Value::List(items) => Value::List(all(items)),
        Value::Tuple(items) => Value::Tuple(all(items)),
        Value::Dict(d) => Value::Dict(d.iter().map(|(k, v)| (as_read_back(k), as_read_back(v))).collect()),
        other => other.clone(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serpent::parse_value(data) else {
        return;
    };
    let options = Options { bytes_repr: true };
    let bytes = serpent::to_bytes_with(&value, options).expect("a parsed value is serpent-carriable");
    let again = serpent::parse_value(&bytes).expect("the writer's output parses");
    assert_eq!(again, as_read_back(&value));
});

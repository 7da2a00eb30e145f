//! Any bytes given to the marshal readers give a value or an error, never a panic, a hang or
//! unbounded memory: the `Value` reader and the serde deserializer agree on what they read, and
//! a parsed value writes back to bytes that parse to an equal value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyro_runtime::serializer::marshal;
use pyro_runtime::value::Value;

fuzz_target!(|data: &[u8]| {
    let parsed = marshal::parse_value(data);
    let typed = marshal::from_bytes::<serde::de::IgnoredAny>(data);
    // Typed targets only must not panic.
    let _ = marshal::from_bytes::<Vec<(String, Vec<u8>, Option<f64>)>>(data);
    let _ = marshal::from_bytes::<std::collections::BTreeMap<String, (i64, Vec<Value>)>>(data);
    assert_eq!(marshal::from_bytes::<Value>(data).ok(), parsed.as_ref().ok().cloned());
    let Ok(value) = parsed else {
        return;
    };
    assert!(typed.is_ok(), "the deserializer refused what the Value reader read");
    let bytes = marshal::to_bytes(&value).expect("a parsed value is marshal-carriable");
    let again = marshal::parse_value(&bytes).expect("the writer's output parses");
    assert_eq!(again, value);
});

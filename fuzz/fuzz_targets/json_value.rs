//! Any bytes given to the json parser give a value or an error, never a panic; a parsed value
//! (always json-carriable: str keys, lists, numbers, strings) writes back to bytes that parse
//! to an equal value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyro_runtime::serializer::json;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = json::parse_value(data) else {
        return;
    };
    let bytes = json::to_bytes(&value).expect("a parsed value is json-carriable");
    let again = json::parse_value(&bytes).expect("the writer's output parses");
    assert_eq!(again, value);
});

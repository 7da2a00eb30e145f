//! Any bytes given to the marshal reader give a value or an error, never a panic, a hang or
//! unbounded memory; a parsed value writes back to bytes that parse to an equal value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyro_runtime::serializer::marshal;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = marshal::parse_value(data) else {
        return;
    };
    let bytes = marshal::to_bytes(&value).expect("a parsed value is marshal-carriable");
    let again = marshal::parse_value(&bytes).expect("the writer's output parses");
    assert_eq!(again, value);
});

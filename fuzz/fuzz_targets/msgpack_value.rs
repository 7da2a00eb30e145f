//! Any bytes decode as a msgpack `Value` or give an error, never a panic; a decoded value
//! re-encodes to bytes that decode to an equal value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyro_runtime::serializer::msgpack;
use pyro_runtime::value::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = msgpack::from_bytes::<Value>(data) else {
        return;
    };
    let bytes = msgpack::to_bytes(&value).expect("a decoded value re-encodes");
    let again: Value = msgpack::from_bytes(&bytes).expect("a re-encoded value decodes");
    assert_eq!(again, value, "round trip changed {data:02x?}");
});

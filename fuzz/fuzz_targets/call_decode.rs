//! Any bytes given to `decode_call` of either serializer give a call or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyro_runtime::serializer::Serializer;

fuzz_target!(|data: &[u8]| {
    let _ = Serializer::Msgpack.decode_call(data);
    let _ = Serializer::Json.decode_call(data);
});

//! Arbitrary bytes, fed to the message decoder whole and in arbitrary chunks, and parsed through
//! `Header::parse` + `Message::from_parts`: never a panic, and every path agrees (see
//! `pyro_runtime::protocol::fuzzing::exercise_decoder`, which a unit test also runs on thousands of
//! pseudo-random inputs). The first input byte picks the maximum message size and the chunk sizes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyro_runtime::protocol::fuzzing::exercise_decoder;

fuzz_target!(|data: &[u8]| {
    exercise_decoder(data);
});

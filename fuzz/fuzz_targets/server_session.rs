//! Arbitrary bytes as a client's side of a connection, decoded and handed to a server session
//! that runs every call it dispatches: never a panic, and a session that asks to close stays
//! closed (see `pyro_runtime::session::fuzzing::exercise_server_session`, which a unit test also
//! runs on thousands of mutated conversations).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pyro_runtime::session::fuzzing::exercise_server_session;

fuzz_target!(|data: &[u8]| {
    exercise_server_session(data);
});

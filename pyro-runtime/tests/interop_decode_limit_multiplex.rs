//! The decode-limit tests of `interop_decode_limit.rs`, against the multiplexed server
//! (`daemon_support::config` picks it for `*_multiplex` test crates).
#![cfg(unix)]

#[path = "interop_decode_limit.rs"]
mod interop_decode_limit;

//! The TLS tests of `interop_tls.rs` (Python Pyro5 clients over 1-way and 2-way TLS among
//! them), against the multiplexed server (`daemon_support::config` picks it for `*_multiplex`
//! test crates).
#![cfg(unix)]

#[path = "interop_tls.rs"]
mod interop_tls;

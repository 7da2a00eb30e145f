//! The daemon protocol tests of `daemon_protocol.rs`, against the multiplexed server
//! (`daemon_support::config` picks it for `*_multiplex` test crates).
#![cfg(unix)]

#[path = "daemon_protocol.rs"]
mod daemon_protocol;

//! The bounded load test of `daemon_load.rs`, against the multiplexed server
//! (`daemon_support::config` picks it for `*_multiplex` test crates).
#![cfg(unix)]

#[path = "daemon_load.rs"]
mod daemon_load;

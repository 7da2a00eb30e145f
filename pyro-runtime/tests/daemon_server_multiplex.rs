//! The daemon server tests of `daemon_server.rs`, against the multiplexed server
//! (`daemon_support::config` picks it for `*_multiplex` test crates).
#![cfg(unix)]

#[path = "daemon_server.rs"]
mod daemon_server;

//! One proxy shared by many threads: concurrent calls use separate pooled connections (up to the
//! maximum), instead of queueing behind each other.

#![allow(clippy::unwrap_used)]

mod proxy_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;

use proxy_support::{FakeServer, Handshake, thing, thing_metadata};
use pyro_runtime::serializer::Serializer;
use pyro_runtime::value::Value;

fn call_slow_from_threads(proxy: &Arc<pyro_runtime::proxy::Proxy>, threads: usize) {
    let barrier = Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let proxy = Arc::clone(proxy);
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                proxy.call::<_, Value>("slow", &(300,)).unwrap();
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}

#[test]
fn concurrent_calls_run_in_parallel_on_separate_connections() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = Arc::new(server.proxy(Serializer::Msgpack));
    assert_eq!(proxy.max_connections(), 4);
    call_slow_from_threads(&proxy, 4);
    assert_eq!(server.stats.max_in_call.load(Ordering::SeqCst), 4, "all four calls ran at the same time");
    assert_eq!(server.stats.connections.load(Ordering::SeqCst), 4);
    assert_eq!(proxy.open_connections(), 4, "the connections stay open for reuse");

    // Later calls reuse the pooled connections.
    call_slow_from_threads(&proxy, 4);
    assert_eq!(server.stats.connections.load(Ordering::SeqCst), 4);
}

#[test]
fn the_pool_is_bounded() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = Arc::new(server.proxy(Serializer::Msgpack).with_max_connections(2));
    call_slow_from_threads(&proxy, 6);
    assert_eq!(server.stats.max_open.load(Ordering::SeqCst), 2, "never more than 2 connections");
    assert_eq!(server.stats.max_in_call.load(Ordering::SeqCst), 2);
    assert_eq!(server.stats.connections.load(Ordering::SeqCst), 2);
}

#[test]
fn one_connection_serializes_calls_like_pyro5() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = Arc::new(server.proxy(Serializer::Json).with_max_connections(1));
    call_slow_from_threads(&proxy, 3);
    assert_eq!(server.stats.max_in_call.load(Ordering::SeqCst), 1);
    let seqs: Vec<u16> = server.stats.invokes().iter().map(|m| m.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);
}

#[test]
fn many_threads_many_calls() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = Arc::new(server.proxy(Serializer::Msgpack));
    let handles: Vec<_> = (0..8i64)
        .map(|t| {
            let proxy = Arc::clone(&proxy);
            thread::spawn(move || {
                for i in 0..200i64 {
                    assert_eq!(proxy.call::<_, i64>("add", &(t, i)).unwrap(), t + i);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    assert!(server.stats.max_open.load(Ordering::SeqCst) <= 4);
    assert_eq!(server.stats.invokes().len(), 1600);
}

#[test]
fn release_while_calls_are_busy_closes_those_connections_afterwards() {
    let server = FakeServer::start(Handshake::Ok(thing_metadata()), thing);
    let proxy = Arc::new(server.proxy(Serializer::Msgpack));
    let busy = {
        let proxy = Arc::clone(&proxy);
        thread::spawn(move || proxy.call::<_, Value>("slow", &(300,)).unwrap())
    };
    while server.stats.in_call.load(Ordering::SeqCst) == 0 {
        thread::sleep(std::time::Duration::from_millis(5));
    }
    proxy.release();
    busy.join().unwrap();
    assert_eq!(proxy.open_connections(), 0, "the busy connection was closed when its call ended");
}

//! A bounded load test of the async daemon on loopback: 1,000 connections, each pipelining 10
//! requests at once (10,000 calls in flight, async and plain methods mixed), driven by the
//! sans-IO `ClientSession` over tokio sockets. Every reply is checked (sequence number and
//! value), nothing may be lost, the process's memory stays bounded, and it all takes well
//! under 30 seconds in a debug build.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

mod aio_service;

use std::sync::Arc;
use std::time::{Duration, Instant};

use pyro::protocol::{EncodeOptions, Flags, Message, MessageDecoder};
use pyro::session::ClientSession;
use pyro::value::Dict;
use pyro::{Serializer, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CONNECTIONS: usize = 1000;
const PIPELINED: usize = 10;

/// The process's resident memory in KiB (Linux), `None` elsewhere.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Reads one message.
async fn receive(tcp: &mut tokio::net::TcpStream, decoder: &mut MessageDecoder) -> Message {
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(message) = decoder.next_message().unwrap() {
            return message;
        }
        let n = tcp.read(&mut buffer).await.unwrap();
        assert!(n > 0, "the daemon closed a connection");
        decoder.feed(&buffer[..n]);
    }
}

/// One client: connects, waits for all the others, sends its 10 requests with one write, and
/// checks the 10 replies; returns how many were right.
async fn client(addr: std::net::SocketAddr, index: usize, ready: Arc<tokio::sync::Barrier>) -> usize {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let options = EncodeOptions::default();
    let mut session = ClientSession::new(Serializer::Msgpack);
    let mut decoder = MessageDecoder::new();
    let connect = session.connect_request("service", &Value::from("hello")).unwrap();
    tcp.write_all(&connect.to_bytes(&options).unwrap()).await.unwrap();
    let ok = receive(&mut tcp, &mut decoder).await;
    session.on_connect_reply(&ok, "load").unwrap();
    ready.wait().await;
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    for k in 0..PIPELINED {
        let (a, b) = (i64::try_from(index).unwrap(), i64::try_from(k).unwrap());
        // Even calls: the async `add`; odd ones: the plain `mul`, on a blocking thread.
        let (method, value) = if k % 2 == 0 { ("add", a + b) } else { ("mul", a * b) };
        let payload = Serializer::Msgpack.encode_call("service", method, &(a, b), Some(&Dict::new())).unwrap();
        wire.extend(session.invoke_request(payload, Flags::EMPTY).to_bytes(&options).unwrap());
        expected.push((method, value));
    }
    tcp.write_all(&wire).await.unwrap();
    let mut right = 0;
    for (method, value) in expected {
        let reply = receive(&mut tcp, &mut decoder).await;
        session.check_reply(&reply).unwrap();
        let got: i64 = session.decode_result(method, &reply).unwrap();
        assert_eq!(got, value, "connection {index}: {method}");
        right += 1;
    }
    right
}

#[test]
fn a_thousand_connections_with_ten_thousand_calls_in_flight() {
    let started = Instant::now();
    let config = pyro::Config { threadpool_size: 16, ..aio_service::config() };
    let daemon =
        pyro::aio::Daemon::new(pyro::Daemon::builder().config(config).host("127.0.0.1").port(0).bind().unwrap());
    daemon.register(aio_service::Service::default(), Some("service")).unwrap();
    let addr = daemon.local_addr().unwrap();
    let shutdown = daemon.shutdown_handle();
    let server_runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let server = server_runtime.spawn(async move { daemon.serve().await });

    let client_runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // A warm-up round, so that the measured growth is the load's, not the first use's.
    let warm = client_runtime.block_on(client(addr, 0, Arc::new(tokio::sync::Barrier::new(1))));
    assert_eq!(warm, PIPELINED);
    let before = rss_kib();
    let ready = Arc::new(tokio::sync::Barrier::new(CONNECTIONS));
    let right: usize = client_runtime.block_on(async {
        let clients: Vec<_> =
            (0..CONNECTIONS).map(|index| tokio::spawn(client(addr, index, Arc::clone(&ready)))).collect();
        let all = async {
            let mut right = 0;
            for client in clients {
                right += client.await.unwrap();
            }
            right
        };
        tokio::time::timeout(Duration::from_secs(60), all).await.expect("the load did not finish in time")
    });
    let after = rss_kib();
    assert_eq!(right, CONNECTIONS * PIPELINED, "replies lost");
    if let (Some(before), Some(after)) = (before, after) {
        // About 10 KiB per connection on the daemon's side plus the clients' own; a leak of the
        // calls' buffers or one thread per call would be far more.
        let grown = after.saturating_sub(before);
        assert!(grown < 200 * 1024, "RSS grew by {grown} KiB (from {before} KiB)");
        println!("RSS {before} KiB -> {after} KiB");
    }
    shutdown.shutdown();
    server_runtime.block_on(server).unwrap().unwrap();
    let elapsed = started.elapsed();
    println!("{} calls on {CONNECTIONS} connections in {elapsed:?}", CONNECTIONS * PIPELINED);
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}

//! The multiplexed loop without call workers (`Daemon::event_loop_with_workers(0)`), as Pyro5's
//! multiplex server runs calls: one at a time on the loop's thread, each answered as soon as it
//! ends, while oneway calls still run in the background.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::time::{Duration, Instant};

use daemon_support::{Client, Thing};
use pyro_runtime::Serializer;
use pyro_runtime::daemon::Daemon;
use pyro_runtime::protocol::MessageType;
use pyro_runtime::proxy::Proxy;
use pyro_runtime::value::{Dict, Value};

#[test]
fn calls_run_in_line_on_the_loop_thread_and_answer_as_they_end() {
    let daemon = Daemon::builder().host("127.0.0.1").bind().unwrap();
    let uri = daemon.register(Thing::new(), Some("thing")).unwrap();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.event_loop_with_workers(0).unwrap().run());

    let started = Instant::now();
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let uri = uri.clone();
            std::thread::spawn(move || {
                let answer: String = Proxy::new(uri).call("slow", &(0.5,)).unwrap();
                assert_eq!(answer, "slept");
                started.elapsed()
            })
        })
        .collect();
    let mut ended: Vec<Duration> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    ended.sort();
    // In line: 0.5 s, 1 s, 1.5 s; each answer leaves when its call ends, not with the next.
    assert!(ended[2] >= Duration::from_millis(1450), "{ended:?}");
    for pair in ended.windows(2) {
        assert!(pair[1] - pair[0] >= Duration::from_millis(400), "{ended:?}");
    }

    // A oneway call does not hold the loop: the next call answers at once.
    let proxy = Proxy::new(uri);
    proxy.call_oneway("slow", &(1.0,)).unwrap();
    let asked = Instant::now();
    assert_eq!(proxy.call::<_, i64>("add", &(1, 2)).unwrap(), 3);
    assert!(asked.elapsed() < Duration::from_millis(700), "{:?}", asked.elapsed());

    stop.shutdown();
    server.join().unwrap().unwrap();
}

/// Pipelined requests: each answer goes out with the next call started; that call, run on the
/// loop's thread, is answered by the next `events`, and the loop's descriptor is ready for it
/// (a loop of the user's waits on it), so none waits for a timer.
#[test]
fn pipelined_requests_are_answered_at_once_and_the_loop_fd_says_so() {
    use mio::unix::SourceFd;
    use mio::{Events, Interest, Poll, Token};

    let daemon = Daemon::builder().host("127.0.0.1").bind().unwrap();
    daemon.register(Thing::new(), Some("thing")).unwrap();
    let addr = daemon.local_addr().unwrap();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || {
        let mut event_loop = daemon.event_loop_with_workers(0).unwrap();
        // The user's loop: `events` only when the loop's descriptor is readable.
        let mut poll = Poll::new().unwrap();
        poll.registry().register(&mut SourceFd(&event_loop.fd()), Token(0), Interest::READABLE).unwrap();
        let mut events = Events::with_capacity(8);
        while !event_loop.is_shut_down() {
            poll.poll(&mut events, Some(Duration::from_millis(100))).unwrap();
            if !events.is_empty() {
                event_loop.events(Some(Duration::ZERO)).unwrap();
            }
        }
    });

    let ser = Serializer::Msgpack;
    let mut client = Client::ready(addr, ser);
    let messages: Vec<_> =
        (0..40i64).map(|i| client.invoke_message(ser, "thing", "add", vec![i.into(), 1.into()], Dict::new())).collect();
    let first = client.seq - 39;
    let asked = Instant::now();
    client.stream.send_messages(&messages).unwrap();
    for i in 0..40i64 {
        let reply = client.receive().unwrap();
        assert_eq!((reply.msg_type, reply.seq), (MessageType::Result, first + i as u16), "call {i}");
        assert_eq!(ser.from_bytes::<Value>(&reply.data).unwrap(), Value::Int(i + 1));
    }
    // 40 polls of 100 ms (or housekeeping's 2 s) if a step waited for a timer.
    assert!(asked.elapsed() < Duration::from_millis(1000), "{:?}", asked.elapsed());

    stop.shutdown();
    server.join().unwrap();
}

//! The multiplexed loop without call workers (`Daemon::event_loop_with_workers(0)`), as Pyro5's
//! multiplex server runs calls: one at a time on the loop's thread, each answered as soon as it
//! ends, while oneway calls still run in the background.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::time::{Duration, Instant};

use daemon_support::Thing;
use pyro_runtime::daemon::Daemon;
use pyro_runtime::proxy::Proxy;

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

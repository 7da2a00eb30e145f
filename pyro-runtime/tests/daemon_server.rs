//! The daemon as a server: registration, the worker pool, shutdown, Unix and IPv6 sockets,
//! concurrency, and surviving hostile byte streams.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use daemon_support::{Client, Thing, config, start, start_daemon};
use pyro_runtime::daemon::Daemon;
use pyro_runtime::protocol::{Message, MessageType};
use pyro_runtime::serializer::marshal;
use pyro_runtime::transport::Socket;
use pyro_runtime::value::Value;
use pyro_runtime::{Config, Error, Serializer};

#[test]
fn register_and_unregister() {
    let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    let uri = daemon.register(Thing::new(), Some("thing")).unwrap();
    assert_eq!(uri.to_string(), format!("PYRO:thing@127.0.0.1:{}", daemon.local_addr().unwrap().port()));
    let err = daemon.register(Thing::new(), Some("thing")).unwrap_err();
    assert!(
        matches!(&err, Error::Daemon { message } if message == "an object or class is already registered with that id"),
        "{err}"
    );
    assert!(daemon.register(Thing::new(), Some("Pyro.Daemon")).is_err());
    let generated = daemon.register(Thing::new(), None).unwrap();
    let id = generated.object();
    assert!(id.starts_with("obj_") && id.len() == 36 && id[4..].chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    assert_eq!(daemon.registered(), ["Pyro.Daemon", "thing", id]);
    assert!(daemon.unregister("thing"));
    assert!(!daemon.unregister("thing"));
    assert!(!daemon.unregister("Pyro.Daemon"));
    assert_eq!(daemon.registered(), ["Pyro.Daemon", id]);
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Daemon>();
    assert_send_sync::<pyro_runtime::ShutdownHandle>();
}

#[test]
fn nat_location_and_config_errors() {
    let config = Config { nat_host: Some("gateway".into()), ..Config::default() };
    let daemon = Daemon::builder().config(config).host("127.0.0.1").bind().unwrap();
    let port = daemon.local_addr().unwrap().port();
    assert_eq!(daemon.uri_for("x").unwrap().to_string(), format!("PYRO:x@gateway:{port}"));
    assert_eq!(daemon.location().to_string(), format!("127.0.0.1:{port}"));
    let bad = Config { threadpool_size: 1, threadpool_size_min: 2, ..Config::default() };
    assert!(matches!(Daemon::new(bad), Err(Error::Config(_))));
    assert!(Daemon::builder().unix_socket("/tmp/pyro-nat-test.sock").nat("gw", 1).bind().is_err());
}

#[test]
fn full_pool_refuses_with_marshal_connectfail() {
    if daemon_support::server_type() == pyro_runtime::config::ServerType::Multiplex {
        // The multiplexed server has no per-connection workers and refuses no one (as Pyro5's).
        return;
    }
    let daemon = start(Config { threadpool_size: 1, threadpool_size_min: 1, ..config() });
    let mut first = Client::ready(daemon.addr(), Serializer::Msgpack);
    let mut second = Client::connect(daemon.addr());
    second.seq = 4;
    let reply = second.handshake(Serializer::Msgpack, "thing");
    assert_eq!((reply.msg_type, reply.serializer_id, reply.seq), (MessageType::ConnectFail, 2, 4));
    assert_eq!(marshal::decode_str(&reply.data).unwrap(), "no free workers, increase server threadpool size");
    assert!(second.is_closed());
    assert_eq!(first.call(Serializer::Msgpack, "thing", "add", vec![1.into(), 2.into()]), Ok(Value::Int(3)));
    // Once the first client leaves, its worker serves the next one.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut client = Client::connect(daemon.addr());
        if client.handshake(Serializer::Msgpack, "thing").msg_type == MessageType::ConnectOk {
            break;
        }
        assert!(Instant::now() < deadline, "the worker never came back");
        std::thread::sleep(Duration::from_millis(20));
    }
    daemon.stop();
}

#[test]
fn refusing_a_client_waits_on_no_other_client() {
    // The multiplexed server refuses no one (as Pyro5's): there the silent and trickling
    // clients are served too, and the next client is answered at once all the same.
    let multiplexed = daemon_support::server_type() == pyro_runtime::config::ServerType::Multiplex;
    let daemon = start(Config { threadpool_size: 1, threadpool_size_min: 1, ..config() });
    let mut first = Client::ready(daemon.addr(), Serializer::Msgpack);
    // Refused clients that send nothing, and one that trickles its CONNECT a byte at a time.
    let silent: Vec<std::net::TcpStream> =
        (0..4).map(|_| std::net::TcpStream::connect(daemon.addr()).unwrap()).collect();
    let mut trickler = std::net::TcpStream::connect(daemon.addr()).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let trickling = {
        let stop = std::sync::Arc::clone(&stop);
        let bytes = Client::handshake_message(Serializer::Msgpack, "thing").to_bytes(&Default::default()).unwrap();
        std::thread::spawn(move || {
            for byte in bytes {
                if stop.load(Ordering::Relaxed) || trickler.write_all(&[byte]).is_err() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        })
    };
    std::thread::sleep(Duration::from_millis(100));
    // The next client is answered at once; before, the accept thread waited up to 2 s for each
    // silent client's CONNECT first.
    let start = Instant::now();
    let mut next = Client::connect(daemon.addr());
    let reply = next.handshake(Serializer::Msgpack, "thing");
    let expected = if multiplexed { MessageType::ConnectOk } else { MessageType::ConnectFail };
    assert_eq!(reply.msg_type, expected);
    assert!(start.elapsed() < Duration::from_millis(1500), "answered after {:?}", start.elapsed());
    assert_eq!(first.call(Serializer::Msgpack, "thing", "add", vec![1.into(), 2.into()]), Ok(Value::Int(3)));
    stop.store(true, Ordering::Relaxed);
    trickling.join().unwrap();
    drop(silent);
    daemon.stop();
}

#[test]
fn pool_grows_beyond_the_minimum() {
    if daemon_support::server_type() == pyro_runtime::config::ServerType::Multiplex {
        // The multiplexed server has no per-connection workers and refuses no one (as Pyro5's).
        return;
    }
    let daemon = start(Config { threadpool_size: 6, threadpool_size_min: 1, ..config() });
    let mut clients: Vec<Client> = (0..6).map(|_| Client::ready(daemon.addr(), Serializer::Json)).collect();
    for client in &mut clients {
        assert_eq!(client.call(Serializer::Json, "thing", "add", vec![1.into(), 1.into()]), Ok(Value::Int(2)));
    }
    let reply = Client::connect(daemon.addr()).handshake(Serializer::Json, "thing");
    assert_eq!(reply.msg_type, MessageType::ConnectFail);
    daemon.stop();
}

#[test]
fn shutdown_from_another_thread_stops_the_loop_and_closes_idle_connections() {
    let mut daemon = start(config());
    let mut client = Client::ready(daemon.addr(), Serializer::Msgpack);
    let handle = daemon.daemon.shutdown_handle();
    assert!(!handle.is_shutdown());
    std::thread::spawn(move || handle.shutdown()).join().unwrap();
    daemon.thread.take().unwrap().join().unwrap().unwrap();
    assert!(client.is_closed(), "idle connections are closed on shutdown");
    // Nothing serves the port any more.
    let refused = std::net::TcpStream::connect(daemon.addr());
    if let Ok(stream) = refused {
        let mut c = Client::over(Socket::Tcp(stream));
        c.send(&Client::handshake_message(Serializer::Msgpack, "thing"));
        assert!(c.receive().is_err());
    }
}

#[test]
fn shutdown_lets_a_call_under_way_answer_then_closes_its_connection() {
    let mut daemon = start(config());
    let addr = daemon.addr();
    // Connections that came and went before: their closing must not confuse the drain.
    for _ in 0..20 {
        let mut client = Client::ready(addr, Serializer::Msgpack);
        assert_eq!(client.call(Serializer::Msgpack, "thing", "add", vec![1.into(), 2.into()]), Ok(Value::Int(3)));
    }
    let mut idle = Client::ready(addr, Serializer::Msgpack);
    let mut busy = Client::ready(addr, Serializer::Msgpack);
    let slow = std::thread::spawn(move || {
        let answer = busy.call(Serializer::Msgpack, "thing", "slow", vec![Value::Float(0.5)]);
        (answer, busy.is_closed())
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while daemon.slow_calls.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(daemon.slow_calls.load(Ordering::SeqCst), 1, "the slow call did not start");
    daemon.daemon.shutdown();
    assert!(idle.is_closed(), "an idle connection is closed at once");
    // The request loop returns once the call under way answered.
    daemon.thread.take().unwrap().join().unwrap().unwrap();
    let (answer, closed_after) = slow.join().unwrap();
    assert_eq!(answer, Ok(Value::from("slept")));
    assert!(closed_after, "the busy connection is closed after its reply");
}

#[test]
fn shutdown_from_inside_a_method_still_answers_it() {
    let mut daemon = start(config());
    let mut client = Client::ready(daemon.addr(), Serializer::Msgpack);
    assert_eq!(client.call(Serializer::Msgpack, "thing", "stop", vec![]), Ok(Value::from("bye")));
    daemon.thread.take().unwrap().join().unwrap().unwrap();
    assert!(client.is_closed());
}

#[cfg(unix)]
#[test]
fn serves_on_a_unix_socket_file_and_removes_it() {
    let path = std::env::temp_dir().join(format!("pyro-daemon-test-{}.sock", std::process::id()));
    let path = path.to_str().unwrap().to_owned();
    let mut daemon = start_daemon(Daemon::builder().config(config()).unix_socket(path.clone()).bind().unwrap());
    assert_eq!(daemon.daemon.uri_for("thing").unwrap().to_string(), format!("PYRO:thing@./u:{path}"));
    let stream = std::os::unix::net::UnixStream::connect(&path).unwrap();
    let mut client = Client::over(Socket::Unix(stream));
    assert_eq!(client.handshake(Serializer::Msgpack, "thing").msg_type, MessageType::ConnectOk);
    assert_eq!(client.call(Serializer::Msgpack, "thing", "add", vec![2.into(), 3.into()]), Ok(Value::Int(5)));
    drop(client);
    daemon.daemon.shutdown();
    daemon.thread.take().unwrap().join().unwrap().unwrap();
    drop(daemon);
    // The last worker may still be finishing; the file goes when the daemon is gone.
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::path::Path::new(&path).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!std::path::Path::new(&path).exists());
}

#[cfg(target_os = "linux")]
#[test]
fn serves_on_an_abstract_unix_socket() {
    use std::os::linux::net::SocketAddrExt;
    let name = format!("pyro-daemon-test-{}", std::process::id());
    let daemon = start_daemon(Daemon::builder().config(config()).unix_socket(format!("\0{name}")).bind().unwrap());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let stream = std::os::unix::net::UnixStream::connect_addr(&addr).unwrap();
    let mut client = Client::over(Socket::Unix(stream));
    assert_eq!(client.handshake(Serializer::Json, "thing").msg_type, MessageType::ConnectOk);
    assert_eq!(client.call(Serializer::Json, "thing", "add", vec![2.into(), 3.into()]), Ok(Value::Int(5)));
    daemon.stop();
}

#[test]
fn serves_on_ipv6_loopback() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback here; skipping");
        return;
    }
    let daemon = start_daemon(Daemon::builder().config(config()).host("::1").bind().unwrap());
    let addr = daemon.addr();
    assert!(addr.is_ipv6());
    assert_eq!(daemon.daemon.uri_for("thing").unwrap().to_string(), format!("PYRO:thing@[::1]:{}", addr.port()));
    let mut client = Client::ready(addr, Serializer::Msgpack);
    assert_eq!(client.call(Serializer::Msgpack, "thing", "add", vec![2.into(), 3.into()]), Ok(Value::Int(5)));
    daemon.stop();
}

#[test]
fn a_slow_call_does_not_block_another_client() {
    let daemon = start(config());
    let addr = daemon.addr();
    let slow = std::thread::spawn(move || {
        let mut client = Client::ready(addr, Serializer::Msgpack);
        client.call(Serializer::Msgpack, "thing", "slow", vec![Value::Float(1.5)])
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while daemon.slow_calls.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let start = Instant::now();
    let mut fast = Client::ready(addr, Serializer::Msgpack);
    assert_eq!(fast.call(Serializer::Msgpack, "thing", "add", vec![1.into(), 2.into()]), Ok(Value::Int(3)));
    assert!(start.elapsed() < Duration::from_millis(1000), "blocked for {:?}", start.elapsed());
    assert_eq!(slow.join().unwrap(), Ok(Value::from("slept")));
    daemon.stop();
}

#[test]
fn idle_clients_time_out() {
    let daemon = start(Config { comm_timeout: Some(Duration::from_millis(200)), ..config() });
    let mut client = Client::ready(daemon.addr(), Serializer::Msgpack);
    std::thread::sleep(Duration::from_millis(600));
    assert!(client.is_closed());
    daemon.stop();
}

#[test]
fn commtimeout_bounds_a_whole_message_not_each_read() {
    let daemon = start(Config { comm_timeout: Some(Duration::from_millis(500)), ..config() });
    let mut trickler = std::net::TcpStream::connect(daemon.addr()).unwrap();
    trickler.set_nonblocking(true).unwrap();
    // About 60 bytes at one per 150 ms: every read is within the timeout, the message is not.
    let bytes = Client::handshake_message(Serializer::Msgpack, "thing").to_bytes(&Default::default()).unwrap();
    let start = Instant::now();
    let mut closed_after = None;
    for byte in &bytes {
        let mut buf = [0u8; 64];
        match std::io::Read::read(&mut trickler, &mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            _ => {
                closed_after = Some(start.elapsed());
                break;
            }
        }
        if trickler.write_all(&[*byte]).is_err() {
            closed_after = Some(start.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(150));
    }
    let closed_after = closed_after.expect("the daemon waited for the whole trickled message");
    assert!(closed_after < Duration::from_secs(3), "closed only after {closed_after:?}");
    daemon.stop();
}

#[test]
fn compressed_messages_share_one_budget_across_connections() {
    use pyro_runtime::protocol::EncodeOptions;
    let daemon = Daemon::builder().config(config()).host("127.0.0.1").max_in_flight(3 << 20).bind().unwrap();
    let daemon = start_daemon(daemon);
    let compressed = EncodeOptions { compression: true, ..EncodeOptions::default() };
    // notify(2 MB of zeros): tiny on the wire, 2 MB once inflated, held while notify sleeps.
    let send_bomb = |client: &mut Client| {
        let big = Value::Bytes(vec![0; 2 << 20]);
        let message = client.invoke_message(Serializer::Msgpack, "thing", "notify", vec![big], Default::default());
        let wire = message.to_bytes(&compressed).unwrap();
        assert!(wire.len() < 100_000);
        client.stream.get_mut().write_all(&wire).unwrap();
    };
    let served = |reply: &Result<Message, Error>| matches!(reply, Ok(reply) if reply.msg_type == MessageType::Result && !reply.flags.contains(pyro_runtime::protocol::Flags::EXCEPTION));
    // On a loaded machine the first call (300 ms) may be over before the second bomb is
    // read: then nothing overlapped, and the pair is tried again.
    let mut first = None;
    for _attempt in 0..5 {
        let mut one = Client::ready(daemon.addr(), Serializer::Msgpack);
        let mut two = Client::ready(daemon.addr(), Serializer::Msgpack);
        send_bomb(&mut one);
        std::thread::sleep(Duration::from_millis(100));
        send_bomb(&mut two);
        let (second_reply, first_reply) = (two.receive(), one.receive());
        if served(&second_reply) && served(&first_reply) {
            continue;
        }
        // The second inflates past what the first left of the budget: refused, connection closed.
        assert!(!served(&second_reply), "{second_reply:?}");
        assert!(two.is_closed());
        assert!(served(&first_reply), "{first_reply:?}");
        first = Some(one);
        break;
    }
    let mut first = first.expect("the two bombs never overlapped");
    // Once handled, the first message's share is back: a new client's bomb is served.
    assert_eq!(first.call(Serializer::Msgpack, "thing", "add", vec![1.into(), 2.into()]), Ok(Value::Int(3)));
    let mut third = Client::ready(daemon.addr(), Serializer::Msgpack);
    send_bomb(&mut third);
    assert_eq!(third.receive().unwrap().msg_type, MessageType::Result);
    daemon.stop();
}

/// Deterministic pseudo-random bytes (xorshift).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn survives_garbage_and_keeps_serving() {
    let daemon = start(Config { comm_timeout: Some(Duration::from_millis(300)), ..config() });
    let addr = daemon.addr();
    let valid = Client::handshake_message(Serializer::Msgpack, "thing").to_bytes(&Default::default()).unwrap();
    let invoke = Message::new(
        MessageType::Invoke,
        4,
        Serializer::Msgpack.encode_call("thing", "add", &(1, 2), Some(&pyro_runtime::value::Dict::new())).unwrap(),
    )
    .to_bytes(&Default::default())
    .unwrap();
    let mut cases: Vec<(bool, Vec<u8>)> = vec![
        (false, Vec::new()),
        (false, b"PY".to_vec()),
        (false, valid[..20].to_vec()),              // truncated header
        (false, valid[..valid.len() - 3].to_vec()), // truncated body
        (false, {
            let mut v = valid.clone();
            v[12..20].copy_from_slice(&[0xff; 8]); // oversized data and annotation sizes
            v
        }),
        (false, {
            let mut v = valid.clone();
            v[16..20].copy_from_slice(&12u32.to_be_bytes()); // annotations that overrun
            v
        }),
        (false, {
            let mut v = valid.clone();
            v[9] |= 0x02; // "compressed" payload that is not zlib
            v
        }),
        (true, [valid.clone(), noise(1, 300)].concat()),
        (true, [valid.clone(), invoke[..30].to_vec()].concat()),
        (
            true,
            [valid.clone(), {
                let mut v = invoke.clone();
                v[40..].fill(0xc1); // undecodable call
                v
            }]
            .concat(),
        ),
    ];
    for seed in 2..40 {
        cases.push((false, noise(seed, (seed as usize * 37) % 200)));
        let mut v = valid.clone();
        let n = v.len();
        let flip = noise(seed, 4);
        v[usize::from(flip[0]) % n] ^= flip[1] | 1;
        v[usize::from(flip[2]) % n] ^= flip[3] | 1;
        cases.push((false, v));
    }
    for (_, bytes) in &cases {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = stream.write_all(bytes);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stream, &mut sink);
    }
    let mut client = Client::ready(addr, Serializer::Msgpack);
    assert_eq!(client.call(Serializer::Msgpack, "thing", "add", vec![1.into(), 2.into()]), Ok(Value::Int(3)));
    assert_eq!(client.call(Serializer::Msgpack, "Pyro.Daemon", "ping", vec![]), Ok(Value::None));
    daemon.stop();
}

//! A bounded load test on loopback (issue 10, "Proof"): one daemon under every load attack at
//! once while a well-behaved client's calls keep succeeding.
//!
//! Phase 1, all at once in this process: [`IDLE`] connections that did their handshake and
//! then stay idle, [`SLOW`] clients sending a byte every second, [`SILENT`] clients that connect
//! and send nothing, and [`BOMBERS`] clients sending compressed calls that inflate to 1 GiB,
//! again and again. Meanwhile the good client calls on its own connection and on a new one per
//! call. Afterwards every idle connection still answers a call.
//!
//! Phase 2: [`STORM`] connections, each sending a handshake, opened by a child process (a
//! plain Python script: both ends of 10,000 connections do not fit in one process's file
//! limit), while the good client keeps calling. The multiplexed server accepts and keeps them
//! all; the thread server (Pyro5's too) serves at most `THREADPOOL_SIZE` and refuses the rest
//! with CONNECTFAIL or by closing them. Skipped, with the reason printed, when `RLIMIT_NOFILE`
//! cannot be raised enough.
//!
//! Asserted: no crash (the request loop ends cleanly at shutdown), every good call succeeds
//! (generous timeouts; no duration is asserted), no bomb is served, and the process's peak
//! memory (`VmHWM`) stays under [`MAX_PEAK`], far below what a single inflated bomb would take.
//! `daemon_load_multiplex` runs the same against the multiplexed server.
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use daemon_support::{Client, Running, server_type, start_daemon};
use pyro_runtime::config::ServerType;
use pyro_runtime::daemon::Daemon;
use pyro_runtime::protocol::{Flags, Header, MessageType};
use pyro_runtime::transport::Socket;
use pyro_runtime::value::Value;
use pyro_runtime::{Config, Serializer};

/// Handshaked connections kept idle in phase 1.
const IDLE: usize = 1000;
/// Clients sending a byte every second.
const SLOW: usize = 8;
/// Clients that connect and send nothing.
const SILENT: usize = 8;
/// Clients sending compression bombs, one after the other.
const BOMBERS: usize = 4;
/// What one bomb inflates to.
const BOMB_INFLATED: usize = 1 << 30;
/// Connections opened by the child process in phase 2.
const STORM: usize = 10_000;
/// How long the slow, silent and bombing clients keep at it in phase 1.
const ATTACK: Duration = Duration::from_secs(5);
/// The good client makes at least this many calls in each phase.
const GOOD_CALLS: usize = 20;
/// Every read and write of the good client, the idle clients and the child process.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest message the daemon accepts (a bomb is refused once it inflates past it), and
/// the decompressed bytes all connections may hold at once.
const MAX_MESSAGE: u64 = 64 << 20;
/// The most memory the whole test process (daemon and in-process clients) may ever use: a
/// generous bound, yet a fraction of one inflated bomb.
const MAX_PEAK: u64 = 640 << 20;
/// The thread server's pool: a worker per connection, so room for phase 1's.
const THREAD_POOL: usize = IDLE + 200;

fn load_config() -> Config {
    let server_type = server_type();
    Config {
        // Longer than each phase: idle connections are not reaped while the test watches them.
        comm_timeout: Some(Duration::from_secs(40)),
        server_type,
        max_message_size: MAX_MESSAGE,
        // The multiplexed server starts all its call workers at once; the thread server needs
        // one per connection.
        threadpool_size: if server_type == ServerType::Thread { THREAD_POOL } else { 16 },
        ..Config::default()
    }
}

#[test]
fn survives_connections_slow_silent_and_bombing_clients_at_once() {
    let needed_phase1 = 2 * (IDLE + SLOW + SILENT + BOMBERS) as u64 + 300;
    let needed_phase2 = STORM as u64 + 300;
    let daemon = Daemon::builder().config(load_config()).host("127.0.0.1").max_in_flight(MAX_MESSAGE).bind().unwrap();
    let daemon = start_daemon(daemon);
    let base_rss = memory("VmRSS");
    println!("{:?} server: RSS {} kB before any load", server_type(), base_rss >> 10);

    match raise_nofile(needed_phase1) {
        Ok(()) => phase1(&daemon),
        Err(why) => println!("skipping the {IDLE}-connection phase: {why}"),
    }
    match raise_nofile(needed_phase2) {
        Ok(()) => phase2(&daemon),
        Err(why) => println!("skipping the {STORM}-connection phase: {why}"),
    }

    // The request loop is still running and ends cleanly: no crash.
    assert!(!daemon.thread.as_ref().unwrap().is_finished(), "the request loop ended under load");
    daemon.stop();
    let peak = memory("VmHWM");
    println!("{:?} server: peak memory (VmHWM) {} MiB, bound {} MiB", server_type(), peak >> 20, MAX_PEAK >> 20);
    assert!(peak <= MAX_PEAK, "peak memory {} MiB exceeds {} MiB", peak >> 20, MAX_PEAK >> 20);
}

/// Idle, slow, silent and bombing clients at once, and the good client.
fn phase1(daemon: &Running) {
    let addr = daemon.addr();
    let stop = Arc::new(AtomicBool::new(false));
    let good = GoodClient::start(addr, true, Arc::clone(&stop));
    let slow: Vec<_> = (0..SLOW).map(|_| thread::spawn(move || slow_client(addr))).collect();
    let silent: Vec<TcpStream> = (0..SILENT).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let bomb = Arc::new(bomb(BOMB_INFLATED));
    let bombs_sent = Arc::new(AtomicUsize::new(0));
    let bombers: Vec<_> = (0..BOMBERS)
        .map(|_| {
            let (bomb, sent) = (Arc::clone(&bomb), Arc::clone(&bombs_sent));
            thread::spawn(move || bomber(addr, &bomb, &sent))
        })
        .collect();
    let before_idle = memory("VmRSS");
    let mut idle: Vec<Client> = (0..IDLE).map(|_| ready(addr)).collect();
    let idle_rss = memory("VmRSS").saturating_sub(before_idle);
    println!(
        "{:?} server: {IDLE} idle connections opened (RSS +{} kB, both ends, with the attack under way)",
        server_type(),
        idle_rss >> 10
    );

    let mut slow_cut = 0;
    for handle in slow {
        slow_cut += usize::from(handle.join().unwrap());
    }
    for handle in bombers {
        handle.join().unwrap();
    }
    drop(silent);
    let good_calls = good.finish(&stop);
    println!(
        "phase 1: {good_calls} good calls, {} bombs refused, {slow_cut} of {SLOW} slow clients cut off",
        bombs_sent.load(Ordering::SeqCst)
    );
    assert!(bombs_sent.load(Ordering::SeqCst) >= BOMBERS);

    // Every idle connection is still there and answers.
    for (i, client) in idle.iter_mut().enumerate() {
        let i = i64::try_from(i).unwrap();
        assert_eq!(call_add(client, i, 1), Ok(i + 1), "idle connection {i}");
    }
}

/// The storm of connections from a child process, and the good client.
fn phase2(daemon: &Running) {
    let addr = daemon.addr();
    let stop = Arc::new(AtomicBool::new(false));
    // The thread server refuses new connections while its pool is full: there the good client
    // keeps to the connection it has.
    let fresh = server_type() == ServerType::Multiplex;
    let good = GoodClient::start(addr, fresh, Arc::clone(&stop));
    let hello = Client::handshake_message(Serializer::Msgpack, "thing").to_bytes(&Default::default()).unwrap();
    let before = memory("VmRSS");
    let mut child = pyro_interop::python()
        .command()
        .arg("-c")
        .arg(STORM_CHILD)
        .arg(addr.to_string())
        .arg(STORM.to_string())
        .arg(pyro_interop::hex(&hello))
        .arg(TIMEOUT.as_secs().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap());
    let counts = read_counts(&mut lines);
    let rss = memory("VmRSS").saturating_sub(before);
    println!("{:?} server: {STORM} connections: {counts:?}; RSS +{} kB", server_type(), rss >> 10);
    let good_calls = good.finish(&stop);
    // Ask the child which of the accepted connections are still open, then let it go.
    writeln!(child.stdin.as_mut().unwrap()).unwrap();
    let still_open = read_counts(&mut lines);
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success(), "the storm child failed");
    println!("phase 2: {good_calls} good calls; still open at the end: {still_open:?}");

    let get = |counts: &[(String, u64)], key: &str| counts.iter().find(|(k, _)| k == key).map_or(0, |(_, v)| *v);
    let (ok, refused, closed, timeout) =
        (get(&counts, "ok"), get(&counts, "refused"), get(&counts, "closed"), get(&counts, "timeout"));
    assert_eq!(ok + refused + closed + timeout, STORM as u64, "{counts:?}");
    assert_eq!(timeout, 0, "connections left waiting for an answer: {counts:?}");
    assert_eq!(get(&still_open, "open"), ok, "accepted connections dropped: {still_open:?}");
    match server_type() {
        ServerType::Multiplex => assert_eq!(ok, STORM as u64, "{counts:?}"),
        ServerType::Thread => assert!(ok <= THREAD_POOL as u64, "{counts:?}"),
    }
}

/// The child of phase 2: `python -c STORM_CHILD <host:port> <n> <handshake hex> <timeout>`.
/// Opens n connections, sends the handshake on each, reads each one's answer, prints
/// `ok=.. refused=.. closed=.. timeout=..`; after a line on stdin prints `open=..` (how many of
/// the accepted ones are still open) and exits.
const STORM_CHILD: &str = r#"
import resource, socket, sys
host, port = sys.argv[1].rsplit(":", 1)
n, hello, timeout = int(sys.argv[2]), bytes.fromhex(sys.argv[3]), float(sys.argv[4])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft != resource.RLIM_INFINITY and soft < n + 100:
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = []
for _ in range(n):
    s = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        s.sendall(hello)
    except OSError:
        pass
    socks.append(s)
counts = {"ok": 0, "refused": 0, "closed": 0, "timeout": 0}
accepted = []
for s in socks:
    head = b""
    try:
        while len(head) < 40:
            chunk = s.recv(40 - len(head))
            if not chunk:
                break
            head += chunk
    except socket.timeout:
        counts["timeout"] += 1
        continue
    except OSError:
        pass
    if len(head) < 40:
        counts["closed"] += 1
    elif head[6] == 2:
        counts["ok"] += 1
        accepted.append(s)
    elif head[6] == 3:
        counts["refused"] += 1
    else:
        sys.exit("unexpected answer %r" % head)
print(" ".join("%s=%d" % kv for kv in counts.items()), flush=True)
sys.stdin.readline()
still = 0
for s in accepted:
    s.setblocking(False)
    try:
        data = s.recv(1 << 16)
        # Anything but EOF (there should be nothing) means open.
        still += 1 if data else 0
    except BlockingIOError:
        still += 1
    except OSError:
        pass
print("open=%d" % still, flush=True)
"#;

fn read_counts(lines: &mut impl std::io::BufRead) -> Vec<(String, u64)> {
    let mut line = String::new();
    lines.read_line(&mut line).unwrap();
    let counts: Vec<(String, u64)> = line
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (key.to_owned(), value.parse().unwrap()))
        .collect();
    assert!(!counts.is_empty(), "the storm child said {line:?}");
    counts
}

/// The well-behaved client: calls `add` on its own connection and, with `fresh`, on a new
/// connection per call, until told to stop after at least [`GOOD_CALLS`].
struct GoodClient {
    thread: JoinHandle<Result<usize, String>>,
}

impl GoodClient {
    fn start(addr: SocketAddr, fresh: bool, stop: Arc<AtomicBool>) -> GoodClient {
        let mut own = ready(addr);
        let thread = thread::spawn(move || {
            let mut calls = 0usize;
            while calls < GOOD_CALLS || !stop.load(Ordering::SeqCst) {
                let n = i64::try_from(calls).unwrap_or_default();
                let sum = call_add(&mut own, n, 2).map_err(|e| format!("call {calls} on its connection: {e}"))?;
                if sum != n + 2 {
                    return Err(format!("add({n}, 2) gave {sum}"));
                }
                if fresh {
                    let mut new = try_ready(addr).map_err(|e| format!("new connection {calls}: {e}"))?;
                    let sum = call_add(&mut new, n, 3).map_err(|e| format!("call {calls} on a new connection: {e}"))?;
                    if sum != n + 3 {
                        return Err(format!("add({n}, 3) gave {sum}"));
                    }
                }
                calls += 1;
                thread::sleep(Duration::from_millis(20));
            }
            Ok(calls)
        });
        GoodClient { thread }
    }

    /// Stops it (after its minimum of calls) and returns how many calls it made.
    fn finish(self, stop: &AtomicBool) -> usize {
        stop.store(true, Ordering::SeqCst);
        let calls = self.thread.join().unwrap().unwrap_or_else(|e| panic!("the good client failed: {e}"));
        assert!(calls >= GOOD_CALLS);
        calls
    }
}

fn ready(addr: SocketAddr) -> Client {
    try_ready(addr).unwrap_or_else(|e| panic!("connecting to {addr}: {e}"))
}

/// Connects and handshakes, with [`TIMEOUT`] on every read and write.
fn try_ready(addr: SocketAddr) -> Result<Client, String> {
    let tcp = TcpStream::connect_timeout(&addr, TIMEOUT).map_err(|e| format!("connect: {e}"))?;
    let mut client = Client::over(Socket::Tcp(tcp));
    client.stream.get_mut().set_timeout(Some(TIMEOUT)).map_err(|e| e.to_string())?;
    let hello = Client::handshake_message(Serializer::Msgpack, "thing");
    client.stream.send(&hello).map_err(|e| format!("handshake: {e}"))?;
    let reply = client.receive().map_err(|e| format!("handshake: {e}"))?;
    if reply.msg_type != MessageType::ConnectOk {
        return Err(format!("handshake answered with {reply:?}"));
    }
    Ok(client)
}

fn call_add(client: &mut Client, a: i64, b: i64) -> Result<i64, String> {
    let ser = Serializer::Msgpack;
    let message = client.invoke_message(ser, "thing", "add", vec![a.into(), b.into()], Default::default());
    client.stream.send(&message).map_err(|e| e.to_string())?;
    let reply = client.receive().map_err(|e| e.to_string())?;
    let value: Value = ser.from_bytes(&reply.data).map_err(|e| e.to_string())?;
    match (reply.msg_type, reply.flags.contains(Flags::EXCEPTION), value) {
        (MessageType::Result, false, Value::Int(sum)) => Ok(sum),
        (kind, exception, value) => Err(format!("{kind:?} (exception: {exception}) {value:?}")),
    }
}

/// Sends the start of a CONNECT a byte a second until [`ATTACK`] is over; true if the daemon
/// cut it off first.
fn slow_client(addr: SocketAddr) -> bool {
    let hello = Client::handshake_message(Serializer::Msgpack, "thing").to_bytes(&Default::default()).unwrap();
    let mut stream = TcpStream::connect(addr).unwrap();
    let start = Instant::now();
    for byte in hello.iter().cycle() {
        if start.elapsed() >= ATTACK {
            return false;
        }
        if stream.write_all(&[*byte]).is_err() {
            return true;
        }
        thread::sleep(Duration::from_secs(1));
    }
    false
}

/// Sends compression bombs, each on a new connection after a handshake, until [`ATTACK`] is
/// over; asserts none is served.
fn bomber(addr: SocketAddr, bomb: &[u8], sent: &AtomicUsize) {
    let start = Instant::now();
    let header = Header {
        msg_type: MessageType::Invoke,
        serializer_id: Serializer::Msgpack.id(),
        flags: Flags::COMPRESSED,
        seq: 1,
        data_size: u32::try_from(bomb.len()).unwrap(),
        annotations_size: 0,
        correlation_id: [0; 16],
        reserved: 0,
    };
    while sent.load(Ordering::SeqCst) < BOMBERS || start.elapsed() < ATTACK {
        let mut client = ready(addr);
        let socket = client.stream.get_mut();
        // The daemon may close the connection before it has read everything.
        let _ = socket.write_all(&header.to_bytes()).and_then(|()| socket.write_all(bomb));
        let answer = client.receive();
        if let Ok(reply) = &answer {
            assert!(
                reply.msg_type != MessageType::Result || reply.flags.contains(Flags::EXCEPTION),
                "a bomb was served: {reply:?}"
            );
        }
        sent.fetch_add(1, Ordering::SeqCst);
    }
}

/// A zlib stream of `inflated` zero bytes (a multiple of 1 MiB), about a thousandth of that
/// on the wire: a 1 MiB chunk deflated once, ending with a full flush (so that it stands
/// alone, byte-aligned), repeated, then an empty final block and the Adler-32 checksum.
fn bomb(inflated: usize) -> Vec<u8> {
    const CHUNK: usize = 1 << 20;
    assert_eq!(inflated % CHUNK, 0);
    let mut deflate = flate2::Compress::new(flate2::Compression::best(), false);
    let mut chunk = Vec::with_capacity(CHUNK / 100);
    deflate.compress_vec(&vec![0; CHUNK], &mut chunk, flate2::FlushCompress::Full).unwrap();
    assert_eq!(deflate.total_in(), CHUNK as u64, "the chunk did not fit its output buffer");
    let mut out = vec![0x78, 0xda];
    for _ in 0..inflated / CHUNK {
        out.extend_from_slice(&chunk);
    }
    // An empty final block with fixed Huffman codes.
    out.extend_from_slice(&[0x03, 0x00]);
    // Adler-32 of n zero bytes: a = 1, b = n mod 65521.
    let b = u32::try_from(inflated % 65521).unwrap();
    out.extend_from_slice(&((b << 16) | 1).to_be_bytes());
    out
}

#[test]
fn a_bomb_inflates_to_what_it_says() {
    let small = bomb(4 << 20);
    assert_eq!(pyro_runtime::protocol::decompress(&small, 4 << 20).unwrap(), vec![0; 4 << 20]);
    let big = bomb(BOMB_INFLATED);
    assert!(big.len() < BOMB_INFLATED / 500, "{} bytes on the wire", big.len());
    let err = pyro_runtime::protocol::decompress(&big, 1 << 20).unwrap_err();
    assert!(err.to_string().contains("too large"), "{err}");
}

/// A memory figure of this process from `/proc/self/status` (`VmRSS`, `VmHWM`), in bytes.
fn memory(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with(&format!("{field}:"))).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb << 10
}

/// This process's `RLIMIT_NOFILE` (soft, hard) from `/proc/self/limits`; `None` = unlimited.
fn nofile() -> (Option<u64>, Option<u64>) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = limits.lines().find(|line| line.starts_with("Max open files")).unwrap();
    let mut fields = line.trim_start_matches("Max open files").split_whitespace();
    let mut limit = || fields.next().and_then(|f| f.parse().ok());
    (limit(), limit())
}

/// Makes sure at least `needed` files may be open, raising the soft limit to the hard one
/// with util-linux's `prlimit` if needed (this crate forbids the unsafe `setrlimit` call).
fn raise_nofile(needed: u64) -> Result<(), String> {
    let (soft, hard) = nofile();
    if soft.is_none_or(|soft| soft >= needed) {
        return Ok(());
    }
    if hard.is_some_and(|hard| hard < needed) {
        return Err(format!("RLIMIT_NOFILE is at most {} here, {needed} are needed", hard.unwrap_or_default()));
    }
    let target = hard.map_or_else(|| "unlimited".to_owned(), |hard| hard.to_string());
    let status = Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={target}:{target}"))
        .status()
        .map_err(|e| format!("cannot run prlimit to raise RLIMIT_NOFILE: {e}"))?;
    match nofile().0 {
        Some(soft) if soft < needed => {
            Err(format!("RLIMIT_NOFILE soft limit is {soft} after prlimit ({status}), {needed} are needed"))
        }
        _ => Ok(()),
    }
}

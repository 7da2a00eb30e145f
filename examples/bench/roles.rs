//! The Rust processes: `bench server-raw`, `client-raw`, `server-rust`, `client-rust` (and, in
//! [`naming`](crate::naming), `server-ns-rust` and `client-ns-rust`).
//!
//! A server prints where it listens (an address or a URI) as its first line. A client takes
//! `<address> <calls> <warmup>`, makes the warm-up calls, prints `READY`, waits for a line on
//! stdin, makes the measured calls and prints one [`ClientReport`] JSON line.

use std::io::{BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

use pyro::{Daemon, Value};

use crate::Result;
use crate::child::process_cpu_ns;
use crate::echo::{Echo, EchoProxy, OBJECT_ID};
use crate::report::ClientReport;

/// `server-raw <request bytes> <reply bytes>`: one connection of blocking ping-pong.
pub fn server_raw(args: &[String]) -> Result<()> {
    let [request_len, reply_len] = sizes(args)?;
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    println!("{}", listener.local_addr().map_err(|e| e.to_string())?);
    let (mut socket, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
    socket.set_nodelay(true).map_err(|e| format!("TCP_NODELAY: {e}"))?;
    let (mut request, reply) = (vec![0u8; request_len], vec![0u8; reply_len]);
    loop {
        match socket.read_exact(&mut request) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(format!("read: {e}")),
        }
        socket.write_all(&reply).map_err(|e| format!("write: {e}"))?;
    }
}

/// `client-raw <address> <calls> <warmup> <request bytes> <reply bytes>`.
pub fn client_raw(args: &[String]) -> Result<()> {
    let (address, calls, warmup) = client_args(args)?;
    let [request_len, reply_len] = sizes(args.get(3..).unwrap_or_default())?;
    let mut socket = TcpStream::connect(address).map_err(|e| format!("connect {address}: {e}"))?;
    socket.set_nodelay(true).map_err(|e| format!("TCP_NODELAY: {e}"))?;
    let (request, mut reply) = (vec![0u8; request_len], vec![0u8; reply_len]);
    run_client(calls, warmup, || {
        socket.write_all(&request).map_err(|e| format!("write: {e}"))?;
        socket.read_exact(&mut reply).map_err(|e| format!("read: {e}"))
    })
}

/// `server-rust [inline]`: a pyro daemon serving [`Echo`] with the configuration of the
/// `PYRO_*` variables; with `inline`, from a multiplexed loop running the calls on its own
/// thread (`Daemon::event_loop_with_workers(0)`) whatever the `SERVERTYPE`.
pub fn server_rust(args: &[String]) -> Result<()> {
    let daemon = Daemon::bind("127.0.0.1", 0).map_err(|e| e.to_string())?;
    let uri = daemon.register(Echo::default(), Some(OBJECT_ID)).map_err(|e| e.to_string())?;
    println!("{uri}");
    match args {
        [] => daemon.request_loop().map_err(|e| e.to_string()),
        [inline] if inline == "inline" => {
            daemon.event_loop_with_workers(0).and_then(|mut event_loop| event_loop.run()).map_err(|e| e.to_string())
        }
        other => Err(format!("expected nothing or `inline`, got {other:?}")),
    }
}

/// `client-rust <uri> <calls> <warmup>`: the typed proxy.
/// `client-rust <uri> <calls> <warmup> [serializer]` (msgpack unless named).
pub fn client_rust(args: &[String]) -> Result<()> {
    let (uri, calls, warmup) = client_args(args)?;
    let serializer = match args.get(3) {
        Some(name) => pyro::Serializer::from_name(name).map_err(|e| e.to_string())?,
        None => pyro::Serializer::Msgpack,
    };
    let proxy = pyro::proxy::Proxy::from_uri_str(uri).map_err(|e| format!("{uri}: {e}"))?.with_serializer(serializer);
    let proxy = EchoProxy::from_proxy(proxy);
    proxy.proxy().bind().map_err(|e| format!("connecting to {uri}: {e}"))?;
    run_client(calls, warmup, || match proxy.echo(Value::Int(42)) {
        Ok(Value::Int(42)) => Ok(()),
        Ok(other) => Err(format!("echo(42) returned {other:?}")),
        Err(e) => Err(format!("echo(42): {e}")),
    })
}

/// Warm-up, `READY`, wait for stdin, measured calls, report.
pub fn run_client(calls: u64, warmup: u64, mut call: impl FnMut() -> Result<()>) -> Result<()> {
    for _ in 0..warmup {
        call()?;
    }
    println!("READY");
    std::io::stdin().lock().read_line(&mut String::new()).map_err(|e| format!("stdin: {e}"))?;
    let mut latencies = Vec::with_capacity(usize::try_from(calls).unwrap_or_default());
    let cpu_start = process_cpu_ns("self")?;
    let start = Instant::now();
    for _ in 0..calls {
        let t = Instant::now();
        call()?;
        latencies.push(duration_ns(t));
    }
    let elapsed = duration_ns(start);
    let cpu = process_cpu_ns("self")?.saturating_sub(cpu_start);
    println!("{}", ClientReport::new(&mut latencies, elapsed, cpu).to_line()?);
    Ok(())
}

fn duration_ns(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// `<address> <calls> <warmup>` at the start of a client's arguments.
pub fn client_args(args: &[String]) -> Result<(&str, u64, u64)> {
    let [address, calls, warmup, ..] = args else {
        return Err(format!("expected <address> <calls> <warmup>, got {args:?}"));
    };
    let number = |text: &String| text.parse::<u64>().map_err(|e| format!("{text:?}: {e}"));
    Ok((address, number(calls)?, number(warmup)?))
}

fn sizes(args: &[String]) -> Result<[usize; 2]> {
    let [request, reply, ..] = args else {
        return Err(format!("expected <request bytes> <reply bytes>, got {args:?}"));
    };
    let number = |text: &String| text.parse::<usize>().map_err(|e| format!("{text:?}: {e}"));
    Ok([number(request)?, number(reply)?])
}

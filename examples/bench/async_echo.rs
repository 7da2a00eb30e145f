//! The async section (`--only async`, issue 12): echo calls from async clients on tokio, pyro
//! beside the best Rust peer (tarpc) and beside Pyro5, in one run.
//!
//! - `sequential` (`--calls N`, `--warmup N`, in every placement of the echo section): one
//!   client, one connection, one call after the other; p50 and p99 latency. Rows: the raw TCP
//!   floor, blocking (`bench client-raw`, as in the echo section) and on tokio (`bench
//!   client-raw-tokio`), both moving byte strings as long as pyro's real `echo(42)` INVOKE and
//!   RESULT; tarpc's `echo(42)` over its serde transport with bincode (the fastest codec tarpc
//!   offers; its other one is JSON); pyro's async proxy (`pyro::aio::Proxy`, through the typed
//!   `EchoProxyAsync`) against pyro's async daemon (`pyro::aio::Daemon`) serving an `async fn
//!   echo` (awaited on the runtime) and, as an extra row, the plain `fn echo` of the other
//!   sections (which the async daemon runs on tokio's blocking threads); and pyro's blocking
//!   proxy and daemon.
//! - `concurrent` (`--async-clients 32,256`, `--async-secs S`, 0 skips; unpinned, several
//!   clients and a server need both cores): N tasks of one tokio client process (a
//!   multi-threaded runtime), each with its own connection, make sequential `echo(42)` calls
//!   for S seconds; the rate is all their calls per second. Servers: the raw TCP echo on tokio
//!   (the ceiling), tarpc, pyro's async daemon (`async fn` and plain `fn echo`), pyro's
//!   blocking thread-pool and multiplexed daemons and Pyro5's `thread` and `multiplex` servers.
//!   Every pyro and Pyro5 server is driven by the same client program, pyro's async typed proxy
//!   (a proxy per client), so their ratios compare the servers. Thread servers get a pool of N + 8 workers (a worker per connection, as both
//!   thread servers need).
//!
//! Targets (issue 12), judged on the `async fn` rows: pyro's async sequential p50 at most
//! [`FLOOR_TARGET`] times the raw TCP floor on tokio (the same I/O model; the blocking floor is
//! shown beside it) and below tarpc's; pyro's async server's aggregate calls per second with 32
//! and 256 clients ahead of tarpc's and at least [`PYRO5_TARGET`] times Pyro5's best server.
//! The same comparisons follow per CPU-second (client + server against tarpc, the server's own
//! against Pyro5's most efficient server): on a loaded machine the scheduler shares the CPUs
//! out per thread, which favours servers and clients with many threads over a tokio process
//! with a worker per CPU, and the CPU a pair spends per call does not depend on that.
//!
//! The tarpc server runs a connection's requests in line, one after the other, instead of
//! spawning a task per request as tarpc's examples do: every client here waits for its reply
//! before the next call, so that saves tarpc a spawn per call and costs it nothing.
//!
//! Roles: `bench server-raw-tokio <request bytes> <reply bytes>`, `bench server-tarpc`, `bench
//! server-pyro-async async|plain`, and the clients `bench client-raw-tokio <addr> <mode>
//! <request bytes> <reply bytes>`, `bench client-tarpc <addr> <mode>` and `bench
//! client-pyro-async <uri> <mode>`, where `<mode>` is `seq <calls> <warmup>` or `load <clients>
//! <secs>`.

use std::fmt::Write as _;
use std::future::Future;
use std::io::BufRead;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt as _;
use serde::Serialize;
use tarpc::server::{BaseChannel, Channel as _};
use tarpc::tokio_serde::formats::Bincode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use pyro::Value;

use crate::child::{process_cpu_ns, process_stat_cpu_ns};
use crate::echo::{Echo, EchoProxyAsync, OBJECT_ID};
use crate::report::{ClientReport, Placement, Side};
use crate::servers::Server;
use crate::{Result, Run};

/// pyro's async sequential p50 must be at most this many times the raw TCP floor on tokio.
pub const FLOOR_TARGET: f64 = 1.2;
/// pyro's async server's concurrent rate must be at least this many times Pyro5's best.
pub const PYRO5_TARGET: f64 = 5.0;

/// The section's sizes beyond `--calls` and `--warmup`, from the command line.
#[derive(Clone, Debug)]
pub struct Sizes {
    /// The numbers of concurrent clients, one concurrent run per server for each.
    pub clients: Vec<u64>,
    /// Seconds of each concurrent run; 0 skips them.
    pub secs: u64,
}

impl Sizes {
    /// The longest a client of this section may take, in milliseconds of work (see
    /// `Run::sample`'s limit).
    pub fn largest(&self) -> u64 {
        self.secs * 1000
    }
}

/// A peer of the sequential runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SeqPeer {
    /// Blocking byte-string ping-pong (the echo section's floor).
    RawBlocking,
    /// The same ping-pong on tokio.
    RawTokio,
    /// tarpc over TCP with bincode.
    Tarpc,
    /// pyro's async typed proxy against pyro's async daemon serving an `async fn echo`.
    PyroAsync,
    /// The same against a plain `fn echo` (run on the daemon's blocking threads).
    PyroAsyncPlain,
    /// pyro's blocking typed proxy against pyro's thread-pool daemon.
    PyroBlocking,
}

impl SeqPeer {
    const ALL: [SeqPeer; 6] = [
        SeqPeer::RawBlocking,
        SeqPeer::RawTokio,
        SeqPeer::Tarpc,
        SeqPeer::PyroAsync,
        SeqPeer::PyroAsyncPlain,
        SeqPeer::PyroBlocking,
    ];

    fn name(self) -> &'static str {
        match self {
            SeqPeer::RawBlocking => "raw TCP (blocking)",
            SeqPeer::RawTokio => "raw TCP (tokio)",
            SeqPeer::Tarpc => "tarpc (bincode)",
            SeqPeer::PyroAsync => PYRO_ASYNC,
            SeqPeer::PyroAsyncPlain => PYRO_ASYNC_PLAIN,
            SeqPeer::PyroBlocking => "pyro blocking",
        }
    }

    fn server(self, run: &Run<'_>) -> Command {
        let sizes = [run.wire.request.to_string(), run.wire.reply.to_string()];
        match self {
            SeqPeer::RawBlocking => run.rust_role("server-raw", &sizes),
            SeqPeer::RawTokio => run.rust_role("server-raw-tokio", &sizes),
            SeqPeer::Tarpc => run.rust_role("server-tarpc", &[]),
            SeqPeer::PyroAsync => run.rust_role("server-pyro-async", &["async".into()]),
            SeqPeer::PyroAsyncPlain => run.rust_role("server-pyro-async", &["plain".into()]),
            SeqPeer::PyroBlocking => run.rust_role("server-rust", &[]),
        }
    }

    fn client(self, run: &Run<'_>, address: &str) -> Command {
        let (calls, warmup) = (run.options.calls.to_string(), run.options.warmup.to_string());
        let sizes = [run.wire.request.to_string(), run.wire.reply.to_string()];
        let address = address.to_owned();
        match self {
            SeqPeer::RawBlocking => run.rust_role("client-raw", &[&[address, calls, warmup][..], &sizes].concat()),
            SeqPeer::RawTokio => {
                run.rust_role("client-raw-tokio", &[&[address, "seq".into(), calls, warmup][..], &sizes].concat())
            }
            SeqPeer::Tarpc => run.rust_role("client-tarpc", &[address, "seq".into(), calls, warmup]),
            SeqPeer::PyroAsync | SeqPeer::PyroAsyncPlain => {
                run.rust_role("client-pyro-async", &[address, "seq".into(), calls, warmup])
            }
            SeqPeer::PyroBlocking => run.rust_role("client-rust", &[address, calls, warmup]),
        }
    }
}

/// A server of the concurrent runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LoadServer {
    /// The raw TCP echo on tokio, a task per connection.
    RawTokio,
    /// tarpc over TCP with bincode, a task per connection.
    Tarpc,
    /// pyro's async daemon serving an `async fn echo`.
    PyroAsync,
    /// pyro's async daemon serving a plain `fn echo`.
    PyroAsyncPlain,
    /// One of pyro's or Pyro5's blocking-API servers.
    Daemon(Server),
}

impl LoadServer {
    const ALL: [LoadServer; 8] = [
        LoadServer::RawTokio,
        LoadServer::Tarpc,
        LoadServer::PyroAsync,
        LoadServer::PyroAsyncPlain,
        LoadServer::Daemon(Server::PyroThread),
        LoadServer::Daemon(Server::PyroMultiplex),
        LoadServer::Daemon(Server::Pyro5Thread),
        LoadServer::Daemon(Server::Pyro5Multiplex),
    ];

    fn name(self) -> &'static str {
        match self {
            LoadServer::RawTokio => "raw TCP (tokio)",
            LoadServer::Tarpc => "tarpc (bincode)",
            LoadServer::PyroAsync => PYRO_ASYNC,
            LoadServer::PyroAsyncPlain => PYRO_ASYNC_PLAIN,
            LoadServer::Daemon(server) => server.name(),
        }
    }

    fn is_pyro5(self) -> bool {
        matches!(self, LoadServer::Daemon(server) if !server.is_pyro())
    }

    fn server(self, run: &Run<'_>, clients: u64) -> Command {
        match self {
            LoadServer::RawTokio => {
                run.rust_role("server-raw-tokio", &[run.wire.request.to_string(), run.wire.reply.to_string()])
            }
            LoadServer::Tarpc => run.rust_role("server-tarpc", &[]),
            LoadServer::PyroAsync => run.rust_role("server-pyro-async", &["async".into()]),
            LoadServer::PyroAsyncPlain => run.rust_role("server-pyro-async", &["plain".into()]),
            LoadServer::Daemon(server) => server.command(run, (!server.is_multiplex()).then_some(clients + 8)),
        }
    }

    fn client(self, run: &Run<'_>, address: &str, clients: u64, secs: u64) -> Command {
        let (address, clients, secs) = (address.to_owned(), clients.to_string(), secs.to_string());
        match self {
            LoadServer::RawTokio => {
                let sizes = [run.wire.request.to_string(), run.wire.reply.to_string()];
                run.rust_role("client-raw-tokio", &[&[address, "load".into(), clients, secs][..], &sizes].concat())
            }
            LoadServer::Tarpc => run.rust_role("client-tarpc", &[address, "load".into(), clients, secs]),
            LoadServer::PyroAsync | LoadServer::PyroAsyncPlain | LoadServer::Daemon(_) => {
                run.rust_role("client-pyro-async", &[address, "load".into(), clients, secs])
            }
        }
    }
}

/// One sequential run.
#[derive(Debug, Serialize)]
pub struct SeqRun {
    /// Who called whom.
    pub peer: &'static str,
    /// Where client and server ran.
    pub placement: &'static str,
    /// What the client measured.
    pub client: ClientReport,
    /// The server's CPU (all live threads) over the measured calls.
    pub server_cpu_ns: u64,
}

/// One concurrent run.
#[derive(Debug, Serialize)]
pub struct LoadRun {
    /// The server.
    pub server: &'static str,
    /// Concurrent clients, each with its own connection.
    pub clients: u64,
    /// All clients' calls per second.
    pub per_s: f64,
    /// What the client process measured (latencies of every call of every client).
    pub client: ClientReport,
    /// Server CPU (user + system, exited threads included; 10 ms resolution).
    pub server_cpu_ns: u64,
}

/// A target's verdict.
#[derive(Debug, Serialize)]
pub struct Target {
    /// What is judged.
    pub what: String,
    /// The measured ratio.
    pub value: f64,
    /// How the ratio must compare with the limit: `<=`, `<`, `>` or `>=`.
    pub rule: &'static str,
    /// The limit.
    pub limit: f64,
    /// Whether it is met.
    pub met: bool,
}

impl Target {
    fn new(what: String, value: f64, rule: &'static str, limit: f64) -> Target {
        let met = match rule {
            "<=" => value <= limit,
            "<" => value < limit,
            ">" => value > limit,
            _ => value >= limit,
        };
        Target { what, value, rule, limit, met }
    }
}

/// Everything the section measured.
#[derive(Debug, Serialize)]
pub struct AsyncSummary {
    /// Bytes of pyro's `echo(42)` INVOKE, which the raw floors send.
    pub request_bytes: usize,
    /// Bytes of its RESULT, which the raw floors answer.
    pub reply_bytes: usize,
    /// The machine's 1-minute load average (`/proc/loadavg`) before and after the section: on a
    /// shared machine, above the number of CPUs means other work competed with every run.
    pub load_average: [f64; 2],
    /// Sequential runs, per placement and peer.
    pub sequential: Vec<SeqRun>,
    /// Concurrent runs, per number of clients and server.
    pub concurrent: Vec<LoadRun>,
    /// The verdicts.
    pub targets: Vec<Target>,
}

/// Runs the section: sequential runs in each of `placements`, then the concurrent runs.
pub fn measure(run: &Run<'_>, placements: &[Placement], sizes: &Sizes) -> Result<AsyncSummary> {
    eprintln!(
        "bench: async echo: {} sequential calls per run; {:?} concurrent clients for {} s per server",
        run.options.calls, sizes.clients, sizes.secs
    );
    let mut summary = AsyncSummary {
        request_bytes: run.wire.request,
        reply_bytes: run.wire.reply,
        load_average: [load_average(), 0.0],
        sequential: Vec::new(),
        concurrent: Vec::new(),
        targets: Vec::new(),
    };
    for &placement in placements {
        let run = Run { placement, ..*run };
        for peer in SeqPeer::ALL {
            eprint!("bench: {:<26} {:<9} ... ", peer.name(), placement.name());
            let server = placement.apply(peer.server(&run), Side::Server);
            let sample =
                run.sample(peer.name(), server, |address| placement.apply(peer.client(&run, address), Side::Client))?;
            eprintln!("p50 {:.1} µs", sample.client.p50_ns as f64 / 1000.0);
            summary.sequential.push(SeqRun {
                peer: peer.name(),
                placement: placement.name(),
                client: sample.client,
                server_cpu_ns: sample.server_cpu_ns,
            });
        }
    }
    if sizes.secs > 0 {
        let run = Run { placement: Placement::Unpinned, ..*run };
        for &clients in &sizes.clients {
            for server in LoadServer::ALL {
                let name = format!("{} {clients} clients", server.name());
                eprint!("bench: {name:<36} ... ");
                let sample = run.sample(&name, server.server(&run, clients), |address| {
                    server.client(&run, address, clients, sizes.secs)
                })?;
                let per_s = sample.client.calls as f64 / (sample.client.elapsed_ns.max(1) as f64 / 1e9);
                eprintln!("{per_s:>9.0} calls/s");
                summary.concurrent.push(LoadRun {
                    server: server.name(),
                    clients,
                    per_s,
                    client: sample.client,
                    server_cpu_ns: sample.server_stat_ns,
                });
            }
        }
    }
    summary.load_average[1] = load_average();
    summary.targets = summary.judge();
    Ok(summary)
}

/// The 1-minute load average, 0 where `/proc/loadavg` cannot be read.
fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().and_then(|first| first.parse().ok()))
        .unwrap_or_default()
}

/// The name of the `async fn echo` rows.
const PYRO_ASYNC: &str = "pyro aio (async fn)";
/// The name of the plain `fn echo` rows of the async daemon.
const PYRO_ASYNC_PLAIN: &str = "pyro aio (plain fn)";

/// The rows the targets judge: pyro's async client and server serving an `async fn` (the
/// plain-`fn` rows are extra rows, like the blocking servers').
const JUDGED: &[&str] = &[PYRO_ASYNC];

/// A number read from a concurrent run (its rate, or calls per CPU-second).
type Metric = fn(&LoadRun) -> f64;

impl LoadRun {
    /// Calls per second of the client's and the server's CPU together.
    fn calls_per_cpu_s(&self) -> f64 {
        self.client.calls as f64 / ((self.client.cpu_ns + self.server_cpu_ns).max(1) as f64 / 1e9)
    }

    /// Calls per second of the server's CPU.
    fn calls_per_server_cpu_s(&self) -> f64 {
        self.client.calls as f64 / (self.server_cpu_ns.max(1) as f64 / 1e9)
    }
}

impl AsyncSummary {
    fn seq_p50(&self, placement: &str, peer: &str) -> Option<f64> {
        self.sequential
            .iter()
            .find(|run| run.placement == placement && run.peer == peer)
            .map(|run| run.client.p50_ns as f64)
    }

    fn load_run(&self, clients: u64, server: &str) -> Option<&LoadRun> {
        self.concurrent.iter().find(|run| run.clients == clients && run.server == server)
    }

    fn rate(&self, clients: u64, server: &str) -> Option<f64> {
        self.load_run(clients, server).map(|run| run.per_s)
    }

    /// Pyro5's best server by `metric` with `clients` clients, and its name.
    fn best_pyro5(&self, clients: u64, metric: Metric) -> Option<(&'static str, f64)> {
        let pyro5: Vec<&'static str> =
            LoadServer::ALL.iter().filter(|server| server.is_pyro5()).map(|server| server.name()).collect();
        self.concurrent
            .iter()
            .filter(|run| run.clients == clients && pyro5.contains(&run.server))
            .map(|run| (run.server, metric(run)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    fn judge(&self) -> Vec<Target> {
        let mut targets = Vec::new();
        let mut placements: Vec<&str> = self.sequential.iter().map(|run| run.placement).collect();
        placements.dedup();
        for placement in placements {
            for &peer in JUDGED {
                let Some(p50) = self.seq_p50(placement, peer) else { continue };
                if let Some(floor) = self.seq_p50(placement, SeqPeer::RawTokio.name()) {
                    let what = format!("{placement}: {peer} p50 / raw TCP (tokio) p50");
                    targets.push(Target::new(what, p50 / floor.max(1.0), "<=", FLOOR_TARGET));
                }
                if let Some(tarpc) = self.seq_p50(placement, SeqPeer::Tarpc.name()) {
                    let what = format!("{placement}: {peer} p50 / tarpc p50 (below 1: faster)");
                    targets.push(Target::new(what, p50 / tarpc.max(1.0), "<", 1.0));
                }
            }
        }
        let mut counts: Vec<u64> = self.concurrent.iter().map(|run| run.clients).collect();
        counts.dedup();
        for clients in counts {
            for &server in JUDGED {
                let Some(run) = self.load_run(clients, server) else { continue };
                // The targets on the rates, then the same comparisons per CPU-second,
                // which a loaded machine's scheduler does not skew (see the table's note).
                let metrics: [(&str, Metric, Metric); 2] = [
                    ("calls/s", |run| run.per_s, |run| run.per_s),
                    ("per CPU-s", LoadRun::calls_per_cpu_s, LoadRun::calls_per_server_cpu_s),
                ];
                for (unit, against_tarpc, against_pyro5) in metrics {
                    if let Some(tarpc) = self.load_run(clients, LoadServer::Tarpc.name()) {
                        let what = format!("{clients} clients: {server} {unit} / tarpc (above 1: ahead)");
                        let ratio = against_tarpc(run) / against_tarpc(tarpc).max(f64::MIN_POSITIVE);
                        targets.push(Target::new(what, ratio, ">", 1.0));
                    }
                    if let Some((best, pyro5)) = self.best_pyro5(clients, against_pyro5) {
                        let unit = if unit == "calls/s" { unit } else { "per server CPU-s" };
                        let what = format!("{clients} clients: {server} {unit} / best Pyro5 ({best})");
                        let ratio = against_pyro5(run) / pyro5.max(f64::MIN_POSITIVE);
                        targets.push(Target::new(what, ratio, ">=", PYRO5_TARGET));
                    }
                }
            }
        }
        targets
    }

    /// The tables and the targets' verdicts.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\nAsync echo (issue 12): echo(42) over msgpack for pyro and Pyro5, over bincode for tarpc; the raw TCP\n\
             floors move byte strings as long as pyro's echo(42) INVOKE ({} bytes) and RESULT ({} bytes).\n\
             Load average {:.1} before, {:.1} after, on {} CPUs (more than the CPUs: other work shared them).",
            self.request_bytes,
            self.reply_bytes,
            self.load_average[0],
            self.load_average[1],
            std::thread::available_parallelism().map_or(0, usize::from)
        );
        if !self.sequential.is_empty() {
            let _ = writeln!(out, "\nSequential: one client, one connection, one call after the other:");
            let _ = writeln!(
                out,
                "{:<9} {:<26} {:>9} {:>8} {:>8} {:>8} {:>8} {:>10} {:>10} {:>8}",
                "placement", "peer", "calls/s", "p50 µs", "p99 µs", "client", "server", "vs raw", "vs raw", "vs"
            );
            let _ = writeln!(
                out,
                "{:<9} {:<26} {:>9} {:>8} {:>8} {:>8} {:>8} {:>10} {:>10} {:>8}",
                "", "", "", "", "", "µs/call", "µs/call", "blocking", "tokio", "tarpc"
            );
            let _ = writeln!(out, "{}", "-".repeat(113));
            for run in &self.sequential {
                let p50 = run.client.p50_ns as f64;
                let ratio = |peer: SeqPeer| {
                    self.seq_p50(run.placement, peer.name())
                        .map_or_else(|| "-".to_owned(), |base| format!("{:.2}x", p50 / base.max(1.0)))
                };
                let per = |ns: u64| ns as f64 / run.client.calls.max(1) as f64 / 1000.0;
                let _ = writeln!(
                    out,
                    "{:<9} {:<26} {:>9.0} {:>8.1} {:>8.1} {:>8.2} {:>8.2} {:>10} {:>10} {:>8}",
                    run.placement,
                    run.peer,
                    run.client.calls as f64 / (run.client.elapsed_ns.max(1) as f64 / 1e9),
                    p50 / 1000.0,
                    run.client.p99_ns as f64 / 1000.0,
                    per(run.client.cpu_ns),
                    per(run.server_cpu_ns),
                    ratio(SeqPeer::RawBlocking),
                    ratio(SeqPeer::RawTokio),
                    ratio(SeqPeer::Tarpc),
                );
            }
        }
        if !self.concurrent.is_empty() {
            let _ = writeln!(
                out,
                "\nConcurrent (unpinned): N clients in one tokio client process, each its own connection, sequential\n\
                 echo(42) calls; every pyro and Pyro5 server is driven by the same pyro client. CPU: user + system\n\
                 from /proc/<pid>/stat (10 ms ticks), per call. On a loaded machine the scheduler shares the CPUs out\n\
                 per thread, so servers and clients with many threads get more of them than a tokio process with a\n\
                 worker per CPU; \"calls per CPU-second\" (client + server) is what the same pair costs either way:"
            );
            let _ = writeln!(
                out,
                "{:>7} {:<26} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}",
                "clients",
                "server",
                "calls/s",
                "p50 µs",
                "p99 µs",
                "client",
                "server",
                "vs raw",
                "vs",
                "vs best",
                "calls per"
            );
            let _ = writeln!(
                out,
                "{:>7} {:<26} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}",
                "", "", "", "", "", "µs/call", "µs/call", "tokio", "tarpc", "Pyro5", "CPU-s"
            );
            let _ = writeln!(out, "{}", "-".repeat(120));
            for run in &self.concurrent {
                let ratio = |base: Option<f64>| {
                    base.map_or_else(
                        || "-".to_owned(),
                        |base| format!("{:.2}x", run.per_s / base.max(f64::MIN_POSITIVE)),
                    )
                };
                let per = |ns: u64| ns as f64 / run.client.calls.max(1) as f64 / 1000.0;
                let _ = writeln!(
                    out,
                    "{:>7} {:<26} {:>9.0} {:>8.1} {:>8.1} {:>8.2} {:>8.2} {:>8} {:>8} {:>8} {:>9.0}",
                    run.clients,
                    run.server,
                    run.per_s,
                    run.client.p50_ns as f64 / 1000.0,
                    run.client.p99_ns as f64 / 1000.0,
                    per(run.client.cpu_ns),
                    per(run.server_cpu_ns),
                    ratio(self.rate(run.clients, LoadServer::RawTokio.name())),
                    ratio(self.rate(run.clients, LoadServer::Tarpc.name())),
                    ratio(self.best_pyro5(run.clients, |run| run.per_s).map(|(_, rate)| rate)),
                    run.calls_per_cpu_s(),
                );
            }
        }
        let _ = writeln!(
            out,
            "\nTargets (issue 12): async sequential p50 <= {FLOOR_TARGET}x the raw TCP floor (tokio) and below tarpc's;\n\
             async server calls/s with 32 and 256 clients above tarpc's and >= {PYRO5_TARGET}x Pyro5's best server. The\n\
             same comparisons per CPU-second follow the rates: calls per client + server CPU-second against tarpc's,\n\
             calls per server CPU-second against Pyro5's most efficient server. Judged: {}.",
            JUDGED.join(", ")
        );
        if self.targets.is_empty() {
            let _ = writeln!(out, "  (nothing judged: the rows the targets compare were not measured)");
        }
        for target in &self.targets {
            let limit = format!("{} {:.2}x", target.rule, target.limit);
            let _ = writeln!(
                out,
                "  {:<80} {:>6.2}x (target {limit}): {}",
                target.what,
                target.value,
                if target.met { "met" } else { "NOT met" }
            );
        }
        out
    }
}

// ---- the client and server processes ----

/// What a client process is asked to do.
enum Mode {
    /// `seq <calls> <warmup>`: one connection, sequential calls.
    Sequential { calls: u64, warmup: u64 },
    /// `load <clients> <secs>`: that many connections, each making sequential calls, for that
    /// long.
    Load { clients: u64, secs: u64 },
}

/// `<address> seq|load <n> <m> [rest...]`.
fn client_args(args: &[String]) -> Result<(&str, Mode, &[String])> {
    let [address, mode, n, m, rest @ ..] = args else {
        return Err(format!("expected <address> seq <calls> <warmup> | load <clients> <secs>, got {args:?}"));
    };
    let number = |text: &String| text.parse::<u64>().map_err(|e| format!("{text:?}: {e}"));
    let mode = match mode.as_str() {
        "seq" => Mode::Sequential { calls: number(n)?, warmup: number(m)? },
        "load" => Mode::Load { clients: number(n)?.max(1), secs: number(m)? },
        other => return Err(format!("unknown mode {other:?} (seq or load)")),
    };
    Ok((address, mode, rest))
}

/// One client connection that makes `echo(42)` calls.
trait EchoConn: Send + 'static {
    /// One call, checked.
    fn echo(&mut self) -> impl Future<Output = Result<()>> + Send;
}

/// Runs a client in `mode`, connecting with `connect` (once, or once per client).
fn drive<C, F, Fut>(mode: Mode, connect: F) -> Result<()>
where
    C: EchoConn,
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<C>> + Send + 'static,
{
    match mode {
        Mode::Sequential { calls, warmup } => sequential(calls, warmup, connect()),
        Mode::Load { clients, secs } => load(clients, secs, connect),
    }
}

/// Warm-up calls of each client of a concurrent run.
const LOAD_WARMUP: u64 = 100;

fn runtime(multi_thread: bool) -> Result<tokio::runtime::Runtime> {
    let mut builder = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build().map_err(|e| format!("cannot start a tokio runtime: {e}"))
}

fn wait_for_go() -> Result<()> {
    std::io::stdin().lock().read_line(&mut String::new()).map(drop).map_err(|e| format!("stdin: {e}"))
}

fn elapsed_ns(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// One connection on a single-threaded runtime: warm-up, `READY`, the go line, measured calls,
/// the report.
fn sequential<C: EchoConn>(calls: u64, warmup: u64, connect: impl Future<Output = Result<C>>) -> Result<()> {
    let runtime = runtime(false)?;
    let mut conn = runtime.block_on(async {
        let mut conn = connect.await?;
        for _ in 0..warmup {
            conn.echo().await?;
        }
        Ok::<C, String>(conn)
    })?;
    println!("READY");
    wait_for_go()?;
    let mut latencies = Vec::with_capacity(usize::try_from(calls).unwrap_or_default());
    let cpu_start = process_cpu_ns("self")?;
    let start = Instant::now();
    runtime.block_on(async {
        for _ in 0..calls {
            let t = Instant::now();
            conn.echo().await?;
            latencies.push(elapsed_ns(t));
        }
        Ok::<(), String>(())
    })?;
    let elapsed = elapsed_ns(start);
    let cpu = process_cpu_ns("self")?.saturating_sub(cpu_start);
    println!("{}", ClientReport::new(&mut latencies, elapsed, cpu).to_line()?);
    Ok(())
}

/// `clients` tasks on a multi-threaded runtime, each connecting and warming up; `READY`; the
/// go line; all call for `secs` seconds; one report of every call.
fn load<C, F, Fut>(clients: u64, secs: u64, connect: F) -> Result<()>
where
    C: EchoConn,
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<C>> + Send + 'static,
{
    let runtime = runtime(true)?;
    let connect = Arc::new(connect);
    let stop = Arc::new(AtomicBool::new(false));
    let (go, started) = tokio::sync::watch::channel(false);
    let (ready, mut warmed) = tokio::sync::mpsc::unbounded_channel::<Result<()>>();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (connect, stop, mut started, ready) =
                (Arc::clone(&connect), Arc::clone(&stop), started.clone(), ready.clone());
            runtime.spawn(async move {
                let warm = async {
                    let mut conn = connect().await?;
                    for _ in 0..LOAD_WARMUP {
                        conn.echo().await?;
                    }
                    Ok::<C, String>(conn)
                };
                let mut conn = match warm.await {
                    Ok(conn) => conn,
                    Err(e) => {
                        let _ = ready.send(Err(e.clone()));
                        return Err(e);
                    }
                };
                let _ = ready.send(Ok(()));
                started.wait_for(|go| *go).await.map_err(|_| "the start signal went away".to_owned())?;
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    conn.echo().await?;
                    latencies.push(elapsed_ns(t));
                }
                Ok::<Vec<u64>, String>(latencies)
            })
        })
        .collect();
    drop(ready);
    runtime.block_on(async {
        for _ in 0..clients {
            warmed.recv().await.ok_or("a client ended before warming up")??;
        }
        Ok::<(), String>(())
    })?;
    println!("READY");
    wait_for_go()?;
    let cpu_start = process_stat_cpu_ns("self")?;
    let start = Instant::now();
    go.send_replace(true);
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let latencies = runtime.block_on(async {
        let mut latencies = Vec::new();
        for task in tasks {
            latencies.extend(task.await.map_err(|e| format!("a client task failed: {e}"))??);
        }
        Ok::<Vec<u64>, String>(latencies)
    });
    let mut latencies = latencies?;
    let elapsed = elapsed_ns(start);
    let cpu = process_stat_cpu_ns("self")?.saturating_sub(cpu_start);
    println!("{}", ClientReport::new(&mut latencies, elapsed, cpu).to_line()?);
    Ok(())
}

fn io_error(what: &str) -> impl Fn(std::io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

fn sizes(args: &[String]) -> Result<(usize, usize)> {
    let [request, reply] = args else { return Err(format!("expected <request bytes> <reply bytes>, got {args:?}")) };
    let number = |text: &String| text.parse::<usize>().map_err(|e| format!("{text:?}: {e}"));
    Ok((number(request)?, number(reply)?))
}

/// Binds a listener on loopback, prints its address and hands every accepted connection (with
/// `TCP_NODELAY`) to `serve` in a task of its own, on a multi-threaded runtime.
fn serve_tcp<Fut>(serve: impl Fn(TcpStream) -> Fut) -> Result<()>
where
    Fut: Future<Output = ()> + Send + 'static,
{
    runtime(true)?.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(io_error("bind"))?;
        println!("{}", listener.local_addr().map_err(io_error("local address"))?);
        loop {
            let (socket, _) = listener.accept().await.map_err(io_error("accept"))?;
            socket.set_nodelay(true).map_err(io_error("TCP_NODELAY"))?;
            tokio::spawn(serve(socket));
        }
    })
}

/// `server-raw-tokio <request bytes> <reply bytes>`: answers every `request bytes` read on a
/// connection with `reply bytes`, any number of connections.
pub fn server_raw_tokio(args: &[String]) -> Result<()> {
    let (request_len, reply_len) = sizes(args)?;
    serve_tcp(move |mut socket| async move {
        let (mut request, reply) = (vec![0u8; request_len], vec![0u8; reply_len]);
        // A read or write error (the client going away) ends the connection.
        while socket.read_exact(&mut request).await.is_ok() {
            if socket.write_all(&reply).await.is_err() {
                break;
            }
        }
    })
}

/// A raw TCP client connection: writes the request bytes, reads the reply bytes.
struct RawConn {
    socket: TcpStream,
    request: Vec<u8>,
    reply: Vec<u8>,
}

impl EchoConn for RawConn {
    async fn echo(&mut self) -> Result<()> {
        self.socket.write_all(&self.request).await.map_err(io_error("write"))?;
        self.socket.read_exact(&mut self.reply).await.map_err(io_error("read")).map(drop)
    }
}

async fn connect(address: &str) -> Result<TcpStream> {
    let socket = TcpStream::connect(address).await.map_err(|e| format!("connect {address}: {e}"))?;
    socket.set_nodelay(true).map_err(io_error("TCP_NODELAY"))?;
    Ok(socket)
}

/// `client-raw-tokio <address> <mode> <request bytes> <reply bytes>`.
pub fn client_raw_tokio(args: &[String]) -> Result<()> {
    let (address, mode, rest) = client_args(args)?;
    let (request_len, reply_len) = sizes(rest)?;
    let address: Arc<str> = address.into();
    drive(mode, move || {
        let address = Arc::clone(&address);
        async move {
            let socket = connect(&address).await?;
            Ok(RawConn { socket, request: vec![0u8; request_len], reply: vec![0u8; reply_len] })
        }
    })
}

/// tarpc's side of the echo: the same call as `Echo::echo(42)`, typed.
#[tarpc::service]
trait EchoService {
    /// Returns `message`.
    async fn echo(message: i64) -> i64;
}

/// tarpc's echo server.
#[derive(Clone, Copy)]
struct TarpcEcho;

impl EchoService for TarpcEcho {
    async fn echo(self, _: tarpc::context::Context, message: i64) -> i64 {
        message
    }
}

/// `server-tarpc`: tarpc's echo over TCP with bincode, a task per connection running its
/// requests in line.
pub fn server_tarpc(args: &[String]) -> Result<()> {
    if !args.is_empty() {
        return Err(format!("server-tarpc takes no arguments, got {args:?}"));
    }
    serve_tcp(|socket| {
        let channel = BaseChannel::with_defaults(tarpc::serde_transport::Transport::from((socket, Bincode::default())));
        channel.execute(TarpcEcho.serve()).for_each(|response| response)
    })
}

/// A tarpc client with its own connection.
struct TarpcConn(EchoServiceClient);

impl EchoConn for TarpcConn {
    async fn echo(&mut self) -> Result<()> {
        match self.0.echo(tarpc::context::current(), 42).await {
            Ok(42) => Ok(()),
            Ok(other) => Err(format!("tarpc echo(42) returned {other}")),
            Err(e) => Err(format!("tarpc echo(42): {e}")),
        }
    }
}

/// `client-tarpc <address> <mode>`.
pub fn client_tarpc(args: &[String]) -> Result<()> {
    let (address, mode, rest) = client_args(args)?;
    if !rest.is_empty() {
        return Err(format!("client-tarpc: unexpected arguments {rest:?}"));
    }
    let address: Arc<str> = address.into();
    drive(mode, move || {
        let address = Arc::clone(&address);
        async move {
            let socket = connect(&address).await?;
            let transport = tarpc::serde_transport::Transport::from((socket, Bincode::default()));
            Ok(TarpcConn(EchoServiceClient::new(tarpc::client::Config::default(), transport).spawn()))
        }
    })
}

/// The async daemon's echo object: the same `echo` as [`Echo`]'s, as an `async fn`, awaited on
/// the runtime.
pub struct AsyncEcho;

#[pyro::expose]
impl AsyncEcho {
    /// Returns `message`.
    pub async fn echo(&self, message: Value) -> Value {
        message
    }
}

/// `server-pyro-async async|plain`: pyro's async daemon on a multi-threaded runtime, serving
/// [`AsyncEcho`] (`async`) or [`Echo`] (`plain`) with the default configuration.
pub fn server_pyro_async(args: &[String]) -> Result<()> {
    let daemon = pyro::aio::Daemon::bind("127.0.0.1", 0).map_err(|e| e.to_string())?;
    let uri = match args {
        [kind] if kind == "async" => daemon.register(AsyncEcho, Some(OBJECT_ID)),
        [kind] if kind == "plain" => daemon.register(Echo::default(), Some(OBJECT_ID)),
        _ => return Err(format!("expected async or plain, got {args:?}")),
    }
    .map_err(|e| e.to_string())?;
    println!("{uri}");
    runtime(true)?.block_on(daemon.serve()).map_err(|e| e.to_string())
}

/// A typed async proxy with its own connection.
struct PyroConn(EchoProxyAsync);

impl EchoConn for PyroConn {
    async fn echo(&mut self) -> Result<()> {
        match self.0.echo(Value::Int(42)).await {
            Ok(Value::Int(42)) => Ok(()),
            Ok(other) => Err(format!("echo(42) returned {other:?}")),
            Err(e) => Err(format!("echo(42): {e}")),
        }
    }
}

/// `client-pyro-async <uri> <mode>`: the async typed proxy, one per client.
pub fn client_pyro_async(args: &[String]) -> Result<()> {
    let (uri, mode, rest) = client_args(args)?;
    if !rest.is_empty() {
        return Err(format!("client-pyro-async: unexpected arguments {rest:?}"));
    }
    let uri: Arc<str> = uri.into();
    drive(mode, move || {
        let uri = Arc::clone(&uri);
        async move {
            let proxy = EchoProxyAsync::new(&uri).map_err(|e| format!("{uri}: {e}"))?;
            proxy.proxy().bind().await.map_err(|e| format!("connecting to {uri}: {e}"))?;
            Ok(PyroConn(proxy))
        }
    })
}

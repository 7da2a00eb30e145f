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
//!   proxy and daemon. Each peer makes its calls in [`ROUNDS`] rounds (a third of `--calls`
//!   each), the peers taking turns round by round, so that a slow spell of a shared machine
//!   falls on all of them alike; a peer's p50 and p99 are the median of its rounds'.
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

mod driver;
mod peers;
mod report;

use std::process::Command;

use serde::Serialize;

use crate::report::{ClientReport, Placement, Side};
use crate::servers::Server;
use crate::{Result, Run};

pub use peers::{client_pyro_async, client_raw_tokio, client_tarpc, server_pyro_async, server_raw_tokio, server_tarpc};

/// pyro's async sequential p50 must be at most this many times the raw TCP floor on tokio.
pub const FLOOR_TARGET: f64 = 1.2;
/// The rounds of each sequential peer, taking turns (see [`measure`]).
pub const ROUNDS: u64 = 3;
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

    fn client(self, run: &Run<'_>, address: &str, calls: u64) -> Command {
        let (calls, warmup) = (calls.to_string(), run.options.warmup.to_string());
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

impl SeqRun {
    /// One peer's rounds as one run: the median round's p50 and p99 (each the median of the
    /// rounds'), the calls, time and CPU of all of them.
    fn median_of(rounds: Vec<SeqRun>) -> Option<SeqRun> {
        let first = rounds.first()?;
        let median = |of: fn(&SeqRun) -> u64| {
            let mut values: Vec<u64> = rounds.iter().map(of).collect();
            values.sort_unstable();
            values.get(values.len() / 2).copied().unwrap_or_default()
        };
        let sum = |of: fn(&SeqRun) -> u64| rounds.iter().map(of).sum::<u64>();
        Some(SeqRun {
            peer: first.peer,
            placement: first.placement,
            client: ClientReport {
                calls: sum(|run| run.client.calls),
                elapsed_ns: sum(|run| run.client.elapsed_ns),
                p50_ns: median(|run| run.client.p50_ns),
                p99_ns: median(|run| run.client.p99_ns),
                cpu_ns: sum(|run| run.client.cpu_ns),
            },
            server_cpu_ns: sum(|run| run.server_cpu_ns),
        })
    }
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
    // Each peer runs in ROUNDS rounds taking turns with the others, so that a slower spell of a
    // shared machine falls on every peer alike rather than on whichever ran then.
    let calls = (run.options.calls / ROUNDS).max(100);
    for &placement in placements {
        let run = Run { placement, ..*run };
        let mut rounds: Vec<Vec<SeqRun>> = SeqPeer::ALL.iter().map(|_| Vec::new()).collect();
        for round in 1..=ROUNDS {
            for (peer, done) in SeqPeer::ALL.iter().zip(&mut rounds) {
                eprint!("bench: {:<26} {:<9} round {round}/{ROUNDS} ... ", peer.name(), placement.name());
                let server = placement.apply(peer.server(&run), Side::Server);
                let client = |address: &str| placement.apply(peer.client(&run, address, calls), Side::Client);
                let sample = run.sample(peer.name(), server, client)?;
                eprintln!("p50 {:.1} µs", sample.client.p50_ns as f64 / 1000.0);
                done.push(SeqRun {
                    peer: peer.name(),
                    placement: placement.name(),
                    client: sample.client,
                    server_cpu_ns: sample.server_cpu_ns,
                });
            }
        }
        summary.sequential.extend(rounds.into_iter().filter_map(SeqRun::median_of));
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

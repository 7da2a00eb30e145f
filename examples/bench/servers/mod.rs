//! The server-types section: pyro's thread-pool and multiplexed daemons (and the multiplexed
//! loop running calls on its own thread, `Daemon::event_loop_with_workers(0)`, "pyro mux
//! inline") against Pyro5's `thread` and `multiplex` servers (`SERVERTYPE`), in one run, all
//! serving the same `Echo` object (`bench server-rust` and `echo_server.py`, told the server
//! type and pool size by `PYRO_*` variables, which both read as Pyro5 does). Every client here
//! is pyro's, the same Rust client against all the servers, so the ratios compare the servers.
//! Processes are not pinned (a client and a server need both cores).
//!
//! The rate clients are [`load`](crate::load)'s: pyro's client session and message decoder on
//! non-blocking sockets, every connection driven from `--client-threads N` threads (default 1),
//! so that as little CPU as can be goes to the client; or, with `--client-threads 0`, one
//! process with a thread per client, each with its own typed proxy and connection (dearer per
//! call: each call wakes a client thread).
//!
//! The first row, "raw TCP floor", is no server (see [`floor`](crate::floor)): replayed replies
//! above pyro's framing, from one thread, with the same client. Its rates over Pyro5's best
//! are shown as the ceilings: no server could reach a larger ratio on this machine.
//!
//! - `concurrent` (`--concurrent-secs S`, 0 skips): `--clients N` (default 32) connections,
//!   each making sequential `echo(42)` calls (one under way at a time) for S seconds; the rate
//!   is all their calls per second. Target: each pyro server at least [`RATE_TARGET`] times
//!   Pyro5's best.
//! - `connect` (`--connections N`, 0 skips): `--connect-clients N` (default 8) connection
//!   slots open N connections in all, one after the other each: connect, handshake,
//!   `echo(42)`, close. The rate is connections per second. Target: at least [`RATE_TARGET`]
//!   times Pyro5's best.
//! - `idle` (`--idle N` for the multiplexed servers, `--idle-thread N` for the thread servers,
//!   0 skips): a client process opens N connections and does the handshake on each; the
//!   server's resident memory (`VmRSS`) after, minus before (with one connection open), over
//!   N. The thread servers get `THREADPOOL_SIZE` N + 8, a worker for each connection. Target:
//!   pyro's multiplexed server at most [`IDLE_TARGET`] bytes per connection.
//! - `tls` (`--tls-calls N`, 0 skips): sequential `echo(42)` calls over plaintext and over
//!   1-way TLS (a test CA made with rcgen; certificate for 127.0.0.1), pyro client to pyro
//!   server and Pyro5 client to Pyro5 server, thread servers; the cost is the p50 and the
//!   client + server CPU per call over TLS minus plaintext. The multiplexed servers are tried
//!   too and shown as refused where a server does not serve TLS.
//!
//! The Rust clients are `bench client-load-rust <uri> calls <connections> <secs> [threads]`,
//! `bench client-load-rust <uri> connect <slots> <connections> [threads]` and `bench
//! client-idle <uri> <n>`.

mod clients;
mod report;

use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use crate::child::Proc;
use crate::echo;
use crate::report::ClientReport;
use crate::{Result, Run};

pub use clients::{client_idle, client_load_rust};
use report::{ceilings, targets};

/// Each pyro server's rate must be at least this many times Pyro5's best.
pub const RATE_TARGET: f64 = 5.0;
/// pyro's multiplexed server: at most this many bytes per idle connection.
pub const IDLE_TARGET: f64 = 1024.0;

/// The section's sizes, from the command line; 0 skips a measurement.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Concurrent clients in `concurrent`.
    pub clients: u64,
    /// Seconds of `concurrent` calls per server.
    pub concurrent_secs: u64,
    /// Connections opened per server in `connect`.
    pub connections: u64,
    /// Connections being opened at once in `connect`.
    pub connect_clients: u64,
    /// Threads of the event-driven load client driving them (both `concurrent` and
    /// `connect`); 0: a thread per client, each with a proxy.
    pub client_threads: u64,
    /// Idle connections held at a multiplexed server.
    pub idle: u64,
    /// Idle connections held at a thread server.
    pub idle_thread: u64,
    /// Sequential calls per TLS and plaintext run.
    pub tls_calls: u64,
}

impl Sizes {
    /// Whether nothing is to be measured.
    pub fn is_empty(self) -> bool {
        self.concurrent_secs == 0
            && self.connections == 0
            && self.idle == 0
            && self.idle_thread == 0
            && self.tls_calls == 0
    }

    /// The longest a client of this section may take, in milliseconds of work (see
    /// `Run::sample`'s limit).
    pub fn largest(self) -> u64 {
        (self.concurrent_secs * 1000).max(self.connections).max(self.tls_calls)
    }
}

/// One of the servers, or the floor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Server {
    /// No server: [`floor`](crate::floor)'s replay of captured replies above pyro's framing,
    /// what the machine's loopback allows at all.
    Floor,
    /// pyro's thread-pool server.
    PyroThread,
    /// pyro's multiplexed server.
    PyroMultiplex,
    /// pyro's multiplexed loop running the calls on its own thread
    /// (`Daemon::event_loop_with_workers(0)`, as Pyro5's multiplex server runs them).
    PyroMultiplexInline,
    /// Pyro5's `thread` server.
    Pyro5Thread,
    /// Pyro5's `multiplex` server.
    Pyro5Multiplex,
}

impl Server {
    /// Every server, in the order they run and are shown.
    pub const ALL: [Server; 6] = [
        Server::Floor,
        Server::PyroThread,
        Server::PyroMultiplex,
        Server::PyroMultiplexInline,
        Server::Pyro5Thread,
        Server::Pyro5Multiplex,
    ];

    /// The name in the table.
    pub fn name(self) -> &'static str {
        match self {
            Server::Floor => "raw TCP floor",
            Server::PyroThread => "pyro thread",
            Server::PyroMultiplex => "pyro multiplex",
            Server::PyroMultiplexInline => "pyro mux inline",
            Server::Pyro5Thread => "Pyro5 thread",
            Server::Pyro5Multiplex => "Pyro5 multiplex",
        }
    }

    /// Whether the server is pyro's (not Pyro5's).
    pub fn is_pyro(self) -> bool {
        matches!(self, Server::PyroThread | Server::PyroMultiplex | Server::PyroMultiplexInline)
    }

    /// Whether the server is Pyro5's.
    pub fn is_pyro5(self) -> bool {
        matches!(self, Server::Pyro5Thread | Server::Pyro5Multiplex)
    }

    /// Whether the server is a multiplexed one (not a thread pool).
    pub fn is_multiplex(self) -> bool {
        matches!(self, Server::PyroMultiplex | Server::PyroMultiplexInline | Server::Pyro5Multiplex)
    }

    /// `SERVERTYPE`.
    fn server_type(self) -> &'static str {
        if self.is_multiplex() { "multiplex" } else { "thread" }
    }

    /// The server's command: `PYRO_SERVERTYPE` set, and `PYRO_THREADPOOL_SIZE` if `pool`.
    pub fn command(&self, run: &Run<'_>, pool: Option<u64>) -> Command {
        let mut command = if *self == Server::Floor {
            run.rust_role("server-floor", &[])
        } else if *self == Server::PyroMultiplexInline {
            run.rust_role("server-rust", &["inline".to_owned()])
        } else if self.is_pyro() {
            run.rust_role("server-rust", &[])
        } else {
            run.python.script(echo::PYTHON_SERVER, &[])
        };
        command.env("PYRO_SERVERTYPE", self.server_type());
        if let Some(pool) = pool {
            command.env("PYRO_THREADPOOL_SIZE", pool.to_string());
        }
        command
    }
}

/// What one rate run measured.
#[derive(Debug, Serialize)]
pub struct RateRun {
    /// The server.
    pub server: &'static str,
    /// Which one it is.
    #[serde(skip)]
    pub of: Server,
    /// Calls or connections per second.
    pub per_s: f64,
    /// What the client measured (latency per call or per connection).
    pub client: ClientReport,
    /// Server CPU (user + system, all threads, exited ones included; 10 ms resolution) over
    /// the measured part.
    pub server_cpu_ns: u64,
}

/// What one idle run measured.
#[derive(Debug, Serialize)]
pub struct IdleRun {
    /// The server.
    pub server: &'static str,
    /// Idle connections held.
    pub connections: u64,
    /// Server `VmRSS` with one connection, in bytes.
    pub rss_before: u64,
    /// Server `VmRSS` with all of them, in bytes.
    pub rss_after: u64,
    /// (after - before) / connections.
    pub bytes_per_connection: f64,
}

/// One TLS-versus-plaintext pair of runs.
#[derive(Debug, Serialize)]
pub struct TlsRun {
    /// The server (the client is the same project's).
    pub server: &'static str,
    /// Plaintext calls, or why the pair could not run.
    pub plain: std::result::Result<TlsSample, String>,
    /// TLS calls, or why not (a server refusing TLS).
    pub tls: std::result::Result<TlsSample, String>,
}

/// One sequential run.
#[derive(Debug, Serialize)]
pub struct TlsSample {
    /// What the client measured.
    pub client: ClientReport,
    /// Server CPU over the measured calls.
    pub server_cpu_ns: u64,
}

impl TlsSample {
    fn cpu_us(&self) -> f64 {
        (self.client.cpu_ns + self.server_cpu_ns) as f64 / self.client.calls.max(1) as f64 / 1000.0
    }
}

/// A target's verdict.
#[derive(Debug, Serialize)]
pub struct Target {
    /// What is judged.
    pub what: String,
    /// The measured value (a ratio, or bytes).
    pub value: f64,
    /// The limit it must reach (at least for ratios, at most for bytes).
    pub limit: f64,
    /// Whether it is met.
    pub met: bool,
}

/// Everything the section measured.
#[derive(Debug, Serialize)]
pub struct ServersSummary {
    /// The sizes asked for.
    pub clients: u64,
    /// Concurrent calls, per server.
    pub concurrent: Vec<RateRun>,
    /// Connecting threads.
    pub connect_clients: u64,
    /// Connection rates, per server.
    pub connect: Vec<RateRun>,
    /// Idle connection memory, per server.
    pub idle: Vec<IdleRun>,
    /// TLS cost.
    pub tls: Vec<TlsRun>,
    /// The verdicts.
    pub targets: Vec<Target>,
    /// The floor's rates over Pyro5's best: the most any server could reach here.
    pub ceilings: Vec<Ceiling>,
}

/// The floor's rate over Pyro5's best (calls or connections per second).
#[derive(Debug, Serialize)]
pub struct Ceiling {
    /// `calls/s` or `connections/s`.
    pub unit: &'static str,
    /// Floor / best Pyro5.
    pub ratio: f64,
}

/// Runs the section's measurements that have a size.
pub fn measure(run: &Run<'_>, sizes: Sizes) -> Result<ServersSummary> {
    eprintln!("bench: server types (unpinned; the same pyro client against every server)");
    let mut summary = ServersSummary {
        clients: sizes.clients,
        concurrent: Vec::new(),
        connect_clients: sizes.connect_clients,
        connect: Vec::new(),
        idle: Vec::new(),
        tls: Vec::new(),
        targets: Vec::new(),
        ceilings: Vec::new(),
    };
    if sizes.concurrent_secs > 0 {
        for server in Server::ALL {
            let name = format!("{} concurrent calls", server.name());
            eprint!("bench: {name:<34} ... ");
            let args = [
                "calls".to_owned(),
                sizes.clients.to_string(),
                sizes.concurrent_secs.to_string(),
                sizes.client_threads.to_string(),
            ];
            let rate = rate_run(run, server, &name, &args)?;
            eprintln!("{:>9.0} calls/s", rate.per_s);
            summary.concurrent.push(rate);
        }
    }
    if sizes.connections > 0 {
        for server in Server::ALL {
            let name = format!("{} connections", server.name());
            eprint!("bench: {name:<34} ... ");
            let args = [
                "connect".to_owned(),
                sizes.connect_clients.to_string(),
                sizes.connections.to_string(),
                sizes.client_threads.to_string(),
            ];
            let rate = rate_run(run, server, &name, &args)?;
            eprintln!("{:>9.0} connections/s", rate.per_s);
            summary.connect.push(rate);
        }
    }
    // The inline loop holds its connections as the multiplexed server does, and neither
    // serves TLS differently: the idle and TLS runs leave it out, and the floor.
    let main_servers =
        || Server::ALL.into_iter().filter(|&server| !matches!(server, Server::PyroMultiplexInline | Server::Floor));
    for server in main_servers() {
        let n = if server.is_multiplex() { sizes.idle } else { sizes.idle_thread };
        if n == 0 {
            continue;
        }
        eprint!("bench: {:<34} ... ", format!("{} {n} idle connections", server.name()));
        let idle = idle_run(run, server, n)?;
        eprintln!("{:>9.0} bytes each", idle.bytes_per_connection);
        summary.idle.push(idle);
    }
    if sizes.tls_calls > 0 {
        let certs = pyro_interop::TestCerts::new("bench");
        for server in main_servers() {
            let plain = tls_sample(run, server, sizes.tls_calls, None);
            let tls = tls_sample(run, server, sizes.tls_calls, Some(&certs));
            let shown = |sample: &std::result::Result<TlsSample, String>| {
                sample
                    .as_ref()
                    .map_or_else(|_| "refused".to_owned(), |s| format!("p50 {:.1} µs", s.client.p50_ns as f64 / 1000.0))
            };
            eprintln!(
                "bench: {:<34} ... plaintext {}, TLS {}",
                format!("{} TLS", server.name()),
                shown(&plain),
                shown(&tls)
            );
            summary.tls.push(TlsRun { server: server.name(), plain, tls });
        }
    }
    summary.targets = targets(&summary);
    summary.ceilings = ceilings(&summary);
    Ok(summary)
}

fn rate_run(run: &Run<'_>, server: Server, name: &str, args: &[String]) -> Result<RateRun> {
    let sample = run.sample(name, server.command(run, None), |uri| {
        let mut all = vec![uri.to_owned()];
        all.extend_from_slice(args);
        run.rust_role("client-load-rust", &all)
    })?;
    let per_s = sample.client.calls as f64 / (sample.client.elapsed_ns.max(1) as f64 / 1e9);
    Ok(RateRun {
        server: server.name(),
        of: server,
        per_s,
        client: sample.client,
        server_cpu_ns: sample.server_stat_ns,
    })
}

/// How long memory is left to settle before it is read.
const SETTLE: Duration = Duration::from_millis(500);

fn idle_run(run: &Run<'_>, server: Server, n: u64) -> Result<IdleRun> {
    let pool = (!server.is_multiplex()).then_some(n + 8);
    let name = format!("{} idle", server.name());
    let mut process = Proc::spawn(&format!("{name} server"), server.command(run, pool))?;
    let uri = process.read_line(crate::START_TIMEOUT)?;
    let mut client =
        Proc::spawn(&format!("{name} client"), run.rust_role("client-idle", &[uri.trim().to_owned(), n.to_string()]))?;
    expect(&mut client, "ONE")?;
    std::thread::sleep(SETTLE);
    let rss_before = rss(process.pid())?;
    client.write_line("GO")?;
    expect(&mut client, "ALL")?;
    std::thread::sleep(SETTLE);
    let rss_after = rss(process.pid())?;
    client.finish(Duration::from_secs(30))?;
    process.check_not_failed()?;
    let bytes_per_connection = rss_after.saturating_sub(rss_before) as f64 / n as f64;
    Ok(IdleRun { server: server.name(), connections: n, rss_before, rss_after, bytes_per_connection })
}

fn expect(client: &mut Proc, word: &str) -> Result<()> {
    let line = client.read_line(crate::START_TIMEOUT + Duration::from_secs(60))?;
    if line.trim() == word { Ok(()) } else { Err(format!("{}: expected {word}, got {line:?}", client.name())) }
}

/// A process's resident memory in bytes (`VmRSS` of `/proc/<pid>/status`).
fn rss(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let line = text.lines().find(|line| line.starts_with("VmRSS:")).ok_or_else(|| format!("{path}: no VmRSS"))?;
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|kb| kb.parse().ok())
        .ok_or_else(|| format!("{path}: bad VmRSS line {line:?}"))?;
    Ok(kb * 1024)
}

/// Sequential echo calls from the server's own project's client, with TLS when `certs`.
fn tls_sample(
    run: &Run<'_>,
    server: Server,
    calls: u64,
    certs: Option<&pyro_interop::TestCerts>,
) -> std::result::Result<TlsSample, String> {
    let mut command = server.command(run, None);
    let tls_env = |command: &mut Command, side_server: bool| {
        if let Some(certs) = certs {
            command.env("PYRO_SSL", "1");
            if side_server {
                command.env("PYRO_SSL_SERVERCERT", &certs.server.cert).env("PYRO_SSL_SERVERKEY", &certs.server.key);
            } else {
                command.env("PYRO_SSL_CACERTS", &certs.ca);
            }
        }
    };
    tls_env(&mut command, true);
    let name = format!("{} {}", server.name(), if certs.is_some() { "TLS" } else { "plaintext" });
    let warmup = (calls / 10).max(100).to_string();
    let sample = run.sample(&name, command, |uri| {
        let args = [uri.to_owned(), calls.to_string(), warmup];
        let mut client = if server.is_pyro() {
            run.rust_role("client-rust", &args)
        } else {
            run.python.script(echo::PYTHON_CLIENT, &args)
        };
        tls_env(&mut client, false);
        client
    })?;
    Ok(TlsSample { client: sample.client, server_cpu_ns: sample.server_cpu_ns })
}

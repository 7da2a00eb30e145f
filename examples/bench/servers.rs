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

use std::fmt::Write as _;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use pyro::proxy::Proxy;
use pyro::{Config, Uri, Value};
use serde::Serialize;

use crate::child::{Proc, process_stat_cpu_ns};
use crate::echo::{self, EchoProxy};
use crate::report::ClientReport;
use crate::{Result, Run, load};

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

fn ceilings(summary: &ServersSummary) -> Vec<Ceiling> {
    let mut ceilings = Vec::new();
    for (runs, unit) in [(&summary.concurrent, "calls/s"), (&summary.connect, "connections/s")] {
        let best = runs.iter().filter(|run| run.of.is_pyro5()).map(|run| run.per_s).fold(0.0, f64::max);
        if let Some(floor) = runs.iter().find(|run| run.of == Server::Floor)
            && best > 0.0
        {
            ceilings.push(Ceiling { unit, ratio: floor.per_s / best });
        }
    }
    ceilings
}

fn targets(summary: &ServersSummary) -> Vec<Target> {
    let mut targets = Vec::new();
    for (runs, unit) in [(&summary.concurrent, "calls/s"), (&summary.connect, "connections/s")] {
        let best = runs.iter().filter(|run| run.of.is_pyro5()).max_by(|a, b| a.per_s.total_cmp(&b.per_s));
        let Some(best) = best else { continue };
        for run in runs.iter().filter(|run| run.of.is_pyro()) {
            let ratio = run.per_s / best.per_s.max(f64::MIN_POSITIVE);
            targets.push(Target {
                what: format!("{} {unit} / best Pyro5 ({})", run.server, best.server),
                value: ratio,
                limit: RATE_TARGET,
                met: ratio >= RATE_TARGET,
            });
        }
    }
    if let Some(idle) = summary.idle.iter().find(|run| run.server == Server::PyroMultiplex.name()) {
        targets.push(Target {
            what: format!("{} bytes per idle connection", idle.server),
            value: idle.bytes_per_connection,
            limit: IDLE_TARGET,
            met: idle.bytes_per_connection <= IDLE_TARGET,
        });
    }
    targets
}

impl ServersSummary {
    /// The tables and the targets' verdicts.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\nServer types (unpinned; every client is pyro's, the same against all the servers; msgpack).\n\
             Client and server share the machine's CPUs, so the rates include the client's cost; \"per server\n\
             CPU-second\" is the server's own efficiency (CPU: user + system from /proc/<pid>/stat, 10 ms ticks).\n\
             \"raw TCP floor\" is no server: one thread replaying captured replies above pyro's framing, the\n\
             most this machine's loopback allows with this client:"
        );
        let rates = [
            (
                &self.concurrent,
                format!("{} clients, each its own connection, sequential echo(42) calls", self.clients),
                "calls/s",
            ),
            (
                &self.connect,
                format!("{} threads opening connections: connect, handshake, echo(42), close", self.connect_clients),
                "conns/s",
            ),
        ];
        for (runs, title, unit) in rates {
            if runs.is_empty() {
                continue;
            }
            let best = runs.iter().filter(|run| run.of.is_pyro5()).map(|run| run.per_s).fold(0.0, f64::max);
            let _ = writeln!(out, "\n{title}:");
            let _ = writeln!(
                out,
                "{:<16} {:>10} {:>10} {:>10} {:>11} {:>11} {:>13} {:>12}",
                "server", unit, "p50 µs", "p99 µs", "client CPU", "server CPU", "vs best Pyro5", "per server"
            );
            let _ = writeln!(out, "{:<50}{:>12}{:>12}{:>28}", "", "µs/unit", "µs/unit", "CPU-second");
            let _ = writeln!(out, "{}", "-".repeat(100));
            for run in runs {
                let per = |ns: u64| ns as f64 / run.client.calls.max(1) as f64 / 1000.0;
                let per_server_cpu_s = run.client.calls as f64 / (run.server_cpu_ns.max(1) as f64 / 1e9);
                let _ = writeln!(
                    out,
                    "{:<16} {:>10.0} {:>10.1} {:>10.1} {:>11.2} {:>11.2} {:>12.2}x {:>12.0}",
                    run.server,
                    run.per_s,
                    run.client.p50_ns as f64 / 1000.0,
                    run.client.p99_ns as f64 / 1000.0,
                    per(run.client.cpu_ns),
                    per(run.server_cpu_ns),
                    run.per_s / best.max(f64::MIN_POSITIVE),
                    per_server_cpu_s,
                );
            }
        }
        if !self.idle.is_empty() {
            let _ = writeln!(out, "\nIdle connections (handshake done, then nothing); server RSS:");
            let _ = writeln!(
                out,
                "{:<16} {:>11} {:>12} {:>12} {:>16}",
                "server", "connections", "before kB", "after kB", "bytes/connection"
            );
            let _ = writeln!(out, "{}", "-".repeat(71));
            for run in &self.idle {
                let _ = writeln!(
                    out,
                    "{:<16} {:>11} {:>12} {:>12} {:>16.0}",
                    run.server,
                    run.connections,
                    run.rss_before / 1024,
                    run.rss_after / 1024,
                    run.bytes_per_connection
                );
            }
        }
        if !self.tls.is_empty() {
            let _ = writeln!(
                out,
                "\nTLS cost per call (sequential echo(42); pyro client -> pyro server, Pyro5 client -> Pyro5 server;\n\
                 1-way TLS 1.3; CPU = client + server, all threads):"
            );
            let _ = writeln!(
                out,
                "{:<16} {:>11} {:>9} {:>11} {:>11} {:>9} {:>11}",
                "server", "plain p50", "TLS p50", "TLS - plain", "plain CPU", "TLS CPU", "TLS - plain"
            );
            let _ = writeln!(
                out,
                "{:<16} {:>11} {:>9} {:>11} {:>11} {:>9} {:>11}",
                "", "µs", "µs", "µs", "µs/call", "µs/call", "µs/call"
            );
            let _ = writeln!(out, "{}", "-".repeat(84));
            for run in &self.tls {
                match (&run.plain, &run.tls) {
                    (Ok(plain), Ok(tls)) => {
                        let (p, t) = (plain.client.p50_ns as f64 / 1000.0, tls.client.p50_ns as f64 / 1000.0);
                        let _ = writeln!(
                            out,
                            "{:<16} {:>11.1} {:>9.1} {:>11.1} {:>11.2} {:>9.2} {:>11.2}",
                            run.server,
                            p,
                            t,
                            t - p,
                            plain.cpu_us(),
                            tls.cpu_us(),
                            tls.cpu_us() - plain.cpu_us()
                        );
                    }
                    (plain, tls) => {
                        let why = tls.as_ref().err().or(plain.as_ref().err()).map_or("", String::as_str);
                        let first = why.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or_default();
                        let _ = writeln!(out, "{:<16} not measured: {}", run.server, first.trim());
                    }
                }
            }
        }
        if !self.targets.is_empty() {
            let _ = writeln!(out, "\nTargets:");
            for target in &self.targets {
                let (value, limit) = if target.what.contains("bytes") {
                    (format!("{:.0} B", target.value), format!("<= {:.0} B", target.limit))
                } else {
                    (format!("{:.2}x", target.value), format!(">= {:.0}x", target.limit))
                };
                let _ = writeln!(
                    out,
                    "  {:<58} {:>9} (target {limit}): {}",
                    target.what,
                    value,
                    if target.met { "met" } else { "NOT met" }
                );
            }
        }
        for ceiling in &self.ceilings {
            let _ = writeln!(
                out,
                "  {:<58} {:>8.2}x (no server can reach more on this machine{})",
                format!("ceiling: raw TCP floor {} / best Pyro5", ceiling.unit),
                ceiling.ratio,
                if ceiling.ratio < RATE_TARGET { ", so the target cannot be met here" } else { "" }
            );
        }
        out
    }
}

/// `client-load-rust <uri> calls <connections> <secs> [threads]` or `client-load-rust <uri>
/// connect <concurrent> <connections> [threads]`: with `threads` 0 (the default), a thread per
/// connection (slot), each with its own typed proxy; else the [`load`](crate::load) client on
/// `threads` threads. Warms up, prints `READY`, waits for a line, measures, prints one
/// [`ClientReport`] (latency per call or per connection).
pub fn client_load_rust(args: &[String]) -> Result<()> {
    let (uri, mode, slots, amount, threads) = match args {
        [uri, mode, slots, amount] => (uri, mode, slots, amount, None),
        [uri, mode, slots, amount, threads] => (uri, mode, slots, amount, Some(threads)),
        _ => {
            return Err(format!(
                "expected <uri> calls|connect <connections> <secs|connections> [threads], got {args:?}"
            ));
        }
    };
    let number = |text: &String| text.parse::<u64>().map_err(|e| format!("{text:?}: {e}"));
    let (slots, amount) = (number(slots)?.max(1), number(amount)?);
    let threads = threads.map(number).transpose()?.unwrap_or(0).min(slots);
    let uri: Uri = uri.parse().map_err(|e| format!("{uri}: {e}"))?;
    let mode = match mode.as_str() {
        "calls" => load::Mode::Calls,
        "connect" => load::Mode::Connect,
        other => return Err(format!("unknown mode {other:?} (calls or connect)")),
    };
    // Everyone warmed up; then the measured part starts for all at once.
    let parties = if threads == 0 { slots } else { threads } as usize + 1;
    let (ready, go) = (Arc::new(Barrier::new(parties)), Arc::new(Barrier::new(parties)));
    let stop = Arc::new(AtomicBool::new(false));
    let drivers = if threads == 0 {
        let config = Config::environment().map_err(|e| e.to_string())?;
        let per_thread = amount.div_ceil(slots);
        (0..slots)
            .map(|_| {
                let (uri, config, ready, go, stop) =
                    (uri.clone(), config.clone(), Arc::clone(&ready), Arc::clone(&go), Arc::clone(&stop));
                std::thread::spawn(move || -> Result<Vec<u64>> {
                    let mut latencies = Vec::new();
                    match mode {
                        load::Mode::Connect => connect_worker(&uri, &config, per_thread, &ready, &go, &mut latencies),
                        load::Mode::Calls => call_worker(&uri, &config, &stop, &ready, &go, &mut latencies),
                    }
                    .map(|()| latencies)
                })
            })
            .collect()
    } else {
        let plan = Arc::new(load::Plan::new(&uri)?);
        let slots = usize::try_from(slots).map_err(|e| e.to_string())?;
        let shape = load::Shape { mode, connections: slots, threads: threads as usize, warmup: WARMUP, amount };
        load::drive(&plan, shape, &stop, &ready, &go)
    };
    ready.wait();
    println!("READY");
    std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut String::new()).map_err(|e| format!("stdin: {e}"))?;
    let cpu_start = process_stat_cpu_ns("self")?;
    let start = Instant::now();
    go.wait();
    // Calls: the measured time ends at the stop (the replies still due then are not counted).
    let mut elapsed = None;
    if mode == load::Mode::Calls {
        std::thread::sleep(Duration::from_secs(amount));
        stop.store(true, Ordering::SeqCst);
        elapsed = Some(start.elapsed());
    }
    let mut latencies = Vec::new();
    for driver in drivers {
        latencies.extend(driver.join().map_err(|_| "a client thread panicked".to_owned())??);
    }
    let elapsed = u64::try_from(elapsed.unwrap_or_else(|| start.elapsed()).as_nanos()).unwrap_or(u64::MAX);
    let cpu = process_stat_cpu_ns("self")?.saturating_sub(cpu_start);
    println!("{}", ClientReport::new(&mut latencies, elapsed, cpu).to_line()?);
    Ok(())
}

/// Warm-up calls (or connections) of each connection slot.
const WARMUP: u64 = 100;

fn call_worker(
    uri: &Uri,
    config: &Config,
    stop: &AtomicBool,
    ready: &Barrier,
    go: &Barrier,
    latencies: &mut Vec<u64>,
) -> Result<()> {
    let proxy = EchoProxy::from_proxy(Proxy::with_config(uri.clone(), config));
    let call = |proxy: &EchoProxy| match proxy.echo(Value::Int(42)) {
        Ok(Value::Int(42)) => Ok(()),
        Ok(other) => Err(format!("echo(42) returned {other:?}")),
        Err(e) => Err(format!("echo(42): {e}")),
    };
    // Every thread reaches both barriers, also after a failure, so that none waits forever.
    let warm = (0..WARMUP).try_for_each(|_| call(&proxy));
    ready.wait();
    go.wait();
    warm?;
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        call(&proxy)?;
        latencies.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    Ok(())
}

fn connect_worker(
    uri: &Uri,
    config: &Config,
    connections: u64,
    ready: &Barrier,
    go: &Barrier,
    latencies: &mut Vec<u64>,
) -> Result<()> {
    let once = || {
        let proxy = EchoProxy::from_proxy(Proxy::with_config(uri.clone(), config));
        match proxy.echo(Value::Int(42)) {
            Ok(Value::Int(42)) => Ok(()),
            Ok(other) => Err(format!("echo(42) returned {other:?}")),
            Err(e) => Err(format!("connect and echo(42): {e}")),
        }
    };
    let warm = (0..WARMUP.min(connections)).try_for_each(|_| once());
    ready.wait();
    go.wait();
    warm?;
    for _ in 0..connections {
        let t = Instant::now();
        once()?;
        latencies.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
    }
    Ok(())
}

/// `client-idle <uri> <n>`: connects once (handshake), prints `ONE`, waits for a line,
/// connects n - 1 more, prints `ALL`, waits for stdin to close, and lets them all go.
pub fn client_idle(args: &[String]) -> Result<()> {
    let [uri, n] = args else { return Err(format!("expected <uri> <n>, got {args:?}")) };
    let n: u64 = n.parse().map_err(|e| format!("{n:?}: {e}"))?;
    let uri: Uri = uri.parse().map_err(|e| format!("{uri}: {e}"))?;
    let config = Config::environment().map_err(|e| e.to_string())?;
    let open = |proxies: &mut Vec<Proxy>| -> Result<()> {
        let proxy = Proxy::with_config(uri.clone(), &config);
        proxy.bind().map_err(|e| format!("connection {}: {e}", proxies.len() + 1))?;
        proxies.push(proxy);
        Ok(())
    };
    let mut proxies = Vec::new();
    open(&mut proxies)?;
    println!("ONE");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::stdin().lock(), &mut line).map_err(|e| format!("stdin: {e}"))?;
    for _ in 1..n {
        open(&mut proxies)?;
    }
    println!("ALL");
    // Until the orchestrator closes stdin.
    let _ = std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut Vec::new());
    drop(proxies);
    Ok(())
}

//! The throughput section: batch calls, oneway calls and item streaming, each Rust -> Rust,
//! Python -> Python and Python -> Rust in the same run, over msgpack, both processes pinned to
//! CPU 0 when `taskset` works (unpinned otherwise).
//!
//! - `batch` (`--batches N`, 0 skips): N batches of [`BATCH_SIZE`] `echo(42)` calls, one after
//!   the other; Rust records them on the typed `EchoBatch` (`EchoProxy::batch()`), Python on a
//!   `Pyro5.api.BatchProxy`. The rate is batched calls per second.
//! - `oneway` (`--oneway-calls N`, 0 skips): the client sends N oneway `tick()` calls, then
//!   polls the normal call `ticks()` until the server has processed all N. The rate is N over
//!   the time from the first send to the poll that saw the last one processed.
//! - `stream` (`--stream-items N`, 0 skips): one call of `items(N)`, a method returning an
//!   iterator of N small ints, consumed fully (Rust: the typed proxy's `RemoteIter`; Python:
//!   iterating what the Pyro5 proxy returns). The rate is items per second, the call included.
//!   Rust -> Rust runs twice: with Pyro5's semantics (one round trip per item, the proxy's
//!   default) and with [`STREAM_READ_AHEAD`] requests in flight (`Proxy::set_stream_read_ahead`).
//!
//! Each client warms up with the same workload first. Targets: Rust -> Rust at least 10x
//! Python -> Python's batched calls per second, 20x its oneway calls processed per second and
//! 10x its items per second. The stream target is judged on the read-ahead row: with one round
//! trip per item both sides are bound by the loopback round trip (a few µs of system calls and
//! wake-ups each way), not by pyro, and read-ahead stays opt-in because it changes what a Rust
//! client observes (the generator runs ahead, the stream holds a connection of its own); the
//! default row is shown beside it.
//!
//! The Rust client is `bench client-throughput-rust <uri> <workload> <count> <warmup> [<read-ahead>]`, the
//! Python one `throughput_client.py` (after `client_common.py`) with the same arguments and the
//! batch size; both print `READY`, wait for a line, run and print one [`ClientReport`] line
//! whose `calls` is the number of calls or items and whose latencies are per step (one batch,
//! one oneway send, one item).

use std::fmt::Write as _;
use std::io::BufRead;
use std::time::{Duration, Instant};

use pyro::Value;
use pyro::proxy::Proxy;
use serde::Serialize;

use crate::child::process_cpu_ns;
use crate::echo::{self, EchoProxy};
use crate::report::{ClientReport, Placement, Side};
use crate::serializers::Pair;
use crate::{Result, Run};

/// Calls in one batch.
pub const BATCH_SIZE: u64 = 1000;

/// The stream read-ahead of the second Rust -> Rust stream run.
pub const STREAM_READ_AHEAD: usize = 32;

/// The name of that run's row, the pair the stream target is judged on.
const READ_AHEAD_ROW: &str = "Rust -> Rust, read-ahead 32";

/// One row of the table: a pair, and for a Rust client its stream read-ahead.
#[derive(Clone, Copy, Debug)]
struct Row {
    pair: Pair,
    name: &'static str,
    read_ahead: usize,
}

impl Row {
    /// The rows of `workload`: every pair, and for streams Rust -> Rust with read-ahead too.
    fn of(workload: Workload) -> Vec<Row> {
        let mut rows: Vec<Row> =
            Pair::ALL.into_iter().map(|pair| Row { pair, name: pair.name(), read_ahead: 1 }).collect();
        if workload == Workload::Stream {
            rows.insert(1, Row { pair: Pair::RustToRust, name: READ_AHEAD_ROW, read_ahead: STREAM_READ_AHEAD });
        }
        rows
    }
}

/// The Pyro5 client (`python -c ... <uri> <workload> <count> <warmup> <batch size>`).
pub const PYTHON_CLIENT: &str = concat!(include_str!("client_common.py"), include_str!("throughput_client.py"));

/// How long the client waits between two `ticks()` polls.
const POLL_EVERY: Duration = Duration::from_micros(100);

/// How long the oneway count may stand still before the client gives up.
const STALLED_AFTER: Duration = Duration::from_secs(10);

/// What is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    /// Batches of [`BATCH_SIZE`] echo calls.
    Batch,
    /// Oneway calls, counted by the server.
    Oneway,
    /// Items of one remote iterator.
    Stream,
}

impl Workload {
    /// Every workload, in the order they run and are shown.
    pub const ALL: [Workload; 3] = [Workload::Batch, Workload::Oneway, Workload::Stream];

    /// The name on the command line, in the table and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Batch => "batch",
            Workload::Oneway => "oneway",
            Workload::Stream => "stream",
        }
    }

    fn from_name(name: &str) -> Result<Workload> {
        Workload::ALL
            .into_iter()
            .find(|workload| workload.name() == name)
            .ok_or_else(|| format!("unknown workload {name:?} (batch, oneway or stream)"))
    }

    /// What the rate counts.
    fn unit(self) -> &'static str {
        match self {
            Workload::Batch => "batched calls",
            Workload::Oneway => "oneway calls processed",
            Workload::Stream => "items streamed",
        }
    }

    /// Rust -> Rust's rate must be at least this many times Python -> Python's.
    pub fn target(self) -> f64 {
        match self {
            Workload::Batch | Workload::Stream => 10.0,
            Workload::Oneway => 20.0,
        }
    }

    /// Warm-up calls or items before the measured ones.
    fn warmup(self, count: u64) -> u64 {
        match self {
            Workload::Batch => (count / 10 / BATCH_SIZE).clamp(1, 5) * BATCH_SIZE,
            Workload::Oneway | Workload::Stream => (count / 10).max(100),
        }
    }
}

/// The section's sizes, from the command line: calls or items per run, 0 to skip.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    /// Batched calls per run (a multiple of [`BATCH_SIZE`]).
    pub batch_calls: u64,
    /// Oneway calls per run.
    pub oneway_calls: u64,
    /// Items per run (at most `u32::MAX`).
    pub stream_items: u64,
}

impl Sizes {
    /// The calls or items per run of `workload`.
    fn of(self, workload: Workload) -> u64 {
        match workload {
            Workload::Batch => self.batch_calls,
            Workload::Oneway => self.oneway_calls,
            Workload::Stream => self.stream_items,
        }
    }

    /// The most calls or items of any workload.
    pub fn largest(self) -> u64 {
        Workload::ALL.iter().map(|&workload| self.of(workload)).max().unwrap_or_default()
    }

    /// Whether nothing is to be measured.
    pub fn is_empty(self) -> bool {
        Workload::ALL.iter().all(|&workload| self.of(workload) == 0)
    }
}

/// One workload, one pair.
#[derive(Debug, Serialize)]
pub struct ThroughputRun {
    /// What was measured.
    pub workload: Workload,
    /// Who called whom.
    pub pair: &'static str,
    /// Calls or items per second.
    pub per_s: f64,
    /// What the client measured (`calls` = calls or items; latencies per batch, oneway send
    /// or item).
    pub client: ClientReport,
    /// Server CPU (all threads) over the measured part.
    pub server_cpu_ns: u64,
}

impl ThroughputRun {
    fn per_unit_us(&self, ns: u64) -> f64 {
        ns as f64 / self.client.calls.max(1) as f64 / 1000.0
    }
}

/// A target's verdict.
#[derive(Debug, Serialize)]
pub struct ThroughputTarget {
    /// The workload.
    pub workload: Workload,
    /// The Rust -> Rust row (with or without stream read-ahead).
    pub pair: &'static str,
    /// Rust -> Rust calls or items per second.
    pub rust_per_s: f64,
    /// Python -> Python calls or items per second.
    pub python_per_s: f64,
    /// Rust over Python.
    pub ratio: f64,
    /// The least ratio that meets the target.
    pub limit: f64,
    /// Whether it is met.
    pub met: bool,
}

/// Every run of the section, with the targets.
#[derive(Debug, Serialize)]
pub struct ThroughputSummary {
    /// Where the processes ran.
    pub placement: &'static str,
    /// Calls per batch.
    pub batch_size: u64,
    /// The runs, in order.
    pub runs: Vec<ThroughputRun>,
    /// The verdicts.
    pub targets: Vec<ThroughputTarget>,
}

/// Runs every workload that has a size, for every pair, in `placement`.
pub fn measure(run: &Run<'_>, sizes: Sizes) -> Result<ThroughputSummary> {
    eprintln!(
        "bench: throughput ({}): {} batched calls ({BATCH_SIZE} a batch), {} oneway calls, {} streamed items per run",
        run.placement.name(),
        sizes.batch_calls,
        sizes.oneway_calls,
        sizes.stream_items
    );
    let mut runs = Vec::new();
    for workload in Workload::ALL {
        let count = sizes.of(workload);
        if count == 0 {
            continue;
        }
        for row in Row::of(workload) {
            let pair = row.pair;
            let name = format!("{} {}", workload.name(), row.name);
            eprint!("bench: {name:<34} ... ");
            let server = if pair.rust_server() {
                run.rust_role("server-rust", &[])
            } else {
                run.python.script(echo::PYTHON_SERVER, &[])
            };
            let server = run.placement.apply(server, Side::Server);
            let sample = run.sample(&name, server, |uri| {
                let args =
                    [uri.to_owned(), workload.name().to_owned(), count.to_string(), workload.warmup(count).to_string()];
                let client = if pair.rust_client() {
                    let mut args = args.to_vec();
                    args.push(row.read_ahead.to_string());
                    run.rust_role("client-throughput-rust", &args)
                } else {
                    let mut args = args.to_vec();
                    args.push(BATCH_SIZE.to_string());
                    run.python.script(PYTHON_CLIENT, &args)
                };
                run.placement.apply(client, Side::Client)
            })?;
            if sample.client.calls != count {
                return Err(format!("{name}: the client measured {} instead of {count}", sample.client.calls));
            }
            let per_s = sample.client.calls as f64 / (sample.client.elapsed_ns.max(1) as f64 / 1e9);
            eprintln!("{per_s:>9.0} {}/s", workload.unit());
            runs.push(ThroughputRun {
                workload,
                pair: row.name,
                per_s,
                client: sample.client,
                server_cpu_ns: sample.server_cpu_ns,
            });
        }
    }
    let targets = targets(&runs);
    Ok(ThroughputSummary { placement: run.placement.name(), batch_size: BATCH_SIZE, runs, targets })
}

fn targets(runs: &[ThroughputRun]) -> Vec<ThroughputTarget> {
    let python = |workload| {
        runs.iter().find(|run| run.workload == workload && run.pair == Pair::PythonToPython.name()).map(|run| run.per_s)
    };
    // Streams: the read-ahead row (see the module docs); the others: Rust -> Rust.
    let target_pair = |workload| if workload == Workload::Stream { READ_AHEAD_ROW } else { Pair::RustToRust.name() };
    runs.iter()
        .filter(|run| run.pair == target_pair(run.workload))
        .filter_map(|run| {
            let (rust, python) = (run.per_s, python(run.workload)?);
            let ratio = rust / python.max(f64::MIN_POSITIVE);
            let limit = run.workload.target();
            Some(ThroughputTarget {
                workload: run.workload,
                pair: run.pair,
                rust_per_s: rust,
                python_per_s: python,
                ratio,
                limit,
                met: ratio >= limit,
            })
        })
        .collect()
}

impl ThroughputSummary {
    /// The table and the targets' verdicts.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\nThroughput over msgpack ({}; one client, one connection):\n\
             batches of {} echo(42) calls; oneway tick() calls until the server has run them all; the items of one\n\
             remote iterator. Latencies are per step (one batch, one oneway send, one item); CPU = all threads of\n\
             the process, per call or item.\n",
            if self.placement == Placement::Pinned.name() { "both processes pinned to CPU 0" } else { self.placement },
            self.batch_size
        );
        let _ = writeln!(
            out,
            "{:<8} {:<27} {:>11} {:>10} {:>10} {:>11} {:>11} {:>9}",
            "workload", "pair", "per s", "p50 µs", "p99 µs", "client CPU", "server CPU", "vs Py-Py"
        );
        let _ = writeln!(out, "{:<80}{:>12}{:>12}", "", "µs/unit", "µs/unit");
        let _ = writeln!(out, "{}", "-".repeat(105));
        for run in &self.runs {
            let python = self
                .runs
                .iter()
                .find(|other| other.workload == run.workload && other.pair == Pair::PythonToPython.name())
                .map(|python| run.per_s / python.per_s.max(f64::MIN_POSITIVE));
            let _ = writeln!(
                out,
                "{:<8} {:<27} {:>11.0} {:>10.1} {:>10.1} {:>11.3} {:>11.3} {:>9}",
                run.workload.name(),
                run.pair,
                run.per_s,
                run.client.p50_ns as f64 / 1000.0,
                run.client.p99_ns as f64 / 1000.0,
                run.per_unit_us(run.client.cpu_ns),
                run.per_unit_us(run.server_cpu_ns),
                python.map_or_else(|| "-".to_owned(), |ratio| format!("{ratio:.2}x")),
            );
        }
        for target in &self.targets {
            let _ = writeln!(
                out,
                "target: {} {} at least {:.0}x Python -> Python's {}/s: {:.0} vs {:.0} = {:.2}x ({})",
                target.workload.name(),
                target.pair,
                target.limit,
                target.workload.unit(),
                target.rust_per_s,
                target.python_per_s,
                target.ratio,
                if target.met { "met" } else { "NOT met" }
            );
        }
        out
    }
}

/// `client-throughput-rust <uri> <workload> <count> <warmup> [<read-ahead>]`: the typed proxy
/// over msgpack, with that stream read-ahead (1, Pyro5's semantics, if not given).
pub fn client_rust(args: &[String]) -> Result<()> {
    let (uri, workload, count, warmup, read_ahead) = match args {
        [uri, workload, count, warmup] => (uri, workload, count, warmup, None),
        [uri, workload, count, warmup, read_ahead] => (uri, workload, count, warmup, Some(read_ahead)),
        _ => return Err(format!("expected <uri> <workload> <count> <warmup> [<read-ahead>], got {args:?}")),
    };
    let workload = Workload::from_name(workload)?;
    let number = |text: &String| text.parse::<u64>().map_err(|e| format!("{text:?}: {e}"));
    let (count, warmup) = (number(count)?, number(warmup)?);
    let read_ahead = match read_ahead {
        None => 1,
        Some(text) => text.parse::<usize>().map_err(|e| format!("read-ahead {text:?}: {e}"))?,
    };
    let proxy = Proxy::from_uri_str(uri).map_err(|e| format!("{uri}: {e}"))?.with_stream_read_ahead(read_ahead);
    let proxy = EchoProxy::from_proxy(proxy);
    proxy.proxy().bind().map_err(|e| format!("connecting to {uri}: {e}"))?;
    let mut steps = Vec::new();
    let measured = match workload {
        Workload::Batch => {
            let batches = |calls: u64| {
                if calls.is_multiple_of(BATCH_SIZE) {
                    Ok(calls / BATCH_SIZE)
                } else {
                    Err(format!("{calls} batched calls are not a whole number of batches of {BATCH_SIZE}"))
                }
            };
            let (batches, warmup_batches) = (batches(count)?, batches(warmup)?);
            for _ in 0..warmup_batches {
                run_batch(&proxy)?;
            }
            wait_for_go()?;
            measure_client(count, || {
                for _ in 0..batches {
                    let step = Instant::now();
                    run_batch(&proxy)?;
                    steps.push(nanos(step));
                }
                Ok(())
            })?
        }
        Workload::Oneway => {
            let base = ticks(&proxy)?;
            send_ticks(&proxy, warmup, None)?;
            wait_for_ticks(&proxy, base + warmup)?;
            wait_for_go()?;
            let base = ticks(&proxy)?;
            measure_client(count, || {
                send_ticks(&proxy, count, Some(&mut steps))?;
                wait_for_ticks(&proxy, base + count)
            })?
        }
        Workload::Stream => {
            let items = |n: u64| u32::try_from(n).map_err(|_| format!("{n} items: at most {} per stream", u32::MAX));
            let (count_items, warmup_items) = (items(count)?, items(warmup)?);
            stream(&proxy, warmup_items, None)?;
            wait_for_go()?;
            measure_client(count, || stream(&proxy, count_items, Some(&mut steps)))?
        }
    };
    let mut report = ClientReport::new(&mut steps, measured.elapsed_ns, measured.cpu_ns);
    report.calls = count;
    println!("{}", report.to_line()?);
    Ok(())
}

/// Wall and CPU time of one measured part.
struct Measured {
    elapsed_ns: u64,
    cpu_ns: u64,
}

fn measure_client(count: u64, part: impl FnOnce() -> Result<()>) -> Result<Measured> {
    let cpu_start = process_cpu_ns("self")?;
    let start = Instant::now();
    part().map_err(|e| format!("measuring {count}: {e}"))?;
    let elapsed_ns = nanos(start);
    Ok(Measured { elapsed_ns, cpu_ns: process_cpu_ns("self")?.saturating_sub(cpu_start) })
}

/// Prints `READY` and waits for the orchestrator's line.
fn wait_for_go() -> Result<()> {
    println!("READY");
    std::io::stdin().lock().read_line(&mut String::new()).map_err(|e| format!("stdin: {e}"))?;
    Ok(())
}

/// One batch of [`BATCH_SIZE`] `echo(42)` calls, every result checked.
fn run_batch(proxy: &EchoProxy) -> Result<()> {
    let mut batch = proxy.batch();
    let handles: Vec<_> = (0..BATCH_SIZE).map(|_| batch.echo(Value::Int(42))).collect();
    batch.run().map_err(|e| format!("a batch of {BATCH_SIZE} echo(42): {e}"))?;
    for (index, handle) in handles.iter().enumerate() {
        match handle.get() {
            Ok(Value::Int(42)) => {}
            other => return Err(format!("batched echo(42) #{index} returned {other:?}")),
        }
    }
    Ok(())
}

fn ticks(proxy: &EchoProxy) -> Result<u64> {
    proxy.ticks().map_err(|e| format!("ticks(): {e}"))
}

/// Sends `count` oneway `tick()` calls, timing each send into `steps` if given.
fn send_ticks(proxy: &EchoProxy, count: u64, mut steps: Option<&mut Vec<u64>>) -> Result<()> {
    for _ in 0..count {
        let step = Instant::now();
        proxy.tick().map_err(|e| format!("oneway tick(): {e}"))?;
        if let Some(steps) = steps.as_deref_mut() {
            steps.push(nanos(step));
        }
    }
    Ok(())
}

/// Polls `ticks()` until it reaches `target`; an error if it stands still for too long.
fn wait_for_ticks(proxy: &EchoProxy, target: u64) -> Result<()> {
    let (mut last, mut since) = (None, Instant::now());
    loop {
        let now = ticks(proxy)?;
        if now >= target {
            return Ok(());
        }
        if last != Some(now) {
            (last, since) = (Some(now), Instant::now());
        } else if since.elapsed() > STALLED_AFTER {
            return Err(format!("the server ran only {now} of {target} oneway calls, none in {STALLED_AFTER:?}"));
        }
        std::thread::sleep(POLL_EVERY);
    }
}

/// Calls `items(n)` and consumes the stream, checking every item, timing each into `steps`
/// if given.
fn stream(proxy: &EchoProxy, n: u32, mut steps: Option<&mut Vec<u64>>) -> Result<()> {
    let mut items = proxy.items(n).map_err(|e| format!("items({n}): {e}"))?;
    let mut expected = 0u32;
    loop {
        let step = Instant::now();
        let Some(item) = items.next() else { break };
        let item = item.map_err(|e| format!("items({n}), item {expected}: {e}"))?;
        if let Some(steps) = steps.as_deref_mut() {
            steps.push(nanos(step));
        }
        if item != expected {
            return Err(format!("items({n}): item {expected} is {item}"));
        }
        expected += 1;
    }
    if expected == n { Ok(()) } else { Err(format!("items({n}) ended after {expected} items")) }
}

fn nanos(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

//! What is measured (scenarios, placements), what a client reports, and the table and JSON
//! built from all runs.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::async_echo::AsyncSummary;
use crate::codecs::CodecSummary;
use crate::naming::NsSummary;
use crate::nsstorage::NsStorageSummary;
use crate::serializers::SerializerSummary;
use crate::servers::ServersSummary;
use crate::throughput::ThroughputSummary;
use crate::{Result, WireSizes};

/// Who calls whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// Raw TCP ping-pong of message-sized byte strings.
    Raw,
    /// pyro typed proxy to the pyro daemon.
    RustToRust,
    /// Pyro5 proxy to the Pyro5 daemon.
    PythonToPython,
    /// Pyro5 proxy to the pyro daemon.
    PythonToRust,
    /// pyro typed proxy to the Pyro5 daemon.
    RustToPython,
}

impl Scenario {
    /// Every scenario, in the order they run and are shown.
    pub const ALL: [Scenario; 5] =
        [Scenario::Raw, Scenario::RustToRust, Scenario::PythonToPython, Scenario::PythonToRust, Scenario::RustToPython];

    /// The name in the table and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Raw => "raw TCP floor",
            Scenario::RustToRust => "Rust -> Rust",
            Scenario::PythonToPython => "Python -> Python",
            Scenario::PythonToRust => "Python -> Rust",
            Scenario::RustToPython => "Rust -> Python",
        }
    }
}

/// Where the client and server processes may run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Both processes on CPU 0 (`taskset -c 0`): no cross-core wake-ups.
    Pinned,
    /// Client on CPU 0, server on CPU 1: every call wakes a thread on the other core.
    Split,
    /// No affinity: wherever the scheduler puts them (it may move them during the run).
    Unpinned,
}

/// Which process of a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The caller.
    Client,
    /// The daemon (or raw echo server).
    Server,
}

impl Placement {
    /// The name in the table and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Placement::Pinned => "pinned",
            Placement::Split => "split",
            Placement::Unpinned => "unpinned",
        }
    }

    /// `command` as it runs on `side` in this placement.
    pub fn apply(self, command: Command, side: Side) -> Command {
        match (self, side) {
            (Placement::Pinned, _) | (Placement::Split, Side::Client) => crate::child::pinned(&command, "0"),
            (Placement::Split, Side::Server) => crate::child::pinned(&command, "1"),
            (Placement::Unpinned, _) => command,
        }
    }
}

/// The one JSON line a client prints after its measured calls (the Python client prints the
/// same keys).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ClientReport {
    /// Measured calls.
    pub calls: u64,
    /// Wall time of all measured calls.
    pub elapsed_ns: u64,
    /// Median latency of one call.
    pub p50_ns: u64,
    /// 99th percentile latency.
    pub p99_ns: u64,
    /// The client process's CPU time (all threads) during the measured calls.
    pub cpu_ns: u64,
}

impl ClientReport {
    /// The summary of `latencies` (one per call, in nanoseconds; sorted in place).
    pub fn new(latencies: &mut [u64], elapsed_ns: u64, cpu_ns: u64) -> ClientReport {
        latencies.sort_unstable();
        let at = |percent: usize| {
            let index = (latencies.len() * percent / 100).min(latencies.len().saturating_sub(1));
            latencies.get(index).copied().unwrap_or_default()
        };
        ClientReport { calls: latencies.len() as u64, elapsed_ns, p50_ns: at(50), p99_ns: at(99), cpu_ns }
    }

    /// Reads a report line.
    pub fn parse(line: &str) -> Result<ClientReport> {
        pyro::Serializer::Json.from_bytes(line.as_bytes()).map_err(|e| format!("bad report: {e}"))
    }

    /// The report as one JSON line.
    pub fn to_line(&self) -> Result<String> {
        let bytes = pyro::Serializer::Json.to_bytes(self).map_err(|e| format!("cannot write the report: {e}"))?;
        String::from_utf8(bytes).map_err(|e| e.to_string())
    }
}

/// One scenario in one placement.
#[derive(Clone, Debug)]
pub struct Measurement {
    /// Who called whom.
    pub scenario: Scenario,
    /// Where they ran.
    pub placement: Placement,
    /// What the client measured.
    pub client: ClientReport,
    /// The server process's CPU time (all threads) during the measured calls.
    pub server_cpu_ns: u64,
    /// The share of samples (every 10 ms) in which the client's and the server's busiest
    /// threads were last on the same CPU; `None` if the run was too short to sample.
    pub same_cpu: Option<f64>,
}

impl Measurement {
    fn per_call_us(&self, ns: u64) -> f64 {
        ns as f64 / self.client.calls.max(1) as f64 / 1000.0
    }

    /// Calls per second of wall time.
    pub fn calls_per_s(&self) -> f64 {
        self.client.calls as f64 / (self.client.elapsed_ns.max(1) as f64 / 1e9)
    }

    /// Median latency in µs.
    pub fn p50_us(&self) -> f64 {
        self.client.p50_ns as f64 / 1000.0
    }

    /// 99th percentile latency in µs.
    pub fn p99_us(&self) -> f64 {
        self.client.p99_ns as f64 / 1000.0
    }

    /// Client CPU µs per call.
    pub fn client_cpu_us(&self) -> f64 {
        self.per_call_us(self.client.cpu_ns)
    }

    /// Server CPU µs per call.
    pub fn server_cpu_us(&self) -> f64 {
        self.per_call_us(self.server_cpu_ns)
    }

    /// Client + server CPU µs per call.
    pub fn total_cpu_us(&self) -> f64 {
        self.client_cpu_us() + self.server_cpu_us()
    }
}

/// A row of the JSON output.
#[derive(Serialize)]
struct Row {
    scenario: &'static str,
    placement: &'static str,
    calls: u64,
    calls_per_s: f64,
    p50_us: f64,
    p99_us: f64,
    client_cpu_us_per_call: f64,
    server_cpu_us_per_call: f64,
    total_cpu_us_per_call: f64,
    p50_vs_raw_floor: Option<f64>,
    cpu_vs_python_to_python: Option<f64>,
    same_cpu_share: Option<f64>,
}

/// A target's verdict in one placement.
#[derive(Serialize)]
struct Verdict {
    target: &'static str,
    placement: &'static str,
    value: Option<f64>,
    limit: f64,
    met: bool,
    /// A caveat: unpinned runs land on one core or two at the scheduler's whim.
    note: Option<String>,
}

impl Verdict {
    fn new(
        target: &'static str,
        m: &Measurement,
        other: Option<&Measurement>,
        value: Option<f64>,
        limit: f64,
    ) -> Verdict {
        let note = (m.placement == Placement::Unpinned).then(|| {
            format!("uncontrolled: same CPU {} vs {}", percent(other.and_then(|o| o.same_cpu)), percent(m.same_cpu))
        });
        Verdict { target, placement: m.placement.name(), value, limit, met: value.is_some_and(|v| v <= limit), note }
    }
}

/// Client + server CPU per call above the raw floor's, Rust -> Rust against Python -> Python
/// (informational: the kernel's share of a loopback round trip is the same for both).
#[derive(Serialize)]
struct AboveFloor {
    placement: &'static str,
    rust_us_per_call: f64,
    python_us_per_call: f64,
    ratio: Option<f64>,
}

/// The whole JSON file.
#[derive(Serialize)]
struct Document<'a> {
    calls: u64,
    warmup_calls: u64,
    request_bytes: usize,
    reply_bytes: usize,
    cpus: usize,
    results: &'a [Row],
    targets: &'a [Verdict],
    cpu_above_raw_floor: &'a [AboveFloor],
    name_server_lookups: Option<&'a NsSummary>,
    serializers: Option<&'a SerializerSummary>,
    codecs: Option<&'a CodecSummary>,
    throughput: Option<&'a ThroughputSummary>,
    server_types: Option<&'a ServersSummary>,
    name_server_storages: Option<&'a NsStorageSummary>,
    async_echo: Option<&'a AsyncSummary>,
}

/// The optional sections of a run, for the JSON document.
pub struct Sections<'a> {
    /// Name server lookups.
    pub naming: Option<&'a NsSummary>,
    /// Echo over each serializer.
    pub serializers: Option<&'a SerializerSummary>,
    /// Bulk codec timings.
    pub codecs: Option<&'a CodecSummary>,
    /// Batch, oneway and streaming throughput.
    pub throughput: Option<&'a ThroughputSummary>,
    /// The server types: concurrency, connection rate, idle memory, TLS cost.
    pub servers: Option<&'a ServersSummary>,
    /// Name server lookups by storage (memory, SQLite, etcd, Pyro5's).
    pub ns_storage: Option<&'a NsStorageSummary>,
    /// Async echo against tarpc and Pyro5.
    pub asyncs: Option<&'a AsyncSummary>,
}

/// The p50 target: Rust -> Rust within this factor of the raw floor.
const P50_LIMIT: f64 = 1.3;
/// The CPU target: Rust -> Rust client + server CPU at most this fraction of Python -> Python's.
const CPU_LIMIT: f64 = 0.1;

/// All measurements with their ratios and the targets' verdicts.
pub struct Summary {
    calls: u64,
    warmup: u64,
    wire: WireSizes,
    rows: Vec<Row>,
    verdicts: Vec<Verdict>,
    above_floor: Vec<AboveFloor>,
}

impl Summary {
    /// Computes the ratios and verdicts.
    pub fn new(calls: u64, warmup: u64, wire: WireSizes, measurements: Vec<Measurement>) -> Summary {
        let find = |scenario, placement| {
            measurements.iter().find(|m: &&Measurement| m.scenario == scenario && m.placement == placement)
        };
        let ratio = |a: f64, b: f64| (b > 0.0).then(|| a / b);
        let mut rows = Vec::new();
        let mut verdicts = Vec::new();
        let mut above_floor = Vec::new();
        for m in &measurements {
            let raw = find(Scenario::Raw, m.placement);
            let python = find(Scenario::PythonToPython, m.placement);
            let p50_vs_raw = raw.and_then(|raw| ratio(m.p50_us(), raw.p50_us()));
            let cpu_vs_python = python.and_then(|py| ratio(m.total_cpu_us(), py.total_cpu_us()));
            if m.scenario == Scenario::RustToRust {
                verdicts.push(Verdict::new("p50 latency / raw TCP floor", m, raw, p50_vs_raw, P50_LIMIT));
                let target = "client+server CPU / Python -> Python";
                verdicts.push(Verdict::new(target, m, python, cpu_vs_python, CPU_LIMIT));
                if let (Some(raw), Some(python), false) = (raw, python, m.placement == Placement::Unpinned) {
                    let rust_us = m.total_cpu_us() - raw.total_cpu_us();
                    let python_us = python.total_cpu_us() - raw.total_cpu_us();
                    above_floor.push(AboveFloor {
                        placement: m.placement.name(),
                        rust_us_per_call: round2(rust_us),
                        python_us_per_call: round2(python_us),
                        ratio: ratio(rust_us, python_us).map(round3),
                    });
                }
            }
            rows.push(Row {
                scenario: m.scenario.name(),
                placement: m.placement.name(),
                calls: m.client.calls,
                calls_per_s: m.calls_per_s().round(),
                p50_us: round2(m.p50_us()),
                p99_us: round2(m.p99_us()),
                client_cpu_us_per_call: round2(m.client_cpu_us()),
                server_cpu_us_per_call: round2(m.server_cpu_us()),
                total_cpu_us_per_call: round2(m.total_cpu_us()),
                p50_vs_raw_floor: p50_vs_raw.map(round3),
                cpu_vs_python_to_python: cpu_vs_python.map(round3),
                same_cpu_share: m.same_cpu.map(round3),
            });
        }
        Summary { calls, warmup, wire, rows, verdicts, above_floor }
    }

    /// The readable table and the targets' verdicts.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\n{} sequential echo(42) calls per run over msgpack ({} B request, {} B reply), after {} warm-up calls;\n\
             CPU = all threads of the process, per call; ratios against the same placement;\n\
             same CPU = how often client and server were last seen on the same core (sampled every 10 ms).\n",
            self.calls, self.wire.request, self.wire.reply, self.warmup
        );
        let header = [
            "calls/s",
            "p50 µs",
            "p99 µs",
            "client CPU",
            "server CPU",
            "total CPU",
            "p50/raw",
            "CPU/Py-Py",
            "same CPU",
        ];
        let widths = [8, 8, 8, 10, 10, 10, 8, 9, 8];
        let _ = write!(out, "{:<17} {:<9}", "scenario", "placement");
        for (title, width) in header.iter().zip(widths) {
            let _ = write!(out, " {title:>width$}");
        }
        let _ = writeln!(out, "\n{:<54}{:>11}{:>11}{:>11}", "", "µs/call", "µs/call", "µs/call");
        let _ = writeln!(out, "{}", "-".repeat(17 + 1 + 9 + widths.iter().map(|w| w + 1).sum::<usize>()));
        for row in &self.rows {
            let _ = writeln!(
                out,
                "{:<17} {:<9} {:>8.0} {:>8.1} {:>8.1} {:>10.2} {:>10.2} {:>10.2} {:>8} {:>9} {:>8}",
                row.scenario,
                row.placement,
                row.calls_per_s,
                row.p50_us,
                row.p99_us,
                row.client_cpu_us_per_call,
                row.server_cpu_us_per_call,
                row.total_cpu_us_per_call,
                times(row.p50_vs_raw_floor),
                times(row.cpu_vs_python_to_python),
                percent(row.same_cpu_share),
            );
        }
        let _ = writeln!(out, "\nTargets for Rust -> Rust:");
        for verdict in &self.verdicts {
            let _ = writeln!(
                out,
                "  {:<37} {:<9} {:>7} (target <= {:.2}x): {}",
                verdict.target,
                verdict.placement,
                times(verdict.value),
                verdict.limit,
                match (verdict.met, &verdict.note) {
                    (true, None) => "met".to_owned(),
                    (false, None) => "NOT met".to_owned(),
                    (true, Some(note)) => format!("met ({note})"),
                    (false, Some(note)) => format!("NOT met ({note})"),
                }
            );
        }
        let _ = writeln!(
            out,
            "\nFor information, client+server CPU per call above the raw TCP floor's (controlled placements):"
        );
        for above in &self.above_floor {
            let _ = writeln!(
                out,
                "  {:<9} Rust -> Rust {:>6.2} µs, Python -> Python {:>6.2} µs: {}",
                above.placement,
                above.rust_us_per_call,
                above.python_us_per_call,
                times(above.ratio)
            );
        }
        out
    }

    /// Writes the JSON document, with the name server lookups if measured, to `path` (creating
    /// its directory).
    pub fn write_json(&self, path: &Path, sections: &Sections<'_>) -> Result<()> {
        let document = Document {
            calls: self.calls,
            warmup_calls: self.warmup,
            request_bytes: self.wire.request,
            reply_bytes: self.wire.reply,
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            results: &self.rows,
            targets: &self.verdicts,
            cpu_above_raw_floor: &self.above_floor,
            name_server_lookups: sections.naming,
            serializers: sections.serializers,
            codecs: sections.codecs,
            throughput: sections.throughput,
            server_types: sections.servers,
            name_server_storages: sections.ns_storage,
            async_echo: sections.asyncs,
        };
        let mut bytes = pyro::Serializer::Json.to_bytes(&document).map_err(|e| format!("cannot write JSON: {e}"))?;
        bytes.push(b'\n');
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "-".to_owned(), |share| format!("{:.0}%", share * 100.0))
}

fn times(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x"))
}

//! The serializer section: sequential `echo(42)` calls over each of Pyro5's four serializers,
//! both processes pinned to CPU 0, for the pairs where the serializer matters: Rust -> Rust,
//! Python -> Rust and Python -> Python (`--serializer-calls N`, 0 to skip).
//!
//! Besides latency it records the pyro server's user-mode CPU per call (`utime` of
//! `/proc/<pid>/stat`): the target is that serving a Python client over serpent costs the
//! server at most 20% more user CPU than over msgpack.

use std::fmt::Write as _;

use pyro::Serializer;
use serde::Serialize;

use crate::child::user_cpu_tick_ns;
use crate::report::ClientReport;

/// The user CPU, in clock ticks, below which the serpent verdict is flagged as coarse (`utime`
/// counts whole ticks: each run's figure is off by up to one).
const MIN_TICKS: u64 = 20;

/// Serializers in the order they run and are shown.
pub const SERIALIZERS: [Serializer; 4] =
    [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack];

/// Who calls whom in this section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Pair {
    /// Typed pyro proxy to the pyro daemon.
    RustToRust,
    /// Pyro5 proxy to the pyro daemon.
    PythonToRust,
    /// Pyro5 proxy to the Pyro5 daemon.
    PythonToPython,
}

impl Pair {
    /// Every pair, in the order they run.
    pub const ALL: [Pair; 3] = [Pair::RustToRust, Pair::PythonToRust, Pair::PythonToPython];

    /// The name in the table.
    pub fn name(self) -> &'static str {
        match self {
            Pair::RustToRust => "Rust -> Rust",
            Pair::PythonToRust => "Python -> Rust",
            Pair::PythonToPython => "Python -> Python",
        }
    }

    /// Whether the client is the Rust one.
    pub fn rust_client(self) -> bool {
        self == Pair::RustToRust
    }

    /// Whether the server is pyro's.
    pub fn rust_server(self) -> bool {
        self != Pair::PythonToPython
    }
}

/// One run: a pair over a serializer.
#[derive(Debug, Serialize)]
pub struct SerializerRun {
    /// Serializer name.
    pub serializer: &'static str,
    /// Who called whom.
    pub pair: &'static str,
    /// What the client measured.
    pub client: ClientReport,
    /// Server CPU (all threads, user + system) over the measured calls.
    pub server_cpu_ns: u64,
    /// Server user-mode CPU over the measured calls.
    pub server_user_ns: u64,
}

impl SerializerRun {
    fn per_call(&self, ns: u64) -> f64 {
        ns as f64 / self.client.calls.max(1) as f64 / 1000.0
    }
}

/// Every run of the section, with the table and the target check.
#[derive(Debug, Serialize)]
pub struct SerializerSummary {
    /// The runs, in order.
    pub runs: Vec<SerializerRun>,
}

impl SerializerSummary {
    /// The table: calls/s, p50, server CPU and user CPU per call, per serializer and pair.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "\nEcho over each serializer (pinned to CPU 0)");
        let _ = writeln!(
            out,
            "{:<8} {:<17} {:>9} {:>8} {:>12} {:>13}",
            "ser", "pair", "calls/s", "p50 µs", "server µs", "server user µs"
        );
        for run in &self.runs {
            let calls_per_s = run.client.calls as f64 / (run.client.elapsed_ns.max(1) as f64 / 1e9);
            let _ = writeln!(
                out,
                "{:<8} {:<17} {:>9.0} {:>8.1} {:>12.2} {:>13.2}",
                run.serializer,
                run.pair,
                calls_per_s,
                run.client.p50_ns as f64 / 1000.0,
                run.per_call(run.server_cpu_ns),
                run.per_call(run.server_user_ns)
            );
        }
        if let Some(((serpent, serpent_ticks), (msgpack, msgpack_ticks))) =
            self.user_cpu("serpent", Pair::PythonToRust).zip(self.user_cpu("msgpack", Pair::PythonToRust))
        {
            let ratio = serpent / msgpack.max(f64::MIN_POSITIVE);
            let mut verdict = if ratio <= 1.2 { "met" } else { "NOT met" }.to_owned();
            if serpent_ticks.min(msgpack_ticks) < MIN_TICKS {
                let _ = write!(
                    verdict,
                    "; coarse: {serpent_ticks} and {msgpack_ticks} clock ticks of user CPU, raise --serializer-calls"
                );
            }
            let _ = writeln!(
                out,
                "target: pyro server user CPU per Python call over serpent at most msgpack + 20%: \
                 {serpent:.2} vs {msgpack:.2} µs = {ratio:.2}x ({verdict})"
            );
        }
        out
    }

    /// The pyro server's user CPU per call in µs for `serializer` and `pair`, and how many
    /// clock ticks (the resolution of `utime`) the whole run measured.
    fn user_cpu(&self, serializer: &str, pair: Pair) -> Option<(f64, u64)> {
        self.runs
            .iter()
            .find(|run| run.serializer == serializer && run.pair == pair.name())
            .map(|run| (run.per_call(run.server_user_ns), run.server_user_ns / user_cpu_tick_ns()))
    }
}

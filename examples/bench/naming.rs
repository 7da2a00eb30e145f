//! Name server lookups: pyro's `pyro-ns` against Pyro5's name server, each holding the same
//! [`NAMES`] registrations, called by a Rust and by a Python client (`lookup(name)` over
//! msgpack, cycling through the names). Roles: `bench server-ns-rust`, `client-ns-rust`; the
//! Python peers are `ns_server.py` and `ns_client.py`.

use std::fmt::Write as _;

use pyro::Uri;
use pyro::naming::NameServerProxy;
use pyro_ns::NameServerBuilder;
use serde::Serialize;

use crate::Result;
use crate::report::{ClientReport, Placement};
use crate::roles::{client_args, run_client};

/// How many names every name server holds during the lookups.
pub const NAMES: usize = 1000;

/// Pyro5's name server (`python -c`; prints its URI).
pub const PYTHON_SERVER: &str = include_str!("ns_server.py");

/// The Pyro5 client (`python -c ... <uri> <lookups> <warmup> <names>`), doing what
/// `bench client-ns-rust` does.
pub const PYTHON_CLIENT: &str = concat!(include_str!("client_common.py"), include_str!("ns_client.py"));

/// Which client looks names up in which name server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NsScenario {
    /// pyro's `NameServerProxy` against `pyro-ns`.
    RustToRust,
    /// pyro's `NameServerProxy` against Pyro5's name server.
    RustToPython,
    /// A Pyro5 proxy against `pyro-ns`.
    PythonToRust,
    /// A Pyro5 proxy against Pyro5's name server.
    PythonToPython,
}

impl NsScenario {
    /// Every scenario, in the order they run and are shown.
    pub const ALL: [NsScenario; 4] =
        [NsScenario::RustToRust, NsScenario::RustToPython, NsScenario::PythonToRust, NsScenario::PythonToPython];

    /// The name in the table and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            NsScenario::RustToRust => "Rust -> pyro-ns",
            NsScenario::RustToPython => "Rust -> Pyro5 NS",
            NsScenario::PythonToRust => "Python -> pyro-ns",
            NsScenario::PythonToPython => "Python -> Pyro5 NS",
        }
    }

    /// Whether the name server is pyro's.
    pub fn rust_server(self) -> bool {
        matches!(self, NsScenario::RustToRust | NsScenario::PythonToRust)
    }

    /// Whether the client is pyro's.
    pub fn rust_client(self) -> bool {
        matches!(self, NsScenario::RustToRust | NsScenario::RustToPython)
    }

    /// The same client against the other name server.
    fn other_server(self) -> NsScenario {
        match self {
            NsScenario::RustToRust => NsScenario::RustToPython,
            NsScenario::RustToPython => NsScenario::RustToRust,
            NsScenario::PythonToRust => NsScenario::PythonToPython,
            NsScenario::PythonToPython => NsScenario::PythonToRust,
        }
    }
}

/// `server-ns-rust`: `pyro-ns` as `pyro-ns -n 127.0.0.1 -p 0 -x` runs it (in-memory storage).
pub fn server_ns_rust() -> Result<()> {
    let ns = NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).bind().map_err(|e| e.to_string())?;
    println!("{}", ns.uri());
    ns.serve().map_err(|e| e.to_string())
}

/// `client-ns-rust <uri> <lookups> <warmup> <names>`: registers the names, then looks them up
/// in turn with [`NameServerProxy::lookup`].
pub fn client_ns_rust(args: &[String]) -> Result<()> {
    let (uri, calls, warmup) = client_args(args)?;
    let count: usize =
        args.get(3).ok_or("expected <names> after <warmup>")?.parse().map_err(|e| format!("<names>: {e}"))?;
    let uri: Uri = uri.parse().map_err(|e| format!("{uri}: {e}"))?;
    let ns = NameServerProxy::new(uri);
    let names: Vec<String> = (0..count).map(|i| format!("bench.name.{i:04}")).collect();
    let objects: Vec<String> = (0..count).map(|i| format!("obj_{i:04}")).collect();
    for (name, object) in names.iter().zip(&objects) {
        let uri = Uri::pyro(object, "localhost", 4444).map_err(|e| e.to_string())?;
        ns.register(name, &uri, false, None).map_err(|e| format!("register({name}): {e}"))?;
    }
    let mut next = names.iter().zip(&objects).cycle();
    run_client(calls, warmup, || {
        let (name, object) = next.next().ok_or("no names")?;
        match ns.lookup(name) {
            Ok(found) if found.object() == object => Ok(()),
            Ok(found) => Err(format!("lookup({name}) returned {found}")),
            Err(e) => Err(format!("lookup({name}): {e}")),
        }
    })
}

/// One scenario in one placement.
#[derive(Clone, Debug)]
pub struct NsMeasurement {
    /// Who looked up where.
    pub scenario: NsScenario,
    /// Where the processes ran.
    pub placement: Placement,
    /// What the client measured.
    pub client: ClientReport,
    /// The name server process's CPU time (all threads) during the measured lookups.
    pub server_cpu_ns: u64,
}

impl NsMeasurement {
    /// Lookups per second of wall time.
    pub fn lookups_per_s(&self) -> f64 {
        self.client.calls as f64 / (self.client.elapsed_ns.max(1) as f64 / 1e9)
    }

    fn per_call_us(&self, ns: u64) -> f64 {
        ns as f64 / self.client.calls.max(1) as f64 / 1000.0
    }
}

/// A row of the JSON output.
#[derive(Serialize)]
pub struct NsRow {
    scenario: &'static str,
    placement: &'static str,
    lookups: u64,
    lookups_per_s: f64,
    p50_us: f64,
    p99_us: f64,
    client_cpu_us_per_lookup: f64,
    server_cpu_us_per_lookup: f64,
    /// Lookups/s of this client against pyro-ns over against Pyro5's name server (same placement).
    pyro_ns_vs_pyro5_ns: Option<f64>,
}

/// The name server part of the JSON document.
#[derive(Serialize)]
pub struct NsSummary {
    registered_names: usize,
    results: Vec<NsRow>,
}

impl NsSummary {
    /// Computes the ratios.
    pub fn new(measurements: &[NsMeasurement]) -> NsSummary {
        let find =
            |scenario, placement| measurements.iter().find(|m| m.scenario == scenario && m.placement == placement);
        let results = measurements
            .iter()
            .map(|m| {
                let other = find(m.scenario.other_server(), m.placement);
                let speedup = other.map(|other| {
                    let (rust, python) = if m.scenario.rust_server() { (m, other) } else { (other, m) };
                    round3(rust.lookups_per_s() / python.lookups_per_s().max(f64::MIN_POSITIVE))
                });
                NsRow {
                    scenario: m.scenario.name(),
                    placement: m.placement.name(),
                    lookups: m.client.calls,
                    lookups_per_s: m.lookups_per_s().round(),
                    p50_us: round2(m.client.p50_ns as f64 / 1000.0),
                    p99_us: round2(m.client.p99_ns as f64 / 1000.0),
                    client_cpu_us_per_lookup: round2(m.per_call_us(m.client.cpu_ns)),
                    server_cpu_us_per_lookup: round2(m.per_call_us(m.server_cpu_ns)),
                    pyro_ns_vs_pyro5_ns: speedup,
                }
            })
            .collect();
        NsSummary { registered_names: NAMES, results }
    }

    /// The readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\nName server lookups: lookup(name) over msgpack, one client, cycling through {} registered names;\n\
             pyro-ns/Pyro5 = this client's lookups/s against pyro-ns over its lookups/s against Pyro5's name server.\n",
            self.registered_names
        );
        let _ = writeln!(
            out,
            "{:<19} {:<9} {:>9} {:>8} {:>8} {:>10} {:>10} {:>13}",
            "client -> server",
            "placement",
            "lookups/s",
            "p50 µs",
            "p99 µs",
            "client CPU",
            "server CPU",
            "pyro-ns/Pyro5"
        );
        let _ = writeln!(out, "{:<57}{:>11}{:>11}", "", "µs/lookup", "µs/lookup");
        let _ = writeln!(out, "{}", "-".repeat(19 + 1 + 9 + 10 + 9 + 9 + 11 + 11 + 14));
        for row in &self.results {
            let _ = writeln!(
                out,
                "{:<19} {:<9} {:>9.0} {:>8.1} {:>8.1} {:>10.2} {:>10.2} {:>13}",
                row.scenario,
                row.placement,
                row.lookups_per_s,
                row.p50_us,
                row.p99_us,
                row.client_cpu_us_per_lookup,
                row.server_cpu_us_per_lookup,
                row.pyro_ns_vs_pyro5_ns.map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x")),
            );
        }
        out
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

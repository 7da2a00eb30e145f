//! Name server lookups by storage (`--only nsstorage`): one `pyro-ns` instance with memory,
//! SQLite and etcd storage, and Python Pyro5's name server (memory), each holding the same
//! [`NAMES`](crate::naming::NAMES) registrations, looked up by the same Rust client
//! (`lookup(name)` over msgpack, sequentially, cycling through the names), unpinned.
//!
//! The etcd storage runs on a three-member etcd cluster that this section starts on loopback
//! ports in a temporary directory (the `etcd` binary from Debian's `etcd-server`; the section is
//! skipped with a message when there is none): every lookup is a linearizable etcd read
//! through the JSON gateway, which a quorum of the cluster confirms. The storage's names are
//! registered by the client before the measurement, so SQLite and etcd writes are not timed.
//! Role: `bench server-ns-storage <storage>` (what `pyro-ns -n 127.0.0.1 -p 0 -x -s <storage>`
//! runs).

use std::fmt::Write as _;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pyro_ns::{NameServerBuilder, StorageSpec};
use serde::Serialize;

use crate::report::ClientReport;
use crate::{Result, Run, naming};

/// `server-ns-storage <storage>`: `pyro-ns` over that storage, printing its URI.
pub fn server_ns_storage(args: &[String]) -> Result<()> {
    let spec: StorageSpec = args.first().ok_or("expected <storage>")?.parse().map_err(|e| format!("{e}"))?;
    let ns = NameServerBuilder::new()
        .host("127.0.0.1")
        .port(0)
        .broadcast(false)
        .storage(spec)
        .bind()
        .map_err(|e| e.to_string())?;
    println!("{}", ns.uri());
    ns.serve().map_err(|e| e.to_string())
}

/// One storage's lookups.
#[derive(Serialize)]
pub struct StorageRow {
    storage: String,
    lookups: u64,
    lookups_per_s: f64,
    p50_us: f64,
    p99_us: f64,
    /// CPU of the name server process per lookup (etcd's own CPU not included).
    server_cpu_us_per_lookup: f64,
    /// Lookups/s over those of `pyro-ns` with memory storage.
    vs_memory: Option<f64>,
}

/// The section's JSON.
#[derive(Serialize)]
pub struct NsStorageSummary {
    registered_names: usize,
    etcd_members: usize,
    results: Vec<StorageRow>,
    /// Why etcd was not measured, if it was not.
    etcd_skipped: Option<String>,
}

impl NsStorageSummary {
    /// The readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "\nName server lookups by storage: one Rust client, lookup(name) over msgpack, {} registered names, unpinned;\n\
             etcd = a {}-member etcd cluster on loopback, linearizable reads; x memory = lookups/s over pyro-ns (memory).\n",
            self.registered_names, self.etcd_members
        );
        let _ = writeln!(
            out,
            "{:<28} {:>10} {:>9} {:>9} {:>12} {:>9}",
            "name server (storage)", "lookups/s", "p50 µs", "p99 µs", "server CPU", "x memory"
        );
        let _ = writeln!(out, "{:<61}{:>12}", "", "µs/lookup");
        let _ = writeln!(out, "{}", "-".repeat(28 + 11 + 10 + 10 + 13 + 10));
        for row in &self.results {
            let _ = writeln!(
                out,
                "{:<28} {:>10.0} {:>9.1} {:>9.1} {:>12.2} {:>9}",
                row.storage,
                row.lookups_per_s,
                row.p50_us,
                row.p99_us,
                row.server_cpu_us_per_lookup,
                row.vs_memory.map_or_else(|| "-".to_owned(), |r| format!("{r:.3}x")),
            );
        }
        if let Some(why) = &self.etcd_skipped {
            let _ = writeln!(out, "(etcd storage not measured: {why})");
        }
        out
    }
}

/// Runs the four name servers in turn.
pub fn measure(run: &Run<'_>) -> Result<NsStorageSummary> {
    let dir = std::env::temp_dir().join(format!("pyro-bench-nsstorage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let result = measure_in(run, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure_in(run: &Run<'_>, dir: &Path) -> Result<NsStorageSummary> {
    let mut servers: Vec<(String, Command)> = vec![
        ("pyro-ns (memory)".into(), run.rust_role("server-ns-storage", &["memory".into()])),
        (
            "pyro-ns (sql)".into(),
            run.rust_role("server-ns-storage", &[format!("sql:{}", dir.join("names.db").display())]),
        ),
    ];
    let cluster = match etcd_binary() {
        Some(etcd) => Some(Cluster::start(&etcd, &dir.join("etcd"))?),
        None => None,
    };
    let etcd_skipped = cluster.is_none().then(|| "no etcd binary on PATH (install Debian's etcd-server)".to_owned());
    if let Some(cluster) = &cluster {
        servers.push(("pyro-ns (etcd)".into(), run.rust_role("server-ns-storage", &[cluster.spec()])));
    }
    servers.push(("Pyro5 NS (memory)".into(), run.python.script(naming::PYTHON_SERVER, &[])));

    let mut measured: Vec<(String, ClientReport, u64)> = Vec::new();
    for (name, server) in servers {
        eprint!("bench: {name:<19} ... ");
        let sample = run.sample(&name, server, |uri| {
            let args = [
                uri.to_owned(),
                run.options.lookups.to_string(),
                crate::lookup_warmup(run.options).to_string(),
                naming::NAMES.to_string(),
            ];
            run.rust_role("client-ns-rust", &args)
        })?;
        let per_s = lookups_per_s(&sample.client);
        eprintln!("{per_s:>8.0} lookups/s, p50 {:.1} µs", sample.client.p50_ns as f64 / 1000.0);
        measured.push((name, sample.client, sample.server_cpu_ns));
    }
    drop(cluster);
    let memory = measured.first().map(|(_, client, _)| lookups_per_s(client));
    let results = measured
        .into_iter()
        .map(|(storage, client, server_cpu_ns)| {
            let per_s = lookups_per_s(&client);
            StorageRow {
                storage,
                lookups: client.calls,
                lookups_per_s: per_s.round(),
                p50_us: round2(client.p50_ns as f64 / 1000.0),
                p99_us: round2(client.p99_ns as f64 / 1000.0),
                server_cpu_us_per_lookup: round2(server_cpu_ns as f64 / client.calls.max(1) as f64 / 1000.0),
                vs_memory: memory.map(|memory| round3(per_s / memory.max(f64::MIN_POSITIVE))),
            }
        })
        .collect();
    Ok(NsStorageSummary { registered_names: naming::NAMES, etcd_members: MEMBERS, results, etcd_skipped })
}

fn lookups_per_s(client: &ClientReport) -> f64 {
    client.calls as f64 / (client.elapsed_ns.max(1) as f64 / 1e9)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Members of the benchmark's etcd cluster.
const MEMBERS: usize = 3;

fn etcd_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("etcd")).find(|candidate| candidate.is_file())
}

/// A loopback etcd cluster, killed when dropped.
struct Cluster {
    children: Vec<Child>,
    endpoints: Vec<String>,
}

impl Cluster {
    fn start(etcd: &Path, dir: &Path) -> Result<Cluster> {
        let listeners: Vec<TcpListener> = (0..2 * MEMBERS)
            .map(|_| TcpListener::bind("127.0.0.1:0"))
            .collect::<std::io::Result<_>>()
            .map_err(|e| format!("no free port: {e}"))?;
        let ports: Vec<u16> = listeners.iter().filter_map(|l| l.local_addr().ok()).map(|a| a.port()).collect();
        drop(listeners);
        let initial: Vec<String> =
            (0..MEMBERS).map(|i| format!("b{i}=http://127.0.0.1:{}", ports[2 * i + 1])).collect();
        let initial = initial.join(",");
        let mut cluster = Cluster { children: Vec::new(), endpoints: Vec::new() };
        for i in 0..MEMBERS {
            let client = format!("http://127.0.0.1:{}", ports[2 * i]);
            let peer = format!("http://127.0.0.1:{}", ports[2 * i + 1]);
            let child = Command::new(etcd)
                .args(["--name", &format!("b{i}")])
                .arg("--data-dir")
                .arg(dir.join(format!("b{i}")))
                .args(["--listen-client-urls", &client, "--advertise-client-urls", &client])
                .args(["--listen-peer-urls", &peer, "--initial-advertise-peer-urls", &peer])
                .args(["--initial-cluster", &initial, "--initial-cluster-state", "new"])
                .args(["--initial-cluster-token", &format!("pyro-bench-{}", std::process::id())])
                .args(["--logger", "zap", "--log-outputs", "stderr", "--log-level", "error"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", etcd.display()))?;
            cluster.children.push(child);
            cluster.endpoints.push(format!("127.0.0.1:{}", ports[2 * i]));
        }
        // Ready when a linearizable read succeeds (the storage's own check, with its retries).
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match pyro_ns::storage::EtcdStorage::open(cluster.spec().parse().map_err(|e| format!("{e}"))?) {
                Ok(_) => return Ok(cluster),
                Err(e) if Instant::now() > deadline => return Err(format!("the etcd cluster did not start: {e}")),
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    fn spec(&self) -> String {
        format!("etcd:{}/pyro-bench/", self.endpoints.join(","))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

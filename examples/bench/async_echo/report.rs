//! The async section's judgement (the targets of issue 12) and its table.

use std::fmt::Write as _;

use super::{AsyncSummary, FLOOR_TARGET, LoadRun, LoadServer, PYRO_ASYNC, PYRO5_TARGET, SeqPeer, Target};

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

    pub(super) fn judge(&self) -> Vec<Target> {
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

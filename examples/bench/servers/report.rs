//! The server-types section's verdicts (targets and ceilings) and its tables.

use std::fmt::Write as _;

use super::{Ceiling, IDLE_TARGET, RATE_TARGET, Server, ServersSummary, Target};

pub(super) fn ceilings(summary: &ServersSummary) -> Vec<Ceiling> {
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

pub(super) fn targets(summary: &ServersSummary) -> Vec<Target> {
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

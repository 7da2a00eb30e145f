//! `pyro-ns`: starts a name server, with the options of Pyro5's `pyro5-ns`
//! (`python -m Pyro5.nameserver`).
//!
//! ```sh
//! pyro-ns                              # localhost:9090, in-memory storage
//! pyro-ns -n 0.0.0.0 -p 9090           # every interface, with the broadcast responder on 9091/udp
//! pyro-ns -n 127.0.0.1 -p 0 -x         # any free port, no broadcast responder
//! pyro-ns -s sql:/var/lib/pyro/ns.db   # registrations kept in SQLite (Pyro5's schema)
//! pyro-ns -s etcd:10.0.0.1:2379,10.0.0.2:2379,10.0.0.3:2379   # a name space shared through etcd
//! ```
//!
//! It prints what Pyro5's name server prints (`NS running on <location> (<ip>)`,
//! `URI = PYRO:Pyro.NameServer@...`, whether the broadcast responder runs), logs as Pyro5 does
//! (with `PYRO_LOGLEVEL` set, to `PYRO_LOGFILE`, default `pyro5.log`, `{stderr}` for standard
//! error; see `pyro::logging`; without it, to standard error as `RUST_LOG` says, if set, else
//! nothing) and stops cleanly on Ctrl-C (SIGINT) or SIGTERM, printing `NS shut down.` and exiting with 0.
//! Other settings come from the `PYRO_*` environment variables, as in Pyro5.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use pyro::Config;
use pyro_ns::{BroadcastStatus, NameServerBuilder, StorageSpec};
use tracing_subscriber::EnvFilter;

/// Pyro name server command line launcher.
#[derive(Debug, Parser)]
#[command(name = "pyro-ns", version, about = "Pyro name server command line launcher (Pyro5-compatible).")]
struct Args {
    /// Hostname to bind server on (default: PYRO_HOST, localhost).
    #[arg(short = 'n', long)]
    host: Option<String>,
    /// Port to bind server on (0=random; default: PYRO_NS_PORT, 9090).
    #[arg(short, long)]
    port: Option<u16>,
    /// Unix domain socket name to bind server on.
    #[arg(short, long = "unixsocket", value_name = "UNIXSOCKET")]
    unixsocket: Option<String>,
    /// Storage system to use (memory, sql:file, etcd:host:port[,host:port...][/prefix]).
    #[arg(short, long, default_value = "memory", value_parser = parse_storage)]
    storage: StorageSpec,
    /// Hostname to bind broadcast server on (default is "").
    #[arg(long)]
    bchost: Option<String>,
    /// Port to bind broadcast server on (0=random; default: PYRO_NS_BCPORT, 9091).
    #[arg(long)]
    bcport: Option<u16>,
    /// External hostname in case of NAT.
    #[arg(long)]
    nathost: Option<String>,
    /// External port in case of NAT.
    #[arg(long)]
    natport: Option<u16>,
    /// Don't start a broadcast server.
    #[arg(short = 'x', long = "nobc")]
    nobc: bool,
}

fn parse_storage(text: &str) -> Result<StorageSpec, String> {
    text.parse().map_err(|e| format!("{e}"))
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return fail(&format!("invalid configuration: {e}")),
    };
    if let Err(message) = init_logging(&config) {
        return fail(&message);
    }
    match run(args, config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("pyro-ns: error: {message}");
    ExitCode::FAILURE
}

/// Pyro5's logging when `PYRO_LOGLEVEL` is set (to `PYRO_LOGFILE`); else, if `RUST_LOG` is
/// set, its filter on standard error; else none, as Pyro5.
fn init_logging(config: &Config) -> Result<(), String> {
    if config.log_level.is_some() {
        pyro::logging::init(config).map_err(|e| format!("cannot set up logging: {e}"))?;
    } else if let Ok(filter) = EnvFilter::try_from_default_env() {
        // Fails only if a subscriber is already set, which cannot happen in this program.
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
    }
    Ok(())
}

fn run(args: Args, config: Config) -> Result<(), String> {
    let mut builder = NameServerBuilder::new().config(config).storage(args.storage).broadcast(!args.nobc);
    if let Some(host) = args.host {
        builder = builder.host(host);
    }
    if let Some(port) = args.port {
        builder = builder.port(port);
    }
    if let Some(path) = args.unixsocket {
        builder = builder.unix_socket(path);
    }
    if let Some(host) = args.bchost {
        builder = builder.broadcast_host(host);
    }
    if let Some(port) = args.bcport {
        builder = builder.broadcast_port(port);
    }
    if let Some(host) = args.nathost {
        builder = builder.nat_host(host);
    }
    if let Some(port) = args.natport {
        builder = builder.nat_port(port);
    }
    let bound = builder.bind().map_err(|e| format!("cannot start the name server: {e}"))?;

    let stop = bound.shutdown_handle();
    ctrlc::set_handler(move || {
        tracing::info!(target: "pyro::ns", "interrupted, shutting down");
        stop.shutdown();
    })
    .map_err(|e| format!("cannot install the Ctrl-C handler: {e}"))?;

    let daemon = bound.daemon();
    let host_ip = match daemon.local_addr() {
        Some(addr) => addr.ip().to_string(),
        None => "Unix domain socket".to_owned(),
    };
    let mut out = std::io::stdout().lock();
    let mut lines = Vec::new();
    match bound.broadcast() {
        // Pyro5 says nothing when told not to broadcast; saying it is clearer.
        BroadcastStatus::Disabled => lines.push("Not starting broadcast server (--nobc).".to_owned()),
        status => lines.push(status.to_string()),
    }
    let existing = bound.name_server().count().unwrap_or(0);
    if existing > 1 {
        // As in Pyro5: more than its own registration, and the count includes it.
        lines.push(format!("Persistent store contains {existing} existing registrations."));
    }
    lines.push(format!("NS running on {} ({host_ip})", daemon.location()));
    if daemon.nat_location().is_some() {
        lines.push(format!("internal URI = {}", bound.internal_uri()));
        lines.push(format!("external URI = {}", bound.uri()));
    } else {
        lines.push(format!("URI = {}", bound.uri()));
    }
    for line in lines {
        writeln!(out, "{line}").map_err(|e| format!("cannot write to stdout: {e}"))?;
    }
    out.flush().map_err(|e| format!("cannot write to stdout: {e}"))?;
    drop(out);

    bound.serve().map_err(|e| format!("the name server failed: {e}"))?;
    // The name server is down either way; a closed stdout is not worth a failure now.
    let _ = writeln!(std::io::stdout(), "NS shut down.");
    Ok(())
}

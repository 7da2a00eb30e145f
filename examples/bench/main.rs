//! Call-latency and CPU benchmark: pyro against a raw TCP floor and against Python Pyro5 5.17.
//!
//! ```sh
//! cargo run --release --example bench                       # the whole run, a minute or two
//! cargo run --release --example bench -- --calls 50000 --json /tmp/bench.json
//! ```
//!
//! One run measures, each with client and server in separate processes, sequential
//! `echo(42)` calls over msgpack:
//!
//! - `raw TCP floor`: a blocking TCP ping-pong of byte strings as long as a real `echo(42)`
//!   INVOKE and its RESULT (the least any request/reply over loopback can cost);
//! - `Rust -> Rust`: a typed `EchoProxy` calling a `#[pyro::expose]` object in a pyro daemon;
//! - `Python -> Python`: a Pyro5 proxy calling a Pyro5 daemon (thread server);
//! - `Python -> Rust`: a Pyro5 proxy calling the pyro daemon;
//! - `Rust -> Python`: the typed proxy calling the Pyro5 daemon;
//!
//! each in three placements: both processes pinned to CPU 0 (`taskset -c 0`, no cross-core
//! wake-ups), split (client on CPU 0, server on CPU 1: every call wakes the other core) and
//! unpinned (wherever the scheduler puts them; it often keeps a ping-pong pair together). For every
//! run it reports calls/s, p50 and p99 latency, the CPU time per call of each process (all its
//! threads, from `/proc/<pid>/task/*/schedstat`), the p50 relative to the raw floor in the same
//! placement and the CPU relative to Python -> Python. It prints a table, checks the targets
//! (Rust -> Rust p50 within 1.3x of the floor; Rust client + server CPU at most a tenth of
//! Pyro5's) and writes everything as JSON (default `target/bench.json`).
//!
//! It also measures name server lookups (`--lookups N` per run, 0 to skip): sequential
//! `lookup(name)` calls from one client, cycling through 1000 registered names, against pyro's
//! `pyro-ns` and against Pyro5's name server, from a Rust and from a Python client, in the same
//! placements (see [`naming`]).
//!
//! Then it measures the serializers: echo calls over each of serpent, marshal, json and msgpack
//! (`--serializer-calls N` per run, 0 to skip; see [`serializers`]) and bulk encoding and
//! decoding with each codec, pyro's against Pyro5's (`--codec-rounds N`, 0 to skip; see
//! [`codecs`]).
//!
//! Finally it measures throughput (see [`throughput`]): batches of 1,000 echo calls
//! (`--batches N`), oneway calls processed by the server (`--oneway-calls N`) and items
//! streamed from a remote iterator (`--stream-items N`), Rust -> Rust, Python -> Python and
//! Python -> Rust, pinned; 0 skips any of them.
//!
//! Then the server types (see [`servers`]): 32 concurrent clients' aggregate calls per second
//! (`--clients N`, `--concurrent-secs S`), connections per second with the handshake and a first
//! call (`--connections N`, `--connect-clients N`; an event-driven client on `--client-threads N`
//! threads, default 1, or with 0 a thread per client), memory per idle connection
//! (`--idle N` for the multiplexed servers, `--idle-thread N` for the thread servers) and the
//! cost of TLS per call (`--tls-calls N`), pyro's thread-pool and multiplexed daemons (and the
//! multiplexed loop running calls inline) against Pyro5's `thread` and `multiplex` servers,
//! every client pyro's; 0 skips any of them.
//!
//! Then name server lookups by storage (see [`nsstorage`]): one `pyro-ns` with memory, SQLite
//! and etcd storage (on a three-member etcd cluster it starts, if `etcd` is installed) and
//! Pyro5's name server, the same Rust client, `--lookups N` each. `--only servers` (or any
//! comma-separated list of `echo`, `naming`, `serializers`, `codecs`, `throughput`, `servers`,
//! `nsstorage`, `async`) runs only the sections named:
//!
//! ```sh
//! cargo run --release --example bench -- --only servers --idle 10000 --clients 32
//! ```
//!
//! Last, the async section (see [`async_echo`], `--only async`): sequential echo calls from async
//! clients on tokio (`--calls`, `--warmup`, in every placement) and 32 and 256 concurrent clients
//! (`--async-clients 32,256`, `--async-secs S`, 0 skips), pyro's `pyro::aio` beside the raw TCP
//! floor (blocking and on tokio), tarpc (bincode) and Pyro5's `thread` and `multiplex` servers.
//!
//! The same binary plays every Rust role (`bench server-rust`, `bench client-raw <addr> ...`);
//! the Python roles are `echo_server.py`, `echo_client.py`, `ns_server.py`, `ns_client.py` and
//! `throughput_client.py` next to this file, run by the interop crate's Pyro5 5.17 virtualenv.

mod async_echo;
mod child;
mod codecs;
mod echo;
mod floor;
mod load;
mod naming;
mod nsstorage;
mod report;
mod roles;
mod serializers;
mod servers;
mod throughput;

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use child::{
    Proc, Python, busiest_thread, last_cpu, process_cpu_ns, process_stat_cpu_ns, process_user_cpu_ns, taskset_available,
};
use naming::{NsMeasurement, NsScenario, NsSummary};
use report::{ClientReport, Measurement, Placement, Scenario, Side};
use serializers::{Pair, SerializerRun, SerializerSummary};

/// What a run is told on the command line.
#[derive(Debug)]
struct Options {
    calls: u64,
    warmup: u64,
    lookups: u64,
    serializer_calls: u64,
    codec_rounds: u32,
    throughput: throughput::Sizes,
    servers: servers::Sizes,
    asyncs: async_echo::Sizes,
    /// The sections to run (`--only`); all when empty.
    only: Vec<Section>,
    json: PathBuf,
}

/// The sections of a run, for `--only`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Echo,
    Naming,
    Serializers,
    Codecs,
    Throughput,
    Servers,
    NsStorage,
    Async,
}

impl Section {
    const ALL: [Section; 8] = [
        Section::Echo,
        Section::Naming,
        Section::Serializers,
        Section::Codecs,
        Section::Throughput,
        Section::Servers,
        Section::NsStorage,
        Section::Async,
    ];

    fn name(self) -> &'static str {
        match self {
            Section::Echo => "echo",
            Section::Naming => "naming",
            Section::Serializers => "serializers",
            Section::Codecs => "codecs",
            Section::Throughput => "throughput",
            Section::Servers => "servers",
            Section::NsStorage => "nsstorage",
            Section::Async => "async",
        }
    }
}

impl Options {
    /// Whether `section` runs (`--only` names it, or there is no `--only`).
    fn runs(&self, section: Section) -> bool {
        self.only.is_empty() || self.only.contains(&section)
    }
}

const USAGE: &str = "usage: cargo run --release --example bench [-- --calls N] [--warmup N] [--lookups N] [--serializer-calls N] \
     [--codec-rounds N] [--batches N] [--oneway-calls N] [--stream-items N] [--clients N] [--concurrent-secs S] \
     [--connections N] [--connect-clients N] [--client-threads N] [--idle N] [--idle-thread N] [--tls-calls N] \
     [--async-clients N,N] [--async-secs S] [--only echo,naming,serializers,codecs,throughput,servers,nsstorage,async] \
     [--json PATH]\n\
     A size of 0 skips its measurement; --only runs the sections named (all by default).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (role, rest) = args.split_first().map_or(("", &[][..]), |(first, rest)| (first.as_str(), rest));
    let result = match role {
        "server-raw" => roles::server_raw(rest),
        "client-raw" => roles::client_raw(rest),
        "server-rust" => roles::server_rust(rest),
        "server-floor" => floor::server_floor(rest),
        "client-rust" => roles::client_rust(rest),
        "server-ns-rust" => naming::server_ns_rust(),
        "server-ns-storage" => nsstorage::server_ns_storage(rest),
        "client-ns-rust" => naming::client_ns_rust(rest),
        "client-throughput-rust" => throughput::client_rust(rest),
        "client-load-rust" => servers::client_load_rust(rest),
        "client-idle" => servers::client_idle(rest),
        "server-raw-tokio" => async_echo::server_raw_tokio(rest),
        "client-raw-tokio" => async_echo::client_raw_tokio(rest),
        "server-tarpc" => async_echo::server_tarpc(rest),
        "client-tarpc" => async_echo::client_tarpc(rest),
        "server-pyro-async" => async_echo::server_pyro_async(rest),
        "client-pyro-async" => async_echo::client_pyro_async(rest),
        _ => parse_options(&args).and_then(|options| orchestrate(&options)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Errors are plain text with context: this is a program, not a library.
type Result<T, E = String> = std::result::Result<T, E>;

fn parse_options(args: &[String]) -> Result<Options> {
    let default_json = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("bench.json");
    let mut options = Options {
        calls: 20_000,
        warmup: 2_000,
        lookups: 10_000,
        serializer_calls: 30_000,
        codec_rounds: 3,
        throughput: throughput::Sizes {
            // Long enough for the Rust -> Rust run to span more than a few time slices of a
            // shared machine.
            batch_calls: 200 * throughput::BATCH_SIZE,
            oneway_calls: 20_000,
            stream_items: 20_000,
        },
        servers: servers::Sizes {
            clients: 32,
            concurrent_secs: 3,
            connections: 4000,
            connect_clients: 8,
            client_threads: 1,
            idle: 10_000,
            idle_thread: 1000,
            tls_calls: 10_000,
        },
        asyncs: async_echo::Sizes { clients: vec![32, 256], secs: 3 },
        only: Vec::new(),
        json: default_json,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--calls" => options.calls = parse_count(value()?, arg)?,
            "--warmup" => options.warmup = parse_count(value()?, arg)?,
            "--lookups" => options.lookups = parse_count(value()?, arg)?,
            "--serializer-calls" => options.serializer_calls = parse_count(value()?, arg)?,
            "--codec-rounds" => {
                options.codec_rounds = u32::try_from(parse_count(value()?, arg)?).map_err(|e| format!("{arg}: {e}"))?;
            }
            "--batches" => {
                let batches = parse_count(value()?, arg)?;
                options.throughput.batch_calls =
                    batches.checked_mul(throughput::BATCH_SIZE).ok_or_else(|| format!("{arg}: too many"))?;
            }
            "--oneway-calls" => options.throughput.oneway_calls = parse_count(value()?, arg)?,
            "--stream-items" => {
                let items = parse_count(value()?, arg)?;
                if items > u64::from(u32::MAX) {
                    return Err(format!("{arg}: at most {} items in one stream", u32::MAX));
                }
                options.throughput.stream_items = items;
            }
            "--clients" => options.servers.clients = parse_count(value()?, arg)?.max(1),
            "--concurrent-secs" => options.servers.concurrent_secs = parse_count(value()?, arg)?,
            "--connections" => options.servers.connections = parse_count(value()?, arg)?,
            "--connect-clients" => options.servers.connect_clients = parse_count(value()?, arg)?.max(1),
            "--client-threads" => options.servers.client_threads = parse_count(value()?, arg)?,
            "--idle" => options.servers.idle = parse_count(value()?, arg)?,
            "--idle-thread" => options.servers.idle_thread = parse_count(value()?, arg)?,
            "--tls-calls" => options.servers.tls_calls = parse_count(value()?, arg)?,
            "--async-clients" => {
                options.asyncs.clients = value()?
                    .split(',')
                    .filter(|n| !n.is_empty())
                    .map(|n| parse_count(n, arg).map(|n| n.max(1)))
                    .collect::<Result<_>>()?;
            }
            "--async-secs" => options.asyncs.secs = parse_count(value()?, arg)?,
            "--only" => {
                for name in value()?.split(',').filter(|name| !name.is_empty()) {
                    let section = Section::ALL
                        .into_iter()
                        .find(|s| s.name() == name)
                        .ok_or_else(|| format!("--only: unknown section {name:?}\n{USAGE}"))?;
                    options.only.push(section);
                }
            }
            "--json" => options.json = PathBuf::from(value()?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if options.calls < 100 {
        return Err("--calls must be at least 100 (for a meaningful p99)".to_owned());
    }
    if (1..100).contains(&options.serializer_calls) {
        return Err("--serializer-calls must be 0 (skip) or at least 100 (for a meaningful p99)".to_owned());
    }
    if (1..100).contains(&options.servers.tls_calls) {
        return Err("--tls-calls must be 0 (skip) or at least 100 (for a meaningful p99)".to_owned());
    }
    if (1..100).contains(&options.lookups) {
        return Err("--lookups must be 0 (skip) or at least 100 (for a meaningful p99)".to_owned());
    }
    Ok(options)
}

fn parse_count(text: &str, arg: &str) -> Result<u64> {
    text.parse().map_err(|e| format!("{arg} {text:?}: {e}"))
}

/// Runs every scenario in every placement, prints the table and writes the JSON.
fn orchestrate(options: &Options) -> Result<()> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find this program's path: {e}"))?;
    if cfg!(debug_assertions) {
        eprintln!("bench: warning: a debug build; run with --release for meaningful numbers");
    }
    let wire = echo::wire_sizes()?;
    let python = Python::find()?;
    let mut placements = Vec::new();
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    match taskset_available() {
        Ok(()) if cpus >= 2 => placements.extend([Placement::Pinned, Placement::Split]),
        Ok(()) => {
            eprintln!("bench: one CPU only: measuring pinned and unpinned, not split");
            placements.push(Placement::Pinned);
        }
        Err(why) => eprintln!("bench: {why}; measuring unpinned only"),
    }
    placements.push(Placement::Unpinned);
    eprintln!(
        "bench: {} calls (after {} warm-up calls) per run; echo(42) is {} bytes out, {} bytes back",
        options.calls, options.warmup, wire.request, wire.reply
    );

    let mut measurements = Vec::new();
    let echo_placements = if options.runs(Section::Echo) { &placements[..] } else { &[][..] };
    for &placement in echo_placements {
        for scenario in Scenario::ALL {
            let run = Run { exe: &exe, python: &python, placement, options, wire };
            eprint!("bench: {:<17} {:<9} ... ", scenario.name(), placement.name());
            let measurement = run.measure(scenario)?;
            eprintln!("{:>8.0} calls/s, p50 {:.1} µs", measurement.calls_per_s(), measurement.p50_us());
            measurements.push(measurement);
        }
    }
    let mut lookups = Vec::new();
    if options.lookups > 0 && options.runs(Section::Naming) {
        eprintln!(
            "bench: name server lookups: {} per run (after {} warm-up lookups), {} registered names",
            options.lookups,
            lookup_warmup(options),
            naming::NAMES
        );
        for &placement in &placements {
            for scenario in NsScenario::ALL {
                let run = Run { exe: &exe, python: &python, placement, options, wire };
                eprint!("bench: {:<19} {:<9} ... ", scenario.name(), placement.name());
                let measurement = run.measure_lookups(scenario)?;
                eprintln!("{:>8.0} lookups/s", measurement.lookups_per_s());
                lookups.push(measurement);
            }
        }
    }
    let serializers =
        (options.serializer_calls > 0 && placements.contains(&Placement::Pinned) && options.runs(Section::Serializers))
            .then(|| measure_serializers(&exe, &python, options, wire))
            .transpose()?;
    let codecs = (options.codec_rounds > 0 && options.runs(Section::Codecs))
        .then(|| codecs::measure(&python, options.codec_rounds))
        .transpose()?;
    let throughput = (!options.throughput.is_empty() && options.runs(Section::Throughput))
        .then(|| {
            // Pinned like the serializer section when taskset works.
            let placement =
                if placements.contains(&Placement::Pinned) { Placement::Pinned } else { Placement::Unpinned };
            let run = Run { exe: &exe, python: &python, placement, options, wire };
            throughput::measure(&run, options.throughput)
        })
        .transpose()?;
    let servers = (!options.servers.is_empty() && options.runs(Section::Servers))
        .then(|| {
            raise_nofile(options.servers.idle.max(options.servers.idle_thread) + 200);
            let run = Run { exe: &exe, python: &python, placement: Placement::Unpinned, options, wire };
            servers::measure(&run, options.servers)
        })
        .transpose()?;
    let ns_storage = (options.lookups > 0 && options.runs(Section::NsStorage))
        .then(|| {
            eprintln!(
                "bench: name server lookups by storage: {} per run, {} registered names",
                options.lookups,
                naming::NAMES
            );
            let run = Run { exe: &exe, python: &python, placement: Placement::Unpinned, options, wire };
            nsstorage::measure(&run)
        })
        .transpose()?;
    let asyncs = options
        .runs(Section::Async)
        .then(|| {
            raise_nofile(options.asyncs.clients.iter().copied().max().unwrap_or_default() * 2 + 200);
            let run = Run { exe: &exe, python: &python, placement: Placement::Unpinned, options, wire };
            async_echo::measure(&run, &placements, &options.asyncs)
        })
        .transpose()?;
    let echo_measured = !measurements.is_empty();
    let summary = report::Summary::new(options.calls, options.warmup, wire, measurements);
    if echo_measured {
        print!("{}", summary.table());
    }
    let naming = (!lookups.is_empty()).then(|| NsSummary::new(&lookups));
    if let Some(naming) = &naming {
        print!("{}", naming.table());
    }
    if let Some(serializers) = &serializers {
        print!("{}", serializers.table());
    }
    if let Some(codecs) = &codecs {
        print!("{}", codecs.table());
    }
    if let Some(throughput) = &throughput {
        print!("{}", throughput.table());
    }
    if let Some(servers) = &servers {
        print!("{}", servers.table());
    }
    if let Some(ns_storage) = &ns_storage {
        print!("{}", ns_storage.table());
    }
    if let Some(asyncs) = &asyncs {
        print!("{}", asyncs.table());
    }
    let sections = report::Sections {
        naming: naming.as_ref(),
        serializers: serializers.as_ref(),
        codecs: codecs.as_ref(),
        throughput: throughput.as_ref(),
        servers: servers.as_ref(),
        ns_storage: ns_storage.as_ref(),
        asyncs: asyncs.as_ref(),
    };
    summary.write_json(&options.json, &sections)?;
    println!("\nJSON written to {}", options.json.display());
    Ok(())
}

/// The serializer section: every pair over every serializer, pinned.
fn measure_serializers(
    exe: &std::path::Path,
    python: &Python,
    options: &Options,
    wire: WireSizes,
) -> Result<SerializerSummary> {
    eprintln!("bench: echo over each serializer: {} calls per run, pinned", options.serializer_calls);
    let mut runs = Vec::new();
    for serializer in serializers::SERIALIZERS {
        for pair in Pair::ALL {
            let run = Run { exe, python, placement: Placement::Pinned, options, wire };
            let name = format!("{} {}", serializer.name(), pair.name());
            eprint!("bench: {name:<25} ... ");
            let server = if pair.rust_server() {
                run.rust_role("server-rust", &[])
            } else {
                run.python.script(echo::PYTHON_SERVER, &[])
            };
            let server = run.placement.apply(server, Side::Server);
            let calls = options.serializer_calls.to_string();
            let warmup = (options.serializer_calls / 10).max(100).to_string();
            let sample = run.sample(&name, server, |uri| {
                let args = [uri.to_owned(), calls, warmup, serializer.name().to_owned()];
                let mut client = if pair.rust_client() {
                    run.rust_role("client-rust", &args)
                } else {
                    run.python.script(echo::PYTHON_CLIENT, &args[..3])
                };
                client.env("BENCH_SERIALIZER", serializer.name());
                run.placement.apply(client, Side::Client)
            })?;
            eprintln!(
                "{:>8.0} calls/s, p50 {:.1} µs",
                sample.client.calls as f64 / (sample.client.elapsed_ns.max(1) as f64 / 1e9),
                sample.client.p50_ns as f64 / 1000.0
            );
            runs.push(SerializerRun {
                serializer: serializer.name(),
                pair: pair.name(),
                client: sample.client,
                server_cpu_ns: sample.server_cpu_ns,
                server_user_ns: sample.server_user_ns,
            });
        }
    }
    Ok(SerializerSummary { runs })
}

/// Raises this process's soft `RLIMIT_NOFILE` (inherited by the servers and clients it starts)
/// to the hard limit when fewer than `needed` files may be open, with util-linux's `prlimit`
/// (the workspace forbids the unsafe `setrlimit` call); says so when it cannot.
fn raise_nofile(needed: u64) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let Some(line) = limits.lines().find(|line| line.starts_with("Max open files")) else { return };
    let mut fields = line.trim_start_matches("Max open files").split_whitespace();
    let (soft, hard) = (fields.next().and_then(|f| f.parse::<u64>().ok()), fields.next());
    let Some(soft) = soft.filter(|&soft| soft < needed) else { return };
    let hard = hard.unwrap_or("unlimited");
    let raised = Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={hard}:{hard}"))
        .status()
        .is_ok_and(|status| status.success());
    if !raised || hard.parse::<u64>().is_ok_and(|hard| hard < needed) {
        eprintln!(
            "bench: warning: RLIMIT_NOFILE is {soft} (hard {hard}), {needed} are needed for the idle connections"
        );
    }
}

/// Warm-up lookups before each measured name server run.
fn lookup_warmup(options: &Options) -> u64 {
    (options.lookups / 10).max(100)
}

/// Sizes of one `echo(42)` exchange on the wire, as the pyro daemon really sends them.
#[derive(Clone, Copy, Debug)]
pub struct WireSizes {
    /// The INVOKE message, header included.
    pub request: usize,
    /// The RESULT message, header and annotations included.
    pub reply: usize,
}

/// One placement's settings for starting the processes of a scenario.
#[derive(Clone, Copy)]
struct Run<'a> {
    exe: &'a std::path::Path,
    python: &'a Python,
    placement: Placement,
    options: &'a Options,
    wire: WireSizes,
}

/// How long a process may take to start and say where it listens, or to finish its warm-up.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How often the CPUs the client and server threads run on are sampled during a run.
const SAMPLE_EVERY: Duration = Duration::from_millis(10);

/// What one run of a client against a server measured.
struct Sample {
    client: ClientReport,
    server_cpu_ns: u64,
    server_user_ns: u64,
    /// Server user + system CPU from `/proc/<pid>/stat`, exited threads included (coarse).
    server_stat_ns: u64,
    same_cpu: Option<f64>,
}

impl Run<'_> {
    fn measure(&self, scenario: Scenario) -> Result<Measurement> {
        let server = self.server_command(scenario);
        let sample = self.sample(scenario.name(), server, |address| self.client_command(scenario, address))?;
        Ok(Measurement {
            scenario,
            placement: self.placement,
            client: sample.client,
            server_cpu_ns: sample.server_cpu_ns,
            same_cpu: sample.same_cpu,
        })
    }

    fn measure_lookups(&self, scenario: NsScenario) -> Result<NsMeasurement> {
        let server = if scenario.rust_server() {
            self.rust_role("server-ns-rust", &[])
        } else {
            self.python.script(naming::PYTHON_SERVER, &[])
        };
        let server = self.placement.apply(server, Side::Server);
        let sample = self.sample(scenario.name(), server, |uri| {
            let args = [
                uri.to_owned(),
                self.options.lookups.to_string(),
                lookup_warmup(self.options).to_string(),
                naming::NAMES.to_string(),
            ];
            let client = if scenario.rust_client() {
                self.rust_role("client-ns-rust", &args)
            } else {
                self.python.script(naming::PYTHON_CLIENT, &args)
            };
            self.placement.apply(client, Side::Client)
        })?;
        Ok(NsMeasurement {
            scenario,
            placement: self.placement,
            client: sample.client,
            server_cpu_ns: sample.server_cpu_ns,
        })
    }

    /// Starts `server`, then the client `client(<what the server printed>)`; after the
    /// client's warm-up, lets it make the measured calls while sampling where both run.
    fn sample(&self, name: &str, server: Command, client: impl FnOnce(&str) -> Command) -> Result<Sample> {
        let mut server = Proc::spawn(&format!("{name} server"), server)?;
        let address = server.read_line(START_TIMEOUT)?;
        let mut client = Proc::spawn(&format!("{name} client"), client(address.trim()))?;
        let ready = client.read_line(START_TIMEOUT)?;
        if ready.trim() != "READY" {
            return Err(format!("{}: expected READY, got {ready:?}", client.name()));
        }
        let (client_pid, server_pid) = (client.pid(), server.pid());
        let threads = (busiest_thread(client_pid)?, busiest_thread(server_pid)?);
        let (mut samples, mut together) = (0u32, 0u32);
        let server_before = process_cpu_ns(server_pid)?;
        let server_user_before = process_user_cpu_ns(server_pid)?;
        let server_stat_before = process_stat_cpu_ns(server_pid)?;
        client.write_line("GO")?;
        // At most ~1 ms per call (or streamed item) even for a slow machine, plus slack.
        let options = self.options;
        let work = [
            options.calls,
            options.lookups,
            options.serializer_calls,
            options.throughput.largest(),
            options.servers.largest(),
            options.asyncs.largest(),
        ];
        let limit = START_TIMEOUT + Duration::from_millis(work.into_iter().max().unwrap_or_default());
        let line = client.read_line_ticking(limit, SAMPLE_EVERY, || {
            if let (Some(a), Some(b)) = (last_cpu(client_pid, threads.0), last_cpu(server_pid, threads.1)) {
                samples += 1;
                together += u32::from(a == b);
            }
        })?;
        let server_after = process_cpu_ns(server_pid)?;
        let server_user_after = process_user_cpu_ns(server_pid)?;
        let server_stat_after = process_stat_cpu_ns(server_pid)?;
        let report = ClientReport::parse(&line).map_err(|e| format!("{}: {e} in {line:?}", client.name()))?;
        client.finish(Duration::from_secs(10))?;
        server.check_not_failed()?;
        drop(server); // killed
        Ok(Sample {
            client: report,
            server_cpu_ns: server_after.saturating_sub(server_before),
            server_user_ns: server_user_after.saturating_sub(server_user_before),
            server_stat_ns: server_stat_after.saturating_sub(server_stat_before),
            same_cpu: (samples > 0).then(|| f64::from(together) / f64::from(samples)),
        })
    }

    fn server_command(&self, scenario: Scenario) -> Command {
        let command = match scenario {
            Scenario::Raw => {
                self.rust_role("server-raw", &[self.wire.request.to_string(), self.wire.reply.to_string()])
            }
            Scenario::RustToRust | Scenario::PythonToRust => self.rust_role("server-rust", &[]),
            Scenario::PythonToPython | Scenario::RustToPython => self.python.script(echo::PYTHON_SERVER, &[]),
        };
        self.placement.apply(command, Side::Server)
    }

    fn client_command(&self, scenario: Scenario, address: &str) -> Command {
        let (calls, warmup) = (self.options.calls.to_string(), self.options.warmup.to_string());
        let mut args = vec![address.to_owned(), calls, warmup];
        let command = match scenario {
            Scenario::Raw => {
                args.extend([self.wire.request.to_string(), self.wire.reply.to_string()]);
                self.rust_role("client-raw", &args)
            }
            Scenario::RustToRust | Scenario::RustToPython => self.rust_role("client-rust", &args),
            Scenario::PythonToPython | Scenario::PythonToRust => self.python.script(echo::PYTHON_CLIENT, &args),
        };
        self.placement.apply(command, Side::Client)
    }

    fn rust_role(&self, role: &str, args: &[String]) -> Command {
        let mut command = Command::new(self.exe);
        command.arg(role).args(args);
        command
    }
}

//! The warehouse server of Pyro5's tutorial (phase 3): serves one [`Warehouse`] for everyone
//! (the class registered with instance mode "single", as Python's
//! `@behavior(instance_mode="single")`) and registers it in the name server as
//! `example.warehouse`.
//!
//! ```sh
//! cargo run -p pyro5-ns --bin pyro-ns            # a name server (or Python's: pyro5-ns)
//! cargo run --example warehouse_server          # finds it with locate_ns, registers, serves
//! cargo run --example warehouse_visit -- Janet --store umbrella --take bike
//! ```
//!
//! Options: `--host HOST` (where the daemon listens; default `PYRO_HOST`, localhost) and
//! `--port PORT` (default 0: any free port). The name server is found as Pyro5 finds it
//! (`PYRO_NS_HOST`, `PYRO_NS_PORT`, else by broadcast). Python's `phase3/visit.py` visits it
//! unchanged (with `PYRO_SERIALIZER=msgpack` or `json`).

mod warehouse;

use std::process::ExitCode;

use pyro::daemon::InstanceMode;
use pyro::naming::locate_ns_with_config;
use pyro::{Config, Daemon};
use warehouse::{NAME, Stock, Warehouse};

const USAGE: &str = "usage: warehouse_server [--host HOST] [--port PORT]";

fn main() -> ExitCode {
    let result = parse(std::env::args().skip(1)).and_then(|(host, port)| run(host, port).map_err(|e| e.to_string()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("warehouse_server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<(Option<String>, u16), String> {
    let (mut host, mut port) = (None, 0);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value\n{USAGE}"));
        match arg.as_str() {
            "--host" => host = Some(value()?),
            "--port" => port = value()?.parse().map_err(|e| format!("invalid port: {e}"))?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok((host, port))
}

fn run(host: Option<String>, port: u16) -> pyro::Result<()> {
    // PYRO_* environment variables apply, as in Pyro5.
    let config = Config::from_env()?;
    let ns = locate_ns_with_config(None, None, &config)?;
    let mut daemon = Daemon::builder().config(config.clone()).port(port);
    if let Some(host) = host {
        daemon = daemon.host(host);
    }
    let daemon = daemon.bind()?;
    // No object id: the daemon makes one up; visitors find it by its name.
    let uri = daemon.register_class_as::<dyn Warehouse, _>(InstanceMode::Single, |_| Stock::default(), None)?;
    println!("Object Warehouse:\n    uri = {uri}");
    ns.register(NAME, &uri, false, None)?;
    println!("    name = {NAME}");
    println!("Pyro daemon running.");
    daemon.request_loop()
}

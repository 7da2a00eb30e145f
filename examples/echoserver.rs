//! A Rust twin of Pyro5's echo server (`pyro5-echoserver`): serves `test.echoserver` and prints
//! `echo uri: PYRO:test.echoserver@HOST:PORT`, so clients written for Pyro5's echo server work
//! against it unchanged.
//!
//! ```sh
//! cargo run --example echoserver -- -H 127.0.0.1 -p 0
//! ```

use pyro::Daemon;
use pyro::utils::echoserver::{EchoServer, OBJECT_ID};

const USAGE: &str = "usage: echoserver [-H HOST] [-p PORT] [-u UNIXSOCKET] [-n] [-N] [-v] [-q]

Pyro's test echo server (Rust).
  -H, --host HOST          hostname to bind server on (default=localhost)
  -p, --port PORT          port to bind server on (default=0: any free port)
  -u, --unixsocket PATH    Unix domain socket name to bind server on
  -n, --naming             register with nameserver
  -N, --nameserver         also start a nameserver
  -v, --verbose            verbose output
  -q, --quiet              don't output anything";

struct Options {
    host: String,
    port: u16,
    unix_socket: Option<String>,
    naming: bool,
    nameserver: bool,
    verbose: bool,
    quiet: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        host: "localhost".into(),
        port: 0,
        unix_socket: None,
        naming: false,
        nameserver: false,
        verbose: false,
        quiet: false,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-H" | "--host" => options.host = value(&arg)?,
            "-p" | "--port" => options.port = value(&arg)?.parse().map_err(|e| format!("invalid port: {e}"))?,
            "-u" | "--unixsocket" => options.unix_socket = Some(value(&arg)?),
            "-v" | "--verbose" => options.verbose = true,
            "-q" | "--quiet" => options.quiet = true,
            "-n" | "--naming" => options.naming = true,
            "-N" | "--nameserver" => options.nameserver = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if options.verbose {
        options.quiet = false;
    }
    // As Pyro5's: a name server of its own is also the one to register with.
    options.naming |= options.nameserver;
    Ok(options)
}

fn main() {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&options) {
        eprintln!("echoserver: {e}");
        std::process::exit(1);
    }
}

fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    if !options.quiet {
        println!("Starting Pyro's built-in test echo server.");
    }
    // -N: a name server in this process, on the same host (port NS_PORT, 9090 by default).
    let name_server = match options.nameserver {
        true => {
            Some(pyro_ns::NameServerBuilder::new().config(pyro::Config::environment()?).host(&options.host).start()?)
        }
        false => None,
    };
    let daemon = match &options.unix_socket {
        Some(path) => Daemon::bind_unix(path)?,
        None => Daemon::bind(&options.host, options.port)?,
    };
    let uri = daemon.register(EchoServer::new(options.verbose, Some(daemon.shutdown_handle())), Some(OBJECT_ID))?;
    if options.naming {
        let ns_uri = name_server.as_ref().map(|ns| ns.uri());
        let ns = pyro::locate_ns(ns_uri.and_then(|u| u.host()), ns_uri.and_then(|u| u.port()))?;
        ns.register(OBJECT_ID, &uri, false, None)?;
        if options.verbose {
            println!("using name server at {}", ns.uri());
        }
    } else if options.verbose {
        println!("not using a name server.");
    }
    if !options.quiet {
        println!("object name: {OBJECT_ID}");
        println!("echo uri: {uri}");
        println!("echoserver running.");
    }
    daemon.request_loop()?;
    drop(name_server);
    Ok(())
}

//! `pyro-httpgateway`: Pyro5's `pyro5-httpgateway` command, with the same options.
//!
//! ```text
//! pyro-httpgateway [-H HOST] [-p PORT] [-c CORS] [-e EXPOSE] [-g GATEWAYKEY] [-t TIMEOUT]
//! ```
//!
//! The `PYRO_*` environment variables are honoured (e.g. `PYRO_NS_HOST`, `PYRO_NS_PORT`,
//! `PYRO_COMMTIMEOUT`, which `-t` overrides); `RUST_LOG` sets the log filter (default `info`).
//! Ctrl-C or SIGTERM stops it after the requests in progress finished.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use pyro_httpgateway::{DEFAULT_EXPOSE, Gateway, GatewaySettings};

/// Pyro HTTP gateway: call Pyro objects with HTTP and JSON.
#[derive(Debug, Parser)]
#[command(name = "pyro-httpgateway", version, about)]
struct Options {
    /// Hostname to bind the server on.
    #[arg(short = 'H', long, default_value = "localhost")]
    host: String,
    /// Port to bind the server on.
    #[arg(short, long, default_value_t = 8080)]
    port: u16,
    /// Allowed cross-origin domain or URL (Access-Control-Allow-Origin).
    #[arg(short, long, default_value = "*")]
    cors: String,
    /// A regex of object names to expose (matched at the start; empty: all).
    #[arg(short, long, default_value = DEFAULT_EXPOSE)]
    expose: String,
    /// The API key clients must send to use the gateway.
    #[arg(short, long = "gatewaykey")]
    gatewaykey: Option<String>,
    /// Pyro timeout in seconds for backend calls (the COMMTIMEOUT setting; 0: none).
    #[arg(short, long)]
    timeout: Option<f64>,
}

fn main() -> ExitCode {
    let options = Options::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pyro-httpgateway: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: Options) -> Result<(), Box<dyn std::error::Error>> {
    let mut pyro = pyro_runtime::Config::environment()?;
    if let Some(seconds) = options.timeout {
        pyro.comm_timeout = match seconds {
            0.0 => None,
            s if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s)),
            s => return Err(format!("invalid timeout {s}: must be a number of seconds, 0 for none").into()),
        };
    }
    let settings = GatewaySettings::default()
        .with_expose(&options.expose)?
        .with_cors(options.cors)
        .with_gateway_key(options.gatewaykey.filter(|key| !key.is_empty()))
        .with_pyro_config(pyro);
    match settings.expose_pattern() {
        Some(pattern) => println!("Exposing objects with names matching: {pattern}"),
        None => println!("Warning: exposing all objects (no expose regex set)"),
    }
    let gateway = Gateway::new(settings);
    match gateway.connect_name_server() {
        Ok(uri) => println!("Connected to name server at: {uri}"),
        Err(error) => {
            tracing::debug!(%error, "no name server yet");
            println!("Not yet connected to a name server.");
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((options.host.as_str(), options.port))
            .await
            .map_err(|error| format!("cannot listen on {}:{}: {error}", options.host, options.port))?;
        let address = listener.local_addr()?;
        println!("Pyro HTTP gateway running on http://{address}/pyro/");
        pyro_httpgateway::serve(listener, gateway, shutdown_signal()).await;
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

/// Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

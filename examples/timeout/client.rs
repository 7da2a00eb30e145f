//! The client of Pyro5's timeout example: calls `delay` without a timeout, with a proxy
//! timeout (`_pyroTimeout`), with `COMMTIMEOUT` set globally, without a timeout again, then
//! connects to the frozen daemon with a timeout, and finally without one (which hangs, as the
//! Python program does: stop it with ctrl-c). It checks the durations as Python's `client.py`
//! does (within 0.2 s) and prints the same lines. Works against `timeout_server` and against
//! Python's `server.py`.
//!
//! ```sh
//! cargo run --example timeout_client
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_NS_HOST`, `PYRO_NS_PORT`, ...),
//! except `COMMTIMEOUT`, which the program sets itself, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another. A failed duration check ends the program as Python's
//! `assert` does: `AssertionError: <message>` on standard error and status 1.

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use pyro::proxy::Proxy;
use pyro::{Config, Error, Serializer};

/// Why the program stopped early.
enum Stop {
    Pyro(Error),
    Assertion(&'static str),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Pyro(e)
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(Stop::Assertion(message)) => {
            match message {
                "" => eprintln!("AssertionError"),
                message => eprintln!("AssertionError: {message}"),
            }
            ExitCode::FAILURE
        }
        Err(Stop::Pyro(e)) => python::exit_status::<Error>(Err(e)),
    }
}

/// Python's `approxEqual(x, y)`: within 0.2 seconds.
fn approx_equal(x: Duration, y: f64) -> bool {
    (x.as_secs_f64() - y).abs() < 0.2
}

fn check(ok: bool, message: &'static str) -> Result<(), Stop> {
    if ok { Ok(()) } else { Err(Stop::Assertion(message)) }
}

/// A proxy for `uri` with `config`, speaking serpent unless `PYRO_SERIALIZER` says otherwise.
fn proxy(uri: &str, config: &Config) -> pyro::Result<Proxy> {
    let proxy = Proxy::with_config(uri.parse()?, config);
    Ok(match std::env::var_os("PYRO_SERIALIZER") {
        Some(_) => proxy,
        None => proxy.with_serializer(Serializer::Serpent),
    })
}

/// Calls `delay(amount)`, expecting a `TimeoutError` after about `expected` seconds.
fn expect_timeout(obj: &Proxy, amount: i64, expected: f64, message: &'static str) -> Result<(), Stop> {
    let start = Instant::now();
    match obj.call::<_, String>("delay", &(amount,)) {
        Ok(_) => println!("!?should have raised TimeoutError!?"),
        Err(Error::Timeout { .. }) => {
            println!("TimeoutError! As expected!");
            check(approx_equal(start.elapsed(), expected), message)?;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

fn run() -> Result<(), Stop> {
    // Disable the timeout globally.
    let mut config = Config::environment().map_err(Error::from)?;
    config.comm_timeout = None;

    let mut obj = proxy("PYRONAME:example.timeout", &config)?;
    obj.bind()?;
    println!("No timeout is configured. Calling delay with 2 seconds.");
    let start = Instant::now();
    let result: String = obj.call("delay", &(2,))?;
    check(result == "slept 2 seconds", "")?;
    check(approx_equal(start.elapsed(), 2.0), "expected 2 seconds duration")?;

    // Override the timeout for this object.
    obj.set_timeout(Some(Duration::from_secs(1)));
    println!("Timeout set to 1 seconds. Calling delay with 2 seconds.");
    expect_timeout(&obj, 2, 1.0, "expected 1 seconds duration")?;

    // Set the timeout globally.
    config.comm_timeout = Some(Duration::from_secs(1));
    let mut obj = proxy("PYRONAME:example.timeout", &config)?;
    println!("COMMTIMEOUT is set globally. Calling delay with 2 seconds.");
    expect_timeout(&obj, 2, 1.0, "expected 1 seconds duration")?;

    // Override again for this object.
    obj.set_timeout(None);
    println!("No timeout is configured. Calling delay with 3 seconds.");
    let start = Instant::now();
    let result: String = obj.call("delay", &(3,))?;
    check(result == "slept 3 seconds", "")?;
    check(approx_equal(start.elapsed(), 3.0), "expected 3 seconds duration")?;

    println!("Trying to connect to the frozen daemon.");
    let mut obj = proxy("PYRONAME:example.timeout.frozendaemon", &config)?;
    obj.set_timeout(Some(Duration::from_secs(1)));
    println!("Timeout set to 1 seconds. Trying to connect.");
    expect_timeout(&obj, 5, 1.0, "expected 1 seconds duration")?;

    println!("Disabling timeout and trying to connect again. This may take forever now.");
    println!("Feel free to abort with ctrl-c or ctrl-break.");
    obj.set_timeout(None);
    let _: String = obj.call("delay", &(1,))?;
    Ok(())
}

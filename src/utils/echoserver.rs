//! The echo server: a Rust twin of Pyro5's `Pyro5.utils.echoserver`, for trying clients out.
//!
//! Its object id is `test.echoserver` and its methods and its `verbose` attribute are those of
//! Pyro5's `EchoServer`, so Python clients written for Pyro5's echo server work against it
//! unchanged, `generator` (an item stream) included.
//!
//! ```
//! use pyro::utils::echoserver::{EchoServer, EchoServerProxy, OBJECT_ID};
//!
//! let daemon = pyro::Daemon::bind("127.0.0.1", 0)?;
//! let uri = daemon.register(EchoServer::new(false, Some(daemon.shutdown_handle())), Some(OBJECT_ID))?;
//! let server = std::thread::spawn(move || daemon.request_loop());
//!
//! let echo = EchoServerProxy::new(&uri.to_string())?;
//! assert_eq!(echo.echo(pyro::Value::from("hi"))?, pyro::Value::from("hi"));
//! echo.set_verbose(pyro::Value::Bool(false))?;
//! assert!(!echo.verbose()?);
//! assert_eq!(echo.generator()?.collect::<Result<Vec<String>, _>>()?, ["one", "two", "three"]);
//! echo.shutdown()?;
//! server.join().expect("daemon thread").expect("clean shutdown");
//! # Ok::<(), pyro::Error>(())
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::daemon::ShutdownHandle;
use crate::{RemoteError, Value};

/// The object id Pyro5's echo server registers under.
pub const OBJECT_ID: &str = "test.echoserver";

/// The echo server object. With `verbose` it prints each call it receives.
pub struct EchoServer {
    verbose: AtomicBool,
    shutdown: Option<ShutdownHandle>,
}

impl EchoServer {
    /// An echo server; `shutdown` is the daemon its `shutdown()` method stops (none: it only
    /// prints).
    ///
    /// ```
    /// let echo = pyro::utils::echoserver::EchoServer::new(true, None);
    /// ```
    pub fn new(verbose: bool, shutdown: Option<ShutdownHandle>) -> EchoServer {
        EchoServer { verbose: AtomicBool::new(verbose), shutdown }
    }

    fn log(&self, what: std::fmt::Arguments<'_>) {
        if self.verbose.load(Ordering::Relaxed) {
            println!("{what}");
        }
    }
}

#[pyro::expose]
impl EchoServer {
    /// Returns the message.
    pub fn echo(&self, message: Value) -> Value {
        self.log(format_args!("echo: {message}"));
        message
    }

    /// Raises `ValueError("this is the generated error from echoserver echo() method")`.
    pub fn error(&self) -> Result<(), RemoteError> {
        self.log(format_args!("error: generating exception"));
        Err(value_error("this is the generated error from echoserver echo() method"))
    }

    /// Raises `ValueError("the message of the error")`.
    pub fn error_with_text(&self) -> Result<(), RemoteError> {
        self.log(format_args!("error: generating exception"));
        Err(value_error("the message of the error"))
    }

    /// Like `echo`, but oneway: the caller does not wait.
    #[pyro::oneway]
    pub fn oneway_echo(&self, message: Value) {
        self.log(format_args!("oneway_echo: {message}"));
    }

    /// Returns `"Finally, an answer!"` after five seconds.
    pub fn slow(&self) -> String {
        self.log(format_args!("slow: waiting a bit..."));
        std::thread::sleep(Duration::from_secs(5));
        self.log(format_args!("slow: returning result"));
        "Finally, an answer!".to_owned()
    }

    /// Streams `"one"`, `"two"`, `"three"` (a generator in Pyro5's echo server).
    pub fn generator(&self) -> impl Iterator<Item = String> + Send + 'static {
        self.log(format_args!("generator: streaming"));
        ["one", "two", "three"].into_iter().map(String::from)
    }

    /// Returns NaN.
    pub fn nan(&self) -> f64 {
        f64::NAN
    }

    /// Returns infinity.
    pub fn inf(&self) -> f64 {
        f64::INFINITY
    }

    /// Waits five seconds, but the caller does not wait for it.
    #[pyro::oneway]
    pub fn oneway_slow(&self) {
        self.log(format_args!("oneway_slow: waiting a bit..."));
        std::thread::sleep(Duration::from_secs(5));
        self.log(format_args!("oneway_slow: returning result"));
    }

    /// The `verbose` attribute: whether each call is printed.
    #[pyro::getter]
    pub fn verbose(&self) -> bool {
        self.verbose.load(Ordering::Relaxed)
    }

    /// Sets `verbose` to the truth value of `onoff`, as Python's `bool(onoff)` (so `1`, `"yes"`
    /// or a non-empty list turn it on, `0`, `""` or `None` off).
    #[pyro::setter]
    pub fn set_verbose(&self, onoff: Value) {
        self.verbose.store(truth(&onoff), Ordering::Relaxed);
    }

    /// Stops the daemon serving this object (after this call's reply).
    pub fn shutdown(&self) {
        self.log(format_args!("shutting down"));
        if let Some(handle) = &self.shutdown {
            handle.shutdown();
        }
    }
}

/// Python's truth value of `value` (`bool(value)`).
fn truth(value: &Value) -> bool {
    match value {
        Value::None => false,
        Value::Bool(b) => *b,
        Value::Int(n) => *n != 0,
        // Normalised: a BigInt never fits an i64, so it is never zero.
        Value::BigInt(_) | Value::DateTime(_) | Value::Date(_) => true,
        Value::Float(f) => *f != 0.0,
        Value::Complex { re, im } => *re != 0.0 || *im != 0.0,
        Value::Str(s) => !s.is_empty(),
        Value::Bytes(b) => !b.is_empty(),
        Value::List(items) | Value::Tuple(items) | Value::Set(items) => !items.is_empty(),
        Value::Dict(dict) => !dict.is_empty(),
    }
}

fn value_error(message: &str) -> RemoteError {
    RemoteError::new("builtins.ValueError", vec![Value::from(message)])
}

#[cfg(test)]
mod tests {
    use super::{EchoServer, truth};
    use crate::Value;

    #[test]
    fn verbose_takes_pythons_truth_value() {
        let echo = EchoServer::new(false, None);
        for (value, expected) in [
            (Value::Int(1), true),
            (Value::from("yes"), true),
            (Value::List(vec![Value::None]), true),
            (Value::Int(0), false),
            (Value::from(""), false),
            (Value::None, false),
            (Value::Float(0.0), false),
        ] {
            assert_eq!(truth(&value), expected, "{value:?}");
            echo.set_verbose(value);
            assert_eq!(echo.verbose(), expected);
        }
    }
}

//! What the server and the client of the second callback example share: the client's callback
//! handler (whose methods crash) and the server.
// The remote method keeps its Python name, `doCallback`.
#![allow(non_snake_case)]

use pyro::dispatch::IntoRemoteError;
use pyro::{RemoteError, Value};

/// Python's `ZeroDivisionError` for `a // b` with `b == 0`.
#[derive(Debug)]
pub struct ZeroDivisionError;

impl IntoRemoteError for ZeroDivisionError {
    fn into_remote_error(self) -> RemoteError {
        RemoteError::new("builtins.ZeroDivisionError", vec![Value::from("integer division or modulo by zero")])
    }
}

/// What the client serves for the server to call back.
#[pyro::expose]
pub trait CallbackHandler {
    /// Crashes; only the server sees the exception.
    fn call1(&self) -> Result<i64, ZeroDivisionError>;
    /// Crashes; a callback: the client reports the exception too.
    #[pyro::callback]
    fn call2(&self) -> Result<i64, ZeroDivisionError>;
}

/// The server, registered in the name server as `example.callback2`.
#[pyro::expose]
pub trait CallbackServer {
    /// Calls `callback` back, both methods (oneway: the client does not wait).
    #[pyro::oneway]
    fn doCallback(&self, callback: CallbackHandlerProxy);
}

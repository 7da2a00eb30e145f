//! The remote interface of Pyro5's batchedcalls example, shared by `batchedcalls_server` and
//! `batchedcalls_client`. Numbers travel as [`Value`]s because the Python `Thingy` computes with
//! whatever numbers it is given: unbounded ints and floats.

use pyro::{RemoteError, Value};

/// Pyro5's `Thingy` (its `server.py`), method for method.
#[pyro::expose]
pub trait Thingy {
    /// `a * b`.
    fn multiply(&self, a: Value, b: Value) -> Result<Value, RemoteError>;
    /// `a + b`.
    fn add(&self, a: Value, b: Value) -> Result<Value, RemoteError>;
    /// `a // b`, Python's floor division (`ZeroDivisionError` for a zero divisor).
    fn divide(&self, a: Value, b: Value) -> Result<Value, RemoteError>;
    /// `1 // 0`: always raises `ZeroDivisionError`.
    fn error(&self) -> Result<Value, RemoteError>;
    /// Sleeps `seconds`, then returns them.
    fn delay(&self, seconds: Value) -> Result<Value, RemoteError>;
    /// Prints `message` on the server; returns 0.
    fn printmessage(&self, message: Value) -> i64;
}

//! What the messagebus example's publishers and subscribers share besides the bus's interface:
//! Python's `input()` with its `EOFError`, `random.choice`, and Pyro5's communication errors.
// Not every program uses every item.
#![allow(dead_code)]

use pyro::{Error, RemoteError, Value};

use crate::python::input;

/// Python's `input(prompt).strip()`; the end of input is Python's `EOFError` (reported as a
/// Python program reports it: `EOFError: EOF when reading a line`).
pub fn ask(prompt: &str) -> pyro::Result<String> {
    input(prompt)
        .map(|line| line.trim().to_owned())
        .map_err(|e| Error::Remote(Box::new(RemoteError::new("builtins.EOFError", vec![Value::from(e.to_string())]))))
}

/// One of `items` at random (Python's `random.choice`).
pub fn choice<'a>(items: &[&'a str]) -> &'a str {
    let random = pyro::uuid::Uuid::new_v4().as_u128();
    let len = u128::try_from(items.len()).unwrap_or(1).max(1);
    items.get(usize::try_from(random % len).unwrap_or(0)).copied().unwrap_or("")
}

/// Whether `error` is one of Pyro5's `CommunicationError`s (a lost, refused, timed out or
/// garbled connection).
pub fn is_communication_error(error: &Error) -> bool {
    matches!(
        error,
        Error::ConnectionClosed { .. }
            | Error::ConnectionRefused { .. }
            | Error::Timeout { .. }
            | Error::Communication { .. }
            | Error::ConnectionRejected { .. }
            | Error::Protocol(_)
    )
}

//! What the messagebus example's publishers and subscribers share besides the bus's interface:
//! Python's `input()` with its `EOFError`, `random.choice`, and how a Python program ends on an
//! exception (Pyro5's `sys.excepthook`, printing the remote traceback).
// Not every program uses every item.
#![allow(dead_code)]

use std::process::ExitCode;

use pyro::{Error, RemoteError, Value};

use crate::python::{input, pyro_traceback};

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

/// How the program ends: as a Python program with Pyro5's excepthook, the remote traceback
/// for a remote exception.
pub fn report(result: pyro::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Remote(e)) => {
            eprint!("{}", pyro_traceback(&e));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{}: {e}", e.python_class());
            ExitCode::FAILURE
        }
    }
}

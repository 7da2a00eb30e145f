//! Turning a method's `Err` into the exception a Python client raises.
//!
//! Pyro5 clients rebuild only builtin and Pyro5 exception classes, so the default for an
//! arbitrary Rust error is `builtins.RuntimeError` with the error's text; a type that wants
//! another class implements [`IntoRemoteError`] (or the method returns a [`RemoteError`] or a
//! [`crate::Error`] directly).

use std::fmt::Display;

use crate::value::Value;
use crate::{Error, RemoteError};

/// An error that knows which Python exception it becomes on the wire.
///
/// ```
/// use pyro_runtime::dispatch::IntoRemoteError;
/// use pyro_runtime::{RemoteError, Value};
///
/// struct OutOfStock(String);
/// impl IntoRemoteError for OutOfStock {
///     fn into_remote_error(self) -> RemoteError {
///         RemoteError::new("builtins.ValueError", vec![Value::from(format!("{} is out of stock", self.0))])
///     }
/// }
/// assert_eq!(OutOfStock("tea".into()).into_remote_error().message, "tea is out of stock");
/// ```
pub trait IntoRemoteError {
    /// The exception to send.
    fn into_remote_error(self) -> RemoteError;
}

impl IntoRemoteError for RemoteError {
    fn into_remote_error(self) -> RemoteError {
        self
    }
}

impl IntoRemoteError for Error {
    fn into_remote_error(self) -> RemoteError {
        match self {
            Error::Remote(remote) => *remote,
            other => other.to_remote(),
        }
    }
}

/// Wrapper used by generated code to pick [`IntoRemoteError`] when the error type implements
/// it and fall back to `builtins.RuntimeError(str(error))` otherwise (autoref specialization:
/// generated code calls `RemoteErrorWrap(e).to_remote_error()`: the inherent
/// method applies when `E: IntoRemoteError`, else method lookup autorefs to the fallback).
pub struct RemoteErrorWrap<E>(pub E);

impl<E: IntoRemoteError> RemoteErrorWrap<E> {
    /// The error's own exception.
    pub fn to_remote_error(self) -> RemoteError {
        self.0.into_remote_error()
    }
}

/// The fallback half of [`RemoteErrorWrap`]'s specialization.
pub trait ToRemoteErrorFallback {
    /// `builtins.RuntimeError` with the error's `Display` text.
    fn to_remote_error(self) -> RemoteError;
}

impl<E: Display> ToRemoteErrorFallback for &RemoteErrorWrap<E> {
    fn to_remote_error(self) -> RemoteError {
        RemoteError::new("builtins.RuntimeError", vec![Value::Str(self.0.to_string())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specialization_picks_own_class_or_runtime_error() {
        let own = RemoteErrorWrap(RemoteError::new("builtins.KeyError", vec![])).to_remote_error();
        assert_eq!(own.class, "builtins.KeyError");
        let parse_error = "x".parse::<i32>().expect_err("not a number");
        let fallback = RemoteErrorWrap(parse_error).to_remote_error();
        assert_eq!(fallback.class, "builtins.RuntimeError");
        assert_eq!(fallback.message, "invalid digit found in string");
    }
}

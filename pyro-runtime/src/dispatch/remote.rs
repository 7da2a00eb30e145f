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
/// use pyro::dispatch::IntoRemoteError;
/// use pyro::{RemoteError, Value};
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

/// The fallback half of [`RemoteErrorWrap`]'s specialization. It applies to every error type,
/// and its method asks for [`ErrorText`], so that an error type with neither `Display` nor
/// [`IntoRemoteError`] gets a compile error that says so (not a failed method lookup).
pub trait ToRemoteErrorFallback {
    /// The wrapped error type.
    type Inner;
    /// `builtins.RuntimeError` with the error's `Display` text.
    fn to_remote_error(self) -> RemoteError
    where
        Self::Inner: ErrorText;
}

impl<E> ToRemoteErrorFallback for &RemoteErrorWrap<E> {
    type Inner = E;
    fn to_remote_error(self) -> RemoteError
    where
        E: ErrorText,
    {
        RemoteError::new("builtins.RuntimeError", vec![Value::Str(self.0.error_text())])
    }
}

/// An error type without [`IntoRemoteError`] reaches Python as `builtins.RuntimeError` with its
/// `Display` text: implemented for every `Display` type.
///
/// ```
/// use pyro::dispatch::ErrorText;
///
/// assert_eq!("x".parse::<i32>().unwrap_err().error_text(), "invalid digit found in string");
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the error type of an exposed method: it implements neither `Display` nor `pyro::dispatch::IntoRemoteError`",
    label = "the error a Python client receives is made from this type",
    note = "implement `std::fmt::Display` for `{Self}` (the client then raises `RuntimeError` with its text), \
            implement `pyro::dispatch::IntoRemoteError` to choose the Python exception, \
            or derive `pyro::RemoteError` on an enum of the errors"
)]
pub trait ErrorText {
    /// The text of the `RuntimeError`.
    fn error_text(&self) -> String;
}

impl<E: Display + ?Sized> ErrorText for E {
    fn error_text(&self) -> String {
        self.to_string()
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

//! Typed errors across the wire: a Rust error enum whose variants are Python exception classes.
//!
//! A server method returning `Result<T, E>` raises `E` in the caller through [`IntoRemoteError`];
//! a client turns the [`RemoteError`] it receives back into `E` through [`FromRemoteError`]. Both
//! are what `#[derive(pyro::RemoteError)]` implements. On the client, [`Error::raised`] picks the
//! typed exception out of a call's error, and [`CallError<E>`] keeps the two kinds of failure
//! apart in one type (the remote object raised `E`, or the call itself failed), with `?`
//! converting a call's [`Error`] into it.
//!
//! ```
//! use pyro::dispatch::IntoRemoteError;
//! use pyro::{CallError, Error, FromRemoteError, RemoteError, Value};
//!
//! #[derive(Debug, PartialEq)]
//! struct Empty;
//! impl IntoRemoteError for Empty {
//!     fn into_remote_error(self) -> RemoteError {
//!         RemoteError::new("builtins.IndexError", vec![Value::from("empty")])
//!     }
//! }
//! impl FromRemoteError for Empty {
//!     fn from_remote_error(remote: &RemoteError) -> Option<Empty> {
//!         (remote.class == "builtins.IndexError").then_some(Empty)
//!     }
//! }
//!
//! let call: Result<i64, Error> = Err(Empty.into_remote_error().into());
//! let typed: Result<i64, CallError<Empty>> = call.map_err(CallError::from);
//! assert!(matches!(typed, Err(CallError::Raised(Empty))));
//! ```

use crate::dispatch::IntoRemoteError;
use crate::{Error, RemoteError};

/// An error that can be rebuilt from the exception a remote object raised: `None` when the
/// exception is not one of this type's (another class, or fields that do not fit).
///
/// `#[derive(pyro::RemoteError)]` implements it, matching the class of each variant in order.
///
/// ```
/// use pyro::{FromRemoteError, RemoteError};
///
/// struct NotFound(String);
/// impl FromRemoteError for NotFound {
///     fn from_remote_error(remote: &RemoteError) -> Option<NotFound> {
///         (remote.class == "builtins.KeyError").then(|| NotFound(remote.message.clone()))
///     }
/// }
/// let remote = RemoteError::new("builtins.KeyError", vec!["tea".into()]);
/// assert_eq!(NotFound::from_remote_error(&remote).map(|n| n.0), Some("tea".to_owned()));
/// ```
pub trait FromRemoteError: Sized {
    /// This type's value for `remote`, if `remote` is one of its exceptions.
    fn from_remote_error(remote: &RemoteError) -> Option<Self>;
}

impl FromRemoteError for RemoteError {
    fn from_remote_error(remote: &RemoteError) -> Option<RemoteError> {
        Some(remote.clone())
    }
}

impl Error {
    /// The typed exception `E` this error carries: `Ok` if the remote object raised one of
    /// `E`'s exceptions, else the error unchanged (a transport failure, or another exception).
    ///
    /// ```
    /// use pyro::{Error, RemoteError};
    ///
    /// let err = Error::from(RemoteError::new("builtins.KeyError", vec!["k".into()]));
    /// let remote: RemoteError = err.raised().unwrap();
    /// assert_eq!(remote.class, "builtins.KeyError");
    ///
    /// let closed = Error::ConnectionClosed { context: "calling".into() };
    /// assert!(closed.raised::<RemoteError>().is_err());
    /// ```
    pub fn raised<E: FromRemoteError>(self) -> Result<E, Error> {
        match &self {
            Error::Remote(remote) => E::from_remote_error(remote).ok_or(self),
            _ => Err(self),
        }
    }
}

/// What a call to a remote method whose exceptions are `E` can end with: the remote object
/// raised one of `E`'s exceptions ([`CallError::Raised`]), or the call failed otherwise
/// ([`CallError::Pyro`]: connection, protocol, serialization, or an exception that is not `E`'s).
///
/// `From<Error>` sorts a call's error into the two, so `?` reads naturally in a function
/// returning `Result<_, CallError<E>>`.
///
/// ```
/// use pyro::{CallError, Error, RemoteError};
///
/// fn call() -> Result<i64, Error> {
///     Err(RemoteError::new("builtins.ValueError", vec!["bad".into()]).into())
/// }
/// fn typed() -> Result<i64, CallError<RemoteError>> {
///     Ok(call()? + 1)
/// }
/// match typed() {
///     Err(CallError::Raised(remote)) => assert_eq!(remote.message, "bad"),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
pub enum CallError<E> {
    /// The remote object raised `E`.
    #[error("{0}")]
    Raised(E),
    /// The call failed for another reason.
    #[error(transparent)]
    Pyro(Error),
}

impl<E: FromRemoteError> From<Error> for CallError<E> {
    fn from(error: Error) -> CallError<E> {
        match error.raised::<E>() {
            Ok(raised) => CallError::Raised(raised),
            Err(other) => CallError::Pyro(other),
        }
    }
}

impl<E: IntoRemoteError> From<CallError<E>> for Error {
    fn from(error: CallError<E>) -> Error {
        match error {
            CallError::Raised(raised) => raised.into_remote_error().into(),
            CallError::Pyro(error) => error,
        }
    }
}

impl<E> CallError<E> {
    /// The typed exception, if the remote object raised one.
    ///
    /// ```
    /// use pyro::{CallError, Error};
    /// let e: CallError<String> = CallError::Pyro(Error::Naming { message: "unknown name".into() });
    /// assert!(e.raised().is_none());
    /// ```
    pub fn raised(&self) -> Option<&E> {
        match self {
            CallError::Raised(raised) => Some(raised),
            CallError::Pyro(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    #[test]
    fn transport_errors_stay_apart_from_raised_ones() {
        let remote = RemoteError::new("builtins.ValueError", vec![Value::from("x")]);
        let raised: CallError<RemoteError> = Error::from(remote.clone()).into();
        assert_eq!(raised.raised(), Some(&remote));
        let closed: CallError<RemoteError> = Error::ConnectionClosed { context: "calling".into() }.into();
        assert!(matches!(closed, CallError::Pyro(Error::ConnectionClosed { .. })));
        let back: Error = raised.into();
        assert_eq!(back.python_class(), "builtins.ValueError");
    }
}

/// Builds the exception a typed error variant becomes (used by `#[derive(pyro::RemoteError)]`):
/// a class, its arguments and its attributes, each serialized to a [`Value`](crate::Value). A
/// field that cannot be serialized turns the whole exception into Pyro5's `SerializeError`
/// saying which.
///
/// ```
/// use pyro::ExceptionBuilder;
///
/// let e = ExceptionBuilder::new("builtins.ValueError").arg("too low").attribute("minimum", &3).build();
/// assert_eq!(e.message, "too low");
/// assert_eq!(e.attributes.get("minimum"), Some(&3.into()));
/// ```
#[derive(Debug)]
pub struct ExceptionBuilder {
    class: String,
    args: Vec<crate::Value>,
    attributes: crate::value::Dict,
    failed: Option<String>,
}

impl ExceptionBuilder {
    /// An exception of class `class` (fully qualified, e.g. `builtins.KeyError`).
    ///
    /// ```
    /// assert_eq!(pyro::ExceptionBuilder::new("builtins.KeyError").build().class, "builtins.KeyError");
    /// ```
    pub fn new(class: &str) -> ExceptionBuilder {
        ExceptionBuilder {
            class: class.to_owned(),
            args: Vec::new(),
            attributes: crate::value::Dict::new(),
            failed: None,
        }
    }

    /// Appends a constructor argument.
    ///
    /// ```
    /// let e = pyro::ExceptionBuilder::new("builtins.ValueError").arg("oops").arg(&42).build();
    /// assert_eq!(e.message, "('oops', 42)");
    /// ```
    pub fn arg<T: serde::Serialize + ?Sized>(mut self, value: &T) -> ExceptionBuilder {
        match crate::value::to_value(value) {
            Ok(value) => self.args.push(value),
            Err(e) => self.fail(format!("argument {}", self.args.len()), e),
        }
        self
    }

    /// Sets the attribute `name` (Pyro5 sets it on the rebuilt exception with `setattr`).
    ///
    /// ```
    /// let e = pyro::ExceptionBuilder::new("builtins.ValueError").attribute("code", &7).build();
    /// assert_eq!(e.attributes.get("code"), Some(&7.into()));
    /// ```
    pub fn attribute<T: serde::Serialize + ?Sized>(mut self, name: &str, value: &T) -> ExceptionBuilder {
        match crate::value::to_value(value) {
            Ok(value) => {
                self.attributes.insert(name, value);
            }
            Err(e) => self.fail(format!("attribute '{name}'"), e),
        }
        self
    }

    /// The exception.
    ///
    /// ```
    /// let e = pyro::ExceptionBuilder::new("builtins.IndexError").arg("empty").build();
    /// assert_eq!(e.to_string(), "builtins.IndexError: empty");
    /// ```
    pub fn build(self) -> RemoteError {
        if let Some(failed) = self.failed {
            return RemoteError::new("Pyro5.errors.SerializeError", vec![crate::Value::Str(failed)]);
        }
        let mut error = RemoteError::new(self.class, self.args);
        error.attributes = self.attributes;
        error
    }

    fn fail(&mut self, what: String, error: crate::serializer::SerializeError) {
        if self.failed.is_none() {
            self.failed = Some(format!("Error serializing exception {}: {what}: {error}", self.class));
        }
    }
}

/// Argument `index` of `remote` as a `T`, if it has one that converts (used by
/// `#[derive(pyro::RemoteError)]` to match tuple variants).
///
/// ```
/// use pyro::{exception_arg, RemoteError};
/// let e = RemoteError::new("builtins.ValueError", vec!["x".into(), 2.into()]);
/// assert_eq!(exception_arg::<i64>(&e, 1), Some(2));
/// assert_eq!(exception_arg::<i64>(&e, 0), None);
/// ```
pub fn exception_arg<T: serde::de::DeserializeOwned>(remote: &RemoteError, index: usize) -> Option<T> {
    crate::value::from_value(remote.args.get(index)?.clone()).ok()
}

/// Attribute `name` of `remote` as a `T` (a missing attribute reads as Python's `None`, so an
/// `Option` field may be absent); `None` if it does not convert.
///
/// ```
/// use pyro::{exception_attribute, ExceptionBuilder};
/// let e = ExceptionBuilder::new("builtins.ValueError").attribute("code", &7).build();
/// assert_eq!(exception_attribute::<u8>(&e, "code"), Some(7));
/// assert_eq!(exception_attribute::<Option<u8>>(&e, "other"), Some(None));
/// ```
pub fn exception_attribute<T: serde::de::DeserializeOwned>(remote: &RemoteError, name: &str) -> Option<T> {
    let value = remote.attributes.get(name).cloned().unwrap_or(crate::Value::None);
    crate::value::from_value(value).ok()
}

//! Pyro5's `@callback`: a method marked `#[pyro::callback]` that fails sends
//! the exception to its caller as any method does, and also reports it on its own side, where
//! the program serving the callback object sees it.
//!
//! Pyro5 re-raises such an exception in the daemon's worker, which logs it as a warning
//! (`"error during handleRequest: ..."`) and closes the connection. Here the daemon logs it with
//! [`tracing`] (level `WARN`, target `pyro::callback`), hands it to the daemon's
//! [`on_callback_error`](crate::daemon::DaemonBuilder::on_callback_error) hook if it has one, and
//! keeps the connection open. A panic in a callback method is reported the same way (its caller
//! gets a `builtins.RuntimeError`).

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use super::{CallContext, Reply};
use crate::{Error, RemoteError};

/// A failure of a `#[pyro::callback]` method, as its daemon reports it.
///
/// ```
/// use pyro::dispatch::CallbackError;
/// let error = CallbackError {
///     method: "call2".into(),
///     session_id: 3,
///     error: pyro::RemoteError::new("builtins.ZeroDivisionError", vec!["division by zero".into()]),
/// };
/// assert_eq!(error.to_string(), "exception in callback method 'call2': builtins.ZeroDivisionError: division by zero");
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("exception in callback method '{method}': {error}")]
pub struct CallbackError {
    /// The method that failed.
    pub method: String,
    /// The session (connection) the call came on.
    pub session_id: u64,
    /// What its caller receives.
    pub error: RemoteError,
}

/// Runs `call` for the callback method `method`, reporting its error or panic (a panic goes on
/// unwinding afterwards, to become the caller's `RuntimeError`).
pub(crate) fn run(
    ctx: &mut CallContext,
    method: &str,
    call: impl FnOnce(&mut CallContext) -> Result<Reply, Error>,
) -> Result<Reply, Error> {
    match catch_unwind(AssertUnwindSafe(|| call(&mut *ctx))) {
        Ok(Ok(reply)) => Ok(reply),
        Ok(Err(error)) => {
            let remote = match &error {
                Error::Remote(remote) => (**remote).clone(),
                other => RemoteError::new(other.python_class(), vec![other.to_string().into()]),
            };
            report(ctx, method, remote);
            Err(error)
        }
        Err(panic) => {
            let text = crate::session::panic_text(panic.as_ref());
            let remote =
                RemoteError::new("builtins.RuntimeError", vec![format!("method '{method}' panicked: {text}").into()]);
            report(ctx, method, remote);
            resume_unwind(panic)
        }
    }
}

fn report(ctx: &CallContext, method: &str, error: RemoteError) {
    let error = CallbackError { method: method.to_owned(), session_id: ctx.session_id(), error };
    tracing::warn!(target: "pyro::callback", method, session = error.session_id, "{error}");
    if let Some(hook) = ctx.daemon().and_then(crate::daemon::callback_hook) {
        hook(&error);
    }
}

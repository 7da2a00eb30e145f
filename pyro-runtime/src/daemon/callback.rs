//! The daemon's hook for failures of `#[pyro::callback]` methods (see
//! [`dispatch::CallbackError`](crate::dispatch::CallbackError)).

use std::fmt;
use std::sync::Arc;

use super::{DaemonBuilder, ShutdownHandle};
use crate::dispatch::CallbackError;

/// What [`DaemonBuilder::on_callback_error`] keeps.
pub(super) type Hook = Arc<dyn Fn(&CallbackError) + Send + Sync>;

/// A hook, debug-printable for the builder.
#[derive(Clone, Default)]
pub(super) struct CallbackHook(pub(super) Option<Hook>);

impl fmt::Debug for CallbackHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Some(..)" } else { "None" })
    }
}

impl DaemonBuilder {
    /// Calls `hook` with every failure of a `#[pyro::callback]` method this daemon serves (on
    /// the thread that ran it, after its caller's reply is made), next to the `tracing` warning
    /// the daemon logs anyway: Pyro5 re-raises such exceptions in the daemon, so that the program
    /// serving a callback object sees them.
    ///
    /// ```
    /// let daemon = pyro::Daemon::builder()
    ///     .host("127.0.0.1")
    ///     .on_callback_error(|error| eprintln!("{error}"))
    ///     .bind()
    ///     .unwrap();
    /// # let _ = daemon;
    /// ```
    #[must_use]
    pub fn on_callback_error(mut self, hook: impl Fn(&CallbackError) + Send + Sync + 'static) -> DaemonBuilder {
        self.callback_hook = CallbackHook(Some(Arc::new(hook)));
        self
    }
}

/// The callback error hook of the daemon behind `handle`.
pub(crate) fn callback_hook(handle: &ShutdownHandle) -> Option<Hook> {
    handle.inner.upgrade().and_then(|inner| inner.callback_hook.clone())
}

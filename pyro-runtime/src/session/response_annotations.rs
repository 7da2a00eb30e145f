//! [`ResponseAnnotations`]: Pyro5's `Daemon.annotations()` hook, annotations a daemon adds to
//! every message it sends.

use std::fmt;
use std::sync::Arc;

use crate::protocol::{Annotations, Message};

/// Annotations a daemon adds to every reply (Pyro5's overridable `Daemon.annotations()`): the
/// CONNECTOK or CONNECTFAIL of a handshake, the PING answer and every RESULT (values, batches,
/// exceptions, the reply that opens an item stream). The function runs once per reply; its
/// annotations are merged after the ones the method set (an id both set gets the hook's value,
/// as Python's `dict.update` does in Pyro5).
///
/// ```
/// use pyro_runtime::protocol::{AnnotationId, Annotations};
/// use pyro_runtime::session::ResponseAnnotations;
///
/// let hook = ResponseAnnotations::new(|| {
///     [(AnnotationId::try_from("DDAA").unwrap(), b"from the daemon".to_vec())].into_iter().collect()
/// });
/// assert_eq!(hook.annotations().len(), 1);
/// ```
#[derive(Clone)]
pub struct ResponseAnnotations(Arc<dyn Fn() -> Annotations + Send + Sync>);

impl ResponseAnnotations {
    /// A hook calling `annotations` for every reply.
    ///
    /// See [`ResponseAnnotations`] for an example.
    pub fn new(annotations: impl Fn() -> Annotations + Send + Sync + 'static) -> ResponseAnnotations {
        ResponseAnnotations(Arc::new(annotations))
    }

    /// The annotations for one reply.
    ///
    /// See [`ResponseAnnotations`] for an example.
    pub fn annotations(&self) -> Annotations {
        (self.0)()
    }

    /// Adds the hook's annotations to `message` (after those it has).
    pub(crate) fn apply(&self, message: &mut Message) {
        for (id, value) in self.annotations().iter() {
            message.annotations.insert(*id, value.to_vec());
        }
    }
}

impl fmt::Debug for ResponseAnnotations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResponseAnnotations(..)")
    }
}

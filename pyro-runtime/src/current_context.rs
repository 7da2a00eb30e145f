//! The calling thread's context of Pyro calls, as Pyro5's thread-local `current_context` is on
//! the client side: annotations to send, the correlation id to send, and the annotations of the
//! last reply received.
//!
//! Every [`Proxy`](crate::proxy::Proxy) call made on a thread sends that thread's
//! [`annotations`] (after the proxy's own, [`Proxy::set_annotations`](crate::proxy::Proxy::set_annotations);
//! an id set in both gets the thread's value) and a correlation id: the proxy's own
//! ([`Proxy::set_correlation_id`](crate::proxy::Proxy::set_correlation_id)) if it has one, else
//! the thread's [`correlation_id`], else none. Each call clears the thread's
//! [`response_annotations`] first, and stores the annotations of the replies it receives
//! (its CONNECTOK if it connects, then its RESULT), as Pyro5's `_pyroInvoke` does: a oneway call
//! gets no reply, so after it the response annotations are empty, or hold what a handshake
//! brought.
//!
//! A proxy is shared by threads and pools its connections, so what belongs to one call lives
//! with the thread making it: the response annotations read after a call on a thread are that
//! call's, whichever connection it used.
//!
//! # Inside an exposed method
//!
//! While a daemon runs a call (on a worker thread, or on the oneway pool for a oneway call),
//! the thread's context is fresh: no annotations, no response annotations, and the incoming
//! call's correlation id. So proxy calls made from inside a method carry the correlation id of
//! the call that is being served, as Pyro5 propagates it through its thread-local context;
//! after the method the thread's context is restored. (Pyro5 also forwards the incoming call's
//! annotations, because server and client share one thread-local dict; here the request's
//! annotations are in the method's [`CallContext`](crate::dispatch::CallContext), and a method
//! that wants to pass them on sets them with [`set_annotations`].)
//!
//! An `async fn` method's context is the same, but it belongs to the call's future rather than
//! to a thread: it is the polling thread's context while the future is polled, and is kept with
//! the future between polls, so it survives awaits and moves between threads as a task-local
//! would (see [`PendingReply`](crate::dispatch::PendingReply)).
//!
//! ```
//! use pyro::current_context;
//! use pyro::protocol::{AnnotationId, Annotations};
//!
//! let id = AnnotationId::try_from("XYZZ").unwrap();
//! let annotations: Annotations = [(id, b"sent with every call".to_vec())].into_iter().collect();
//! current_context::set_annotations(annotations);
//! current_context::set_correlation_id(Some(uuid::Uuid::new_v4()));
//! // ... proxy calls on this thread send both; afterwards:
//! let received = current_context::response_annotations();
//! assert!(received.is_empty()); // no call was made here
//! current_context::set_annotations(Annotations::new());
//! current_context::set_correlation_id(None);
//! ```

use std::cell::RefCell;

use uuid::Uuid;

use crate::protocol::{Annotations, Message};

#[derive(Default)]
struct Current {
    annotations: Annotations,
    response_annotations: Annotations,
    correlation_id: Option<Uuid>,
}

thread_local! {
    static CURRENT: RefCell<Current> = RefCell::new(Current::default());
}

/// Runs `f` on this thread's context (on an empty one while the thread's locals are being
/// destroyed, e.g. from a thread-local's destructor).
fn with<R>(f: impl FnOnce(&mut Current) -> R) -> R {
    match CURRENT.try_with(|_| ()) {
        Ok(()) => CURRENT.with(|current| f(&mut current.borrow_mut())),
        Err(_) => f(&mut Current::default()),
    }
}

/// The annotations proxy calls on this thread send (Pyro5's `current_context.annotations`).
///
/// See the [module documentation](self) for an example.
pub fn annotations() -> Annotations {
    with(|c| c.annotations.clone())
}

/// Sets the annotations proxy calls on this thread send, until changed.
///
/// See the [module documentation](self) for an example.
pub fn set_annotations(annotations: Annotations) {
    with(|c| c.annotations = annotations);
}

/// Runs `f` with this thread's annotations set to `annotations` (a per-call way to annotate:
/// the calls `f` makes send them), then puts the previous ones back.
///
/// ```
/// use pyro::current_context;
/// use pyro::protocol::{AnnotationId, Annotations};
///
/// let annotations: Annotations = [(AnnotationId::try_from("XYZZ").unwrap(), b"one call".to_vec())].into_iter().collect();
/// let seen = current_context::with_annotations(annotations, || current_context::annotations().len());
/// assert_eq!(seen, 1);
/// assert!(current_context::annotations().is_empty());
/// ```
pub fn with_annotations<R>(annotations: Annotations, f: impl FnOnce() -> R) -> R {
    let previous = with(|c| std::mem::replace(&mut c.annotations, annotations));
    let _restore = Restore(Some(move || with(|c| c.annotations = previous)));
    f()
}

/// The annotations of the last reply a proxy call on this thread received (Pyro5's
/// `current_context.response_annotations`): the method's response annotations and the
/// daemon's. Empty after a oneway call.
///
/// See the [module documentation](self) for an example.
pub fn response_annotations() -> Annotations {
    with(|c| c.response_annotations.clone())
}

/// The correlation id proxy calls on this thread send, unless the proxy has its own (Pyro5's
/// `current_context.correlation_id`). Inside an exposed method: the incoming call's.
///
/// ```
/// let id = uuid::Uuid::new_v4();
/// pyro::current_context::set_correlation_id(Some(id));
/// assert_eq!(pyro::current_context::correlation_id(), Some(id));
/// pyro::current_context::set_correlation_id(None);
/// ```
pub fn correlation_id() -> Option<Uuid> {
    with(|c| c.correlation_id)
}

/// Sets the correlation id proxy calls on this thread send (`None`: none).
///
/// See [`correlation_id`] for an example.
pub fn set_correlation_id(id: Option<Uuid>) {
    with(|c| c.correlation_id = id);
}

/// Runs `f` with this thread's correlation id set to `id`, then puts the previous one back.
///
/// ```
/// let id = uuid::Uuid::new_v4();
/// let seen = pyro::current_context::with_correlation_id(Some(id), pyro::current_context::correlation_id);
/// assert_eq!(seen, Some(id));
/// assert_eq!(pyro::current_context::correlation_id(), None);
/// ```
pub fn with_correlation_id<R>(id: Option<Uuid>, f: impl FnOnce() -> R) -> R {
    let previous = with(|c| std::mem::replace(&mut c.correlation_id, id));
    let _restore = Restore(Some(move || with(|c| c.correlation_id = previous)));
    f()
}

/// Runs its closure when dropped (also when unwinding).
struct Restore<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> Drop for Restore<F> {
    fn drop(&mut self) {
        if let Some(restore) = self.0.take() {
            restore();
        }
    }
}

/// A call starts: the last response annotations are forgotten.
pub(crate) fn begin_call() {
    with(|c| c.response_annotations = Annotations::new());
}

/// A reply arrived: its annotations, if it has any, become the response annotations (Pyro5
/// keeps the previous ones when a reply has none).
pub(crate) fn received(reply: &Message) {
    if !reply.annotations.is_empty() {
        with(|c| c.response_annotations = reply.annotations.clone());
    }
}

/// Adds what goes out with a request: `annotations` (the proxy's), then the thread's; the
/// correlation id `own` (the proxy's), else the thread's.
pub(crate) fn stamp(request: &mut Message, annotations: &Annotations, own: Option<Uuid>) {
    for (id, value) in annotations.iter() {
        request.annotations.insert(*id, value.to_vec());
    }
    with(|c| {
        for (id, value) in c.annotations.iter() {
            request.annotations.insert(*id, value.to_vec());
        }
        if let Some(id) = own.or(c.correlation_id) {
            request.correlation_id = Some(id);
        }
    });
}

/// The thread runs a call the daemon received with correlation id `id`: a fresh context until
/// the guard is dropped, which restores the previous one.
pub(crate) fn serving(id: Option<Uuid>) -> Serving {
    let fresh = Current { correlation_id: id, ..Current::default() };
    Serving { previous: Some(with(|c| std::mem::replace(c, fresh))) }
}

/// See [`serving`].
pub(crate) struct Serving {
    previous: Option<Current>,
}

impl Drop for Serving {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            with(|c| *c = previous);
        }
    }
}

/// The context of one async call, carried from poll to poll as a task-local: while the call's
/// future is polled it is the polling thread's context (see [`Task::enter`]), between polls it
/// waits here. A thread-local alone would not follow the future across threads and awaits.
pub(crate) struct Task {
    current: Current,
}

impl Task {
    /// The context of a call the daemon received with correlation id `id` (fresh otherwise).
    pub(crate) fn serving(id: Option<Uuid>) -> Task {
        Task { current: Current { correlation_id: id, ..Current::default() } }
    }

    /// Makes this the thread's context until the guard is dropped, which keeps what the call
    /// changed for its next poll and gives the thread its own context back.
    pub(crate) fn enter(&mut self) -> Entered<'_> {
        with(|c| std::mem::swap(c, &mut self.current));
        Entered { task: self }
    }
}

/// See [`Task::enter`].
pub(crate) struct Entered<'a> {
    task: &'a mut Task,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        with(|c| std::mem::swap(c, &mut self.task.current));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::protocol::{AnnotationId, MessageType};

    fn one(id: &str, value: &[u8]) -> Annotations {
        [(AnnotationId::try_from(id).unwrap(), value.to_vec())].into_iter().collect()
    }

    #[test]
    fn the_thread_annotations_come_after_the_proxy_ones_and_win() {
        set_annotations(one("XYZZ", b"thread"));
        let mut request = Message::new(MessageType::Invoke, 4, vec![]);
        let mut proxy = one("XYZZ", b"proxy");
        proxy.insert(AnnotationId::try_from("PRXY").unwrap(), b"p".to_vec());
        stamp(&mut request, &proxy, None);
        let ids: Vec<(&str, &[u8])> = request.annotations.iter().map(|(id, v)| (id.as_str(), v)).collect();
        assert_eq!(ids, [("XYZZ", &b"thread"[..]), ("PRXY", &b"p"[..])]);
        assert_eq!(request.correlation_id, None);
        set_annotations(Annotations::new());
    }

    #[test]
    fn the_proxy_correlation_id_wins_over_the_thread_one() {
        let (mine, thread) = (Uuid::from_u128(1), Uuid::from_u128(2));
        with_correlation_id(Some(thread), || {
            let mut request = Message::new(MessageType::Invoke, 4, vec![]);
            stamp(&mut request, &Annotations::new(), None);
            assert_eq!(request.correlation_id, Some(thread));
            stamp(&mut request, &Annotations::new(), Some(mine));
            assert_eq!(request.correlation_id, Some(mine));
        });
    }

    #[test]
    fn serving_a_call_gives_a_fresh_context_and_restores_the_old_one() {
        set_annotations(one("XYZZ", b"outer"));
        received(&Message::new(MessageType::Result, 4, vec![]).with_annotations(one("DDAA", b"reply")));
        let incoming = Uuid::from_u128(7);
        {
            let _serving = serving(Some(incoming));
            assert_eq!(correlation_id(), Some(incoming));
            assert!(annotations().is_empty());
            assert!(response_annotations().is_empty());
            set_annotations(one("LEAK", b"x"));
        }
        assert_eq!(annotations(), one("XYZZ", b"outer"));
        assert_eq!(response_annotations(), one("DDAA", b"reply"));
        assert_eq!(correlation_id(), None);
        begin_call();
        assert!(response_annotations().is_empty());
        set_annotations(Annotations::new());
    }

    #[test]
    fn a_reply_without_annotations_keeps_the_previous_ones() {
        begin_call();
        received(&Message::new(MessageType::ConnectOk, 4, vec![]).with_annotations(one("DDAA", b"hs")));
        received(&Message::new(MessageType::Result, 4, vec![]));
        assert_eq!(response_annotations(), one("DDAA", b"hs"));
        begin_call();
    }

    #[test]
    fn a_task_context_follows_its_call_from_poll_to_poll() {
        let id = Uuid::from_u128(9);
        let mut task = Task::serving(Some(id));
        set_correlation_id(None);
        {
            let _entered = task.enter();
            assert_eq!(correlation_id(), Some(id));
            set_annotations(one("TASK", b"kept"));
        }
        assert_eq!(correlation_id(), None);
        assert!(annotations().is_empty());
        // Another thread polls next: the call's context goes with it.
        std::thread::spawn(move || {
            let _entered = task.enter();
            assert_eq!(correlation_id(), Some(id));
            assert_eq!(annotations(), one("TASK", b"kept"));
        })
        .join()
        .unwrap();
    }
}

//! Deadlines that travel with calls: a [`Deadline`] is a point in time by which a call must be
//! answered; the calling thread's (or async task's) [`current`] deadline bounds every proxy call
//! made under it, travels to a pyro daemon with the call, and is inherited by the calls the
//! served method makes in turn.
//!
//! # Setting one
//!
//! [`within`] runs a closure under a deadline that far from now; scopes nest, and an inner scope
//! never extends an outer one (the earlier deadline wins). After the closure, also when it
//! panics, the previous deadline is back. With the `tokio` feature, [`within_async`] does the
//! same for a future (a task-local, so it holds across awaits and moves between threads).
//!
//! ```
//! use std::time::Duration;
//! use pyro::deadline;
//!
//! assert!(deadline::current().is_none());
//! deadline::within(Duration::from_secs(5), || {
//!     let outer = deadline::current().unwrap();
//!     // A typed proxy call here, e.g. `proxy.add(1, 2)`, has at most 5 s.
//!     deadline::within(Duration::from_secs(60), || {
//!         // An inner scope cannot give more time than the outer one has.
//!         assert_eq!(deadline::current(), Some(outer));
//!     });
//!     deadline::within(Duration::from_millis(50), || {
//!         assert!(deadline::current().unwrap() < outer);
//!     });
//! });
//! assert!(deadline::current().is_none());
//! ```
//!
//! A proxy can also give each of its calls a deadline of its own
//! ([`Proxy::set_deadline_per_call`](crate::proxy::Proxy::set_deadline_per_call)), the earlier
//! of it and the current one.
//!
//! # What a call does with it
//!
//! A [`Proxy`](crate::proxy::Proxy) call (plain, oneway, attribute, batch, each
//! `get_next_stream_item` of an item stream) made under a deadline that has passed fails at once
//! with [`Error::Timeout`] (what Pyro5's `TimeoutError` is), without sending anything. Otherwise
//! the time left goes with the request (see [The annotation](#the-annotation)), and the proxy
//! waits for the reply no longer than the earlier of the time left and its own timeout; a reply
//! that is late gives [`Error::Timeout`] and the connection is closed (a late reply is never
//! read as the answer to a later call), so the proxy reconnects on its next call. Opening a
//! connection (connect, TLS and the Pyro5 handshake) is bounded by the deadline too. The async
//! [`aio::Proxy`](crate::aio::Proxy) (with the `tokio` feature) does the same through the same
//! code, its waits (for a connection of its pool, connecting, the reply) ended with
//! `tokio::time::timeout_at`; an item stream with read-ahead bounds each item's wait by the
//! deadline, as the blocking one does.
//!
//! # What a daemon does with it
//!
//! The server session (so every daemon: thread pool, multiplexed, async) reads the annotation
//! into the call's [`CallContext::deadline`](crate::dispatch::CallContext::deadline), relative
//! to when the session got the request, so the two clocks never need to agree. Not counted:
//! the time the request spent on the way, and the time it waited in the daemon before the
//! session got it (both servers turn to a connection's next request after answering the one
//! before, so a request pipelined behind a slow one starts its deadline then); the daemon's
//! deadline is that much later than the caller's. Then it stops work that is past the deadline
//! where it can:
//!
//! - before the call runs: a call that waited too long for a worker (the multiplexed server
//!   queues the calls of all its connections for its workers) is not run, and the client gets
//!   a `Pyro5.errors.TimeoutError`
//!   exception reply (a Python Pyro5 client raises `Pyro5.errors.TimeoutError`; a pyro proxy
//!   gives an [`Error::Remote`] of that class, [`Error::is_timeout`] is true for both). As after
//!   any `TimeoutError` reply, Pyro5's rule, the connection is closed after it;
//! - between the calls of a batch: the calls not yet run when the deadline passes are not run;
//!   the batch's result ends with the `TimeoutError` in place of the first of them, as a batch
//!   ends with the exception of a call that failed;
//! - between the items of a stream: each `get_next_stream_item` is a call of its own, refused
//!   as above once its deadline has passed.
//!
//! A method that is running is not interrupted: plain Rust code cannot be stopped from outside.
//! While it runs, the worker thread's current deadline is the call's, so the proxy calls it makes
//! get what is left of the deadline (and are refused at once when nothing is left); it can also
//! look at [`current`] or its context's deadline and give up early. After the method, the
//! thread's previous deadline is back.
//!
//! # The annotation
//!
//! pyro's wire extension: annotation `DDLN`
//! ([`AnnotationId::DEADLINE`](crate::protocol::AnnotationId::DEADLINE)) on an INVOKE, whose
//! value is the time left, in whole microseconds, as 8 bytes big-endian (an unsigned number;
//! [`encode`] and [`decode`]). It is relative on purpose: a point in time would need the clocks
//! of both machines to agree. A value of another length is refused with an exception reply
//! naming the annotation. Python Pyro5 daemons keep unknown annotations in their
//! `current_context.annotations` and ignore them, so calls to them work unchanged (the proxy
//! still bounds its wait); a Python client sends no `DDLN`, and its calls have no deadline.
//!
//! # For drivers
//!
//! A proxy driver (such as an async proxy) puts the time left on a request with [`stamp`],
//! which refuses a deadline that has passed, and bounds its wait by [`Deadline::instant`].
//! A daemon driver that runs calls elsewhere than through
//! [`Request::run`](crate::session::Request::run) (which does it already) makes the call's
//! deadline current with [`enter`] (or, for a future, [`enter_async`]); [`bounded`] also gives
//! up on a future once its deadline has passed.

use std::cell::Cell;
use std::fmt;
use std::time::{Duration, Instant};

use crate::Error;
use crate::protocol::{AnnotationId, Message};

mod scope;
#[cfg(feature = "tokio")]
mod task;
mod wire;

pub(crate) use scope::entered;
pub use scope::{current, enter, within};
#[cfg(feature = "tokio")]
pub use task::{bounded, enter_async, within_async};
pub use wire::{DecodeError, decode, encode};

/// A point in time by which something must be done (`Instant`-based, so it is immune to changes
/// of the wall clock). It knows how much time it was given, for error messages.
///
/// ```
/// use std::time::Duration;
/// use pyro::Deadline;
///
/// let soon = Deadline::after(Duration::from_millis(10));
/// let later = Deadline::after(Duration::from_secs(10));
/// assert_eq!(soon.earliest(later), soon);
/// assert!(!later.is_past());
/// assert!(later.remaining() <= Duration::from_secs(10));
/// std::thread::sleep(Duration::from_millis(20));
/// assert!(soon.is_past());
/// assert_eq!(soon.remaining(), Duration::ZERO);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    /// The deadline `budget` from now (a duration too long to add to the clock is as good as
    /// never: about 30 years from now).
    ///
    /// See [`Deadline`] for an example.
    pub fn after(budget: Duration) -> Deadline {
        let now = Instant::now();
        Deadline::from(now, budget)
    }

    /// The deadline `budget` after `start`.
    fn from(start: Instant, budget: Duration) -> Deadline {
        const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);
        let at = start.checked_add(budget).or_else(|| start.checked_add(FAR)).unwrap_or(start);
        Deadline { at, budget }
    }

    /// The deadline at `at` (its budget is the time from now until then).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let at = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(pyro::Deadline::at(at).instant(), at);
    /// ```
    pub fn at(at: Instant) -> Deadline {
        Deadline { at, budget: at.saturating_duration_since(Instant::now()) }
    }

    /// The point in time (e.g. for `tokio::time::timeout_at`).
    ///
    /// See [`Deadline::at`] for an example.
    pub fn instant(&self) -> Instant {
        self.at
    }

    /// How much time the deadline was given when it was made.
    ///
    /// ```
    /// let d = pyro::Deadline::after(std::time::Duration::from_secs(3));
    /// assert_eq!(d.budget(), std::time::Duration::from_secs(3));
    /// ```
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// The time left (zero once it has passed).
    ///
    /// See [`Deadline`] for an example.
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Whether it has passed.
    ///
    /// See [`Deadline`] for an example.
    pub fn is_past(&self) -> bool {
        Instant::now() >= self.at
    }

    /// The earlier of the two.
    ///
    /// See [`Deadline`] for an example.
    #[must_use]
    pub fn earliest(self, other: Deadline) -> Deadline {
        if other.at < self.at { other } else { self }
    }

    /// The earlier of `a` and `b`, either of which may be none.
    ///
    /// ```
    /// use pyro::Deadline;
    /// let d = Deadline::after(std::time::Duration::from_secs(1));
    /// assert_eq!(Deadline::earliest_of(None, Some(d)), Some(d));
    /// assert_eq!(Deadline::earliest_of(None, None), None);
    /// ```
    pub fn earliest_of(a: Option<Deadline>, b: Option<Deadline>) -> Option<Deadline> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.earliest(b)),
            (a, b) => a.or(b),
        }
    }

    /// The [`Error::Timeout`] for this deadline having passed while `context` was under way.
    ///
    /// ```
    /// let d = pyro::Deadline::after(std::time::Duration::from_millis(20));
    /// let error = d.expired("calling thing.add");
    /// assert!(error.is_timeout());
    /// assert_eq!(error.to_string(), "timed out after 20ms while calling thing.add: the deadline passed");
    /// ```
    pub fn expired(&self, context: &str) -> Error {
        Error::Timeout { after: self.budget, context: format!("{context}{DEADLINE_PASSED}") }
    }
}

impl PartialOrd for Deadline {
    fn partial_cmp(&self, other: &Deadline) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Earlier deadlines are smaller.
impl Ord for Deadline {
    fn cmp(&self, other: &Deadline) -> std::cmp::Ordering {
        self.at.cmp(&other.at).then(self.budget.cmp(&other.budget))
    }
}

impl fmt::Debug for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadline").field("remaining", &self.remaining()).field("budget", &self.budget).finish()
    }
}

/// How the context of an [`Error::Timeout`] for a passed deadline ends.
pub(crate) const DEADLINE_PASSED: &str = ": the deadline passed";

thread_local! {
    /// The calling thread's current deadline ([`within`], [`enter`]).
    static THREAD: Cell<Option<Deadline>> = const { Cell::new(None) };
}

/// Puts the time left of `deadline` on `request` (the `DDLN` annotation), what a proxy does
/// before sending a call; a deadline that has passed is the [`Error::Timeout`] the call fails
/// with instead ([`Deadline::expired`] for `context`), and the request must not be sent.
///
/// ```
/// use std::time::Duration;
/// use pyro::protocol::{AnnotationId, Message, MessageType};
/// use pyro::{deadline, Deadline};
///
/// let mut request = Message::new(MessageType::Invoke, 4, vec![]);
/// deadline::stamp(&mut request, Deadline::after(Duration::from_secs(1)), "calling thing.add").unwrap();
/// let left = deadline::decode(request.annotations.get(AnnotationId::DEADLINE).unwrap()).unwrap();
/// assert!(left <= Duration::from_secs(1) && left > Duration::from_millis(900));
/// let past = deadline::stamp(&mut request, Deadline::after(Duration::ZERO), "calling thing.add");
/// assert!(past.unwrap_err().is_timeout());
/// ```
pub fn stamp(request: &mut Message, deadline: Deadline, context: &str) -> Result<(), Error> {
    let left = deadline.remaining();
    if left.is_zero() {
        return Err(deadline.expired(context));
    }
    request.annotations.insert(AnnotationId::DEADLINE, encode(left).to_vec());
    Ok(())
}

/// The deadline `budget` after `start` (the server session's, from a request's annotation).
pub(crate) fn starting(start: Instant, budget: Duration) -> Deadline {
    Deadline::from(start, budget)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_budget_is_far_away_not_a_panic() {
        let d = Deadline::after(Duration::MAX);
        assert!(!d.is_past());
        assert!(d.remaining() > Duration::from_secs(365 * 24 * 3600));
        assert_eq!(d.budget(), Duration::MAX);
    }

    #[test]
    fn a_zero_budget_is_past_at_once() {
        assert!(Deadline::after(Duration::ZERO).is_past());
    }

    #[test]
    fn deadlines_order_by_time() {
        let a = Deadline::after(Duration::from_millis(1));
        let b = Deadline::after(Duration::from_secs(1));
        assert!(a < b);
        assert_eq!(b.earliest(a), a);
        assert_eq!(Deadline::earliest_of(Some(b), Some(a)), Some(a));
    }
}

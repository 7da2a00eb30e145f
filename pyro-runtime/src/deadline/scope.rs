//! The current deadline of a thread: [`within`], [`enter`] and [`current`].

use std::cell::Cell;
use std::time::Duration;

use super::{Deadline, THREAD};

/// The current deadline: the earlier of the calling thread's ([`within`], [`enter`]) and, with
/// the `tokio` feature, the current task's ([`within_async`](super::within_async),
/// [`enter_async`](super::enter_async)); none if neither has one.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(pyro::deadline::current(), None);
/// let left = pyro::deadline::within(Duration::from_secs(1), || pyro::deadline::current().unwrap().remaining());
/// assert!(left <= Duration::from_secs(1));
/// ```
pub fn current() -> Option<Deadline> {
    let thread = THREAD.try_with(Cell::get).ok().flatten();
    #[cfg(feature = "tokio")]
    let thread = Deadline::earliest_of(thread, super::task::current());
    thread
}

/// Runs `f` with the current deadline `budget` from now, or the current one if that is
/// earlier (a scope never extends the deadline it is in); the previous deadline is back
/// afterwards, also when `f` panics. Per call: `within(Duration::from_millis(50), || proxy.add(1, 2))`.
///
/// See the [module documentation](super) for an example.
pub fn within<R>(budget: Duration, f: impl FnOnce() -> R) -> R {
    let deadline = Deadline::earliest_of(Some(Deadline::after(budget)), current());
    enter(deadline, f)
}

/// Runs `f` with the thread's current deadline set to exactly `deadline` (`None`: no
/// deadline), then puts the previous one back, also when `f` panics: what a daemon driver
/// does around a call, with the call's
/// [`CallContext::deadline`](crate::dispatch::CallContext::deadline).
///
/// ```
/// use std::time::Duration;
/// use pyro::{deadline, Deadline};
///
/// let call = Deadline::after(Duration::from_secs(2));
/// deadline::within(Duration::from_millis(10), || {
///     // A served call's deadline replaces whatever the thread had.
///     assert_eq!(deadline::enter(Some(call), deadline::current), Some(call));
///     assert_eq!(deadline::enter(None, deadline::current), None);
/// });
/// ```
pub fn enter<R>(deadline: Option<Deadline>, f: impl FnOnce() -> R) -> R {
    let _restore = Restore { previous: swap(deadline) };
    f()
}

/// Sets the thread's deadline to `deadline` until the guard is dropped (what
/// [`Request::run`](crate::session::Request::run) does around a call).
pub(crate) fn entered(deadline: Option<Deadline>) -> Restore {
    Restore { previous: swap(deadline) }
}

/// Sets the thread's deadline, giving back the previous one (none while the thread's locals
/// are being destroyed).
fn swap(deadline: Option<Deadline>) -> Option<Deadline> {
    THREAD.try_with(|cell| cell.replace(deadline)).ok().flatten()
}

/// Puts the thread's previous deadline back when dropped (also when unwinding).
pub(crate) struct Restore {
    previous: Option<Deadline>,
}

impl Drop for Restore {
    fn drop(&mut self) {
        swap(self.previous);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_restores_the_previous_deadline() {
        within(Duration::from_secs(100), || {
            let outer = current();
            let caught = std::panic::catch_unwind(|| within(Duration::from_millis(1), || panic!("boom")));
            assert!(caught.is_err());
            assert_eq!(current(), outer);
        });
        assert_eq!(current(), None);
    }

    #[test]
    fn other_threads_do_not_see_it() {
        within(Duration::from_secs(1), || {
            assert!(current().is_some());
            assert_eq!(std::thread::spawn(current).join().unwrap(), None);
        });
    }

    #[test]
    fn enter_replaces_and_restores() {
        let a = Deadline::after(Duration::from_secs(1));
        let b = Deadline::after(Duration::from_secs(2));
        enter(Some(a), || {
            // `enter` is exact: a later deadline replaces an earlier one.
            enter(Some(b), || assert_eq!(current(), Some(b)));
            assert_eq!(current(), Some(a));
        });
        assert_eq!(current(), None);
    }
}

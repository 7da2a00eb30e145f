//! The current deadline of an async task (the `tokio` feature): a `tokio::task_local!`, so it
//! holds across awaits and wherever the runtime moves the task.

use std::future::Future;
use std::time::Duration;

use super::Deadline;
use crate::Error;

tokio::task_local! {
    static TASK: Option<Deadline>;
}

/// The current task's deadline, if it is in a scope.
pub(super) fn current() -> Option<Deadline> {
    TASK.try_with(|deadline| *deadline).ok().flatten()
}

/// Runs `future` with the current deadline `budget` from now (from this call, not from the
/// first poll), or the current one if that is earlier, as [`within`](super::within) does for
/// a closure. The deadline is the future's task-local: it holds across its awaits, and is gone
/// when it completes.
///
/// ```
/// use std::time::Duration;
/// use pyro::deadline;
///
/// let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// rt.block_on(async {
///     let left = deadline::within_async(Duration::from_secs(1), async {
///         tokio::time::sleep(Duration::from_millis(10)).await;
///         deadline::current().unwrap().remaining()
///     })
///     .await;
///     assert!(left < Duration::from_secs(1));
///     assert_eq!(deadline::current(), None);
/// });
/// ```
pub fn within_async<F: Future>(budget: Duration, future: F) -> impl Future<Output = F::Output> {
    let deadline = Deadline::earliest_of(Some(Deadline::after(budget)), super::current());
    TASK.scope(deadline, future)
}

/// Runs `future` with its task's deadline set to exactly `deadline` (`None`: none), as
/// [`enter`](super::enter) does for a closure: what an async daemon does around an async
/// method's future, with the call's
/// [`CallContext::deadline`](crate::dispatch::CallContext::deadline).
///
/// ```
/// use std::time::Duration;
/// use pyro::{deadline, Deadline};
///
/// let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let call = Deadline::after(Duration::from_secs(2));
/// assert_eq!(rt.block_on(deadline::enter_async(Some(call), async { deadline::current() })), Some(call));
/// ```
pub fn enter_async<F: Future>(deadline: Option<Deadline>, future: F) -> impl Future<Output = F::Output> {
    TASK.scope(deadline, future)
}

/// Runs `future` as [`enter_async`] does and gives up on it once `deadline` has passed (it is
/// dropped then): [`Error::Timeout`] ([`Deadline::expired`]). With no deadline it runs to the
/// end. For an async daemon, around an async method's future: `bounded(ctx.deadline(), fut)`.
///
/// ```
/// use std::time::Duration;
/// use pyro::{deadline, Deadline};
///
/// let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
/// let slow = async { tokio::time::sleep(Duration::from_secs(5)).await; 1 };
/// let result = rt.block_on(deadline::bounded(Some(Deadline::after(Duration::from_millis(20))), slow));
/// assert!(result.unwrap_err().is_timeout());
/// assert_eq!(rt.block_on(deadline::bounded(None, async { 2 })).unwrap(), 2);
/// ```
pub async fn bounded<F: Future>(deadline: Option<Deadline>, future: F) -> Result<F::Output, Error> {
    let future = TASK.scope(deadline, future);
    match deadline {
        None => Ok(future.await),
        Some(deadline) => tokio::time::timeout_at(deadline.instant().into(), future)
            .await
            .map_err(|_| deadline.expired("running the call")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_task_deadline_survives_awaits_and_thread_moves() {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_time().build().unwrap();
        rt.block_on(async {
            let handle = tokio::spawn(within_async(Duration::from_secs(3), async {
                let first = super::super::current();
                for _ in 0..20 {
                    tokio::task::yield_now().await;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    assert_eq!(super::super::current(), first);
                }
                first
            }));
            assert!(handle.await.unwrap().is_some());
        });
    }

    #[test]
    fn nested_async_scopes_take_the_earlier_and_sync_scopes_inside_count() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(within_async(Duration::from_millis(100), async {
            let outer = super::super::current().unwrap();
            let inner = within_async(Duration::from_secs(100), async { super::super::current() }).await;
            assert_eq!(inner, Some(outer));
            // A blocking scope inside async code: the earlier of both is current.
            let short = super::super::within(Duration::from_millis(1), super::super::current).unwrap();
            assert!(short < outer);
        }));
    }
}

//! [`PendingReply`]: the reply of an `async fn` method, and how each kind of driver resolves it.

use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{CallContext, Reply};
use crate::protocol::Annotations;
use crate::session::panic_text;
use crate::{Error, RemoteError, Value};

/// What a pending reply yields: the reply (or error) and the response annotations the method set.
pub type PendingOutput = (Result<Reply, Error>, Annotations);

#[cfg(feature = "tokio")]
type BoxedFuture = Pin<Box<dyn Future<Output = PendingOutput> + Send + 'static>>;

/// A method's own future, boxed as it is: it gives the context back with the reply.
type BoxedCall = Pin<Box<dyn Future<Output = (CallContext, Result<Reply, Error>)> + Send + 'static>>;

/// What a [`Guarded`] polls.
enum Boxed {
    /// The method's future (no deadline: nothing around it to move it through).
    Call(BoxedCall),
    /// The method's future given up at the call's deadline.
    #[cfg(feature = "tokio")]
    Bounded(BoxedFuture),
}

/// The reply of an `async fn` method: a `'static + Send` future yielding the real reply. It is
/// itself a `Future`; the blocking drivers call [`wait`](PendingReply::wait).
///
/// The dispatch of an `async fn` method binds the arguments at once (a bad argument is an error
/// before anything runs) and hands back [`Reply::Pending`]: a future that owns everything it
/// needs — an `Arc` on the object, the bound arguments and its own copy of the
/// [`CallContext`] — so it borrows nothing from the servant or the session. A driver then
/// either awaits it (the async daemon, on its runtime, never blocking it) or waits for it
/// ([`PendingReply::wait`]: the blocking daemons, the thread pool, the multiplexed server and
/// the event loop). Waiting runs the future on a runtime shared by the process (with the
/// `tokio` feature: a small multi-threaded tokio runtime started on first use; without it: the
/// waiting thread itself), so it works from any thread, inside a tokio runtime too, never
/// panicking there.
///
/// While the future runs, the thread's [`current_context`](crate::current_context) is the
/// call's own (with its correlation id), carried from poll to poll as a task-local would be, so
/// proxy calls made by the method propagate the correlation id whichever thread polls it. A
/// panic inside the future becomes a `builtins.RuntimeError`, as for plain methods.
///
/// ```
/// use pyro::dispatch::{CallContext, PendingReply, Reply};
/// use pyro::Serializer;
///
/// let ctx = CallContext::new(Serializer::Json);
/// let pending = PendingReply::new(&ctx, |ctx| async move {
///     let reply = ctx.encode(&"later");
///     (ctx, reply)
/// });
/// let (reply, annotations) = pending.wait();
/// assert_eq!(reply.unwrap().into_bytes(Serializer::Json).unwrap(), br#""later""#);
/// assert!(annotations.is_empty());
/// ```
pub struct PendingReply {
    future: Guarded,
}

impl PendingReply {
    /// A pending reply running `call` with its own copy of `ctx` (response annotations
    /// cleared): the future gives the context back with the reply, and the response
    /// annotations it set go on the call's reply.
    ///
    /// See [`PendingReply`] for an example.
    pub fn new<F, Fut>(ctx: &CallContext, call: F) -> PendingReply
    where
        F: FnOnce(CallContext) -> Fut,
        Fut: Future<Output = (CallContext, Result<Reply, Error>)> + Send + 'static,
    {
        let mut own = ctx.clone();
        own.take_response_annotations();
        let correlation_id = ctx.correlation_id();
        let future = call(own);
        // The call's deadline is the task's while the method runs (calls it makes inherit what
        // is left of it), and the method is given up at the deadline (see `deadline`). Without
        // one there is nothing to bound (the task a driver polls this from has no deadline of
        // its own): the method's future is boxed as it is.
        #[cfg(feature = "tokio")]
        let future = match ctx.deadline() {
            None => Boxed::Call(Box::pin(future)),
            deadline => Boxed::Bounded(Box::pin(async move {
                match crate::deadline::bounded(deadline, future).await {
                    Ok((mut ctx, reply)) => (reply, ctx.take_response_annotations()),
                    Err(expired) => (Err(expired), Annotations::default()),
                }
            })),
        };
        #[cfg(not(feature = "tokio"))]
        let future = Boxed::Call(Box::pin(future));
        let task = crate::current_context::Task::serving(correlation_id);
        PendingReply { future: Guarded { task, future } }
    }

    /// Runs the future to completion on this thread's behalf and returns its output. With the
    /// `tokio` feature it runs on the process's shared runtime (so tokio timers, sockets and
    /// `tokio::spawn` work inside it) while this thread waits; this works on any thread, also
    /// on a thread inside another tokio runtime (it blocks that thread meanwhile, as any
    /// blocking method would). Without the feature it runs on this thread.
    ///
    /// See [`PendingReply`] for an example.
    pub fn wait(self) -> PendingOutput {
        #[cfg(feature = "tokio")]
        {
            crate::aio::runtime::wait(self.future)
        }
        #[cfg(not(feature = "tokio"))]
        {
            park::block_on(self.future)
        }
    }
}

impl Future for PendingReply {
    type Output = PendingOutput;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<PendingOutput> {
        Pin::new(&mut self.future).poll(cx)
    }
}

impl fmt::Debug for PendingReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PendingReply(..)")
    }
}

/// A method's future with the call's thread context around each poll, and panics caught.
/// (The future is boxed, so this is `Unpin`: no pin projection, no `unsafe`.)
struct Guarded {
    task: crate::current_context::Task,
    future: Boxed,
}

impl Future for Guarded {
    type Output = PendingOutput;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<PendingOutput> {
        let this = self.get_mut();
        let _entered = this.task.enter();
        let poll = catch_unwind(AssertUnwindSafe(|| match &mut this.future {
            Boxed::Call(future) => {
                future.as_mut().poll(cx).map(|(mut ctx, reply)| (reply, ctx.take_response_annotations()))
            }
            #[cfg(feature = "tokio")]
            Boxed::Bounded(future) => future.as_mut().poll(cx),
        }));
        match poll {
            Ok(poll) => poll,
            Err(panic) => {
                let text = panic_text(panic.as_ref());
                tracing::error!(target: "pyro::daemon", "method call user code panicked: async method panic={text}");
                let error = RemoteError::new(
                    "builtins.RuntimeError",
                    vec![Value::from(format!("async method panicked: {text}"))],
                );
                Poll::Ready((Err(error.into()), Annotations::default()))
            }
        }
    }
}

/// Without tokio: runs a future on the calling thread, parking it while the future waits.
#[cfg(not(feature = "tokio"))]
mod park {
    use std::future::Future;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    use std::thread::Thread;

    struct Unpark(Thread);

    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }

    pub(super) fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            std::thread::park();
        }
    }
}

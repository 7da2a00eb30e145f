//! [`Request`]: a decoded call as it is run on a worker, the calls of a batch in order, and the
//! [`Completed`] call the server session turns into a reply.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use uuid::Uuid;

use super::exception;
use crate::dispatch::{CallArgs, CallContext, Metadata, PendingOutput, Reply, Servant};
use crate::logging::Peer;
use crate::protocol::{Annotations, Flags, Message, MessageType};
use crate::serializer::batch_call::{BatchCall, BatchEntry};
use crate::serializer::{ExceptionWrapper, ListWriter, SerializeOptions};
use crate::value::Dict;
use crate::{Deadline, Error, RemoteError, Serializer, Value};

/// Where a reply goes and what it answers.
#[derive(Debug)]
pub(super) struct ReplyTo {
    pub(super) seq: u16,
    pub(super) correlation_id: Uuid,
    pub(super) serializer: Serializer,
    pub(super) object: String,
    pub(super) method: Arc<str>,
    pub(super) oneway: bool,
}

impl ReplyTo {
    pub(super) fn message(&self, flags: Flags, data: Vec<u8>) -> Message {
        Message::new(MessageType::Result, self.serializer.id(), data)
            .with_seq(self.seq)
            .with_flags(flags)
            .with_correlation_id(self.correlation_id)
    }
}

/// A decoded INVOKE payload.
pub(super) enum Payload {
    Call(crate::serializer::SharedCall),
    Batch(BatchCall),
}

/// What a request asks for: one call, or the calls of a batch in order (each a
/// [`BatchEntry::Call`], its method name shared by the calls of the same method).
pub(super) enum Work {
    Call(CallArgs),
    Batch(Vec<BatchEntry>),
}

/// A decoded call, ready to run: [`Request::run`] runs it (user code: on whatever thread the
/// driver chooses) and gives the [`Completed`] call back for [`ServerSession::reply`](super::ServerSession::reply)(super::ServerSession::reply).
pub struct Request {
    pub(super) to: ReplyTo,
    pub(super) servant: Arc<dyn Servant>,
    pub(super) context: CallContext,
    pub(super) work: Work,
}

impl Request {
    /// The object id called.
    ///
    /// See [`ServerSession`](super::ServerSession) for an example.
    pub fn object(&self) -> &str {
        &self.to.object
    }

    /// The method called (`"<batch>"` for a batch).
    ///
    /// See [`ServerSession`](super::ServerSession) for an example.
    pub fn method(&self) -> &str {
        &self.to.method
    }

    /// Whether the client expects no reply.
    ///
    /// See [`ServerSession`](super::ServerSession) for an example.
    pub fn is_oneway(&self) -> bool {
        self.to.oneway
    }

    /// The call's context, for the driver to add what only it knows (the client address, the
    /// daemon handle).
    ///
    /// See [`ServerSession`](super::ServerSession) for an example.
    pub fn context_mut(&mut self) -> &mut CallContext {
        &mut self.context
    }

    /// Runs the call (for a batch: each call in order, stopping at the first exception, which
    /// becomes a `Pyro5.core._ExceptionWrapper` result; a method the object does not expose
    /// aborts the whole batch with a plain exception, as in Pyro5). A panic becomes a
    /// `builtins.RuntimeError`. While it runs, the thread's
    /// [`current_context`](crate::current_context) is fresh and carries the call's correlation
    /// id, so proxy calls made by the method propagate it. An `async fn` method's reply is
    /// waited for ([`PendingReply::wait`](crate::dispatch::PendingReply::wait)).
    ///
    /// With a [deadline](crate::deadline) ([`CallContext::deadline`]): a call whose deadline
    /// has passed is not run, its outcome is an [`Error::Timeout`] (a `Pyro5.errors.TimeoutError`
    /// reply); a batch stops before the first call that would start past it; and while the
    /// method runs, the thread's [`deadline::current`](crate::deadline::current) is the call's.
    ///
    /// See [`ServerSession`](super::ServerSession) for an example.
    pub fn run(self) -> Completed {
        // A call that waited past its deadline is not run (see `deadline`).
        let Request { to, servant, context, work } = match self.unless_expired() {
            Ok(request) => request,
            Err(refused) => return refused,
        };
        // Proxy calls the method makes carry this call's correlation id and get what is left
        // of its deadline.
        let _serving = crate::current_context::serving(context.correlation_id());
        let _deadline = crate::deadline::entered(context.deadline());
        // A registered class: the instance its mode picks serves the whole request (a batch too).
        let servant = match instance_for(servant, &context) {
            Ok(servant) => servant,
            Err(error) => {
                return Completed { to, outcome: Outcome::Returned(Err(error)), annotations: Annotations::default() };
            }
        };
        let call = |ctx: &mut CallContext, method: &str, args: CallArgs| servant.call(ctx, method, args);
        execute(to, context, work, servant.metadata(), &call)
    }

    /// The call's deadline ([`CallContext::deadline`]), if the client sent one.
    ///
    /// See [`Request::unless_expired`] for an example.
    pub fn deadline(&self) -> Option<Deadline> {
        self.context.deadline()
    }

    /// The request, or, if its [deadline](crate::deadline) has passed, the [`Completed`] call
    /// that refuses it (a `Pyro5.errors.TimeoutError` reply), for the driver to hand to
    /// [`ServerSession::reply`](super::ServerSession::reply) without running anything.
    /// [`run`](Request::run) checks this first; a driver that runs calls its own way (an
    /// async method's future, under [`deadline::bounded`](crate::deadline)) checks it before.
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Flags, Message, MessageType};
    /// use pyro::session::{Action, Directory, ServerSession, Streams, DAEMON_OBJECT_ID};
    /// use pyro::{deadline, Serializer};
    /// # struct Nothing;
    /// # impl Directory for Nothing {
    /// #     fn servant(&self, _: &str) -> Option<std::sync::Arc<dyn pyro::dispatch::Servant>> { None }
    /// #     fn ids(&self) -> Vec<String> { vec![] }
    /// # }
    /// let streams = std::sync::Arc::new(Streams::new(Default::default()));
    /// let mut session = ServerSession::connected(1, Default::default()).with_streams(streams);
    /// // Asking for a stream's next item runs user code: a request for the driver.
    /// let call = Serializer::Json.encode_call(DAEMON_OBJECT_ID, "get_next_stream_item", &("x",), None::<&pyro::value::Dict>).unwrap();
    /// let mut invoke = Message::new(MessageType::Invoke, Serializer::Json.id(), call).with_seq(1);
    /// invoke.annotations.insert(AnnotationId::DEADLINE, deadline::encode(std::time::Duration::ZERO).to_vec());
    /// let Action::Dispatch(request) = session.on_message(invoke, &Nothing) else { panic!() };
    /// assert!(request.deadline().unwrap().is_past());
    /// let Err(refused) = request.unless_expired() else { panic!("expired") };
    /// let Action::SendAndClose(reply) = session.reply(refused) else { panic!() };
    /// assert!(String::from_utf8_lossy(&reply.data).contains("Pyro5.errors.TimeoutError"));
    /// ```
    // Both sides are as large as each other and moved once: boxing either gains nothing.
    #[allow(clippy::result_large_err)]
    pub fn unless_expired(self) -> Result<Request, Completed> {
        match self.context.deadline().filter(Deadline::is_past) {
            None => Ok(self),
            Some(deadline) => {
                let error = deadline.expired(&format!("waiting to run {}.{}", self.to.object, self.to.method));
                Err(Completed {
                    to: self.to,
                    outcome: Outcome::Returned(Err(error)),
                    annotations: Annotations::default(),
                })
            }
        }
    }

    /// Whether this is one call of an `async fn` method ([`Servant::is_async`]), or a batch of
    /// such calls only: running it with [`run_async`](Request::run_async) binds its arguments
    /// and awaits the method, never blocking the thread (but for a registered class's instance
    /// creation). Anything else (a plain method, a batch with one, an item of a stream) may
    /// block: an async driver runs it where blocking is harmless, e.g. on
    /// `tokio::task::spawn_blocking` with [`run`](Request::run).
    ///
    /// See [`ServerSession`](super::ServerSession) for an example.
    pub fn is_async(&self) -> bool {
        match &self.work {
            Work::Call(_) => self.servant.is_async(&self.to.method),
            // A batch of async calls only (a method not exposed ends it before anything runs).
            Work::Batch(calls) => calls.iter().all(|call| match call {
                BatchEntry::Call { method, .. } => self.servant.is_async(method),
                BatchEntry::Other(_) => false,
            }),
        }
    }

    /// [`run`](Request::run) for an async driver: the same call, batch or stream item, but the
    /// replies of `async fn` methods are awaited instead of waited for. Plain methods run
    /// inline, on the polling thread (see [`is_async`](Request::is_async)). While the async
    /// method runs, its thread context carries the call's correlation id from poll to poll
    /// (see [`PendingReply`](crate::dispatch::PendingReply)).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use pyro::dispatch::*;
    /// # use pyro::protocol::{Message, MessageType};
    /// # use pyro::session::{Action, DaemonInfo, Directory, ServerSession};
    /// # use pyro::{Error, Serializer};
    /// struct Later;
    /// impl Dispatch<Later> for Later {
    ///     fn metadata() -> Metadata { Metadata::new(["answer"], [], []) }
    ///     fn receiver(m: &str) -> Option<Receiver> { (m == "answer").then_some(Receiver::Async) }
    ///     fn invoke_shared(&self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    ///     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    ///     fn invoke_async(_: &Arc<Self>, ctx: &mut CallContext, _: &str, args: CallArgs) -> Result<Reply, Error> {
    ///         args.finish()?;
    ///         Ok(Reply::pending(ctx, |ctx| async move { let r = ctx.encode(&42); (ctx, r) }))
    ///     }
    /// }
    /// # struct One(Arc<dyn Servant>);
    /// # impl Directory for One {
    /// #     fn servant(&self, _: &str) -> Option<Arc<dyn Servant>> { Some(Arc::clone(&self.0)) }
    /// #     fn ids(&self) -> Vec<String> { vec!["later".into()] }
    /// # }
    /// let objects = One(Arc::new(Served::new(Later)));
    /// let mut session = ServerSession::connected(1, Arc::new(DaemonInfo::default()));
    /// let call = Serializer::Json.encode_call("later", "answer", &Vec::<pyro::Value>::new(), None::<&pyro::value::Dict>).unwrap();
    /// let invoke = Message::new(MessageType::Invoke, Serializer::Json.id(), call);
    /// let Action::Dispatch(request) = session.on_message(invoke, &objects) else { panic!() };
    /// assert!(request.is_async());
    /// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let completed = runtime.block_on(request.run_async());
    /// let Action::Send(reply) = session.reply(completed) else { panic!() };
    /// assert_eq!(reply.data, b"42");
    /// ```
    pub fn run_async(self) -> impl std::future::Future<Output = Completed> + Send + 'static {
        // What does not wait runs now: the deadline check, the instance, and for one call the
        // method's synchronous part (binding the arguments, making its future); what is left is
        // one flat future (see `Running`), not a stack of nested ones moved at every level.
        // A call that waited past its deadline is not run (see `deadline`).
        if self.context.deadline().is_some_and(|deadline| deadline.is_past()) {
            return Running::Ready(self.unless_expired().err());
        }
        let Request { to, servant, mut context, work } = self;
        // The thread serves the call while its synchronous part runs (entered once for both).
        let _serving = crate::current_context::serving(context.correlation_id());
        let _deadline = crate::deadline::entered(context.deadline());
        let servant = match instance_for(servant, &context) {
            Ok(servant) => servant,
            Err(error) => {
                let outcome = Outcome::Returned(Err(error));
                return Running::Ready(Some(Completed { to, outcome, annotations: Annotations::default() }));
            }
        };
        match work {
            Work::Call(args) => {
                let call = |ctx: &mut CallContext, method: &str, args: CallArgs| servant.call(ctx, method, args);
                match guarded(&call, &mut context, &to.method, args) {
                    Ok(Reply::Pending(pending)) => Running::Pending(Some(Awaiting { to, context, pending })),
                    reply => {
                        let annotations = context.take_response_annotations();
                        Running::Ready(Some(Completed { to, outcome: Outcome::Returned(reply), annotations }))
                    }
                }
            }
            Work::Batch(calls) => Running::Batch(Box::pin(execute_batch_async(to, context, calls, servant))),
        }
    }

    /// For a registered class, picks (or creates) the instance that serves this request now,
    /// as Pyro5 does before a oneway call's thread starts: a oneway call run later, after the
    /// client has gone, still has its session instance. [`run`](Request::run) then calls it.
    /// The error is the creator's (a panic in it is a `builtins.RuntimeError`).
    ///
    /// See [`ServerSession`](super::ServerSession) for an example.
    pub fn pick_instance(&mut self) -> Result<(), Error> {
        let _serving = crate::current_context::serving(self.context.correlation_id());
        self.servant = instance_for(Arc::clone(&self.servant), &self.context)?;
        Ok(())
    }
}

/// The servant that serves a call to `servant`: the instance a registered class's mode picks,
/// or `servant` itself.
fn instance_for(servant: Arc<dyn Servant>, context: &CallContext) -> Result<Arc<dyn Servant>, Error> {
    let instance = catch_unwind(AssertUnwindSafe(|| servant.instance(context))).unwrap_or_else(|panic| {
        let text = exception::panic_text(panic.as_ref());
        Err(RemoteError::new(
            "builtins.RuntimeError",
            vec![Value::from(format!("creating the instance panicked: {text}"))],
        )
        .into())
    });
    // Pyro5 logs this as an error (`log.exception`).
    let instance = instance.inspect_err(|error| {
        tracing::error!(
            target: "pyro::daemon",
            "could not create pyro object instance for {}: {error}",
            Peer(context.client_addr())
        );
    });
    Ok(instance?.unwrap_or(servant))
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("object", &self.to.object)
            .field("method", &self.to.method)
            .field("oneway", &self.to.oneway)
            .field("seq", &self.to.seq)
            .finish_non_exhaustive()
    }
}

/// Runs `work` through `call` (for a batch: checking each method against `metadata` first),
/// waiting for the replies of async methods ([`PendingReply::wait`]).
pub(super) fn execute(
    to: ReplyTo,
    mut context: CallContext,
    work: Work,
    metadata: &Metadata,
    call: &Call<'_>,
) -> Completed {
    let outcome = match work {
        Work::Call(args) => {
            Outcome::Returned(resolve_blocking(guarded(call, &mut context, &to.method, args), &mut context))
        }
        Work::Batch(calls) => {
            let mut batch = BatchRun::new(&context, calls);
            while let Some((method, args)) = batch.next_call(&to.object, metadata) {
                let reply = resolve_blocking(guarded(call, &mut context, &method, args), &mut context);
                if !batch.record(&to.object, &method, reply) {
                    break;
                }
            }
            Outcome::Batch(batch.finish())
        }
    };
    Completed { annotations: context.take_response_annotations(), outcome, to }
}

/// The future of [`Request::run_async`]: a reply that needed no waiting, an async method's
/// reply to await, or a batch of async calls.
enum Running {
    /// Done already (refused, an error, a plain method's reply); taken when polled.
    Ready(Option<Completed>),
    /// One async method's reply; taken when it is ready.
    Pending(Option<Awaiting>),
    /// A batch: its calls one after the other.
    Batch(std::pin::Pin<Box<dyn std::future::Future<Output = Completed> + Send>>),
}

/// One call whose async method's reply is awaited.
struct Awaiting {
    to: ReplyTo,
    context: CallContext,
    pending: crate::dispatch::PendingReply,
}

impl std::future::Future for Running {
    type Output = Completed;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Completed> {
        use std::task::Poll;
        let completed = match self.get_mut() {
            Running::Ready(done) => done.take(),
            Running::Batch(batch) => return batch.as_mut().poll(cx),
            Running::Pending(awaiting) => {
                let Some(waiting) = awaiting.as_mut() else { return Poll::Pending };
                let Poll::Ready(output) = std::pin::Pin::new(&mut waiting.pending).poll(cx) else {
                    return Poll::Pending;
                };
                awaiting.take().map(|Awaiting { to, mut context, .. }| {
                    let reply = finish_pending(output, &mut context);
                    Completed {
                        annotations: context.take_response_annotations(),
                        outcome: Outcome::Returned(reply),
                        to,
                    }
                })
            }
        };
        // Polled again after it was ready: a driver's bug, answered by never finishing twice.
        completed.map_or(Poll::Pending, Poll::Ready)
    }
}

/// [`execute`]'s batch for an async driver: the replies of async methods are awaited.
async fn execute_batch_async(
    to: ReplyTo,
    mut context: CallContext,
    calls: Vec<BatchEntry>,
    servant: Arc<dyn Servant>,
) -> Completed {
    let call = |ctx: &mut CallContext, method: &str, args: CallArgs| servant.call(ctx, method, args);
    let mut batch = BatchRun::new(&context, calls);
    while let Some((method, args)) = batch.next_call(&to.object, servant.metadata()) {
        let reply = guarded_serving(&call, &mut context, &method, args);
        let reply = resolve_async(reply, &mut context).await;
        if !batch.record(&to.object, &method, reply) {
            break;
        }
    }
    let outcome = Outcome::Batch(batch.finish());
    Completed { annotations: context.take_response_annotations(), outcome, to }
}

/// [`guarded`] with the thread's context serving the call (an async driver's thread serves
/// many calls: the context is set per call, around its synchronous part).
fn guarded_serving(call: &Call<'_>, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
    let _serving = crate::current_context::serving(ctx.correlation_id());
    let _deadline = crate::deadline::entered(ctx.deadline());
    guarded(call, ctx, method, args)
}

/// The reply, an async method's after waiting for it; its response annotations join the call's.
fn resolve_blocking(reply: Result<Reply, Error>, ctx: &mut CallContext) -> Result<Reply, Error> {
    match reply {
        Ok(Reply::Pending(pending)) => finish_pending(pending.wait(), ctx),
        other => other,
    }
}

/// [`resolve_blocking`], awaiting.
async fn resolve_async(reply: Result<Reply, Error>, ctx: &mut CallContext) -> Result<Reply, Error> {
    match reply {
        Ok(Reply::Pending(pending)) => finish_pending(pending.await, ctx),
        other => other,
    }
}

fn finish_pending((reply, annotations): PendingOutput, ctx: &mut CallContext) -> Result<Reply, Error> {
    for (id, value) in annotations.iter() {
        ctx.response_annotations_mut().insert(*id, value.to_vec());
    }
    if let Err(error) = &reply {
        tracing::debug!(
            target: "pyro::daemon",
            "exception occurred in method call user code: client={} async method exception={error}",
            Peer(ctx.client_addr())
        );
    }
    match reply {
        // An object by itself: registered and sent as a proxy, as a `Remote` in a typed result.
        Ok(Reply::Object(servant)) => ctx.encode(&crate::dispatch::Remote::<dyn Servant>::from_servant(servant)),
        // An async method's reply is never pending itself (the generated code encodes a value).
        Ok(Reply::Pending(_)) => Err(RemoteError::new(
            "Pyro5.errors.PyroError",
            vec![Value::from("an async method's reply was itself pending")],
        )
        .into()),
        other => other,
    }
}

/// The calls of a batch, run in order: each method is checked against the metadata (the
/// method last found exposed is not looked up again: the calls after it mostly call it again),
/// the results are gathered, and the first exception ends the batch as an exception wrapper.
struct BatchRun {
    calls: std::vec::IntoIter<BatchEntry>,
    /// The calls left are not run once it has passed (see `deadline`).
    deadline: Option<Deadline>,
    results: BatchResults,
    aborted: Option<Error>,
    exposed: Arc<str>,
}

impl BatchRun {
    fn new(context: &CallContext, calls: Vec<BatchEntry>) -> BatchRun {
        BatchRun {
            results: BatchResults::new(context, calls.len()),
            calls: calls.into_iter(),
            deadline: context.deadline(),
            aborted: None,
            exposed: Arc::from(""),
        }
    }

    /// The next call: its method (the exposed name, what it is run and reported as; the
    /// entry's own moves into the arguments) and arguments; `None` at the end, when a method
    /// the object does not expose aborts the batch, or when the deadline has passed (the
    /// results then end with a timeout exception for the first call not run).
    fn next_call(&mut self, object: &str, metadata: &Metadata) -> Option<(Arc<str>, CallArgs)> {
        if self.aborted.is_some() {
            return None;
        }
        let entry = self.calls.next()?;
        if let Some(deadline) = self.deadline.filter(Deadline::is_past) {
            // The calls left are not run: the first of them ends the results with the
            // timeout, as a failed call ends them with its exception.
            let method = match &entry {
                BatchEntry::Call { method, .. } => method.to_string(),
                BatchEntry::Other(_) => "?".to_owned(),
            };
            let error = deadline.expired(&format!("running batch call {method}"));
            self.record(object, &method, Err(error));
            return None;
        }
        let BatchEntry::Call { method, vargs, kwargs } = entry else {
            // `batch_calls` left none of these.
            self.aborted = Some(Error::Batch { message: "a batch entry that is not a call".into() });
            return None;
        };
        if !Arc::ptr_eq(&self.exposed, &method) {
            if !metadata.methods.contains(&*method) {
                self.aborted = Some(CallArgs::unknown_method(&method));
                return None;
            }
            self.exposed = Arc::clone(&method);
        }
        Some((Arc::clone(&self.exposed), CallArgs::shared(method, vargs, kwargs)))
    }

    /// Records one call's reply; `false` when the batch ends here (the call failed).
    fn record(&mut self, object: &str, method: &str, reply: Result<Reply, Error>) -> bool {
        let pushed = match reply.and_then(Reply::into_batch_result) {
            Ok(reply) => self.results.push(reply),
            Err(error) => {
                let remote = exception::remote_exception(object, method, error);
                if let Err(error) = self.results.push(Reply::Value(ExceptionWrapper(remote).to_value())) {
                    self.aborted = Some(error);
                }
                return false;
            }
        };
        if let Err(error) = pushed {
            self.aborted = Some(error);
            return false;
        }
        true
    }

    fn finish(self) -> Result<BatchResults, Error> {
        self.aborted.map_or(Ok(self.results), Err)
    }
}

type Call<'a> = dyn Fn(&mut CallContext, &str, CallArgs) -> Result<Reply, Error> + 'a;

/// Runs one call; a panic becomes a `builtins.RuntimeError`.
fn guarded(call: &Call<'_>, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
    let reply = catch_unwind(AssertUnwindSafe(|| call(ctx, method, args))).unwrap_or_else(|panic| {
        let text = exception::panic_text(panic.as_ref());
        // A panic is a bug in the method: an error, where a Python exception is only debug.
        tracing::error!(
            target: "pyro::daemon",
            "method call user code panicked: client={} method={method} panic={text}",
            Peer(ctx.client_addr())
        );
        Err(RemoteError::new("builtins.RuntimeError", vec![Value::from(format!("method '{method}' panicked: {text}"))])
            .into())
    });
    if let Err(error) = &reply {
        // Pyro5's default `methodcall_error_handler`, oneway calls included.
        tracing::debug!(
            target: "pyro::daemon",
            "exception occurred in method call user code: client={} method={method} oneway={} exception={error}",
            Peer(ctx.client_addr()),
            ctx.flags().contains(Flags::ONEWAY)
        );
    }
    match reply {
        // An object by itself: registered and sent as a proxy, as a `Remote` in a typed result.
        Ok(Reply::Object(servant)) => ctx.encode(&crate::dispatch::Remote::<dyn Servant>::from_servant(servant)),
        other => other,
    }
}

/// What came of a call.
#[derive(Debug)]
pub enum Outcome {
    /// A single call's reply or error.
    Returned(Result<Reply, Error>),
    /// A batch's results in order (ending with an exception wrapper if a call failed), or the
    /// error that aborted it.
    Batch(Result<BatchResults, Error>),
}

/// The results of a batch's calls, in order, serialized into one list as each call returns
/// (each serialized result copied in as it is, never decoded into a value again).
///
/// See [`ServerSession`](super::ServerSession) for an example.
#[derive(Debug)]
pub struct BatchResults {
    pub(super) list: ListWriter,
    ser: Serializer,
    options: SerializeOptions,
}

impl BatchResults {
    fn new(context: &CallContext, calls: usize) -> BatchResults {
        let ser = context.serializer();
        BatchResults { list: ListWriter::new(ser, calls * 4), ser, options: context.serialize_options() }
    }

    /// How many results there are.
    ///
    /// See [`ServerSession`](super::ServerSession) for an example.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    ///
    /// See [`ServerSession`](super::ServerSession) for an example.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one call's result (a serialized one's buffer is this thread's spare one again).
    fn push(&mut self, reply: Reply) -> Result<(), Error> {
        match reply {
            Reply::Encoded(bytes) => {
                self.list.push(&bytes)?;
                crate::serializer::spare_buffer::give_back(bytes);
            }
            other => self.list.push(&other.into_bytes_with(self.ser, self.options)?)?,
        }
        Ok(())
    }
}

/// A call that has run, to hand to [`ServerSession::reply`](super::ServerSession::reply)(super::ServerSession::reply).
#[derive(Debug)]
pub struct Completed {
    pub(super) to: ReplyTo,
    pub(super) outcome: Outcome,
    pub(super) annotations: Annotations,
}

impl Completed {
    /// What came of the call.
    ///
    /// See [`ServerSession`](super::ServerSession) for an example.
    pub fn outcome(&self) -> &Outcome {
        &self.outcome
    }
}

/// The calls of a batch: its positional arguments are `(method, vargs, kwargs)` triples,
/// each entry made a [`BatchEntry::Call`] in place. Python's unpacking errors for anything
/// else.
pub(super) fn batch_calls(mut entries: Vec<BatchEntry>) -> Result<Vec<BatchEntry>, Error> {
    let mut last: Option<Arc<str>> = None;
    for entry in &mut entries {
        if let BatchEntry::Other(value) = entry {
            let (name, vargs, kwargs) = batch_triple(std::mem::take(value))?;
            let method = match &last {
                Some(shared) if **shared == *name => Arc::clone(shared),
                _ => Arc::clone(last.insert(Arc::from(name))),
            };
            *entry = BatchEntry::Call { method, vargs: vargs.into(), kwargs };
        }
    }
    Ok(entries)
}

/// One batch entry that is not a plain triple of a str, a list and a dict or null: a triple
/// of other sequence types, or Python's unpacking errors.
fn batch_triple(entry: Value) -> Result<(String, Vec<Value>, Option<Dict>), Error> {
    let type_error = |text: String| Error::from(RemoteError::new("builtins.TypeError", vec![Value::from(text)]));
    let type_name = entry.type_name();
    let items = match entry {
        Value::List(items) | Value::Tuple(items) => items,
        _ => return Err(type_error(format!("cannot unpack non-iterable {type_name} object"))),
    };
    let got = items.len();
    let Ok::<[Value; 3], _>([method, vargs, kwargs]) = items.try_into() else {
        let text = if got < 3 {
            format!("not enough values to unpack (expected 3, got {got})")
        } else {
            "too many values to unpack (expected 3)".to_owned()
        };
        return Err(RemoteError::new("builtins.ValueError", vec![Value::from(text)]).into());
    };
    let Value::Str(method) = method else {
        return Err(type_error(format!("attribute name must be string, not '{}'", method.type_name())));
    };
    let vargs = match vargs {
        Value::List(items) | Value::Tuple(items) => items,
        other => {
            return Err(type_error(format!("argument after * must be an iterable, not {}", other.type_name())));
        }
    };
    let kwargs = match kwargs {
        Value::Dict(dict) => Some(dict),
        Value::None => None,
        other => {
            return Err(type_error(format!("argument after ** must be a mapping, not {}", other.type_name())));
        }
    };
    Ok((method, vargs, kwargs))
}

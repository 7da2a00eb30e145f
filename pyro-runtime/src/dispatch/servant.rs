//! [`Dispatch`] (generated per exposed type), [`Servant`] (what the daemon holds) and
//! [`Served`] (the bridge, holding the object behind the lock its receivers need).

use std::marker::PhantomData;
use std::sync::{Arc, PoisonError, RwLock};

use super::busy::Gate;
use super::{CallArgs, CallContext, Metadata, Reply};
use crate::{Error, Serializer};

/// The receiver a method takes, which decides how the daemon may call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Receiver {
    /// `&self`: may run concurrently with other `&self` methods.
    Shared,
    /// `&mut self`: runs alone.
    Exclusive,
    /// `async fn` with `&self`: called through [`Dispatch::invoke_async`] with an owned handle
    /// (an `Arc`) on the object, so that its future borrows nothing and may run anywhere; it
    /// runs concurrently with other `&self` methods. An object with such methods has no
    /// `&mut self` ones (`#[pyro::expose]` refuses them: an exclusive lock held across awaits
    /// would stall every other caller for as long as the method waits on the network; keep
    /// mutable state behind a lock of your own, e.g. a `tokio::sync::Mutex` field).
    Async,
}

/// The dispatch table of a type exposed through interface `I`: `#[pyro::expose]` on an inherent
/// impl generates `impl Dispatch<Self> for Type`; on a trait `Tr` it generates
/// `impl<T: Tr + Send + Sync + 'static> Dispatch<dyn Tr> for T`.
///
/// See the [module documentation](super) for a hand-written example.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be served as `{I}`: there is no `#[pyro::expose]` for it",
    label = "not exposed as `{I}`",
    note = "`daemon.register(object, id)` serves a type through its own `#[pyro::expose] impl {Self} {{ ... }}` block",
    note = "a type that implements an exposed trait is served through the trait: \
            `daemon.register_as::<dyn Trait, _>(object, id)`"
)]
pub trait Dispatch<I: ?Sized>: Send + Sync + 'static {
    /// The exposed names.
    fn metadata() -> Metadata;
    /// The receiver of `method`, or `None` if it is not exposed.
    fn receiver(method: &str) -> Option<Receiver>;
    /// Calls a `&self` method: binds `args`, calls, and returns the result (typed results
    /// serialized straight to bytes with the context's serializer: [`CallContext::encode`]).
    fn invoke_shared(&self, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error>;
    /// Calls a `&mut self` method.
    fn invoke_exclusive(&mut self, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error>;
    /// Calls an `async fn` method ([`Receiver::Async`]): binds `args` now and returns a
    /// [`Reply::Pending`] owning `object` (a clone of the handle). None is, unless the macro
    /// says so.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use pyro::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply, Servant, Served};
    /// use pyro::{Error, Serializer};
    ///
    /// struct Later;
    /// impl Later { async fn answer(&self) -> i64 { 42 } }
    /// // What the macro writes for `#[pyro::expose] impl Later { pub async fn answer(&self) -> i64 }`:
    /// impl Dispatch<Later> for Later {
    ///     fn metadata() -> Metadata { Metadata::new(["answer"], [], []) }
    ///     fn receiver(m: &str) -> Option<Receiver> { (m == "answer").then_some(Receiver::Async) }
    ///     fn invoke_shared(&self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    ///     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    ///     fn invoke_async(object: &Arc<Self>, ctx: &mut CallContext, _: &str, args: CallArgs) -> Result<Reply, Error> {
    ///         args.finish()?;
    ///         let object = Arc::clone(object);
    ///         Ok(Reply::pending(ctx, move |ctx| async move {
    ///             let value = object.answer().await;
    ///             let reply = ctx.encode(&value);
    ///             (ctx, reply)
    ///         }))
    ///     }
    /// }
    /// let served = Served::new(Later);
    /// assert_eq!(served.invoke("answer", CallArgs::new("answer", vec![], None), Serializer::Json).unwrap(), b"42");
    /// assert!(served.is_async("answer"));
    /// ```
    fn invoke_async(object: &Arc<Self>, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error>
    where
        Self: Sized,
    {
        let _ = (object, ctx, args);
        Err(CallArgs::unknown_method(method))
    }
    /// Whether `method` is marked `#[pyro::callback]`: its failures are reported on this side
    /// too (see [`CallbackError`](super::CallbackError)). None is, unless the macro says so.
    fn is_callback(method: &str) -> bool {
        let _ = method;
        false
    }
}

/// The dispatch table of a remote interface (an exposed trait), implemented by the trait's
/// object type for every implementor: `#[pyro::expose]` on a trait `Tr` generates
/// `impl<T: Tr + Send + Sync + 'static> Interface<T> for dyn Tr`. (The orphan rule forbids the
/// generated code from writing `impl<T: Tr> Dispatch<dyn Tr> for T` in the user's crate; this
/// blanket impl writes it here.) Every `I: Interface<T>` makes `T` a [`Dispatch<I>`].
///
/// ```
/// use pyro::dispatch::{CallArgs, CallContext, Interface, Metadata, Receiver, Reply, Servant, Served};
/// use pyro::{Error, Serializer};
///
/// trait Greeter { fn greet(&self) -> String; }
/// struct English;
/// impl Greeter for English { fn greet(&self) -> String { "hello".into() } }
///
/// // What the macro writes for `#[pyro::expose] trait Greeter`:
/// impl<T: Greeter + Send + Sync + 'static> Interface<T> for dyn Greeter {
///     fn metadata() -> Metadata { Metadata::new(["greet"], [], []) }
///     fn receiver(method: &str) -> Option<Receiver> { (method == "greet").then_some(Receiver::Shared) }
///     fn invoke_shared(object: &T, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
///         match method {
///             "greet" => { args.finish()?; ctx.encode(&object.greet()) }
///             _ => Err(CallArgs::unknown_method(method)),
///         }
///     }
///     fn invoke_exclusive(_: &mut T, _: &mut CallContext, method: &str, _: CallArgs) -> Result<Reply, Error> {
///         Err(CallArgs::unknown_method(method))
///     }
/// }
///
/// let served = Served::<English, dyn Greeter>::with_interface(English);
/// let reply = served.invoke("greet", CallArgs::new("greet", vec![], None), Serializer::Json).unwrap();
/// assert_eq!(reply, br#""hello""#);
/// ```
pub trait Interface<T>: 'static {
    /// The exposed names.
    fn metadata() -> Metadata;
    /// The receiver of `method`, or `None` if it is not exposed.
    fn receiver(method: &str) -> Option<Receiver>;
    /// Calls a `&self` method of `object`.
    fn invoke_shared(object: &T, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error>;
    /// Calls a `&mut self` method of `object`.
    fn invoke_exclusive(object: &mut T, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error>;
    /// Calls an `async fn` method of `object` (see [`Dispatch::invoke_async`]).
    fn invoke_async(object: &Arc<T>, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
        let _ = (object, ctx, args);
        Err(CallArgs::unknown_method(method))
    }
    /// Whether `method` is marked `#[pyro::callback]` (see [`Dispatch::is_callback`]).
    fn is_callback(method: &str) -> bool {
        let _ = method;
        false
    }
}

impl<T, I> Dispatch<I> for T
where
    T: Send + Sync + 'static,
    I: Interface<T> + ?Sized,
{
    fn metadata() -> Metadata {
        I::metadata()
    }
    fn receiver(method: &str) -> Option<Receiver> {
        I::receiver(method)
    }
    fn invoke_shared(&self, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
        I::invoke_shared(self, ctx, method, args)
    }
    fn invoke_exclusive(&mut self, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
        I::invoke_exclusive(self, ctx, method, args)
    }
    fn invoke_async(object: &Arc<Self>, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
        I::invoke_async(object, ctx, method, args)
    }
    fn is_callback(method: &str) -> bool {
        I::is_callback(method)
    }
}

/// An object as the daemon serves it: its metadata and a way to call its methods.
/// `Send + Sync`: the daemon calls it from many threads.
pub trait Servant: Send + Sync + 'static {
    /// The exposed names.
    fn metadata(&self) -> &Metadata;
    /// Calls `method` in the call's context and returns its reply, or the error to send back.
    fn call(&self, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error>;

    /// The object that serves a request made in `ctx`: `None` (the default) for this servant
    /// itself; for a registered class, the instance its
    /// [`InstanceMode`](crate::daemon::InstanceMode) picks, created now if need be. The
    /// session asks once per request, so the calls of a batch share one instance (as in Pyro5).
    fn instance(&self, ctx: &CallContext) -> Result<Option<Arc<dyn Servant>>, Error> {
        let _ = ctx;
        Ok(None)
    }

    /// Whether `method` is an `async fn` ([`Receiver::Async`]): its call returns at once with a
    /// [`Reply::Pending`], so an async driver may make it on its runtime. `false` (the
    /// default) for anything else, which may block.
    ///
    /// See [`Dispatch::invoke_async`] for an example.
    fn is_async(&self, method: &str) -> bool {
        let _ = method;
        false
    }

    /// Calls `method` outside any daemon (a fresh [`CallContext`] in `ser`) and returns the
    /// serialized result (an async method's after waiting for it: [`PendingReply::wait`]):
    /// handy for tests and direct use.
    ///
    /// [`PendingReply::wait`]: super::PendingReply::wait
    fn invoke(&self, method: &str, args: CallArgs, ser: Serializer) -> Result<Vec<u8>, Error> {
        match self.call(&mut CallContext::new(ser), method, args)? {
            Reply::Pending(pending) => pending.wait().0?.into_bytes(ser),
            reply => reply.into_bytes(ser),
        }
    }
}

/// An exposed object ready to serve, behind the lock its receivers need: none when every method
/// takes `&self` (calls run concurrently), a read-write lock when some take `&mut self`. A
/// callback that would wait for the method whose remote call it comes from fails instead of
/// waiting (it would deadlock): see [`BUSY_MESSAGE`](super::BUSY_MESSAGE).
///
/// ```
/// # use pyro::dispatch::*;
/// # use pyro::{Error, Serializer};
/// # struct Thing;
/// # impl Dispatch<Thing> for Thing {
/// #     fn metadata() -> Metadata { Metadata::new(["ping"], [], []) }
/// #     fn receiver(m: &str) -> Option<Receiver> { (m == "ping").then_some(Receiver::Shared) }
/// #     fn invoke_shared(&self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; c.encode(&()) }
/// #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
/// # }
/// let servant: Box<dyn Servant> = Box::new(Served::new(Thing));
/// assert!(servant.invoke("nope", CallArgs::new("nope", vec![], None), Serializer::Json).is_err());
/// ```
pub struct Served<T, I: ?Sized = T> {
    cell: Cell<T>,
    /// Shared by the instances of a registered class.
    metadata: Arc<Metadata>,
    interface: PhantomData<fn() -> Box<I>>,
}

enum Cell<T> {
    /// No lock: every method takes `&self`. In an `Arc`, so that an async method's future can
    /// own a handle on the object.
    Shared(Arc<T>),
    /// The lock, and the gate deciding who may take it (never waiting for a method that waits
    /// for a remote call).
    Locked(RwLock<T>, Arc<Gate>),
}

impl<T: Dispatch<T>> Served<T, T> {
    /// Serves `object` through its own exposed methods.
    ///
    /// See [`Served`] for an example.
    pub fn new(object: T) -> Served<T, T> {
        Served::with_interface(object)
    }
}

impl<T, I> Served<T, I>
where
    T: Dispatch<I>,
    I: ?Sized + 'static,
{
    /// Serves `object` through interface `I` (an exposed trait, as `dyn Trait`).
    ///
    /// See [`Served`] for an example.
    pub fn with_interface(object: T) -> Served<T, I> {
        Served::with_metadata(object, Arc::new(T::metadata()))
    }

    /// Serves `object` with `metadata`, `T`'s own, computed once for all the instances of a
    /// registered class.
    pub(crate) fn with_metadata(object: T, metadata: Arc<Metadata>) -> Served<T, I> {
        // Attributes are read and written through `__getattr__`/`__setattr__`, which have receivers too.
        let needs_lock = metadata
            .methods
            .iter()
            .map(String::as_str)
            .chain(super::attributes::ACCESS_METHODS)
            .any(|m| T::receiver(m) == Some(Receiver::Exclusive));
        let cell =
            if needs_lock { Cell::Locked(RwLock::new(object), Arc::default()) } else { Cell::Shared(Arc::new(object)) };
        Served { cell, metadata, interface: PhantomData }
    }
}

impl<T, I> Servant for Served<T, I>
where
    T: Dispatch<I>,
    I: ?Sized + 'static,
{
    fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    fn is_async(&self, method: &str) -> bool {
        T::receiver(method) == Some(Receiver::Async)
    }

    fn call(&self, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
        let receiver = T::receiver(method).ok_or_else(|| CallArgs::unknown_method(method))?;
        if T::is_callback(method) {
            super::callback::run(ctx, method, |ctx| self.dispatch(ctx, method, receiver, args))
        } else {
            self.dispatch(ctx, method, receiver, args)
        }
    }
}

impl<T, I> Served<T, I>
where
    T: Dispatch<I>,
    I: ?Sized + 'static,
{
    fn dispatch(
        &self,
        ctx: &mut CallContext,
        method: &str,
        receiver: Receiver,
        args: CallArgs,
    ) -> Result<Reply, Error> {
        // A method that panicked while holding the lock leaves the object as it was at the
        // panic; the daemon goes on serving it (the panic was reported to that caller).
        match (&self.cell, receiver) {
            (Cell::Shared(object), Receiver::Async) => T::invoke_async(object, ctx, method, args),
            (Cell::Shared(object), _) => T::invoke_shared(object, ctx, method, args),
            (Cell::Locked(..), Receiver::Async) => Err(crate::RemoteError::new(
                "Pyro5.errors.PyroError",
                vec![crate::Value::from(format!(
                    "async method '{method}' cannot be called on an object that has `&mut self` methods"
                ))],
            )
            .into()),
            (Cell::Locked(lock, gate), Receiver::Shared) => {
                let _entered = gate.enter(false, ctx.correlation_id())?;
                lock.read().unwrap_or_else(PoisonError::into_inner).invoke_shared(ctx, method, args)
            }
            (Cell::Locked(lock, gate), Receiver::Exclusive) => {
                let _entered = gate.enter(true, ctx.correlation_id())?;
                lock.write().unwrap_or_else(PoisonError::into_inner).invoke_exclusive(ctx, method, args)
            }
        }
    }
}

//! Registering objects and classes with a [`Daemon`], and unregistering them.

use std::sync::Arc;

use super::autoproxy;
use super::class::{Class, InstanceMode};
use super::{DAEMON_OBJECT_ID, Daemon};
use crate::dispatch::{CallContext, Dispatch, IntoRemoteError, Servant, Served};
use crate::{Error, Uri};

impl Daemon {
    /// Registers an exposed object (`#[pyro::expose]` on its inherent impl) as `id`, or under a
    /// generated id (`"obj_"` + 32 hex digits) for `None`; returns its URI. An id already in use
    /// is an [`Error::Daemon`].
    ///
    /// See the [module documentation](super) for an example.
    pub fn register<T: Dispatch<T>>(&self, object: T, id: Option<&str>) -> Result<Uri, Error> {
        self.register_servant(Arc::new(Served::new(object)), id)
    }

    /// Registers an object exposed through the trait `I` (`register_as::<dyn Trait, _>(...)`).
    ///
    /// ```no_run
    /// # fn demo<T: pyro::dispatch::Dispatch<dyn std::any::Any + Send + Sync>>(daemon: &pyro::daemon::Daemon, object: T) {
    /// // with `#[pyro::expose] trait Shop { ... }` and `impl Shop for MyShop`:
    /// // daemon.register_as::<dyn Shop, _>(MyShop::new(), Some("shop"))
    /// let uri = daemon.register_as::<dyn std::any::Any + Send + Sync, _>(object, Some("shop")).unwrap();
    /// # }
    /// ```
    pub fn register_as<I, T>(&self, object: T, id: Option<&str>) -> Result<Uri, Error>
    where
        I: ?Sized + 'static,
        T: Dispatch<I>,
    {
        self.register_servant(Arc::new(Served::<T, I>::with_interface(object)), id)
    }

    /// Registers the class `T` instead of an instance (Pyro5's `register(SomeClass)`): each
    /// request is served by an instance that `mode` picks, made with `T::default()` when one
    /// is needed. Clients see `T`'s metadata, as Pyro5 gives a class's; see the [module
    /// documentation](super#instance-modes).
    ///
    /// ```
    /// # use pyro::dispatch::*;
    /// # use pyro::{Error, Serializer};
    /// # #[derive(Default)]
    /// # struct Counter(i64);
    /// # impl Dispatch<Counter> for Counter {
    /// #     fn metadata() -> Metadata { Metadata::new(["next"], [], []) }
    /// #     fn receiver(m: &str) -> Option<Receiver> { (m == "next").then_some(Receiver::Exclusive) }
    /// #     fn invoke_shared(&self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    /// #     fn invoke_exclusive(&mut self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; self.0 += 1; c.encode(&self.0) }
    /// # }
    /// use pyro::daemon::{Daemon, InstanceMode};
    /// let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    /// let uri = daemon.register_class::<Counter>(InstanceMode::Session, Some("counter")).unwrap();
    /// assert_eq!(daemon.registered(), ["Pyro.Daemon", "counter"]);
    /// # let _ = uri;
    /// ```
    pub fn register_class<T: Dispatch<T> + Default>(&self, mode: InstanceMode, id: Option<&str>) -> Result<Uri, Error> {
        self.register_class_with::<T>(mode, |_: &CallContext| T::default(), id)
    }

    /// Registers the class `T` with an instance creator (Pyro5's `instance_creator`): `create`
    /// makes each instance `mode` needs, seeing the context of the call that needs it (e.g.
    /// its correlation id or client address). A creator that panics fails that call with a
    /// `builtins.RuntimeError`.
    ///
    /// ```
    /// # use pyro::dispatch::*;
    /// # use pyro::{Error, Serializer};
    /// # struct Greeter(String);
    /// # impl Dispatch<Greeter> for Greeter {
    /// #     fn metadata() -> Metadata { Metadata::new(["hello"], [], []) }
    /// #     fn receiver(m: &str) -> Option<Receiver> { (m == "hello").then_some(Receiver::Shared) }
    /// #     fn invoke_shared(&self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; c.encode(&self.0) }
    /// #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    /// # }
    /// use pyro::daemon::{Daemon, InstanceMode};
    /// let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    /// let create = |ctx: &pyro::dispatch::CallContext| Greeter(format!("hello, {:?}", ctx.client_addr()));
    /// daemon.register_class_with(InstanceMode::Percall, create, Some("greeter")).unwrap();
    /// ```
    pub fn register_class_with<T: Dispatch<T>>(
        &self,
        mode: InstanceMode,
        create: impl Fn(&CallContext) -> T + Send + Sync + 'static,
        id: Option<&str>,
    ) -> Result<Uri, Error> {
        self.register_servant(Arc::new(Class::<T, T>::new(mode, Box::new(move |ctx| Ok(create(ctx))))), id)
    }

    /// Registers the class `T` with an instance creator that may fail (a Python `__init__` or
    /// `instance_creator` that raises): its `Err` becomes the exception of the call that
    /// needed the instance, converted as a method's error is ([`IntoRemoteError`]: a
    /// [`RemoteError`](crate::RemoteError), an [`Error`], or a `#[derive(pyro::RemoteError)]`
    /// enum). No instance is kept, so the next call that needs one runs `create` again, in
    /// every mode, as Pyro5 does.
    ///
    /// ```
    /// # use pyro::dispatch::*;
    /// # use pyro::Error;
    /// # struct Greeter(String);
    /// # impl Dispatch<Greeter> for Greeter {
    /// #     fn metadata() -> Metadata { Metadata::new(["hello"], [], []) }
    /// #     fn receiver(m: &str) -> Option<Receiver> { (m == "hello").then_some(Receiver::Shared) }
    /// #     fn invoke_shared(&self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; c.encode(&self.0) }
    /// #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    /// # }
    /// use pyro::daemon::{Daemon, InstanceMode};
    /// use pyro::proxy::Proxy;
    /// use pyro::{RemoteError, Value};
    ///
    /// let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    /// let tries = std::sync::atomic::AtomicU32::new(0);
    /// let create = move |_: &CallContext| match tries.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
    ///     0 => Err(RemoteError::new("builtins.KeyError", vec![Value::from("USER")])),
    ///     _ => Ok(Greeter("hello".into())),
    /// };
    /// let uri = daemon.register_class_try_with(InstanceMode::Session, create, Some("greeter")).unwrap();
    /// let shutdown = daemon.shutdown_handle();
    /// let server = std::thread::spawn(move || daemon.request_loop());
    /// let proxy = Proxy::new(uri);
    /// let Err(Error::Remote(error)) = proxy.call::<_, String>("hello", &()) else { panic!() };
    /// assert_eq!((error.class.as_str(), error.message.as_str()), ("builtins.KeyError", "USER"));
    /// assert_eq!(proxy.call::<_, String>("hello", &()).unwrap(), "hello"); // created this time
    /// # drop(proxy);
    /// shutdown.shutdown();
    /// server.join().unwrap().unwrap();
    /// ```
    pub fn register_class_try_with<T, E>(
        &self,
        mode: InstanceMode,
        create: impl Fn(&CallContext) -> Result<T, E> + Send + Sync + 'static,
        id: Option<&str>,
    ) -> Result<Uri, Error>
    where
        T: Dispatch<T>,
        E: IntoRemoteError,
    {
        self.register_class_try_as::<T, T, E>(mode, create, id)
    }

    /// Registers the class `T` exposed through the trait `I` (`register_class_as::<dyn Trait,
    /// _>(...)`), with an instance creator: [`register_class_with`](Daemon::register_class_with)
    /// for an exposed trait.
    ///
    /// ```
    /// use pyro::daemon::{Daemon, InstanceMode};
    /// use pyro::dispatch::*;
    /// use pyro::{proxy::Proxy, Error};
    ///
    /// trait Visits { fn visit(&mut self) -> u32; }
    /// struct Door(u32);
    /// impl Visits for Door { fn visit(&mut self) -> u32 { self.0 += 1; self.0 } }
    /// // What `#[pyro::expose]` writes for `trait Visits`:
    /// impl<T: Visits + Send + Sync + 'static> Interface<T> for dyn Visits {
    ///     fn metadata() -> Metadata { Metadata::new(["visit"], [], []) }
    ///     fn receiver(m: &str) -> Option<Receiver> { (m == "visit").then_some(Receiver::Exclusive) }
    ///     fn invoke_shared(_: &T, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> {
    ///         Err(CallArgs::unknown_method(m))
    ///     }
    ///     fn invoke_exclusive(object: &mut T, ctx: &mut CallContext, _: &str, args: CallArgs) -> Result<Reply, Error> {
    ///         args.finish()?;
    ///         ctx.encode(&object.visit())
    ///     }
    /// }
    ///
    /// let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    /// let uri = daemon.register_class_as::<dyn Visits, _>(InstanceMode::Single, |_| Door(10), Some("door")).unwrap();
    /// let shutdown = daemon.shutdown_handle();
    /// let server = std::thread::spawn(move || daemon.request_loop());
    /// assert_eq!(Proxy::new(uri.clone()).call::<_, u32>("visit", &()).unwrap(), 11);
    /// assert_eq!(Proxy::new(uri).call::<_, u32>("visit", &()).unwrap(), 12); // one instance for all
    /// shutdown.shutdown();
    /// server.join().unwrap().unwrap();
    /// ```
    pub fn register_class_as<I, T>(
        &self,
        mode: InstanceMode,
        create: impl Fn(&CallContext) -> T + Send + Sync + 'static,
        id: Option<&str>,
    ) -> Result<Uri, Error>
    where
        I: ?Sized + 'static,
        T: Dispatch<I>,
    {
        self.register_servant(Arc::new(Class::<T, I>::new(mode, Box::new(move |ctx| Ok(create(ctx))))), id)
    }

    /// Registers the class `T` exposed through the trait `I`, with an instance creator that
    /// may fail: [`register_class_try_with`](Daemon::register_class_try_with) for an exposed
    /// trait.
    ///
    /// ```
    /// # use pyro::dispatch::*;
    /// # use pyro::Error;
    /// # struct Door;
    /// # impl Dispatch<dyn std::any::Any + Send + Sync> for Door {
    /// #     fn metadata() -> Metadata { Metadata::new(["open"], [], []) }
    /// #     fn receiver(m: &str) -> Option<Receiver> { (m == "open").then_some(Receiver::Shared) }
    /// #     fn invoke_shared(&self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; c.encode(&()) }
    /// #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    /// # }
    /// use pyro::daemon::{Daemon, InstanceMode};
    /// let daemon = Daemon::bind("127.0.0.1", 0).unwrap();
    /// // with `#[pyro::expose] trait Doors { ... }`: register_class_try_as::<dyn Doors, _, _>(...)
    /// let create = |_: &CallContext| -> Result<Door, Error> { Ok(Door) };
    /// daemon.register_class_try_as::<dyn std::any::Any + Send + Sync, _, _>(InstanceMode::Single, create, Some("door")).unwrap();
    /// ```
    pub fn register_class_try_as<I, T, E>(
        &self,
        mode: InstanceMode,
        create: impl Fn(&CallContext) -> Result<T, E> + Send + Sync + 'static,
        id: Option<&str>,
    ) -> Result<Uri, Error>
    where
        I: ?Sized + 'static,
        T: Dispatch<I>,
        E: IntoRemoteError,
    {
        let create = move |ctx: &CallContext| create(ctx).map_err(IntoRemoteError::into_remote_error);
        self.register_servant(Arc::new(Class::<T, I>::new(mode, Box::new(create))), id)
    }

    /// Registers any [`Servant`] (e.g. a hand-written one, or one shared between daemons).
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
    /// use std::sync::Arc;
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// let servant: Arc<dyn Servant> = Arc::new(Served::new(Thing));
    /// let uri = daemon.register_servant(servant, None).unwrap();
    /// assert!(uri.object().starts_with("obj_") && uri.object().len() == 36);
    /// ```
    pub fn register_servant(&self, servant: Arc<dyn Servant>, id: Option<&str>) -> Result<Uri, Error> {
        let id = match id {
            Some(id) if !id.is_empty() => id.to_owned(),
            _ => autoproxy::generated_id(),
        };
        let uri = self.uri_for(&id)?;
        if !self.inner.registry.insert(&id, servant) {
            return Err(Error::Daemon { message: "an object or class is already registered with that id".into() });
        }
        Ok(uri)
    }

    /// Removes the object `id`; `true` if it was registered. `Pyro.Daemon` cannot be removed
    /// (`false`, as Pyro5 silently ignores it).
    ///
    /// ```
    /// let daemon = pyro::daemon::Daemon::bind("127.0.0.1", 0).unwrap();
    /// assert!(!daemon.unregister("Pyro.Daemon"));
    /// assert!(!daemon.unregister("nothing"));
    /// ```
    pub fn unregister(&self, id: &str) -> bool {
        id != DAEMON_OBJECT_ID && self.inner.registry.remove(id)
    }

    /// The ids of the registered objects, in registration order (`Pyro.Daemon` first).
    ///
    /// See the [module documentation](super) for an example.
    pub fn registered(&self) -> Vec<String> {
        let mut ids = vec![DAEMON_OBJECT_ID.to_owned()];
        ids.extend(self.inner.registry.ids());
        ids
    }
}

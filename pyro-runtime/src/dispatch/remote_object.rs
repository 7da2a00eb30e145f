//! [`Remote`]: an object a method returns by reference, to be served by the daemon and sent to
//! the caller as a proxy (Pyro5's autoproxy), and [`Exposed`], which names the
//! typed proxy a Rust client receives for it.

use std::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

use super::{Dispatch, Servant, Served};
use crate::serializer::ProxyState;

/// A type or trait exposed with `#[pyro::expose]`, and the typed proxy generated for it: what a
/// Rust client receives for a [`Remote<Self>`] (the macro writes `impl Exposed for Thing { type
/// Proxy = ThingProxy; }`, and `impl Exposed for dyn Trait` for a trait).
///
/// ```
/// use pyro::dispatch::Exposed;
/// struct Thing;
/// struct ThingProxy(pyro::proxy::Proxy);
/// impl Exposed for Thing {
///     type Proxy = ThingProxy;
/// }
/// fn _received(_: <Thing as Exposed>::Proxy) {}
/// ```
pub trait Exposed {
    /// The typed proxy (`ThingProxy`).
    type Proxy;
}

/// How long an object sent as a [`Remote`] stays registered.
///
/// ```
/// use pyro::dispatch::Lifetime;
/// assert_eq!(Lifetime::default(), Lifetime::Session);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lifetime {
    /// Until the client connection that received it closes (or it is unregistered).
    #[default]
    Session,
    /// Until it is unregistered explicitly ([`Daemon::unregister`](crate::Daemon::unregister)),
    /// as every autoproxied object in Pyro5.
    Daemon,
}

/// What a [`Remote`] stands for.
pub(crate) enum Target {
    /// An object to register when the reply is serialized.
    New { servant: Arc<dyn Servant>, id: Option<String>, lifetime: Lifetime },
    /// An object the daemon serves already.
    Registered(String),
    /// Serialized once already: the proxy it became.
    Sent(ProxyState),
}

/// An exposed object returned by reference: the caller receives a proxy for it (Pyro5's
/// autoproxy). `T` is the exposed type (`Remote<Thing>`) or trait (`Remote<dyn Shop>`).
///
/// When the reply is serialized, a [new](Remote::new) object is registered with the daemon
/// serving the call under a generated id (`"obj_"` + 32 hex digits, or [`with_id`](Remote::with_id)),
/// and the reply carries a `Pyro5.client.Proxy` for it, with the object's metadata and a uri at
/// the daemon's NAT location if it has one. [`Remote::registered`] sends a proxy for an object
/// registered already. A Python client gets a `Pyro5.api.Proxy`; a Rust client's typed proxy
/// returns the object's typed proxy (`ThingProxy` for `Remote<Thing>`, also inside a `Vec`,
/// `Option`, tuple or `Result`), an untyped call a [`Proxy`](crate::proxy::Proxy).
///
/// # Lifetime
///
/// Pyro5 never unregisters autoproxied objects. Here a new object lives, by default, until the
/// client connection whose call returned it closes ([`Lifetime::Session`]): then the daemon
/// unregisters it, and drops it when no call is using it any more. Proxies for it that the client
/// opened meanwhile (they are connections of their own) fail from then on with Pyro5's
/// `DaemonError("unknown object")`. [`daemon_wide`](Remote::daemon_wide) keeps it until it is
/// unregistered explicitly ([`Daemon::unregister`](crate::Daemon::unregister),
/// [`ShutdownHandle::unregister`](crate::ShutdownHandle::unregister)); that also ends a session
/// object early. Objects in a reply that is never sent (a oneway call's) are registered all the same
/// and go with the session.
///
/// # Serializers
///
/// Not with marshal (as in Pyro5): the reply is then a `SerializeError`. A `Remote` serialized
/// anywhere but in the result of a method a daemon serves (an argument, a stream item) is a
/// serialization error too; to pass an object of one's own, send [`Daemon::proxy_for`](crate::Daemon::proxy_for).
///
/// ```
/// use pyro::dispatch::{Dispatch, Remote};
/// # use pyro::dispatch::*;
/// # use pyro::Error;
/// # struct Thing(u32);
/// # impl Dispatch<Thing> for Thing {
/// #     fn metadata() -> Metadata { Metadata::new(["speak"], [], []) }
/// #     fn receiver(m: &str) -> Option<Receiver> { (m == "speak").then_some(Receiver::Shared) }
/// #     fn invoke_shared(&self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; c.encode(&()) }
/// #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
/// # }
///
/// // In an exposed factory: `pub fn create(&self, n: u32) -> Remote<Thing> { Remote::new(Thing(n)) }`
/// let thing: Remote<Thing> = Remote::new(Thing(1));
/// let kept: Remote<Thing> = Remote::new(Thing(2)).with_id("thing2").daemon_wide();
/// let known: Remote<Thing> = Remote::registered("thing3");
/// // Outside a daemon's reply there is nowhere to register them:
/// assert!(pyro::Serializer::Json.to_bytes(&thing).is_err());
/// # let _ = (kept, known);
/// ```
pub struct Remote<T: ?Sized> {
    target: Mutex<Target>,
    interface: PhantomData<fn() -> Box<T>>,
}

impl<T: ?Sized + 'static> Remote<T> {
    /// A new object to serve through `T` (its own type, or an exposed trait it implements),
    /// registered when the reply is sent, for the session ([`Lifetime::Session`]).
    ///
    /// See [`Remote`] for an example.
    pub fn new<O: Dispatch<T>>(object: O) -> Remote<T> {
        Remote::from_servant(Arc::new(Served::<O, T>::with_interface(object)))
    }

    /// A new object served by `servant` (e.g. a hand-written [`Servant`]).
    ///
    /// ```
    /// # use pyro::dispatch::*;
    /// # use pyro::Error;
    /// # struct Thing;
    /// # impl Dispatch<Thing> for Thing {
    /// #     fn metadata() -> Metadata { Metadata::new(["ping"], [], []) }
    /// #     fn receiver(m: &str) -> Option<Receiver> { (m == "ping").then_some(Receiver::Shared) }
    /// #     fn invoke_shared(&self, c: &mut CallContext, _: &str, a: CallArgs) -> Result<Reply, Error> { a.finish()?; c.encode(&()) }
    /// #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> { Err(CallArgs::unknown_method(m)) }
    /// # }
    /// let remote: Remote<Thing> = Remote::from_servant(std::sync::Arc::new(Served::new(Thing)));
    /// # let _ = remote;
    /// ```
    pub fn from_servant(servant: Arc<dyn Servant>) -> Remote<T> {
        Remote::with_target(Target::New { servant, id: None, lifetime: Lifetime::Session })
    }

    /// The object the daemon serving the call has registered as `id`; the reply fails with a
    /// `SerializeError` if there is none.
    ///
    /// See [`Remote`] for an example.
    pub fn registered(id: impl Into<String>) -> Remote<T> {
        Remote::with_target(Target::Registered(id.into()))
    }

    /// Registers a new object as `id` instead of a generated id (the reply fails if the id is
    /// taken). No effect on [`registered`](Remote::registered) objects.
    ///
    /// See [`Remote`] for an example.
    #[must_use]
    pub fn with_id(self, id: impl Into<String>) -> Remote<T> {
        self.update(|target| {
            if let Target::New { id: slot, .. } = target {
                *slot = Some(id.into());
            }
        })
    }

    /// Keeps a new object registered until it is unregistered explicitly ([`Lifetime::Daemon`]).
    ///
    /// See [`Remote`] for an example.
    #[must_use]
    pub fn daemon_wide(self) -> Remote<T> {
        self.with_lifetime(Lifetime::Daemon)
    }

    /// Sets how long a new object stays registered.
    ///
    /// ```
    /// # use pyro::dispatch::*;
    /// # struct Thing;
    /// let remote = Remote::<Thing>::registered("x").with_lifetime(Lifetime::Daemon);
    /// assert_eq!(remote.lifetime(), None);
    /// ```
    #[must_use]
    pub fn with_lifetime(self, lifetime: Lifetime) -> Remote<T> {
        self.update(|target| {
            if let Target::New { lifetime: slot, .. } = target {
                *slot = lifetime;
            }
        })
    }

    /// The lifetime of a new object (`None` for a registered one or one sent already).
    ///
    /// ```
    /// # use pyro::dispatch::*;
    /// # struct Thing;
    /// # impl Dispatch<Thing> for Thing {
    /// #     fn metadata() -> Metadata { Metadata::new(["ping"], [], []) }
    /// #     fn receiver(m: &str) -> Option<Receiver> { None }
    /// #     fn invoke_shared(&self, c: &mut CallContext, m: &str, a: CallArgs) -> Result<Reply, pyro::Error> { Err(CallArgs::unknown_method(m)) }
    /// #     fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, pyro::Error> { Err(CallArgs::unknown_method(m)) }
    /// # }
    /// assert_eq!(Remote::<Thing>::new(Thing).daemon_wide().lifetime(), Some(Lifetime::Daemon));
    /// ```
    pub fn lifetime(&self) -> Option<Lifetime> {
        match &*self.target.lock().unwrap_or_else(PoisonError::into_inner) {
            Target::New { lifetime, .. } => Some(*lifetime),
            _ => None,
        }
    }

    fn with_target(target: Target) -> Remote<T> {
        Remote { target: Mutex::new(target), interface: PhantomData }
    }

    fn update(self, change: impl FnOnce(&mut Target)) -> Remote<T> {
        change(&mut self.target.lock().unwrap_or_else(PoisonError::into_inner));
        self
    }
}

/// Registers the object (if new) with the daemon whose reply is being serialized and writes the
/// proxy for it (a `Pyro5.client.Proxy` class dict); an error outside a daemon's reply and
/// with marshal.
impl<T: ?Sized> Serialize for Remote<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let state = {
            let mut target = self.target.lock().unwrap_or_else(PoisonError::into_inner);
            let state = crate::daemon::autoproxy::send(&target).map_err(serde::ser::Error::custom)?;
            *target = Target::Sent(state.clone());
            state
        };
        state.serialize(serializer)
    }
}

impl<T: ?Sized> fmt::Debug for Remote<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.target.lock().unwrap_or_else(PoisonError::into_inner) {
            Target::New { id, lifetime, .. } => {
                f.debug_struct("Remote").field("id", id).field("lifetime", lifetime).finish_non_exhaustive()
            }
            Target::Registered(id) => f.debug_tuple("Remote::registered").field(id).finish(),
            Target::Sent(state) => f.debug_tuple("Remote::sent").field(&state.uri.to_string()).finish(),
        }
    }
}

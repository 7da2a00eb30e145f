//! Autoproxy: objects a method returns as [`Remote`]s are registered with the
//! daemon serving the call and sent as proxies, and the objects a client's connection received
//! this way are unregistered when that connection closes.
//!
//! A reply is serialized inside a [`Scope`] (set up by [`CallContext::encode`]) that says which
//! daemon, session and serializer it is for; a [`Remote`] serialized outside one is an error.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use super::registry::Registry;
use super::{Daemon, Inner, ShutdownHandle};
use crate::dispatch::remote_object::{Lifetime, Target};
use crate::dispatch::{Metadata, Servant};
use crate::proxy::Proxy;
use crate::serializer::ProxyState;
use crate::{Error, Serializer, Uri};

#[cfg(doc)]
use crate::dispatch::{CallContext, Remote};

thread_local! {
    /// The reply being serialized on this thread, if any.
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
}

/// Who a reply being serialized goes to.
#[derive(Clone)]
struct Scope {
    daemon: Weak<Inner>,
    session: u64,
    serializer: Serializer,
}

/// Restores the enclosing scope when a reply has been serialized.
pub(crate) struct ScopeGuard {
    previous: Option<Scope>,
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        SCOPE.with(|scope| *scope.borrow_mut() = previous);
    }
}

/// Serializing a reply for `session` of `daemon` in `serializer` starts now (no scope outside a
/// daemon: then [`Remote`]s cannot be sent).
pub(crate) fn enter(daemon: Option<&ShutdownHandle>, session: u64, serializer: Serializer) -> Option<ScopeGuard> {
    let daemon = daemon?.inner.clone();
    let scope = Scope { daemon, session, serializer };
    let previous = SCOPE.with(|current| current.borrow_mut().replace(scope));
    Some(ScopeGuard { previous })
}

/// Registers (if new) the object `target` stands for with the daemon of the reply being
/// serialized, and says what proxy to send for it.
pub(crate) fn send(target: &Target) -> Result<ProxyState, String> {
    let scope = SCOPE.with(|scope| scope.borrow().clone()).ok_or_else(|| {
        "a pyro::Remote object can only be sent in the result of a method a daemon serves (to pass a \
         proxy of your own, send Daemon::proxy_for)"
            .to_owned()
    })?;
    if scope.serializer == Serializer::Marshal {
        return Err("autoproxy does not work with the marshal serializer (nor in Pyro5): use serpent, json or \
                    msgpack to return objects as proxies"
            .to_owned());
    }
    let inner = scope.daemon.upgrade().ok_or_else(|| "the daemon is gone".to_owned())?;
    match target {
        Target::New { servant, id, lifetime } => {
            let id = id.clone().unwrap_or_else(generated_id);
            let taken = || format!("an object or class is already registered with the id {id:?}");
            match lifetime {
                Lifetime::Daemon => {
                    if !inner.registry.insert(&id, Arc::clone(servant)) {
                        return Err(taken());
                    }
                }
                Lifetime::Session => {
                    // Under the connections lock: the session cannot close (and release its
                    // objects) between the check and the bookkeeping (a oneway call's reply is
                    // serialized on another thread than the connection's).
                    let connections = inner.lock_connections();
                    if !connections.open.contains_key(&scope.session) {
                        return Err("the client's connection closed before the object could be registered".to_owned());
                    }
                    if !inner.registry.insert(&id, Arc::clone(servant)) {
                        return Err(taken());
                    }
                    inner.autoproxied.add(scope.session, id.clone(), Arc::downgrade(servant));
                    drop(connections);
                }
            }
            state_for(&inner, &id, servant.metadata())
        }
        Target::Registered(id) => {
            let servant =
                inner.registry.get(id).ok_or_else(|| format!("object {id:?} isn't registered in this daemon"))?;
            state_for(&inner, id, servant.metadata())
        }
        Target::Sent(state) => Ok(state.clone()),
    }
}

/// Pyro5's generated object ids: `"obj_"` and 32 hex digits.
pub(super) fn generated_id() -> String {
    format!("obj_{}", uuid::Uuid::new_v4().simple())
}

/// What `Daemon.proxyFor` makes: the uri at the NAT location if there is one, the metadata, the
/// default handshake, no serializer of its own.
fn state_for(inner: &Inner, id: &str, metadata: &Metadata) -> Result<ProxyState, String> {
    let uri = inner.uri_for(id).map_err(|e| e.to_string())?;
    let mut state = ProxyState::new(uri);
    state.methods = metadata.methods.clone();
    state.oneway = metadata.oneway.clone();
    state.attrs = metadata.attrs.clone();
    state.handshake = crate::proxy::DEFAULT_HANDSHAKE.into();
    Ok(state)
}

/// An object a session received: its id, and which object it was (not kept alive by this).
type Received = (String, Weak<dyn Servant>);

/// The objects each session received through autoproxy replies, to unregister when it closes.
#[derive(Default)]
pub(super) struct SessionObjects {
    by_session: Mutex<HashMap<u64, Vec<Received>>>,
}

impl SessionObjects {
    fn add(&self, session: u64, id: String, servant: Weak<dyn Servant>) {
        let mut by_session = self.by_session.lock().unwrap_or_else(PoisonError::into_inner);
        by_session.entry(session).or_default().push((id, servant));
    }

    /// Unregisters what `session` received (each id only while it still names the same object:
    /// one unregistered explicitly, its id reused, stays).
    pub(super) fn release(&self, session: u64, registry: &Registry) {
        let objects = self.by_session.lock().unwrap_or_else(PoisonError::into_inner).remove(&session);
        for (id, servant) in objects.into_iter().flatten() {
            registry.remove_if(&id, |registered| std::ptr::addr_eq(Arc::as_ptr(registered), servant.as_ptr()));
        }
    }

    /// How many objects sessions hold now.
    pub(super) fn len(&self) -> usize {
        self.by_session.lock().unwrap_or_else(PoisonError::into_inner).values().map(Vec::len).sum()
    }
}

impl Inner {
    /// The uri of `id` on this daemon, at the NAT location if one is configured.
    pub(super) fn uri_for(&self, id: &str) -> Result<Uri, Error> {
        let location = self.nat_location.as_ref().unwrap_or(&self.location);
        Ok(Uri::pyro_at(id, location.clone())?)
    }
}

impl Daemon {
    /// A proxy for the registered object `id`, with its metadata filled in (Pyro5's
    /// `proxyFor`), at the NAT location if one is configured: e.g. to pass an object of a
    /// client's own to a server as a callback. Fails with [`Error::Daemon`] if `id` is not
    /// registered.
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
    /// let daemon = pyro::Daemon::bind("127.0.0.1", 0).unwrap();
    /// daemon.register(Thing, Some("thing")).unwrap();
    /// let proxy = daemon.proxy_for("thing").unwrap();
    /// assert!(proxy.metadata().unwrap().methods.contains("ping"));
    /// assert!(daemon.proxy_for("nothing").is_err());
    /// ```
    pub fn proxy_for(&self, id: &str) -> Result<Proxy, Error> {
        let servant = self
            .inner
            .registry
            .get(id)
            .ok_or_else(|| Error::Daemon { message: "object isn't registered in this daemon".into() })?;
        let mut proxy = Proxy::with_config(self.inner.uri_for(id)?, &self.inner.config);
        proxy.set_known_metadata(servant.metadata().clone());
        Ok(proxy)
    }

    /// A new object id as Pyro5 generates them (`"obj_"` and 32 hex digits): e.g. for an object
    /// that needs to know its own id before it is registered.
    ///
    /// ```
    /// let id = pyro::Daemon::new_object_id();
    /// assert!(id.starts_with("obj_") && id.len() == 36);
    /// ```
    pub fn new_object_id() -> String {
        generated_id()
    }

    /// How many objects are registered now because a client's connection received them as
    /// proxies ([`Remote`] with the default session lifetime); they are unregistered when
    /// that connection closes.
    ///
    /// ```
    /// let daemon = pyro::Daemon::bind("127.0.0.1", 0).unwrap();
    /// assert_eq!(daemon.session_objects(), 0);
    /// ```
    pub fn session_objects(&self) -> usize {
        self.inner.autoproxied.len()
    }
}

impl ShutdownHandle {
    /// Unregisters object `id` from the daemon ([`Daemon::unregister`]) from any thread, e.g.
    /// from inside one of its own methods (Pyro5's `self._pyroDaemon.unregister(self)`); `false`
    /// if it was not registered or the daemon is gone.
    ///
    /// ```
    /// let daemon = pyro::Daemon::bind("127.0.0.1", 0).unwrap();
    /// assert!(!daemon.shutdown_handle().unregister("nothing"));
    /// ```
    pub fn unregister(&self, id: &str) -> bool {
        self.inner.upgrade().is_some_and(|inner| id != super::DAEMON_OBJECT_ID && inner.registry.remove(id))
    }
}

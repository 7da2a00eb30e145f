//! [`SessionState`]: what lives as long as one client connection (Pyro5 keeps it on its
//! `SocketConnection`): the instances of classes registered in `session` mode, and the tracked
//! resources closed when the client disconnects.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::dispatch::Servant;
use crate::{Error, RemoteError, Value};

/// Something to close when the client that opened it disconnects (Pyro5's tracked resources:
/// any object with a `close()` method). [`OnClose`] makes one from a closure.
///
/// ```
/// use pyro::session::Resource;
/// struct TempFile(std::path::PathBuf);
/// impl Resource for TempFile {
///     fn close(&mut self) {
///         let _ = std::fs::remove_file(&self.0);
///     }
/// }
/// let mut file = TempFile("/nonexistent/pyro-doc".into());
/// assert!(file.name().ends_with("TempFile"));
/// file.close();
/// ```
pub trait Resource: Send + 'static {
    /// Releases the resource. Called once, on the thread that closes the connection.
    fn close(&mut self);

    /// What the resource is called where hooks list it
    /// ([`ConnectionInfo::tracked_resources`](super::ConnectionInfo::tracked_resources)); taken
    /// once, when the resource is tracked. By default the name of its type.
    ///
    /// ```
    /// use pyro::session::Resource;
    /// struct Lease(&'static str);
    /// impl Resource for Lease {
    ///     fn close(&mut self) {}
    ///     fn name(&self) -> String {
    ///         self.0.to_owned()
    ///     }
    /// }
    /// assert_eq!(Lease("printer").name(), "printer");
    /// ```
    fn name(&self) -> String {
        std::any::type_name::<Self>().to_owned()
    }
}

/// A [`Resource`] that runs a closure when closed.
///
/// ```
/// use pyro::session::{OnClose, Resource};
/// let mut resource = OnClose::new(|| println!("closed"));
/// resource.close(); // prints "closed"
/// resource.close(); // nothing: the closure ran already
/// ```
pub struct OnClose<F: FnOnce() + Send + 'static> {
    close: Option<F>,
    name: Option<String>,
}

impl<F: FnOnce() + Send + 'static> OnClose<F> {
    /// A resource running `close` when it is closed.
    ///
    /// See [`OnClose`] for an example.
    pub fn new(close: F) -> OnClose<F> {
        OnClose { close: Some(close), name: None }
    }

    /// A resource called `name` (its [`Resource::name`]) running `close` when it is closed.
    ///
    /// ```
    /// use pyro::session::{OnClose, Resource};
    /// assert_eq!(OnClose::named("lease 7", || ()).name(), "lease 7");
    /// assert_eq!(OnClose::new(|| ()).name(), "OnClose");
    /// ```
    pub fn named(name: impl Into<String>, close: F) -> OnClose<F> {
        OnClose { close: Some(close), name: Some(name.into()) }
    }
}

impl<F: FnOnce() + Send + 'static> Resource for OnClose<F> {
    fn close(&mut self) {
        if let Some(close) = self.close.take() {
            close();
        }
    }

    /// The name given to [`OnClose::named`], else `"OnClose"`.
    fn name(&self) -> String {
        self.name.clone().unwrap_or_else(|| "OnClose".to_owned())
    }
}

/// Names a tracked resource, to untrack it with
/// [`CallContext::untrack_resource`](crate::dispatch::CallContext::untrack_resource).
///
/// ```
/// use pyro::session::{OnClose, SessionState};
/// let state = SessionState::new();
/// let handle = state.track_resource(Box::new(OnClose::new(|| ()))).unwrap();
/// assert!(state.untrack_resource(handle).is_some());
/// assert!(state.untrack_resource(handle).is_none());
/// ```
///
/// Handles are unique in the process, so a handle used on another connection than the one that
/// tracks it untracks nothing (as Pyro5's `untrack_resource` of a resource the connection does
/// not track).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ResourceHandle(u64);

/// The next resource handle, for every connection of the process.
static NEXT_HANDLE: AtomicU64 = AtomicU64::new(1);

/// The state of one client connection, owned by its
/// [`ServerSession`](super::ServerSession) and reachable from the calls made on that connection
/// through their [`CallContext`](crate::dispatch::CallContext): the instances of classes
/// registered in [`InstanceMode::Session`](crate::daemon::InstanceMode::Session) mode, and the
/// tracked resources. When the connection closes ([`SessionState::close`], done by the session),
/// the instances are dropped and then every resource still tracked is closed, as Pyro5's
/// `SocketConnection.close()` does.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use pyro::session::{OnClose, SessionState};
///
/// let closed = Arc::new(AtomicBool::new(false));
/// let state = SessionState::new();
/// let flag = Arc::clone(&closed);
/// state.track_resource(Box::new(OnClose::new(move || flag.store(true, Ordering::SeqCst)))).unwrap();
/// state.close();
/// assert!(closed.load(Ordering::SeqCst));
/// ```
#[derive(Default)]
pub struct SessionState {
    inner: Mutex<Inner>,
    /// Session instances, by the key of their class registration (held apart from `inner`:
    /// creating an instance runs user code, which may track resources).
    instances: Mutex<HashMap<u64, Arc<dyn Servant>>>,
}

#[derive(Default)]
struct Inner {
    closed: bool,
    /// The tracked resources with their names, in the order tracked.
    resources: Vec<(ResourceHandle, String, Box<dyn Resource>)>,
}

impl SessionState {
    /// The state of a new connection: no instances, no resources.
    ///
    /// See [`SessionState`] for an example.
    pub fn new() -> SessionState {
        SessionState::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the connection has closed.
    ///
    /// ```
    /// let state = pyro::session::SessionState::new();
    /// assert!(!state.is_closed());
    /// state.close();
    /// assert!(state.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Tracks `resource`, to be closed when the connection closes (Pyro5's
    /// `current_context.track_resource`). On a connection that has closed already (a oneway
    /// call still running after its client left) the resource is closed at once and the
    /// result is an `Err` saying so.
    ///
    /// See [`ResourceHandle`] for an example.
    pub fn track_resource(&self, mut resource: Box<dyn Resource>) -> Result<ResourceHandle, Error> {
        // The name is user code: taken before the lock.
        let name = catch_unwind(AssertUnwindSafe(|| resource.name())).unwrap_or_default();
        let mut inner = self.lock();
        if inner.closed {
            drop(inner);
            close_quietly(resource.as_mut());
            return Err(pyro_error("cannot track a resource: the client has disconnected"));
        }
        let handle = ResourceHandle(NEXT_HANDLE.fetch_add(1, Ordering::Relaxed));
        inner.resources.push((handle, name, resource));
        Ok(handle)
    }

    /// Stops tracking a resource and gives it back (not closed); `None` if it is not tracked
    /// (untracked already, or closed with the connection).
    ///
    /// See [`ResourceHandle`] for an example.
    pub fn untrack_resource(&self, handle: ResourceHandle) -> Option<Box<dyn Resource>> {
        let mut inner = self.lock();
        let index = inner.resources.iter().position(|(h, _, _)| *h == handle)?;
        Some(inner.resources.remove(index).2)
    }

    /// The number of resources tracked now.
    ///
    /// ```
    /// let state = pyro::session::SessionState::new();
    /// assert_eq!(state.tracked_resources(), 0);
    /// ```
    pub fn tracked_resources(&self) -> usize {
        self.lock().resources.len()
    }

    /// The [names](Resource::name) of the resources tracked now, in the order tracked.
    ///
    /// ```
    /// use pyro::session::{OnClose, SessionState};
    /// let state = SessionState::new();
    /// state.track_resource(Box::new(OnClose::named("a", || ()))).unwrap();
    /// let b = state.track_resource(Box::new(OnClose::named("b", || ()))).unwrap();
    /// state.track_resource(Box::new(OnClose::named("c", || ()))).unwrap();
    /// state.untrack_resource(b);
    /// assert_eq!(state.tracked_resource_names(), ["a", "c"]);
    /// ```
    pub fn tracked_resource_names(&self) -> Vec<String> {
        self.lock().resources.iter().map(|(_, name, _)| name.clone()).collect()
    }

    /// The connection's instance for the class registration `key`, made by `create` if there
    /// is none yet (one per connection, as Pyro5's `session` instance mode). `create` runs
    /// while other calls on this connection wait for the same class; on a closed connection
    /// it is an error (the instance would never be dropped with the session).
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
    /// let state = pyro::session::SessionState::new();
    /// let first = state.session_instance(1, &mut || Ok(Arc::new(Served::new(Thing)) as Arc<dyn Servant>)).unwrap();
    /// let again = state.session_instance(1, &mut || unreachable!()).unwrap();
    /// assert!(Arc::ptr_eq(&first, &again));
    /// assert_eq!(state.session_instances(), 1);
    /// ```
    pub fn session_instance(
        &self,
        key: u64,
        create: &mut dyn FnMut() -> Result<Arc<dyn Servant>, Error>,
    ) -> Result<Arc<dyn Servant>, Error> {
        let mut instances = self.instances.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(instance) = instances.get(&key) {
            return Ok(Arc::clone(instance));
        }
        if self.is_closed() {
            return Err(pyro_error("no session instance: the client has disconnected"));
        }
        let instance = create()?;
        instances.insert(key, Arc::clone(&instance));
        Ok(instance)
    }

    /// The number of session instances this connection holds.
    ///
    /// See [`SessionState::session_instance`] for an example.
    pub fn session_instances(&self) -> usize {
        self.instances.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Closes the connection's state (idempotent): drops the session instances (calls under
    /// way keep theirs until they return), then closes every tracked resource in the order
    /// tracked. A resource whose `close` panics is skipped, as Pyro5 ignores errors there.
    ///
    /// See [`SessionState`] for an example.
    pub fn close(&self) {
        let resources = {
            let mut inner = self.lock();
            inner.closed = true;
            std::mem::take(&mut inner.resources)
        };
        let instances = std::mem::take(&mut *self.instances.lock().unwrap_or_else(PoisonError::into_inner));
        // Dropping an instance runs its `Drop`: user code, which must not stop the cleanup.
        let _ = catch_unwind(AssertUnwindSafe(move || drop(instances)));
        for (_, _, mut resource) in resources {
            close_quietly(resource.as_mut());
        }
    }
}

fn close_quietly(resource: &mut dyn Resource) {
    let _ = catch_unwind(AssertUnwindSafe(|| resource.close()));
}

fn pyro_error(text: &str) -> Error {
    RemoteError::new("Pyro5.errors.PyroError", vec![Value::from(text)]).into()
}

impl std::fmt::Debug for SessionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionState")
            .field("closed", &self.is_closed())
            .field("session_instances", &self.session_instances())
            .field("tracked_resources", &self.tracked_resources())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn counter() -> (Arc<AtomicUsize>, impl Fn() -> Box<dyn Resource>) {
        let count = Arc::new(AtomicUsize::new(0));
        let made = Arc::clone(&count);
        (count, move || {
            let count = Arc::clone(&made);
            Box::new(OnClose::new(move || {
                count.fetch_add(1, Ordering::SeqCst);
            })) as Box<dyn Resource>
        })
    }

    #[test]
    fn close_closes_tracked_resources_once() {
        let (closed, resource) = counter();
        let state = SessionState::new();
        state.track_resource(resource()).unwrap();
        let untracked = state.track_resource(resource()).unwrap();
        state.track_resource(Box::new(OnClose::new(|| panic!("a resource that fails to close")))).unwrap();
        state.track_resource(resource()).unwrap();
        let mut back = state.untrack_resource(untracked).unwrap();
        assert_eq!(state.tracked_resources(), 3);
        state.close();
        state.close();
        assert_eq!(closed.load(Ordering::SeqCst), 2, "the panicking one is skipped, the untracked one stays open");
        back.close();
        assert_eq!(closed.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_handle_of_another_connection_untracks_nothing() {
        let (closed, resource) = counter();
        let (one, two) = (SessionState::new(), SessionState::new());
        let on_one = one.track_resource(resource()).unwrap();
        let on_two = two.track_resource(resource()).unwrap();
        assert_ne!(on_one, on_two);
        assert!(two.untrack_resource(on_one).is_none());
        assert_eq!((one.tracked_resources(), two.tracked_resources()), (1, 1));
        one.close();
        two.close();
        assert_eq!(closed.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn names_are_taken_when_tracked() {
        struct Panicky;
        impl Resource for Panicky {
            fn close(&mut self) {}
            fn name(&self) -> String {
                panic!("no name")
            }
        }
        let state = SessionState::new();
        state.track_resource(Box::new(OnClose::named("first", || ()))).unwrap();
        state.track_resource(Box::new(Panicky)).unwrap();
        state.track_resource(Box::new(OnClose::new(|| ()))).unwrap();
        assert_eq!(state.tracked_resource_names(), ["first", "", "OnClose"]);
        state.close();
        assert!(state.tracked_resource_names().is_empty());
    }

    #[test]
    fn tracking_after_close_closes_at_once() {
        let (closed, resource) = counter();
        let state = SessionState::new();
        state.close();
        let err = state.track_resource(resource()).unwrap_err();
        assert_eq!(err.python_class(), "Pyro5.errors.PyroError");
        assert_eq!(closed.load(Ordering::SeqCst), 1);
        assert_eq!(state.tracked_resources(), 0);
    }

    #[test]
    fn no_session_instance_is_made_for_a_closed_connection() {
        let state = SessionState::new();
        state.close();
        let mut made = false;
        let result = state.session_instance(1, &mut || {
            made = true;
            Err(pyro_error("unreachable"))
        });
        let Err(err) = result else { panic!("an instance for a closed connection") };
        assert_eq!(err.to_remote().message, "no session instance: the client has disconnected");
        assert!(!made, "the creator is not run");
        assert_eq!(state.session_instances(), 0);
    }
}

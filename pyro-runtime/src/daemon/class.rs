//! Registered classes: [`InstanceMode`] and the servant that picks (or creates) the instance
//! serving a request (Pyro5's `Daemon._getInstance`).

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Reply, Servant, Served};
use crate::{Error, RemoteError, Value};

/// How a registered class gets its instances (Pyro5's `@behavior(instance_mode=...)`).
///
/// ```
/// use pyro::daemon::InstanceMode;
/// assert_eq!(InstanceMode::default(), InstanceMode::Session);
/// assert_eq!("percall".parse::<InstanceMode>().unwrap(), InstanceMode::Percall);
/// assert_eq!(InstanceMode::Single.as_str(), "single");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum InstanceMode {
    /// One instance for the whole daemon, created on first use.
    Single,
    /// One instance per client connection, created on its first call and dropped when the
    /// client disconnects (Pyro5's default for a registered class).
    #[default]
    Session,
    /// A new instance for every request (a batch shares one), dropped when it returns.
    Percall,
}

impl InstanceMode {
    /// Pyro5's name of the mode: `"single"`, `"session"` or `"percall"`.
    ///
    /// See [`InstanceMode`] for an example.
    pub fn as_str(self) -> &'static str {
        match self {
            InstanceMode::Single => "single",
            InstanceMode::Session => "session",
            InstanceMode::Percall => "percall",
        }
    }
}

impl std::fmt::Display for InstanceMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of Pyro5's instance modes.
///
/// ```
/// let err = "shared".parse::<pyro::daemon::InstanceMode>().unwrap_err();
/// assert_eq!(err.to_string(), "invalid instancemode: shared");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid instancemode: {0}")]
pub struct InvalidInstanceMode(pub String);

impl std::str::FromStr for InstanceMode {
    type Err = InvalidInstanceMode;

    fn from_str(name: &str) -> Result<InstanceMode, InvalidInstanceMode> {
        match name {
            "single" => Ok(InstanceMode::Single),
            "session" => Ok(InstanceMode::Session),
            "percall" => Ok(InstanceMode::Percall),
            other => Err(InvalidInstanceMode(other.to_owned())),
        }
    }
}

/// Makes the instances of a registered class; it sees the context of the call that needs one
/// (Pyro5's `instance_creator`, which may read `current_context`). An `Err` fails that call
/// with the exception; no instance is kept, so the next call that needs one tries again.
pub(crate) type Creator<T> = Box<dyn Fn(&CallContext) -> Result<T, RemoteError> + Send + Sync>;

/// Every class registration gets its own key in the connections' session instances.
static NEXT_KEY: AtomicU64 = AtomicU64::new(1);

/// A class as the daemon holds it: its type's metadata, its mode and creator, and the single
/// instance once made.
pub(crate) struct Class<T, I: ?Sized> {
    mode: InstanceMode,
    creator: Creator<T>,
    metadata: Arc<Metadata>,
    key: u64,
    /// The `single` instance, made under this lock (as Pyro5's `create_single_instance_lock`).
    single: Mutex<Option<Arc<dyn Servant>>>,
    interface: PhantomData<fn() -> Box<I>>,
}

impl<T, I> Class<T, I>
where
    T: Dispatch<I>,
    I: ?Sized + 'static,
{
    pub(crate) fn new(mode: InstanceMode, creator: Creator<T>) -> Class<T, I> {
        Class {
            mode,
            creator,
            metadata: Arc::new(T::metadata()),
            key: NEXT_KEY.fetch_add(1, Ordering::Relaxed),
            single: Mutex::new(None),
            interface: PhantomData,
        }
    }

    fn create(&self, ctx: &CallContext) -> Result<Arc<dyn Servant>, Error> {
        let object = (self.creator)(ctx)?;
        // Served like a registered instance: its lock, the busy rule, callback reporting.
        Ok(Arc::new(Served::<T, I>::with_metadata(object, Arc::clone(&self.metadata))))
    }

    /// The instance for this call. A creator's error (or panic) leaves nothing behind, so in
    /// every mode the next call tries to create the instance again, as Pyro5's `_getInstance`.
    fn pick(&self, ctx: &CallContext) -> Result<Arc<dyn Servant>, Error> {
        match self.mode {
            InstanceMode::Single => {
                // A creator that panicked left `None`: nothing half-made to poison.
                let mut single = self.single.lock().unwrap_or_else(PoisonError::into_inner);
                match &*single {
                    Some(instance) => Ok(Arc::clone(instance)),
                    None => {
                        let instance = self.create(ctx)?;
                        *single = Some(Arc::clone(&instance));
                        Ok(instance)
                    }
                }
            }
            InstanceMode::Percall => self.create(ctx),
            InstanceMode::Session => match ctx.session_state() {
                Some(state) => state.session_instance(self.key, &mut || self.create(ctx)),
                None => Err(RemoteError::new(
                    "Pyro5.errors.DaemonError",
                    vec![Value::from("a session-mode class cannot be called outside a connection")],
                )
                .into()),
            },
        }
    }
}

impl<T, I> Servant for Class<T, I>
where
    T: Dispatch<I>,
    I: ?Sized + 'static,
{
    fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    fn call(&self, ctx: &mut CallContext, method: &str, args: CallArgs) -> Result<Reply, Error> {
        self.pick(ctx)?.call(ctx, method, args)
    }

    fn is_async(&self, method: &str) -> bool {
        T::receiver(method) == Some(crate::dispatch::Receiver::Async)
    }

    fn instance(&self, ctx: &CallContext) -> Result<Option<Arc<dyn Servant>>, Error> {
        self.pick(ctx).map(Some)
    }
}

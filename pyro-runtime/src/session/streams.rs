//! Item streams: the daemon-wide table of open streams.
//!
//! [`StreamRegistry`] is the table itself, without I/O and without a clock: every operation that
//! depends on time takes `now`. [`Streams`] shares one registry between all the connections of a
//! daemon (behind a mutex held only for table updates, never while an iterator runs or is
//! dropped) and reads a clock, which tests may replace.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::dispatch::ItemStream;
use crate::{Config, Error, RemoteError, Value};

/// The default limit on open streams per daemon ([`StreamSettings::max_streams`]).
///
/// ```
/// assert_eq!(pyro::session::DEFAULT_MAX_STREAMS, 1000);
/// ```
pub const DEFAULT_MAX_STREAMS: usize = 1000;

/// How often housekeeping expires streams (Pyro5's housekeeper runs every 2 seconds by default).
///
/// ```
/// assert_eq!(pyro::session::HOUSEKEEPING_INTERVAL.as_secs(), 2);
/// ```
pub const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(2);

/// How a daemon streams iterator results: Pyro5's `ITER_STREAMING`, `ITER_STREAM_LIFETIME` and
/// `ITER_STREAM_LINGER`, and a limit on open streams (pyro's own; Pyro5 has none).
///
/// ```
/// use std::time::Duration;
/// use pyro::session::StreamSettings;
///
/// let settings = StreamSettings::from_config(&pyro::Config::default());
/// assert!(settings.enabled);
/// assert_eq!((settings.lifetime, settings.linger), (None, Duration::from_secs(30)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamSettings {
    /// `ITER_STREAMING`: stream iterator results; when off, a client gets the stream reply
    /// without a stream id (a Pyro5 client raises a `ProtocolError` then).
    pub enabled: bool,
    /// `ITER_STREAM_LIFETIME`: a stream older than this (since it was opened) is dropped;
    /// `None`: no limit.
    pub lifetime: Option<Duration>,
    /// `ITER_STREAM_LINGER`: how long the streams of a disconnected client are kept for it to
    /// come back on another connection; zero: they are dropped at the disconnect.
    pub linger: Duration,
    /// The most streams open at once in the daemon. A call whose iterator would exceed it gets
    /// a `Pyro5.errors.PyroError` ("too many open item streams ...") instead of a stream.
    pub max_streams: usize,
}

impl StreamSettings {
    /// The settings in `config`, with [`DEFAULT_MAX_STREAMS`].
    ///
    /// See [`StreamSettings`] for an example.
    pub fn from_config(config: &Config) -> StreamSettings {
        StreamSettings {
            enabled: config.iter_streaming,
            lifetime: config.iter_stream_lifetime.filter(|d| !d.is_zero()),
            linger: config.iter_stream_linger,
            max_streams: DEFAULT_MAX_STREAMS,
        }
    }
}

impl Default for StreamSettings {
    fn default() -> StreamSettings {
        StreamSettings::from_config(&Config::default())
    }
}

/// An open stream.
struct Entry {
    /// The session (connection) it belongs to; `None` while it lingers after a disconnect.
    owner: Option<u64>,
    created: Instant,
    /// When its client disconnected, while it lingers.
    lingering_since: Option<Instant>,
    /// The iterator, or `None` while a call is fetching an item from it.
    iterator: Option<ItemStream>,
}

/// Iterators removed from the table, to drop once no lock is held (dropping one runs user code).
///
/// ```
/// use pyro::session::{StreamRegistry, StreamSettings};
/// let mut registry = StreamRegistry::new(StreamSettings::default());
/// let removed = registry.clear();
/// assert!(removed.is_empty());
/// drop(removed); // outside any lock
/// ```
#[must_use = "drop the removed iterators where no lock is held"]
#[derive(Default)]
pub struct Removed(Vec<ItemStream>);

impl Removed {
    /// How many iterators were removed.
    ///
    /// See [`StreamRegistry::housekeeping`] for an example.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none were.
    ///
    /// See [`Removed`] for an example.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn push(&mut self, iterator: Option<ItemStream>) {
        self.0.extend(iterator);
    }
}

impl fmt::Debug for Removed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Removed({})", self.0.len())
    }
}

/// A stream the registry refused to open (its limit is reached): the error for the caller, and
/// the iterator, to drop where no lock is held.
///
/// See [`StreamRegistry::open`] for an example.
pub struct Refused {
    /// The `Pyro5.errors.PyroError` for the client.
    pub error: Error,
    /// The iterator that was not registered.
    pub iterator: ItemStream,
}

impl fmt::Debug for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refused").field("error", &self.error).finish_non_exhaustive()
    }
}

/// The open item streams of a daemon by stream id (Pyro5's `Daemon.streaming_responses`),
/// sans-IO: time is passed in, and iterators leave the table to run (or to be dropped), so
/// whoever holds the table never runs user code while holding it.
///
/// ```
/// use std::time::{Duration, Instant};
/// use pyro::session::{StreamRegistry, StreamSettings};
/// use pyro::Value;
///
/// let settings = StreamSettings { linger: Duration::from_secs(5), ..StreamSettings::default() };
/// let mut registry = StreamRegistry::new(settings);
/// let start = Instant::now();
/// let id = registry.open(Box::new([Ok(Value::from(1))].into_iter()), 7, start).unwrap();
///
/// // Fetching an item: take the iterator out, run it without the table, put it back.
/// let mut iterator = registry.take(&id, 7, start).unwrap();
/// assert_eq!(iterator.next().unwrap().unwrap(), Value::from(1));
/// drop(registry.put_back(&id, iterator));
///
/// // Its client goes away: the stream lingers, then expires.
/// drop(registry.disconnect(7, start));
/// assert_eq!(registry.len(), 1);
/// assert_eq!(registry.housekeeping(start + Duration::from_secs(6)).len(), 1);
/// assert!(registry.take(&id, 8, start).is_err()); // "item stream terminated"
/// ```
pub struct StreamRegistry {
    settings: StreamSettings,
    streams: HashMap<String, Entry>,
}

impl StreamRegistry {
    /// An empty registry.
    ///
    /// See [`StreamRegistry`] for an example.
    pub fn new(settings: StreamSettings) -> StreamRegistry {
        StreamRegistry { settings, streams: HashMap::new() }
    }

    /// The settings.
    ///
    /// ```
    /// let registry = pyro::session::StreamRegistry::new(Default::default());
    /// assert!(registry.settings().enabled);
    /// ```
    pub fn settings(&self) -> &StreamSettings {
        &self.settings
    }

    /// The number of open streams.
    ///
    /// See [`StreamRegistry`] for an example.
    pub fn len(&self) -> usize {
        self.streams.len()
    }

    /// Whether no stream is open.
    ///
    /// ```
    /// assert!(pyro::session::StreamRegistry::new(Default::default()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.streams.is_empty()
    }

    /// Opens a stream over `iterator` for session `owner` and returns its id (a random UUID, as
    /// Pyro5's). At the limit, the error (`Pyro5.errors.PyroError`) comes back with the iterator,
    /// for the caller to drop ([`Streams::open`] runs [`housekeeping`](Self::housekeeping) first).
    ///
    /// ```
    /// use std::time::Instant;
    /// use pyro::session::{StreamRegistry, StreamSettings};
    /// let mut registry = StreamRegistry::new(StreamSettings { max_streams: 1, ..Default::default() });
    /// let now = Instant::now();
    /// registry.open(Box::new(std::iter::empty()), 1, now).unwrap();
    /// let refused = registry.open(Box::new(std::iter::empty()), 1, now).unwrap_err();
    /// assert!(refused.error.to_string().contains("too many open item streams"));
    /// ```
    pub fn open(&mut self, iterator: ItemStream, owner: u64, now: Instant) -> Result<String, Box<Refused>> {
        if self.streams.len() >= self.settings.max_streams {
            let text = format!(
                "too many open item streams (the daemon's limit is {}); iterate or close some streams first",
                self.settings.max_streams
            );
            return Err(Box::new(Refused { error: pyro_error(text), iterator }));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let entry = Entry { owner: Some(owner), created: now, lingering_since: None, iterator: Some(iterator) };
        self.streams.insert(id.clone(), entry);
        Ok(id)
    }

    /// Takes the iterator of stream `id` out to fetch its next item (Pyro5's
    /// `get_next_stream_item`), for session `session`: a lingering stream is attached to it.
    /// Hand the iterator back with [`put_back`](Self::put_back) after an item, or end the
    /// stream with [`finish`](Self::finish). An unknown or expired stream is Pyro5's
    /// `PyroError("item stream terminated")`; one whose item is being fetched by another call
    /// is Python's `ValueError("generator already executing")`.
    ///
    /// See [`StreamRegistry`] for an example.
    pub fn take(&mut self, id: &str, session: u64, now: Instant) -> Result<ItemStream, (Error, Removed)> {
        let mut removed = Removed::default();
        if self.streams.get(id).is_some_and(|entry| self.expired(entry, now)) {
            removed.push(self.streams.remove(id).and_then(|entry| entry.iterator));
        }
        let Some(entry) = self.streams.get_mut(id) else {
            return Err((terminated(), removed));
        };
        if entry.owner.is_none() {
            entry.owner = Some(session);
            entry.lingering_since = None;
        }
        match entry.iterator.take() {
            Some(iterator) => Ok(iterator),
            None => Err((
                RemoteError::new("builtins.ValueError", vec![Value::from("generator already executing")]).into(),
                removed,
            )),
        }
    }

    /// Puts the iterator of stream `id` back after an item was fetched. If the stream was closed
    /// or expired meanwhile, the iterator comes back (to drop).
    ///
    /// See [`StreamRegistry`] for an example.
    pub fn put_back(&mut self, id: &str, iterator: ItemStream) -> Removed {
        let mut removed = Removed::default();
        match self.streams.get_mut(id) {
            Some(entry) => entry.iterator = Some(iterator),
            None => removed.push(Some(iterator)),
        }
        removed
    }

    /// Ends stream `id` whose iterator was taken out (it ended, or raised): Pyro5 deletes a
    /// stream on `StopIteration` or any other exception.
    ///
    /// ```
    /// use std::time::Instant;
    /// let mut registry = pyro::session::StreamRegistry::new(Default::default());
    /// let id = registry.open(Box::new(std::iter::empty()), 1, Instant::now()).unwrap();
    /// let iterator = registry.take(&id, 1, Instant::now()).unwrap();
    /// registry.finish(&id);
    /// assert!(registry.is_empty());
    /// ```
    pub fn finish(&mut self, id: &str) -> Removed {
        let mut removed = Removed::default();
        removed.push(self.streams.remove(id).and_then(|entry| entry.iterator));
        removed
    }

    /// Closes stream `id` (Pyro5's `close_stream`; unknown ids are ignored). If a call is
    /// fetching its item right now, its iterator is dropped when that call puts it back.
    ///
    /// ```
    /// use std::time::Instant;
    /// let mut registry = pyro::session::StreamRegistry::new(Default::default());
    /// let id = registry.open(Box::new(std::iter::empty()), 1, Instant::now()).unwrap();
    /// assert_eq!(registry.close(&id).len(), 1);
    /// assert!(registry.close("unknown").is_empty());
    /// ```
    pub fn close(&mut self, id: &str) -> Removed {
        self.finish(id)
    }

    /// Session `session` disconnected: its streams are dropped at once when the linger time is
    /// zero, else they linger (no owner) until it passes.
    ///
    /// See [`StreamRegistry`] for an example.
    pub fn disconnect(&mut self, session: u64, now: Instant) -> Removed {
        let mut removed = Removed::default();
        if self.settings.linger.is_zero() {
            let ids: Vec<String> =
                self.streams.iter().filter(|(_, e)| e.owner == Some(session)).map(|(id, _)| id.clone()).collect();
            for id in ids {
                removed.push(self.streams.remove(&id).and_then(|entry| entry.iterator));
            }
        } else {
            for entry in self.streams.values_mut().filter(|e| e.owner == Some(session)) {
                entry.owner = None;
                entry.lingering_since = Some(now);
            }
        }
        removed
    }

    /// Drops the streams past their lifetime (since they were opened) and the lingering
    /// streams past the linger time (Pyro5's `Daemon._housekeeping`).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use pyro::session::{StreamRegistry, StreamSettings};
    /// let settings = StreamSettings { lifetime: Some(Duration::from_secs(10)), ..Default::default() };
    /// let mut registry = StreamRegistry::new(settings);
    /// let start = Instant::now();
    /// registry.open(Box::new(std::iter::empty()), 1, start).unwrap();
    /// assert!(registry.housekeeping(start + Duration::from_secs(10)).is_empty());
    /// assert_eq!(registry.housekeeping(start + Duration::from_secs(11)).len(), 1);
    /// ```
    pub fn housekeeping(&mut self, now: Instant) -> Removed {
        let mut removed = Removed::default();
        let expired: Vec<String> =
            self.streams.iter().filter(|(_, entry)| self.expired(entry, now)).map(|(id, _)| id.clone()).collect();
        for id in expired {
            removed.push(self.streams.remove(&id).and_then(|entry| entry.iterator));
        }
        removed
    }

    /// Drops every stream (the daemon shuts down).
    ///
    /// See [`Removed`] for an example.
    pub fn clear(&mut self) -> Removed {
        Removed(self.streams.drain().filter_map(|(_, entry)| entry.iterator).collect())
    }

    fn expired(&self, entry: &Entry, now: Instant) -> bool {
        let too_old =
            self.settings.lifetime.is_some_and(|lifetime| now.saturating_duration_since(entry.created) > lifetime);
        let lingered =
            entry.lingering_since.is_some_and(|since| now.saturating_duration_since(since) > self.settings.linger);
        too_old || lingered
    }
}

impl fmt::Debug for StreamRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamRegistry").field("settings", &self.settings).field("open", &self.streams.len()).finish()
    }
}

/// Pyro5's `PyroError("item stream terminated")`.
fn terminated() -> Error {
    pyro_error("item stream terminated".to_owned())
}

fn pyro_error(text: String) -> Error {
    RemoteError::new("Pyro5.errors.PyroError", vec![Value::from(text)]).into()
}

type Clock = Box<dyn Fn() -> Instant + Send + Sync>;

/// One [`StreamRegistry`] shared by every connection of a daemon, with a clock: what the
/// [server sessions](super::ServerSession) use. The registry's lock is held only to update the
/// table; iterators run and are dropped outside it. Housekeeping runs on access at most every
/// [`HOUSEKEEPING_INTERVAL`], and whenever [`housekeeping`](Self::housekeeping) is called (the
/// daemon's housekeeper thread does, every interval).
///
/// ```
/// use std::sync::Arc;
/// use pyro::session::{StreamSettings, Streams};
///
/// let streams = Arc::new(Streams::new(StreamSettings::default()));
/// let id = streams.open(Box::new(std::iter::empty()), 1).unwrap();
/// assert_eq!(streams.len(), 1);
/// streams.close(&id);
/// assert_eq!(streams.len(), 0);
/// ```
pub struct Streams {
    settings: StreamSettings,
    registry: Mutex<Shared>,
    clock: Clock,
}

struct Shared {
    registry: StreamRegistry,
    last_housekeeping: Instant,
}

impl Streams {
    /// Shared streams on the system clock.
    ///
    /// See [`Streams`] for an example.
    pub fn new(settings: StreamSettings) -> Streams {
        Streams::with_clock(settings, Instant::now)
    }

    /// Shared streams reading the time from `clock` (tests pass a clock they move).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::{Duration, Instant};
    /// use pyro::session::{StreamSettings, Streams};
    ///
    /// let now = Arc::new(Mutex::new(Instant::now()));
    /// let clock = Arc::clone(&now);
    /// let settings = StreamSettings { lifetime: Some(Duration::from_secs(1)), ..Default::default() };
    /// let streams = Streams::with_clock(settings, move || *clock.lock().unwrap());
    /// streams.open(Box::new(std::iter::empty()), 1).unwrap();
    /// *now.lock().unwrap() += Duration::from_secs(2);
    /// streams.housekeeping();
    /// assert_eq!(streams.len(), 0);
    /// ```
    pub fn with_clock(settings: StreamSettings, clock: impl Fn() -> Instant + Send + Sync + 'static) -> Streams {
        let now = clock();
        Streams {
            settings,
            registry: Mutex::new(Shared { registry: StreamRegistry::new(settings), last_housekeeping: now }),
            clock: Box::new(clock),
        }
    }

    /// The settings.
    ///
    /// See [`Streams`] for an example.
    pub fn settings(&self) -> &StreamSettings {
        &self.settings
    }

    /// The number of open streams.
    ///
    /// See [`Streams`] for an example.
    pub fn len(&self) -> usize {
        self.lock().registry.len()
    }

    /// Whether no stream is open.
    ///
    /// ```
    /// assert!(pyro::session::Streams::new(Default::default()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Opens a stream for session `owner` ([`StreamRegistry::open`]).
    ///
    /// See [`Streams`] for an example.
    pub fn open(&self, iterator: ItemStream, owner: u64) -> Result<String, Error> {
        let (result, removed) = self.with(|registry, now| {
            // Expired streams are taken out here, under the lock, and dropped after it.
            let removed = if registry.len() >= registry.settings().max_streams {
                registry.housekeeping(now)
            } else {
                Removed::default()
            };
            (registry.open(iterator, owner, now), removed)
        });
        drop(removed);
        result.map_err(|refused| {
            let Refused { error, iterator } = *refused;
            drop(iterator);
            error
        })
    }

    /// Takes stream `id`'s iterator out for session `session` ([`StreamRegistry::take`]).
    ///
    /// ```
    /// let streams = pyro::session::Streams::new(Default::default());
    /// let err = streams.take("nope", 1).err().unwrap();
    /// assert_eq!(err.to_string(), "remote Pyro5.errors.PyroError: item stream terminated");
    /// ```
    pub fn take(&self, id: &str, session: u64) -> Result<ItemStream, Error> {
        match self.with(|registry, now| registry.take(id, session, now)) {
            Ok(iterator) => Ok(iterator),
            Err((error, removed)) => {
                drop(removed);
                Err(error)
            }
        }
    }

    /// Puts stream `id`'s iterator back ([`StreamRegistry::put_back`]).
    ///
    /// See [`Streams::take`] for an example.
    pub fn put_back(&self, id: &str, iterator: ItemStream) {
        drop(self.with(|registry, _| registry.put_back(id, iterator)));
    }

    /// Ends stream `id` after its iterator ended or raised ([`StreamRegistry::finish`]).
    ///
    /// See [`Streams::take`] for an example.
    pub fn finish(&self, id: &str) {
        drop(self.with(|registry, _| registry.finish(id)));
    }

    /// Closes stream `id` ([`StreamRegistry::close`]); its iterator is dropped by the caller's
    /// thread, without the lock.
    ///
    /// See [`Streams`] for an example.
    pub fn close(&self, id: &str) {
        drop(self.with(|registry, _| registry.close(id)));
    }

    /// Session `session` disconnected ([`StreamRegistry::disconnect`]).
    ///
    /// ```
    /// let streams = pyro::session::Streams::new(pyro::session::StreamSettings {
    ///     linger: std::time::Duration::ZERO,
    ///     ..Default::default()
    /// });
    /// streams.open(Box::new(std::iter::empty()), 3).unwrap();
    /// streams.disconnected(3);
    /// assert!(streams.is_empty());
    /// ```
    pub fn disconnected(&self, session: u64) {
        drop(self.with(|registry, now| registry.disconnect(session, now)));
    }

    /// Expires streams now ([`StreamRegistry::housekeeping`]).
    ///
    /// See [`Streams::with_clock`] for an example.
    pub fn housekeeping(&self) {
        let now = (self.clock)();
        let removed = {
            let mut shared = self.lock();
            shared.last_housekeeping = now;
            shared.registry.housekeeping(now)
        };
        drop(removed);
    }

    /// Drops every stream (the daemon shuts down).
    ///
    /// ```
    /// let streams = pyro::session::Streams::new(Default::default());
    /// streams.open(Box::new(std::iter::empty()), 3).unwrap();
    /// streams.clear();
    /// assert!(streams.is_empty());
    /// ```
    pub fn clear(&self) {
        let removed = self.lock().registry.clear();
        drop(removed);
    }

    /// Runs `f` on the registry under the lock, after housekeeping if it is due; what it
    /// removed is dropped after the lock is released.
    fn with<R>(&self, f: impl FnOnce(&mut StreamRegistry, Instant) -> R) -> R {
        let now = (self.clock)();
        let (result, removed) = {
            let mut shared = self.lock();
            let removed = if now.saturating_duration_since(shared.last_housekeeping) >= HOUSEKEEPING_INTERVAL {
                shared.last_housekeeping = now;
                shared.registry.housekeeping(now)
            } else {
                Removed::default()
            };
            (f(&mut shared.registry, now), removed)
        };
        drop(removed);
        result
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        // The table stays consistent at every step; a panic elsewhere does not spoil it.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Streams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Streams").field("settings", &self.settings).field("open", &self.len()).finish()
    }
}

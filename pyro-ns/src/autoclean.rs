//! [`AutoCleaner`]: removes registrations whose server stopped answering (Pyro5's
//! `NS_AUTOCLEAN`).

use std::collections::HashMap;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pyro::{Config, Uri};

use crate::storage::Filter;
use crate::{NameServer, StartError};

/// When and how the auto-cleaner checks registrations. Pyro5's values: a sweep every
/// `NS_AUTOCLEAN` seconds (at least 3), checked every 2 seconds; a registration whose
/// server refused connections for 20 seconds is removed; each check is a TCP (or Unix socket)
/// connect with `COMMTIMEOUT` (5 seconds if unset) as timeout.
///
/// ```
/// use std::time::Duration;
/// use pyro_ns::AutoClean;
///
/// let pyro5 = AutoClean::new(Duration::from_secs(10));
/// assert_eq!(pyro5.max_unreachable, Duration::from_secs(20));
/// // Shorter thresholds, e.g. for tests:
/// let quick = AutoClean { max_unreachable: Duration::from_secs(1), poll: Duration::from_millis(100), ..AutoClean::new(Duration::from_millis(200)) };
/// assert!(quick.interval < AutoClean::MIN_INTERVAL); // allowed when set directly
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoClean {
    /// How often a sweep runs (`NS_AUTOCLEAN`).
    pub interval: Duration,
    /// How long a registration must stay unreachable before it is removed (Pyro5: 20 s).
    pub max_unreachable: Duration,
    /// How often the cleaner thread wakes up to see whether a sweep is due (Pyro5: 2 s).
    pub poll: Duration,
    /// The connect timeout of one check (Pyro5: `COMMTIMEOUT`, or 5 s).
    pub connect_timeout: Duration,
}

impl AutoClean {
    /// Pyro5's smallest allowed `NS_AUTOCLEAN`.
    pub const MIN_INTERVAL: Duration = Duration::from_secs(3);

    /// Pyro5's settings with a sweep every `interval`.
    ///
    /// See [`AutoClean`] for an example.
    pub fn new(interval: Duration) -> AutoClean {
        AutoClean {
            interval,
            max_unreachable: Duration::from_secs(20),
            poll: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// The settings `config` asks for: `None` unless `NS_AUTOCLEAN` is set; an interval below
    /// [`MIN_INTERVAL`](AutoClean::MIN_INTERVAL) is an error, as in Pyro5.
    ///
    /// ```
    /// use std::time::Duration;
    /// use pyro_ns::AutoClean;
    /// let mut config = pyro::Config::default();
    /// assert_eq!(AutoClean::from_config(&config).unwrap(), None);
    /// config.ns_autoclean = Some(Duration::from_secs(1));
    /// assert!(AutoClean::from_config(&config).is_err());
    /// config.ns_autoclean = Some(Duration::from_secs(30));
    /// config.comm_timeout = Some(Duration::from_secs(2));
    /// let settings = AutoClean::from_config(&config).unwrap().unwrap();
    /// assert_eq!((settings.interval, settings.connect_timeout), (Duration::from_secs(30), Duration::from_secs(2)));
    /// ```
    pub fn from_config(config: &Config) -> Result<Option<AutoClean>, StartError> {
        let Some(interval) = config.ns_autoclean.filter(|i| !i.is_zero()) else { return Ok(None) };
        if interval < AutoClean::MIN_INTERVAL {
            return Err(StartError::AutoCleanTooSmall { interval });
        }
        let mut settings = AutoClean::new(interval);
        if let Some(timeout) = config.comm_timeout.filter(|t| !t.is_zero()) {
            settings.connect_timeout = timeout;
        }
        Ok(Some(settings))
    }
}

/// The auto-cleaner thread: every [`AutoClean::interval`] it tries to connect to the server of
/// each registration (never the name server's own, nor `Pyro.Daemon`) and removes those that
/// stayed unreachable for [`AutoClean::max_unreachable`]. A registration renewed meanwhile
/// (another uri) is kept. Registrations without a location (`PYRONAME:x`) are not checked.
/// On a storage shared by several name servers, only the one whose turn it is sweeps
/// ([`Storage::autoclean_turn`](crate::storage::Storage::autoclean_turn)). Stops when dropped.
///
/// ```
/// use std::time::Duration;
/// use pyro_ns::{AutoClean, AutoCleaner, NameServer};
///
/// let ns = NameServer::in_memory();
/// let cleaner = AutoCleaner::spawn(ns.clone(), AutoClean::new(Duration::from_secs(10))).unwrap();
/// cleaner.stop();
/// ```
#[derive(Debug)]
pub struct AutoCleaner {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl AutoCleaner {
    /// Starts the cleaner thread for `ns`.
    ///
    /// See [`AutoCleaner`] for an example.
    pub fn spawn(ns: NameServer, settings: AutoClean) -> std::io::Result<AutoCleaner> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new().name("pyro-ns-autoclean".into()).spawn(move || {
            tracing::debug!(target: "pyro::ns", ?settings, "autoclean enabled");
            let mut sweeper = Sweeper { ns, settings, unreachable: HashMap::new() };
            let mut last = Instant::now();
            // A message or a dropped sender means stop.
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(sweeper.settings.poll) {
                if last.elapsed() >= sweeper.settings.interval {
                    if sweeper.my_turn() {
                        sweeper.sweep();
                    }
                    last = Instant::now();
                }
            }
        })?;
        Ok(AutoCleaner { stop: Some(stop), thread: Some(thread) })
    }

    /// Stops the thread and waits for it (at most one connect timeout, if a check is under way).
    ///
    /// See [`AutoCleaner`] for an example.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for AutoCleaner {
    fn drop(&mut self) {
        self.halt();
    }
}

/// One cleaner's state: since when each name has been unreachable.
struct Sweeper {
    ns: NameServer,
    settings: AutoClean,
    unreachable: HashMap<String, Instant>,
}

impl Sweeper {
    /// Whether this name server sweeps now: always, unless its storage is shared with other
    /// name servers and another one has the turn (`Storage::autoclean_turn`). Not sweeping
    /// forgets the unreachable times (the sweeping instance keeps its own).
    fn my_turn(&mut self) -> bool {
        match self.ns.storage().autoclean_turn(self.settings.interval) {
            Ok(true) => true,
            Ok(false) => {
                self.unreachable.clear();
                false
            }
            Err(error) => {
                tracing::warn!(target: "pyro::ns", %error, "autoclean: cannot tell whose turn it is; not sweeping");
                false
            }
        }
    }

    fn sweep(&mut self) {
        let registrations = match self.ns.storage().select(&Filter::All) {
            Ok(registrations) => registrations,
            Err(error) => {
                tracing::warn!(target: "pyro::ns", %error, "autoclean: cannot list the registrations");
                return;
            }
        };
        let mut still_unreachable = HashMap::new();
        for (name, registration) in registrations {
            if !NameServer::is_cleanable(&name) || self.reachable(&registration.uri) {
                continue;
            }
            let now = Instant::now();
            let since = self.unreachable.get(&name).copied().unwrap_or(now);
            if now.duration_since(since) < self.settings.max_unreachable {
                still_unreachable.insert(name, since);
                continue;
            }
            match self.ns.remove_if_unchanged(&name, &registration.uri) {
                Ok(true) => tracing::info!(target: "pyro::ns",
                    %name, uri = %registration.uri,
                    "autoclean: unregistering {name}; cannot connect uri {} for {:?}",
                    registration.uri, self.settings.max_unreachable
                ),
                Ok(false) => {}
                Err(error) => tracing::warn!(target: "pyro::ns", %name, %error, "autoclean: cannot remove"),
            }
        }
        self.unreachable = still_unreachable;
        if !self.unreachable.is_empty() {
            tracing::debug!(target: "pyro::ns", "autoclean: {} names currently unreachable", self.unreachable.len());
        }
    }

    /// Whether a connection to the server of `uri` succeeds. A uri that does not parse is
    /// unreachable; one without a location cannot be checked and counts as reachable.
    fn reachable(&self, uri: &str) -> bool {
        let Ok(uri) = uri.parse::<Uri>() else { return false };
        match uri.location() {
            Some(location) => pyro::transport::connect(location, Some(self.settings.connect_timeout)).is_ok(),
            None => true,
        }
    }
}

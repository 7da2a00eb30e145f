//! Starting a name server: [`NameServerBuilder`] (the options of `pyro5-ns`),
//! [`NameServerDaemon`] (bound, not yet serving) and [`RunningNameServer`] (serving on its own
//! thread).

use std::fmt;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use pyro::uri::Location;
use pyro::{Config, Daemon, ShutdownHandle, Uri};

use crate::broadcast::BroadcastResponder;
use crate::storage::StorageSpec;
use crate::{AutoClean, AutoCleaner, NAMESERVER_NAME, NameServer, StartError};

/// Builds a name server with `pyro5-ns`'s options. Defaults come from the [`Config`] (Pyro5's:
/// host `HOST` = `localhost`, port `NS_PORT` = 9090, broadcast on `NS_BCHOST`/`NS_BCPORT` =
/// `""`/9091, NAT from `NATHOST`/`NATPORT`, auto-clean from `NS_AUTOCLEAN`), storage `memory`.
///
/// [`bind`](NameServerBuilder::bind) creates the daemon, registers `Pyro.NameServer` (in the
/// daemon and in the storage, with metadata `class:Pyro5.nameserver.NameServer`) and binds the
/// broadcast responder; [`start`](NameServerBuilder::start) also serves on a background
/// thread, [`serve`](NameServerBuilder::serve) serves on the calling thread.
///
/// As in Pyro5, no broadcast responder is started for a name server on a loopback address,
/// on IPv6 or on a Unix socket (see [`BroadcastStatus`]).
///
/// ```
/// use pyro_ns::{NameServerBuilder, StorageSpec};
///
/// let ns = NameServerBuilder::new().host("127.0.0.1").port(0).storage(StorageSpec::Memory).start()?;
/// println!("name server at {}", ns.uri()); // PYRO:Pyro.NameServer@127.0.0.1:<port>
///
/// // Any Pyro5 client can use it now; from Rust, dynamically:
/// let proxy = pyro::proxy::Proxy::new(ns.uri().clone());
/// let count: usize = proxy.call("count", &())?;
/// assert_eq!(count, 1); // its own registration
/// ns.shutdown()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct NameServerBuilder {
    config: Option<Config>,
    host: Option<String>,
    port: Option<u16>,
    unix_socket: Option<String>,
    storage: StorageSpec,
    name_server: Option<NameServer>,
    no_broadcast: bool,
    broadcast_host: Option<String>,
    broadcast_port: Option<u16>,
    nat_host: Option<String>,
    nat_port: Option<u16>,
    autoclean: Option<Option<AutoClean>>,
}

impl NameServerBuilder {
    /// A builder with the defaults.
    ///
    /// See [`NameServerBuilder`] for an example.
    pub fn new() -> NameServerBuilder {
        NameServerBuilder::default()
    }

    /// The configuration (default: [`Config::default`]; a program usually passes
    /// [`Config::from_env`]).
    ///
    /// ```
    /// let builder = pyro_ns::NameServerBuilder::new().config(pyro::Config::default());
    /// ```
    #[must_use]
    pub fn config(mut self, config: Config) -> NameServerBuilder {
        self.config = Some(config);
        self
    }

    /// The host to bind (`-n/--host`; default `HOST`). `0.0.0.0` or `::` listens everywhere.
    ///
    /// See [`NameServerBuilder`] for an example.
    #[must_use]
    pub fn host(mut self, host: impl Into<String>) -> NameServerBuilder {
        self.host = Some(host.into());
        self
    }

    /// The TCP port (`-p/--port`; default `NS_PORT`, 9090); 0 = any free port.
    ///
    /// See [`NameServerBuilder`] for an example.
    #[must_use]
    pub fn port(mut self, port: u16) -> NameServerBuilder {
        self.port = Some(port);
        self
    }

    /// Listen on this Unix domain socket instead of TCP (`-u/--unixsocket`).
    ///
    /// ```
    /// let builder = pyro_ns::NameServerBuilder::new().unix_socket("/tmp/pyro-ns.sock");
    /// ```
    #[must_use]
    pub fn unix_socket(mut self, path: impl Into<String>) -> NameServerBuilder {
        self.unix_socket = Some(path.into());
        self
    }

    /// The storage (`-s/--storage`; default [`StorageSpec::Memory`]).
    ///
    /// ```
    /// let builder = pyro_ns::NameServerBuilder::new().storage("sql:/var/lib/pyro/ns.db".parse().unwrap());
    /// ```
    #[must_use]
    pub fn storage(mut self, storage: StorageSpec) -> NameServerBuilder {
        self.storage = storage;
        self
    }

    /// Serve this name server (e.g. one over a custom [`Storage`](crate::storage::Storage)) instead of opening
    /// [`storage`](NameServerBuilder::storage).
    ///
    /// ```
    /// let ns = pyro_ns::NameServer::in_memory();
    /// let builder = pyro_ns::NameServerBuilder::new().name_server(ns.clone());
    /// ```
    #[must_use]
    pub fn name_server(mut self, name_server: NameServer) -> NameServerBuilder {
        self.name_server = Some(name_server);
        self
    }

    /// Whether to start the broadcast responder (default `true`; `-x/--nobc` = `false`).
    ///
    /// ```
    /// let builder = pyro_ns::NameServerBuilder::new().broadcast(false);
    /// ```
    #[must_use]
    pub fn broadcast(mut self, enabled: bool) -> NameServerBuilder {
        self.no_broadcast = !enabled;
        self
    }

    /// The host the broadcast responder binds (`--bchost`; default `NS_BCHOST`, else every
    /// interface).
    ///
    /// ```
    /// let builder = pyro_ns::NameServerBuilder::new().broadcast_host("0.0.0.0").broadcast_port(0);
    /// ```
    #[must_use]
    pub fn broadcast_host(mut self, host: impl Into<String>) -> NameServerBuilder {
        self.broadcast_host = Some(host.into());
        self
    }

    /// The broadcast responder's UDP port (`--bcport`; default `NS_BCPORT`, 9091); 0 = any.
    ///
    /// See [`broadcast_host`](NameServerBuilder::broadcast_host) for an example.
    #[must_use]
    pub fn broadcast_port(mut self, port: u16) -> NameServerBuilder {
        self.broadcast_port = Some(port);
        self
    }

    /// The external host to put in the name server's uri (`--nathost`; default `NATHOST`).
    ///
    /// ```
    /// let builder = pyro_ns::NameServerBuilder::new().nat_host("ns.example.com").nat_port(9090);
    /// ```
    #[must_use]
    pub fn nat_host(mut self, host: impl Into<String>) -> NameServerBuilder {
        self.nat_host = Some(host.into());
        self
    }

    /// The external port (`--natport`; default `NATPORT`; 0 = the name server's own port).
    ///
    /// See [`nat_host`](NameServerBuilder::nat_host) for an example.
    #[must_use]
    pub fn nat_port(mut self, port: u16) -> NameServerBuilder {
        self.nat_port = Some(port);
        self
    }

    /// Auto-clean settings, overriding `NS_AUTOCLEAN` (`None` = off). Set directly, the
    /// thresholds are not checked against Pyro5's 3-second minimum.
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = pyro_ns::NameServerBuilder::new().autoclean(Some(pyro_ns::AutoClean::new(Duration::from_secs(10))));
    /// ```
    #[must_use]
    pub fn autoclean(mut self, settings: Option<AutoClean>) -> NameServerBuilder {
        self.autoclean = Some(settings);
        self
    }

    /// Opens the storage, binds the daemon, registers the name server and binds the broadcast
    /// responder; nothing is served yet.
    ///
    /// ```
    /// let bound = pyro_ns::NameServerBuilder::new().host("127.0.0.1").port(0).bind()?;
    /// assert_eq!(bound.uri().object(), "Pyro.NameServer");
    /// assert_eq!(*bound.broadcast(), pyro_ns::BroadcastStatus::Loopback);
    /// # Ok::<(), pyro_ns::StartError>(())
    /// ```
    pub fn bind(self) -> Result<NameServerDaemon, StartError> {
        let mut config = self.config.unwrap_or_default();
        if let Some(host) = self.nat_host {
            config.nat_host = Some(host).filter(|h| !h.is_empty());
        }
        if let Some(port) = self.nat_port {
            config.nat_port = port;
        }
        let autoclean = match self.autoclean {
            Some(settings) => settings,
            None => AutoClean::from_config(&config)?,
        };
        let ns = match self.name_server {
            Some(ns) => ns,
            None => NameServer::new(self.storage.open()?),
        };
        let existing = ns.count().unwrap_or(0);
        tracing::debug!(target: "pyro::ns", storage = %ns.storage().describe(), existing, "name server storage opened");

        let mut daemon = Daemon::builder().config(config.clone());
        match &self.unix_socket {
            #[cfg(unix)]
            Some(path) => daemon = daemon.unix_socket(path.clone()),
            #[cfg(not(unix))]
            Some(_) => {
                return Err(StartError::Daemon(pyro::Error::Daemon {
                    message: "Unix domain sockets are not available on this platform".into(),
                }));
            }
            None => {
                daemon = daemon.port(self.port.unwrap_or(config.ns_port));
                if let Some(host) = &self.host {
                    daemon = daemon.host(host.clone());
                }
            }
        }
        let daemon = daemon.bind()?;
        let uri = daemon.register(ns.clone(), Some(NAMESERVER_NAME))?;
        let internal_uri = Uri::pyro_at(NAMESERVER_NAME, daemon.location().clone()).map_err(pyro::Error::from)?;
        ns.register_self(&uri)?;

        let (broadcast, responder) = if self.no_broadcast {
            (BroadcastStatus::Disabled, None)
        } else {
            match daemon.local_addr() {
                None => (BroadcastStatus::UnixSocket, None),
                Some(addr) if addr.is_ipv6() => (BroadcastStatus::Ipv6, None),
                Some(addr) if addr.ip().is_loopback() => (BroadcastStatus::Loopback, None),
                Some(_) => {
                    let host = self.broadcast_host.or_else(|| config.ns_broadcast_host.clone());
                    let port = self.broadcast_port.unwrap_or(config.ns_broadcast_port);
                    let responder =
                        BroadcastResponder::bind(internal_uri.clone(), host.as_deref(), port).map_err(|source| {
                            StartError::Broadcast {
                                address: Location::tcp(host.unwrap_or_default(), port).to_string(),
                                source,
                            }
                        })?;
                    let address = responder
                        .local_addr()
                        .map_err(|source| StartError::Broadcast { address: responder.location().to_owned(), source })?;
                    let status = BroadcastStatus::Running { address, location: responder.location().to_owned() };
                    (status, Some(responder))
                }
            }
        };
        tracing::info!(target: "pyro::ns", uri = %uri, location = %daemon.location(), "name server daemon created");
        Ok(NameServerDaemon { daemon, ns, uri, internal_uri, broadcast, responder, autoclean })
    }

    /// [`bind`](NameServerBuilder::bind), then serve on a background thread.
    ///
    /// See [`NameServerBuilder`] for an example.
    pub fn start(self) -> Result<RunningNameServer, StartError> {
        self.bind()?.start()
    }

    /// [`bind`](NameServerBuilder::bind), then serve on this thread until the daemon is shut
    /// down (from another thread, a signal handler or a remote call: see
    /// [`NameServerDaemon::shutdown_handle`], which needs the two-step form).
    ///
    /// ```no_run
    /// pyro_ns::NameServerBuilder::new().config(pyro::Config::from_env()?).serve()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn serve(self) -> Result<(), StartError> {
        self.bind()?.serve()
    }
}

impl fmt::Debug for NameServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameServerBuilder")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("unix_socket", &self.unix_socket)
            .field("storage", &self.storage)
            .field("name_server", &self.name_server)
            .field("broadcast", &!self.no_broadcast)
            .field("broadcast_host", &self.broadcast_host)
            .field("broadcast_port", &self.broadcast_port)
            .field("nat_host", &self.nat_host)
            .field("nat_port", &self.nat_port)
            .field("autoclean", &self.autoclean)
            .finish_non_exhaustive()
    }
}

/// Whether the broadcast responder runs, and if not, why (for the messages `pyro5-ns` prints).
///
/// ```
/// use pyro_ns::BroadcastStatus;
/// assert_eq!(BroadcastStatus::Loopback.to_string(), "Not starting broadcast server for localhost.");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BroadcastStatus {
    /// It runs, bound to `address`.
    Running {
        /// The bound UDP address.
        address: SocketAddr,
        /// The address as Pyro5 prints it.
        location: String,
    },
    /// Turned off (`-x/--nobc`).
    Disabled,
    /// Not started: the name server listens on a loopback address.
    Loopback,
    /// Not started: the name server listens on IPv6 (no broadcast there).
    Ipv6,
    /// Not started: the name server listens on a Unix domain socket.
    UnixSocket,
}

impl fmt::Display for BroadcastStatus {
    /// The line `pyro5-ns` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BroadcastStatus::Running { location, .. } => write!(f, "Broadcast server running on {location}"),
            BroadcastStatus::Disabled => f.write_str("Not starting broadcast server."),
            BroadcastStatus::Loopback => f.write_str("Not starting broadcast server for localhost."),
            BroadcastStatus::Ipv6 => f.write_str("Not starting broadcast server for IPv6."),
            BroadcastStatus::UnixSocket => f.write_str("Not starting broadcast server for a Unix domain socket."),
        }
    }
}

/// A bound name server, not yet serving (Pyro5's `NameServerDaemon` plus its broadcast
/// server). Take a [`shutdown_handle`](NameServerDaemon::shutdown_handle) before
/// [`serve`](NameServerDaemon::serve) to stop it later (e.g. from a Ctrl-C handler).
///
/// ```
/// let bound = pyro_ns::NameServerBuilder::new().host("127.0.0.1").port(0).bind()?;
/// let stop = bound.shutdown_handle();
/// let server = std::thread::spawn(move || bound.serve());
/// stop.shutdown();
/// server.join().expect("name server thread")?;
/// # Ok::<(), pyro_ns::StartError>(())
/// ```
pub struct NameServerDaemon {
    daemon: Daemon,
    ns: NameServer,
    uri: Uri,
    internal_uri: Uri,
    broadcast: BroadcastStatus,
    responder: Option<BroadcastResponder>,
    autoclean: Option<AutoClean>,
}

impl NameServerDaemon {
    /// The name server's uri, at the NAT address if one is configured.
    ///
    /// See [`NameServerBuilder::bind`] for an example.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The name server's uri at the address it listens on (what the broadcast responder sends).
    ///
    /// ```
    /// let bound = pyro_ns::NameServerBuilder::new().host("127.0.0.1").port(0).nat_host("ns.example.com").bind()?;
    /// assert_eq!(bound.uri().host(), Some("ns.example.com"));
    /// assert_eq!(bound.internal_uri().host(), Some("127.0.0.1"));
    /// # Ok::<(), pyro_ns::StartError>(())
    /// ```
    pub fn internal_uri(&self) -> &Uri {
        &self.internal_uri
    }

    /// The daemon (which can serve other objects too).
    ///
    /// ```
    /// let bound = pyro_ns::NameServerBuilder::new().host("127.0.0.1").port(0).bind()?;
    /// assert_eq!(bound.daemon().registered(), ["Pyro.Daemon", "Pyro.NameServer"]);
    /// # Ok::<(), pyro_ns::StartError>(())
    /// ```
    pub fn daemon(&self) -> &Daemon {
        &self.daemon
    }

    /// The name server object (a handle sharing its registrations).
    ///
    /// ```
    /// let bound = pyro_ns::NameServerBuilder::new().host("127.0.0.1").port(0).bind()?;
    /// assert_eq!(bound.name_server().count()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name_server(&self) -> &NameServer {
        &self.ns
    }

    /// Whether the broadcast responder will run.
    ///
    /// See [`NameServerBuilder::bind`] for an example.
    pub fn broadcast(&self) -> &BroadcastStatus {
        &self.broadcast
    }

    /// A handle that stops [`serve`](NameServerDaemon::serve) from anywhere.
    ///
    /// See [`NameServerDaemon`] for an example.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.daemon.shutdown_handle()
    }

    /// Takes the bound broadcast responder out, for a program that serves the name server from
    /// an event loop of its own (Pyro5's `start_ns` returns it beside the daemon): the program
    /// then answers its requests ([`BroadcastResponder::process_request`] when its
    /// [`socket`](BroadcastResponder::socket) is readable), and [`serve`](NameServerDaemon::serve)
    /// runs without one. `None` if none was bound (see [`broadcast`](NameServerDaemon::broadcast))
    /// or it was taken already.
    ///
    /// ```
    /// let mut bound = pyro_ns::NameServerBuilder::new().host("127.0.0.1").port(0).bind()?;
    /// assert!(bound.take_broadcast_responder().is_none()); // none on loopback, as in Pyro5
    /// # Ok::<(), pyro_ns::StartError>(())
    /// ```
    pub fn take_broadcast_responder(&mut self) -> Option<BroadcastResponder> {
        self.responder.take()
    }

    /// The auto-clean settings (from `NS_AUTOCLEAN` unless the builder set them), which
    /// [`serve`](NameServerDaemon::serve) runs an [`AutoCleaner`] with; a program serving the
    /// daemon from its own loop starts one itself.
    ///
    /// ```
    /// let bound = pyro_ns::NameServerBuilder::new().host("127.0.0.1").port(0).bind()?;
    /// assert_eq!(bound.autoclean(), None); // NS_AUTOCLEAN is 0 by default
    /// # Ok::<(), pyro_ns::StartError>(())
    /// ```
    pub fn autoclean(&self) -> Option<&AutoClean> {
        self.autoclean.as_ref()
    }

    /// Serves until shut down: the request loop on this thread, the broadcast responder and
    /// the auto-cleaner on their own; both are stopped before it returns.
    ///
    /// See [`NameServerDaemon`] for an example.
    pub fn serve(self) -> Result<(), StartError> {
        let NameServerDaemon { daemon, ns, responder, autoclean, uri, .. } = self;
        let responder = match responder {
            Some(responder) => {
                Some(responder.spawn().map_err(|source| StartError::Thread { what: "broadcast responder", source })?)
            }
            None => None,
        };
        let cleaner = match autoclean {
            Some(settings) => Some(
                AutoCleaner::spawn(ns.clone(), settings)
                    .map_err(|source| StartError::Thread { what: "autoclean", source })?,
            ),
            None => None,
        };
        tracing::info!(target: "pyro::ns", %uri, "name server running");
        let result = daemon.request_loop();
        if let Some(responder) = responder {
            responder.stop();
        }
        if let Some(cleaner) = cleaner {
            cleaner.stop();
        }
        tracing::info!(target: "pyro::ns", "name server shut down");
        Ok(result?)
    }

    /// Serves on a background thread.
    ///
    /// See [`NameServerBuilder`] for an example.
    pub fn start(self) -> Result<RunningNameServer, StartError> {
        let uri = self.uri.clone();
        let internal_uri = self.internal_uri.clone();
        let ns = self.ns.clone();
        let broadcast = self.broadcast.clone();
        let shutdown = self.shutdown_handle();
        let thread = std::thread::Builder::new()
            .name("pyro-ns".into())
            .spawn(move || self.serve())
            .map_err(|source| StartError::Thread { what: "request loop", source })?;
        Ok(RunningNameServer { uri, internal_uri, ns, broadcast, shutdown, thread: Some(thread) })
    }
}

impl fmt::Debug for NameServerDaemon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameServerDaemon")
            .field("uri", &self.uri.to_string())
            .field("broadcast", &self.broadcast)
            .field("name_server", &self.ns)
            .finish_non_exhaustive()
    }
}

/// A name server serving on a background thread; [`shutdown`](RunningNameServer::shutdown)
/// (or dropping it) stops it.
///
/// See [`NameServerBuilder`] for an example.
#[derive(Debug)]
pub struct RunningNameServer {
    uri: Uri,
    internal_uri: Uri,
    ns: NameServer,
    broadcast: BroadcastStatus,
    shutdown: ShutdownHandle,
    thread: Option<JoinHandle<Result<(), StartError>>>,
}

impl RunningNameServer {
    /// The name server's uri (at the NAT address if one is configured).
    ///
    /// See [`NameServerBuilder`] for an example.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The name server's uri at the address it listens on.
    ///
    /// See [`NameServerDaemon::internal_uri`] for an example.
    pub fn internal_uri(&self) -> &Uri {
        &self.internal_uri
    }

    /// The name server object, for in-process use.
    ///
    /// ```
    /// let ns = pyro_ns::NameServerBuilder::new().host("127.0.0.1").port(0).start()?;
    /// assert_eq!(ns.name_server().count()?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name_server(&self) -> &NameServer {
        &self.ns
    }

    /// Whether the broadcast responder runs.
    ///
    /// ```
    /// let ns = pyro_ns::NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).start()?;
    /// assert_eq!(*ns.broadcast(), pyro_ns::BroadcastStatus::Disabled);
    /// # Ok::<(), pyro_ns::StartError>(())
    /// ```
    pub fn broadcast(&self) -> &BroadcastStatus {
        &self.broadcast
    }

    /// The broadcast responder's address, if it runs.
    ///
    /// ```
    /// let ns = pyro_ns::NameServerBuilder::new().host("0.0.0.0").port(0).broadcast_host("127.0.0.1").broadcast_port(0).start()?;
    /// assert!(ns.broadcast_address().is_some());
    /// # Ok::<(), pyro_ns::StartError>(())
    /// ```
    pub fn broadcast_address(&self) -> Option<SocketAddr> {
        match &self.broadcast {
            BroadcastStatus::Running { address, .. } => Some(*address),
            _ => None,
        }
    }

    /// A handle that stops the name server from anywhere.
    ///
    /// ```
    /// let ns = pyro_ns::NameServerBuilder::new().host("127.0.0.1").port(0).start()?;
    /// ns.shutdown_handle().shutdown();
    /// ns.shutdown()?; // waits for the thread
    /// # Ok::<(), pyro_ns::StartError>(())
    /// ```
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Stops the name server and waits for its thread; returns what serving returned.
    ///
    /// See [`NameServerBuilder`] for an example.
    pub fn shutdown(mut self) -> Result<(), StartError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<(), StartError> {
        self.shutdown.shutdown();
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => {
                Err(StartError::Daemon(pyro::Error::Daemon { message: "the name server thread panicked".into() }))
            }
            None => Ok(()),
        }
    }
}

impl Drop for RunningNameServer {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

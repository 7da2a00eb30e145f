//! A [`Proxy`]'s connections: binding (connecting and fetching the metadata), what the
//! handshake said, releasing, reconnecting and the protocol-level PING.

use std::sync::{Arc, PoisonError};

use super::{Known, Proxy, RECONNECT_INTERVAL, connection, is_communication_error};
use crate::Error;
use crate::dispatch::Metadata;
use crate::value::Value;

impl Proxy {
    /// The object's metadata (exposed methods, oneway methods, attributes) from the last
    /// handshake; `None` before the first connection.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert!(proxy.metadata().is_none());
    /// ```
    pub fn metadata(&self) -> Option<Metadata> {
        self.known().map(|known| known.metadata.clone())
    }

    /// The daemon's handshake response from the last handshake (a Pyro5 daemon answers
    /// `"hello"` unless its `validateHandshake` returns something else).
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert!(proxy.handshake_response().is_none());
    /// ```
    pub fn handshake_response(&self) -> Option<Value> {
        self.known().and_then(|known| known.handshake_response.clone())
    }

    /// The daemon's TLS certificate chain (DER, its own certificate first) seen on the latest
    /// connection (Pyro5's `self._pyroConnection.getpeercert()` in `_pyroValidateHandshake`);
    /// empty before connecting and without TLS (`SSL` off).
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert!(proxy.peer_certificates().is_empty());
    /// ```
    pub fn peer_certificates(&self) -> Vec<Vec<u8>> {
        self.known().map(|known| known.peer_certificates.clone()).unwrap_or_default()
    }

    /// What the latest handshake (or a received proxy's state) said, if anything yet.
    pub(super) fn known(&self) -> Option<Arc<Known>> {
        self.known.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Connects now if no connection is open, fetching the metadata (Pyro5's `_pyroBind`); a
    /// `PYRONAME`/`PYROMETA` uri is resolved first (see [`resolved_uri`](Proxy::resolved_uri)).
    ///
    /// As a call, it is bounded by the current [deadline](crate::deadline) and the proxy's
    /// [`deadline_per_call`](Proxy::deadline_per_call), the earlier of the two: waiting for a
    /// connection of the pool, connecting, resolving a name and the handshake end at it, with
    /// an [`Error::Timeout`] ("... binding `<uri>`: the deadline passed").
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.bind()?;
    /// assert!(proxy.metadata().is_some());
    /// // Within 200 ms, or a timeout.
    /// pyro::deadline::within(std::time::Duration::from_millis(200), || proxy.bind())?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn bind(&self) -> Result<(), Error> {
        self.leased_by_deadline("binding", |lease, _| self.connect_lease(lease).map(drop))
    }

    /// Closes all idle connections (Pyro5's `_pyroRelease`); connections busy in calls close
    /// when their calls end. The next call connects again.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// proxy.release();
    /// ```
    pub fn release(&self) {
        self.pool.clear();
    }

    /// Releases the proxy's connections and connects again (Pyro5's `_pyroReconnect`): up to
    /// `tries` attempts, [`RECONNECT_INTERVAL`] apart, retrying on communication errors
    /// (refused, closed, timed out, rejected, garbled); after the last one
    /// [`Error::ConnectionClosed`] saying "failed to reconnect" (Pyro5's
    /// `ConnectionClosedError("failed to reconnect")`). Other errors (e.g. a name that does not
    /// resolve) end it at once. `tries` 0 fails at once, as in Pyro5. A `PYRONAME`/`PYROMETA`
    /// uri is resolved again on each attempt. A proxy over a connected socket
    /// ([`Proxy::connected`]) fails at once: it cannot make a new connection.
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// // ... the daemon restarted on the same port ...
    /// proxy.reconnect(10)?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn reconnect(&self, tries: u32) -> Result<(), Error> {
        self.release();
        if self.connected.is_some() {
            // Its one connection is gone for good: no attempt could succeed (a Pyro5 proxy
            // would try `<<connected-socket>>:0` `tries` times, 2 seconds apart).
            return Err(Error::ConnectionClosed {
                context: format!("reconnecting to {}: failed to reconnect (over a connected socket)", self.uri),
            });
        }
        let mut left = tries;
        while left > 0 {
            tracing::debug!(target: "pyro::proxy", "reconnecting to {} ({left} tries left)", self.uri);
            match self.bind() {
                Ok(()) => return Ok(()),
                Err(error) if is_communication_error(&error) => {
                    tracing::debug!(target: "pyro::proxy", "reconnect to {} failed: {error}", self.uri);
                    left -= 1;
                    if left > 0 {
                        std::thread::sleep(RECONNECT_INTERVAL);
                    }
                }
                Err(error) => return Err(error),
            }
        }
        Err(Error::ConnectionClosed { context: format!("reconnecting to {}: failed to reconnect", self.uri) })
    }

    /// The number of connections currently open (busy or idle).
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert_eq!(proxy.open_connections(), 0);
    /// ```
    pub fn open_connections(&self) -> usize {
        self.pool.counts().0
    }

    /// Sends a protocol-level PING on a connection (connecting first if needed) and waits for
    /// the daemon's answer. (Not the same as calling the daemon object's `ping` method.)
    ///
    /// Bounded as [`bind`](Proxy::bind) is (the current deadline and the proxy's
    /// [`deadline_per_call`](Proxy::deadline_per_call)): connecting, the handshake and the
    /// answer end at the deadline with an [`Error::Timeout`]; a connection whose answer is late
    /// is closed.
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.ping()?;
    /// pyro::deadline::within(std::time::Duration::from_millis(200), || proxy.ping())?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn ping(&self) -> Result<(), Error> {
        self.leased_by_deadline("pinging", |lease, deadline| {
            let by = deadline.map(|deadline| connection::by(deadline, self.timeout));
            self.connect_lease(lease)?.ping_by(by)
        })
    }
}

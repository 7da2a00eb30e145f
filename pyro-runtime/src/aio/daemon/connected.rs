//! The async daemon on a connection the user already has (Pyro5's
//! `Daemon(connected_socket=s)`, its existing-connection server): the async twin of the
//! blocking [`DaemonBuilder::connected`](crate::daemon::DaemonBuilder::connected).

use std::sync::Arc;

use super::{Daemon, Shared, connection};
use crate::Error;
use crate::aio::AsyncConnectedStream;
use crate::daemon::{DaemonBuilder, Endpoint, Inner};
use crate::transport::Socket;

impl Daemon {
    /// An async daemon serving the connected tokio stream `stream` with the process's
    /// [`Config::environment`](crate::Config::environment): see [`Daemon::connected_with`].
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let (server_end, _client_end) = tokio::net::UnixStream::pair().unwrap();
    /// let daemon = pyro::aio::Daemon::connected(&server_end).unwrap();
    /// assert_eq!(daemon.location().to_string(), "./u:<<not-bound>>");
    /// # });
    /// # }
    /// ```
    pub fn connected(stream: &impl AsyncConnectedStream) -> Result<Daemon, Error> {
        Daemon::connected_with(crate::daemon::Daemon::builder(), stream)
    }

    /// An async daemon built by `builder` (its configuration, hooks, limits) serving the one
    /// connection `stream`, a tokio `TcpStream` or `UnixStream` (e.g. one end of
    /// `UnixStream::pair()`), with the rules of the blocking
    /// [`DaemonBuilder::connected`](crate::daemon::DaemonBuilder::connected):
    ///
    /// - no handshake (the first message may be an INVOKE; the handshake and disconnect hooks
    ///   do not run, as in Pyro5's existing-connection server); objects' URIs carry the
    ///   stream's location (`./u:<<not-bound>>` for a socketpair);
    /// - [`serve`](Daemon::serve) serves the connection on the current task until the client
    ///   closes its end, sends garbage, or the daemon is shut down (noticed within 0.1 s while
    ///   waiting for a request; a call under way answers first); then the daemon is done (shut
    ///   down: a second `serve` returns at once);
    /// - the daemon never closes or shuts down the user's connection: it serves a second
    ///   handle ([`AsyncConnectedStream::connected_socket`]) and drops only that;
    /// - `COMMTIMEOUT` bounds each request from its first byte and each reply's send; an idle
    ///   client is not disconnected;
    /// - a host, port, Unix socket path or NAT address set on the builder is refused, as is
    ///   `SSL`. The blocking `request_loop` refuses such a daemon (the socket is non-blocking).
    ///
    /// A daemon made by the blocking `DaemonBuilder::connected` (a std socket) can be served
    /// by `aio::Daemon::new(daemon).serve()` too: it then runs its blocking loop on one of
    /// tokio's blocking threads.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use pyro::aio;
    /// let (server_end, client_end) = tokio::net::UnixStream::pair().unwrap();
    /// let builder = pyro::Daemon::builder().config(Default::default());
    /// let daemon = aio::Daemon::connected_with(builder, &server_end).unwrap();
    /// let server = tokio::spawn(async move { daemon.serve().await });
    /// let proxy = aio::Proxy::connected(&client_end, "Pyro.Daemon").await.unwrap();
    /// let registered: Vec<String> = proxy.call("registered", &()).await.unwrap();
    /// assert_eq!(registered, ["Pyro.Daemon"]);
    /// drop((proxy, client_end)); // the client closes its end: `serve` returns
    /// server.await.unwrap().unwrap();
    /// # });
    /// # }
    /// ```
    pub fn connected_with(builder: DaemonBuilder, stream: &impl AsyncConnectedStream) -> Result<Daemon, Error> {
        let socket = stream.connected_socket().map_err(|source| Error::Communication {
            message: "cannot serve the connected socket".into(),
            source: Some(source),
        })?;
        // The builder takes a handle of its own; this one is dropped.
        Ok(Daemon::new(builder.connected_for_tokio(&socket)?))
    }
}

/// A connected daemon made by the blocking `DaemonBuilder::connected`: its blocking loop, on a
/// blocking thread.
pub(super) async fn serve_blocking(inner: &Arc<Inner>) -> Result<(), Error> {
    let inner = Arc::clone(inner);
    tokio::task::spawn_blocking(move || match &inner.endpoint {
        Endpoint::Connected(connected) => connected.request_loop(&inner),
        Endpoint::Listener(_) => Ok(()),
    })
    .await
    .map_err(|error| Error::Daemon { message: format!("the connected daemon's request loop failed: {error}") })?
}

/// Serves the daemon's one connection (once: a later call returns at once), then shuts the
/// daemon down, as Pyro5's existing-connection server is done once its connection is.
pub(super) async fn serve(shared: &Arc<Shared>) -> Result<(), Error> {
    let inner = &shared.inner;
    let Endpoint::Connected(connected) = &inner.endpoint else { return Ok(()) };
    let Some(socket) = connected.take() else { return Ok(()) };
    let served = serve_socket(shared, socket).await;
    inner.shutdown();
    served
}

async fn serve_socket(shared: &Arc<Shared>, socket: Socket) -> Result<(), Error> {
    let io = |source| Error::Communication {
        message: "cannot serve the connected socket asynchronously".into(),
        source: Some(source),
    };
    // The socket shares the user's tokio stream's state: non-blocking already.
    match socket {
        Socket::Tcp(tcp) => {
            tcp.set_nonblocking(true).map_err(io)?;
            let client_addr = tcp.peer_addr().ok();
            let tcp = tokio::net::TcpStream::from_std(tcp).map_err(io)?;
            connection::serve_connected(Arc::clone(shared), tcp, client_addr).await;
        }
        #[cfg(unix)]
        Socket::Unix(unix) => {
            unix.set_nonblocking(true).map_err(io)?;
            let unix = tokio::net::UnixStream::from_std(unix).map_err(io)?;
            connection::serve_connected(Arc::clone(shared), unix, None).await;
        }
        Socket::Tls(_) => {
            return Err(Error::Tls { message: "TLS over a connected socket is not supported".into() });
        }
    }
    Ok(())
}

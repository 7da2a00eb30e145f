//! One client connection as a task: the async driver of its [`ServerSession`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

use super::Shared;
use super::io::{ReadError, Wire};
use crate::daemon::Inner;
use crate::protocol::MessageDecoder;
use crate::session::{Action, Completed, Request, ServerSession};
use crate::transport::Socket;

/// The longest a refused client may take to send its CONNECT.
const DENY_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection known to the daemon (for its shutdown); forgotten when dropped, which also
/// unregisters the objects it received as proxies.
struct Tracked {
    inner: Arc<Inner>,
    id: u64,
    busy: Arc<AtomicBool>,
}

impl Tracked {
    /// Records the connection with `handle` to shut it down with (none for the user's
    /// connection, which is never shut down); `None` once the daemon is shutting down.
    fn new(inner: &Arc<Inner>, handle: Option<Socket>) -> Option<Tracked> {
        let busy = Arc::new(AtomicBool::new(false));
        let id = inner.record_connection(handle, Arc::clone(&busy))?;
        Some(Tracked { inner: Arc::clone(inner), id, busy })
    }

    /// Marks the connection busy with a request, or done with it; `false` if the daemon is
    /// shutting down (close after this request).
    fn set_busy(&self, busy: bool) -> bool {
        self.inner.mark_busy(&self.busy, busy)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.inner.close_connection(self.id);
    }
}

/// Serves a TCP client: with the daemon's TLS, after the TLS handshake (bounded by
/// `COMMTIMEOUT`; a client that fails it is dropped, as by the blocking server).
pub(super) async fn serve_tcp(shared: Arc<Shared>, tcp: tokio::net::TcpStream, handle: Socket) {
    let client_addr = tcp.peer_addr().ok();
    let Some(tls) = shared.tls.clone() else {
        return serve_plain(shared, tcp, client_addr, handle).await;
    };
    let Some(tracked) = Tracked::new(&shared.inner, Some(handle)) else { return };
    let accept = tls.accept(tcp);
    let accepted = match shared.inner.config.comm_timeout {
        Some(timeout) => tokio::time::timeout(timeout, accept)
            .await
            .unwrap_or_else(|_| Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out (COMMTIMEOUT)"))),
        None => accept.await,
    };
    match accepted {
        Ok(stream) => {
            let chain = stream.get_ref().1.peer_certificates();
            let chain = chain.map(|c| c.iter().map(|cert| cert.as_ref().to_vec()).collect()).unwrap_or_default();
            serve(shared, tracked, stream, client_addr, chain).await;
        }
        Err(error) => {
            // Pyro5: "error during connect/handshake", a warning.
            tracing::warn!(
                target: "pyro::daemon",
                "error during connect/handshake with {}: TLS handshake failed: {error}",
                crate::logging::Peer(client_addr)
            );
        }
    }
}

/// Serves a client without TLS (TCP or a Unix socket).
pub(super) async fn serve_plain<S>(shared: Arc<Shared>, stream: S, client_addr: Option<SocketAddr>, handle: Socket)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Some(tracked) = Tracked::new(&shared.inner, Some(handle)) else { return };
    serve(shared, tracked, stream, client_addr, Vec::new()).await;
}

/// Serves the connection the user gave a connected daemon
/// ([`aio::Daemon::connected`](super::Daemon::connected)) until the client closes it, sends
/// garbage or the daemon is shut down: no handshake (Pyro5's existing-connection server), and
/// the connection is never shut down or closed here (see [`Wire::on_users_connection`]).
pub(super) async fn serve_connected<S>(shared: Arc<Shared>, stream: S, client_addr: Option<SocketAddr>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let inner = &shared.inner;
    let Some(tracked) = Tracked::new(inner, None) else { return };
    let session = inner.equip(ServerSession::connected(tracked.id, Arc::clone(&shared.info)), client_addr, Vec::new());
    let wire = Wire::new(stream, decoder(inner), inner.encode_options(), inner.config.comm_timeout)
        .on_users_connection(shared.handle.clone());
    Driver { shared: &shared, tracked: &tracked, client_addr, wire }.run(session).await;
}

/// A decoder of the daemon's requests: its message size limit and wire log, its budget of
/// bytes in flight (shared by all its connections).
fn decoder(inner: &Inner) -> MessageDecoder {
    let options = inner.encode_options();
    let mut decoder = MessageDecoder::with_max_message_size(options.max_message_size);
    decoder.set_budget(Arc::clone(&inner.in_flight));
    decoder.set_wire_log(options.wire_log);
    decoder
}

/// Runs the connection's session until it closes.
async fn serve<S>(
    shared: Arc<Shared>,
    tracked: Tracked,
    stream: S,
    client_addr: Option<SocketAddr>,
    peer_certificates: Vec<Vec<u8>>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let inner = &shared.inner;
    tracing::debug!(
        target: "pyro::daemon",
        "connected {} - {}",
        crate::logging::Peer(client_addr),
        if shared.tls.is_some() { "SSL" } else { "unencrypted" }
    );
    let options = inner.encode_options();
    let decoder = decoder(inner);
    // Past the most connections served at once, the handshake is refused.
    let permit = match &shared.connections {
        Some(connections) => match Arc::clone(connections).try_acquire_owned() {
            Ok(permit) => Some(permit),
            Err(_) => {
                tracing::warn!(
                    target: "pyro::daemon",
                    "client connection was denied: {} ({})",
                    crate::daemon::NO_FREE_WORKERS,
                    crate::logging::Peer(client_addr)
                );
                let timeout = inner.config.comm_timeout.map_or(DENY_TIMEOUT, |t| t.min(DENY_TIMEOUT));
                let session =
                    ServerSession::denying(tracked.id, Arc::clone(&shared.info), crate::daemon::NO_FREE_WORKERS)
                        .with_client_addr(client_addr);
                let wire = Wire::new(stream, decoder, options, Some(timeout));
                let driver = Driver { shared: &shared, tracked: &tracked, client_addr, wire };
                return driver.run(inner.annotate(session)).await;
            }
        },
        None => None,
    };
    let session = inner.equip(ServerSession::new(tracked.id, Arc::clone(&shared.info)), client_addr, peer_certificates);
    let wire = Wire::new(stream, decoder, options, inner.config.comm_timeout);
    Driver { shared: &shared, tracked: &tracked, client_addr, wire }.run(session).await;
    drop(permit);
}

/// What comes after an action.
enum Next {
    Read,
    Close,
}

/// Carries out a session's actions on one connection.
struct Driver<'a, S> {
    shared: &'a Arc<Shared>,
    tracked: &'a Tracked,
    client_addr: Option<SocketAddr>,
    wire: Wire<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Driver<'_, S> {
    async fn run(mut self, mut session: ServerSession) {
        loop {
            let serving = session.is_connected();
            let action = match self.wire.next_message(session.expecting()).await {
                Ok(message) => {
                    if serving && !self.tracked.set_busy(true) {
                        break;
                    }
                    session.on_message(message, self.shared.inner.registry.as_ref())
                }
                Err(ReadError::Protocol(error)) => session.on_protocol_error(error),
                Err(ReadError::Closed) => break,
                Err(ReadError::Transport(error)) => {
                    // A timeout (COMMTIMEOUT) or an I/O error is Pyro5's warning.
                    tracing::warn!(
                        target: "pyro::daemon",
                        "error during handleRequest from {}: {error}",
                        crate::logging::Peer(self.client_addr)
                    );
                    break;
                }
            };
            let next = self.perform(&mut session, action).await;
            if serving && !self.tracked.set_busy(false) {
                break;
            }
            if let Next::Close = next {
                break;
            }
        }
        self.wire.close().await;
        // The session's end: the disconnect hook, session instances and tracked resources.
        session.close();
    }

    async fn perform(&mut self, session: &mut ServerSession, mut action: Action) -> Next {
        loop {
            match action {
                Action::Send(message) => {
                    let sent = self.wire.send(&message).await;
                    // The reply's buffer serves the thread's next result (see `serializer::spare_buffer`).
                    crate::serializer::spare_buffer::give_back(message.data);
                    return match sent {
                        Ok(()) => Next::Read,
                        Err(error) => {
                            tracing::warn!(target: "pyro::daemon", "error during handleRequest from {}: {error}", crate::logging::Peer(self.client_addr));
                            Next::Close
                        }
                    };
                }
                Action::SendAndClose(message) => {
                    let _ = self.wire.send(&message).await;
                    return Next::Close;
                }
                Action::Close => return Next::Close,
                Action::Continue => return Next::Read,
                Action::Dispatch(mut request) => {
                    // An async method awaited here, in line (no future around it); anything
                    // else on a blocking thread.
                    self.prepare(&mut request);
                    let completed = if request.is_async() {
                        request.run_async().await
                    } else {
                        let Some(completed) = run_blocking(&self.shared.blocking, request).await else {
                            return Next::Close;
                        };
                        completed
                    };
                    action = session.reply(completed);
                }
                Action::DispatchOneway(mut request) => {
                    self.prepare(&mut request);
                    // The instance is picked now, while the connection is open (as Pyro5 does
                    // before it starts the call's thread); nothing comes back from the call.
                    if request.pick_instance().is_err() {
                        return Next::Read;
                    }
                    // Beside the connection, unless too many oneway calls are under way
                    // already: then here, before this client's next request (nothing is dropped;
                    // a client flooding oneway calls slows down only itself).
                    match Arc::clone(&self.shared.oneway).try_acquire_owned() {
                        Ok(permit) => {
                            let blocking = Arc::clone(&self.shared.blocking);
                            tokio::spawn(async move {
                                let _permit = permit;
                                drop(run_request(&blocking, request).await);
                            });
                        }
                        Err(_) => drop(run_request(&self.shared.blocking, request).await),
                    }
                    return Next::Read;
                }
            }
        }
    }

    /// Adds what only the driver knows to the call's context.
    fn prepare(&self, request: &mut Request) {
        request.context_mut().set_origin(self.client_addr, Some(self.shared.handle.clone()));
    }
}

/// Runs `request`: an async method awaited here, anything else on a blocking thread (at most
/// `THREADPOOL_SIZE` at once, waiting for a turn without blocking the runtime).
async fn run_request(blocking: &Arc<tokio::sync::Semaphore>, request: Box<Request>) -> Option<Completed> {
    if request.is_async() {
        return Some(request.run_async().await);
    }
    run_blocking(blocking, request).await
}

/// Runs `request` on a blocking thread (at most `THREADPOOL_SIZE` at once, waiting for a turn
/// without blocking the runtime); `None` if that thread went away.
async fn run_blocking(blocking: &Arc<tokio::sync::Semaphore>, request: Box<Request>) -> Option<Completed> {
    let permit = Arc::clone(blocking).acquire_owned().await.ok()?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        request.run()
    })
    .await
    .ok()
}

//! One client connection: a blocking driver of a [`ServerSession`] on a pool worker.

use std::net::SocketAddr;
use std::sync::Arc;

use super::{Inner, ShutdownHandle};
use crate::protocol::{EncodeOptions, Message};
use crate::session::{Action, Request, ServerSession};
use crate::transport::{MessageStream, Socket, StreamError, TransportError};

/// The most replies held back while further requests of a pipelining client wait, read
/// already: they then go out with one write.
const MAX_HELD_REPLIES: usize = 16;

/// What the request loop says after an action.
pub(super) enum Next {
    Read,
    Close,
}

/// Serves one connection for its whole life (run by a pool worker).
pub(super) fn serve(inner: &Arc<Inner>, socket: Socket) {
    let Some(guard) = inner.track_connection(&socket) else { return };
    let Some(socket) = inner.secure(socket) else { return };
    let client_addr = socket.peer_addr();
    let peer_certificates = socket.peer_certificates();
    let mut stream = MessageStream::new(socket, inner.encode_options());
    // Without COMMTIMEOUT the accepted socket has no timeouts to set.
    if inner.config.comm_timeout.is_some() && stream.set_timeout(inner.config.comm_timeout).is_err() {
        return;
    }
    stream.bound_whole_messages();
    stream.share_budget(Arc::clone(&inner.in_flight));
    let mut session =
        inner.equip(ServerSession::new(guard.id, Arc::clone(&inner.info)), client_addr, peer_certificates);
    let driver = Driver { inner, client_addr };
    // Replies held back while the client's next request is already here (it pipelines).
    let mut held = Vec::new();
    loop {
        if !held.is_empty() && !stream.has_buffered_message() && flush(&mut stream, &mut held).is_err() {
            return;
        }
        let serving = session.is_connected();
        let action = match stream.receive_message(session.expecting(), "reading a request") {
            Ok(message) => {
                if serving && !guard.begin_request() {
                    return;
                }
                session.on_message(message, inner.registry.as_ref())
            }
            Err(StreamError::Protocol(error)) => session.on_protocol_error(error),
            Err(StreamError::Transport(error)) => {
                // A client that went away is only `disconnected` (the session says it); a
                // timeout (COMMTIMEOUT) or an I/O error is Pyro5's warning.
                if !matches!(error, TransportError::Closed { .. }) {
                    tracing::warn!(
                        target: "pyro::daemon",
                        "error during handleRequest from {}: {error}",
                        crate::logging::Peer(client_addr)
                    );
                }
                return;
            }
        };
        let next = driver.perform(&mut session, &mut stream, &mut held, action);
        if serving && !guard.end_request() {
            return;
        }
        if let Next::Close = next {
            return;
        }
    }
}

/// Refuses a connection (all workers busy): reads the CONNECT, answers CONNECTFAIL with
/// `reason` serialized with marshal, closes.
pub(super) fn deny(inner: &Arc<Inner>, socket: Socket, reason: &str) {
    let Some(socket) = inner.secure(socket) else { return };
    let client_addr = socket.peer_addr();
    let mut stream = MessageStream::new(socket, inner.encode_options());
    let timeout = inner.config.comm_timeout.map_or(super::DENY_TIMEOUT, |t| t.min(super::DENY_TIMEOUT));
    if stream.set_timeout(Some(timeout)).is_err() {
        return;
    }
    stream.bound_whole_messages();
    let session = ServerSession::denying(0, Arc::clone(&inner.info), reason).with_client_addr(client_addr);
    let mut session = inner.annotate(session);
    let action = match stream.receive_message(session.expecting(), "reading a request") {
        Ok(message) => session.on_message(message, inner.registry.as_ref()),
        Err(StreamError::Protocol(error)) => session.on_protocol_error(error),
        Err(StreamError::Transport(_)) => Action::Close,
    };
    Driver { inner, client_addr }.perform(&mut session, &mut stream, &mut Vec::new(), action);
    let _ = stream.get_ref().shutdown();
}

/// Carries out a session's actions on one blocking connection (the thread server's, a
/// connected daemon's).
pub(super) struct Driver<'a> {
    pub(super) inner: &'a Arc<Inner>,
    pub(super) client_addr: Option<std::net::SocketAddr>,
}

impl Driver<'_> {
    /// Carries out `action`. A reply is held back in `held` while the client's next request is
    /// already buffered (a pipelining client), up to [`MAX_HELD_REPLIES`]; the held replies go
    /// out in order, with one write, before the next read that would wait.
    pub(super) fn perform(
        &self,
        session: &mut ServerSession,
        stream: &mut MessageStream<Socket>,
        held: &mut Vec<Message>,
        action: Action,
    ) -> Next {
        match action {
            Action::Send(message) if held.is_empty() && !stream.has_buffered_message() => {
                match stream.send_message(&message) {
                    Ok(()) => Next::Read,
                    Err(_) => Next::Close,
                }
            }
            Action::Send(message) => {
                held.push(message);
                if held.len() < MAX_HELD_REPLIES && stream.has_buffered_message() {
                    return Next::Read;
                }
                match flush(stream, held) {
                    Ok(()) => Next::Read,
                    Err(_) => Next::Close,
                }
            }
            Action::SendAndClose(message) => {
                held.push(message);
                let _ = flush(stream, held);
                Next::Close
            }
            Action::Close => {
                let _ = flush(stream, held);
                Next::Close
            }
            Action::Continue => Next::Read,
            Action::Dispatch(request) => {
                // The common case: run on this worker, between reading the request and the next.
                let completed = self.prepare(request).run();
                let reply = session.reply(completed);
                self.perform(session, stream, held, reply)
            }
            Action::DispatchOneway(request) => {
                let mut request = self.prepare(request);
                // The instance is picked now, while the connection is open (as Pyro5 does
                // before it starts the call's thread). Nothing comes back from a oneway call:
                // its outcome, a failed instance creation included, is dropped, as Pyro5 does.
                if request.pick_instance().is_err() {
                    return Next::Read;
                }
                if let Err(job) = self.inner.oneway.submit(Box::new(move || drop(request.run()))) {
                    // The queue is full: run it here, before this client's next request.
                    job();
                }
                Next::Read
            }
        }
    }

    /// Adds what only the driver knows to the call's context.
    fn prepare(&self, mut request: Box<Request>) -> Box<Request> {
        let daemon = ShutdownHandle { inner: Arc::downgrade(self.inner) };
        request.context_mut().set_origin(self.client_addr, Some(daemon));
        request
    }
}

/// Sends the held replies with one write.
pub(super) fn flush(stream: &mut MessageStream<Socket>, held: &mut Vec<Message>) -> Result<(), StreamError> {
    if held.is_empty() {
        return Ok(());
    }
    let result = stream.send_messages(held);
    held.clear();
    result
}

impl Inner {
    /// A new client session with what every driver gives it: the daemon's item streams, hooks
    /// and response annotations, and what the driver knows of the client.
    pub(crate) fn equip(
        &self,
        session: ServerSession,
        client_addr: Option<SocketAddr>,
        peer_certificates: Vec<Vec<u8>>,
    ) -> ServerSession {
        let session = session
            .with_streams(Arc::clone(&self.streams))
            .with_client_addr(client_addr)
            .with_peer_certificates(peer_certificates)
            .with_hooks(self.hooks.clone());
        self.annotate(session)
    }

    /// `session` with the daemon's response annotations hook, if it has one.
    pub(crate) fn annotate(&self, session: ServerSession) -> ServerSession {
        match &self.response_annotations {
            Some(hook) => session.with_response_annotations(hook.clone()),
            None => session,
        }
    }

    /// Message options from the configuration.
    pub(crate) fn encode_options(&self) -> EncodeOptions {
        EncodeOptions::new()
            .compression(self.config.compression)
            .max_message_size(usize::try_from(self.config.max_message_size).unwrap_or(usize::MAX))
            .wire_log(self.config.log_wire.then_some("daemon"))
    }
}

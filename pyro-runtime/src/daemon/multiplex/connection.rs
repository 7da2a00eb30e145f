//! One client connection of the multiplexed server: a non-blocking driver of a
//! [`ServerSession`], over a plain socket or TLS.
//!
//! `COMMTIMEOUT` bounds, as in the thread server, the wait for a request's first byte (an
//! idle connection is closed) and the whole of each request from its first byte to its last
//! (a client trickling bytes cannot keep a connection forever); it also bounds a TLS
//! handshake, and a client that takes none of its replies for that long is closed. A call
//! running is never timed out.

use std::io::ErrorKind;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::Instant;

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use super::io::Io;
use super::workers::{Done, Workers};
use crate::daemon::{Inner, ShutdownHandle};
use crate::protocol::{EncodeOptions, Message, MessageDecoder};
use crate::session::{Action, Request, ServerSession};
use crate::transport::Socket;

/// How much is read from a socket at a time.
const READ_CHUNK: usize = 16 * 1024;

/// Replies waiting to be written beyond which no further request of that client is read
/// (a client that does not read its replies slows down only itself).
const MAX_PENDING_OUTPUT: usize = 1 << 20;

/// A client connection and where it is in its conversation.
pub(super) struct Connection {
    inner: Arc<Inner>,
    /// The daemon's id of the connection.
    id: u64,
    /// The index of the daemon in the loop.
    pub(super) daemon: usize,
    key: usize,
    io: Io,
    decoder: MessageDecoder,
    session: ServerSession,
    options: EncodeOptions,
    client_addr: Option<std::net::SocketAddr>,
    /// Encoded replies not written yet, from `written` on.
    output: Vec<u8>,
    written: usize,
    /// The socket may have more to read (mio reports edges: read until it would block).
    readable: bool,
    /// The client closed its side.
    eof: bool,
    /// The poller told of the client's end (or an error): read until a read says so, since
    /// no further edge would come.
    peer_closed: bool,
    /// A call of this connection is running on a worker.
    busy: bool,
    /// Close once the output is written.
    closing: bool,
    closed: bool,
    /// The interest registered now.
    interest: Option<Interest>,
    /// When the client last sent something or took some of its replies (for COMMTIMEOUT).
    last_active: Instant,
    /// When the message being received (or the TLS handshake) started (for COMMTIMEOUT).
    message_started: Option<Instant>,
    /// A TLS handshake is under way: the session learns the client's certificate after it.
    handshaking: bool,
}

impl Connection {
    /// Sets up an accepted socket (with the daemon's TLS, its handshake starts); `None` if
    /// the daemon is shutting down or the socket cannot be made non-blocking.
    pub(super) fn new(inner: &Arc<Inner>, daemon: usize, socket: Socket, key: usize) -> Option<Connection> {
        let tls = match (&inner.tls, &socket) {
            (Some(tls), Socket::Tcp(_)) => Some(tls.session().ok()?),
            _ => None,
        };
        let io = Io::new(socket, tls).ok()?;
        let id = inner.open_connection(None)?;
        let client_addr = io.peer_addr();
        let options = inner.encode_options();
        let mut decoder = MessageDecoder::with_max_message_size(options.max_message_size);
        // The bytes in flight are bounded across all the daemon's connections.
        decoder.set_budget(Arc::clone(&inner.in_flight));
        decoder.set_wire_log(options.wire_log);
        let handshaking = io.is_handshaking();
        let session = if handshaking {
            // A stand-in until the handshake tells the client's certificate.
            ServerSession::new(id, Arc::clone(&inner.info))
        } else {
            inner.equip(ServerSession::new(id, Arc::clone(&inner.info)), client_addr, Vec::new())
        };
        let now = Instant::now();
        Some(Connection {
            inner: Arc::clone(inner),
            id,
            daemon,
            key,
            io,
            decoder,
            session,
            options,
            client_addr,
            output: Vec::new(),
            written: 0,
            readable: true,
            eof: false,
            peer_closed: false,
            busy: false,
            closing: false,
            closed: false,
            interest: None,
            last_active: now,
            message_started: handshaking.then_some(now),
            handshaking,
        })
    }

    /// The socket's descriptor, for the poller.
    pub(super) fn fd(&self) -> RawFd {
        self.io.fd()
    }

    /// Records that the socket was registered for reading.
    pub(super) fn mark_registered(&mut self) {
        self.interest = Some(Interest::READABLE);
    }

    pub(super) fn is_closed(&self) -> bool {
        self.closed
    }

    pub(super) fn is_busy(&self) -> bool {
        self.busy
    }

    /// The poller says the socket is readable and/or writable, or `closed` (the client's end,
    /// or an error, came in).
    pub(super) fn on_ready(&mut self, readable: bool, writable: bool, closed: bool, workers: &Workers) {
        self.readable |= readable;
        self.peer_closed |= closed;
        if writable {
            self.write_some();
        }
        self.drive(workers);
    }

    /// The connection's call finished on a worker.
    pub(super) fn on_completed(&mut self, completed: Done, workers: &Workers) {
        self.busy = false;
        let now = Instant::now();
        self.last_active = now;
        // The time the call took is not the client's: a request it began meanwhile starts now.
        if self.message_started.is_some() {
            self.message_started = Some(now);
        }
        let still_serving = self.inner.set_connection_busy(self.id, false);
        match completed {
            Done::Reply(completed) => {
                let action = self.session.reply(completed);
                self.perform(action, workers);
            }
            Done::Oneway => {}
            Done::Panicked => self.closing = true,
        }
        if !still_serving {
            self.closing = true;
        }
        self.drive(workers);
    }

    /// Registers for writing while output waits, for reading only otherwise.
    pub(super) fn update_interest(&mut self, registry: &Registry) -> std::io::Result<()> {
        let wanted = if self.written < self.output.len() || self.io.wants_write() {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        if self.interest != Some(wanted) {
            registry.reregister(&mut SourceFd(&self.fd()), Token(self.key), wanted)?;
            self.interest = Some(wanted);
        }
        Ok(())
    }

    /// Writes what waits, blocking (at most the comm timeout): used when the loop ends.
    pub(super) fn flush_blocking(&mut self) {
        if self.written >= self.output.len() && !self.io.wants_write() {
            return;
        }
        let timeout = self.inner.config.comm_timeout.unwrap_or(std::time::Duration::from_secs(2));
        let _ = self.io.write_all_blocking(self.output.get(self.written..).unwrap_or_default(), timeout);
        self.output = Vec::new();
        self.written = 0;
    }

    /// Handles what the client sent until the connection waits for the socket or a call.
    fn drive(&mut self, workers: &Workers) {
        let mut buffer = [0u8; READ_CHUNK];
        loop {
            if self.closed {
                return;
            }
            if self.closing {
                // A call under way answers first (a remote `shutdown()` among them).
                if self.busy {
                    return;
                }
                let flushed = self.written >= self.output.len() && !self.io.wants_write();
                if flushed || self.eof {
                    self.close();
                }
                return;
            }
            if self.busy || self.output.len() - self.written > MAX_PENDING_OUTPUT {
                return;
            }
            let expecting = self.session.expecting();
            // The message taken before was handled: its share of the budget goes back.
            self.decoder.release_budget();
            match self.decoder.next_message() {
                Ok(Some(message)) => {
                    let action = if expecting.contains(&message.msg_type) {
                        self.on_message(message)
                    } else {
                        self.session.on_protocol_error(crate::protocol::ProtocolError::UnexpectedMessageType {
                            msg_type: u8::from(message.msg_type),
                            expected: expecting,
                        })
                    };
                    self.perform(action, workers);
                    continue;
                }
                Ok(None) => {}
                Err(error) => {
                    let action = self.session.on_protocol_error(error);
                    self.perform(action, workers);
                    continue;
                }
            }
            if let Some(header) = self.decoder.pending_header()
                && !expecting.contains(&header.msg_type)
            {
                let error = crate::protocol::ProtocolError::UnexpectedMessageType {
                    msg_type: u8::from(header.msg_type),
                    expected: expecting,
                };
                let action = self.session.on_protocol_error(error);
                self.perform(action, workers);
                continue;
            }
            if self.eof {
                self.closing = true;
                continue;
            }
            if !self.readable {
                // Waiting for the poller: keep no room for messages (it may be idle for long).
                self.decoder.shrink_idle();
                return;
            }
            let read = self.io.read(&mut buffer);
            if self.handshaking && !self.io.is_handshaking() {
                self.handshake_done();
            }
            match read {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.received(buffer.get(..n).unwrap_or_default());
                    // A stream socket that filled less than the buffer has nothing more now
                    // (what comes later is a new edge): no read just to hear it would block.
                    if n < buffer.len() && !self.peer_closed && self.io.short_read_drains() {
                        self.readable = false;
                    }
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => self.readable = false,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => {
                    if self.handshaking {
                        tracing::warn!(target: "pyro::daemon", "TLS handshake with {} failed: {error}", crate::logging::Peer(self.client_addr));
                    }
                    self.eof = true;
                    self.closing = true;
                }
            }
        }
    }

    /// Feeds bytes the client sent to the decoder, and times the message they belong to.
    fn received(&mut self, bytes: &[u8]) {
        let now = Instant::now();
        self.last_active = now;
        let ready = self.decoder.ready_messages();
        self.decoder.feed(bytes);
        if !self.decoder.has_partial_message() {
            self.message_started = None;
        } else if self.message_started.is_none() || self.decoder.ready_messages() > ready {
            // A new message began with these bytes.
            self.message_started = Some(now);
        }
    }

    /// The TLS handshake succeeded: the real session, which knows the client's certificate.
    fn handshake_done(&mut self) {
        self.handshaking = false;
        self.message_started = None;
        let chain = self.io.peer_certificates();
        self.session =
            self.inner.equip(ServerSession::new(self.id, Arc::clone(&self.inner.info)), self.client_addr, chain);
    }

    /// A message the session expects: marks the connection busy with it while serving.
    fn on_message(&mut self, message: Message) -> Action {
        if self.session.is_connected() && !self.inner.set_connection_busy(self.id, true) {
            self.closing = true;
            return Action::Continue;
        }
        let action = self.session.on_message(message, self.inner.registry.as_ref());
        if self.session.is_connected()
            && !matches!(action, Action::Dispatch(_))
            && !self.inner.set_connection_busy(self.id, false)
        {
            self.closing = true;
        }
        action
    }

    /// Carries out what the session said.
    fn perform(&mut self, action: Action, workers: &Workers) {
        match action {
            Action::Send(message) => self.queue(&message),
            Action::SendAndClose(message) => {
                self.queue(&message);
                self.closing = true;
            }
            Action::Close => self.closing = true,
            Action::Continue => {}
            Action::Dispatch(request) => {
                self.busy = true;
                workers.call(self.key, self.prepare(request));
            }
            Action::DispatchOneway(request) => {
                let mut request = self.prepare(request);
                // As the thread server: the instance is picked now, the outcome dropped.
                if request.pick_instance().is_err() {
                    return;
                }
                if let Err(job) = self.inner.oneway.submit(Box::new(move || drop(request.run()))) {
                    // The oneway queue is full: this client's next request waits for this one.
                    self.busy = true;
                    workers.oneway(self.key, job);
                }
            }
        }
    }

    /// Adds what only the driver knows to the call's context.
    fn prepare(&self, mut request: Box<Request>) -> Box<Request> {
        let daemon = ShutdownHandle { inner: Arc::downgrade(&self.inner) };
        request.context_mut().set_origin(self.client_addr, Some(daemon));
        request
    }

    /// Encodes `message` after the waiting output and writes what the socket takes.
    fn queue(&mut self, message: &Message) {
        match message.encode(&self.options) {
            Ok(encoded) => {
                self.output.extend_from_slice(encoded.head());
                self.output.extend_from_slice(encoded.payload());
                self.write_some();
            }
            Err(_) => self.closing = true,
        }
    }

    /// Writes until done or the socket would block.
    fn write_some(&mut self) {
        if self.io.push().is_err() {
            self.fail_output();
            return;
        }
        while self.written < self.output.len() {
            match self.io.write(self.output.get(self.written..).unwrap_or_default()) {
                Ok(0) => {
                    self.fail_output();
                    return;
                }
                Ok(n) => {
                    self.written += n;
                    self.last_active = Instant::now();
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => return,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.fail_output();
                    return;
                }
            }
        }
        // All written: an idle connection keeps no buffer.
        self.output = Vec::new();
        self.written = 0;
    }

    fn fail_output(&mut self) {
        self.output = Vec::new();
        self.written = 0;
        self.eof = true;
        self.closing = true;
    }

    fn close(&mut self) {
        self.closed = true;
        self.io.shutdown();
        self.session.close();
    }

    /// `true` if no call runs and, for longer than the daemon's COMMTIMEOUT, the client sent
    /// nothing and took none of its replies, or the message it is sending (or the TLS
    /// handshake) has not been completed (the thread server's read times out then).
    pub(super) fn timed_out(&self, now: Instant) -> bool {
        let timed_out = !self.busy
            && self.inner.config.comm_timeout.is_some_and(|timeout| {
                now.duration_since(self.last_active) > timeout
                    || self.message_started.is_some_and(|started| now.duration_since(started) > timeout)
            });
        if timed_out && !self.closing {
            tracing::warn!(
                target: "pyro::daemon",
                "error during handleRequest from {}: timeout (COMMTIMEOUT) while reading a request",
                crate::logging::Peer(self.client_addr)
            );
        }
        timed_out
    }

    /// Closes the connection now, dropping what was not written (it timed out).
    pub(super) fn expire(&mut self) {
        if !self.closed {
            self.output = Vec::new();
            self.written = 0;
            self.close();
        }
    }

    /// Closes the connection once its call (if any) answered: its daemon shuts down.
    pub(super) fn shut(&mut self, workers: &Workers) {
        self.closing = true;
        self.drive(workers);
    }
}

impl Drop for Connection {
    /// As the thread server: the socket is shut down (with TLS after a `close_notify`), the
    /// session closes (hooks, instances, resources), then the daemon forgets the connection
    /// and the objects it received as proxies.
    fn drop(&mut self) {
        if !self.closed {
            self.io.shutdown();
        }
        self.session.close();
        self.inner.close_connection(self.id);
    }
}

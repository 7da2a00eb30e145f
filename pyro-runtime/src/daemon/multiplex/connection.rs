//! One client connection of the multiplexed server: a non-blocking driver of a
//! [`ServerSession`].

use std::io::{ErrorKind, Read, Write};
use std::os::fd::RawFd;
use std::sync::Arc;
use std::time::Instant;

use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use super::workers::{Done, Workers};
use super::{set_socket_nonblocking, socket_fd};
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
    socket: Socket,
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
    /// A call of this connection is running on a worker.
    busy: bool,
    /// Close once the output is written.
    closing: bool,
    closed: bool,
    /// The interest registered now.
    interest: Option<Interest>,
    /// When the client last sent something or got a reply (for COMMTIMEOUT).
    last_active: Instant,
}

impl Connection {
    /// Sets up an accepted socket; `None` if the daemon is shutting down or the socket cannot
    /// be made non-blocking.
    pub(super) fn new(inner: &Arc<Inner>, daemon: usize, socket: Socket, key: usize) -> Option<Connection> {
        set_socket_nonblocking(&socket).ok()?;
        let id = inner.open_connection(None)?;
        let client_addr = socket.peer_addr();
        let options = inner.encode_options();
        let mut decoder = MessageDecoder::with_max_message_size(options.max_message_size);
        decoder.set_wire_log(options.wire_log);
        let session = ServerSession::new(id, Arc::clone(&inner.info))
            .with_streams(Arc::clone(&inner.streams))
            .with_client_addr(client_addr)
            .with_hooks(inner.hooks.clone());
        let session = inner.annotate(session);
        Some(Connection {
            inner: Arc::clone(inner),
            id,
            daemon,
            key,
            socket,
            decoder,
            session,
            options,
            client_addr,
            output: Vec::new(),
            written: 0,
            readable: true,
            eof: false,
            busy: false,
            closing: false,
            closed: false,
            interest: None,
            last_active: Instant::now(),
        })
    }

    /// The socket's descriptor, for the poller.
    pub(super) fn fd(&self) -> RawFd {
        socket_fd(&self.socket)
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

    /// The poller says the socket is readable and/or writable.
    pub(super) fn on_ready(&mut self, readable: bool, writable: bool, workers: &Workers) {
        self.readable |= readable;
        if writable {
            self.write_some();
        }
        self.drive(workers);
    }

    /// The connection's call finished on a worker.
    pub(super) fn on_completed(&mut self, completed: Done, workers: &Workers) {
        self.busy = false;
        self.last_active = Instant::now();
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
        let wanted =
            if self.written < self.output.len() { Interest::READABLE | Interest::WRITABLE } else { Interest::READABLE };
        if self.interest != Some(wanted) {
            registry.reregister(&mut SourceFd(&self.fd()), Token(self.key), wanted)?;
            self.interest = Some(wanted);
        }
        Ok(())
    }

    /// Writes what waits, blocking (at most the comm timeout): used when the loop ends.
    pub(super) fn flush_blocking(&mut self) {
        if self.written >= self.output.len() {
            return;
        }
        let _ = match &self.socket {
            Socket::Tcp(tcp) => tcp.set_nonblocking(false),
            Socket::Unix(unix) => unix.set_nonblocking(false),
            Socket::Tls(tls) => tls.tcp().set_nonblocking(false),
        };
        let timeout = self.inner.config.comm_timeout.or(Some(std::time::Duration::from_secs(2)));
        let _ = self.socket.set_timeout(timeout);
        let _ = self.socket.write_all(&self.output[self.written..]);
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
                if self.written >= self.output.len() || self.eof {
                    self.close();
                }
                return;
            }
            if self.busy || self.output.len() - self.written > MAX_PENDING_OUTPUT {
                return;
            }
            let expecting = self.session.expecting();
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
                return;
            }
            match self.socket.read(&mut buffer) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.last_active = Instant::now();
                    self.decoder.feed(&buffer[..n]);
                }
                Err(error) if error.kind() == ErrorKind::WouldBlock => self.readable = false,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.eof = true;
                    self.closing = true;
                }
            }
        }
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
    fn prepare(&self, mut request: Request) -> Request {
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
        while self.written < self.output.len() {
            match self.socket.write(&self.output[self.written..]) {
                Ok(0) => {
                    self.fail_output();
                    return;
                }
                Ok(n) => self.written += n,
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
        let _ = self.socket.shutdown();
        self.session.close();
    }

    /// `true` if no call runs and the client sent nothing for longer than the daemon's
    /// COMMTIMEOUT (the thread server's read times out then).
    pub(super) fn timed_out(&self, now: Instant) -> bool {
        let idle = !self.busy
            && self.inner.config.comm_timeout.is_some_and(|timeout| now.duration_since(self.last_active) > timeout);
        if idle && !self.closing {
            tracing::warn!(
                target: "pyro::daemon",
                "error during handleRequest from {}: timeout (COMMTIMEOUT) while reading a request",
                crate::logging::Peer(self.client_addr)
            );
        }
        idle
    }

    /// Closes the connection once its call (if any) answered: its daemon shuts down.
    pub(super) fn shut(&mut self, workers: &Workers) {
        self.closing = true;
        self.drive(workers);
    }
}

impl Drop for Connection {
    /// As the thread server: the session closes (hooks, instances, resources), then the
    /// daemon forgets the connection and the objects it received as proxies.
    fn drop(&mut self) {
        self.session.close();
        self.inner.close_connection(self.id);
    }
}

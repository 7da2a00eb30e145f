//! [`Wire`]: one connection's bytes, async: whole messages in (through the sans-IO
//! [`MessageDecoder`], `COMMTIMEOUT` bounding the wait for each request and each whole
//! request), encoded replies out (gathered while pipelined requests wait, one write for them).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

use crate::daemon::ShutdownHandle;
use crate::protocol::{EncodeOptions, Message, MessageDecoder, MessageType, ProtocolError};

/// How much is read at once.
const READ_CHUNK: usize = 8 * 1024;

/// Replies gathered past this many bytes are written without waiting for more.
const MAX_HELD_OUTPUT: usize = 64 * 1024;

/// How often a wire on the user's connection, waiting for bytes, looks whether the daemon was
/// shut down (it must not shut the connection down to wake itself).
const SHUTDOWN_POLL: Duration = Duration::from_millis(100);

/// Why no message came.
pub(super) enum ReadError {
    /// The client closed the connection between messages.
    Closed,
    /// Bytes that are not what the session accepts.
    Protocol(ProtocolError),
    /// An I/O error, the end of the stream inside a message, or `COMMTIMEOUT`.
    Transport(String),
}

/// One connection's stream with its decoder and the replies waiting to go out.
pub(super) struct Wire<S> {
    stream: S,
    decoder: MessageDecoder,
    options: EncodeOptions,
    timeout: Option<Duration>,
    buffer: Vec<u8>,
    output: Vec<u8>,
    head: Vec<u8>,
    /// On a connection the user gave ([`on_users_connection`](Wire::on_users_connection)): the
    /// daemon's shutdown, looked at while waiting for bytes.
    users: Option<ShutdownHandle>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Wire<S> {
    pub(super) fn new(
        stream: S,
        decoder: MessageDecoder,
        options: EncodeOptions,
        timeout: Option<Duration>,
    ) -> Wire<S> {
        Wire {
            stream,
            decoder,
            options,
            timeout,
            buffer: vec![0; READ_CHUNK],
            output: Vec::new(),
            head: Vec::new(),
            users: None,
        }
    }

    /// This wire is on a connection the user gave (a connected daemon's), as the blocking
    /// connected daemon treats it: the timeout bounds each request from its first byte and each
    /// send, not the wait for a request (an idle client is not disconnected); a shutdown of the
    /// daemon (`handle`) is noticed within [`SHUTDOWN_POLL`] while waiting for bytes; and
    /// [`close`](Wire::close) leaves the connection open.
    pub(super) fn on_users_connection(mut self, handle: ShutdownHandle) -> Wire<S> {
        self.users = Some(handle);
        self
    }

    /// The next whole message, if its type is one of `expecting` (refused as soon as its header
    /// says otherwise, as Pyro5's `recv_stub` does). Replies waiting are written before the
    /// first read that would wait.
    pub(super) async fn next_message(&mut self, expecting: &'static [MessageType]) -> Result<Message, ReadError> {
        let unexpected = |msg_type: MessageType| {
            ReadError::Protocol(ProtocolError::UnexpectedMessageType {
                msg_type: u8::from(msg_type),
                expected: expecting,
            })
        };
        // The message taken before was handled: its share of the budget goes back.
        self.decoder.release_budget();
        // On the user's connection the wait for a request is not bounded.
        let mut deadline = self.timeout.filter(|_| self.users.is_none()).map(|t| Instant::now() + t);
        loop {
            match self.decoder.next_message() {
                Ok(Some(message)) if expecting.contains(&message.msg_type) => return Ok(message),
                Ok(Some(message)) => return Err(unexpected(message.msg_type)),
                Ok(None) => {}
                Err(error) => return Err(ReadError::Protocol(error)),
            }
            if let Some(header) = self.decoder.pending_header()
                && !expecting.contains(&header.msg_type)
            {
                return Err(unexpected(header.msg_type));
            }
            self.flush().await.map_err(|e| ReadError::Transport(format!("sending replies: {e}")))?;
            let started = self.decoder.has_partial_message();
            let timed_out = || ReadError::Transport("timed out (COMMTIMEOUT) reading a request".into());
            let read = match (&self.users, deadline) {
                // In slices, looking at the daemon's shutdown between them (a read is cancel
                // safe: nothing is lost when a slice ends).
                (Some(handle), _) => loop {
                    let slice = deadline
                        .map_or(SHUTDOWN_POLL, |at| at.saturating_duration_since(Instant::now()).min(SHUTDOWN_POLL));
                    match tokio::time::timeout(slice, self.stream.read(&mut self.buffer)).await {
                        Ok(read) => break read,
                        Err(_) if deadline.is_some_and(|at| Instant::now() >= at) => return Err(timed_out()),
                        Err(_) if handle.is_shutdown() => return Err(ReadError::Closed),
                        Err(_) => {}
                    }
                },
                (None, Some(at)) => match tokio::time::timeout_at(at, self.stream.read(&mut self.buffer)).await {
                    Ok(read) => read,
                    Err(_) => return Err(timed_out()),
                },
                (None, None) => self.stream.read(&mut self.buffer).await,
            };
            match read {
                Ok(0) if started => {
                    return Err(ReadError::Transport("connection closed in the middle of a message".into()));
                }
                Ok(0) => return Err(ReadError::Closed),
                Ok(n) => {
                    self.decoder.feed(self.buffer.get(..n).unwrap_or_default());
                    // A new message began: the whole of it must come within the timeout.
                    if !started {
                        deadline = self.timeout.map(|t| Instant::now() + t);
                    }
                }
                Err(error) => return Err(ReadError::Transport(format!("reading a request: {error}"))),
            }
        }
    }

    /// Whether the next request is here already (a pipelining client): replies then wait to go
    /// out together.
    pub(super) fn has_buffered_message(&self) -> bool {
        self.decoder.ready_messages() > 0
    }

    /// Queues `message` for sending; written at once unless more requests are waiting (and not
    /// much output is). A message that cannot be encoded (too large) is an error.
    pub(super) async fn send(&mut self, message: &Message) -> Result<(), String> {
        self.head.clear();
        let (_, payload) = message.encode_into(&mut self.head, &self.options).map_err(|e| e.to_string())?;
        self.output.extend_from_slice(&self.head);
        self.output.extend_from_slice(&payload);
        if !self.has_buffered_message() || self.output.len() > MAX_HELD_OUTPUT {
            self.flush().await.map_err(|e| format!("sending a reply: {e}"))?;
        }
        Ok(())
    }

    /// Writes the queued replies (bounded by `COMMTIMEOUT`).
    pub(super) async fn flush(&mut self) -> std::io::Result<()> {
        if self.output.is_empty() {
            return Ok(());
        }
        let (stream, output) = (&mut self.stream, &self.output);
        let write = async move {
            stream.write_all(output).await?;
            stream.flush().await
        };
        let result = match self.timeout {
            Some(timeout) => tokio::time::timeout(timeout, write)
                .await
                .unwrap_or_else(|_| Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "timed out (COMMTIMEOUT)"))),
            None => write.await,
        };
        self.output.clear();
        if self.output.capacity() > MAX_HELD_OUTPUT * 2 {
            self.output = Vec::new();
        }
        result
    }

    /// Writes what is queued and ends the stream (best effort), unless it is the user's
    /// connection: that stays open.
    pub(super) async fn close(&mut self) {
        let _ = self.flush().await;
        if self.users.is_some() {
            return;
        }
        let close = self.stream.shutdown();
        let _ = tokio::time::timeout(self.timeout.unwrap_or(Duration::from_secs(2)), close).await;
    }
}

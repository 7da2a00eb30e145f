//! [`MessageStream`]: blocking message I/O over any `Read + Write` stream, reading through the
//! sans-IO [`MessageDecoder`].

use std::io::{self, IoSlice, Read, Write};
use std::time::{Duration, Instant};

use super::{Socket, StreamError, TransportError};
use crate::Error;
use crate::protocol::{EncodeOptions, Message, MessageDecoder, MessageType, ProtocolError};

/// Bytes read from the socket at once: a whole small message (header, annotations and payload)
/// usually arrives with one `recv`.
const READ_BUFFER: usize = 16 * 1024;

/// The read buffer grows up to this size while a large body is being received (fewer `recv`s).
const LARGE_READ_BUFFER: usize = 256 * 1024;

/// Sets a stream's read timeout (see [`MessageStream::bound_whole_messages`]).
type Retime<S> = fn(&S, Option<Duration>) -> io::Result<()>;

/// Reads and writes whole Pyro5 messages on a blocking byte stream. Reads go into one buffer
/// (one `recv` usually brings a whole message) and through a [`MessageDecoder`], which checks
/// the header as early as Pyro5 does and never allocates what was merely claimed; writes send
/// header and payload with one vectored write, reusing one header buffer. The daemon, the proxy
/// and the name server all move their messages through it, driving the
/// [`session`](crate::session) types.
///
/// ```
/// use pyro::protocol::{Message, MessageType};
/// use pyro::transport::MessageStream;
///
/// let mut writer = MessageStream::new(std::io::Cursor::new(Vec::new()), Default::default());
/// writer.send(&Message::new(MessageType::Ping, 42, b"ping".to_vec())).unwrap();
/// let wire = writer.get_ref().get_ref().clone();
/// let got = MessageStream::new(std::io::Cursor::new(wire), Default::default()).receive("reading a ping").unwrap();
/// assert_eq!(got.data, b"ping");
/// ```
#[derive(Debug)]
pub struct MessageStream<S> {
    stream: S,
    options: EncodeOptions,
    decoder: MessageDecoder,
    buffer: Box<[u8]>,
    head: Vec<u8>,
    timeout: Option<Duration>,
    /// Set by [`MessageStream::bound_whole_messages`]: how to change the read timeout, so that
    /// the timeout bounds each whole message rather than each read.
    retime: Option<Retime<S>>,
    /// The read timeout was shortened for the message being read, and must be restored.
    retimed: bool,
}

impl<S> MessageStream<S> {
    /// Wraps `stream`; `options` set compression and the maximum message size (both ways).
    ///
    /// ```
    /// let s = pyro::transport::MessageStream::new(std::io::empty(), Default::default());
    /// ```
    pub fn new(stream: S, options: EncodeOptions) -> MessageStream<S> {
        let mut decoder = MessageDecoder::with_max_message_size(options.max_message_size);
        decoder.set_wire_log(options.wire_log);
        MessageStream {
            stream,
            options,
            decoder,
            buffer: vec![0; READ_BUFFER].into_boxed_slice(),
            head: Vec::with_capacity(crate::protocol::HEADER_SIZE + 64),
            timeout: None,
            retime: None,
            retimed: false,
        }
    }

    /// The wrapped stream.
    ///
    /// ```
    /// let s = pyro::transport::MessageStream::new(std::io::empty(), Default::default());
    /// let _inner: &std::io::Empty = s.get_ref();
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The wrapped stream, mutably (for settings; reading from it directly would skip bytes
    /// already buffered here).
    ///
    /// ```
    /// let mut s = pyro::transport::MessageStream::new(std::io::empty(), Default::default());
    /// let _inner: &mut std::io::Empty = s.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Makes the messages received here draw on `budget` while they are decompressed and
    /// handled (until the next receive), shared with other streams; see
    /// [`MessageDecoder::set_budget`]. A daemon shares one budget among its connections.
    ///
    /// ```
    /// let mut s = pyro::transport::MessageStream::new(std::io::empty(), Default::default());
    /// s.share_budget(std::sync::Arc::new(pyro::protocol::ByteBudget::new(1 << 20)));
    /// ```
    pub fn share_budget(&mut self, budget: std::sync::Arc<crate::protocol::ByteBudget>) {
        self.decoder.set_budget(budget);
    }

    /// The encoding options.
    ///
    /// ```
    /// let s = pyro::transport::MessageStream::new(std::io::empty(), Default::default());
    /// assert!(!s.options().compression);
    /// ```
    pub fn options(&self) -> &EncodeOptions {
        &self.options
    }
}

impl<S> MessageStream<S> {
    /// Whether a whole message was already read from the stream and waits here, so that the
    /// next receive returns it without reading (a peer that pipelines its requests).
    ///
    /// ```
    /// use pyro::protocol::Message;
    /// use pyro::transport::MessageStream;
    /// let mut writer = MessageStream::new(std::io::Cursor::new(Vec::new()), Default::default());
    /// writer.send_messages(&[Message::ping(), Message::ping()]).unwrap();
    /// let wire = writer.get_ref().get_ref().clone();
    /// let mut reader = MessageStream::new(std::io::Cursor::new(wire), Default::default());
    /// assert!(!reader.has_buffered_message());
    /// reader.receive("one").unwrap();
    /// assert!(reader.has_buffered_message());
    /// ```
    pub fn has_buffered_message(&self) -> bool {
        self.decoder.ready_messages() > 0
    }

    /// Whether part of a message was read and the rest is still to come (a receive that timed
    /// out mid-message resumes where it stopped).
    ///
    /// ```
    /// use pyro::transport::MessageStream;
    /// let mut reader = MessageStream::new(std::io::Cursor::new(b"PYRO".to_vec()), Default::default());
    /// assert!(!reader.has_partial_message());
    /// assert!(reader.receive("reading").is_err()); // the stream ended after 4 bytes
    /// assert!(reader.has_partial_message());
    /// ```
    pub fn has_partial_message(&self) -> bool {
        self.decoder.has_partial_message()
    }
}

impl MessageStream<Socket> {
    /// Sets the socket's read and write timeout (`None`: block), remembered for
    /// [`TransportError::Timeout`].
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use pyro::transport::{MessageStream, Socket};
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let mut stream = MessageStream::new(Socket::Unix(a), Default::default());
    /// stream.set_timeout(Some(std::time::Duration::from_secs(1))).unwrap();
    /// # }
    /// ```
    pub fn set_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.set_timeout(timeout)?;
        self.timeout = timeout;
        Ok(())
    }

    /// Remembers `timeout` as the socket's (for [`TransportError::Timeout`]) without setting
    /// it: the socket has it already (it was connected with it).
    pub(crate) fn assume_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }

    /// Makes the timeout bound the reading of each whole message (from its first byte to its
    /// last), not each read, so a peer sending a byte now and then cannot keep a message (and
    /// the thread reading it) going forever. Waiting for a message's first byte is still
    /// bounded by the timeout, so idle connections end too. A daemon does this for its clients.
    ///
    /// ```
    /// # #[cfg(unix)] {
    /// use std::io::Write;
    /// use std::time::{Duration, Instant};
    /// use pyro::protocol::Message;
    /// use pyro::transport::{MessageStream, Socket, StreamError, TransportError};
    ///
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let mut stream = MessageStream::new(Socket::Unix(a), Default::default());
    /// stream.set_timeout(Some(Duration::from_millis(300))).unwrap();
    /// stream.bound_whole_messages();
    /// let wire = Message::ping().to_bytes(&Default::default()).unwrap();
    /// let trickle = std::thread::spawn(move || {
    ///     for byte in wire {
    ///         if b.write_all(&[byte]).is_err() { break }
    ///         std::thread::sleep(Duration::from_millis(100));
    ///     }
    /// });
    /// let start = Instant::now();
    /// let err = stream.receive_message(&[], "reading").unwrap_err();
    /// assert!(matches!(err, StreamError::Transport(TransportError::Timeout { .. })), "{err}");
    /// assert!(start.elapsed() < Duration::from_secs(2));
    /// drop(stream);
    /// trickle.join().unwrap();
    /// # }
    /// ```
    pub fn bound_whole_messages(&mut self) {
        self.retime = Some(Socket::set_timeout);
    }

    /// Reads the next message, which must have arrived whole by `by` (else a timeout error);
    /// each read waits no longer than the time left, and the socket's timeout is put back
    /// afterwards. A proxy reads a reply under a [deadline](crate::deadline) with it.
    pub(crate) fn receive_message_by(
        &mut self,
        by: Instant,
        accepted: &'static [MessageType],
        context: &str,
    ) -> Result<Message, StreamError> {
        self.receive_with(accepted, context, Some((by, Socket::set_read_timeout)))
    }
}

impl<S: Write> MessageStream<S> {
    /// Writes `message` (header and payload with one vectored write where possible).
    ///
    /// See [`MessageStream`] for an example.
    pub fn send(&mut self, message: &Message) -> Result<(), Error> {
        Ok(self.send_message(message)?)
    }

    /// [`send`](MessageStream::send) with a typed error.
    ///
    /// ```
    /// use pyro::protocol::Message;
    /// let mut s = pyro::transport::MessageStream::new(std::io::sink(), Default::default());
    /// s.send_message(&Message::ping()).unwrap();
    /// ```
    pub fn send_message(&mut self, message: &Message) -> Result<(), StreamError> {
        const CONTEXT: &str = "sending a message";
        self.head.clear();
        let (_, payload) = message.encode_into(&mut self.head, &self.options)?;
        let timeout = self.timeout;
        write_all_vectored(&mut self.stream, &self.head, &payload)
            .and_then(|()| self.stream.flush())
            .map_err(|e| TransportError::from_io(e, CONTEXT, timeout).into())
    }

    /// Writes several messages with one write (for pipelined requests), in order.
    ///
    /// ```
    /// use pyro::protocol::Message;
    /// use pyro::transport::MessageStream;
    /// let mut s = MessageStream::new(std::io::Cursor::new(Vec::new()), Default::default());
    /// s.send_messages(&[Message::ping(), Message::ping()]).unwrap();
    /// let wire = s.get_ref().get_ref().clone();
    /// let mut r = MessageStream::new(std::io::Cursor::new(wire), Default::default());
    /// assert_eq!(r.receive("one").unwrap().data, b"ping");
    /// assert_eq!(r.receive("two").unwrap().data, b"ping");
    /// ```
    pub fn send_messages(&mut self, messages: &[Message]) -> Result<(), StreamError> {
        const CONTEXT: &str = "sending messages";
        let mut wire = Vec::new();
        for message in messages {
            self.head.clear();
            let (_, payload) = message.encode_into(&mut self.head, &self.options)?;
            wire.extend_from_slice(&self.head);
            wire.extend_from_slice(&payload);
        }
        let timeout = self.timeout;
        self.stream
            .write_all(&wire)
            .and_then(|()| self.stream.flush())
            .map_err(|e| TransportError::from_io(e, CONTEXT, timeout).into())
    }
}

impl<S: Read> MessageStream<S> {
    /// Reads one whole message of any type. `context` says what for, in errors ("receiving a
    /// reply from ..."). A stream that ends is [`Error::ConnectionClosed`].
    ///
    /// See [`MessageStream`] for an example.
    pub fn receive(&mut self, context: &str) -> Result<Message, Error> {
        self.receive_expecting(&[], context)
    }

    /// Reads one whole message whose type must be one of `accepted` (any type if empty), as
    /// Pyro5's `recv_stub` does: garbage is refused as soon as its first bytes arrive, and the
    /// header (version, magic, size, type) before the body is waited for. Invalid bytes are
    /// [`Error::Protocol`].
    ///
    /// ```
    /// use pyro::protocol::{Message, MessageType};
    /// use pyro::transport::MessageStream;
    ///
    /// let mut writer = MessageStream::new(std::io::Cursor::new(Vec::new()), Default::default());
    /// writer.send(&Message::ping()).unwrap();
    /// let wire = writer.get_ref().get_ref().clone();
    /// let mut reader = MessageStream::new(std::io::Cursor::new(wire), Default::default());
    /// let err = reader.receive_expecting(&[MessageType::Connect], "handshake").unwrap_err();
    /// assert_eq!(err.to_string(), "invalid msg type 6 received (expected: 1)");
    /// ```
    pub fn receive_expecting(&mut self, accepted: &'static [MessageType], context: &str) -> Result<Message, Error> {
        Ok(self.receive_message(accepted, context)?)
    }

    /// [`receive_expecting`](MessageStream::receive_expecting) with a typed error.
    ///
    /// ```
    /// use pyro::transport::{MessageStream, StreamError, TransportError};
    /// let mut reader = MessageStream::new(std::io::empty(), Default::default());
    /// let err = reader.receive_message(&[], "reading").unwrap_err();
    /// assert!(matches!(err, StreamError::Transport(TransportError::Closed { .. })));
    /// ```
    pub fn receive_message(&mut self, accepted: &'static [MessageType], context: &str) -> Result<Message, StreamError> {
        self.receive_with(accepted, context, None)
    }

    /// [`receive_message`](MessageStream::receive_message), or with `by`: the whole message
    /// must have arrived by its instant, each read's timeout set with its function to the time
    /// left (a timeout error once none is).
    pub(crate) fn receive_with(
        &mut self,
        accepted: &'static [MessageType],
        context: &str,
        by: Option<(Instant, Retime<S>)>,
    ) -> Result<Message, StreamError> {
        // The message received before was handled: its share of a budget goes back.
        self.decoder.release_budget();
        let retime = by.map(|(_, retime)| retime).or(self.retime);
        let result = self.receive_one(accepted, context, by.map(|(at, _)| at), retime);
        if self.retimed {
            self.retimed = false;
            if let Some(retime) = retime
                && let Err(e) = retime(&self.stream, self.timeout)
            {
                return Err(TransportError::from_io(e, context, self.timeout).into());
            }
        }
        result
    }

    fn receive_one(
        &mut self,
        accepted: &'static [MessageType],
        context: &str,
        by: Option<Instant>,
        retime: Option<Retime<S>>,
    ) -> Result<Message, StreamError> {
        let mut deadline: Option<Instant> = by;
        let unexpected = |msg_type: MessageType| ProtocolError::UnexpectedMessageType {
            msg_type: u8::from(msg_type),
            expected: accepted,
        };
        let accepts = |msg_type: MessageType| accepted.is_empty() || accepted.contains(&msg_type);
        loop {
            if let Some(message) = self.decoder.next_message()? {
                if !accepts(message.msg_type) {
                    return Err(unexpected(message.msg_type).into());
                }
                return Ok(message);
            }
            if let Some(header) = self.decoder.pending_header()
                && !accepts(header.msg_type)
            {
                return Err(unexpected(header.msg_type).into());
            }
            if self.buffer.len() < LARGE_READ_BUFFER && self.decoder.bytes_needed() > self.buffer.len() {
                self.buffer = vec![0; LARGE_READ_BUFFER].into_boxed_slice();
            }
            if let (Some(deadline), Some(retime)) = (deadline, retime) {
                // Only what is left of the timeout for the rest of this message.
                let remaining = deadline.saturating_duration_since(Instant::now());
                if remaining.is_zero() {
                    return Err(TransportError::from_io(io::ErrorKind::TimedOut.into(), context, self.timeout).into());
                }
                self.retimed = true;
                retime(&self.stream, Some(remaining)).map_err(|e| TransportError::from_io(e, context, self.timeout))?;
            }
            let n = loop {
                match self.stream.read(&mut self.buffer) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(TransportError::from_io(e, context, self.timeout).into()),
                }
            };
            if n == 0 {
                return Err(TransportError::Closed { context: context.to_owned() }.into());
            }
            if deadline.is_none()
                && let Some(timeout) = self.timeout
            {
                deadline = Some(Instant::now() + timeout);
            }
            self.decoder.feed(self.buffer.get(..n).unwrap_or_default());
        }
    }
}

fn write_all_vectored<W: Write>(w: &mut W, head: &[u8], payload: &[u8]) -> io::Result<()> {
    let (mut head, mut payload) = (head, payload);
    while !head.is_empty() || !payload.is_empty() {
        let n = match w.write_vectored(&[IoSlice::new(head), IoSlice::new(payload)]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let from_head = n.min(head.len());
        head = &head[from_head..];
        payload = &payload[n - from_head..];
    }
    Ok(())
}

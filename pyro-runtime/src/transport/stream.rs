//! [`MessageStream`]: blocking message I/O over any `Read + Write` stream.

use std::io::{self, BufReader, IoSlice, Read, Write};

use crate::Error;
use crate::protocol::{EncodeOptions, HEADER_SIZE, Header, Message, MessageType, ProtocolError, validate_prefix};

/// Bytes read from the socket at once: a whole small message (header, annotations and payload)
/// usually arrives with one `recv`.
const READ_BUFFER: usize = 16 * 1024;

/// Bodies up to this size are read into an exact allocation; larger ones grow as bytes arrive,
/// so a lying header cannot make us allocate what was never sent.
const EXACT_BODY_LIMIT: usize = 1024 * 1024;

/// Reads and writes whole Pyro5 messages on a blocking byte stream. Reads are buffered (one
/// `recv` usually brings a whole message) and size-checked from the header before the body is
/// read; writes send header and payload with one vectored write, reusing one header buffer.
/// The daemon, the proxy and the name server all move their messages through it.
///
/// ```
/// use pyro_runtime::protocol::{Message, MessageType};
/// use pyro_runtime::transport::MessageStream;
///
/// let mut writer = MessageStream::new(std::io::Cursor::new(Vec::new()), Default::default());
/// writer.send(&Message::new(MessageType::Ping, 42, b"ping".to_vec())).unwrap();
/// let wire = writer.get_ref().get_ref().clone();
/// let got = MessageStream::new(std::io::Cursor::new(wire), Default::default()).receive("reading a ping").unwrap();
/// assert_eq!(got.data, b"ping");
/// ```
#[derive(Debug)]
pub struct MessageStream<S> {
    stream: BufReader<S>,
    options: EncodeOptions,
    head: Vec<u8>,
}

impl<S: Read> MessageStream<S> {
    /// Wraps `stream`; `options` set compression and the maximum message size (both ways).
    ///
    /// ```
    /// let s = pyro_runtime::transport::MessageStream::new(std::io::empty(), Default::default());
    /// ```
    pub fn new(stream: S, options: EncodeOptions) -> MessageStream<S> {
        MessageStream {
            stream: BufReader::with_capacity(READ_BUFFER, stream),
            options,
            head: Vec::with_capacity(HEADER_SIZE + 64),
        }
    }
}

impl<S> MessageStream<S> {
    /// The wrapped stream.
    ///
    /// ```
    /// let s = pyro_runtime::transport::MessageStream::new(std::io::empty(), Default::default());
    /// let _inner: &std::io::Empty = s.get_ref();
    /// ```
    pub fn get_ref(&self) -> &S {
        self.stream.get_ref()
    }

    /// The wrapped stream, mutably (for settings such as timeouts; reading from it directly
    /// would skip bytes already buffered here).
    ///
    /// ```
    /// let mut s = pyro_runtime::transport::MessageStream::new(std::io::empty(), Default::default());
    /// let _inner: &mut std::io::Empty = s.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        self.stream.get_mut()
    }

    /// The encoding options.
    ///
    /// ```
    /// let s = pyro_runtime::transport::MessageStream::new(std::io::empty(), Default::default());
    /// assert!(!s.options().compression);
    /// ```
    pub fn options(&self) -> &EncodeOptions {
        &self.options
    }
}

impl<S: Write> MessageStream<S> {
    /// Writes `message` (header and payload with one vectored write where possible).
    ///
    /// See [`MessageStream`] for an example.
    pub fn send(&mut self, message: &Message) -> Result<(), Error> {
        self.head.clear();
        let (_, payload) = message.encode_into(&mut self.head, &self.options)?;
        let stream = self.stream.get_mut();
        write_all_vectored(stream, &self.head, &payload).map_err(|e| io_error(e, "sending a message"))?;
        stream.flush().map_err(|e| io_error(e, "sending a message"))
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
    /// Pyro5's `recv_stub` does: the first 6 bytes are checked before waiting for the rest (so
    /// garbage is refused at once), and the header (version, magic, size, type) before the
    /// body is read. Invalid bytes are [`Error::Protocol`].
    ///
    /// ```
    /// use pyro_runtime::protocol::{Message, MessageType};
    /// use pyro_runtime::transport::MessageStream;
    ///
    /// let mut writer = MessageStream::new(std::io::Cursor::new(Vec::new()), Default::default());
    /// writer.send(&Message::ping()).unwrap();
    /// let wire = writer.get_ref().get_ref().clone();
    /// let mut reader = MessageStream::new(std::io::Cursor::new(wire), Default::default());
    /// let err = reader.receive_expecting(&[MessageType::Connect], "handshake").unwrap_err();
    /// assert_eq!(err.to_string(), "invalid msg type 6 received (expected: 1)");
    /// ```
    pub fn receive_expecting(&mut self, accepted: &'static [MessageType], context: &str) -> Result<Message, Error> {
        let mut header = [0u8; HEADER_SIZE];
        self.stream.read_exact(&mut header[..6]).map_err(|e| io_error(e, context))?;
        validate_prefix(&header[..6])?;
        self.stream.read_exact(&mut header[6..]).map_err(|e| io_error(e, context))?;
        let max = self.options.max_message_size;
        let header = Header::parse(&header, max)?;
        if !accepted.is_empty() && !accepted.contains(&header.msg_type) {
            return Err(ProtocolError::UnexpectedMessageType {
                msg_type: u8::from(header.msg_type),
                expected: accepted,
            }
            .into());
        }
        let len = header.body_len();
        let body = if len <= EXACT_BODY_LIMIT {
            let mut body = vec![0u8; len];
            self.stream.read_exact(&mut body).map_err(|e| io_error(e, context))?;
            body
        } else {
            let mut body = Vec::new();
            (&mut self.stream).take(len as u64).read_to_end(&mut body).map_err(|e| io_error(e, context))?;
            if body.len() < len {
                return Err(Error::ConnectionClosed { context: context.to_owned() });
            }
            body
        };
        Ok(Message::from_parts(header, body, max)?)
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

/// Maps an I/O error to pyro's error kinds: end of stream and resets are a closed connection,
/// a socket timeout is a communication error the caller may turn into [`Error::Timeout`].
pub(crate) fn io_error(e: io::Error, context: &str) -> Error {
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::WriteZero => Error::ConnectionClosed { context: context.to_owned() },
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            Error::Communication { message: format!("timeout while {context}"), source: Some(e) }
        }
        _ => Error::Communication { message: format!("I/O error while {context}"), source: Some(e) },
    }
}

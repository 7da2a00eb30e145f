//! [`MessageStream`]: blocking message I/O over any `Read + Write` stream.

use std::io::{self, IoSlice, Read, Write};

use crate::Error;
use crate::protocol::{EncodeOptions, HEADER_SIZE, Header, Message, validate_prefix};

/// Reads and writes whole Pyro5 messages on a blocking byte stream, reusing one buffer for
/// outgoing headers. Every read is size-checked from the header before the body is read.
///
/// ```
/// use pyro_runtime::protocol::{Message, MessageType};
/// use pyro_runtime::transport::MessageStream;
///
/// let mut wire = Vec::new();
/// MessageStream::new(&mut wire, Default::default()).send(&Message::new(MessageType::Ping, 42, b"ping".to_vec())).unwrap();
/// let got = MessageStream::new(std::io::Cursor::new(wire), Default::default()).receive("reading a ping").unwrap();
/// assert_eq!(got.data, b"ping");
/// ```
#[derive(Debug)]
pub struct MessageStream<S> {
    stream: S,
    options: EncodeOptions,
    head: Vec<u8>,
}

impl<S> MessageStream<S> {
    /// Wraps `stream`; `options` set compression and the maximum message size (both ways).
    ///
    /// ```
    /// let s = pyro_runtime::transport::MessageStream::new(std::io::empty(), Default::default());
    /// ```
    pub fn new(stream: S, options: EncodeOptions) -> MessageStream<S> {
        MessageStream { stream, options, head: Vec::with_capacity(HEADER_SIZE + 64) }
    }

    /// The wrapped stream.
    ///
    /// ```
    /// let s = pyro_runtime::transport::MessageStream::new(std::io::empty(), Default::default());
    /// let _inner: &std::io::Empty = s.get_ref();
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.stream
    }

    /// The wrapped stream, mutably.
    ///
    /// ```
    /// let mut s = pyro_runtime::transport::MessageStream::new(std::io::empty(), Default::default());
    /// let _inner: &mut std::io::Empty = s.get_mut();
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.stream
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
        write_all_vectored(&mut self.stream, &self.head, &payload).map_err(|e| io_error(e, "sending a message"))?;
        self.stream.flush().map_err(|e| io_error(e, "sending a message"))
    }
}

impl<S: Read> MessageStream<S> {
    /// Reads one whole message. `context` says what for, in errors ("receiving a reply from ...").
    /// A stream that ends before a header starts is [`Error::ConnectionClosed`].
    ///
    /// See [`MessageStream`] for an example.
    pub fn receive(&mut self, context: &str) -> Result<Message, Error> {
        let mut header = [0u8; HEADER_SIZE];
        // Check the first 6 bytes before waiting for the rest, as Pyro5 does: garbage is
        // refused at once instead of after 40 bytes that may never come.
        self.stream.read_exact(&mut header[..6]).map_err(|e| io_error(e, context))?;
        validate_prefix(&header[..6])?;
        self.stream.read_exact(&mut header[6..]).map_err(|e| io_error(e, context))?;
        let max = self.options.max_message_size;
        let header = Header::parse(&header, max)?;
        let mut body = Vec::new();
        let len = header.body_len();
        (&mut self.stream).take(len as u64).read_to_end(&mut body).map_err(|e| io_error(e, context))?;
        if body.len() < len {
            return Err(Error::ConnectionClosed { context: context.to_owned() });
        }
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
/// a socket timeout is [`Error::Timeout`]-like communication error.
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

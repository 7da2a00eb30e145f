//! How a [`Message`](super::Message) is encoded ([`EncodeOptions`]) and the encoded bytes
//! ([`Encoded`]), ready to write.

use std::borrow::Cow;
use std::io::{self, IoSlice, Write};

use super::super::{DEFAULT_MAX_MESSAGE_SIZE, Header};

/// How to encode a message: whether to compress, and the largest message allowed.
///
/// The default is Pyro5's: no compression, 1 GiB maximum.
///
/// ```
/// use pyro::protocol::{DEFAULT_MAX_MESSAGE_SIZE, EncodeOptions};
///
/// let options = EncodeOptions::default().compression(true);
/// assert!(options.compression);
/// assert_eq!(options.max_message_size, DEFAULT_MAX_MESSAGE_SIZE);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Compress payloads over 100 bytes with zlib (Pyro5's `COMPRESSION`).
    pub compression: bool,
    /// The largest payload (after compression) plus annotations to send (Pyro5's `MAX_MESSAGE_SIZE`).
    pub max_message_size: usize,
    /// `LOGWIRE`: log every message encoded with these options (and decoded by a
    /// [`MessageDecoder`](crate::protocol::MessageDecoder) given them) at debug level on the
    /// `pyro::wire` target, as sent by this side (`"daemon"`, `"proxy"`); `None` logs nothing.
    pub wire_log: Option<&'static str>,
}

impl EncodeOptions {
    /// Pyro5's defaults: no compression, [`DEFAULT_MAX_MESSAGE_SIZE`].
    ///
    /// ```
    /// use pyro::protocol::EncodeOptions;
    /// assert_eq!(EncodeOptions::new(), EncodeOptions::default());
    /// ```
    pub const fn new() -> EncodeOptions {
        EncodeOptions { compression: false, max_message_size: DEFAULT_MAX_MESSAGE_SIZE, wire_log: None }
    }

    /// Sets [`compression`](Self::compression).
    ///
    /// ```
    /// use pyro::protocol::EncodeOptions;
    /// assert!(EncodeOptions::new().compression(true).compression);
    /// ```
    #[must_use]
    pub const fn compression(mut self, compression: bool) -> EncodeOptions {
        self.compression = compression;
        self
    }

    /// Sets [`max_message_size`](Self::max_message_size).
    ///
    /// ```
    /// use pyro::protocol::EncodeOptions;
    /// assert_eq!(EncodeOptions::new().max_message_size(4096).max_message_size, 4096);
    /// ```
    #[must_use]
    pub const fn max_message_size(mut self, max_message_size: usize) -> EncodeOptions {
        self.max_message_size = max_message_size;
        self
    }

    /// Sets [`wire_log`](Self::wire_log): `side` (`"daemon"`, `"proxy"`) when LOGWIRE is on.
    ///
    /// ```
    /// use pyro::protocol::EncodeOptions;
    /// assert_eq!(EncodeOptions::new().wire_log(Some("daemon")).wire_log, Some("daemon"));
    /// ```
    #[must_use]
    pub const fn wire_log(mut self, side: Option<&'static str>) -> EncodeOptions {
        self.wire_log = side;
        self
    }
}

impl Default for EncodeOptions {
    fn default() -> EncodeOptions {
        EncodeOptions::new()
    }
}

/// An encoded message: a small `head` (header and annotation chunks) and the payload, kept apart so
/// a large payload is not copied (it is borrowed from the [`Message`](super::Message) unless it was compressed).
///
/// Send it with one vectored write ([`Encoded::write_to`], [`Encoded::io_slices`]) or two
/// `write_all`s.
///
/// ```
/// use pyro::protocol::{EncodeOptions, Message, MessageType};
///
/// let msg = Message::new(MessageType::Result, 4, vec![0x03]).with_seq(1);
/// let encoded = msg.encode(&EncodeOptions::default()).unwrap();
/// assert_eq!(encoded.head().len(), 40);
/// assert_eq!(encoded.payload(), &[0x03]);
///
/// let mut wire = Vec::new();
/// encoded.write_to(&mut wire).unwrap();
/// assert_eq!(wire.len(), encoded.total_len());
/// assert_eq!(wire, encoded.into_vec());
/// ```
#[derive(Clone, Debug)]
pub struct Encoded<'a> {
    pub(super) header: Header,
    pub(super) head: Vec<u8>,
    pub(super) payload: Cow<'a, [u8]>,
}

impl Encoded<'_> {
    /// The header as sent (flags with COMPRESSED and CORR_ID as on the wire, compressed data size).
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Flags, Message, MessageType};
    ///
    /// let msg = Message::new(MessageType::Result, 4, vec![b'x'; 500]);
    /// let encoded = msg.encode(&EncodeOptions::new().compression(true)).unwrap();
    /// assert!(encoded.header().flags.contains(Flags::COMPRESSED));
    /// assert!((encoded.header().data_size as usize) < 500);
    /// ```
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The 40-byte header followed by the annotation chunks.
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, EncodeOptions, Message, MessageType};
    ///
    /// let msg = Message::new(MessageType::Invoke, 4, vec![]).with_annotation(AnnotationId::STREAM, b"abc".to_vec());
    /// let encoded = msg.encode(&EncodeOptions::default()).unwrap();
    /// assert_eq!(&encoded.head()[40..], b"STRM\0\0\0\x03abc");
    /// ```
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The payload as sent (compressed if the header says so).
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageType};
    /// let msg = Message::new(MessageType::Ping, 42, b"ping".to_vec());
    /// assert_eq!(msg.encode(&EncodeOptions::default()).unwrap().payload(), b"ping");
    /// ```
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Length of the whole message on the wire.
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageType};
    /// let msg = Message::new(MessageType::Ping, 42, b"ping".to_vec());
    /// assert_eq!(msg.encode(&EncodeOptions::default()).unwrap().total_len(), 44);
    /// ```
    pub fn total_len(&self) -> usize {
        self.head.len() + self.payload.len()
    }

    /// Head and payload as two slices for [`Write::write_vectored`].
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageType};
    /// let msg = Message::new(MessageType::Ping, 42, b"ping".to_vec());
    /// let encoded = msg.encode(&EncodeOptions::default()).unwrap();
    /// let [head, payload] = encoded.io_slices();
    /// assert_eq!((head.len(), &*payload), (40, &b"ping"[..]));
    /// ```
    pub fn io_slices(&self) -> [IoSlice<'_>; 2] {
        [IoSlice::new(&self.head), IoSlice::new(&self.payload)]
    }

    /// Writes the whole message with vectored writes, retrying short writes and interruptions.
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageType};
    /// let msg = Message::new(MessageType::Ping, 42, b"ping".to_vec());
    /// let mut out = Vec::new();
    /// msg.encode(&EncodeOptions::default()).unwrap().write_to(&mut out).unwrap();
    /// assert_eq!(&out[40..], b"ping");
    /// ```
    pub fn write_to<W: Write + ?Sized>(&self, writer: &mut W) -> io::Result<()> {
        let mut slices = self.io_slices();
        let mut bufs: &mut [IoSlice<'_>] = &mut slices;
        let mut remaining = self.total_len();
        IoSlice::advance_slices(&mut bufs, 0);
        while remaining > 0 {
            match writer.write_vectored(bufs) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "failed to write whole message")),
                Ok(n) => {
                    let n = n.min(remaining);
                    remaining -= n;
                    IoSlice::advance_slices(&mut bufs, n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The whole message as one buffer (reuses the head's allocation).
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageType};
    /// let msg = Message::new(MessageType::Ping, 42, b"ping".to_vec());
    /// assert_eq!(msg.encode(&EncodeOptions::default()).unwrap().into_vec().len(), 44);
    /// ```
    pub fn into_vec(self) -> Vec<u8> {
        let mut out = self.head;
        out.extend_from_slice(&self.payload);
        out
    }
}

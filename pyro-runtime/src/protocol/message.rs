//! [`Message`]: a whole Pyro5 message, and its encoding ([`EncodeOptions`], [`Encoded`]).

use std::borrow::Cow;
use std::fmt;
use std::io::{self, IoSlice, Write};

use uuid::Uuid;

use super::compression::{COMPRESSION_THRESHOLD, compress, decompress_reserving};
use super::{
    AnnotationId, Annotations, DEFAULT_MAX_MESSAGE_SIZE, Flags, HEADER_SIZE, Header, MessageType, PING_SERIALIZER_ID,
    ProtocolError,
};

/// A Pyro5 message: header fields, annotations and the (uncompressed) payload.
///
/// Build one with [`Message::new`] and the `with_*` methods, send it with [`Message::encode`], and
/// receive one with a [`MessageDecoder`](super::MessageDecoder) or [`Message::from_parts`].
///
/// ```
/// use pyro::protocol::{EncodeOptions, Flags, Message, MessageDecoder, MessageType};
/// use uuid::Uuid;
///
/// let id = Uuid::from_u128(0x11112222_3333_4444_5555_666677778888);
/// let msg = Message::new(MessageType::Invoke, 4, b"\x94\xa5thing\xa4corr\x90\x80".to_vec())
///     .with_seq(13)
///     .with_correlation_id(id);
/// let bytes = msg.to_bytes(&EncodeOptions::default()).unwrap();
/// assert_eq!(&bytes[8..10], &[0x00, 0x40]); // CORR_ID is set on the wire
///
/// let mut decoder = MessageDecoder::new();
/// decoder.feed(&bytes);
/// let received = decoder.next_message().unwrap().unwrap();
/// assert_eq!(received.correlation_id, Some(id));
/// assert_eq!(received.flags, Flags::EMPTY); // CORR_ID became correlation_id
/// assert_eq!(received, msg);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// The message type.
    pub msg_type: MessageType,
    /// The serializer id of the payload (1 serpent, 2 marshal, 3 json, 4 msgpack; PING uses 42).
    pub serializer_id: u8,
    /// The flags. When sending, COMPRESSED is decided by [`EncodeOptions`] and CORR_ID is added when
    /// [`correlation_id`](Self::correlation_id) is set. A received message has neither: its payload is
    /// already decompressed and CORR_ID became `correlation_id`; all other bits are kept as received.
    pub flags: Flags,
    /// The sequence number; a reply carries the request's. See [`next_seq`](super::next_seq).
    pub seq: u16,
    /// The correlation id. `Some` sets [`Flags::CORR_ID`] when sending; received, it is `Some` exactly
    /// when the header has CORR_ID (even if the id is all zeros).
    pub correlation_id: Option<Uuid>,
    /// The annotations, in wire order.
    pub annotations: Annotations,
    /// The payload, uncompressed.
    pub data: Vec<u8>,
}

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
/// a large payload is not copied (it is borrowed from the [`Message`] unless it was compressed).
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
    header: Header,
    head: Vec<u8>,
    payload: Cow<'a, [u8]>,
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

impl Message {
    /// A message with no flags, sequence number 0, no correlation id and no annotations.
    ///
    /// ```
    /// use pyro::protocol::{Flags, Message, MessageType};
    /// let msg = Message::new(MessageType::Invoke, 4, b"\x94\xa5thing\xa3add\x92\x01\x02\x80".to_vec());
    /// assert_eq!((msg.seq, msg.flags, msg.correlation_id), (0, Flags::EMPTY, None));
    /// ```
    pub fn new(msg_type: MessageType, serializer_id: u8, data: impl Into<Vec<u8>>) -> Message {
        Message {
            msg_type,
            serializer_id,
            flags: Flags::EMPTY,
            seq: 0,
            correlation_id: None,
            annotations: Annotations::new(),
            data: data.into(),
        }
    }

    /// The PING Pyro5 sends (`SendingMessage.ping`): serializer id 42, sequence number 0, payload
    /// `b"ping"`. The daemon answers with the same seq and serializer id and payload `b"pong"`.
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message};
    /// let bytes = Message::ping().to_bytes(&EncodeOptions::default()).unwrap();
    /// assert_eq!(&bytes[6..8], &[6, 42]);
    /// ```
    pub fn ping() -> Message {
        Message::new(MessageType::Ping, PING_SERIALIZER_ID, b"ping".to_vec())
    }

    /// Sets the sequence number.
    ///
    /// ```
    /// use pyro::protocol::{Message, MessageType};
    /// assert_eq!(Message::new(MessageType::Invoke, 4, vec![]).with_seq(65535).seq, 65535);
    /// ```
    #[must_use]
    pub fn with_seq(mut self, seq: u16) -> Message {
        self.seq = seq;
        self
    }

    /// Sets the flags.
    ///
    /// ```
    /// use pyro::protocol::{Flags, Message, MessageType};
    /// let msg = Message::new(MessageType::Invoke, 4, vec![]).with_flags(Flags::ONEWAY);
    /// assert_eq!(msg.flags, Flags::ONEWAY);
    /// ```
    #[must_use]
    pub fn with_flags(mut self, flags: Flags) -> Message {
        self.flags = flags;
        self
    }

    /// Sets the correlation id (sent with [`Flags::CORR_ID`]).
    ///
    /// ```
    /// use pyro::protocol::{Message, MessageType};
    /// use uuid::Uuid;
    /// let msg = Message::new(MessageType::Result, 4, vec![]).with_correlation_id(Uuid::nil());
    /// assert_eq!(msg.correlation_id, Some(Uuid::nil()));
    /// ```
    #[must_use]
    pub fn with_correlation_id(mut self, correlation_id: Uuid) -> Message {
        self.correlation_id = Some(correlation_id);
        self
    }

    /// Adds (or replaces) one annotation.
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Message, MessageType};
    /// let msg = Message::new(MessageType::Result, 4, vec![]).with_annotation(AnnotationId::STREAM, b"id".to_vec());
    /// assert_eq!(msg.annotations.get(AnnotationId::STREAM), Some(&b"id"[..]));
    /// ```
    #[must_use]
    pub fn with_annotation(mut self, id: AnnotationId, value: impl Into<Vec<u8>>) -> Message {
        self.annotations.insert(id, value.into());
        self
    }

    /// Replaces all annotations.
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Annotations, Message, MessageType};
    /// let annotations: Annotations = [(AnnotationId::BLOB_INFO, vec![1])].into_iter().collect();
    /// let msg = Message::new(MessageType::Invoke, 4, vec![]).with_annotations(annotations.clone());
    /// assert_eq!(msg.annotations, annotations);
    /// ```
    #[must_use]
    pub fn with_annotations(mut self, annotations: Annotations) -> Message {
        self.annotations = annotations;
        self
    }

    /// Builds a received message from its checked header and the body that followed it (annotation
    /// chunks then payload): parses the annotations, decompresses a COMPRESSED payload (producing at
    /// most `max_message_size` bytes), and moves a CORR_ID flag into [`Message::correlation_id`].
    ///
    /// The body is moved into [`Message::data`] without copying when there are no annotations and no
    /// compression. See [`Header`] for a blocking read loop.
    ///
    /// ```
    /// use pyro::protocol::{DEFAULT_MAX_MESSAGE_SIZE, Header, Message, ProtocolError};
    ///
    /// let wire = b"PYRO\x01\xf6\x04\x04\0\0\0\x01\0\0\0\x02\0\0\0\0\
    ///     \0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x4d\xc5\x90\x80";
    /// let (head, body) = wire.split_first_chunk::<40>().unwrap();
    /// let header = Header::parse(head, DEFAULT_MAX_MESSAGE_SIZE).unwrap();
    /// let msg = Message::from_parts(header, body.to_vec(), DEFAULT_MAX_MESSAGE_SIZE).unwrap();
    /// assert_eq!((msg.seq, msg.data.as_slice()), (1, &b"\x90\x80"[..]));
    ///
    /// let err = Message::from_parts(header, vec![0x90], DEFAULT_MAX_MESSAGE_SIZE).unwrap_err();
    /// assert!(matches!(err, ProtocolError::BodyLengthMismatch { expected: 2, got: 1 }));
    /// ```
    pub fn from_parts(header: Header, body: Vec<u8>, max_message_size: usize) -> Result<Message, ProtocolError> {
        Message::from_parts_reserving(header, body, max_message_size, &mut |_| Ok(()))
    }

    /// [`Message::from_parts`], asking `reserve` before each allocation of decompressed output.
    pub(super) fn from_parts_reserving(
        header: Header,
        mut body: Vec<u8>,
        max_message_size: usize,
        reserve: &mut dyn FnMut(usize) -> Result<(), ProtocolError>,
    ) -> Result<Message, ProtocolError> {
        let expected = u64::from(header.data_size) + u64::from(header.annotations_size);
        if body.len() as u64 != expected {
            return Err(ProtocolError::BodyLengthMismatch { expected, got: body.len() as u64 });
        }
        // Fits: it is at most body.len().
        let annotations_size = usize::try_from(header.annotations_size).unwrap_or(usize::MAX);
        let (annotations, payload) = body.split_at_checked(annotations_size).unwrap_or_default();
        let annotations = if annotations.is_empty() { Annotations::new() } else { Annotations::parse(annotations)? };
        let data = if header.flags.contains(Flags::COMPRESSED) {
            decompress_reserving(payload, max_message_size, reserve)?
        } else {
            // Shifts the payload down over the annotations: no allocation.
            body.drain(..annotations_size);
            body
        };
        Ok(Message {
            msg_type: header.msg_type,
            serializer_id: header.serializer_id,
            flags: header.flags.without(Flags::COMPRESSED).without(Flags::CORR_ID),
            seq: header.seq,
            correlation_id: header.correlation_uuid(),
            annotations,
            data,
        })
    }

    /// Encodes the message as Pyro5's `SendingMessage` does: clears a caller-set COMPRESSED flag,
    /// compresses a payload over 100 bytes when [`EncodeOptions::compression`] is on, then checks the
    /// payload as sent plus the annotations against [`EncodeOptions::max_message_size`].
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageType, ProtocolError};
    ///
    /// let msg = Message::new(MessageType::Result, 4, vec![0; 2000]);
    /// let err = msg.encode(&EncodeOptions::new().max_message_size(1000)).unwrap_err();
    /// assert_eq!(err.to_string(), "message too large (2000, max=1000)");
    /// // Compressed, it fits.
    /// let encoded = msg.encode(&EncodeOptions::new().compression(true).max_message_size(1000)).unwrap();
    /// assert!(encoded.payload().len() < 100);
    /// ```
    pub fn encode(&self, options: &EncodeOptions) -> Result<Encoded<'_>, ProtocolError> {
        let mut head = Vec::new();
        let (header, payload) = self.encode_into(&mut head, options)?;
        Ok(Encoded { header, head, payload })
    }

    /// Like [`Message::encode`], but writes the head into a buffer the caller reuses (cleared first),
    /// so sending needs no allocation beyond a compressed payload. Returns the header as sent and the
    /// payload.
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageType};
    ///
    /// let mut head = Vec::with_capacity(64);
    /// for seq in 0..3 {
    ///     let msg = Message::new(MessageType::Invoke, 4, b"call".to_vec()).with_seq(seq);
    ///     let (header, payload) = msg.encode_into(&mut head, &EncodeOptions::default()).unwrap();
    ///     assert_eq!((head.len(), header.seq, &*payload), (40, seq, &b"call"[..]));
    /// }
    /// ```
    pub fn encode_into(
        &self,
        head: &mut Vec<u8>,
        options: &EncodeOptions,
    ) -> Result<(Header, Cow<'_, [u8]>), ProtocolError> {
        let max = options.max_message_size as u64;
        let annotations_size = self.annotations.encoded_len();
        let mut flags = self.flags.without(Flags::COMPRESSED);
        let payload = if options.compression && self.data.len() > COMPRESSION_THRESHOLD {
            flags.insert(Flags::COMPRESSED);
            Cow::Owned(compress(&self.data)?)
        } else {
            Cow::Borrowed(self.data.as_slice())
        };
        let size = payload.len() as u64 + annotations_size;
        if size > max {
            return Err(ProtocolError::OutgoingTooLarge { size, max });
        }
        let too_wide = |_| ProtocolError::OutgoingTooLarge { size, max: u64::from(u32::MAX) };
        let data_size = u32::try_from(payload.len()).map_err(too_wide)?;
        let annotations_size = u32::try_from(annotations_size).map_err(too_wide)?;
        let correlation_id = match self.correlation_id {
            Some(id) => {
                flags.insert(Flags::CORR_ID);
                id.into_bytes()
            }
            None => [0; 16],
        };
        let header = Header {
            msg_type: self.msg_type,
            serializer_id: self.serializer_id,
            flags,
            seq: self.seq,
            data_size,
            annotations_size,
            correlation_id,
            reserved: 0,
        };
        head.clear();
        head.reserve(HEADER_SIZE + annotations_size as usize);
        head.extend_from_slice(&header.to_bytes());
        self.annotations.write_chunks(head);
        if let Some(side) = options.wire_log {
            // As Pyro5: a sent message's dump is all its bytes.
            self.log_wire(side, true, flags, [head, &payload]);
        }
        Ok((header, payload))
    }

    /// Logs this message for LOGWIRE ([`crate::logging`]), with `flags` as on the wire and
    /// `data` the bytes to show.
    pub(crate) fn log_wire(&self, side: &str, sending: bool, flags: Flags, data: [&[u8]; 2]) {
        crate::logging::wire(
            side,
            sending,
            &crate::logging::WireMessage {
                msg_type: self.msg_type,
                flags,
                serializer_id: self.serializer_id,
                seq: self.seq,
                annotations: self.annotations.len(),
                correlation_id: self.correlation_id,
                data,
            },
        );
    }

    /// The whole encoded message as one buffer.
    ///
    /// ```
    /// use pyro::protocol::{EncodeOptions, Message, MessageType};
    /// let bytes = Message::new(MessageType::Result, 4, vec![0x03]).with_seq(1).to_bytes(&EncodeOptions::default());
    /// assert_eq!(bytes.unwrap().len(), 41);
    /// ```
    pub fn to_bytes(&self, options: &EncodeOptions) -> Result<Vec<u8>, ProtocolError> {
        let encoded = self.encode(options)?;
        let mut out = Vec::with_capacity(encoded.total_len());
        out.extend_from_slice(encoded.head());
        out.extend_from_slice(encoded.payload());
        Ok(out)
    }
}

impl fmt::Debug for Message {
    /// Shows at most the first 64 payload bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 64;
        let shown = self.data.get(..SHOWN).unwrap_or(&self.data);
        let more = if self.data.len() > SHOWN { format!("... ({} bytes)", self.data.len()) } else { String::new() };
        f.debug_struct("Message")
            .field("msg_type", &self.msg_type)
            .field("serializer_id", &self.serializer_id)
            .field("flags", &self.flags)
            .field("seq", &self.seq)
            .field("correlation_id", &self.correlation_id)
            .field("annotations", &self.annotations)
            .field("data", &format_args!("b\"{}\"{more}", shown.escape_ascii()))
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::protocol::MessageDecoder;

    pub(crate) fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits.chunks(2).map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap()).collect()
    }

    fn decode_one(bytes: &[u8]) -> Message {
        let mut decoder = MessageDecoder::new();
        decoder.feed(bytes);
        let msg = decoder.next_message().unwrap().unwrap();
        assert!(decoder.next_message().unwrap().is_none());
        decoder.finish().unwrap();
        msg
    }

    fn plain() -> EncodeOptions {
        EncodeOptions::default()
    }

    fn uuid(text: &str) -> Uuid {
        Uuid::parse_str(text).unwrap()
    }

    // Appendix A.1 of the reference: real Pyro5 5.17 captures, msgpack serializer.
    const A1_CONNECT: &str = "5059524f01f60104000000000000002a000000000000000000000000000000000000000000004dc5\
        82a968616e647368616b65b168656c6c6f2d66726f6d2d636c69656e74a66f626a656374a57468696e67";
    const A1_CONNECTOK: &str = "5059524f01f60204004000000000007e000000009e861eb7c1f44040afeaeb3d4b5c964000004dc5\
        82a968616e647368616b6582ab7365727665722d73617973a777656c636f6d65a3676f74b168656c6c6f2d66726f6d2d636c69656e74\
        a46d65746183a76d6574686f647398a3737562a367656ea4636f7272a4616e6e6fa26f77a46661696ca3616464a3626967a66f6e65\
        77617991a26f77a5617474727391a470726f70";
    const A1_INVOKE_ADD: &str = "5059524f01f60404000000010000000f000000000000000000000000000000000000000000004dc5\
        94a57468696e67a361646492010280";
    const A1_RESULT_3: &str = "5059524f01f605040040000100000001000000009c28926d918b43b282d9e787e54d969200004dc503";
    const A1_INVOKE_ONEWAY: &str = "5059524f01f60404000400030000000d000000000000000000000000000000000000000000004dc5\
        94a57468696e67a26f77910580";
    const A1_RESULT_STREAM: &str = "5059524f01f6050400510006000000750000002c553bae93ccf3480fb364bae9d7ec409c00004dc5\
        5354524d0000002462333231303666362d633938312d343332382d626465372d656261356431356563323032\
        84a95f5f636c6173735f5fba5079726f352e6572726f72732e50726f746f636f6c4572726f72ad5f5f657863657074696f6e5f5fc3\
        a46172677391bd726573756c74206f662063616c6c20697320616e206974657261746f72aa6174747269627574657381ae5f7079726f\
        54726163656261636bc0";
    const A1_INVOKE_ANNOTATED: &str = "5059524f01f604040000000c0000000e000000120000000000000000000000000000000000004dc5\
        58595a570000000a636c69656e742d616e6e94a57468696e67a4616e6e6f9080";
    const A1_RESULT_ANNOTATED: &str = "5059524f01f605040040000c000000120000000b1d4f555702ec4f59ad8ab27913f9327900004dc5\
        5854524100000003737276\
        81a458595a57c40a636c69656e742d616e6e";
    const A1_INVOKE_CORR_ID: &str = "5059524f01f604040040000d0000000e000000001111222233334444555566667777888800004dc5\
        94a57468696e67a4636f72729080";
    const A1_RESULT_COMPRESSED: &str = "5059524f01f605040042000f0000000f00000000a03b7cc404d94fbabceee9c006c3de1100004dc5\
        785ebbc5a853310a880600e90c8da8";

    /// Decodes `wire`, checks it against `expected`, and checks that encoding `expected` gives `wire`.
    fn golden(wire: &str, expected: &Message) {
        let wire = hex(wire);
        assert_eq!(&decode_one(&wire), expected);
        assert_eq!(expected.to_bytes(&plain()).unwrap(), wire);
    }

    #[test]
    fn golden_connect() {
        let payload = hex("82a968616e647368616b65b168656c6c6f2d66726f6d2d636c69656e74a66f626a656374a57468696e67");
        golden(A1_CONNECT, &Message::new(MessageType::Connect, 4, payload));
    }

    #[test]
    fn golden_connectok() {
        let wire = hex(A1_CONNECTOK);
        let expected = Message::new(MessageType::ConnectOk, 4, wire[40..].to_vec())
            .with_correlation_id(uuid("9e861eb7-c1f4-4040-afea-eb3d4b5c9640"));
        assert_eq!(expected.data.len(), 126);
        assert_eq!(expected.data[..11], *b"\x82\xa9handshake");
        golden(A1_CONNECTOK, &expected);
    }

    #[test]
    fn golden_invoke_and_result() {
        let invoke = Message::new(MessageType::Invoke, 4, hex("94a57468696e67a361646492010280")).with_seq(1);
        golden(A1_INVOKE_ADD, &invoke);
        let result = Message::new(MessageType::Result, 4, vec![0x03])
            .with_seq(1)
            .with_correlation_id(uuid("9c28926d-918b-43b2-82d9-e787e54d9692"));
        golden(A1_RESULT_3, &result);
        let oneway = Message::new(MessageType::Invoke, 4, hex("94a57468696e67a26f77910580"))
            .with_seq(3)
            .with_flags(Flags::ONEWAY);
        golden(A1_INVOKE_ONEWAY, &oneway);
    }

    #[test]
    fn golden_annotations() {
        let stream = decode_one(&hex(A1_RESULT_STREAM));
        assert_eq!(stream.flags, Flags::EXCEPTION | Flags::ITEMSTREAMRESULT);
        assert_eq!(stream.correlation_id, Some(uuid("553bae93-ccf3-480f-b364-bae9d7ec409c")));
        assert_eq!(stream.annotations.get(AnnotationId::STREAM), Some(&b"b32106f6-c981-4328-bde7-eba5d15ec202"[..]));
        assert_eq!(stream.data.len(), 117);
        assert_eq!(stream.to_bytes(&plain()).unwrap(), hex(A1_RESULT_STREAM));

        let xyzw = AnnotationId::try_from("XYZW").unwrap();
        let invoke = Message::new(MessageType::Invoke, 4, hex("94a57468696e67a4616e6e6f9080"))
            .with_seq(12)
            .with_annotation(xyzw, b"client-ann".to_vec());
        golden(A1_INVOKE_ANNOTATED, &invoke);
        let result = Message::new(MessageType::Result, 4, hex("81a458595a57c40a636c69656e742d616e6e"))
            .with_seq(12)
            .with_correlation_id(uuid("1d4f5557-02ec-4f59-ad8a-b27913f93279"))
            .with_annotation(AnnotationId::try_from("XTRA").unwrap(), b"srv".to_vec());
        golden(A1_RESULT_ANNOTATED, &result);
    }

    #[test]
    fn golden_correlation_id() {
        let invoke = Message::new(MessageType::Invoke, 4, hex("94a57468696e67a4636f72729080"))
            .with_seq(13)
            .with_correlation_id(uuid("11112222-3333-4444-5555-666677778888"));
        golden(A1_INVOKE_CORR_ID, &invoke);
    }

    #[test]
    fn golden_compressed_result_is_decompressed() {
        let msg = decode_one(&hex(A1_RESULT_COMPRESSED));
        let mut payload = vec![0xda, 0x01, 0x2c];
        payload.extend_from_slice(&[b'x'; 300]);
        let expected = Message::new(MessageType::Result, 4, payload)
            .with_seq(15)
            .with_correlation_id(uuid("a03b7cc4-04d9-4fba-bcee-e9c006c3de11"));
        assert_eq!(msg, expected);
        assert_eq!(msg.flags, Flags::EMPTY, "COMPRESSED is cleared after decompression");
        // Our deflate output differs from Python's zlib, so compare everything but the data size and data.
        let ours = msg.to_bytes(&plain().compression(true)).unwrap();
        let theirs = hex(A1_RESULT_COMPRESSED);
        assert_eq!(ours[..12], theirs[..12]);
        assert_eq!(ours[16..40], theirs[16..40]);
        assert_eq!(decode_one(&ours), expected);
    }

    #[test]
    fn golden_from_pyro5_sending_message() {
        // protocol.SendingMessage(6, 0, 0, 42, b"ping").data
        let ping = "5059524f01f6062a0000000000000004000000000000000000000000000000000000000000004dc570696e67";
        golden(ping, &Message::ping());
        // flags=255, no correlation id in the context: COMPRESSED cleared, the other bits kept, CORR_ID with
        // a zero id.
        let all = "5059524f01f6040100fd000700000001000000000000000000000000000000000000000000004dc578";
        let msg = decode_one(&hex(all));
        assert_eq!(msg.flags.bits(), 0xbd);
        assert_eq!(msg.correlation_id, Some(Uuid::nil()));
        assert_eq!(msg.to_bytes(&plain()).unwrap(), hex(all));
        let sent = Message::new(MessageType::Invoke, 1, b"x".to_vec()).with_seq(7).with_flags(Flags::from_bits(0xff));
        assert_eq!(sent.to_bytes(&plain()).unwrap(), hex(all));
        // SendingMessage(5, 0x11, 65535, 4, b'\xc0', annotations={'STRM': b'abc', 'XYZ1': b''}) with a
        // correlation id in the context.
        let annotated = "5059524f01f605040051ffff00000001000000131111222233334444555566667777888800004dc5\
            5354524d0000000361626358595a3100000000c0";
        let expected = Message::new(MessageType::Result, 4, vec![0xc0])
            .with_seq(65535)
            .with_flags(Flags::EXCEPTION | Flags::ITEMSTREAMRESULT)
            .with_correlation_id(uuid("11112222-3333-4444-5555-666677778888"))
            .with_annotation(AnnotationId::STREAM, b"abc".to_vec())
            .with_annotation(AnnotationId::try_from("XYZ1").unwrap(), Vec::new());
        assert_eq!(decode_one(&hex(annotated)), expected);
        assert_eq!(expected.to_bytes(&plain()).unwrap(), hex(annotated));
    }

    #[test]
    fn compression_threshold_is_over_100_bytes() {
        let on = plain().compression(true);
        // SendingMessage(4, 2, 3, 4, b'a' * 100) with COMPRESSION=True: sent as is, COMPRESSED cleared.
        let msg100 = Message::new(MessageType::Invoke, 4, vec![b'a'; 100]).with_seq(3).with_flags(Flags::COMPRESSED);
        let mut expected = hex("5059524f01f604040000000300000064000000000000000000000000000000000000000000004dc5");
        expected.extend_from_slice(&[b'a'; 100]);
        let encoded = msg100.encode(&on).unwrap();
        assert!(matches!(encoded.payload, Cow::Borrowed(_)), "an uncompressed payload is not copied");
        assert_eq!(encoded.into_vec(), expected);
        // SendingMessage(4, 0, 3, 4, b'a' * 101) with COMPRESSION=True.
        let msg101 = Message::new(MessageType::Invoke, 4, vec![b'a'; 101]).with_seq(3);
        let encoded = msg101.encode(&on).unwrap();
        let header = *encoded.header();
        assert_eq!(header.flags, Flags::COMPRESSED);
        assert_eq!(header.data_size as usize, encoded.payload().len());
        let python_head = hex("5059524f01f60404000200030000000c000000000000000000000000000000000000000000004dc5");
        let mut our_head = encoded.head().to_vec();
        our_head[12..16].copy_from_slice(&12u32.to_be_bytes());
        assert_eq!(our_head, python_head, "same header as Python's apart from the compressed size");
        // Python's zlib gives 785e4b4ca4030000a08d2646; any zlib stream with the same content is fine.
        assert_eq!(crate::protocol::decompress(encoded.payload(), 1000).unwrap(), vec![b'a'; 101]);
        let python = hex("5059524f01f60404000200030000000c000000000000000000000000000000000000000000004dc5\
            785e4b4ca4030000a08d2646");
        assert_eq!(decode_one(&python), msg101);
        assert_eq!(decode_one(&encoded.into_vec()), msg101);
        // Compression off: 101 bytes go as they are.
        assert_eq!(msg101.to_bytes(&plain()).unwrap().len(), 141);
    }

    #[test]
    fn compressed_payload_with_annotations() {
        let msg = Message::new(MessageType::Result, 4, b"abc".repeat(1000))
            .with_annotation(AnnotationId::STREAM, b"not compressed".to_vec());
        let encoded = msg.encode(&plain().compression(true)).unwrap();
        assert!(encoded.head().ends_with(b"STRM\0\0\0\x0enot compressed"));
        assert!(encoded.payload().len() < 100);
        assert_eq!(decode_one(&encoded.into_vec()), msg);
    }

    #[test]
    fn outgoing_size_limit_counts_annotations() {
        let msg = Message::new(MessageType::Result, 4, vec![0; 100]).with_annotation(AnnotationId::STREAM, vec![0; 10]);
        assert!(msg.encode(&plain().max_message_size(118)).is_ok());
        let err = msg.encode(&plain().max_message_size(117)).unwrap_err();
        assert!(matches!(err, ProtocolError::OutgoingTooLarge { size: 118, max: 117 }), "{err:?}");
        assert_eq!(err.to_string(), "message too large (118, max=117)");
    }

    #[test]
    fn correlation_id_none_sends_zeros() {
        let mut msg = Message::new(MessageType::Result, 4, vec![])
            .with_correlation_id(uuid("11112222-3333-4444-5555-666677778888"));
        msg.correlation_id = None;
        let bytes = msg.to_bytes(&plain()).unwrap();
        assert_eq!(&bytes[8..10], &[0, 0]);
        assert_eq!(&bytes[20..36], &[0; 16]);
    }

    #[test]
    fn from_parts_checks_annotations_and_compression() {
        let msg = Message::new(MessageType::Invoke, 4, b"payload".to_vec())
            .with_annotation(AnnotationId::STREAM, b"abc".to_vec());
        let bytes = msg.to_bytes(&plain()).unwrap();
        let (head, body) = bytes.split_first_chunk::<HEADER_SIZE>().unwrap();
        let header = Header::parse(head, DEFAULT_MAX_MESSAGE_SIZE).unwrap();
        assert_eq!(Message::from_parts(header, body.to_vec(), 0).unwrap(), msg);
        let mut bad = body.to_vec();
        bad[7] = 200;
        let err = Message::from_parts(header, bad, DEFAULT_MAX_MESSAGE_SIZE).unwrap_err();
        assert!(matches!(err, ProtocolError::AnnotationOverrun { .. }), "{err:?}");
        let mut compressed = header;
        compressed.flags = Flags::COMPRESSED;
        let err = Message::from_parts(compressed, body.to_vec(), DEFAULT_MAX_MESSAGE_SIZE).unwrap_err();
        assert!(matches!(err, ProtocolError::Decompress { .. }), "{err:?}");
    }

    #[test]
    fn write_to_handles_short_writes() {
        struct Trickle(Vec<u8>, usize);
        impl Write for Trickle {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.1 += 1;
                if self.1.is_multiple_of(3) {
                    return Err(io::ErrorKind::Interrupted.into());
                }
                let n = buf.len().min(7);
                self.0.extend_from_slice(&buf[..n]);
                Ok(n)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let msg = Message::new(MessageType::Result, 4, b"0123456789".repeat(10))
            .with_annotation(AnnotationId::STREAM, b"abc".to_vec());
        let encoded = msg.encode(&plain()).unwrap();
        let mut out = Trickle(Vec::new(), 0);
        encoded.write_to(&mut out).unwrap();
        assert_eq!(out.0, msg.to_bytes(&plain()).unwrap());

        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Ok(0)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let err = encoded.write_to(&mut Full).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WriteZero);
    }

    #[test]
    fn debug_truncates_the_payload() {
        let msg = Message::new(MessageType::Result, 4, vec![b'x'; 1000]);
        let text = format!("{msg:?}");
        assert!(text.contains("flags: (empty)"), "{text}");
        assert!(text.contains("... (1000 bytes)"), "{text}");
        assert!(text.len() < 400, "{text}");
    }
}

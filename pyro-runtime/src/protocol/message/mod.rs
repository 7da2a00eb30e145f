//! [`Message`]: a whole Pyro5 message, and its encoding ([`EncodeOptions`], [`Encoded`]).

mod encoded;

use std::borrow::Cow;
use std::fmt;

use uuid::Uuid;

use super::compression::{COMPRESSION_THRESHOLD, compress, decompress_reserving};
use super::{AnnotationId, Annotations, Flags, HEADER_SIZE, Header, MessageType, PING_SERIALIZER_ID, ProtocolError};
pub use encoded::{EncodeOptions, Encoded};

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
mod tests;

//! [`Header`]: the fixed 40-byte message header, and [`validate_prefix`].

use uuid::Uuid;

use super::{Flags, HEADER_SIZE, MAGIC, MessageType, PROTOCOL_VERSION, ProtocolError, TAG};

/// The 40-byte header that starts every message: `!4sHBBHHII16sHH` in Python's struct notation.
///
/// The tag `PYRO`, the protocol version and the magic number are constants: [`Header::parse`]
/// checks them and [`Header::to_bytes`] writes them.
///
/// A blocking reader reads the header, checks it (the body size is checked against the maximum
/// before any of the body is read), then reads the body and builds the message:
///
/// ```
/// use std::io::Read;
/// use pyro::protocol::{DEFAULT_MAX_MESSAGE_SIZE, EncodeOptions, HEADER_SIZE, Header, Message, MessageType};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sent = Message::new(MessageType::Invoke, 4, b"payload".to_vec()).with_seq(7);
/// let mut reader = std::io::Cursor::new(sent.to_bytes(&EncodeOptions::default())?);
///
/// let mut head = [0u8; HEADER_SIZE];
/// reader.read_exact(&mut head)?;
/// let header = Header::parse(&head, DEFAULT_MAX_MESSAGE_SIZE)?;
/// // Grow the body as bytes arrive rather than trusting the header with one big allocation.
/// let mut body = Vec::new();
/// reader.by_ref().take(header.body_len() as u64).read_to_end(&mut body)?;
/// let received = Message::from_parts(header, body, DEFAULT_MAX_MESSAGE_SIZE)?;
/// assert_eq!(received, sent);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    /// The message type.
    pub msg_type: MessageType,
    /// The serializer id of the payload (1 serpent, 2 marshal, 3 json, 4 msgpack; PING uses 42).
    pub serializer_id: u8,
    /// The flags, as on the wire (COMPRESSED included).
    pub flags: Flags,
    /// The sequence number that pairs a reply with its request.
    pub seq: u16,
    /// Payload length as transmitted (compressed length when COMPRESSED).
    pub data_size: u32,
    /// Total length of the annotation chunks, their 8-byte chunk headers included.
    pub annotations_size: u32,
    /// Raw correlation id (UUID bytes); meaningful only with [`Flags::CORR_ID`].
    pub correlation_id: [u8; 16],
    /// The reserved field: 0 when sent, ignored when received.
    pub reserved: u16,
}

/// Checks the start of a message as early as Pyro5 does (`ReceivingMessage.validate`).
///
/// With 4 bytes or more, the tag must be `PYRO`; with 6 or more, the version must be 502; with 40 or
/// more, the magic number must be right. Fewer than 4 bytes are accepted (nothing to judge yet).
///
/// ```
/// use pyro::protocol::validate_prefix;
///
/// assert!(validate_prefix(b"PYRO\x01\xf6").is_ok());
/// assert_eq!(validate_prefix(b"PYRO\x01\xf5").unwrap_err().to_string(), "invalid protocol version: 501");
/// assert_eq!(validate_prefix(b"HTTP").unwrap_err().to_string(), "invalid data");
/// ```
pub fn validate_prefix(prefix: &[u8]) -> Result<(), ProtocolError> {
    if let Some(&[a, b, c, d]) = prefix.get(..4)
        && [a, b, c, d] != TAG
    {
        return Err(ProtocolError::InvalidTag { found: [a, b, c, d] });
    }
    if let Some(&[a, b]) = prefix.get(4..6)
        && u16::from_be_bytes([a, b]) != PROTOCOL_VERSION
    {
        return Err(ProtocolError::UnsupportedVersion { version: u16::from_be_bytes([a, b]) });
    }
    if let Some(&[a, b]) = prefix.get(38..40)
        && u16::from_be_bytes([a, b]) != MAGIC
    {
        return Err(ProtocolError::InvalidMagic { found: u16::from_be_bytes([a, b]) });
    }
    Ok(())
}

impl Header {
    /// Parses and checks a header: tag, version, magic, body size against `max_message_size`, then the
    /// message type, in that order (the order of Pyro5's checks).
    ///
    /// ```
    /// use pyro::protocol::{Flags, Header, MessageType};
    ///
    /// let bytes: [u8; 40] = *b"PYRO\x01\xf6\x05\x04\x00\x40\x00\x01\x00\x00\x00\x01\0\0\0\0\
    ///     \x9c\x28\x92\x6d\x91\x8b\x43\xb2\x82\xd9\xe7\x87\xe5\x4d\x96\x92\0\0\x4d\xc5";
    /// let header = Header::parse(&bytes, 1 << 30).unwrap();
    /// assert_eq!(header.msg_type, MessageType::Result);
    /// assert_eq!(header.flags, Flags::CORR_ID);
    /// assert_eq!((header.seq, header.data_size, header.body_len()), (1, 1, 1));
    /// assert_eq!(header.to_bytes(), bytes);
    ///
    /// let err = Header::parse(&bytes, 0).unwrap_err();
    /// assert_eq!(err.to_string(), "message too large (1, max=0)");
    /// ```
    pub fn parse(bytes: &[u8; HEADER_SIZE], max_message_size: usize) -> Result<Header, ProtocolError> {
        validate_prefix(bytes)?;
        #[rustfmt::skip]
        let [
            _, _, _, _, _, _, msg_type, serializer_id,
            f0, f1, s0, s1, d0, d1, d2, d3,
            a0, a1, a2, a3, c0, c1, c2, c3,
            c4, c5, c6, c7, c8, c9, c10, c11,
            c12, c13, c14, c15, r0, r1, _, _,
        ] = *bytes;
        let data_size = u32::from_be_bytes([d0, d1, d2, d3]);
        let annotations_size = u32::from_be_bytes([a0, a1, a2, a3]);
        let size = u64::from(data_size) + u64::from(annotations_size);
        let max = max_message_size as u64;
        if size > max {
            return Err(ProtocolError::MessageTooLarge { size, max });
        }
        Ok(Header {
            msg_type: MessageType::try_from(msg_type)?,
            serializer_id,
            flags: Flags::from_bits(u16::from_be_bytes([f0, f1])),
            seq: u16::from_be_bytes([s0, s1]),
            data_size,
            annotations_size,
            correlation_id: [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15],
            reserved: u16::from_be_bytes([r0, r1]),
        })
    }

    /// The header as its 40 wire bytes.
    ///
    /// ```
    /// use pyro::protocol::{Flags, Header, MessageType};
    ///
    /// let header = Header {
    ///     msg_type: MessageType::Ping,
    ///     serializer_id: 42,
    ///     flags: Flags::EMPTY,
    ///     seq: 0,
    ///     data_size: 4,
    ///     annotations_size: 0,
    ///     correlation_id: [0; 16],
    ///     reserved: 0,
    /// };
    /// let bytes = header.to_bytes();
    /// assert_eq!(&bytes[..8], b"PYRO\x01\xf6\x06\x2a");
    /// assert_eq!(&bytes[38..], b"\x4d\xc5");
    /// ```
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let [t0, t1, t2, t3] = TAG;
        let [v0, v1] = PROTOCOL_VERSION.to_be_bytes();
        let [f0, f1] = self.flags.bits().to_be_bytes();
        let [s0, s1] = self.seq.to_be_bytes();
        let [d0, d1, d2, d3] = self.data_size.to_be_bytes();
        let [a0, a1, a2, a3] = self.annotations_size.to_be_bytes();
        let [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15] = self.correlation_id;
        let [r0, r1] = self.reserved.to_be_bytes();
        let [m0, m1] = MAGIC.to_be_bytes();
        #[rustfmt::skip]
        let bytes = [
            t0, t1, t2, t3, v0, v1, u8::from(self.msg_type), self.serializer_id,
            f0, f1, s0, s1, d0, d1, d2, d3,
            a0, a1, a2, a3, c0, c1, c2, c3,
            c4, c5, c6, c7, c8, c9, c10, c11,
            c12, c13, c14, c15, r0, r1, m0, m1,
        ];
        bytes
    }

    /// Length of the body that follows the header: annotations size plus data size.
    ///
    /// After [`Header::parse`] this is at most the maximum message size.
    ///
    /// ```
    /// use pyro::protocol::{Flags, Header, MessageType};
    /// let header = Header {
    ///     msg_type: MessageType::Invoke,
    ///     serializer_id: 4,
    ///     flags: Flags::EMPTY,
    ///     seq: 1,
    ///     data_size: 15,
    ///     annotations_size: 11,
    ///     correlation_id: [0; 16],
    ///     reserved: 0,
    /// };
    /// assert_eq!(header.body_len(), 26);
    /// ```
    pub fn body_len(&self) -> usize {
        let len = u64::from(self.data_size) + u64::from(self.annotations_size);
        usize::try_from(len).unwrap_or(usize::MAX)
    }

    /// The correlation id if the header has [`Flags::CORR_ID`], else `None`.
    ///
    /// ```
    /// use pyro::protocol::{Flags, Header, MessageType};
    /// let mut header = Header {
    ///     msg_type: MessageType::Result,
    ///     serializer_id: 4,
    ///     flags: Flags::EMPTY,
    ///     seq: 1,
    ///     data_size: 0,
    ///     annotations_size: 0,
    ///     correlation_id: [7; 16],
    ///     reserved: 0,
    /// };
    /// assert_eq!(header.correlation_uuid(), None);
    /// header.flags = Flags::CORR_ID;
    /// assert_eq!(header.correlation_uuid().unwrap().as_bytes(), &[7; 16]);
    /// ```
    pub fn correlation_uuid(&self) -> Option<Uuid> {
        self.flags.contains(Flags::CORR_ID).then(|| Uuid::from_bytes(self.correlation_id))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::protocol::DEFAULT_MAX_MESSAGE_SIZE;

    fn header_bytes() -> [u8; HEADER_SIZE] {
        Header {
            msg_type: MessageType::Invoke,
            serializer_id: 4,
            flags: Flags::from_bits(0x1234),
            seq: 0xabcd,
            data_size: 0x0102_0304,
            annotations_size: 5,
            correlation_id: *b"0123456789abcdef",
            reserved: 0x0607,
        }
        .to_bytes()
    }

    #[test]
    fn field_offsets_match_the_reference_table() {
        let bytes = header_bytes();
        assert_eq!(&bytes[0x00..0x04], b"PYRO");
        assert_eq!(&bytes[0x04..0x06], &[0x01, 0xf6]);
        assert_eq!(bytes[0x06], 4);
        assert_eq!(bytes[0x07], 4);
        assert_eq!(&bytes[0x08..0x0a], &[0x12, 0x34]);
        assert_eq!(&bytes[0x0a..0x0c], &[0xab, 0xcd]);
        assert_eq!(&bytes[0x0c..0x10], &[1, 2, 3, 4]);
        assert_eq!(&bytes[0x10..0x14], &[0, 0, 0, 5]);
        assert_eq!(&bytes[0x14..0x24], b"0123456789abcdef");
        assert_eq!(&bytes[0x24..0x26], &[6, 7]);
        assert_eq!(&bytes[0x26..0x28], &[0x4d, 0xc5]);
    }

    #[test]
    fn parse_round_trips_every_field() {
        let bytes = header_bytes();
        let header = Header::parse(&bytes, DEFAULT_MAX_MESSAGE_SIZE).unwrap();
        assert_eq!(header.flags.bits(), 0x1234);
        assert_eq!(header.seq, 0xabcd);
        assert_eq!(header.reserved, 0x0607);
        assert_eq!(header.body_len(), 0x0102_0309);
        assert_eq!(header.to_bytes(), bytes);
    }

    #[test]
    fn parse_checks_in_pyro5_order() {
        let mut bytes = header_bytes();
        bytes[6] = 0; // unknown type: reported after the size check
        bytes[12] = 0x80; // 2 GiB + ...
        let err = Header::parse(&bytes, DEFAULT_MAX_MESSAGE_SIZE).unwrap_err();
        assert!(matches!(err, ProtocolError::MessageTooLarge { max: 1_073_741_824, .. }), "{err:?}");
        bytes[12] = 0;
        let err = Header::parse(&bytes, DEFAULT_MAX_MESSAGE_SIZE).unwrap_err();
        assert!(matches!(err, ProtocolError::UnknownMessageType { msg_type: 0 }), "{err:?}");
        bytes[39] = 0; // bad magic is reported before both
        let err = Header::parse(&bytes, DEFAULT_MAX_MESSAGE_SIZE).unwrap_err();
        assert!(matches!(err, ProtocolError::InvalidMagic { found: 0x4d00 }), "{err:?}");
        assert_eq!(err.to_string(), "invalid magic number");
        bytes[5] = 0xf5;
        let err = Header::parse(&bytes, DEFAULT_MAX_MESSAGE_SIZE).unwrap_err();
        assert_eq!(err.to_string(), "invalid protocol version: 501");
        bytes[0] = b'p';
        let err = Header::parse(&bytes, DEFAULT_MAX_MESSAGE_SIZE).unwrap_err();
        assert!(matches!(err, ProtocolError::InvalidTag { found } if &found == b"pYRO"), "{err:?}");
    }

    #[test]
    fn size_limit_counts_data_plus_annotations() {
        let mut bytes = header_bytes();
        bytes[12..16].copy_from_slice(&0xffff_ffffu32.to_be_bytes());
        bytes[16..20].copy_from_slice(&0xffff_ffffu32.to_be_bytes());
        let err = Header::parse(&bytes, usize::MAX).map(|h| h.body_len());
        if usize::BITS >= 64 {
            assert_eq!(err.unwrap(), 0x1_ffff_fffe);
        }
        let err = Header::parse(&bytes, 100).unwrap_err();
        assert_eq!(err.to_string(), "message too large (8589934590, max=100)");
    }

    #[test]
    fn validate_prefix_needs_enough_bytes_for_each_check() {
        assert!(validate_prefix(b"").is_ok());
        assert!(validate_prefix(b"!!!").is_ok());
        assert!(validate_prefix(b"PYRO\x01").is_ok());
        assert!(matches!(validate_prefix(b"!!!!"), Err(ProtocolError::InvalidTag { .. })));
        let mut bytes = header_bytes();
        assert!(validate_prefix(&bytes[..39]).is_ok());
        bytes[38] = 0;
        assert!(validate_prefix(&bytes[..39]).is_ok());
        assert!(matches!(validate_prefix(&bytes), Err(ProtocolError::InvalidMagic { found: 0x00c5 })));
    }
}

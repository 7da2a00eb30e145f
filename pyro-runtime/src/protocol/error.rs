//! [`ProtocolError`]: bytes that are not a valid Pyro5 message, or a message that cannot be sent.

/// A message on the wire was not valid Pyro5, or a message could not be encoded.
///
/// Where Pyro5 has a wording for the same failure, [`Display`](std::fmt::Display) uses it, because a
/// daemon sends `to_string()` of the error to the peer in a CONNECTFAIL reply.
///
/// ```
/// use pyro::protocol::{ProtocolError, validate_prefix};
///
/// let err = validate_prefix(b"!!!!!!!!!!!!!!!!").unwrap_err();
/// assert!(matches!(err, ProtocolError::InvalidTag { found } if found == *b"!!!!"));
/// assert_eq!(err.to_string(), "invalid data");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The message does not start with the tag `PYRO`.
    #[error("invalid data")]
    InvalidTag {
        /// The first 4 bytes received.
        found: [u8; 4],
    },
    /// What answered a connection request was not a Pyro5 message: the peer is not a Pyro5
    /// daemon (an HTTP server, say). Reported by a proxy in place of
    /// [`InvalidTag`](ProtocolError::InvalidTag), with the peer's address.
    ///
    /// ```
    /// use pyro::protocol::ProtocolError;
    ///
    /// let err = ProtocolError::NotPyro { peer: "localhost:8080".into(), found: *b"HTTP" };
    /// assert_eq!(
    ///     err.to_string(),
    ///     "localhost:8080 is not a Pyro5 daemon: it answered \"HTTP\", where a Pyro5 message starts with \"PYRO\""
    /// );
    /// ```
    #[error(
        "{peer} is not a Pyro5 daemon: it answered \"{}\", where a Pyro5 message starts with \"PYRO\"",
        found.escape_ascii()
    )]
    NotPyro {
        /// The address connected to.
        peer: String,
        /// The first 4 bytes it sent.
        found: [u8; 4],
    },
    /// The header's protocol version is not [`PROTOCOL_VERSION`](super::PROTOCOL_VERSION) (502).
    #[error("invalid protocol version: {version}")]
    UnsupportedVersion {
        /// The version the header declares.
        version: u16,
    },
    /// The last two header bytes are not [`MAGIC`](super::MAGIC).
    #[error("invalid magic number")]
    InvalidMagic {
        /// The magic number received.
        found: u16,
    },
    /// The header's message type is none of the six Pyro5 message types.
    #[error("invalid msg type {msg_type} received")]
    UnknownMessageType {
        /// The message type byte received.
        msg_type: u8,
    },
    /// A received header declares a body (annotations + payload) larger than the maximum message size.
    ///
    /// Checked from the header alone, before any of the body is read.
    #[error("message too large ({size}, max={max})")]
    MessageTooLarge {
        /// Data size plus annotations size, as declared by the header.
        size: u64,
        /// The maximum message size in force.
        max: u64,
    },
    /// A received annotation chunk has an id that is not 4 ASCII letters or digits.
    #[error("invalid annotation identifier {:?}: must be 4 ascii letters or digits", id.escape_ascii().to_string())]
    InvalidAnnotationId {
        /// The 4 id bytes received.
        id: [u8; 4],
    },
    /// A received annotation chunk claims more bytes than the header's annotations size leaves.
    #[error(
        "annotation chunk length exceeds remaining data (chunk at offset {offset} needs {needed} bytes, \
         annotations size {annotations_size})"
    )]
    AnnotationOverrun {
        /// Offset of the chunk within the annotations.
        offset: usize,
        /// Bytes the chunk needs: its 8-byte chunk header plus its declared length.
        needed: u64,
        /// The annotations size declared by the message header.
        annotations_size: usize,
    },
    /// The received annotation chunks do not exactly fill the header's annotations size
    /// (fewer than 8 bytes left over, too short for another chunk header).
    #[error(
        "annotation parsing did not consume all annotation data ({consumed} of {annotations_size} bytes, \
         {} left over)",
        annotations_size - consumed
    )]
    AnnotationSizeMismatch {
        /// Bytes taken by the complete chunks.
        consumed: usize,
        /// The annotations size declared by the message header.
        annotations_size: usize,
    },
    /// The input ended in the middle of a message.
    #[error("truncated message: expected {expected} bytes, got {got}")]
    Truncated {
        /// Bytes the message needs: the 40-byte header, plus its body once the header is known.
        expected: u64,
        /// Bytes of that message received.
        got: u64,
    },
    /// A message body given to [`Message::from_parts`](super::Message::from_parts) does not have the
    /// length its header declares.
    #[error("payload length doesn't match message header (expected {expected} bytes, got {got})")]
    BodyLengthMismatch {
        /// Annotations size plus data size from the header.
        expected: u64,
        /// The length of the body given.
        got: u64,
    },
    /// A payload flagged COMPRESSED is not a valid zlib stream.
    #[error("invalid compressed payload")]
    Decompress {
        /// What zlib reported (`ErrorKind::UnexpectedEof` for a stream that ends early).
        #[source]
        source: std::io::Error,
    },
    /// A compressed payload expands to more than the maximum message size (a "zip bomb").
    #[error("decompressed payload too large (more than max={max} bytes)")]
    DecompressedTooLarge {
        /// The maximum message size in force.
        max: u64,
    },
    /// Decompressing would take more of the server's shared [`ByteBudget`](super::ByteBudget)
    /// than is left (too many bytes in flight across its connections).
    #[error("server busy: too many bytes in flight (budget of {limit} bytes shared by all connections)")]
    BudgetExceeded {
        /// The budget's size.
        limit: u64,
    },
    /// A [`MessageDecoder`](super::MessageDecoder) was used after it reported an error.
    #[error("the message decoder failed earlier; the connection must be closed")]
    DecoderFailed,
    /// An annotation id given for sending is not 4 ASCII letters or digits.
    #[error("annotation identifier must be 4 ascii characters (letters or digits), got {id:?}")]
    AnnotationIdInvalid {
        /// The id given.
        id: String,
    },
    /// A message to send is larger than the maximum message size (compressed payload plus annotations),
    /// or a part of it does not fit the header's 32-bit size fields.
    #[error("message too large ({size}, max={max})")]
    OutgoingTooLarge {
        /// Payload size as it would be sent (after compression) plus annotations size.
        size: u64,
        /// The maximum message size in force.
        max: u64,
    },
    /// Compressing an outgoing payload failed (zlib reported an error; not expected in practice).
    #[error("payload compression failed")]
    Compress {
        /// What zlib reported.
        #[source]
        source: std::io::Error,
    },
    /// A message of a type that is not allowed at this point arrived (e.g. INVOKE as a reply).
    #[error("invalid msg type {msg_type} received (expected: {})", type_list(expected))]
    UnexpectedMessageType {
        /// The message type byte received.
        msg_type: u8,
        /// The accepted types.
        expected: &'static [crate::protocol::MessageType],
    },
    /// An item-stream reply without a stream id: the daemon does not stream (Pyro5's
    /// `ITER_STREAMING` off).
    #[error("result of call is an iterator, but the server is not configured to allow streaming")]
    StreamingDisabled,
    /// A reply's sequence number is not the request's (Pyro5's "reply sequence out of sync").
    #[error("invoke: reply sequence out of sync, got {got} expected {expected}")]
    SequenceMismatch {
        /// The reply's sequence number.
        got: u16,
        /// The request's sequence number.
        expected: u16,
    },
}

/// `1` or `2,3`: message type numbers as Pyro5 lists them.
fn type_list(types: &[crate::protocol::MessageType]) -> String {
    types.iter().map(|t| u8::from(*t).to_string()).collect::<Vec<_>>().join(",")
}

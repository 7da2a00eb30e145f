//! The Pyro5 wire protocol, version 502, without I/O ("sans-IO"): bytes in, messages out.
//!
//! Every message is a 40-byte big-endian [`Header`], then annotation chunks ([`Annotations`]), then
//! the payload, which may be zlib-compressed ([`Flags::COMPRESSED`]). [`Message`] holds all of it
//! with the payload uncompressed.
//!
//! - Receiving from an event loop or async task: feed bytes to a [`MessageDecoder`] as they arrive and
//!   take whole messages out.
//! - Receiving with blocking reads: read 40 bytes, [`Header::parse`] them (this checks the declared size
//!   before the body is read), read the body, then [`Message::from_parts`]. [`validate_prefix`] checks
//!   the first bytes early, as Pyro5 does after 6 bytes.
//! - Sending: [`Message::encode`] gives the header and annotations apart from the (borrowed or
//!   compressed) payload, for one vectored write.
//!
//! ```
//! use pyro::protocol::{EncodeOptions, Message, MessageDecoder, MessageType, next_seq};
//!
//! let options = EncodeOptions::default().compression(true);
//! let call = Message::new(MessageType::Invoke, 4, b"\x94\xa5thing\xa3add\x92\x01\x02\x80".to_vec()).with_seq(1);
//! let mut wire = Vec::new();
//! call.encode(&options)?.write_to(&mut wire)?;
//!
//! let mut decoder = MessageDecoder::new();
//! decoder.feed(&wire);
//! let received = decoder.next_message()?.expect("a whole message");
//! assert_eq!(received, call);
//! assert_eq!(next_seq(received.seq), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Errors are [`ProtocolError`]s; their text is Pyro5's where Pyro5 has one, since a daemon sends it
//! back in a CONNECTFAIL reply.

mod annotations;
mod budget;
mod compression;
mod correlation;
mod decoder;
mod error;
mod flags;
#[doc(hidden)]
pub mod fuzzing;
mod header;
mod message;
mod message_type;

pub use annotations::{AnnotationId, Annotations};
pub use budget::ByteBudget;
pub use compression::{COMPRESSION_THRESHOLD, compress, decompress};
pub use correlation::new_correlation_id;
pub use decoder::MessageDecoder;
pub use error::ProtocolError;
pub use flags::Flags;
pub use header::{Header, validate_prefix};
pub use message::{EncodeOptions, Encoded, Message};
pub use message_type::MessageType;

/// The wire protocol version Pyro5 5.17 speaks.
pub const PROTOCOL_VERSION: u16 = 502;

/// Size of the fixed message header in bytes.
pub const HEADER_SIZE: usize = 40;

/// The magic number in the last two header bytes.
pub const MAGIC: u16 = 0x4dc5;

/// The tag in the first four header bytes.
pub const TAG: [u8; 4] = *b"PYRO";

/// Pyro5's default `MAX_MESSAGE_SIZE`: 1 GiB of data plus annotations.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1024 * 1024 * 1024;

/// The serializer id Pyro5 puts in a PING (the payload is never deserialized).
pub const PING_SERIALIZER_ID: u8 = 42;

/// The sequence number after `seq`: 16 bits, wrapping from 65535 to 0 as Pyro5 does.
///
/// ```
/// use pyro::protocol::next_seq;
/// assert_eq!(next_seq(41), 42);
/// assert_eq!(next_seq(u16::MAX), 0);
/// ```
pub const fn next_seq(seq: u16) -> u16 {
    seq.wrapping_add(1)
}

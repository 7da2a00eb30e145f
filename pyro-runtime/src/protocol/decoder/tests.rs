//! [`MessageDecoder`]: bad input rejected as early as Pyro5 does, feeding in any chunks, and the body buffer.

use super::*;
use crate::protocol::{AnnotationId, EncodeOptions, Flags, MessageType, compress, next_seq};

fn wire(msg: &Message) -> Vec<u8> {
    msg.to_bytes(&EncodeOptions::default()).unwrap()
}

fn sample(seq: u16) -> Message {
    Message::new(MessageType::Invoke, 4, format!("payload {seq}").into_bytes())
        .with_seq(seq)
        .with_annotation(AnnotationId::STREAM, vec![seq as u8; 3])
}

/// Feeds `bytes` to a fresh decoder and returns the error it reports.
fn error_for(bytes: &[u8], max: usize) -> ProtocolError {
    let mut decoder = MessageDecoder::with_max_message_size(max);
    decoder.feed(bytes);
    let err = decoder.next_message().unwrap_err();
    assert!(matches!(decoder.next_message(), Err(ProtocolError::DecoderFailed)));
    err
}

/// A raw message with the given header fields and body.
fn raw(msg_type: u8, flags: u16, data_size: u32, annotations_size: u32, body: &[u8]) -> Vec<u8> {
    let mut out = b"PYRO\x01\xf6".to_vec();
    out.extend_from_slice(&[msg_type, 4]);
    out.extend_from_slice(&flags.to_be_bytes());
    out.extend_from_slice(&[0, 1]);
    out.extend_from_slice(&data_size.to_be_bytes());
    out.extend_from_slice(&annotations_size.to_be_bytes());
    out.extend_from_slice(&[0; 18]);
    out.extend_from_slice(&[0x4d, 0xc5]);
    out.extend_from_slice(body);
    out
}

#[test]
fn bad_tag_is_reported_after_four_bytes() {
    let mut decoder = MessageDecoder::new();
    decoder.feed(b"!!!");
    assert!(decoder.next_message().unwrap().is_none());
    decoder.feed(b"!");
    let err = decoder.next_message().unwrap_err();
    assert!(matches!(err, ProtocolError::InvalidTag { found } if &found == b"!!!!"), "{err:?}");
    // What Pyro5's interrupt_socket sends: 16 bytes of '!'.
    assert_eq!(error_for(b"!!!!!!!!!!!!!!!!", DEFAULT_MAX_MESSAGE_SIZE).to_string(), "invalid data");
}

#[test]
fn bad_version_is_reported_after_six_bytes() {
    let mut decoder = MessageDecoder::new();
    decoder.feed(b"PYRO\x01");
    assert!(decoder.next_message().unwrap().is_none());
    decoder.feed(b"\xf5");
    let err = decoder.next_message().unwrap_err();
    assert!(matches!(err, ProtocolError::UnsupportedVersion { version: 501 }), "{err:?}");
    assert_eq!(err.to_string(), "invalid protocol version: 501");
}

#[test]
fn bad_magic_is_reported_after_forty_bytes() {
    let mut bytes = raw(4, 0, 0, 0, b"");
    bytes[39] = 0xc6;
    let mut decoder = MessageDecoder::new();
    decoder.feed(&bytes[..39]);
    assert!(decoder.next_message().unwrap().is_none());
    decoder.feed(&bytes[39..]);
    let err = decoder.next_message().unwrap_err();
    assert!(matches!(err, ProtocolError::InvalidMagic { found: 0x4dc6 }), "{err:?}");
    assert_eq!(err.to_string(), "invalid magic number");
}

#[test]
fn unknown_message_type() {
    let err = error_for(&raw(9, 0, 0, 0, b""), DEFAULT_MAX_MESSAGE_SIZE);
    assert!(matches!(err, ProtocolError::UnknownMessageType { msg_type: 9 }), "{err:?}");
    assert_eq!(err.to_string(), "invalid msg type 9 received");
}

#[test]
fn too_large_is_reported_from_the_header_alone() {
    // The probe of the reference §1.10: data length 2 GiB.
    let err = error_for(&raw(1, 0, 0x8000_0000, 0, b""), DEFAULT_MAX_MESSAGE_SIZE);
    assert!(matches!(err, ProtocolError::MessageTooLarge { size: 2_147_483_648, max: 1_073_741_824 }));
    assert_eq!(err.to_string(), "message too large (2147483648, max=1073741824)");
    let err = error_for(&raw(1, 0, 60, 41, b""), 100);
    assert!(matches!(err, ProtocolError::MessageTooLarge { size: 101, max: 100 }), "{err:?}");
}

#[test]
fn invalid_annotation_id() {
    let err = error_for(&raw(4, 0, 0, 9, b"AB-D\0\0\0\x01x"), DEFAULT_MAX_MESSAGE_SIZE);
    assert!(matches!(err, ProtocolError::InvalidAnnotationId { id } if &id == b"AB-D"), "{err:?}");
}

#[test]
fn annotation_overrun() {
    let err = error_for(&raw(4, 0, 2, 9, b"STRM\0\0\0\x02xyz"), DEFAULT_MAX_MESSAGE_SIZE);
    assert!(matches!(err, ProtocolError::AnnotationOverrun { offset: 0, needed: 10, annotations_size: 9 }), "{err:?}");
}

#[test]
fn annotation_size_mismatch() {
    let err = error_for(&raw(4, 0, 0, 12, b"STRM\0\0\0\x01xSTR"), DEFAULT_MAX_MESSAGE_SIZE);
    assert!(matches!(err, ProtocolError::AnnotationSizeMismatch { consumed: 9, annotations_size: 12 }), "{err:?}");
}

#[test]
fn decompression_failure() {
    let err = error_for(&raw(5, 0x02, 5, 0, b"hello"), DEFAULT_MAX_MESSAGE_SIZE);
    assert!(matches!(err, ProtocolError::Decompress { .. }), "{err:?}");
    assert!(std::error::Error::source(&err).is_some());
    // An empty compressed payload is a truncated zlib stream, as in Python.
    let err = error_for(&raw(5, 0x02, 0, 0, b""), DEFAULT_MAX_MESSAGE_SIZE);
    assert!(matches!(err, ProtocolError::Decompress { .. }), "{err:?}");
}

#[test]
fn decompressed_too_large() {
    let bomb = compress(&[0; 100_000]).unwrap();
    let bytes = raw(5, 0x02, bomb.len() as u32, 0, &bomb);
    let err = error_for(&bytes, 50_000);
    assert!(matches!(err, ProtocolError::DecompressedTooLarge { max: 50_000 }), "{err:?}");
    let mut decoder = MessageDecoder::with_max_message_size(100_000);
    decoder.feed(&bytes);
    assert_eq!(decoder.next_message().unwrap().unwrap().data.len(), 100_000);
}

#[test]
fn truncated_header_and_body() {
    let bytes = wire(&sample(1));
    let mut decoder = MessageDecoder::new();
    decoder.feed(&bytes[..10]);
    let err = decoder.finish().unwrap_err();
    assert!(matches!(err, ProtocolError::Truncated { expected: 40, got: 10 }), "{err:?}");
    assert!(matches!(decoder.finish(), Err(ProtocolError::DecoderFailed)));
    assert!(matches!(decoder.next_message(), Err(ProtocolError::DecoderFailed)));

    let mut decoder = MessageDecoder::new();
    decoder.feed(&bytes[..45]);
    let err = decoder.finish().unwrap_err();
    let total = bytes.len() as u64;
    assert!(matches!(err, ProtocolError::Truncated { expected, got: 45 } if expected == total), "{err:?}");

    // A clean end: nothing to report, and finish can be called again.
    let mut decoder = MessageDecoder::new();
    decoder.feed(&bytes);
    decoder.finish().unwrap();
    decoder.finish().unwrap();
    assert_eq!(decoder.next_message().unwrap(), Some(sample(1)));
}

#[test]
fn finish_reports_a_pending_error() {
    let mut decoder = MessageDecoder::new();
    decoder.feed(b"GET / HTTP/1.1\r\n");
    assert!(matches!(decoder.finish(), Err(ProtocolError::InvalidTag { .. })));
    assert!(matches!(decoder.next_message(), Err(ProtocolError::DecoderFailed)));
}

#[test]
fn byte_by_byte_feeding() {
    let messages: Vec<Message> = (0..4).map(sample).collect();
    let bytes: Vec<u8> = messages.iter().flat_map(wire).collect();
    let mut decoder = MessageDecoder::new();
    let mut out = Vec::new();
    for byte in &bytes {
        decoder.feed(std::slice::from_ref(byte));
        while let Some(msg) = decoder.next_message().unwrap() {
            out.push(msg);
        }
    }
    assert_eq!(out, messages);
    assert!(!decoder.has_partial_message());
    decoder.finish().unwrap();
}

#[test]
fn several_messages_in_one_feed() {
    let messages = [
        sample(1),
        Message::ping(),
        Message::new(MessageType::Result, 4, Vec::new()).with_seq(9).with_flags(Flags::EXCEPTION),
        Message::new(MessageType::Result, 4, vec![b'z'; 5000]).with_seq(10),
    ];
    let mut bytes: Vec<u8> = messages.iter().flat_map(wire).collect();
    bytes.extend_from_slice(&wire(&sample(2))[..20]);
    let mut decoder = MessageDecoder::new();
    decoder.feed(&bytes);
    for expected in &messages {
        assert_eq!(&decoder.next_message().unwrap().unwrap(), expected);
    }
    assert!(decoder.next_message().unwrap().is_none());
    assert!(decoder.has_partial_message());
    decoder.feed(&wire(&sample(2))[20..]);
    assert_eq!(decoder.next_message().unwrap(), Some(sample(2)));
}

#[test]
fn messages_before_an_error_are_delivered_first() {
    let mut bytes = wire(&sample(1));
    bytes.extend_from_slice(b"!!!!");
    bytes.extend(wire(&sample(2)));
    let mut decoder = MessageDecoder::new();
    decoder.feed(&bytes);
    assert_eq!(decoder.next_message().unwrap(), Some(sample(1)));
    assert!(matches!(decoder.next_message(), Err(ProtocolError::InvalidTag { .. })));
    decoder.feed(&wire(&sample(3)));
    assert!(matches!(decoder.next_message(), Err(ProtocolError::DecoderFailed)));
}

#[test]
fn seq_wraps() {
    assert_eq!(next_seq(0), 1);
    assert_eq!(next_seq(65534), 65535);
    assert_eq!(next_seq(65535), 0);
    let mut decoder = MessageDecoder::new();
    let mut seq = 65533;
    let mut seen = Vec::new();
    for _ in 0..5 {
        decoder.feed(&wire(&sample(seq)));
        seen.push(decoder.next_message().unwrap().unwrap().seq);
        seq = next_seq(seq);
    }
    assert_eq!(seen, [65533, 65534, 65535, 0, 1]);
}

#[test]
fn flags_round_trip() {
    for bits in [0u16, 0x01, 0x04, 0x08, 0x10, 0x20, 0x41, 0x80, 0xfd, 0xfffd] {
        let msg = sample(1).with_flags(Flags::from_bits(bits));
        let bytes = wire(&msg);
        assert_eq!(u16::from_be_bytes([bytes[8], bytes[9]]), bits & !0x02, "COMPRESSED is never kept");
        let mut decoder = MessageDecoder::new();
        decoder.feed(&bytes);
        let got = decoder.next_message().unwrap().unwrap();
        assert_eq!(got.flags.bits(), bits & !0x42, "CORR_ID moves to correlation_id");
        assert_eq!(got.correlation_id.is_some(), bits & 0x40 != 0);
        assert_eq!(wire(&got), bytes);
    }
}

#[test]
fn compression_both_ways_through_the_decoder() {
    let on = EncodeOptions::default().compression(true);
    for len in [0, 1, 100, 101, 4096] {
        let msg = Message::new(MessageType::Result, 4, vec![b'q'; len]).with_seq(len as u16);
        let bytes = msg.to_bytes(&on).unwrap();
        assert_eq!(bytes[9] & 0x02 != 0, len > 100, "len {len}");
        let mut decoder = MessageDecoder::new();
        for chunk in bytes.chunks(7) {
            decoder.feed(chunk);
        }
        let got = decoder.next_message().unwrap().unwrap();
        assert_eq!(got, msg, "len {len}");
        assert!(!got.flags.contains(Flags::COMPRESSED));
    }
}

#[test]
fn body_buffer_grows_with_the_data_not_the_header() {
    // A header claiming ~1 GiB followed by a trickle: memory stays proportional to what arrived.
    let bytes = raw(4, 0, 1 << 30, 0, &[0; 1000]);
    let mut decoder = MessageDecoder::new();
    for chunk in bytes.chunks(100) {
        decoder.feed(chunk);
    }
    assert!(decoder.next_message().unwrap().is_none());
    let (_, body) = decoder.body.as_ref().unwrap();
    assert_eq!(body.len(), 1000);
    assert!(body.capacity() <= 2000, "capacity {}", body.capacity());
}

#[test]
fn exact_body_in_one_chunk_is_allocated_once() {
    let msg = Message::new(MessageType::Result, 4, vec![7; 100_000]);
    let bytes = wire(&msg);
    let mut decoder = MessageDecoder::new();
    decoder.feed(&bytes);
    let got = decoder.next_message().unwrap().unwrap();
    assert_eq!(got.data.capacity(), 100_000);
    assert_eq!(got, msg);
}

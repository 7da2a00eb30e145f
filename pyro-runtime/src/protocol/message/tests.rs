//! Golden wire captures from Pyro5 and the encoding rules of [`Message`].

use std::io::{self, Write};

use super::*;
use crate::protocol::{DEFAULT_MAX_MESSAGE_SIZE, MessageDecoder};

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
    let oneway =
        Message::new(MessageType::Invoke, 4, hex("94a57468696e67a26f77910580")).with_seq(3).with_flags(Flags::ONEWAY);
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
    let mut msg =
        Message::new(MessageType::Result, 4, vec![]).with_correlation_id(uuid("11112222-3333-4444-5555-666677778888"));
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

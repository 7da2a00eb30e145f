//! Wire messages both ways with real Python Pyro5 5.17 (its `protocol` module): every message
//! type, every flag, annotations, correlation ids, sequence numbers and zlib compression.

use pyro_interop::{CodecPeer, hex, unhex};
use pyro_runtime::protocol::{
    AnnotationId, EncodeOptions, Flags, HEADER_SIZE, Header, Message, MessageDecoder, MessageType, ProtocolError,
};
use serde_json::{Value as Json, json};
use uuid::Uuid;

const CORR: &str = "11112222333344445555666677778888";

struct Case {
    msg_type: MessageType,
    flags: u16,
    seq: u16,
    ser: u8,
    payload: Vec<u8>,
    annotations: Vec<(&'static str, Vec<u8>)>,
    corr_id: bool,
    compress: bool,
}

fn cases() -> Vec<Case> {
    let base = |msg_type, flags| Case {
        msg_type,
        flags,
        seq: 7,
        ser: 4,
        payload: b"\x94\xa5thing\xa3add\x92\x01\x02\x80".to_vec(),
        annotations: vec![],
        corr_id: false,
        compress: false,
    };
    let mut cases = Vec::new();
    for msg_type in [
        MessageType::Connect,
        MessageType::ConnectOk,
        MessageType::ConnectFail,
        MessageType::Invoke,
        MessageType::Result,
        MessageType::Ping,
    ] {
        cases.push(base(msg_type, 0));
    }
    for flag in [0x01, 0x04, 0x08, 0x10, 0x20, 0x01 | 0x10, 0x01 | 0x08 | 0x10 | 0x20] {
        cases.push(base(MessageType::Result, flag));
    }
    cases.push(Case { corr_id: true, ..base(MessageType::Invoke, 0) });
    cases.push(Case { seq: 0, ..base(MessageType::Invoke, 0) });
    cases.push(Case { seq: u16::MAX, ..base(MessageType::Invoke, 0) });
    cases.push(Case {
        ser: 3,
        payload: br#"{"object": "thing", "method": "add", "params": [1, 2], "kwargs": {}}"#.to_vec(),
        ..base(MessageType::Invoke, 0)
    });
    cases.push(Case { ser: 42, payload: b"ping".to_vec(), seq: 0, ..base(MessageType::Ping, 0) });
    cases.push(Case { payload: vec![], ..base(MessageType::Result, 0) });
    cases.push(Case {
        annotations: vec![
            ("STRM", b"877679ac-79ea-4224-89e9-e548150c7022".to_vec()),
            ("XYZW", vec![]),
            ("BLBI", vec![0; 300]),
        ],
        ..base(MessageType::Result, 0x10)
    });
    // Compression: only payloads over 100 bytes are compressed.
    cases.push(Case { payload: vec![b'a'; 100], compress: true, ..base(MessageType::Result, 0) });
    cases.push(Case { payload: vec![b'a'; 101], compress: true, ..base(MessageType::Result, 0) });
    cases.push(Case {
        payload: (0..5000u32).flat_map(|i| i.to_le_bytes()).collect(),
        compress: true,
        corr_id: true,
        annotations: vec![("ANNO", b"not compressed".to_vec())],
        ..base(MessageType::Invoke, 0x04)
    });
    cases
}

fn python_request(case: &Case) -> Json {
    // A list of pairs, not an object: annotation order on the wire is insertion order.
    let annotations: Vec<Json> = case.annotations.iter().map(|(k, v)| json!([k, hex(v)])).collect();
    json!({
        "op": "encode_message",
        "type": u8::from(case.msg_type),
        "flags": case.flags,
        "seq": case.seq,
        "ser": case.ser,
        "payload": hex(&case.payload),
        "annotations": annotations,
        "corr_id": if case.corr_id { Some(CORR) } else { None },
        "compress": case.compress,
    })
}

fn rust_message(case: &Case) -> Message {
    let mut message = Message::new(case.msg_type, case.ser, case.payload.clone())
        .with_seq(case.seq)
        .with_flags(Flags::from_bits(case.flags));
    for (id, value) in &case.annotations {
        message = message.with_annotation(AnnotationId::try_from(*id).expect("valid id"), value.clone());
    }
    if case.corr_id {
        message = message.with_correlation_id(Uuid::parse_str(CORR).expect("valid uuid"));
    }
    message
}

/// Decodes `bytes` both ways Rust offers: fed to the incremental decoder in small chunks, and
/// through the blocking-reader path (`Header::parse` then `Message::from_parts`).
fn decode_both_ways(bytes: &[u8]) -> Message {
    let mut decoder = MessageDecoder::new();
    let mut decoded = None;
    for chunk in bytes.chunks(7) {
        decoder.feed(chunk);
        if let Some(message) = decoder.next_message().expect("valid message") {
            assert!(decoded.is_none(), "one message expected");
            decoded = Some(message);
        }
    }
    decoder.finish().expect("nothing left over");
    let decoded = decoded.expect("a whole message");
    let header: [u8; HEADER_SIZE] = bytes[..HEADER_SIZE].try_into().expect("40 bytes");
    let header = Header::parse(&header, 1 << 30).expect("valid header");
    let blocking = Message::from_parts(header, bytes[HEADER_SIZE..].to_vec(), 1 << 30).expect("valid body");
    assert_eq!(blocking, decoded, "both decoding paths agree");
    decoded
}

#[test]
fn pyro5_messages_decode_in_rust() {
    let mut peer = CodecPeer::start();
    for case in cases() {
        let reply = peer.request(python_request(&case));
        let bytes = unhex(reply["hex"].as_str().expect("hex"));
        let message = decode_both_ways(&bytes);
        let expected = rust_message(&case);
        assert_eq!(message.msg_type, expected.msg_type);
        assert_eq!((message.seq, message.serializer_id), (case.seq, case.ser));
        assert_eq!(message.data, case.payload, "payload of {:?}", case.msg_type);
        assert_eq!(message.annotations, expected.annotations);
        assert_eq!(message.correlation_id, expected.correlation_id);
        // Decoding moves CORR_ID into `correlation_id` and removes COMPRESSED after inflating.
        assert_eq!(message.flags, Flags::from_bits(case.flags).without(Flags::CORR_ID).without(Flags::COMPRESSED));
        let was_compressed = bytes[8..10] != [0, 0] && (u16::from_be_bytes([bytes[8], bytes[9]]) & 0x02) != 0;
        assert_eq!(was_compressed, case.compress && case.payload.len() > 100, "Python compresses only > 100 bytes");
    }
}

#[test]
fn rust_messages_parse_in_pyro5() {
    let mut peer = CodecPeer::start();
    for case in cases() {
        let options = EncodeOptions::default().compression(case.compress);
        let bytes = rust_message(&case).to_bytes(&options).expect("encodes");
        let reply = peer.request(json!({"op": "decode_message", "hex": hex(&bytes)}));
        assert!(reply.get("error").is_none(), "Pyro5 refused {:?}: {reply}", case.msg_type);
        assert_eq!(reply["type"], u8::from(case.msg_type));
        assert_eq!(reply["seq"], case.seq);
        assert_eq!(reply["ser"], case.ser);
        assert_eq!(reply["data"], hex(&case.payload));
        let expected_flags = case.flags | if case.corr_id { 0x40 } else { 0 };
        assert_eq!(reply["flags"], expected_flags, "Pyro5 clears COMPRESSED after inflating");
        assert_eq!(reply["corr_id"], if case.corr_id { CORR.to_string() } else { "0".repeat(32) });
        for (id, value) in &case.annotations {
            assert_eq!(reply["annotations"][id], hex(value));
        }
        let compressed = u16::from_be_bytes([bytes[8], bytes[9]]) & 0x02 != 0;
        assert_eq!(compressed, case.compress && case.payload.len() > 100, "we compress only > 100 bytes, like Pyro5");
    }
}

#[test]
fn rust_encoding_without_compression_is_byte_identical_to_pyro5() {
    let mut peer = CodecPeer::start();
    for case in cases().into_iter().filter(|c| !c.compress) {
        let reply = peer.request(python_request(&case));
        let ours = rust_message(&case).to_bytes(&EncodeOptions::default()).expect("encodes");
        assert_eq!(hex(&ours), reply["hex"].as_str().expect("hex"), "{:?} flags {:#x}", case.msg_type, case.flags);
    }
}

#[test]
fn both_sides_refuse_the_same_broken_headers() {
    let mut peer = CodecPeer::start();
    let good = rust_message(&cases()[3]).to_bytes(&EncodeOptions::default()).expect("encodes");
    let mut bad_tag = good.clone();
    bad_tag[0] = b'X';
    let mut bad_version = good.clone();
    bad_version[4..6].copy_from_slice(&501u16.to_be_bytes());
    let mut too_large = good.clone();
    too_large[12..16].copy_from_slice(&0x8000_0000u32.to_be_bytes());
    for (bytes, pyro5_text) in [
        (bad_tag, "invalid data"),
        (bad_version, "invalid protocol version: 501"),
        (too_large, "message too large (2147483648, max=1073741824)"),
    ] {
        let reply = peer.request(json!({"op": "decode_message", "hex": hex(&bytes)}));
        assert_eq!(reply["error"]["str"], pyro5_text);
        let mut decoder = MessageDecoder::new();
        decoder.feed(&bytes);
        let err: ProtocolError = decoder.next_message().expect_err("refused");
        assert_eq!(err.to_string(), pyro5_text);
    }
}

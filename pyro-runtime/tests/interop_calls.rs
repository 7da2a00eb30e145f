//! The call payload (`INVOKE` body) both ways with real Python Pyro5 5.17: Pyro5's `dumpsCall`
//! decodes in Rust, and Rust's `encode_call` is read by Pyro5's `loadsCall`.

use pyro_interop::{CodecPeer, hex};
use pyro_runtime::Serializer;
use pyro_runtime::serializer::Call;
use pyro_runtime::value::{Dict, Value};
use serde_json::json;

#[test]
fn pyro5_calls_decode_in_rust() {
    let mut peer = CodecPeer::start();
    for ser in [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack] {
        let cases = [
            ("thing", "add", "(1, 2)", Some("{}"), vec![Value::Int(1), Value::Int(2)], Some(Dict::new())),
            (
                "thing",
                "greet",
                "('bob',)",
                Some("{'polite': True}"),
                vec![Value::from("bob")],
                Some([("polite", true)].into_iter().collect()),
            ),
            // Pyro5's marshal dumpsCall needs a kwargs dict (its proxies always pass one).
            if ser == Serializer::Marshal {
                ("thing", "__getattr__", "('prop',)", Some("{}"), vec![Value::from("prop")], Some(Dict::new()))
            } else {
                ("thing", "__getattr__", "('prop',)", None, vec![Value::from("prop")], None)
            },
            ("Pyro.Daemon", "get_metadata", "['thing']", Some("{}"), vec![Value::from("thing")], Some(Dict::new())),
        ];
        for (object, method, vargs, kwargs, want_vargs, want_kwargs) in cases {
            let reply = peer.request(json!({"op": "dumps_call", "ser": ser.id(), "object": object, "method": method, "vargs": vargs, "kwargs": kwargs}));
            let bytes = pyro_interop::unhex(reply["hex"].as_str().expect("hex"));
            let call = ser.decode_call(&bytes).unwrap_or_else(|e| panic!("{ser} {method}: {e}"));
            assert_eq!(
                call,
                Call { object: object.into(), method: method.into(), vargs: want_vargs, kwargs: want_kwargs },
                "{ser}"
            );
        }
    }
}

#[test]
fn rust_calls_load_in_pyro5() {
    let mut peer = CodecPeer::start();
    for ser in [Serializer::Serpent, Serializer::Marshal, Serializer::Json, Serializer::Msgpack] {
        let kwargs: Dict = [("polite", Value::Bool(true))].into_iter().collect();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                ser.encode_call("thing", "add", &(1, 2), Some(&Dict::new())).expect("encodes"),
                "('thing', 'add', [1, 2], {})",
            ),
            (
                ser.encode_call("thing", "greet", &vec![Value::from("bob")], Some(&kwargs)).expect("encodes"),
                "('thing', 'greet', ['bob'], {'polite': True})",
            ),
            (
                ser.encode_call("thing", "__getattr__", &["prop"], None::<&Dict>).expect("encodes"),
                "('thing', '__getattr__', ['prop'], None)",
            ),
        ];
        for (bytes, expected) in cases {
            let reply =
                peer.request(json!({"op": "loads_call", "ser": ser.id(), "hex": hex(&bytes), "expect": expected}));
            assert_eq!(reply["same"], true, "{ser}: {reply}");
        }
    }
}

#[test]
fn rust_json_call_is_byte_identical_to_pyro5() {
    let mut peer = CodecPeer::start();
    let reply = peer.request(
        json!({"op": "dumps_call", "ser": 3, "object": "thing", "method": "add", "vargs": "(1, 2)", "kwargs": "{}"}),
    );
    let ours = Serializer::Json.encode_call("thing", "add", &(1, 2), Some(&Dict::new())).expect("encodes");
    assert_eq!(hex(&ours), reply["hex"].as_str().expect("hex"));
    let reply = peer.request(
        json!({"op": "dumps_call", "ser": 4, "object": "thing", "method": "add", "vargs": "(1, 2)", "kwargs": "{}"}),
    );
    let ours = Serializer::Msgpack.encode_call("thing", "add", &(1, 2), Some(&Dict::new())).expect("encodes");
    assert_eq!(hex(&ours), reply["hex"].as_str().expect("hex"));
}

#[test]
fn malformed_calls_are_errors() {
    for (ser, bytes) in [
        (Serializer::Msgpack, vec![0x93, 0xa1, b'a', 0xa1, b'b', 0x90]),
        (Serializer::Msgpack, vec![0x94, 0x01, 0xa1, b'b', 0x90, 0x80]),
        (Serializer::Msgpack, vec![0x94, 0xa1, b'a', 0xa1, b'b', 0x90, 0x01]),
        (Serializer::Json, br#"{"object": "a", "method": "b"}"#.to_vec()),
        (Serializer::Json, br#"{"object": "a", "method": "b", "params": 1, "kwargs": {}}"#.to_vec()),
        (Serializer::Json, br#"[1, 2]"#.to_vec()),
    ] {
        assert!(ser.decode_call(&bytes).is_err(), "{ser}: {bytes:?} must be refused");
    }
}

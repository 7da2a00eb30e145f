//! URIs parsed by Rust and by real Python Pyro5 5.17 agree: the five-field state and the text
//! form of every valid case of reference section 6.1, and refusal of every invalid one.

use pyro_interop::CodecPeer;
use pyro_runtime::Uri;
use serde_json::{Value as Json, json};

const VALID: &[&str] = &[
    "PYRO:obj@localhost:4444",
    "pyro:obj@localhost:4444",
    "PYRO:obj@127.0.0.1:0",
    "PYRO:obj@[::1]:4444",
    "PYRO:obj@[fe80::1%25]:4444",
    "PYRO:obj@./u:/tmp/pyro.sock",
    "PYRO:obj@./u:\0abstract",
    "PYRO:a@b@c:1",
    "PYRO:o:b:j@host:1",
    "PYRO:Pyro.NameServer@localhost:9090",
    "PYRONAME:example.thing",
    "pyroname:example.thing",
    "PYRONAME:example.thing@localhost",
    "PYRONAME:example.thing@localhost:5555",
    "PYRONAME:example.thing@[::1]:5555",
    "PYRONAME:example.thing@./u:/tmp/ns.sock",
    "PYROMETA:tag",
    "PYROMETA:tag1,tag2@localhost:5555",
    "PYROMETA:tag2,tag1,tag2",
];

const INVALID: &[&str] = &[
    "",
    "obj@localhost:4444",
    "HTTP:obj@localhost:4444",
    "PYROX:obj@localhost:4444",
    "PYRO:obj",
    "PYRO:obj@localhost",
    "PYRO:obj@::1:4444",
    "PYRO:obj@[[::1]]:4444",
    "PYRO:obj@[::1]",
    "PYRO:obj@[eth0]:4444",
    "PYRO:obj@localhost:port",
    "PYRO:obj@./u:",
    "PYRO:obj@./u:/tmp/a:b",
    "PYRO:@localhost:4444",
    "PYRO:o bj@localhost:4444",
    "PYRO:",
    "PYROMETA: spaced ,tags@localhost",
];

fn python(peer: &mut CodecPeer, text: &str) -> Json {
    peer.request(json!({"op": "uri", "text": text}))
}

#[test]
fn valid_uris_agree_with_pyro5() {
    let mut peer = CodecPeer::start();
    for text in VALID {
        let reply = python(&mut peer, text);
        assert!(reply.get("error").is_none(), "Pyro5 refused {text:?}: {reply}");
        let uri: Uri = text.parse().unwrap_or_else(|e| panic!("{text:?}: {e}"));
        let python_text = reply["str"].as_str().expect("str");
        if uri.tags().is_some() {
            // Python prints PYROMETA tags in its (randomized) set order; compare as sets.
            assert_eq!(python_text.parse::<Uri>().expect("Python's text parses"), uri, "text form of {text:?}");
        } else {
            assert_eq!(uri.to_string(), python_text, "text form of {text:?}");
        }
        let state = reply["state"].as_array().expect("state");
        assert_eq!(uri.protocol().as_str(), state[0], "{text:?}");
        match uri.tags() {
            Some(tags) => assert_eq!(json!(tags.iter().collect::<Vec<_>>()), state[1], "{text:?}"),
            None => assert_eq!(uri.object(), state[1], "{text:?}"),
        }
        assert_eq!(json!(uri.sockname()), state[2], "{text:?}");
        assert_eq!(json!(uri.host()), state[3], "{text:?}");
        assert_eq!(json!(uri.port()), state[4], "{text:?}");
        // The text form parses back to the same URI.
        assert_eq!(uri.to_string().parse::<Uri>().expect("round trip"), uri);
    }
}

#[test]
fn invalid_uris_are_refused_by_both() {
    let mut peer = CodecPeer::start();
    for text in INVALID {
        let reply = python(&mut peer, text);
        assert!(reply.get("error").is_some(), "Pyro5 accepted {text:?}: {reply}");
        let err = text.parse::<Uri>().expect_err(text);
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn uris_travel_as_pyro5_class_dicts() {
    let mut peer = CodecPeer::start();
    let uri: Uri = "PYRO:obj@localhost:4444".parse().expect("valid");
    for ser in [
        pyro_runtime::Serializer::Serpent,
        pyro_runtime::Serializer::Marshal,
        pyro_runtime::Serializer::Json,
        pyro_runtime::Serializer::Msgpack,
    ] {
        let bytes = ser.to_bytes(&uri).expect("encodes");
        peer.loads_equals(ser.id(), &bytes, "Pyro5.core.URI('PYRO:obj@localhost:4444')")
            .unwrap_or_else(|e| panic!("{ser}: {e}"));
        let back: Uri =
            ser.from_bytes(&peer.dumps(ser.id(), "Pyro5.core.URI('PYRO:obj@[::1]:4444')")).expect("decodes");
        assert_eq!(back.to_string(), "PYRO:obj@[::1]:4444");
    }
}

//! The harness itself: the virtualenv bootstraps and the codec peer answers with Pyro5 5.17.

use serde_json::json;

#[test]
fn codec_peer_runs_pyro5_5_17() {
    let mut peer = pyro_interop::CodecPeer::start();
    assert_eq!(peer.dumps(4, "[1, 'a']"), [0x92, 0x01, 0xa1, b'a']);
    assert_eq!(peer.dumps(3, "{'a': (1, 2)}"), br#"{"a": [1, 2]}"#);
    peer.loads_equals(3, b"[1, 2]", "[1, 2]").expect("same value");
    assert!(peer.loads_equals(3, b"[1, 2]", "(1, 2)").is_err(), "a list is not a tuple");
    let reply = peer.request(json!({"op": "uri", "text": "PYRO:x@[::1]:4444"}));
    assert_eq!(reply["state"], json!(["PYRO", "x", null, "::1", 4444]));
}

#[test]
fn the_plain_environment_has_pyro5_without_msgpack() {
    let out = pyro_interop::python_plain()
        .command()
        .args(["-c", "import Pyro5.serializers as s; print(sorted(s.serializers))"])
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "['json', 'marshal', 'serpent']");
}

#[test]
fn pyro5_examples_are_fetched_unchanged() {
    let examples = pyro_interop::pyro5_examples();
    for program in ["batchedcalls/server.py", "batchedcalls/client.py", "streaming/server.py", "streaming/client.py"] {
        assert!(examples.join(program).is_file(), "{program} missing under {}", examples.display());
    }
}

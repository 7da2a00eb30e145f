//! [`CodecPeer`]: a long-running Python process that encodes and decodes with Pyro5's own
//! `protocol`, `serializers` and `core` modules.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

use serde_json::{Value as Json, json};

use crate::venv::python;

/// The Python side of the codec tests: one process answering JSON requests, one per line
/// (see `python/codec_peer.py` for the operations).
///
/// ```no_run
/// let mut peer = pyro_interop::CodecPeer::start();
/// let reply = peer.request(serde_json::json!({"op": "dumps", "ser": 4, "expr": "[1, 'a']"}));
/// assert_eq!(reply["hex"], "9201a161");
/// ```
pub struct CodecPeer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

const SCRIPT: &str = include_str!("../python/codec_peer.py");

impl CodecPeer {
    /// Starts the peer (bootstrapping Python Pyro5 on first use).
    ///
    /// ```no_run
    /// let peer = pyro_interop::CodecPeer::start();
    /// ```
    pub fn start() -> CodecPeer {
        CodecPeer::start_in(python())
    }

    /// Starts the peer in the given environment, e.g. [`python_plain`](crate::python_plain) for
    /// Pyro5 without msgpack.
    ///
    /// ```no_run
    /// let peer = pyro_interop::CodecPeer::start_in(pyro_interop::python_plain());
    /// ```
    pub fn start_in(python: &crate::Python) -> CodecPeer {
        let mut child = python
            .command()
            .args(["-c", SCRIPT])
            // Pyro5's msgpack datetimes are local-time timestamps: pin the zone.
            .env("TZ", "UTC")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("starting the Python codec peer: {e}"));
        let stdin = child.stdin.take().unwrap_or_else(|| panic!("codec peer has no stdin"));
        let stdout = BufReader::new(child.stdout.take().unwrap_or_else(|| panic!("codec peer has no stdout")));
        let mut peer = CodecPeer { child, stdin, stdout };
        let hello = peer.read_reply();
        assert_eq!(hello["ready"], "5.17", "unexpected codec peer greeting: {hello}");
        peer
    }

    /// Sends one request and returns the reply. Panics if the peer died or reported an
    /// error of its own (not one of Pyro5's, which come back as an `"error"` field).
    ///
    /// ```no_run
    /// let mut peer = pyro_interop::CodecPeer::start();
    /// let reply = peer.request(serde_json::json!({"op": "uri", "text": "PYRO:obj@localhost:4444"}));
    /// assert_eq!(reply["str"], "PYRO:obj@localhost:4444");
    /// ```
    pub fn request(&mut self, request: Json) -> Json {
        let line = format!("{request}\n");
        self.stdin
            .write_all(line.as_bytes())
            .and_then(|()| self.stdin.flush())
            .unwrap_or_else(|e| panic!("writing to codec peer: {e}"));
        let reply = self.read_reply();
        if let Some(trace) = reply.get("harness_error") {
            panic!("codec peer failed on {request}:\n{}", trace.as_str().unwrap_or_default());
        }
        reply
    }

    /// Pyro5's serialization of the Python expression `expr` with serializer `ser`.
    ///
    /// ```no_run
    /// let mut peer = pyro_interop::CodecPeer::start();
    /// assert_eq!(peer.dumps(3, "[1, 2]"), b"[1, 2]");
    /// ```
    pub fn dumps(&mut self, ser: u8, expr: &str) -> Vec<u8> {
        let reply = self.request(json!({"op": "dumps", "ser": ser, "expr": expr}));
        unhex(reply["hex"].as_str().unwrap_or_else(|| panic!("dumps {expr:?} failed: {reply}")))
    }

    /// Decodes `bytes` with Pyro5 and compares the result with the Python expression `expect`
    /// (deep equality that also demands the same types). Returns `Err` with both reprs on a mismatch.
    ///
    /// ```no_run
    /// let mut peer = pyro_interop::CodecPeer::start();
    /// peer.loads_equals(3, b"[1, 2]", "[1, 2]").unwrap();
    /// ```
    pub fn loads_equals(&mut self, ser: u8, bytes: &[u8], expect: &str) -> Result<(), String> {
        let reply = self.request(json!({"op": "loads", "ser": ser, "hex": hex(bytes), "expect": expect}));
        if reply["same"] == true {
            Ok(())
        } else {
            Err(format!("Pyro5 decoded {} but {expect} was expected (reply {reply})", reply["repr"]))
        }
    }

    fn read_reply(&mut self) -> Json {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => panic!("the Python codec peer exited: {:?}", self.child.try_wait()),
            Ok(_) => serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad reply from codec peer ({e}): {line}")),
            Err(e) => panic!("reading from codec peer: {e}"),
        }
    }
}

impl Drop for CodecPeer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lowercase hex of `bytes`.
///
/// ```
/// assert_eq!(pyro_interop::hex(&[0x4d, 0xc5]), "4dc5");
/// ```
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bytes from hex text (whitespace ignored). Panics on bad hex: this is test input.
///
/// ```
/// assert_eq!(pyro_interop::unhex("4d c5"), [0x4d, 0xc5]);
/// ```
pub fn unhex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).unwrap_or_else(|_| panic!("bad hex {text:?}"));
            u8::from_str_radix(s, 16).unwrap_or_else(|_| panic!("bad hex {text:?}"))
        })
        .collect()
}

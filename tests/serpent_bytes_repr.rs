//! Pyro5's `SERPENT_BYTES_REPR` on the daemon side: a daemon configured with it answers serpent
//! calls with `b'..'` bytes literals, which a stock Python Pyro5 client (serpent, no msgpack)
//! receives as `bytes`; without it, as serpent's base64 dict.
#![allow(clippy::unwrap_used)]

use pyro::{Config, Daemon};

/// Serves one bytes value.
pub struct Blob;

#[pyro::expose]
impl Blob {
    /// Some bytes, a NUL among them.
    pub fn data(&self) -> serde_bytes::ByteBuf {
        serde_bytes::ByteBuf::from(b"raw\x00bytes".to_vec())
    }
}

const CLIENT: &str = r#"
import sys
import Pyro5.api
with Pyro5.api.Proxy(sys.argv[1]) as blob:
    value = blob.data()
    print(type(value).__name__, value if isinstance(value, bytes) else sorted(value))
"#;

fn python_sees(bytes_repr: bool) -> String {
    let config = Config { serpent_bytes_repr: bytes_repr, ..Config::default() };
    let daemon = Daemon::builder().config(config).host("127.0.0.1").port(0).bind().unwrap();
    let uri = daemon.register(Blob, Some("blob")).unwrap();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop());
    let out = pyro_interop::python_plain().command().args(["-c", CLIENT, &uri.to_string()]).output().unwrap();
    stop.shutdown();
    server.join().unwrap().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn replies_carry_bytes_as_literals_when_configured() {
    assert_eq!(python_sees(true), r"bytes b'raw\x00bytes'");
    assert_eq!(python_sees(false), "dict ['data', 'encoding']");
}

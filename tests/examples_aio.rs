//! The `aio_server` example (async methods on `pyro::aio::Daemon`) with a real Python Pyro5 5.17
//! client: async and plain calls, an item stream from an async method, and a oneway `stop()`
//! after which the server exits.
#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::time::Duration;

use examples_support::{example, next_lines, spawn_with_lines};

const CLIENT: &str = r#"
import json, sys, threading, time
import Pyro5.api
uri = sys.argv[1]
def lookup(key, results):
    with Pyro5.api.Proxy(uri) as p:
        results.append(p.lookup(key))
results = []
start = time.time()
threads = [threading.Thread(target=lookup, args=("k%d" % i, results)) for i in range(10)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.time() - start
with Pyro5.api.Proxy(uri) as p:
    out = {"lookups": sorted(results), "upper": p.upper("tea"), "countdown": list(p.countdown(3)),
           "seen": len(p.seen()), "overlapped": elapsed < 0.45}
    p.stop()
print(json.dumps(out))
"#;

#[test]
fn python_client_against_the_aio_server_example() {
    let mut server = example("aio_server");
    server.arg("0").env("PYRO_HOST", "127.0.0.1");
    let (mut process, lines) = spawn_with_lines(server);
    let banner = next_lines(&lines, 1, Duration::from_secs(30));
    let uri = banner[0].strip_prefix("uri = ").unwrap_or_else(|| panic!("{banner:?}")).to_owned();
    let output = pyro_interop::python().command().args(["-c", CLIENT, &uri]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let out: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let lookups: Vec<String> =
        (0..10).map(|i| format!("k{i}: found")).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    assert_eq!(out["lookups"], serde_json::json!(lookups));
    assert_eq!(out["upper"], "TEA");
    assert_eq!(out["countdown"], serde_json::json!([3, 2, 1, 0]));
    assert_eq!(out["seen"], 10);
    assert_eq!(out["overlapped"], true, "10 lookups of 50 ms each should overlap");
    assert_eq!(next_lines(&lines, 1, Duration::from_secs(15)), ["stopped"]);
    assert!(process.0.wait().unwrap().success());
}

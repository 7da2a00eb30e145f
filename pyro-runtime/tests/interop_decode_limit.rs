//! A real Python Pyro5 5.17 client sending calls whose arguments would inflate far beyond their
//! size (8 million `None`s over msgpack and marshal, 2 million empty dicts over json and serpent)
//! to the Rust daemon: each gets Pyro5's `SerializeError` naming the decode limit (or a closed
//! connection), the daemon keeps serving a client that was connected all along and new ones,
//! legitimate large calls still work, and the daemon's peak memory (this process's `VmHWM`)
//! stays far below what the refused values would have taken (256 MB for the `None`s alone).
#![allow(clippy::unwrap_used)]

mod daemon_support;

use std::collections::HashMap;

use daemon_support::{config, start};
use serde_json::{Value as Json, json};

const SCRIPT: &str = r#"
import json, sys
import Pyro5.api, Pyro5.errors
uri = sys.argv[1]

def out(name, value):
    print(json.dumps({"case": name, "value": value}), flush=True)

def proxy(serializer):
    p = Pyro5.api.Proxy(uri)
    p._pyroSerializer = serializer
    return p

hostile = [
    ("msgpack", lambda: [None] * 8_000_000),
    ("marshal", lambda: [None] * 8_000_000),
    ("json", lambda: [{}] * 2_000_000),
    ("serpent", lambda: [{}] * 2_000_000),
]
bystander = proxy("serpent")
out("bystander_before", bystander.add(1, 2))
for serializer, make in [h for h in hostile if h[0] == sys.argv[2]]:
    with proxy(serializer) as p:
        value = make()
        try:
            result = p.echo(value)
            out("hostile_" + serializer, {"returned": len(result)})
        except Pyro5.errors.ConnectionClosedError as e:
            out("hostile_" + serializer, {"closed": str(e)})
        except Exception as e:
            out("hostile_" + serializer, {"class": type(e).__module__ + "." + type(e).__name__, "message": str(e)})
        del value
    out("bystander_" + serializer, bystander.add(2, 3))
    with proxy(serializer) as p:
        out("fresh_" + serializer, p.add(3, 4))
if sys.argv[2] == "legit":
    with proxy("msgpack") as p:
        out("legit_ints", sum(p.echo(list(range(1_000_000)))))
    with proxy("serpent") as p:
        out("legit_str", len(p.echo("x" * 10_000_000)))
    with proxy("marshal") as p:
        out("legit_bytes", len(p.echo(b"y" * 20_000_000)))
bystander._pyroRelease()
out("done", True)
"#;

/// This process's peak resident memory (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Runs the script's `part` against the daemon at `uri`; its cases by name.
fn run(uri: &str, part: &str) -> HashMap<String, Json> {
    let output = pyro_interop::python().command().args(["-c", SCRIPT, uri, part]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "python failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let cases: HashMap<String, Json> = stdout
        .lines()
        .map(|line| {
            let v: Json = serde_json::from_str(line).unwrap();
            (v["case"].as_str().unwrap().to_owned(), v["value"].clone())
        })
        .collect();
    assert_eq!(cases.get("bystander_before"), Some(&json!(3)), "{stdout}");
    assert_eq!(cases.get("done"), Some(&json!(true)), "{stdout}");
    cases
}

#[test]
fn python_payloads_that_would_inflate_are_refused_and_the_daemon_keeps_serving() {
    let daemon = start(config());
    let uri = daemon.daemon.uri_for("thing").unwrap().to_string();
    for serializer in ["msgpack", "marshal", "json", "serpent"] {
        let cases = run(&uri, serializer);
        let case = |name: &str| cases.get(name).unwrap_or_else(|| panic!("no {name} in {cases:?}")).clone();
        let hostile = case(&format!("hostile_{serializer}"));
        assert_eq!(hostile["class"], json!("Pyro5.errors.SerializeError"), "{serializer}: {hostile}");
        let message = hostile["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("{serializer} payload would decode to more than"))
                && message.contains("decode limit"),
            "{serializer}: {message}"
        );
        assert_eq!(case(&format!("bystander_{serializer}")), json!(5), "{serializer}");
        assert_eq!(case(&format!("fresh_{serializer}")), json!(7), "{serializer}");
        let peak = peak_rss();
        eprintln!("daemon peak RSS (VmHWM) after the refused {serializer} call: {} MiB", peak >> 20);
        // The None lists would have taken 256 MB as values, the dicts 208 MB; each is refused
        // before its values are built (msgpack by its validating pass, marshal by the list's
        // length, json and serpent by their structure), so the peak is about the messages.
        assert!(peak < 64 << 20, "{serializer}: peak RSS {} MiB", peak >> 20);
    }

    let cases = run(&uri, "legit");
    assert_eq!(cases.get("legit_ints"), Some(&json!(499_999_500_000u64)));
    assert_eq!(cases.get("legit_str"), Some(&json!(10_000_000)));
    assert_eq!(cases.get("legit_bytes"), Some(&json!(20_000_000)));
    eprintln!("daemon peak RSS (VmHWM) after the large legitimate calls: {} MiB", peak_rss() >> 20);
    daemon.stop();
}

#[test]
fn a_daemon_applies_its_decode_limit_and_keeps_serving() {
    use daemon_support::{Client, start_daemon};
    use pyro_runtime::daemon::Daemon;
    use pyro_runtime::protocol::Flags;
    use pyro_runtime::serializer::DecodeLimit;
    use pyro_runtime::value::{Dict, Value};
    use pyro_runtime::{RemoteError, Serializer};

    let daemon =
        Daemon::builder().config(config()).host("127.0.0.1").decode_limit(DecodeLimit::new(1 << 20)).bind().unwrap();
    let running = start_daemon(daemon);
    for ser in [Serializer::Msgpack, Serializer::Marshal, Serializer::Json, Serializer::Serpent] {
        let mut bystander = Client::ready(running.addr(), ser);
        let mut client = Client::ready(running.addr(), ser);
        // 100,000 Nones: 3.2 MB of values, past the 1 MiB limit.
        let message =
            client.invoke_message(ser, "thing", "echo", vec![Value::List(vec![Value::None; 100_000])], Dict::new());
        client.send(&message);
        let reply = client.receive().unwrap();
        assert!(reply.flags.contains(Flags::EXCEPTION), "{ser}");
        let error = RemoteError::from_value(&ser.from_bytes(&reply.data).unwrap()).unwrap();
        assert_eq!(error.class, "Pyro5.errors.SerializeError", "{ser}");
        assert!(error.to_string().contains("more than 1048576 bytes of values"), "{ser}: {error}");
        assert!(client.is_closed(), "{ser}");
        // Others are served, and 10,000 Nones fit.
        assert_eq!(bystander.call(ser, "thing", "add", vec![1.into(), 2.into()]), Ok(Value::Int(3)), "{ser}");
        let fits = Value::List(vec![Value::None; 10_000]);
        assert_eq!(bystander.call(ser, "thing", "echo", vec![fits.clone()]), Ok(fits), "{ser}");
    }
    running.stop();
}

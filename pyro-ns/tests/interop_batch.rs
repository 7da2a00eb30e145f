//! Python Pyro5 5.17's `BatchProxy` against our name server, over every serializer: several
//! calls in one message with their results in order, a failing lookup ending the batch with
//! Pyro5's `NamingError`, and a oneway batch whose registrations show up afterwards; plus our
//! own dynamic batch against it.
#![allow(clippy::unwrap_used)]

use pyro::value::{Dict, Value};
use pyro_ns::NameServerBuilder;
use serde_json::json;

const SCRIPT: &str = r#"
import json, sys, time
import Pyro5.api, Pyro5.errors

host, port, serializer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
Pyro5.config.SERIALIZER = serializer
ns = Pyro5.api.locate_ns(host, port)
out = {}

batch = Pyro5.api.BatchProxy(ns)
batch.register("batch.one", "PYRO:one@localhost:1111")
batch.register("batch.two", "PYRO:two@localhost:2222", metadata={"tagged"})
batch.lookup("batch.one")
batch.count()
out["results"] = [str(r) if isinstance(r, Pyro5.api.URI) else r for r in batch()]

batch = Pyro5.api.BatchProxy(ns)
batch.lookup("batch.two")
batch.lookup("batch.nobody")
batch.remove("batch.one")
got = []
try:
    for r in batch():
        got.append(str(r))
except Pyro5.errors.NamingError as x:
    out["error"] = str(x)
out["partial"] = got
out["still_there"] = str(ns.lookup("batch.one"))

batch = Pyro5.api.BatchProxy(ns)
batch.register("batch.three", "PYRO:three@localhost:3333")
batch.remove("batch.one")
out["oneway"] = batch(oneway=True)
for _ in range(200):
    names = ns.list(prefix="batch.")
    if "batch.three" in names and "batch.one" not in names:
        break
    time.sleep(0.02)
out["names"] = sorted(ns.list(prefix="batch."))
print(json.dumps(out))
"#;

#[test]
fn python_batch_proxy_calls_our_name_server() {
    for serializer in ["serpent", "marshal", "json", "msgpack"] {
        let ns = NameServerBuilder::new().host("127.0.0.1").port(0).start().unwrap();
        let port = ns.uri().port().unwrap().to_string();
        let output =
            pyro_interop::python().command().args(["-c", SCRIPT, "127.0.0.1", &port, serializer]).output().unwrap();
        let (count_after, registered) = if serializer == "marshal" {
            // Pyro5's own limitation, on the client: its marshal dumpsCall needs a kwargs dict,
            // and a BatchProxy sends None; nothing reaches the name server.
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!output.status.success(), "Pyro5's BatchProxy worked over marshal");
            assert!(stderr.contains("AttributeError: 'NoneType' object has no attribute 'items'"), "{stderr}");
            (1, "Pyro.NameServer")
        } else {
            assert!(output.status.success(), "{serializer}: {}", String::from_utf8_lossy(&output.stderr));
            let out: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(out["results"], json!([null, null, "PYRO:one@localhost:1111", 3]), "{serializer}: {out}");
            assert_eq!(out["partial"], json!(["PYRO:two@localhost:2222"]), "{serializer}");
            assert_eq!(out["error"], "unknown name: batch.nobody", "{serializer}");
            assert_eq!(out["still_there"], "PYRO:one@localhost:1111", "{serializer}: the remove did not run");
            assert_eq!(out["oneway"], serde_json::Value::Null);
            assert_eq!(out["names"], json!(["batch.three", "batch.two"]), "{serializer}");
            (3, "batch.two")
        };

        // Our dynamic batch against the same name server, over the same serializer.
        let ser = pyro::Serializer::from_name(serializer).unwrap();
        let proxy = pyro::proxy::Proxy::from_uri_str(&ns.uri().to_string()).unwrap().with_serializer(ser);
        let mut batch = proxy.batch();
        let count = batch.call("count", vec![], Dict::new());
        let lookup = batch.call("lookup", vec![Value::from(registered)], Dict::new());
        batch.run().unwrap();
        assert_eq!(count.get().unwrap(), Value::Int(count_after), "{serializer}");
        assert!(pyro::Uri::from_value(&lookup.get().unwrap()).is_ok(), "{serializer}: a URI comes back");
        ns.shutdown().unwrap();
    }
}

//! Real Python Pyro5 5.17 clients against our name server, over every serializer: finding it
//! with `locate_ns` (directly and by broadcast), every name server method with its results and
//! exceptions, `PYRONAME:`/`PYROMETA:` proxies resolving to a Python object registered in our
//! name server, and `pyro5-nsc`.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use pyro_ns::broadcast::BroadcastResponder;
use pyro_ns::{NameServerBuilder, RunningNameServer};
use serde_json::{Value as Json, json};

const SCRIPT: &str = r#"
import contextlib, io, json, sys, threading
import Pyro5.api, Pyro5.core, Pyro5.errors, Pyro5.nsc

host, port, bcport, serializer = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if serializer:
    Pyro5.config.SERIALIZER = serializer
Pyro5.config.COMMTIMEOUT = 10

def plain(v):
    if isinstance(v, Pyro5.core.URI):
        return {"uri": str(v)}
    if isinstance(v, (set, frozenset)):
        return sorted(plain(x) for x in v)
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v

def out(case, value):
    print(json.dumps({"case": case, "value": plain(value)}), flush=True)

def attempt(case, f):
    try:
        out(case, {"ok": f()})
    except Exception as e:
        out(case, {"class": type(e).__module__ + "." + type(e).__name__, "message": str(e)})

# A Python object for PYRONAME/PYROMETA resolution.
@Pyro5.api.expose
class Greeter:
    def hello(self, name):
        return "hello " + name

daemon = Pyro5.api.Daemon(host="127.0.0.1", port=0)
greeter_uri = daemon.register(Greeter(), "py.greeter")
threading.Thread(target=daemon.requestLoop, daemon=True).start()

ns = Pyro5.api.locate_ns(host, port)
out("serializer", Pyro5.config.SERIALIZER)
out("locate_direct", str(ns._pyroUri))
out("ping", ns.ping())
ns._pyroBind()
out("methods", sorted(ns._pyroMethods))
out("count_start", ns.count())

# register: URI object, text, metadata as set/list/tuple, safe
out("register_obj", ns.register("py.greeter", greeter_uri, metadata={"greeting", "python"}))
out("register_text", ns.register("example.text", "PYRO:text@localhost:4444"))
out("register_list", ns.register("example.list", "PYRO:list@localhost:4444", metadata=["b", "a"]))
out("register_tuple", ns.register(name="example.tuple", uri="PYRO:tuple@localhost:4444", safe=True, metadata=("t",)))
attempt("register_safe_twice", lambda: ns.register("example.tuple", "PYRO:x@localhost:1", safe=True))
attempt("register_bad_uri", lambda: ns.register("bad", "foo"))
attempt("register_bad_type", lambda: ns.register("bad", 42))
attempt("register_name_int", lambda: ns.register(5, "PYRO:x@localhost:1"))
attempt("register_meta_str", lambda: ns.register("bad", "PYRO:x@localhost:1", metadata="abc"))
out("count", ns.count())

# lookup
out("lookup", ns.lookup("example.text"))
out("lookup_type", type(ns.lookup("example.text")).__name__)
out("lookup_meta", ns.lookup("example.list", return_metadata=True))
def types(v):
    return [type(v).__name__] + [type(x).__name__ for x in v]
out("lookup_meta_types", types(ns.lookup("example.list", return_metadata=True)))
out("list_meta_types", types(ns.list(prefix="example.list", return_metadata=True)["example.list"]))
out("lookup_ns", ns.lookup("Pyro.NameServer", True))
attempt("lookup_unknown", lambda: ns.lookup("nobody"))

# list
out("list", ns.list())
out("list_prefix", ns.list(prefix="example."))
out("list_regex", ns.list(regex=r"example\.t"))
out("list_meta", ns.list(return_metadata=True))
out("list_prefix_meta", ns.list("example.", None, True))
attempt("list_both", lambda: ns.list(prefix="a", regex="b"))
attempt("list_bad_regex", lambda: ns.list(regex="(unclosed"))

# yplookup
out("yp_all", ns.yplookup(meta_all=["a", "b"]))
out("yp_any", ns.yplookup(meta_any={"t", "python"}, return_metadata=False))
out("yp_none", ns.yplookup())
attempt("yp_both", lambda: ns.yplookup(["a"], ["b"]))
attempt("yp_str", lambda: ns.yplookup(meta_all="abc"))

# set_metadata
out("setmeta", ns.set_metadata("example.text", ["new"]))
out("setmeta_after", ns.lookup("example.text", return_metadata=True))
out("setmeta_clear", ns.set_metadata("example.text", None))
out("setmeta_cleared", ns.lookup("example.text", return_metadata=True))
attempt("setmeta_unknown", lambda: ns.set_metadata("nobody", ["x"]))
attempt("setmeta_str", lambda: ns.set_metadata("example.text", "x"))

# name resolution to the Python object
with Pyro5.api.Proxy("PYRONAME:py.greeter@%s:%d" % (host, port)) as p:
    out("pyroname", p.hello("name"))
with Pyro5.api.Proxy("PYROMETA:greeting,python@%s:%d" % (host, port)) as p:
    out("pyrometa", p.hello("meta"))
out("resolve", str(Pyro5.api.resolve("PYRONAME:py.greeter@%s:%d" % (host, port))))
attempt("pyrometa_none", lambda: Pyro5.api.Proxy("PYROMETA:no.such.tag@%s:%d" % (host, port)).hello("x"))

# discovery by broadcast (to the responder's UDP port on 127.0.0.1)
Pyro5.config.BROADCAST_ADDRS = ["127.0.0.1"]
Pyro5.config.NS_HOST = "invalid.invalid"  # so only the broadcast can find it
bns = Pyro5.api.locate_ns(port=bcport)
out("locate_broadcast", str(bns._pyroUri))
out("broadcast_count", bns.count())

# the pyro5-nsc tool
def nsc(*args):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        Pyro5.nsc.main(["-n", host, "-p", str(port)] + list(args))
    return buf.getvalue()
out("nsc_ping", nsc("ping"))
out("nsc_list", nsc("list", "example."))
out("nsc_lookup", nsc("lookup", "example.list"))

# remove
out("remove_name", ns.remove("example.text"))
out("remove_again", ns.remove(name="example.text"))
out("remove_ns", ns.remove("Pyro.NameServer"))
out("remove_prefix", ns.remove(prefix="example."))
out("remove_regex", ns.remove(regex="py\\."))
out("remove_all_regex", ns.remove(regex=".*"))
attempt("remove_bad_regex", lambda: ns.remove(regex="["))
out("count_end", ns.count())
out("done", True)
"#;

fn start_ns() -> (RunningNameServer, pyro_ns::broadcast::RunningResponder) {
    let ns = NameServerBuilder::new().host("127.0.0.1").port(0).start().unwrap();
    let responder = BroadcastResponder::bind(ns.internal_uri().clone(), Some("127.0.0.1"), 0).unwrap();
    (ns, responder.spawn().unwrap())
}

/// Runs the script in `python` over `serializer` (empty: Pyro5's default).
fn run(python: &pyro_interop::Python, serializer: &str) -> HashMap<String, Json> {
    let (ns, responder) = start_ns();
    let port = ns.uri().port().unwrap().to_string();
    let bcport = responder.local_addr().port().to_string();
    let output = python.command().args(["-c", SCRIPT, "127.0.0.1", &port, &bcport, serializer]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let results: HashMap<String, Json> = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Json>(line).ok())
        .map(|line| (line["case"].as_str().unwrap().to_owned(), line["value"].clone()))
        .collect();
    assert!(
        results.contains_key("done"),
        "the Python client failed ({serializer}):\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    responder.stop();
    ns.shutdown().unwrap();
    results
}

fn error(class: &str, message: &str) -> Json {
    json!({"class": class, "message": message})
}

fn check(serializer: &str) {
    check_in(pyro_interop::python(), serializer);
}

fn check_in(python: &pyro_interop::Python, serializer: &str) {
    let r = run(python, serializer);
    let get = |case: &str| r.get(case).cloned().unwrap_or_else(|| panic!("{serializer}: no result for {case}"));
    let expected = if serializer.is_empty() { "serpent" } else { serializer };
    assert_eq!(get("serializer"), expected);
    let ns_uri = get("locate_direct");
    assert!(ns_uri.as_str().unwrap().starts_with("PYRO:Pyro.NameServer@127.0.0.1:"), "{ns_uri}");
    assert_eq!(get("ping"), Json::Null);
    assert_eq!(
        get("methods"),
        json!(["count", "list", "lookup", "ping", "register", "remove", "set_metadata", "yplookup"])
    );
    assert_eq!(get("count_start"), json!(1));

    for case in ["register_obj", "register_text", "register_list", "register_tuple"] {
        assert_eq!(get(case), Json::Null, "{serializer} {case}");
    }
    assert_eq!(get("register_safe_twice"), error("Pyro5.errors.NamingError", "name already registered: example.tuple"));
    assert_eq!(get("register_bad_uri")["class"], "Pyro5.errors.PyroError");
    assert!(get("register_bad_uri")["message"].as_str().unwrap().starts_with("invalid uri"));
    assert_eq!(get("register_bad_type"), error("builtins.TypeError", "only URIs or strings can be registered"));
    assert_eq!(get("register_name_int"), error("builtins.TypeError", "name must be a str"));
    assert_eq!(
        get("register_meta_str"),
        error("builtins.TypeError", "metadata should not be a str, but another iterable (set, list, etc)")
    );
    assert_eq!(get("count"), json!(5));

    assert_eq!(get("lookup"), json!({"uri": "PYRO:text@localhost:4444"}));
    assert_eq!(get("lookup_type"), json!("URI"));
    assert_eq!(get("lookup_meta"), json!([{"uri": "PYRO:list@localhost:4444"}, ["a", "b"]]));
    // Pyro5's shapes: a tuple with a set, over the serializers that have them.
    let (pair, set) = match serializer {
        "serpent" | "marshal" | "" => ("tuple", "set"),
        _ => ("list", "list"),
    };
    assert_eq!(get("lookup_meta_types"), json!([pair, "URI", set]), "{serializer}");
    assert_eq!(get("list_meta_types"), json!([pair, "str", set]), "{serializer}");
    assert_eq!(get("lookup_ns"), json!([ns_uri_obj(&ns_uri), ["class:Pyro5.nameserver.NameServer"]]));
    assert_eq!(get("lookup_unknown"), error("Pyro5.errors.NamingError", "unknown name: nobody"));

    let greeter = get("list")["py.greeter"].as_str().unwrap().to_owned();
    assert!(greeter.starts_with("PYRO:py.greeter@127.0.0.1:"), "{greeter}");
    assert_eq!(
        get("list"),
        json!({
            "Pyro.NameServer": ns_uri,
            "example.list": "PYRO:list@localhost:4444",
            "example.text": "PYRO:text@localhost:4444",
            "example.tuple": "PYRO:tuple@localhost:4444",
            "py.greeter": greeter,
        })
    );
    assert_eq!(
        get("list_prefix"),
        json!({"example.list": "PYRO:list@localhost:4444", "example.text": "PYRO:text@localhost:4444", "example.tuple": "PYRO:tuple@localhost:4444"})
    );
    assert_eq!(
        get("list_regex"),
        json!({"example.text": "PYRO:text@localhost:4444", "example.tuple": "PYRO:tuple@localhost:4444"})
    );
    // Pyro5's own name server fails here over json/msgpack (frozenset); ours sends lists.
    assert_eq!(
        get("list_meta"),
        json!({
            "Pyro.NameServer": [ns_uri, ["class:Pyro5.nameserver.NameServer"]],
            "example.list": ["PYRO:list@localhost:4444", ["a", "b"]],
            "example.text": ["PYRO:text@localhost:4444", []],
            "example.tuple": ["PYRO:tuple@localhost:4444", ["t"]],
            "py.greeter": [greeter, ["greeting", "python"]],
        })
    );
    assert_eq!(get("list_prefix_meta")["example.text"], json!(["PYRO:text@localhost:4444", []]));
    assert_eq!(get("list_both"), error("builtins.ValueError", "you can only filter on one thing at a time"));
    assert_eq!(get("list_bad_regex")["class"], "Pyro5.errors.NamingError");
    assert!(get("list_bad_regex")["message"].as_str().unwrap().starts_with("invalid regex: "));

    assert_eq!(get("yp_all"), json!({"example.list": ["PYRO:list@localhost:4444", ["a", "b"]]}));
    assert_eq!(get("yp_any"), json!({"example.tuple": "PYRO:tuple@localhost:4444", "py.greeter": greeter}));
    assert_eq!(get("yp_none"), json!({}));
    assert_eq!(get("yp_both"), error("builtins.ValueError", "you can't use meta_all or meta_any at the same time"));
    assert_eq!(
        get("yp_str"),
        error("builtins.TypeError", "metadata_all should not be a str, but another iterable (set, list, etc)")
    );

    assert_eq!(get("setmeta"), Json::Null);
    assert_eq!(get("setmeta_after"), json!([{"uri": "PYRO:text@localhost:4444"}, ["new"]]));
    assert_eq!(get("setmeta_cleared"), json!([{"uri": "PYRO:text@localhost:4444"}, []]));
    assert_eq!(get("setmeta_unknown"), error("Pyro5.errors.NamingError", "unknown name: nobody"));
    assert_eq!(
        get("setmeta_str"),
        error("builtins.TypeError", "metadata should not be a str, but another iterable (set, list, etc)")
    );

    assert_eq!(get("pyroname"), json!("hello name"));
    assert_eq!(get("pyrometa"), json!("hello meta"));
    assert_eq!(get("resolve"), json!(greeter));
    assert_eq!(get("pyrometa_none")["class"], "Pyro5.errors.NamingError");

    assert_eq!(get("locate_broadcast"), ns_uri);
    assert_eq!(get("broadcast_count"), json!(5));

    assert!(get("nsc_ping").as_str().unwrap().contains("Name server ping ok."), "{}", get("nsc_ping"));
    let listing = get("nsc_list");
    let listing = listing.as_str().unwrap();
    assert!(listing.contains("example.list --> PYRO:list@localhost:4444"), "{listing}");
    assert!(
        listing.contains("metadata: ['a', 'b']")
            || listing.contains("metadata: {'a', 'b'}")
            || listing.contains("metadata: {'b', 'a'}"),
        "{listing}"
    );
    assert!(get("nsc_lookup").as_str().unwrap().contains("PYRO:list@localhost:4444"));

    assert_eq!(get("remove_name"), json!(1));
    assert_eq!(get("remove_again"), json!(0));
    assert_eq!(get("remove_ns"), json!(0));
    assert_eq!(get("remove_prefix"), json!(2));
    assert_eq!(get("remove_regex"), json!(1));
    assert_eq!(get("remove_all_regex"), json!(0));
    assert_eq!(get("remove_bad_regex")["class"], "Pyro5.errors.NamingError");
    assert_eq!(get("count_end"), json!(1));
}

/// The `{"uri": ...}` form the script gives a URI object.
fn ns_uri_obj(uri: &Json) -> Json {
    json!({ "uri": uri })
}

#[test]
fn python_client_over_msgpack() {
    check("msgpack");
}

#[test]
fn python_client_over_json() {
    check("json");
}

#[test]
fn python_client_over_serpent() {
    check("serpent");
}

#[test]
fn python_client_over_marshal() {
    check("marshal");
}

/// A stock Pyro5 without msgpack with its default configuration (serpent): `locate_ns` directly
/// and by broadcast, every method, name resolution and `Pyro5.nsc`.
#[test]
fn plain_python_client_with_default_config() {
    check_in(pyro_interop::python_plain(), "");
}

/// Python's `locate_ns()` with Pyro5's default BROADCAST_ADDRS (`<broadcast>`, `0.0.0.0`)
/// finds a name server listening on every interface through the builder's responder, which
/// replaces `0.0.0.0` in the uri by the address facing the client.
#[test]
fn python_locates_by_default_broadcast() {
    let ns = NameServerBuilder::new().host("0.0.0.0").port(0).broadcast_port(0).start().unwrap();
    let bcport = ns.broadcast_address().expect("the responder runs for 0.0.0.0").port();
    let script = r#"
import sys, Pyro5.api
Pyro5.config.SERIALIZER = "msgpack"
Pyro5.config.NS_HOST = "invalid.invalid"
ns = Pyro5.api.locate_ns(port=int(sys.argv[1]))
print(ns._pyroUri.host, ns._pyroUri.port, ns.count())
"#;
    let output = pyro_interop::python().command().args(["-c", script, &bcport.to_string()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(fields.len(), 3, "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    assert_ne!(fields[0], "0.0.0.0");
    assert!(fields[0].parse::<std::net::Ipv4Addr>().is_ok(), "{stdout}");
    assert_eq!(fields[1], ns.uri().port().unwrap().to_string());
    assert_eq!(fields[2], "1");
    ns.shutdown().unwrap();
}

//! Special methods (`#[pyro::rename("__len__")]` and friends) against real Python Pyro5 5.17,
//! over every serializer: a Python client's `len(proxy)`, `proxy[i]`, `proxy[i] = v`,
//! `del proxy[i]`, `x in proxy`, `for x in proxy` and `proxy.__contains__(x)` on a Rust
//! object answer as on the same Python object; the metadata lists the dunders as Pyro5 does;
//! the typed proxy calls them by their Rust names.

use pyro::{Daemon, RemoteError, Value};
use serde_json::{Value as Json, json};

/// A list of words.
pub struct Words {
    words: Vec<String>,
}

fn index_error() -> RemoteError {
    RemoteError::new("builtins.IndexError", vec![Value::from("list index out of range")])
}

#[pyro::expose]
#[allow(clippy::len_without_is_empty)]
impl Words {
    /// `len(proxy)`.
    #[pyro::rename("__len__")]
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// `proxy[i]`.
    #[pyro::rename("__getitem__")]
    pub fn get_item(&self, index: usize) -> Result<String, RemoteError> {
        self.words.get(index).cloned().ok_or_else(index_error)
    }

    /// `proxy[i] = word`.
    #[pyro::rename("__setitem__")]
    pub fn set_item(&mut self, index: usize, word: String) -> Result<(), RemoteError> {
        *self.words.get_mut(index).ok_or_else(index_error)? = word;
        Ok(())
    }

    /// `del proxy[i]`.
    #[pyro::rename("__delitem__")]
    pub fn del_item(&mut self, index: usize) -> Result<(), RemoteError> {
        if index >= self.words.len() {
            return Err(index_error());
        }
        self.words.remove(index);
        Ok(())
    }

    /// `proxy.__contains__(word)`.
    #[pyro::rename("__contains__")]
    pub fn contains(&self, word: String) -> bool {
        self.words.contains(&word)
    }

    /// `for word in proxy`: streamed.
    #[pyro::rename("__iter__")]
    pub fn iter(&self) -> Box<dyn Iterator<Item = String> + Send> {
        Box::new(self.words.clone().into_iter())
    }

    /// A special name of its own, as Pyro5's `attributes` example has.
    pub fn __dunder__(&self) -> String {
        "yep".to_owned()
    }

    /// An ordinary method.
    pub fn join(&self) -> String {
        self.words.join(" ")
    }
}

const PYTHON_SERVER: &str = r#"
import sys, threading
from Pyro5.api import Daemon, expose

@expose
class Words:
    def __init__(self):
        self.words = ["alpha", "beta", "gamma"]
    def __len__(self):
        return len(self.words)
    def __getitem__(self, index):
        return self.words[index]
    def __setitem__(self, index, word):
        self.words[index] = word
    def __delitem__(self, index):
        del self.words[index]
    def __contains__(self, word):
        return word in self.words
    def __iter__(self):
        return iter(list(self.words))
    def __dunder__(self):
        return "yep"
    def join(self):
        return " ".join(self.words)

daemon = Daemon(host="127.0.0.1", port=0)
print(daemon.register(Words(), "words"), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

const PYTHON_CLIENT: &str = r#"
import json, sys
import Pyro5.api
Pyro5.config.SERIALIZER = sys.argv[2]
words = Pyro5.api.Proxy(sys.argv[1])
out = []
def record(what, action):
    try:
        out.append([what, "ok", action()])
    except Exception as x:
        out.append([what, type(x).__module__ + "." + type(x).__name__, str(x)])
def assign(i, w):
    words[i] = w
    return "assigned"
def delete(i):
    del words[i]
    return "deleted"
words._pyroBind()
record("methods", lambda: sorted(words._pyroMethods))
record("len", lambda: len(words))
record("getitem 1", lambda: words[1])
record("getitem 9", lambda: words[9])
record("setitem", lambda: assign(1, "BETA"))
record("list", lambda: list(words))
record("in", lambda: "BETA" in words)
record("not in", lambda: "delta" in words)
record("__contains__", lambda: words.__contains__("gamma"))
record("delitem", lambda: delete(0))
record("delitem 9", lambda: delete(9))
record("for", lambda: [w.upper() for w in words])
record("__dunder__", lambda: words.__dunder__())
record("join", lambda: words.join())
record("len", lambda: len(words))
print(json.dumps(out))
"#;

fn run_client(uri: &str, serializer: &str) -> Json {
    let out =
        pyro_interop::python().command().args(["-c", PYTHON_CLIENT, uri, serializer]).output().expect("python runs");
    assert!(out.status.success(), "Python client failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the client prints JSON")
}

fn new_words() -> Words {
    Words { words: vec!["alpha".into(), "beta".into(), "gamma".into()] }
}

#[test]
fn python_special_methods_work_on_a_rust_object() {
    let daemon = Daemon::bind("127.0.0.1", 0).expect("bind");
    let shutdown = daemon.shutdown_handle();
    let serializers = ["serpent", "marshal", "json", "msgpack"];
    let uris: Vec<String> = serializers
        .iter()
        .map(|name| daemon.register(new_words(), Some(&format!("words.{name}"))).expect("register").to_string())
        .collect();
    let server = std::thread::spawn(move || daemon.request_loop());
    let expected = json!([
        [
            "methods",
            "ok",
            ["__contains__", "__delitem__", "__dunder__", "__getitem__", "__iter__", "__len__", "__setitem__", "join"]
        ],
        ["len", "ok", 3],
        ["getitem 1", "ok", "beta"],
        ["getitem 9", "builtins.IndexError", "list index out of range"],
        ["setitem", "ok", "assigned"],
        ["list", "ok", ["alpha", "BETA", "gamma"]],
        ["in", "ok", true],
        ["not in", "ok", false],
        ["__contains__", "ok", true],
        ["delitem", "ok", "deleted"],
        ["delitem 9", "builtins.IndexError", "list assignment index out of range"],
        ["for", "ok", ["BETA", "GAMMA"]],
        ["__dunder__", "ok", "yep"],
        ["join", "ok", "BETA gamma"],
        ["len", "ok", 2],
    ]);
    for (serializer, uri) in serializers.iter().zip(&uris) {
        let python = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
        let from_python = run_client(python.uri(), serializer);
        let from_rust = run_client(uri, serializer);
        // Python's own message for a bad `del` differs from its bad read; the Rust object says
        // "list index out of range" for both.
        let mut python_expected = expected.clone();
        assert_eq!(from_python, python_expected, "{serializer}: the Python object");
        python_expected[10][2] = json!("list index out of range");
        assert_eq!(from_rust, python_expected, "{serializer}: the Rust object");
    }
    shutdown.shutdown();
    server.join().expect("daemon thread").expect("clean shutdown");
}

#[test]
fn the_typed_proxy_calls_dunders_by_their_rust_names() {
    let python = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
    let words = WordsProxy::new(python.uri()).expect("valid uri");
    assert_eq!(words.len().expect("len"), 3);
    assert_eq!(words.get_item(2).expect("getitem"), "gamma");
    words.set_item(0, "ALPHA".into()).expect("setitem");
    assert!(words.contains("ALPHA".into()).expect("contains"));
    assert_eq!(
        words.iter().expect("iter").collect::<pyro::Result<Vec<_>>>().expect("items"),
        ["ALPHA", "beta", "gamma"]
    );
    words.del_item(1).expect("delitem");
    assert_eq!(words.__dunder__().expect("dunder"), "yep");
    assert_eq!(words.join().expect("join"), "ALPHA gamma");
    match words.get_item(5) {
        Err(pyro::Error::Remote(remote)) => assert_eq!(remote.class, "builtins.IndexError"),
        other => panic!("expected an IndexError, got {other:?}"),
    }
}

//! Typed errors (`#[derive(pyro::RemoteError)]`) across the wire, over every serializer:
//!
//! - Rust server to Rust client: the same enum variant, fields and all;
//! - Rust server to a Python Pyro5 client: the mapped exception class, its message, its args
//!   and (struct variants) its attributes;
//! - Python Pyro5 server to the Rust client: `ValueError("x")`, `KeyError`, an exception with
//!   attributes, each arriving as the mapped variant; transport errors stay apart.

use pyro::{CallError, Daemon, Error, Serializer};
use serde_json::{Value as Json, json};

const SERIALIZERS: [(Serializer, &str); 4] = [
    (Serializer::Serpent, "serpent"),
    (Serializer::Marshal, "marshal"),
    (Serializer::Json, "json"),
    (Serializer::Msgpack, "msgpack"),
];

/// What the bank raises.
#[derive(Debug, PartialEq, pyro::RemoteError)]
#[pyro(class = "builtins.ValueError")]
pub enum BankError {
    /// Not enough money: `ValueError("insufficient funds")` with `balance` and `wanted`.
    Insufficient {
        /// What the account holds.
        balance: i64,
        /// What was asked for.
        wanted: i64,
    },
    /// Any other `ValueError`, with its message.
    Invalid(String),
    /// `KeyError(name)`.
    #[pyro(class = "builtins.KeyError")]
    UnknownAccount(String),
    /// `PermissionError("account frozen")`.
    #[pyro(class = "builtins.PermissionError")]
    Frozen,
}

impl std::fmt::Display for BankError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BankError::Insufficient { .. } => f.write_str("insufficient funds"),
            BankError::Invalid(message) => f.write_str(message),
            BankError::UnknownAccount(name) => write!(f, "unknown account {name}"),
            BankError::Frozen => f.write_str("account frozen"),
        }
    }
}

/// The bank's interface, served by Rust and by Python alike.
#[pyro::expose]
pub trait Bank {
    /// Takes `amount` from `account`, returns what is left.
    fn withdraw(&self, account: String, amount: i64) -> Result<i64, BankError>;
    /// Always fails with `ValueError(message)`.
    fn reject(&self, message: String) -> Result<(), BankError>;
}

struct RustBank;

impl Bank for RustBank {
    fn withdraw(&self, account: String, amount: i64) -> Result<i64, BankError> {
        match account.as_str() {
            "frozen" => Err(BankError::Frozen),
            "alice" if amount > 5 => Err(BankError::Insufficient { balance: 5, wanted: amount }),
            "alice" => Ok(5 - amount),
            _ => Err(BankError::UnknownAccount(account)),
        }
    }
    fn reject(&self, message: String) -> Result<(), BankError> {
        Err(BankError::Invalid(message))
    }
}

const PYTHON_SERVER: &str = r#"
import sys, threading
from Pyro5.api import Daemon, expose

@expose
class Bank:
    def withdraw(self, account, amount):
        if account == "frozen":
            raise PermissionError("account frozen")
        if account != "alice":
            raise KeyError(account)
        if amount > 5:
            e = ValueError("insufficient funds")
            e.balance = 5
            e.wanted = amount
            raise e
        return 5 - amount

    def reject(self, message):
        raise ValueError(message)

daemon = Daemon(host="127.0.0.1", port=0)
print(daemon.register(Bank(), "bank"), flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), daemon.shutdown()), daemon=True).start()
daemon.requestLoop()
"#;

/// Makes each call and prints what it raised: class, str, args and the two attributes.
const PYTHON_CLIENT: &str = r#"
import json, sys
import Pyro5.api
Pyro5.config.SERIALIZER = sys.argv[2]
bank = Pyro5.api.Proxy(sys.argv[1])
out = []
def record(what, action):
    try:
        out.append([what, "ok", action()])
    except Exception as x:
        out.append([what, type(x).__module__ + "." + type(x).__name__, str(x), list(x.args),
                    getattr(x, "balance", None), getattr(x, "wanted", None), isinstance(x, Exception)])
record("alice 2", lambda: bank.withdraw("alice", 2))
record("alice 10", lambda: bank.withdraw("alice", 10))
record("bob", lambda: bank.withdraw("bob", 1))
record("frozen", lambda: bank.withdraw("frozen", 1))
record("reject", lambda: bank.reject("x"))
print(json.dumps(out))
"#;

fn serve_rust() -> (String, pyro::ShutdownHandle, std::thread::JoinHandle<pyro::Result<()>>) {
    let daemon = Daemon::bind("127.0.0.1", 0).expect("bind");
    let uri = daemon.register_as::<dyn Bank, _>(RustBank, Some("bank")).expect("register").to_string();
    let shutdown = daemon.shutdown_handle();
    (uri, shutdown, std::thread::spawn(move || daemon.request_loop()))
}

/// The Rust client's view of one bank: every call's typed outcome.
fn check_rust_client(uri: &str, serializer: Serializer, side: &str) {
    let proxy = pyro::proxy::Proxy::from_uri_str(uri).expect("valid uri").with_serializer(serializer);
    let bank = BankProxy::from_proxy(proxy);
    let typed = |result: pyro::Result<i64>| result.map_err(CallError::<BankError>::from);
    assert_eq!(typed(bank.withdraw("alice".into(), 2)).expect("enough money"), 3);
    match typed(bank.withdraw("alice".into(), 10)) {
        Err(CallError::Raised(e)) => assert_eq!(e, BankError::Insufficient { balance: 5, wanted: 10 }, "{side}"),
        other => panic!("{side} {serializer:?}: {other:?}"),
    }
    match bank.withdraw("bob".into(), 1).map_err(Error::raised::<BankError>) {
        Err(Ok(e)) => assert_eq!(e, BankError::UnknownAccount("bob".into()), "{side}"),
        other => panic!("{side} {serializer:?}: {other:?}"),
    }
    let frozen = bank.withdraw("frozen".into(), 1).expect_err("frozen");
    assert_eq!(frozen.raised::<BankError>().expect("typed"), BankError::Frozen, "{side} {serializer:?}");
    let rejected = bank.reject("x".into()).expect_err("rejected");
    assert_eq!(rejected.raised::<BankError>().expect("typed"), BankError::Invalid("x".into()), "{side}");
}

#[test]
fn a_rust_client_gets_the_variant_a_rust_server_raised() {
    let (uri, shutdown, server) = serve_rust();
    for (serializer, _) in SERIALIZERS {
        check_rust_client(&uri, serializer, "rust server");
    }
    shutdown.shutdown();
    server.join().expect("daemon thread").expect("clean shutdown");
}

#[test]
fn a_rust_client_gets_python_exceptions_as_variants() {
    let server = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
    for (serializer, _) in SERIALIZERS {
        check_rust_client(server.uri(), serializer, "python server");
    }
    // A transport error is not a raised one.
    let gone = BankProxy::new("PYRO:bank@127.0.0.1:1").expect("valid uri");
    let err = gone.withdraw("alice".into(), 1).map_err(CallError::<BankError>::from).expect_err("nothing there");
    assert!(matches!(err, CallError::Pyro(_)), "{err:?}");
}

fn run_python_client(uri: &str, serializer: &str) -> Json {
    let out =
        pyro_interop::python().command().args(["-c", PYTHON_CLIENT, uri, serializer]).output().expect("python runs");
    assert!(out.status.success(), "Python client failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the client prints JSON")
}

#[test]
fn a_python_client_gets_the_mapped_exception_classes() {
    let (rust_uri, shutdown, server) = serve_rust();
    let python = pyro_interop::PythonServer::start(pyro_interop::python(), PYTHON_SERVER);
    for (_, serializer) in SERIALIZERS {
        let from_rust = run_python_client(&rust_uri, serializer);
        let expected = json!([
            ["alice 2", "ok", 3],
            ["alice 10", "builtins.ValueError", "insufficient funds", ["insufficient funds"], 5, 10, true],
            ["bob", "builtins.KeyError", "'bob'", ["bob"], null, null, true],
            ["frozen", "builtins.PermissionError", "account frozen", ["account frozen"], null, null, true],
            ["reject", "builtins.ValueError", "x", ["x"], null, null, true],
        ]);
        assert_eq!(from_rust, expected, "{serializer}");
        // The Python bank raises the very same exceptions.
        assert_eq!(run_python_client(python.uri(), serializer), expected, "{serializer}: Python's own bank");
    }
    shutdown.shutdown();
    server.join().expect("daemon thread").expect("clean shutdown");
}

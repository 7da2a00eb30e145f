//! The client of Pyro5's usersession example: uses the two databases of `usersession_server`
//! (looked up in the name server) with the `USER` annotation on every call, as Python's
//! `client.py` does: first sequentially with two proxies each, then (after "enter to start: "
//! on standard input) from two threads at once, each with its own proxy, printing
//! `[Thread-N] num=...` for every value read back. The session-bound database serves both
//! threads without trouble; the singleton database shares one connection between them, so
//! calls that overlap fail with the database's concurrency error, printed on standard error.
//! Works against `usersession_server` and against Python's `server.py` alike.
//!
//! ```sh
//! cargo run -p pyro5-ns --bin pyro-ns            # a name server (or Python's: pyro5-ns)
//! cargo run --example usersession_server         # or: python server.py (in Pyro5's examples)
//! cargo run --example usersession_client         # or: python client.py; Enter twice
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (the name server is found with
//! `PYRO_NS_HOST`, `PYRO_NS_PORT`, else by broadcast), and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another. Python sets `current_context.annotations`, which is per
//! thread and which its proxies send: here the same goes through `pyro::current_context`. The
//! threads are named as Python names them (`Thread-1` to `Thread-4`). A failed call in a thread
//! prints what Python's `traceback.print_exc()` ends with, the exception line (a Rust program
//! has no Python stack frames to show before it); an error outside the threads ends the
//! program with Pyro5's exception text on standard error and status 1, as Pyro5's
//! `excepthook` does, and so does the end of standard input at a prompt (Python's `EOFError`).

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;
use std::time::Duration;

use pyro::protocol::{AnnotationId, Annotations};
use pyro::proxy::Proxy;
use pyro::{Error, RemoteError, Value, current_context};
use python::{Failure, input};

/// Python's `get_user_token()`.
fn get_user_token() -> &'static str {
    "user123"
}

/// `{"USER": get_user_token().encode("utf-8")}`.
fn user_annotations() -> pyro::Result<Annotations> {
    Ok([(AnnotationId::try_from("USER")?, get_user_token().as_bytes().to_vec())].into_iter().collect())
}

fn main() -> ExitCode {
    python::exit_status(run())
}

/// The last line of Python's `traceback.print_exc()` for `error`.
fn exception_line(error: &Error) -> String {
    let remote: RemoteError = error.to_remote();
    let class = remote.class.strip_prefix("builtins.").unwrap_or(&remote.class);
    match remote.message.is_empty() {
        true => class.to_owned(),
        false => format!("{class}: {}", remote.message),
    }
}

/// Python's `DbAccessor` thread: its own proxy, three rounds of store and retrieve.
fn db_accessor(name: String, uri: &'static str) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name(name.clone()).spawn(move || {
        let proxy = match python::proxy(uri) {
            Ok(proxy) => proxy,
            Err(e) => return eprintln!("{}", exception_line(&e)),
        };
        for i in 0..3 {
            let round = || -> pyro::Result<Value> {
                current_context::set_annotations(user_annotations()?);
                proxy.call::<_, Value>("store", &("number", 100 + i))?;
                proxy.call("retrieve", &("number",))
            };
            match round() {
                Ok(num) => println!("[{name}] num={}", python_str(&num)),
                Err(e) => eprintln!("{}", exception_line(&e)),
            }
        }
    })
}

/// Python's `str()` of a value (its `repr()`, but for strings).
fn python_str(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The sequential part: two proxies, each storing and retrieving once.
fn sequential(uri: &str) -> pyro::Result<()> {
    let (p1, p2): (Proxy, Proxy) = (python::proxy(uri)?, python::proxy(uri)?);
    current_context::set_annotations(user_annotations()?);
    p1.call::<_, Value>("store", &("number", 42))?;
    p1.call::<_, Value>("retrieve", &("number",))?;
    p2.call::<_, Value>("store", &("number", 43))?;
    p2.call::<_, Value>("retrieve", &("number",))?;
    Ok(())
}

/// The concurrent part: two threads with a proxy each, started after Enter.
fn concurrent(uri: &'static str, threads: &mut usize) -> Result<(), Failure> {
    input("enter to start: ").map_err(Failure::Eof)?;
    let mut start = || {
        *threads += 1;
        db_accessor(format!("Thread-{threads}"), uri)
    };
    let (t1, t2) = (start(), start());
    std::thread::sleep(Duration::from_secs(1));
    for thread in [t1, t2] {
        // A thread that could not start is an error as in Python (`RuntimeError: can't start
        // new thread`); one that panicked has printed why.
        let thread = thread.map_err(|e| {
            Failure::Pyro(RemoteError::new("builtins.RuntimeError", vec![Value::from(e.to_string())]).into())
        })?;
        let _ = thread.join();
    }
    Ok(())
}

fn run() -> Result<(), Failure> {
    const SESSION: &str = "PYRONAME:example.usersession.sessiondb";
    const SINGLETON: &str = "PYRONAME:example.usersession.singletondb";
    println!("\n***** Sequential access using multiple proxies on the Session-Bound Database... (no issues)");
    sequential(SESSION)?;
    println!("\n***** Sequential access using multiple proxies on the Singleton Database... (no issues)");
    sequential(SINGLETON)?;
    let mut threads = 0;
    println!("\n***** Multiple concurrent proxies on the Session-Bound Database... (no issues)");
    concurrent(SESSION, &mut threads)?;
    println!("\n***** Multiple concurrent proxies on the Singleton Database... (concurrency errors will occur!)");
    concurrent(SINGLETON, &mut threads)?;
    Ok(())
}

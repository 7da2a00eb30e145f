//! Pyro5's servertypes example against its Rust port, every program unchanged, with our name
//! server (found by `PYRO_NS_HOST`/`PYRO_NS_PORT`, as Pyro5 programs find it), for both server
//! types the server asks for on standard input: `servertypes_server` with Python's `client.py`,
//! and Python's `server.py` with `servertypes_client`. Whoever serves, the client prints the same
//! lines and sees the same behaviour: oneway calls in the background, one server thread for one
//! proxy's calls, and the five threads' calls side by side on different threads from the thread
//! server (a second in all) but in line on the main thread from the multiplexed server (five
//! seconds, one answer a second).
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use examples_support::{
    Process, example, matches, next_lines, python_example, run_with_input, spawn_with_input_lines, spawn_with_lines,
};
use pyro_ns::{NameServerBuilder, RunningNameServer};

fn name_server() -> RunningNameServer {
    NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).start().unwrap()
}

/// Points a program at `ns`, as a Pyro5 user would with the environment.
fn with_ns(mut command: Command, ns: &RunningNameServer) -> Command {
    command.env("PYRO_NS_HOST", "127.0.0.1").env("PYRO_NS_PORT", ns.uri().port().unwrap().to_string());
    command
}

/// The server types, as the server asks for them.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Type {
    Thread,
    Multiplex,
}

impl Type {
    fn answer(self) -> &'static str {
        match self {
            Type::Thread => "t\n",
            Type::Multiplex => "m\n",
        }
    }

    /// Whether `name` is the name of a thread that serves calls in this server type.
    fn is_call_thread(self, name: &str) -> bool {
        match self {
            Type::Thread => matches("Pyro-Worker-#", name),
            Type::Multiplex => name == "MainThread",
        }
    }
}

/// Starts a server with `kind` as its answer and checks the banner of Pyro5's `serve()`.
fn start_server(command: Command, kind: Type) -> (Process, Receiver<String>) {
    let (process, lines) = spawn_with_input_lines(command, kind.answer());
    let banner = next_lines(&lines, 4, Duration::from_secs(30));
    assert_eq!(banner[0], "Servertype threaded or multiplex (t/m)?Object <class '__main__.Server'>:");
    let uri = banner[1].strip_prefix("    uri = PYRO:obj_").unwrap_or_else(|| panic!("{banner:#?}"));
    let (id, location) = uri.split_once('@').unwrap();
    assert!(id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{uri}");
    assert!(matches("localhost:#", location), "{uri}");
    assert_eq!(banner[2..], ["    name = example.servertypes", "Pyro daemon running."]);
    (process, lines)
}

/// Runs a client to its end, each line with the time it arrived.
fn run_client(command: Command) -> Vec<(Instant, String)> {
    let (mut process, lines) = spawn_with_lines(command);
    let mut got = Vec::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(30)) {
        got.push((Instant::now(), line));
    }
    let status = process.0.wait().unwrap();
    let text: Vec<&str> = got.iter().map(|(_, line)| line.as_str()).collect();
    assert!(status.success(), "the client failed: {text:#?}");
    got
}

const INDEPENDENT: [&str; 13] = [
    "--------------------------------------------------------------",
    "    This part is independent of the type of the server.       ",
    "--------------------------------------------------------------",
    "Calling 5 times oneway method. Should return immediately.",
    "Done with the oneway calls.",
    "Number of completed calls in the server: 0",
    "  (this should be 0, because all 5 calls are still busy in the background)",
    "",
    "Calling normal delay 5 times. They will all be processed by the same server thread because we're using the same proxy.",
    // The five delay calls' lines come here.
    "Number of completed calls in the server: 10",
    "  (this should be 10, because by now the 5 oneway calls have completed as well)",
    "",
    "--------------------------------------------------------------",
];

const THREAD_TEXT: [&str; 3] = [
    "Servertype is thread. All calls will run in parallel.",
    "The time this will take is 1 second (every thread takes 1 second in parallel).",
    "You will see that the requests are handled by different server threads.",
];

const MULTIPLEX_TEXT: [&str; 3] = [
    "Servertype is multiplex. The calls will need to get in line.",
    "The time this will take is 5 seconds (every thread takes 1 second sequentially).",
    "You will see that the requests are handled by a single server thread.",
];

/// Checks what a client printed against a server of type `kind`, line by line and in time;
/// returns the server threads it names: the one of the five calls of one proxy, then those of
/// the five threads' calls.
fn check_client(printed: &[(Instant, String)], kind: Type) -> (String, Vec<String>) {
    let lines: Vec<&str> = printed.iter().map(|(_, line)| line.as_str()).collect();
    assert!(lines.len() >= 31, "{lines:#?}");
    assert_eq!(lines[..9], INDEPENDENT[..9], "{lines:#?}");
    assert_eq!(lines[14..18], INDEPENDENT[9..], "{lines:#?}");
    let same_proxy: Vec<&str> =
        lines[9..14].iter().map(|l| l.strip_prefix("  call processed by: ").unwrap_or_else(|| panic!("{l}"))).collect();
    assert!(same_proxy.iter().all(|t| *t == same_proxy[0] && kind.is_call_thread(t)), "{kind:?}: {lines:#?}");
    // One call a second, each answered as it ends.
    for pair in printed[8..14].windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(gap > Duration::from_millis(800) && gap < Duration::from_millis(1800), "{gap:?}: {lines:#?}");
    }
    assert_eq!(lines[18..20], ["    This part depends on the type of the server.              ", INDEPENDENT[0]]);
    assert_eq!(lines[20], "Creating 5 threads that each call the server at the same time.");
    let expected = match kind {
        Type::Thread => THREAD_TEXT,
        Type::Multiplex => MULTIPLEX_TEXT,
    };
    assert_eq!(lines[21..24], expected, "{lines:#?}");
    assert_eq!(lines[24], "Waiting for threads to finish:");
    let done = lines.len() - 1;
    assert_eq!(lines[done], "Done. Number of completed calls in the server: 5", "{lines:#?}");
    // Python's `print` from threads writes the text and the newline apart, so two threads'
    // lines may run together: the report of each thread is read from the text between.
    let reports = lines[25..done].concat();
    let mut callers = BTreeSet::new();
    let mut threads = Vec::new();
    for report in reports.split("[ thread ").skip(1) {
        let rest = report.strip_prefix("Thread-").unwrap_or_else(|| panic!("{reports}"));
        let (caller, rest) =
            rest.split_once(" (func) called delay, processed by: ").unwrap_or_else(|| panic!("{reports}"));
        let thread = rest.strip_suffix(" ]  ").unwrap_or_else(|| panic!("{reports:?}"));
        assert!(kind.is_call_thread(thread), "{kind:?}: {reports}");
        callers.insert(caller.to_owned());
        threads.push(thread.to_owned());
    }
    assert!(reports.starts_with("[ thread "), "{lines:#?}");
    assert_eq!(callers, ["1", "2", "3", "4", "5"].map(String::from).into(), "{lines:#?}");
    assert_eq!(threads.len(), 5, "{lines:#?}");
    let took = printed[done].0 - printed[24].0;
    let distinct: BTreeSet<&String> = threads.iter().collect();
    match kind {
        Type::Thread => {
            assert_eq!(distinct.len(), 5, "different server threads: {lines:#?}");
            assert!(took < Duration::from_secs(3), "in parallel: {took:?}");
        }
        Type::Multiplex => {
            assert_eq!(distinct.len(), 1, "a single server thread: {lines:#?}");
            assert!(took > Duration::from_millis(4500) && took < Duration::from_secs(8), "in line: {took:?}");
            // One answer a second: no two lines together.
            assert_eq!(done, 30, "{lines:#?}");
            for pair in printed[24..30].windows(2) {
                let gap = pair[1].0 - pair[0].0;
                assert!(gap > Duration::from_millis(800), "one answer a second: {gap:?}: {lines:#?}");
            }
        }
    }
    (same_proxy[0].to_owned(), threads)
}

/// The `(method, thread)` of each line `<method> called in thread <thread>` in `text`, lines
/// run together as Python's `print` from several threads may leave them.
fn calls_in(text: &str) -> Vec<(&str, &str)> {
    const MARK: &str = " called in thread ";
    let next_call = |text: &str| ["onewaydelay", "delay"].iter().filter_map(|m| text.find(&format!("{m}{MARK}"))).min();
    let mut calls = Vec::new();
    let mut rest = text;
    while let Some(start) = next_call(rest) {
        assert!(start == 0 || !calls.is_empty(), "{text:?}");
        let (method, after) = rest[start..].split_once(MARK).unwrap();
        let end = next_call(after).unwrap_or(after.len());
        calls.push((method, &after[..end]));
        rest = &after[end..];
    }
    calls
}

/// Checks what a server printed while the client ran: five oneway calls on oneway threads,
/// then the ten delay calls on the threads the client named.
fn check_server(lines: &Receiver<String>, same_proxy: &str, threads: &[String]) {
    let mut text = String::new();
    while calls_in(&text).len() < 15 {
        match lines.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => text.push_str(&line),
            Err(e) => panic!("{e}: {text:?}"),
        }
    }
    let calls = calls_in(&text);
    assert_eq!(calls.len(), 15, "{text:?}");
    let oneway: Vec<_> = calls.iter().filter(|(method, _)| *method == "onewaydelay").collect();
    assert_eq!(oneway, [&("onewaydelay", "oneway-call"); 5], "{text:?}");
    let delays: Vec<&str> = calls.iter().filter(|(method, _)| *method == "delay").map(|(_, thread)| *thread).collect();
    assert_eq!(delays[..5], [same_proxy; 5], "{text:?}");
    let mut called = delays[5..].to_vec();
    let mut answered: Vec<&str> = threads.iter().map(String::as_str).collect();
    called.sort_unstable();
    answered.sort_unstable();
    assert_eq!(called, answered, "{text:?}");
}

fn rust_server_python_client(kind: Type) {
    let ns = name_server();
    let (_server, server_lines) = start_server(with_ns(example("servertypes_server"), &ns), kind);
    let client = with_ns(python_example(pyro_interop::python(), "servertypes", "client.py"), &ns);
    let (same_proxy, threads) = check_client(&run_client(client), kind);
    check_server(&server_lines, &same_proxy, &threads);
}

fn python_server_rust_client(kind: Type) {
    let ns = name_server();
    let server = with_ns(python_example(pyro_interop::python(), "servertypes", "server.py"), &ns);
    let (_server, server_lines) = start_server(server, kind);
    let (same_proxy, threads) = check_client(&run_client(with_ns(example("servertypes_client"), &ns)), kind);
    check_server(&server_lines, &same_proxy, &threads);
}

#[test]
fn rust_thread_server_python_client() {
    rust_server_python_client(Type::Thread);
}

#[test]
fn rust_multiplexed_server_python_client() {
    rust_server_python_client(Type::Multiplex);
}

#[test]
fn python_thread_server_rust_client() {
    python_server_rust_client(Type::Thread);
}

#[test]
fn python_multiplexed_server_rust_client() {
    python_server_rust_client(Type::Multiplex);
}

#[test]
fn the_server_type_is_asked_on_standard_input() {
    // `PYRO_SERVERTYPE` gives way to the answer, as Python's `config.SERVERTYPE = ...` does;
    // without an answer the program ends as Python's `input()` does.
    let mut server = example("servertypes_server");
    server.env("PYRO_SERVERTYPE", "multiplex");
    let out = run_with_input(server, "", Duration::from_secs(30));
    assert_eq!(out.code, Some(1));
    assert_eq!(out.stdout, "Servertype threaded or multiplex (t/m)?");
    assert_eq!(out.stderr, "EOFError: EOF when reading a line\n");

    // The client reads the type from the server's configuration, as Pyro5's `as_dict()` has it.
    let ns = name_server();
    let mut server = with_ns(example("servertypes_server"), &ns);
    server.env("PYRO_SERVERTYPE", "multiplex");
    let (_server, _lines) = start_server(server, Type::Thread);
    let script = "import Pyro5.api\n\
        c = Pyro5.api.Proxy('PYRONAME:example.servertypes').getconfig()\n\
        print(c['SERVERTYPE'], c['NS_PORT'] > 0, c['POLLTIMEOUT'], c['NATHOST'], c['SOCK_REUSE'], c['BROADCAST_ADDRS'])\n";
    let mut python = with_ns(pyro_interop::python().command(), &ns);
    python.args(["-c", script]);
    let out = run_with_input(python, "", Duration::from_secs(30));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "thread True 2.0 None True ['<broadcast>', '0.0.0.0']\n");
}

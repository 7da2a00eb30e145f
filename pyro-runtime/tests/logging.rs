//! Logging as Pyro5 sets it up (`PYRO_LOGLEVEL`, `PYRO_LOGFILE`, `PYRO_LOGWIRE`), in processes
//! of their own: the subscriber is process-wide and installed once.
//!
//! The test binary plays both parts (`harness = false`): run normally it is the test, starting
//! itself again with `LOGGING_TEST_SCENARIO` set and the `PYRO_*` variables of each case; as
//! that child it runs a daemon and the client side of a conversation that logs every kind of
//! event (calls, a failing and a panicking method, a failing oneway call, a refused handshake,
//! garbage bytes, an oversize message, shutdown), then the parent reads what was written.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pyro_runtime::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply};
use pyro_runtime::logging::{self, LogSetup};
use pyro_runtime::protocol::{EncodeOptions, Message, MessageType};
use pyro_runtime::proxy::Proxy;
use pyro_runtime::transport::MessageStream;
use pyro_runtime::{Config, Daemon, Error, RemoteError, Serializer, Value};

const SCENARIO: &str = "LOGGING_TEST_SCENARIO";

/// The `MAX_MESSAGE_SIZE` of the children, so that an oversize message is cheap to send.
const MAX_MESSAGE_SIZE: &str = "100000";

/// The `COMMTIMEOUT` of the children, so that a silent client is soon dropped.
const COMM_TIMEOUT: &str = "0.5";

fn main() {
    if let Ok(scenario) = std::env::var(SCENARIO) {
        match scenario.as_str() {
            "conversation" => conversation(),
            "own-subscriber" => own_subscriber(),
            "busy" => busy(),
            other => panic!("unknown scenario {other}"),
        }
        return;
    }
    let tests: [(&str, fn()); 8] = [
        ("a_client_denied_for_want_of_workers_is_a_warning", a_client_denied_for_want_of_workers_is_a_warning),
        ("debug_with_logwire_goes_to_the_log_file", debug_with_logwire_goes_to_the_log_file),
        ("the_multiplexed_server_logs_the_same_events", the_multiplexed_server_logs_the_same_events),
        ("info_to_stderr_leaves_debug_out", info_to_stderr_leaves_debug_out),
        (
            "the_default_file_is_pyro5_log_in_the_current_directory",
            the_default_file_is_pyro5_log_in_the_current_directory,
        ),
        ("without_loglevel_nothing_is_written", without_loglevel_nothing_is_written),
        ("a_program_subscriber_is_left_alone", a_program_subscriber_is_left_alone),
        ("the_log_looks_like_python_pyro5s", the_log_looks_like_python_pyro5s),
    ];
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let mut failed = Vec::new();
    for (name, test) in tests {
        if !filters.is_empty() && !filters.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        match std::panic::catch_unwind(test) {
            Ok(()) => println!("test {name} ... ok"),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed.push(name);
            }
        }
    }
    if !failed.is_empty() {
        println!("failed: {failed:?}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------------------
// The child's part.

/// A servant: `hello` answers, `fail` raises a ValueError, `explode` panics.
struct Thing;

/// How many times `fail` ran (the oneway call runs on another thread).
static FAILS: AtomicUsize = AtomicUsize::new(0);

impl Dispatch<Thing> for Thing {
    fn metadata() -> Metadata {
        Metadata::new(["hello", "fail", "explode"], [], [])
    }
    fn receiver(m: &str) -> Option<Receiver> {
        matches!(m, "hello" | "fail" | "explode").then_some(Receiver::Shared)
    }
    fn invoke_shared(&self, ctx: &mut CallContext, m: &str, args: CallArgs) -> Result<Reply, Error> {
        args.finish()?;
        match m {
            "hello" => ctx.encode("hi"),
            "fail" => {
                FAILS.fetch_add(1, Ordering::SeqCst);
                Err(RemoteError::new("builtins.ValueError", vec![Value::from("bad value")]).into())
            }
            _ => panic!("boom"),
        }
    }
    fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> {
        Err(CallArgs::unknown_method(m))
    }
}

/// Serves a daemon (configured from the environment) and talks to it: a call, a failing call,
/// a panicking call, a failing oneway call, a refused handshake, garbage, an oversize message.
/// Prints the daemon's port.
fn conversation() {
    // The panic `explode` makes is expected: not on standard error, which must stay empty.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if info.payload().downcast_ref::<&str>() != Some(&"boom") {
            default_hook(info);
        }
    }));
    let daemon = Daemon::builder()
        .host("127.0.0.1")
        .port(0)
        .validate_handshake(|_, data| match data.as_str() {
            Some("intruder") => Err("intruders not welcome".into()),
            _ => Ok(Value::from("hello")),
        })
        .bind()
        .unwrap();
    let uri = daemon.register(Thing, Some("thing")).unwrap();
    let port = daemon.local_addr().unwrap().port();
    println!("{port}");
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop().unwrap());

    let proxy = Proxy::new(uri.clone());
    assert_eq!(proxy.call::<_, String>("hello", &()).unwrap(), "hi");
    assert!(proxy.call::<_, ()>("fail", &()).is_err());
    assert!(proxy.call::<_, ()>("explode", &()).is_err());
    proxy.call_oneway("fail", &()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while FAILS.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(FAILS.load(Ordering::SeqCst), 2, "the oneway call ran");
    drop(proxy);

    let mut intruder = Proxy::new(uri);
    intruder.set_handshake(Value::from("intruder"));
    assert!(matches!(intruder.call::<_, String>("hello", &()), Err(Error::ConnectionRejected { .. })));

    // Not a Pyro message: refused during the handshake.
    let mut garbage = TcpStream::connect(("127.0.0.1", port)).unwrap();
    garbage.write_all(&[b'!'; 40]).unwrap();
    let mut reply = Vec::new();
    let _ = garbage.read_to_end(&mut reply);

    // A message over MAX_MESSAGE_SIZE after a good handshake.
    let mut stream = MessageStream::new(TcpStream::connect(("127.0.0.1", port)).unwrap(), EncodeOptions::default());
    let connect = br#"{"handshake": "hello", "object": "thing"}"#.to_vec();
    stream.send_message(&Message::new(MessageType::Connect, Serializer::Json.id(), connect)).unwrap();
    let ok = stream.receive_message(&[], "connecting").unwrap();
    assert_eq!(ok.msg_type, MessageType::ConnectOk);
    let big = Message::new(MessageType::Invoke, Serializer::Json.id(), vec![b' '; 200_000]).with_seq(1);
    let bytes = big.to_bytes(&EncodeOptions::default()).unwrap();
    let mut socket = stream.get_ref().try_clone().unwrap();
    let _ = socket.write_all(&bytes[..4096]);
    let _ = socket.read_to_end(&mut reply);

    // A silent client: dropped after COMMTIMEOUT.
    let mut silent = TcpStream::connect(("127.0.0.1", port)).unwrap();
    silent.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = silent.read_to_end(&mut reply);

    stop.shutdown();
    server.join().unwrap();
}

/// A daemon with one worker, taken by a connected proxy: a second client is denied.
fn busy() {
    let daemon = Daemon::builder().host("127.0.0.1").port(0).bind().unwrap();
    let uri = daemon.register(Thing, Some("thing")).unwrap();
    let stop = daemon.shutdown_handle();
    let server = std::thread::spawn(move || daemon.request_loop().unwrap());
    let first = Proxy::new(uri.clone());
    assert_eq!(first.call::<_, String>("hello", &()).unwrap(), "hi");
    let second = Proxy::new(uri);
    assert!(matches!(second.call::<_, String>("hello", &()), Err(Error::ConnectionRejected { .. })));
    drop(first);
    stop.shutdown();
    server.join().unwrap();
}

/// The program installs its own subscriber (writing to standard output) first: pyro's
/// `LOGLEVEL` setup leaves it alone and its events go there.
fn own_subscriber() {
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt().with_writer(std::io::stdout).with_max_level(tracing::Level::DEBUG).finish(),
    )
    .unwrap();
    assert_eq!(logging::init(&Config::from_env().unwrap()).unwrap(), LogSetup::External);
    let daemon = Daemon::builder().host("127.0.0.1").port(0).bind().unwrap();
    daemon.shutdown();
    daemon.request_loop().unwrap();
}

// ---------------------------------------------------------------------------------------------
// The parent's part.

/// A directory of its own for each case, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("pyro-logging-test-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn names(&self) -> Vec<String> {
        std::fs::read_dir(&self.0).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `scenario` in a child process in `dir` with `vars` (and no other `PYRO_*` variable).
fn child(scenario: &str, dir: &Path, vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(std::env::current_exe().unwrap());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PYRO_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command
        .env(SCENARIO, scenario)
        .env("PYRO_MAX_MESSAGE_SIZE", MAX_MESSAGE_SIZE)
        .env("PYRO_COMMTIMEOUT", COMM_TIMEOUT)
        .current_dir(dir);
    for (key, value) in vars {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "scenario {scenario} failed: {}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// The daemon's port, printed first by the conversation.
fn port_of(output: &Output) -> u16 {
    String::from_utf8_lossy(&output.stdout).lines().next().unwrap().trim().parse().unwrap()
}

/// Whether `line` starts like Pyro5's log lines: `[YYYY-MM-DD HH:MM:SS.mmm,name,LEVEL] `;
/// returns the name and level.
fn prefix(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('[')?;
    let (time, rest) = rest.split_at_checked(23)?;
    let shape = time.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 => b == b'-',
        10 => b == b' ',
        13 | 16 => b == b':',
        19 => b == b'.',
        _ => b.is_ascii_digit(),
    });
    let rest = rest.strip_prefix(',')?;
    let (head, _) = rest.split_once("] ")?;
    let (name, level) = head.rsplit_once(',')?;
    (shape && ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"].contains(&level)).then_some((name, level))
}

/// The log's records: a line with the prefix and the lines after it without one (a wire
/// dump's `data=` line).
fn records(text: &str) -> Vec<String> {
    let mut records: Vec<String> = Vec::new();
    for line in text.lines() {
        match (prefix(line), records.last_mut()) {
            (None, Some(last)) => {
                last.push('\n');
                last.push_str(line);
            }
            _ => records.push(line.to_owned()),
        }
    }
    records
}

/// Asserts some record holds `name` and `level` and contains every one of `parts`.
#[track_caller]
fn expect(records: &[String], name: &str, level: &str, parts: &[&str]) {
    let found = records
        .iter()
        .any(|record| prefix(record) == Some((name, level)) && parts.iter().all(|part| record.contains(part)));
    assert!(found, "no {level} record of {name} with {parts:?} in:\n{}", records.join("\n"));
}

fn debug_with_logwire_goes_to_the_log_file() {
    let dir = TempDir::new("debug");
    let log = dir.file("app.log");
    // Appended to, as Python's logging does.
    std::fs::write(&log, "an earlier line\n").unwrap();
    let output = child(
        "conversation",
        &dir.0,
        &[("PYRO_LOGLEVEL", "DEBUG"), ("PYRO_LOGFILE", log.to_str().unwrap()), ("PYRO_LOGWIRE", "true")],
    );
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
    let port = port_of(&output);
    let text = std::fs::read_to_string(&log).unwrap();
    let records = records(&text);
    assert_eq!(records[0], "an earlier line");
    assert!(
        records[1].ends_with(",pyro,INFO] Pyro log configured using built-in defaults, level=DEBUG"),
        "{}",
        records[1]
    );
    for record in &records[1..] {
        let (name, _) = prefix(record).unwrap_or_else(|| panic!("not a log line: {record:?}"));
        assert!(name == "pyro" || name.starts_with("pyro::"), "{record}");
    }
    let location = format!("127.0.0.1:{port}");
    let d = "pyro::daemon";
    expect(&records, d, "DEBUG", &["daemon created on ", &location]);
    expect(&records, d, "INFO", &["daemon ", &location, " entering requestloop"]);
    expect(&records, d, "INFO", &["starting thread pool socketserver"]);
    expect(&records, d, "DEBUG", &["connected 127.0.0.1:", " - unencrypted"]);
    expect(&records, d, "DEBUG", &["handshake accepted from 127.0.0.1:"]);
    expect(&records, d, "DEBUG", &["handshake failed with 127.0.0.1:", ": intruders not welcome"]);
    expect(&records, d, "DEBUG", &["handshake failed with 127.0.0.1:", "invalid"]);
    expect(
        &records,
        d,
        "WARNING",
        &["error during handleRequest from 127.0.0.1:", "message too large (200000, max=100000)"],
    );
    expect(
        &records,
        d,
        "DEBUG",
        &["exception occurred in method call user code: client=127.0.0.1:", "method=fail oneway=false", "bad value"],
    );
    expect(
        &records,
        d,
        "DEBUG",
        &["exception occurred in method call user code", "method=fail oneway=true", "bad value"],
    );
    expect(&records, d, "ERROR", &["method call user code panicked: client=127.0.0.1:", "method=explode panic=boom"]);
    expect(&records, d, "WARNING", &["error during handleRequest from 127.0.0.1:", "timeout"]);
    expect(&records, d, "DEBUG", &["disconnected 127.0.0.1:"]);
    expect(&records, d, "DEBUG", &["daemon ", &location, " shutting down"]);
    expect(&records, d, "DEBUG", &["daemon ", &location, " exits requestloop"]);
    let p = "pyro::proxy";
    let uri = format!("PYRO:thing@{location}");
    expect(&records, p, "DEBUG", &["connecting to ", &uri]);
    expect(&records, p, "DEBUG", &["connected to ", &uri, " - unencrypted"]);
    expect(&records, p, "ERROR", &[&format!("connection to {location} rejected: intruders not welcome")]);
    // LOGWIRE: every message both ways, on both sides, with its payload as Python's bytes repr.
    let w = "pyro::wire";
    expect(&records, w, "DEBUG", &["proxy connect sending: msgtype=1 flags=0x", "\ndata=b'PYRO\\x01\\xf6\\x01"]);
    expect(
        &records,
        w,
        "DEBUG",
        &["daemon handshake received: msgtype=1 ", "\ndata=b'{\"handshake\": \"hello\", \"object\": \"thing\"}'"],
    );
    expect(&records, w, "DEBUG", &["daemon handshake response: msgtype=2 ", "num_annotations=0 corr_id="]);
    expect(&records, w, "DEBUG", &["proxy connect response received: msgtype=2 "]);
    expect(&records, w, "DEBUG", &["daemon handshake response: msgtype=3 ", "intruders not welcome"]);
    expect(&records, w, "DEBUG", &["daemon wiredata received: msgtype=4 ", "\ndata=b'"]);
    expect(&records, w, "DEBUG", &["proxy wiredata received: msgtype=5 ", "\ndata=b'"]);
    // The oversize message was refused from its header: never read whole, never dumped.
    assert!(!text.contains(&" ".repeat(1000)), "the oversize message was dumped");
}

fn the_multiplexed_server_logs_the_same_events() {
    if cfg!(not(unix)) {
        return;
    }
    let dir = TempDir::new("multiplex");
    let output = child(
        "conversation",
        &dir.0,
        &[("PYRO_LOGLEVEL", "DEBUG"), ("PYRO_LOGWIRE", "true"), ("PYRO_SERVERTYPE", "multiplex")],
    );
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
    let records = records(&std::fs::read_to_string(dir.file("pyro5.log")).unwrap());
    let d = "pyro::daemon";
    expect(&records, d, "INFO", &["starting multiplexed socketserver"]);
    expect(&records, d, "DEBUG", &["connected 127.0.0.1:", " - unencrypted"]);
    expect(&records, d, "DEBUG", &["handshake accepted from 127.0.0.1:"]);
    expect(&records, d, "DEBUG", &["handshake failed with 127.0.0.1:", ": intruders not welcome"]);
    expect(&records, d, "DEBUG", &["handshake failed with 127.0.0.1:", "invalid"]);
    expect(
        &records,
        d,
        "WARNING",
        &["error during handleRequest from 127.0.0.1:", "message too large (200000, max=100000)"],
    );
    expect(&records, d, "DEBUG", &["method=fail oneway=true", "bad value"]);
    expect(&records, d, "ERROR", &["method=explode panic=boom"]);
    expect(&records, d, "WARNING", &["error during handleRequest from 127.0.0.1:", "timeout"]);
    expect(&records, d, "DEBUG", &["disconnected 127.0.0.1:"]);
    let w = "pyro::wire";
    expect(&records, w, "DEBUG", &["daemon handshake received: msgtype=1 "]);
    expect(&records, w, "DEBUG", &["daemon handshake response: msgtype=2 "]);
    expect(&records, w, "DEBUG", &["daemon wiredata received: msgtype=4 "]);
    expect(&records, w, "DEBUG", &["daemon wiredata sending: msgtype=5 "]);
}

fn a_client_denied_for_want_of_workers_is_a_warning() {
    let dir = TempDir::new("busy");
    let output = child(
        "busy",
        &dir.0,
        &[("PYRO_LOGLEVEL", "DEBUG"), ("PYRO_THREADPOOL_SIZE", "1"), ("PYRO_THREADPOOL_SIZE_MIN", "1")],
    );
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
    let records = records(&std::fs::read_to_string(dir.file("pyro5.log")).unwrap());
    expect(&records, "pyro::daemon", "WARNING", &["client connection was denied: ", "(127.0.0.1:"]);
    expect(&records, "pyro::daemon", "DEBUG", &["handshake failed with 127.0.0.1:"]);
    expect(&records, "pyro::proxy", "ERROR", &["rejected: "]);
}

fn info_to_stderr_leaves_debug_out() {
    let dir = TempDir::new("stderr");
    let output = child("conversation", &dir.0, &[("PYRO_LOGLEVEL", "INFO"), ("PYRO_LOGFILE", "{stderr}")]);
    let records = records(&String::from_utf8_lossy(&output.stderr));
    expect(&records, "pyro", "INFO", &["Pyro log configured using built-in defaults, level=INFO"]);
    expect(&records, "pyro::daemon", "INFO", &["entering requestloop"]);
    expect(&records, "pyro::daemon", "WARNING", &["message too large"]);
    expect(&records, "pyro::daemon", "ERROR", &["panic=boom"]);
    expect(&records, "pyro::proxy", "ERROR", &["rejected"]);
    for record in &records {
        let (_, level) = prefix(record).unwrap_or_else(|| panic!("not a log line: {record:?}"));
        assert_ne!(level, "DEBUG", "{record}");
    }
    assert!(dir.names().is_empty(), "no file: {:?}", dir.names());
}

fn the_default_file_is_pyro5_log_in_the_current_directory() {
    let dir = TempDir::new("default");
    let output = child("conversation", &dir.0, &[("PYRO_LOGLEVEL", "WARNING")]);
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(dir.names(), ["pyro5.log"]);
    let records = records(&std::fs::read_to_string(dir.file("pyro5.log")).unwrap());
    expect(&records, "pyro::daemon", "WARNING", &["message too large"]);
    for record in &records {
        let (_, level) = prefix(record).unwrap_or_else(|| panic!("not a log line: {record:?}"));
        assert!(level == "WARNING" || level == "ERROR", "{record}");
    }
}

fn without_loglevel_nothing_is_written() {
    let dir = TempDir::new("off");
    // LOGFILE and LOGWIRE alone do not turn logging on (as in Pyro5).
    let output = child("conversation", &dir.0, &[("PYRO_LOGFILE", "off.log"), ("PYRO_LOGWIRE", "true")]);
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(dir.names().is_empty(), "no file: {:?}", dir.names());
}

fn a_program_subscriber_is_left_alone() {
    let dir = TempDir::new("own");
    let output = child("own-subscriber", &dir.0, &[("PYRO_LOGLEVEL", "DEBUG"), ("PYRO_LOGFILE", "pyro.log")]);
    assert!(dir.names().is_empty(), "no file: {:?}", dir.names());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("pyro::daemon") && stdout.contains("entering requestloop"), "{stdout}");
}

/// Python Pyro5 with the same settings writes the same kind of file: the same first line, the
/// same line prefix, and the same records for the events both log alike.
fn the_log_looks_like_python_pyro5s() {
    let dir = TempDir::new("python");
    let script = r#"
import Pyro5.api
class Thing:
    @Pyro5.api.expose
    def hello(self):
        return "hi"
daemon = Pyro5.api.Daemon(host="127.0.0.1", port=0)
uri = daemon.register(Thing, "thing")
import threading
threading.Thread(target=daemon.requestLoop, daemon=True).start()
with Pyro5.api.Proxy(uri) as p:
    assert p.hello() == "hi"
daemon.shutdown()
"#;
    let status = pyro_interop::python()
        .command()
        .args(["-c", script])
        .env("PYRO_LOGLEVEL", "DEBUG")
        .env("PYRO_LOGFILE", dir.file("python.log"))
        .env("PYRO_LOGWIRE", "true")
        .current_dir(&dir.0)
        .status()
        .unwrap();
    assert!(status.success());
    let python = records(&std::fs::read_to_string(dir.file("python.log")).unwrap());
    let output = child(
        "conversation",
        &dir.0,
        &[("PYRO_LOGLEVEL", "DEBUG"), ("PYRO_LOGFILE", "rust.log"), ("PYRO_LOGWIRE", "true")],
    );
    let _ = port_of(&output);
    let rust = records(&std::fs::read_to_string(dir.file("rust.log")).unwrap());
    let message = |record: &String| record.split_once("] ").map(|(_, m)| m.to_owned()).unwrap();
    assert_eq!(message(&python[0]), "Pyro log configured using built-in defaults, level=DEBUG");
    assert_eq!(message(&rust[0]), message(&python[0]));
    for record in python.iter().chain(&rust) {
        assert!(prefix(record).is_some(), "not a log line: {record:?}");
    }
    for (level, part) in [
        ("INFO", " entering requestloop"),
        ("DEBUG", "daemon created on 127.0.0.1:"),
        ("DEBUG", "proxy connect sending: msgtype=1 flags=0x0 "),
        ("DEBUG", "daemon handshake received: msgtype=1 "),
        ("DEBUG", "daemon handshake response: msgtype=2 "),
        ("DEBUG", "proxy connect response received: msgtype=2 "),
        ("DEBUG", "proxy wiredata sending: msgtype=4 "),
        ("DEBUG", "daemon wiredata received: msgtype=4 "),
        ("DEBUG", "daemon wiredata sending: msgtype=5 "),
        ("DEBUG", "proxy wiredata received: msgtype=5 "),
    ] {
        for (who, log) in [("python", &python), ("rust", &rust)] {
            let found = log.iter().any(|r| prefix(r).is_some_and(|(_, l)| l == level) && r.contains(part));
            assert!(found, "{who}: no {level} record with {part:?} in:\n{}", log.join("\n"));
        }
    }
}

//! Pyro5's messagebus example against its Rust port, every program unchanged, with our name
//! server (in this process) and Pyro5's default serializer, serpent (json and msgpack in one
//! test): our server with Python's
//! publishers and subscribers, Python's server (`python -m messagebus.server`) with ours, and
//! mixes of both. The bus delivers every published message, in order, to every subscriber; the
//! subscribers print what Python's print. An SQLite bus restarted under a running publisher
//! and subscriber carries on: the publisher reconnects, the bus remembers the subscriber; and
//! either server takes over the other's database, pending messages included (their data
//! pickled as Python pickles it). One Python client sees the same remote API, answers and
//! errors from both servers, and the server's options answer as optparse does.
//!
//! Nothing here waits for a fixed time to pass: every wait is for an expected line, bounded.
#![allow(clippy::unwrap_used)]

mod examples_support;
#[path = "../examples/messagebus/pickle.rs"]
mod pickle;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use examples_support::{Process, example, matches, pyro5_example};
use pyro_ns::{NameServerBuilder, RunningNameServer};

const LONG: Duration = Duration::from_secs(60);

const WEATHER: [&str; 10] = ["sunny", "cloudy", "storm", "rainy", "hail", "thunder", "calm", "mist", "cold", "hot"];

fn name_server() -> RunningNameServer {
    NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).start().unwrap()
}

/// An empty folder, removed when dropped: where a server keeps `messages.sqlite`.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("pyro-messagebus-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn with_ns(mut command: Command, ns: &RunningNameServer) -> Command {
    command
        .env("PYRO_NS_HOST", "127.0.0.1")
        .env("PYRO_NS_PORT", ns.uri().port().unwrap().to_string())
        .env("TERM", "dumb");
    command
}

/// One of the Python programs of Pyro5's messagebus example, run in its folder.
fn python(program: &str, ns: &RunningNameServer) -> Command {
    let dir = pyro5_example("messagebus");
    let mut command = pyro_interop::python().command();
    command.arg(dir.join(program)).current_dir(dir);
    with_ns(command, ns)
}

/// Python, run in `dir`, with the example's folder on the module path (as when run from it).
fn python_with_example_path(dir: &Path, ns: &RunningNameServer) -> Command {
    let example = pyro5_example("messagebus");
    let mut command = pyro_interop::python().command();
    let inherited = command.get_envs().find(|(k, _)| *k == "PYTHONPATH").and_then(|(_, v)| v.map(|v| v.to_owned()));
    let mut path = example.as_os_str().to_owned();
    if let Some(inherited) = inherited {
        path.push(":");
        path.push(inherited);
    }
    command.env("PYTHONPATH", path).current_dir(dir);
    with_ns(command, ns)
}

/// Python's server, `python -m messagebus.server ARGS`, run in `dir` (its `messages.sqlite`
/// goes there).
fn python_server(dir: &Path, args: &[&str], ns: &RunningNameServer) -> Command {
    let mut command = python_with_example_path(dir, ns);
    command.args(["-m", "messagebus.server"]).args(args);
    command
}

/// Our server with `args`, run in `dir`.
fn rust_server(dir: &Path, args: &[&str], ns: &RunningNameServer) -> Command {
    let mut command = example("messagebus_server");
    command.args(args).current_dir(dir);
    with_ns(command, ns)
}

/// A program of ours.
fn rust(name: &str, ns: &RunningNameServer) -> Command {
    with_ns(example(name), ns)
}

/// Starts `command`, types `input` into it and reads its stdout line by line (a line is also
/// cut at a carriage return, as a terminal shows it).
fn spawn(mut command: Command, input: &str) -> (Process, Receiver<String>) {
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("the program starts");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = Vec::new();
        let mut buffer = [0; 4096];
        while let Ok(n @ 1..) = std::io::Read::read(&mut stdout, &mut buffer) {
            for &byte in &buffer[..n] {
                if byte == b'\n' || byte == b'\r' {
                    let text = String::from_utf8_lossy(&line).into_owned();
                    line.clear();
                    if sender.send(text).is_err() {
                        return;
                    }
                } else {
                    line.push(byte);
                }
            }
        }
    });
    (Process(child), receiver)
}

fn next_line(lines: &Receiver<String>, what: &str) -> String {
    lines.recv_timeout(LONG).unwrap_or_else(|e| panic!("{what}: no next line: {e}"))
}

/// Skips lines up to and including the first that `wanted` accepts; the skipped lines.
fn skip_until(lines: &Receiver<String>, what: &str, wanted: impl Fn(&str) -> bool) -> Vec<String> {
    let deadline = Instant::now() + LONG;
    let mut skipped = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if wanted(&line) => return skipped,
            Ok(line) => skipped.push(line),
            Err(e) => panic!("{what}: the expected line never came ({e}) after {skipped:#?}"),
        }
    }
}

/// Starts a server and checks its banner.
fn start_server(command: Command, storage: &str) -> (Process, Receiver<String>) {
    let (process, lines) = spawn(command, "");
    let banner: Vec<String> = (0..4).map(|_| next_line(&lines, "server banner")).collect();
    assert_eq!(banner[0], "Pyro Message Bus.", "{banner:?}");
    let uri = banner[1].strip_prefix("    uri  = PYRO:obj_").unwrap_or_else(|| panic!("{banner:?}"));
    assert!(matches("@localhost:#", &uri[32..]), "{banner:?}");
    assert_eq!(banner[2], "    name = Pyro.MessageBus");
    assert_eq!(banner[3], format!("Server running, storage is {storage}."));
    (process, lines)
}

/// A subscriber's lines up to its subscription; `topics` is what it prints the bus has.
fn subscribed(lines: &Receiver<String>, topics: &str) {
    assert_eq!(
        next_line(lines, "subscriber"),
        format!("hostname to bind on (empty=localhost): Topics on the bus:  {topics}")
    );
    assert_eq!(next_line(lines, "subscriber"), "Subscribing to weather-forecast.");
    assert_eq!(next_line(lines, "subscriber"), "Subscribed on weather-forecast");
}

/// One message as a subscriber prints it: (msgid, created, data).
type Printed = (String, String, String);

/// The next message a subscriber prints, under `header` (`GOT MESSAGE:`).
fn printed_message(lines: &Receiver<String>, header: &str) -> Printed {
    let block: Vec<String> = (0..6).map(|_| next_line(lines, header)).collect();
    assert_eq!(block[0], "", "{block:#?}");
    assert_eq!(block[1], header, "{block:#?}");
    assert_eq!(block[2], "   topic: weather-forecast", "{block:#?}");
    let msgid = block[3].strip_prefix("   msgid: ").unwrap_or_else(|| panic!("{block:#?}"));
    assert!(pyro::uuid::Uuid::parse_str(msgid).is_ok(), "{block:#?}");
    let created = block[4].strip_prefix(" created: ").unwrap_or_else(|| panic!("{block:#?}"));
    assert!(matches("#-#-# #:#:#", created), "{block:#?}");
    let data = block[5].strip_prefix("    data: ").unwrap_or_else(|| panic!("{block:#?}"));
    (msgid.to_owned(), created.to_owned(), data.to_owned())
}

/// The next `n` forecasts a publisher prints (after its prompt, on the first line).
fn forecasts(lines: &Receiver<String>, n: usize) -> Vec<String> {
    (0..n)
        .map(|_| {
            let line = next_line(lines, "publisher");
            let line = line.strip_prefix("Give city or country to use as location: ").unwrap_or(&line);
            line.strip_prefix("Forecast: ").unwrap_or_else(|| panic!("publisher: {line:?}")).to_owned()
        })
        .collect()
}

fn is_forecast(data: &str, location: &str) -> bool {
    WEATHER.iter().any(|w| data == format!("('{location}', '{w}')"))
}

/// Two subscribers on a running bus, then a publisher: both subscribers print every message,
/// in the order published, with the same ids.
fn weather(server: (Process, Receiver<String>), first: Command, second: Command, publisher: Command) {
    weather_as(server, first, second, publisher, |sent| sent.to_owned());
}

/// [`weather`], with `arrives` saying how a published forecast arrives (json and msgpack have
/// no tuples: they arrive as lists).
fn weather_as(
    server: (Process, Receiver<String>),
    first: Command,
    second: Command,
    publisher: Command,
    arrives: fn(&str) -> String,
) {
    let (_server, _server_lines) = server;
    let (_first, first_lines) = spawn(first, "\n");
    subscribed(&first_lines, &arrives("()"));
    let (_second, second_lines) = spawn(second, "\n");
    subscribed(&second_lines, &arrives("{'weather-forecast'}"));
    let (_publisher, published) = spawn(publisher, "Paris\n");
    let sent = forecasts(&published, 8);
    for data in &sent {
        assert!(is_forecast(data, "Paris"), "{sent:?}");
    }
    let got_first: Vec<Printed> = (0..8).map(|_| printed_message(&first_lines, "GOT MESSAGE:")).collect();
    let got_second: Vec<Printed> = (0..8).map(|_| printed_message(&second_lines, "GOT MESSAGE:")).collect();
    assert_eq!(got_first, got_second);
    let data: Vec<String> = got_first.iter().map(|(_, _, data)| data.clone()).collect();
    assert_eq!(data, sent.iter().map(|s| arrives(s)).collect::<Vec<_>>());
}

/// Every program set to `serializer` (`PYRO_SERIALIZER`), as Pyro5 reads it.
fn serialized(mut command: Command, serializer: &str) -> Command {
    command.env("PYRO_SERIALIZER", serializer);
    command
}

/// How tuples and sets arrive with json and msgpack: as lists.
fn as_list(sent: &str) -> String {
    sent.replace(['(', '{'], "[").replace([')', '}'], "]")
}

#[test]
fn json_and_msgpack_throughout() {
    for serializer in ["json", "msgpack"] {
        let ns = name_server();
        let dir = Scratch::new(serializer);
        weather_as(
            start_server(serialized(rust_server(&dir.0, &["-s", "memory"], &ns), serializer), "memory"),
            serialized(python("subscriber.py", &ns), serializer),
            serialized(rust("messagebus_subscriber", &ns), serializer),
            serialized(python("publisher.py", &ns), serializer),
            as_list,
        );
        let dir = Scratch::new(&format!("{serializer}-python"));
        weather_as(
            start_server(serialized(python_server(&dir.0, &["-s", "memory"], &ns), serializer), "memory"),
            serialized(rust("messagebus_subscriber", &ns), serializer),
            serialized(python("subscriber.py", &ns), serializer),
            serialized(rust("messagebus_publisher", &ns), serializer),
            as_list,
        );
    }
}

#[test]
fn rust_server_python_and_rust_subscribers_python_publisher() {
    let ns = name_server();
    let dir = Scratch::new("memory");
    weather(
        start_server(rust_server(&dir.0, &["-s", "memory"], &ns), "memory"),
        python("subscriber.py", &ns),
        rust("messagebus_subscriber", &ns),
        python("publisher.py", &ns),
    );
}

#[test]
fn python_server_rust_and_python_subscribers_rust_publisher() {
    let ns = name_server();
    let dir = Scratch::new("python-sqlite");
    weather(
        start_server(python_server(&dir.0, &[], &ns), "sqlite"),
        rust("messagebus_subscriber", &ns),
        python("subscriber.py", &ns),
        rust("messagebus_publisher", &ns),
    );
}

#[test]
fn rust_server_sqlite_rust_subscriber_rust_publisher() {
    let ns = name_server();
    let dir = Scratch::new("rust-sqlite");
    weather(
        start_server(rust_server(&dir.0, &[], &ns), "sqlite"),
        rust("messagebus_subscriber", &ns),
        rust("messagebus_subscriber", &ns),
        rust("messagebus_publisher", &ns),
    );
}

/// What Python's `pickle.dumps(value, 5)` gives for the Python expression `value`.
fn python_pickle(value: &str) -> Vec<u8> {
    let script = format!("import pickle, sys; sys.stdout.write(pickle.dumps({value}, 5).hex())");
    let out = pyro_interop::python().command().args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    from_hex(&String::from_utf8(out.stdout).unwrap())
}

fn from_hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

/// Which server's pickles a handed-over database gets.
#[derive(Clone, Copy)]
enum Pickler {
    Python,
    Rust,
}

/// An SQLite bus stops under a running subscriber and publisher, and another bus (`second`)
/// starts on the same `messages.sqlite`: the publisher reconnects and carries on, the new bus
/// calls the subscriber it finds in the database, and delivers a message left pending there,
/// its data pickled by `pickler`.
fn handover(
    first: impl Fn(&Path) -> Command,
    second: impl Fn(&Path) -> Command,
    pickler: Pickler,
    subscriber: Command,
    publisher: Command,
    name: &str,
) {
    let dir = Scratch::new(name);
    let server = start_server(first(&dir.0), "sqlite");
    let (_subscriber, messages) = spawn(subscriber, "\n");
    subscribed(&messages, "()");
    let (_publisher, published) = spawn(publisher, "Oslo\n");
    let sent = forecasts(&published, 3);
    let got: Vec<String> = (0..3).map(|_| printed_message(&messages, "GOT MESSAGE:").2).collect();
    assert_eq!(got, sent);

    drop(server);
    skip_until(&published, "publisher", |line| line == "connection to the messagebus is lost, reconnecting...");
    let data = match pickler {
        Pickler::Python => python_pickle("('Handover', 'calm')"),
        Pickler::Rust => pickle::dumps(&pyro::Value::Tuple(vec!["Handover".into(), "calm".into()])).unwrap(),
    };
    let msgid = "8f0c6b8e-0d1c-4a43-9a53-5d8d0f1e2a3b";
    let db = rusqlite::Connection::open(dir.0.join("messages.sqlite")).unwrap();
    db.execute(
        "INSERT INTO Message(id, created, topic, msgdata) \
         VALUES (?1, '2026-01-02 03:04:05.678901', (SELECT id FROM Topic WHERE topic='weather-forecast'), ?2)",
        rusqlite::params![msgid, data],
    )
    .unwrap();
    drop(db);

    let _server = start_server(second(&dir.0), "sqlite");
    let after = forecasts(&published, 1).remove(0);
    assert!(is_forecast(&after, "Oslo"), "{after}");
    // Messages from before the restart may come first (or twice); then the one left pending,
    // then the first one published to the new bus (the bus delivers in the order of the rows).
    let deadline = Instant::now() + LONG;
    let mut seen = Vec::new();
    loop {
        assert!(Instant::now() < deadline, "the pending message never came: {seen:#?}");
        let (id, created, data) = printed_message(&messages, "GOT MESSAGE:");
        if id == msgid {
            assert_eq!((created.as_str(), data.as_str()), ("2026-01-02 03:04:05.678901", "('Handover', 'calm')"));
            break;
        }
        seen.push((id, data));
    }
    assert_eq!(printed_message(&messages, "GOT MESSAGE:").2, after);
}

#[test]
fn sqlite_rust_server_hands_over_to_python_server() {
    let ns = name_server();
    handover(
        |dir| rust_server(dir, &[], &ns),
        |dir| python_server(dir, &[], &ns),
        Pickler::Rust,
        rust("messagebus_subscriber", &ns),
        python("publisher.py", &ns),
        "to-python",
    );
}

#[test]
fn sqlite_python_server_hands_over_to_rust_server() {
    let ns = name_server();
    handover(
        |dir| python_server(dir, &[], &ns),
        |dir| rust_server(dir, &[], &ns),
        Pickler::Python,
        python("subscriber.py", &ns),
        rust("messagebus_publisher", &ns),
        "to-rust",
    );
}

#[test]
fn sqlite_rust_server_restarts_under_python_clients() {
    let ns = name_server();
    handover(
        |dir| rust_server(dir, &[], &ns),
        |dir| rust_server(dir, &[], &ns),
        Pickler::Rust,
        python("subscriber.py", &ns),
        python("publisher.py", &ns),
        "restart",
    );
}

/// Values pickled by Python read back as the same values, and Python reads back what we
/// pickle; broken pickles are errors.
#[test]
fn pickles_as_python() {
    let samples = [
        "None",
        "True",
        "False",
        "0",
        "255",
        "256",
        "65535",
        "65536",
        "-1",
        "2**31-1",
        "-2**31",
        "2**63",
        "-2**70",
        "10**40",
        "1.5",
        "-0.0",
        "1e300",
        "'text'",
        "'\\u00fcn\\u00efcode'",
        "'x'*300",
        "b'bytes'",
        "b'\\x00'*300",
        "()",
        "(1,)",
        "(1, 2)",
        "(1, 2, 3)",
        "(1, 2, 3, 4)",
        "[]",
        "[1, [2, [3]]]",
        "{}",
        "{'a': 1, 'b': [1, 2]}",
        "{1, 2, 3}",
        "3+4j",
        "('Oslo', 'sunny')",
        "[[1]] * 3",
        "{'k': (1.0, None), 2: b''}",
    ];
    let script =
        format!("import pickle\nfor v in [{}]:\n    print(pickle.dumps(v, 5).hex(), repr(v))", samples.join(", "));
    let out = pyro_interop::python().command().args(["-c", &script]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut ours = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let (hex, repr) = line.split_once(' ').unwrap();
        let bytes = from_hex(hex);
        let value = pickle::loads(&bytes).unwrap_or_else(|e| panic!("{repr}: {e}"));
        assert_eq!(value.to_string(), repr);
        for cut in 0..bytes.len() {
            assert!(pickle::loads(&bytes[..cut]).is_err(), "{repr} cut at {cut}");
        }
        ours.push(pickle::dumps(&value).unwrap());
    }
    assert_eq!(ours.len(), samples.len());
    // Python reads ours back as the same values.
    let script =
        "import pickle, sys\nfor line in sys.stdin:\n    print(repr(pickle.loads(bytes.fromhex(line.strip()))))";
    let mut python = pyro_interop::python().command();
    let mut child = python.args(["-c", script]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let input: String = ours.iter().map(|p| p.iter().map(|b| format!("{b:02x}")).collect::<String>() + "\n").collect();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let theirs: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect();
    let expected: Vec<String> = ours.iter().map(|p| pickle::loads(p).unwrap().to_string()).collect();
    assert_eq!(theirs, expected);

    // What is not a plain value is refused, not run; a container cannot contain itself.
    let datetime = python_pickle("__import__('datetime').datetime(2026, 1, 2)");
    assert!(matches!(pickle::loads(&datetime), Err(pickle::PickleError::Unsupported(..))));
    let recursive = python_pickle("(lambda a: (a.append(a), a)[1])([])");
    assert!(pickle::loads(&recursive).is_err());
    assert!(pickle::loads(b"").is_err());
    assert!(pickle::dumps(&pyro::Value::Date(pyro::value::Date::new(2026, 1, 2).unwrap())).is_err());
}

/// A manual-consume subscriber: processes 5 messages, unsubscribes, processes 5 more, ends.
fn manual_consume(server: (Process, Receiver<String>), subscriber: Command, publisher: Command) {
    let (_server, _server_lines) = server;
    let (mut process, lines) = spawn(subscriber, "\n");
    subscribed(&lines, "()");
    let (_publisher, published) = spawn(publisher, "Rome\n");
    assert_eq!(next_line(&lines, "manual"), "Entering message loop, you should see the msg count increasing.");
    let mut processed = Vec::new();
    for round in 0..2 {
        assert_eq!(next_line(&lines, "manual"), "Entering manual message processing loop (5 messages).");
        for _ in 0..5 {
            assert_eq!(next_line(&lines, "manual"), "");
            let count = next_line(&lines, "manual");
            assert!(matches("Approx. number of received messages: #", &count), "{count:?}");
            if round == 1 && processed.len() == 5 {
                // Messages kept coming during the first round: at least the 5 to process wait.
                let n: usize = count.rsplit(' ').next().unwrap().parse().unwrap();
                assert!(n >= 5, "{count:?}");
            }
            processed.push(printed_message(&lines, "PROCESSING MESSAGE:").2);
        }
        assert_eq!(next_line(&lines, "manual"), "");
        assert_eq!(next_line(&lines, "manual"), "End.");
        if round == 0 {
            assert_eq!(next_line(&lines, "manual"), "Unsubscribed from the topic.");
            assert_eq!(
                next_line(&lines, "manual"),
                "Entering message loop again, you should see the msg count decrease."
            );
        }
    }
    let deadline = Instant::now() + LONG;
    let status = loop {
        if let Some(status) = process.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the subscriber did not end");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    assert_eq!(processed, forecasts(&published, 10));
}

/// With SQLite storage: Python's memory storage cannot unsubscribe a subscriber it has
/// delivered to (`_pyroRelease` on a proxy its sender thread owns raises "the calling thread is
/// not the owner of this proxy"), whoever the subscriber is.
#[test]
fn python_server_rust_manual_consume_subscriber_python_publisher() {
    let ns = name_server();
    let dir = Scratch::new("manual-python");
    manual_consume(
        start_server(python_server(&dir.0, &[], &ns), "sqlite"),
        rust("messagebus_subscriber_manual_consume", &ns),
        python("publisher.py", &ns),
    );
}

#[test]
fn rust_server_python_manual_consume_subscriber_rust_publisher() {
    let ns = name_server();
    let dir = Scratch::new("manual-rust");
    manual_consume(
        start_server(rust_server(&dir.0, &["-s", "memory"], &ns), "memory"),
        python("subscriber_manual_consume.py", &ns),
        rust("messagebus_publisher", &ns),
    );
}

/// The many-topics pair: once the publisher has made its 26 topics, the subscriber's table
/// lists them all, busiest first, until some have messages whose data the publisher sent.
fn many_topics(server: (Process, Receiver<String>), publisher: Command, subscriber: Command) {
    let (_server, _server_lines) = server;
    let (_publisher, published) = spawn(publisher, "");
    assert_eq!(next_line(&published, "publisher"), "publishing messages on a random topic");
    let (_subscriber, lines) = spawn(subscriber, "");
    let deadline = Instant::now() + LONG;
    loop {
        assert!(Instant::now() < deadline, "no messages counted");
        skip_until(&lines, "table", |line| line.ends_with(" -- active topics on the messagebus:"));
        assert_eq!(next_line(&lines, "table"), "topic                : count     last_recv         last message data");
        let rows: Vec<String> = (0..26).map(|_| next_line(&lines, "table")).collect();
        assert_eq!(next_line(&lines, "table"), "(restart me to refresh the list of topics)");
        let mut counts = Vec::new();
        let mut letters: Vec<char> = Vec::new();
        for row in &rows {
            let (topic, rest) = row.split_once(" : ").unwrap_or_else(|| panic!("{rows:#?}"));
            let letter = topic.trim_end().strip_prefix("msg.topic.").unwrap_or_else(|| panic!("{rows:#?}"));
            letters.push(letter.chars().next().unwrap());
            let count: u64 = rest[..5].trim().parse().unwrap_or_else(|_| panic!("{rows:#?}"));
            if count == 0 {
                assert_eq!(rest, "    0", "{rows:#?}");
            } else {
                let last = &rest[5..];
                let (time, data) = last.strip_prefix("  -  ").unwrap().split_once("   ").unwrap();
                assert!(matches("#:#:#", time), "{rows:#?}");
                assert!(matches("'message #'", data), "{rows:#?}");
            }
            counts.push(count);
        }
        letters.sort_unstable();
        assert_eq!(letters, ('a'..='z').collect::<Vec<_>>());
        assert!(counts.windows(2).all(|w| w[0] >= w[1]), "not busiest first: {rows:#?}");
        if counts.iter().any(|&c| c > 0) {
            break;
        }
    }
}

#[test]
fn rust_server_python_manytopics_publisher_rust_subscriber() {
    let ns = name_server();
    let dir = Scratch::new("many-rust");
    many_topics(
        start_server(rust_server(&dir.0, &["-s", "memory"], &ns), "memory"),
        python("manytopics_publisher.py", &ns),
        rust("messagebus_manytopics_subscriber", &ns),
    );
}

#[test]
fn python_server_rust_manytopics_publisher_python_subscriber() {
    let ns = name_server();
    let dir = Scratch::new("many-python");
    many_topics(
        start_server(python_server(&dir.0, &["-s", "memory"], &ns), "memory"),
        rust("messagebus_manytopics_publisher", &ns),
        python("manytopics_subscriber.py", &ns),
    );
}

/// The server's options are Python's, and so are its answers to bad ones.
#[test]
fn server_options_as_python() {
    for args in [&["-s", "x"][..], &["-p", "x"], &["-q"], &["-p"], &["-h"]] {
        let run = |mut command: Command| {
            let out = command.stdin(Stdio::null()).output().unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).trim_end().to_owned(),
            )
        };
        let ns = name_server();
        let dir = Scratch::new("options");
        let ours = run(rust_server(&dir.0, args, &ns));
        let theirs = run(python_server(&dir.0, args, &ns));
        assert_eq!(ours.0, theirs.0, "{args:?}");
        assert_eq!(ours.1.trim_end(), theirs.1.trim_end(), "{args:?}");
        assert_eq!(ours.2, theirs.2, "{args:?}");
    }
}

/// One Python client's calls, with Pyro5's errors, against a bus: what our bus answers is what
/// Python's answers (metadata, results, exception classes and messages, a subscriber without
/// `incoming_message`, a subscriber's deliveries as `Message` objects). Both print the stats
/// line.
const API_CLIENT: &str = r#"
import threading, queue, Pyro5.api
from messagebus.messagebus import Message

def attempt(name, f, *args):
    try:
        print(name, repr(f(*args)))
    except Exception as x:
        print(name, type(x).__name__, x)

bus = Pyro5.api.Proxy("PYRONAME:Pyro.MessageBus")
bus._pyroBind()
print(sorted(bus._pyroMethods), sorted(bus._pyroOneway), sorted(bus._pyroAttrs))
attempt("add 1", bus.add_topic, 1)
attempt("add t1", bus.add_topic, "t1")
attempt("add t2", bus.add_topic, "t2")
attempt("add t2", bus.add_topic, "t2")
print("topics", sorted(bus.topics()), type(bus.topics()).__name__)
attempt("send nope", bus.send, "nope", "x")
attempt("remove t2", bus.remove_topic, "t2")
attempt("remove unknown", bus.remove_topic, "unknown")
print("topics", sorted(bus.topics()))

received = queue.Queue()

@Pyro5.api.expose
class Mute:
    def hello(self):
        pass

@Pyro5.api.expose
class Sub:
    def incoming_message(self, topic, message):
        received.put((topic, message))
    def incoming_messages(self, topic, messages):
        for m in messages:
            received.put((topic, m))

daemon = Pyro5.api.Daemon(host="localhost")
mute, sub = Mute(), Sub()
daemon.register(mute)
daemon.register(sub)
threading.Thread(target=daemon.requestLoop, daemon=True).start()
attempt("subscribe mute", bus.subscribe, "t1", mute)
attempt("subscribe", bus.subscribe, "t3", sub)
print("topics", sorted(bus.topics()))
attempt("send", bus.send, "t3", {"a": [1, (2, 3)], "b": None})
attempt("send_no_ack", bus.send_no_ack, "t3", 1.5)
for _ in range(2):
    topic, message = received.get(timeout=60)
    print("got", topic, type(message).__name__, type(message.msgid).__name__, type(message.created).__name__, repr(message.data))
attempt("remove t3", bus.remove_topic, "t3")
attempt("unsubscribe", bus.unsubscribe, "t3", sub)
attempt("unsubscribe unknown", bus.unsubscribe, "unknown", sub)
attempt("remove t3", bus.remove_topic, "t3")
print("topics", sorted(bus.topics()))
"#;

fn api_answers(server: impl Fn(&Path, &RunningNameServer) -> Command, name: &str) -> Vec<String> {
    let ns = name_server();
    let dir = Scratch::new(name);
    let (_server, lines) = start_server(server(&dir.0, &ns), "sqlite");
    let mut client = python_with_example_path(&dir.0, &ns);
    client.args(["-c", API_CLIENT]);
    let out = client.stdin(Stdio::null()).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // The stats line, printed over itself (after a carriage return) every 10 seconds from the
    // bus's first call on: the first one ends where the second begins.
    assert_eq!(next_line(&lines, "stats"), "");
    let stats = next_line(&lines, "stats");
    assert!(matches("[#-#-# #:#:#] stats: # topics, # subs, # pending, # total     ", &stats), "{stats:?}");
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).collect()
}

#[test]
fn remote_api_as_python() {
    let ours = std::thread::spawn(|| api_answers(|dir, ns| rust_server(dir, &[], ns), "api-rust"));
    let theirs = api_answers(|dir, ns| python_server(dir, &[], ns), "api-python");
    let ours = ours.join().unwrap();
    assert_eq!(ours, theirs);
    // What the answers are (so that neither side can be wrong in the same way unnoticed).
    assert!(theirs.contains(&"add 1 TypeError topic must be str".to_owned()), "{theirs:#?}");
    assert!(theirs.contains(&"send nope KeyError 'nope'".to_owned()), "{theirs:#?}");
    assert!(theirs.contains(&"subscribe mute TypeError subscriber must have incoming_message() method".to_owned()));
    assert!(theirs.contains(&"got t3 Message UUID datetime {'a': [1, (2, 3)], 'b': None}".to_owned()), "{theirs:#?}");
}

/// Three pending messages of 100 kB each do not fit in one call under the server's 256 kB
/// `MAX_MESSAGE_SIZE`: the bus delivers them one by one instead, in order. (Python's bus means
/// to, but Pyro5 5.17 raises a plain `ProtocolError` for a message too large to send, not the
/// `MessageTooLargeError` the bus catches, so it drops the subscriber instead.)
fn large_messages(server: impl Fn(&Path) -> Command, subscriber: Command, ns: &RunningNameServer, name: &str) {
    let dir = Scratch::new(name);
    let first = start_server(server(&dir.0), "sqlite");
    let (_subscriber, messages) = spawn(subscriber, "\n");
    subscribed(&messages, "()");
    drop(first);
    let db = rusqlite::Connection::open(dir.0.join("messages.sqlite")).unwrap();
    let big = "x".repeat(100_000);
    let ids = [
        "00000000-0000-4000-8000-000000000001",
        "00000000-0000-4000-8000-000000000002",
        "00000000-0000-4000-8000-000000000003",
    ];
    for id in ids {
        db.execute(
            "INSERT INTO Message(id, created, topic, msgdata) \
             VALUES (?1, '2026-01-02 03:04:05.678901', (SELECT id FROM Topic WHERE topic='weather-forecast'), ?2)",
            rusqlite::params![id, pickle::dumps(&pyro::Value::from(big.as_str())).unwrap()],
        )
        .unwrap();
    }
    drop(db);
    let _second = start_server(server(&dir.0), "sqlite");
    // The bus starts with its first call.
    let mut call = python_with_example_path(&dir.0, ns);
    call.args(["-c", "import Pyro5.api; Pyro5.api.Proxy('PYRONAME:Pyro.MessageBus').topics()"]);
    assert!(call.status().unwrap().success());
    for id in ids {
        let (msgid, _, data) = printed_message(&messages, "GOT MESSAGE:");
        assert_eq!((msgid.as_str(), data.len()), (id, big.len()));
        assert_eq!(data, big);
    }
}

#[test]
fn rust_server_delivers_large_messages_one_by_one() {
    let ns = name_server();
    large_messages(|dir| rust_server(dir, &[], &ns), python("subscriber.py", &ns), &ns, "large-rust");
}

/// `-u PATH` binds a Unix socket, as Python's `-u` does; Python clients reach the bus through
/// the name server all the same.
#[test]
fn unix_socket_as_python() {
    let ns = name_server();
    let dir = Scratch::new("unix");
    for (server, socket) in [
        (rust_server as fn(&Path, &[&str], &RunningNameServer) -> Command, "rust.sock"),
        (python_server, "python.sock"),
    ] {
        let path = dir.0.join(socket);
        let path = path.to_str().unwrap();
        let (_server, lines) = spawn(server(&dir.0, &["-s", "memory", "-u", path], &ns), "");
        let banner: Vec<String> = (0..4).map(|_| next_line(&lines, "server banner")).collect();
        let uri = banner[1].strip_prefix("    uri  = PYRO:obj_").unwrap_or_else(|| panic!("{banner:?}"));
        assert_eq!(&uri[32..], format!("@./u:{path}"), "{banner:?}");
        assert_eq!(banner[3], "Server running, storage is memory.");
        let mut call = python_with_example_path(&dir.0, &ns);
        let script = "import Pyro5.api\nbus = Pyro5.api.Proxy('PYRONAME:Pyro.MessageBus')\nbus.add_topic('u')\nprint(bus.topics())";
        let out = call.args(["-c", script]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "{'u'}\n");
    }
}

/// Without input, the programs that ask for it end as Python's do: the prompt, then
/// `EOFError: EOF when reading a line` (the last line of Python's traceback), exit code 1.
#[test]
fn end_of_input_as_python() {
    let ns = name_server();
    let run = |mut command: Command| {
        let out = command.stdin(Stdio::null()).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).trim_end().lines().last().unwrap_or("").to_owned();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
    };
    for (ours, theirs) in [
        ("messagebus_publisher", "publisher.py"),
        ("messagebus_subscriber", "subscriber.py"),
        ("messagebus_subscriber_manual_consume", "subscriber_manual_consume.py"),
    ] {
        let ours = run(rust(ours, &ns));
        assert_eq!(ours, run(python(theirs, &ns)), "{theirs}");
        assert_eq!((ours.0, ours.2.as_str()), (Some(1), "EOFError: EOF when reading a line"), "{theirs}");
    }
}

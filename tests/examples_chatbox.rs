//! Pyro5's chatbox example against its Rust port, every program unchanged, with our name server
//! (in this process) and the default serializer (serpent): two clients chat on one channel,
//! `chatbox_server` with Python's `client.py` as the first and `chatbox_client` as the second,
//! then Python's `server.py` with the clients the other way round. Clients and servers print the
//! same lines; the chat box's messages arrive at the clients through their callback objects.
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::io::{Read, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use examples_support::{Process, example, matches, next_lines, python_example, spawn_with_lines};
use pyro_ns::{NameServerBuilder, RunningNameServer};

const LONG: Duration = Duration::from_secs(60);

fn name_server() -> RunningNameServer {
    NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).start().unwrap()
}

fn with_ns(mut command: Command, ns: &RunningNameServer) -> Command {
    command.env("PYRO_NS_HOST", "127.0.0.1").env("PYRO_NS_PORT", ns.uri().port().unwrap().to_string());
    command
}

fn start_server(command: Command) -> (Process, Receiver<String>) {
    let (process, lines) = spawn_with_lines(command);
    let banner = next_lines(&lines, 4, Duration::from_secs(30));
    assert_eq!(banner[0], "Object <class '__main__.ChatBox'>:", "{banner:?}");
    let uri = banner[1].strip_prefix("    uri = PYRO:obj_").unwrap_or_else(|| panic!("{banner:?}"));
    assert!(matches("@localhost:#", &uri[32..]), "{banner:?}");
    assert_eq!(banner[2], "    name = example.chatbox.server");
    assert_eq!(banner[3], "Pyro daemon running.");
    (process, lines)
}

/// A client typed into as it goes; what it prints so far.
struct Interactive {
    process: Process,
    stdin: Option<ChildStdin>,
    output: Arc<Mutex<String>>,
}

impl Interactive {
    fn start(mut command: Command) -> Interactive {
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        let stdin = child.stdin.take();
        let mut stdout = child.stdout.take().unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let collected = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut buffer) {
                collected.lock().unwrap().push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        Interactive { process: Process(child), stdin, output }
    }

    fn type_line(&mut self, line: &str) {
        writeln!(self.stdin.as_mut().unwrap(), "{line}").unwrap();
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + LONG;
        while !self.output().contains(text) {
            assert!(Instant::now() < deadline, "{text:?} never came: {}", self.output());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `/quit`, waits for the end; everything it printed.
    fn quit(mut self) -> String {
        self.type_line("/quit");
        drop(self.stdin.take());
        let deadline = Instant::now() + LONG;
        loop {
            if let Some(status) = self.process.0.try_wait().unwrap() {
                assert!(status.success(), "{}", self.output());
                break;
            }
            assert!(Instant::now() < deadline, "did not quit: {}", self.output());
            std::thread::sleep(Duration::from_millis(20));
        }
        // The reader thread may still be draining the pipe.
        std::thread::sleep(Duration::from_millis(100));
        self.output()
    }
}

/// What the first client prints up to its first prompt for chat lines.
const FIRST_JOINS: &str = "The server has no active channels.\n\
Name for new channel: Choose a nickname: Joined channel lobby as alice\n\
People on this channel: alice\n\
Ready for input! Type /quit to quit\n";

/// What the second client prints up to its first prompt for chat lines.
const SECOND_JOINS: &str = "The following people are on the server: alice\n\
The following channels already exist: lobby\n\
Choose a channel or create a new one: Choose a nickname: Joined channel lobby as bob\n\
People on this channel: alice, bob\n\
Ready for input! Type /quit to quit\n";

/// Alice joins, Bob joins, says hello and quits, Alice quits; everybody prints what Pyro5's
/// programs print.
fn chat(server: Command, alice: Command, bob: Command) {
    let (_server, lines) = start_server(server);
    let mut alice = Interactive::start(alice);
    // Answering each prompt when it comes (rather than typing ahead) leaves Python's client the
    // time its daemon thread needs to register its chatter before `join` sends it (else Pyro5
    // sends the object itself, not a proxy: a race in the Python example).
    alice.wait_for("Name for new channel: ");
    alice.type_line("lobby");
    alice.wait_for("Choose a nickname: ");
    alice.type_line("alice");
    alice.wait_for("Ready for input!");

    let mut bob = Interactive::start(bob);
    bob.wait_for("Choose a channel or create a new one: ");
    bob.type_line("lobby");
    bob.wait_for("Choose a nickname: ");
    bob.type_line("bob");
    bob.wait_for("Ready for input!");
    bob.type_line("hello");
    let out = bob.quit();
    // The server's greeting arrives whenever its oneway call does; bob's own line is not shown
    // to him.
    let bob = without(&out, &["[SERVER] ** bob joined **"]);
    assert!(bob.starts_with(&SECOND_JOINS.replace('\n', "")), "bob: {out}");
    assert!(bob.ends_with("Exit."), "bob: {out}");
    assert!(!out.contains("[bob]"), "bob: {out}");

    let messages = ["[SERVER] ** bob joined **", "[bob] hello", "[SERVER] ** bob left **"];
    for message in messages {
        alice.wait_for(message);
    }
    let printed = alice.quit();
    let alice = without(&printed, &[&["[SERVER] ** alice joined **"][..], &messages[..]].concat());
    assert!(alice.starts_with(&FIRST_JOINS.replace('\n', "")), "alice: {printed}");
    assert!(alice.ends_with("Exit."), "alice: {printed}");

    let printed = next_lines(&lines, 6, LONG);
    assert_eq!(
        printed,
        [
            "CREATING NEW CHANNEL lobby",
            "alice JOINED lobby",
            "bob JOINED lobby",
            "bob LEFT lobby",
            "REMOVED CHANNEL lobby",
            "alice LEFT lobby"
        ]
    );
}

/// `output` without the chat messages `messages` and without line ends: the messages arrive
/// whenever their oneway calls do, and Python's may even interleave their text and newline with
/// other lines, so what is left is compared as one text.
fn without(output: &str, messages: &[&str]) -> String {
    let mut text = output.to_owned();
    for message in messages {
        text = text.replacen(message, "", 1);
    }
    text.replace('\n', "")
}

#[test]
fn rust_server_python_and_rust_clients() {
    let ns = name_server();
    chat(
        with_ns(example("chatbox_server"), &ns),
        with_ns(python_example(pyro_interop::python(), "chatbox", "client.py"), &ns),
        with_ns(example("chatbox_client"), &ns),
    );
}

#[test]
fn python_server_rust_and_python_clients() {
    let ns = name_server();
    chat(
        with_ns(python_example(pyro_interop::python(), "chatbox", "server.py"), &ns),
        with_ns(example("chatbox_client"), &ns),
        with_ns(python_example(pyro_interop::python(), "chatbox", "client.py"), &ns),
    );
}

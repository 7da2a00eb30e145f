//! Pyro5's disconnects example against its Rust port, every program unchanged:
//! `disconnects_server` with Python's `client.py`, and Python's `server.py` with
//! `disconnects_client`. The client calls, stays idle past the server's `COMMTIMEOUT` (5
//! seconds, after which the server drops the connection), then calls again: its ping finds the
//! connection lost and it reconnects. When it calls again at once instead, the ping finds the
//! connection alive. Both clients print the same text, both servers the same lines.
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use examples_support::{Process, assert_banner, example, next_lines, python_example, spawn_with_lines};

const INTRO: &str = "You can run this client on a different computer so you can disable the network connection (by yanking out the lan cable or whatever).
Alternatively, wait for a timeout on the server, which will then close its connection.
Uri of server?   <proxy: ping>
  <proxy: ping reply (still connected)>
result = 12345

Client proxy connection is still open. Disable the network now (or wait until the connection timeout on the server expires) and see what the server does.
Once you see on the server that it got a timeout or a disconnect, enable the network again.
Press enter to continue:
Doing a new call on the same proxy:
  <proxy: ping>
";

const RECONNECTED: &str = "  <proxy: Connection lost. REBINDING...>
  <proxy: Connection restored, continue with actual method call...>
result = 12345
";

const STILL_CONNECTED: &str = "  <proxy: ping reply (still connected)>
result = 12345
";

fn start_server(mut command: Command) -> (Process, Receiver<String>, String) {
    // Python's server logs at debug level on standard error; only its standard output counts.
    command.stderr(Stdio::null());
    let (process, lines) = spawn_with_lines(command);
    let banner = next_lines(&lines, 3, Duration::from_secs(30));
    let uri = assert_banner(&banner, "TestDisconnect", "example.disconnect");
    (process, lines, uri)
}

/// Runs the client: gives it `uri`, waits until it asks for enter, waits `idle` more, presses
/// enter; its standard output once it ended.
fn run_client(mut command: Command, uri: &str, idle: Duration) -> String {
    let mut child = Process(
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the client starts"),
    );
    let mut stdin = child.0.stdin.take().unwrap();
    stdin.write_all(format!("{uri}\n").as_bytes()).unwrap();
    let mut stdout = child.0.stdout.take().unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buffer) {
            if n == 0 || sender.send(buffer[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut text = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !String::from_utf8_lossy(&text).ends_with("Press enter to continue:") {
        let left = deadline.saturating_duration_since(Instant::now());
        text.extend(receiver.recv_timeout(left).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&text))));
    }
    std::thread::sleep(idle);
    stdin.write_all(b"\n").unwrap();
    drop(stdin);
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Ok(chunk) = receiver.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        text.extend(chunk);
    }
    let status = child.0.wait().unwrap();
    let mut stderr = String::new();
    child.0.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(status.success(), "the client failed: {stderr}\n{}", String::from_utf8_lossy(&text));
    String::from_utf8(text).unwrap()
}

fn run(server: impl Fn() -> Command, client: impl Fn() -> Command) {
    // Idle past the server's 5 second COMMTIMEOUT: the server dropped the connection.
    let (_server, server_lines, uri) = start_server(server());
    let printed = run_client(client(), &uri, Duration::from_secs(7));
    assert_eq!(printed, format!("{INTRO}{RECONNECTED}"));
    assert_eq!(next_lines(&server_lines, 2, Duration::from_secs(10)), ["echo:  12345", "echo:  12345"]);
    // Enter pressed at once: the connection is still there.
    let printed = run_client(client(), &uri, Duration::ZERO);
    assert_eq!(printed, format!("{INTRO}{STILL_CONNECTED}"));
    assert_eq!(next_lines(&server_lines, 2, Duration::from_secs(10)), ["echo:  12345", "echo:  12345"]);
}

#[test]
fn rust_server_python_client() {
    run(|| example("disconnects_server"), || python_example(pyro_interop::python(), "disconnects", "client.py"));
}

#[test]
fn python_server_rust_client() {
    run(|| python_example(pyro_interop::python(), "disconnects", "server.py"), || example("disconnects_client"));
}

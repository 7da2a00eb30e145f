//! Pyro5's resourcetracking example against its Rust port, every program unchanged:
//! `resourcetracking_server` with Python's `client.py` (serpent, and msgpack), and Python's
//! `server.py` with `resourcetracking_client`. Each client runs twice: once with standard input
//! ending at the "hit Enter" prompt (the client aborts, its connection closes with both
//! resources still tracked, and the server's disconnect hook lists them before they are
//! closed), then to the end (it frees them itself; the hook lists none). The second run also
//! shows that the aborted client's resources were removed from the service. A client killed
//! while it waits at the prompt (what ^C does to Python's) has its resources closed the same
//! way.
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

use examples_support::{
    Output, Process, assert_banner, example, next_lines, python_example, run_with_input, spawn_with_lines,
};

const LONG: Duration = Duration::from_secs(60);

const URI_PROMPT: &str = "Enter the URI of the server object: ";
const ENTER_PROMPT: &str = "hit Enter now to continue normally or ^C/break to abort the connection forcefully:";

fn python(program: &str) -> Command {
    python_example(pyro_interop::python(), "resourcetracking", program)
}

/// Starts a server program, checks its banner, and returns it with its URI and output lines.
fn start(server: Command) -> (Process, Receiver<String>, String) {
    let (process, lines) = spawn_with_lines(server);
    let uri = assert_banner(&next_lines(&lines, 3, Duration::from_secs(30)), "Service", "service");
    (process, lines, uri)
}

/// Checks a client's output up to the "hit Enter" prompt and returns the two names it allocated.
fn check_start(out: &Output) -> (String, String) {
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines.len() >= 4, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(lines[0], format!("{URI_PROMPT}currently allocated resources: []"), "{}", out.stdout);
    let name = |line: &str| {
        let name = line.strip_prefix("allocating resource... ").unwrap_or_else(|| panic!("{line:?}"));
        assert!((1..=4).contains(&name.len()) && name.chars().all(|c| c.is_ascii_hexdigit() || c == 'x'), "{name}");
        name.to_owned()
    };
    assert_eq!(lines[3], "");
    (name(lines[1]), name(lines[2]))
}

/// The client's address as the server printed it in `allocate`'s lines for `names`.
fn check_allocated(server: &[String], names: &(String, String)) -> String {
    let prefix = |name: &str| format!("service: allocated resource {name}  for client ");
    let addr = server[0].strip_prefix(&prefix(&names.0)).unwrap_or_else(|| panic!("{server:#?}"));
    assert!(addr.starts_with("('") && addr.ends_with(')'), "{addr}");
    assert_eq!(server[1], format!("{}{addr}", prefix(&names.1)));
    addr.to_owned()
}

/// `lines` as a set: Python's server keeps its resources in sets, which list them in any order.
fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

/// Checks what the server printed when the client at `addr` left without freeing `names`: the
/// disconnect hook lists both (Python prints its set's order; ours is the allocation order),
/// then both are closed.
fn check_left_behind(printed: &[String], addr: &str, names: &(String, String)) {
    assert_eq!(printed.len(), 4, "{printed:#?}");
    assert_eq!(printed[0], format!("client disconnects: {addr}"));
    let listed = printed[1].strip_prefix("    resources:  ").unwrap_or_else(|| panic!("{printed:#?}"));
    let in_order = format!("['{}', '{}']", names.0, names.1);
    let reversed = format!("['{}', '{}']", names.1, names.0);
    assert!(listed == in_order || listed == reversed, "{printed:#?}");
    let closing = |n: &String| format!("Resource: closing {n}");
    assert_eq!(sorted(printed[2..].to_vec()), sorted(vec![closing(&names.0), closing(&names.1)]));
}

/// Runs `client` twice against a server printing `server`: aborted, then to the end.
fn abort_then_finish(client: impl Fn() -> Command, server: &Receiver<String>, uri: &str) {
    // Standard input ends at "hit Enter": Python's EOFError, the connection closes.
    let out = run_with_input(client(), &format!("{uri}\n"), LONG);
    assert_eq!(out.code, Some(1), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.stdout.lines().count(), 5, "{}", out.stdout);
    assert_eq!(out.stdout.lines().nth(4), Some(ENTER_PROMPT), "{}", out.stdout);
    assert!(out.stderr.ends_with("EOFError: EOF when reading a line\n"), "{}", out.stderr);
    let names = check_start(&out);
    let printed = next_lines(server, 6, Duration::from_secs(10));
    let addr = check_allocated(&printed, &names);
    check_left_behind(&printed[2..], &addr, &names);
    let closing = |n: &String| format!("Resource: closing {n}");

    // To the end: the resources are freed by the client; none are left for the hook. The
    // aborted client's resources are gone from the service ("currently allocated: []").
    let out = run_with_input(client(), &format!("{uri}\n\n"), LONG);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    let names = check_start(&out);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[4..], [&format!("{ENTER_PROMPT}free resources normally..."), "allocated resources: []", "done."]);
    let printed = next_lines(server, 6, Duration::from_secs(10));
    let addr = check_allocated(&printed, &names);
    let mut expected = if names.0 == names.1 {
        // The same name twice (rarely): the first `free` closes both, as Python's does.
        vec![closing(&names.0), closing(&names.0)]
    } else {
        vec![closing(&names.0), closing(&names.1)]
    };
    expected.extend([format!("client disconnects: {addr}"), "    resources:  []".to_owned()]);
    assert_eq!(printed[2..], expected);
}

#[test]
fn rust_server_python_client() {
    let (_server, lines, uri) = start(example("resourcetracking_server"));
    for serializer in ["serpent", "msgpack"] {
        let client = || {
            let mut command = python("client.py");
            command.env("PYRO_SERIALIZER", serializer);
            command
        };
        abort_then_finish(client, &lines, &uri);
    }
}

#[test]
fn python_server_rust_client() {
    let (_server, lines, uri) = start(python("server.py"));
    abort_then_finish(|| example("resourcetracking_client"), &lines, &uri);
}

#[test]
fn rust_server_rust_client() {
    let (_server, lines, uri) = start(example("resourcetracking_server"));
    abort_then_finish(|| example("resourcetracking_client"), &lines, &uri);
    // No URI at all: Python's EOFError at the first prompt, nothing allocated.
    let out = run_with_input(example("resourcetracking_client"), "", LONG);
    assert_eq!((out.code, out.stdout.as_str()), (Some(1), URI_PROMPT));
    assert_eq!(out.stderr, "EOFError: EOF when reading a line\n");
}

/// Starts `client`, gives it the URI, and kills it once it waits at "hit Enter" (its standard
/// input still open): the server reports the killed client's resources and closes them. (Not
/// before: a client killed before it read a reply resets its connection, and then Python's
/// hook fails on `getpeername()`, printing nothing.)
fn kill_at_the_prompt(mut client: Command, server: &Receiver<String>, uri: &str) {
    let mut child = Process(client.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap());
    let mut stdin = child.0.stdin.take().unwrap();
    stdin.write_all(format!("{uri}\n").as_bytes()).unwrap();
    let mut stdout = child.0.stdout.take().unwrap();
    let (prompted, at_prompt) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let mut buffer = [0u8; 256];
        while let Ok(n @ 1..) = stdout.read(&mut buffer) {
            text.extend_from_slice(&buffer[..n]);
            if String::from_utf8_lossy(&text).ends_with(ENTER_PROMPT) {
                let _ = prompted.send(());
            }
        }
    });
    at_prompt.recv_timeout(Duration::from_secs(30)).expect("the client asks to hit Enter");
    let printed = next_lines(server, 2, Duration::from_secs(10));
    let name =
        |line: &str| line.strip_prefix("service: allocated resource ").unwrap().split_once("  ").unwrap().0.to_owned();
    let names = (name(&printed[0]), name(&printed[1]));
    let addr = check_allocated(&printed, &names);
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    check_left_behind(&next_lines(server, 4, Duration::from_secs(10)), &addr, &names);
    drop(stdin);
}

#[test]
fn killed_clients_resources_are_closed() {
    let (_server, lines, uri) = start(example("resourcetracking_server"));
    kill_at_the_prompt(python("client.py"), &lines, &uri);
    let (_server, lines, uri) = start(python("server.py"));
    kill_at_the_prompt(example("resourcetracking_client"), &lines, &uri);
}

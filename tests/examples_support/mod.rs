//! Shared by the tests that run the example programs against Pyro5's own examples: building and
//! starting example binaries, Python programs from Pyro5 5.17's `examples/` folder, their output
//! lines, and matching lines whose numbers (ports, timings) vary.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A child process, killed when dropped.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The path of an example program, built by `cargo test` next to the test binaries (or built
/// here when only this test was asked for).
pub fn example_binary(name: &str) -> PathBuf {
    let test_exe = std::env::current_exe().expect("test binary path");
    let profile_dir = test_exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let binary = profile_dir.join("examples").join(name);
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "--example", name]);
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        assert!(build.status().expect("running cargo").success(), "building the {name} example failed");
    }
    binary
}

/// An example program with a clean `PYRO_*` environment (Pyro5 programs read it).
pub fn example(name: &str) -> Command {
    let mut command = Command::new(example_binary(name));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PYRO_") {
            command.env_remove(key);
        }
    }
    command
}

/// The folder of one of Pyro5 5.17's examples (`batchedcalls`, `streaming`).
pub fn pyro5_example(folder: &str) -> &'static Path {
    let dir: &'static Path = Box::leak(pyro_interop::pyro5_examples().join(folder).into_boxed_path());
    assert!(dir.is_dir(), "{} is missing", dir.display());
    dir
}

/// `program` (e.g. `client.py`) of `folder`, run by `python` in that folder.
pub fn python_example(python: &pyro_interop::Python, folder: &str, program: &str) -> Command {
    let dir = pyro5_example(folder);
    let mut command = python.command();
    command.arg(dir.join(program)).current_dir(dir);
    command
}

/// Starts `command` with its stdout read line by line on a thread.
pub fn spawn_with_lines(mut command: Command) -> (Process, mpsc::Receiver<String>) {
    command.stdin(Stdio::null());
    lines_of(command)
}

/// [`spawn_with_lines`] with `input` written to the program's stdin (then closed).
pub fn spawn_with_input_lines(mut command: Command, input: &str) -> (Process, mpsc::Receiver<String>) {
    command.stdin(Stdio::piped());
    let (mut process, lines) = lines_of(command);
    process.0.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    (process, lines)
}

fn lines_of(mut command: Command) -> (Process, mpsc::Receiver<String>) {
    let mut child = command.stdout(Stdio::piped()).spawn().expect("the program starts");
    let stdout = child.stdout.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    (Process(child), receiver)
}

/// The next `n` lines, each within `timeout`.
pub fn next_lines(lines: &mpsc::Receiver<String>, n: usize, timeout: Duration) -> Vec<String> {
    let mut got = Vec::new();
    while got.len() < n {
        match lines.recv_timeout(timeout) {
            Ok(line) => got.push(line),
            Err(e) => panic!("after {got:?}: {e}"),
        }
    }
    got
}

/// What a finished program wrote and how it ended.
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` with `input` on its stdin, killing it after `timeout`.
pub fn run_with_input(mut command: Command, input: &str, timeout: Duration) -> Output {
    let mut child = Process(
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the program starts"),
    );
    child.0.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let read = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            pipe.read_to_string(&mut text).unwrap();
            text
        })
    };
    let stdout = read(Box::new(child.0.stdout.take().unwrap()));
    let stderr = read(Box::new(child.0.stderr.take().unwrap()));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the program did not finish within {timeout:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    Output { code: status.code(), stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

/// Whether `line` is `pattern` with each `#` standing for a number (digits and dots, at least
/// one character).
pub fn matches(pattern: &str, line: &str) -> bool {
    let mut pieces = pattern.split('#');
    let Some(rest) = pieces.next().and_then(|first| line.strip_prefix(first)) else {
        return false;
    };
    let mut rest = rest;
    for piece in pieces {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.').len();
        if digits == 0 {
            return false;
        }
        match rest[digits..].strip_prefix(piece) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest.is_empty()
}

/// Asserts that `lines` match `patterns` one for one (see [`matches`]).
pub fn assert_lines(lines: &[&str], patterns: &[&str], what: &str) {
    for (index, (line, pattern)) in lines.iter().zip(patterns).enumerate() {
        assert!(matches(pattern, line), "{what}, line {index}: {line:?} is not {pattern:?}\nall: {lines:#?}");
    }
    assert_eq!(lines.len(), patterns.len(), "{what}: {lines:#?}");
}

/// The banner of Pyro5's `serve(..., use_ns=False)` for one object, and the URI in it.
pub fn assert_banner(banner: &[String], class: &str, object: &str) -> String {
    assert_eq!(banner.len(), 3, "{banner:?}");
    assert_eq!(banner[0], format!("Object <class '__main__.{class}'>:"));
    let uri = banner[1].strip_prefix("    uri = ").unwrap_or_else(|| panic!("{banner:?}"));
    assert!(matches(&format!("PYRO:{object}@localhost:#"), uri), "{banner:?}");
    assert_eq!(banner[2], "Pyro daemon running.");
    uri.to_owned()
}

#[test]
fn numbers_in_patterns() {
    assert!(matches("took # seconds (# calls/sec)", "took 1.25 seconds (300 calls/sec)"));
    assert!(matches("#", "12"));
    assert!(!matches("took # seconds", "took  seconds"));
    assert!(!matches("took # seconds", "took 1 seconds!"));
    assert!(!matches("a#b", "a1c"));
    assert!(matches("exact", "exact") && !matches("exact", "exactly"));
}

//! Shared by the command-line tests: running `pyro-ns` as a child process (killed when dropped)
//! and `pyro-nsc` to completion, with timeouts so that a hung tool fails the test instead of
//! hanging it.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};

use std::process::{Child, Command, ExitStatus, Output, Stdio};

use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a tool may take to start or to finish.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A command for one of this crate's binaries, with no `PYRO_*` settings leaking in from the
/// environment of the test.
pub fn tool(binary: &str) -> Command {
    let mut command = Command::new(binary);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PYRO_") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command
}

/// A `pyro-ns` process, killed when dropped.
pub struct NameServerProcess {
    child: Child,
    lines: Receiver<String>,
    stderr: Arc<Mutex<Vec<String>>>,
    /// The lines it printed up to and including the `URI = ` (or `external URI = `) line.
    pub banner: Vec<String>,
    /// The name server's URI from the banner.
    pub uri: String,
}

impl NameServerProcess {
    /// Starts `pyro-ns args...` and waits for its URI line.
    pub fn start(args: &[&str]) -> NameServerProcess {
        NameServerProcess::start_command(tool(env!("CARGO_BIN_EXE_pyro-ns")).args(args))
    }

    /// Starts `command` (a `pyro-ns` command) and waits for its URI line.
    pub fn start_command(command: &mut Command) -> NameServerProcess {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("pyro-ns starts");
        let lines = line_reader(child.stdout.take().unwrap());
        let pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&stderr);
        // Drain stderr so that logging can never block the name server.
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                eprintln!("[pyro-ns stderr] {line}");
                collected.lock().unwrap().push(line);
            }
        });
        let mut process = NameServerProcess { child, lines, stderr, banner: Vec::new(), uri: String::new() };
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let line = match process.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => line,
                Err(_) => panic!("pyro-ns printed no URI line; it printed {:?}", process.banner),
            };
            process.banner.push(line.clone());
            if let Some(uri) = line.strip_prefix("URI = ").or_else(|| line.strip_prefix("external URI = ")) {
                process.uri = uri.to_owned();
                return process;
            }
        }
    }

    /// The TCP port of the URI.
    pub fn port(&self) -> u16 {
        self.uri.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// What it wrote on stderr so far.
    pub fn stderr(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGINT (what Ctrl-C sends) and waits for the exit; returns the exit status and
    /// the lines printed after the banner.
    pub fn interrupt(&mut self) -> (ExitStatus, Vec<String>) {
        self.signal("-INT")
    }

    /// Sends `signal` (e.g. `-TERM`) and waits for the exit; returns the status and the
    /// remaining stdout lines.
    pub fn signal(&mut self, signal: &str) -> (ExitStatus, Vec<String>) {
        let status = Command::new("kill").args([signal, &self.pid().to_string()]).status().expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
        let status = wait(&mut self.child, TIMEOUT).expect("pyro-ns exits after the signal");
        // The reader ends when the process's stdout closes.
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(TIMEOUT) {
            rest.push(line);
        }
        (status, rest)
    }
}

impl Drop for NameServerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Reads `stream` line by line on a thread.
fn line_reader(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// Waits at most `timeout` for `child` to exit.
pub fn wait(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// Runs `command` to completion with `stdin` as its input, killing it after [`TIMEOUT`].
pub fn run(command: &mut Command, stdin: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?} starts: {e}"));
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_owned();
    std::thread::spawn(move || {
        let _ = input.write_all(stdin.as_bytes());
    });
    let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let status = wait(&mut child, TIMEOUT).unwrap_or_else(|| panic!("{command:?} did not finish within {TIMEOUT:?}"));
    Output { status, stdout: out.join().unwrap().into_bytes(), stderr: err.join().unwrap().into_bytes() }
}

/// The result of a `pyro-nsc` run.
#[derive(Debug)]
pub struct Ran {
    /// The exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Ran {
    /// Asserts success and returns stdout.
    pub fn ok(self) -> String {
        assert_eq!(self.code, Some(0), "the command failed: {self:?}");
        assert!(!self.stderr.contains("panicked"), "{self:?}");
        self.stdout
    }

    /// Asserts failure with exit code `code` (and no panic) and returns stderr.
    pub fn failed(self, code: i32) -> String {
        assert_eq!(self.code, Some(code), "expected exit code {code}: {self:?}");
        assert!(!self.stderr.contains("panicked"), "{self:?}");
        self.stderr
    }
}

impl From<Output> for Ran {
    fn from(output: Output) -> Ran {
        Ran {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// `pyro-nsc -n 127.0.0.1 -p <port> args...` with empty stdin.
pub fn nsc(port: u16, args: &[&str]) -> Ran {
    nsc_with_input(port, args, "")
}

/// `pyro-nsc -n 127.0.0.1 -p <port> args...` with `stdin` as input.
pub fn nsc_with_input(port: u16, args: &[&str], stdin: &str) -> Ran {
    nsc_with_env(port, args, stdin, &[])
}

/// `pyro-nsc -n 127.0.0.1 -p <port> args...` with `stdin` as input and `env` set (e.g.
/// `PYRO_SERIALIZER`).
pub fn nsc_with_env(port: u16, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Ran {
    let port = port.to_string();
    let mut command = tool(env!("CARGO_BIN_EXE_pyro-nsc"));
    command.args(["-n", "127.0.0.1", "-p", &port]).args(args).envs(env.iter().copied());
    run(&mut command, stdin).into()
}

/// `pyro-nsc args...` (no host or port added).
pub fn nsc_raw(args: &[&str], env: &[(&str, &str)]) -> Ran {
    let mut command = tool(env!("CARGO_BIN_EXE_pyro-nsc"));
    command.args(args).envs(env.iter().copied());
    run(&mut command, "").into()
}

#[path = "../tempdir/mod.rs"]
mod tempdir;
#[allow(unused_imports)]
pub use tempdir::TempDir;

/// `pyro-nsc list` output for the three sample registrations the nsc tests make
/// (`example.one` tagged blue and red, `example.two`, `other.three` tagged red) on the name server
/// at `ns_uri`.
#[allow(dead_code)]
pub fn sample_listing(ns_uri: &dyn std::fmt::Display) -> String {
    format!(
        "--------START LIST \n\
         Pyro.NameServer --> {ns_uri}\n    metadata: {{'class:Pyro5.nameserver.NameServer'}}\n\
         example.one --> PYRO:one@localhost:1111\n    metadata: {{'blue', 'red'}}\n\
         example.two --> PYRO:two@localhost:2222\n\
         other.three --> PYRO:three@localhost:3333\n    metadata: {{'red'}}\n\
         --------END LIST \n"
    )
}

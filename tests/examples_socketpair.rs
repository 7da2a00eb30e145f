//! Pyro5's socketpair example against its Rust ports: `socketpair_pair_thread` prints exactly
//! what Python's `pair-thread.py` prints, and `socketpair_pair_fork` what `pair-fork.py`
//! prints (process ids aside; the lines of its two processes in the order each printed them,
//! interleaved as they happen, as with Python's).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

mod examples_support;

use std::time::Duration;

use examples_support::{example, python_example, run_with_input};

const LONG: Duration = Duration::from_secs(60);

/// The output lines with every `PID=<number>` as `PID=#`, and the process ids seen.
fn without_pids(stdout: &str) -> (Vec<String>, Vec<String>) {
    let mut pids = Vec::new();
    let lines = stdout
        .lines()
        .map(|line| match line.split_once("PID=") {
            Some((before, rest)) => {
                let (pid, after) = rest.split_once(':').unwrap();
                pids.push(pid.to_owned());
                format!("{before}PID=#:{after}")
            }
            None => line.to_owned(),
        })
        .collect();
    (lines, pids)
}

/// Whether `wanted` appears in `lines` in that order (other lines between).
fn in_order(lines: &[String], wanted: &[&str]) -> bool {
    let mut wanted = wanted.iter().peekable();
    for line in lines {
        if wanted.peek().is_some_and(|w| *w == line) {
            wanted.next();
        }
    }
    wanted.peek().is_none()
}

const REPLIES: [&str; 4] = ["hello!", "hello again!", "hello2!", "hello2 again!"];

#[test]
fn pair_thread_prints_what_python_prints() {
    let python = run_with_input(python_example(pyro_interop::python(), "socketpair", "pair-thread.py"), "", LONG);
    assert_eq!(python.code, Some(0), "{}", python.stderr);
    let rust = run_with_input(example("socketpair_pair_thread"), "", LONG);
    assert_eq!(rust.code, Some(0), "{}", rust.stderr);
    assert_eq!(rust.stderr, "");
    assert_eq!(rust.stdout, python.stdout);
    assert!(rust.stdout.starts_with("(Pyro daemon running on ./u:<<not-bound>> )\n\n"), "{}", rust.stdout);
}

#[test]
fn pair_fork_prints_what_python_prints() {
    let python = run_with_input(python_example(pyro_interop::python(), "socketpair", "pair-fork.py"), "", LONG);
    assert_eq!(python.code, Some(0), "{}", python.stderr);
    let rust = run_with_input(example("socketpair_pair_fork"), "", LONG);
    assert_eq!(rust.code, Some(0), "{}", rust.stderr);
    assert_eq!(rust.stderr, "");
    let (python_lines, _) = without_pids(&python.stdout);
    let (rust_lines, pids) = without_pids(&rust.stdout);
    // Two processes, each announcing itself.
    assert_eq!(pids.len(), 2, "{}", rust.stdout);
    assert_ne!(pids[0], pids[1]);
    let mut sorted_python = python_lines.clone();
    let mut sorted_rust = rust_lines.clone();
    sorted_python.sort();
    sorted_rust.sort();
    assert_eq!(sorted_rust, sorted_python, "{}", rust.stdout);
    let client: Vec<&str> = ["Process PID=#: Pyro client."]
        .into_iter()
        .chain(["client got reply: thank you"; 4])
        .chain(["", "The end."])
        .collect();
    let server_lines: Vec<String> = REPLIES.iter().map(|m| format!("server got message:  {m}")).collect();
    let mut server = vec!["Process PID=#: Pyro daemon running on ./u:<<not-bound>>"];
    server.extend(server_lines.iter().map(String::as_str));
    for lines in [&rust_lines, &python_lines] {
        assert!(in_order(lines, &client), "{lines:#?}");
        assert!(in_order(lines, &server), "{lines:#?}");
    }
    assert_eq!(rust_lines.last().map(String::as_str), Some("The end."));
}

//! The `pyro-ns` program logs as Pyro5's name server does: with `PYRO_LOGLEVEL` set, to
//! `PYRO_LOGFILE` (default `pyro5.log` in the current directory); without it, nothing.
#![allow(clippy::unwrap_used)]

mod cli_common;

use cli_common::{NameServerProcess, TempDir, tool};
use pyro::NameServerProxy;

/// Starts `pyro-ns` in `dir` with `vars`, registers and removes a name, stops it with SIGTERM;
/// returns what it wrote on standard error and the port it served on.
fn run_name_server(dir: &std::path::Path, vars: &[(&str, &str)]) -> (Vec<String>, u16) {
    let mut command = tool(env!("CARGO_BIN_EXE_pyro-ns"));
    command.args(["-n", "127.0.0.1", "-p", "0", "-x"]).current_dir(dir);
    for (key, value) in vars {
        command.env(key, value);
    }
    let mut ns = NameServerProcess::start_command(&mut command);
    let port = ns.port();
    let proxy = NameServerProxy::new(ns.uri.parse().unwrap());
    proxy.register("logging.test", &"PYRO:thing@localhost:1234".parse().unwrap(), false, None).unwrap();
    assert_eq!(proxy.remove(Some("logging.test"), None, None).unwrap(), 1);
    drop(proxy);
    let (status, rest) = ns.signal("-TERM");
    assert!(status.success(), "exit status after SIGTERM: {status}");
    assert_eq!(rest, ["NS shut down."]);
    (ns.stderr(), port)
}

#[test]
fn with_loglevel_it_logs_to_the_logfile() {
    let dir = TempDir::new("logging-file");
    let log = dir.file("ns.log");
    let (stderr, port) =
        run_name_server(dir.path(), &[("PYRO_LOGLEVEL", "DEBUG"), ("PYRO_LOGFILE", log.to_str().unwrap())]);
    assert!(stderr.is_empty(), "{stderr:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].ends_with(",pyro,INFO] Pyro log configured using built-in defaults, level=DEBUG"), "{}", lines[0]);
    let has = |level: &str, target: &str, parts: &[&str]| {
        let head = format!(",{target},{level}] ");
        let found = lines.iter().any(|line| line.contains(&head) && parts.iter().all(|part| line.contains(part)));
        assert!(found, "no {level} line of {target} with {parts:?} in:\n{text}");
    };
    let location = format!("127.0.0.1:{port}");
    has("INFO", "pyro::ns", &["name server daemon created", &location]);
    has("INFO", "pyro::ns", &["name server running", &format!("PYRO:Pyro.NameServer@{location}")]);
    has("DEBUG", "pyro::ns", &["register", "name=logging.test", "uri=PYRO:thing@localhost:1234"]);
    has("DEBUG", "pyro::ns", &["remove", "name=logging.test"]);
    has("INFO", "pyro::ns", &["name server shut down"]);
    has("DEBUG", "pyro::daemon", &["connected 127.0.0.1:", " - unencrypted"]);
    has("DEBUG", "pyro::daemon", &["handshake accepted from 127.0.0.1:"]);
    has("DEBUG", "pyro::daemon", &["daemon ", &location, " shutting down"]);
    assert!(dir.file("pyro5.log").metadata().is_err(), "only the LOGFILE is written");
}

#[test]
fn with_loglevel_info_debug_lines_are_left_out_and_the_file_is_pyro5_log() {
    let dir = TempDir::new("logging-info");
    let (stderr, _) = run_name_server(dir.path(), &[("PYRO_LOGLEVEL", "INFO")]);
    assert!(stderr.is_empty(), "{stderr:?}");
    let text = std::fs::read_to_string(dir.file("pyro5.log")).unwrap();
    assert!(text.contains(",pyro::ns,INFO] name server running"), "{text}");
    assert!(!text.contains(",DEBUG] "), "{text}");
}

#[test]
fn without_loglevel_nothing_is_logged() {
    let dir = TempDir::new("logging-off");
    let (stderr, _) = run_name_server(dir.path(), &[("PYRO_LOGFILE", "ns.log")]);
    assert!(stderr.is_empty(), "{stderr:?}");
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(files.is_empty(), "{files:?}");
}

#[test]
fn a_bad_loglevel_is_refused_at_startup() {
    let output = cli_common::run(
        tool(env!("CARGO_BIN_EXE_pyro-ns")).args(["-n", "127.0.0.1", "-p", "0", "-x"]).env("PYRO_LOGLEVEL", "LOUD"),
        "",
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("LOGLEVEL") && stderr.contains("unknown log level \"LOUD\""), "{stderr}");
}

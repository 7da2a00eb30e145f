//! The `pyro-ns` program: what it prints on start, that `pyro-nsc` reaches it, Ctrl-C (SIGINT)
//! shutting it down cleanly, SQL storage surviving a restart, and bad options reported as
//! errors (never a panic).
#![allow(clippy::unwrap_used)]

mod cli_common;

use cli_common::{NameServerProcess, TempDir, nsc, nsc_raw, run, tool};

#[test]
fn prints_where_it_listens_and_answers_nsc() {
    let ns = NameServerProcess::start(&["-n", "127.0.0.1", "-p", "0", "-x"]);
    let port = ns.port();
    assert_ne!(port, 0);
    assert_eq!(
        ns.banner,
        [
            "Not starting broadcast server (--nobc).".to_owned(),
            format!("NS running on 127.0.0.1:{port} (127.0.0.1)"),
            format!("URI = PYRO:Pyro.NameServer@127.0.0.1:{port}"),
        ]
    );
    assert_eq!(nsc(port, &["ping"]).ok(), "Name server ping ok.\n");
    assert_eq!(
        nsc(port, &["lookup", "Pyro.NameServer"]).ok(),
        format!("{}\nmetadata: {{'class:Pyro5.nameserver.NameServer'}}\n", ns.uri)
    );
}

#[test]
fn ctrl_c_shuts_it_down_with_exit_code_0() {
    let mut ns = NameServerProcess::start(&["-n", "127.0.0.1", "-p", "0", "-x"]);
    let port = ns.port();
    nsc(port, &["ping"]).ok();
    let (status, rest) = ns.interrupt();
    assert!(status.success(), "exit status after SIGINT: {status}");
    assert_eq!(rest, ["NS shut down."]);
    // It is really gone.
    let stderr = nsc(port, &["ping"]).failed(1);
    assert!(stderr.starts_with("Error: Failed to locate the nameserver"), "{stderr}");
}

#[test]
fn sigterm_shuts_it_down_with_exit_code_0() {
    let mut ns = NameServerProcess::start(&["-n", "127.0.0.1", "-p", "0", "-x"]);
    let (status, rest) = ns.signal("-TERM");
    assert!(status.success(), "exit status after SIGTERM: {status}");
    assert_eq!(rest, ["NS shut down."]);
}

#[test]
fn ctrl_c_with_a_client_connected_still_exits() {
    let mut ns = NameServerProcess::start(&["-n", "127.0.0.1", "-p", "0", "-x"]);
    // An idle connection stays open while the name server is interrupted.
    let idle = std::net::TcpStream::connect(("127.0.0.1", ns.port())).unwrap();
    let (status, rest) = ns.interrupt();
    assert!(status.success(), "exit status after SIGINT: {status}");
    assert_eq!(rest, ["NS shut down."]);
    drop(idle);
}

#[test]
fn sql_storage_keeps_names_across_a_restart() {
    let dir = TempDir::new("sql");
    let storage = format!("sql:{}", dir.file("names.db").display());

    let mut ns = NameServerProcess::start(&["-n", "127.0.0.1", "-p", "0", "-x", "-s", &storage]);
    assert!(!ns.banner.iter().any(|line| line.starts_with("Persistent store")), "{:?}", ns.banner);
    let port = ns.port();
    assert_eq!(nsc(port, &["register", "example.kept", "PYRO:kept@localhost:4444"]).ok(), "Registered example.kept\n");
    nsc(port, &["setmeta", "example.kept", "blue", "round"]).ok();
    let (status, _) = ns.interrupt();
    assert!(status.success());

    // A new process on another port finds the registration (and re-registers itself there).
    let mut ns = NameServerProcess::start(&["-n", "127.0.0.1", "-p", "0", "-x", "-s", &storage]);
    assert!(ns.banner.contains(&"Persistent store contains 2 existing registrations.".to_owned()), "{:?}", ns.banner);
    let port = ns.port();
    assert_eq!(nsc(port, &["lookup", "example.kept"]).ok(), "PYRO:kept@localhost:4444\nmetadata: {'blue', 'round'}\n");
    assert_eq!(nsc(port, &["lookup", "Pyro.NameServer"]).ok().lines().next(), Some(ns.uri.as_str()));
    let (status, _) = ns.interrupt();
    assert!(status.success());
}

#[test]
fn logs_go_to_stderr_at_the_level_of_pyro_loglevel_with_logfile_stderr() {
    let mut command = tool(env!("CARGO_BIN_EXE_pyro-ns"));
    command.args(["-n", "127.0.0.1", "-p", "0", "-x"]).env("PYRO_LOGLEVEL", "INFO").env("PYRO_LOGFILE", "{stderr}");
    let mut ns = NameServerProcess::start_command(&mut command);
    let (status, rest) = ns.interrupt();
    assert!(status.success());
    assert_eq!(rest, ["NS shut down."], "logging stays off stdout");
    let stderr = ns.stderr().join("\n");
    assert!(stderr.contains("INFO") && stderr.contains("name server running"), "{stderr}");
    assert!(!stderr.contains("\u{1b}["), "no colours when stderr is not a terminal: {stderr}");
    assert!(stderr.contains("name server shut down"), "{stderr}");

    // Nothing by default, as Pyro5 (the log file cases are in `logging.rs`).
    let mut ns = NameServerProcess::start(&["-n", "127.0.0.1", "-p", "0", "-x"]);
    ns.interrupt();
    assert_eq!(ns.stderr(), Vec::<String>::new());
}

#[test]
fn loopback_hosts_get_no_broadcast_server() {
    let ns = NameServerProcess::start(&["-n", "127.0.0.1", "-p", "0"]);
    assert_eq!(ns.banner.first().map(String::as_str), Some("Not starting broadcast server for localhost."));
}

#[test]
fn broadcast_server_answers_nsc_without_a_host() {
    let ns = NameServerProcess::start(&["-n", "0.0.0.0", "-p", "0", "--bchost", "127.0.0.1", "--bcport", "0"]);
    let line = ns.banner.first().unwrap();
    let bcport = line.strip_prefix("Broadcast server running on 127.0.0.1:").unwrap_or_else(|| panic!("{line}"));
    // Without -n, -p is the broadcast port; broadcast to 127.0.0.1 only, and no name server
    // at NS_HOST, so only the broadcast can find it.
    let env = [("PYRO_BROADCAST_ADDRS", "127.0.0.1"), ("PYRO_NS_HOST", "invalid.invalid")];
    let out = nsc_raw(&["-v", "-p", bcport, "ping"], &env).ok();
    let port = ns.port();
    assert!(out.contains(&format!("Name server found: PYRO:Pyro.NameServer@127.0.0.1:{port}\n")), "{out}");
    assert!(out.contains("Name server ping ok.\n"), "{out}");
}

#[test]
fn nat_settings_give_an_internal_and_an_external_uri() {
    let ns = NameServerProcess::start(&[
        "-n",
        "127.0.0.1",
        "-p",
        "0",
        "-x",
        "--nathost",
        "ns.example.com",
        "--natport",
        "5555",
    ]);
    assert_eq!(ns.uri, "PYRO:Pyro.NameServer@ns.example.com:5555");
    let internal =
        ns.banner.iter().find_map(|line| line.strip_prefix("internal URI = PYRO:Pyro.NameServer@127.0.0.1:"));
    let port: u16 = internal.unwrap_or_else(|| panic!("{:?}", ns.banner)).parse().unwrap();
    // Registered under its external URI.
    assert_eq!(nsc(port, &["lookup", "Pyro.NameServer"]).ok().lines().next(), Some(ns.uri.as_str()));
}

#[cfg(unix)]
#[test]
fn unix_socket() {
    let dir = TempDir::new("unix");
    let path = dir.file("ns.sock");
    let path = path.to_str().unwrap();
    let mut ns = NameServerProcess::start(&["-u", path, "-s", "memory"]);
    assert!(ns.banner.contains(&format!("NS running on ./u:{path} (Unix domain socket)")), "{:?}", ns.banner);
    assert_eq!(ns.uri, format!("PYRO:Pyro.NameServer@./u:{path}"));
    assert_eq!(nsc_raw(&["-u", path, "ping"], &[]).ok(), "Name server ping ok.\n");
    let (status, _) = ns.interrupt();
    assert!(status.success());
}

#[test]
fn bad_options_are_reported_not_panicked() {
    let out = run(tool(env!("CARGO_BIN_EXE_pyro-ns")).args(["-s", "bogus"]), "");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid storage type 'bogus'"), "{stderr}");

    let out = run(tool(env!("CARGO_BIN_EXE_pyro-ns")).args(["-p", "not-a-port"]), "");
    assert_eq!(out.status.code(), Some(2));

    let out = run(tool(env!("CARGO_BIN_EXE_pyro-ns")).args(["-s", "sql::memory:"]), "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_port_in_use_is_an_error_message() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = run(tool(env!("CARGO_BIN_EXE_pyro-ns")).args(["-n", "127.0.0.1", "-p", &port, "-x"]), "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("pyro-ns: error: cannot start the name server"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unreadable_sql_file_is_an_error_message() {
    let dir = TempDir::new("badsql");
    let file = dir.file("not-a-db");
    std::fs::write(&file, b"this is not an sqlite database, not even close; it is just text.........").unwrap();
    let storage = format!("sql:{}", file.display());
    let out = run(tool(env!("CARGO_BIN_EXE_pyro-ns")).args(["-n", "127.0.0.1", "-p", "0", "-x", "-s", &storage]), "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("pyro-ns: error: cannot start the name server"), "{stderr}");
}

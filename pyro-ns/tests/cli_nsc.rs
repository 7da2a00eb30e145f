//! The `pyro-nsc` program against a name server in this process: every command with its exact
//! output (Pyro5's `pyro5-nsc` format), the confirmation of `removematching`, and failures as
//! `Error: ...` messages with a non-zero exit code; and both programs with every serializer as
//! `PYRO_SERIALIZER`.
#![allow(clippy::unwrap_used)]

mod cli_common;

use cli_common::{NameServerProcess, nsc, nsc_raw, nsc_with_env, nsc_with_input, tool};
use pyro_ns::{NameServerBuilder, RunningNameServer};

fn name_server() -> (RunningNameServer, u16) {
    let ns = NameServerBuilder::new().host("127.0.0.1").port(0).broadcast(false).start().unwrap();
    let port = ns.uri().port().unwrap();
    (ns, port)
}

/// Registers a few names: two with metadata, one without.
fn populate(port: u16) {
    for (name, uri) in [
        ("example.one", "PYRO:one@localhost:1111"),
        ("example.two", "PYRO:two@localhost:2222"),
        ("other.three", "PYRO:three@localhost:3333"),
    ] {
        assert_eq!(nsc(port, &["register", name, uri]).ok(), format!("Registered {name}\n"));
    }
    assert_eq!(nsc(port, &["setmeta", "example.one", "red", "blue"]).ok(), "Metadata updated\n");
    assert_eq!(nsc(port, &["setmeta", "other.three", "red"]).ok(), "Metadata updated\n");
}

#[test]
fn ping() {
    let (_ns, port) = name_server();
    assert_eq!(nsc(port, &["ping"]).ok(), "Name server ping ok.\n");
}

#[test]
fn verbose_says_where_it_found_the_name_server() {
    let (ns, port) = name_server();
    assert_eq!(
        nsc(port, &["-v", "ping"]).ok(),
        format!("Locating name server...\nName server found: {}\nName server ping ok.\nDone.\n", ns.uri())
    );
    // Options may come after the command too, as with pyro5-nsc.
    assert_eq!(nsc_raw(&["ping", "-n", "127.0.0.1", "-p", &port.to_string()], &[]).ok(), "Name server ping ok.\n");
}

#[test]
fn list_listmatching_and_lookup() {
    let (ns, port) = name_server();
    populate(port);
    assert_eq!(nsc(port, &["list"]).ok(), cli_common::sample_listing(&ns.uri()));
    assert_eq!(
        nsc(port, &["list", "example."]).ok(),
        "--------START LIST - prefix 'example.'\n\
         example.one --> PYRO:one@localhost:1111\n    metadata: {'blue', 'red'}\n\
         example.two --> PYRO:two@localhost:2222\n\
         --------END LIST - prefix 'example.'\n"
    );
    assert_eq!(
        nsc(port, &["listmatching", r".*\.t"]).ok(),
        "--------START LIST - regex '.*\\.t'\n\
         example.two --> PYRO:two@localhost:2222\n\
         other.three --> PYRO:three@localhost:3333\n    metadata: {'red'}\n\
         --------END LIST - regex '.*\\.t'\n"
    );
    assert_eq!(
        nsc(port, &["list", "nothing."]).ok(),
        "--------START LIST - prefix 'nothing.'\n--------END LIST - prefix 'nothing.'\n"
    );
    assert_eq!(nsc(port, &["lookup", "example.one"]).ok(), "PYRO:one@localhost:1111\nmetadata: {'blue', 'red'}\n");
    assert_eq!(nsc(port, &["lookup", "example.two"]).ok(), "PYRO:two@localhost:2222\n");
}

#[test]
fn yplookup_all_and_any() {
    let (_ns, port) = name_server();
    populate(port);
    assert_eq!(
        nsc(port, &["yplookup_all", "red", "blue"]).ok(),
        "--------START LIST  - searched by metadata\n\
         example.one --> PYRO:one@localhost:1111\n    metadata: {'blue', 'red'}\n\
         --------END LIST  - searched by metadata\n"
    );
    assert_eq!(
        nsc(port, &["yplookup_any", "red", "green"]).ok(),
        "--------START LIST  - searched by metadata\n\
         example.one --> PYRO:one@localhost:1111\n    metadata: {'blue', 'red'}\n\
         other.three --> PYRO:three@localhost:3333\n    metadata: {'red'}\n\
         --------END LIST  - searched by metadata\n"
    );
    assert_eq!(
        nsc(port, &["yplookup_any", "green"]).ok(),
        "--------START LIST  - searched by metadata\n--------END LIST  - searched by metadata\n"
    );
}

#[test]
fn register_refuses_a_taken_name() {
    let (ns, port) = name_server();
    assert_eq!(nsc(port, &["register", "example.x", "PYRO:x@localhost:1"]).ok(), "Registered example.x\n");
    let stderr = nsc(port, &["register", "example.x", "PYRO:y@localhost:2"]).failed(1);
    assert_eq!(stderr, "Error: NamingError - name already registered: example.x\n");
    assert_eq!(ns.name_server().lookup("example.x".into(), None).unwrap().uri().to_string(), "PYRO:x@localhost:1");
}

#[test]
fn setmeta_updates_and_clears() {
    let (_ns, port) = name_server();
    nsc(port, &["register", "example.x", "PYRO:x@localhost:1"]).ok();
    assert_eq!(nsc(port, &["setmeta", "example.x", "a", "b", "a"]).ok(), "Metadata updated\n");
    assert_eq!(nsc(port, &["lookup", "example.x"]).ok(), "PYRO:x@localhost:1\nmetadata: {'a', 'b'}\n");
    assert_eq!(nsc(port, &["setmeta", "example.x"]).ok(), "Metadata cleared\n");
    assert_eq!(nsc(port, &["lookup", "example.x"]).ok(), "PYRO:x@localhost:1\n");
    let stderr = nsc(port, &["setmeta", "nobody", "a"]).failed(1);
    assert_eq!(stderr, "Error: NamingError - unknown name: nobody\n");
}

#[test]
fn remove() {
    let (_ns, port) = name_server();
    populate(port);
    assert_eq!(nsc(port, &["remove", "example.one"]).ok(), "Removed example.one\n");
    assert_eq!(nsc(port, &["remove", "example.one"]).ok(), "Nothing removed\n");
    assert_eq!(nsc(port, &["remove", "Pyro.NameServer"]).ok(), "Nothing removed\n");
}

const QUESTION: &str = "Potentially removing lots of items from the Name server. Are you sure (y/n)?";

#[test]
fn removematching_asks_first() {
    let (ns, port) = name_server();
    populate(port);
    // "n", anything else, or no answer at all: nothing is removed, nothing more is said.
    for answer in ["n\n", "yes\n", ""] {
        assert_eq!(nsc_with_input(port, &["removematching", "example"], answer).ok(), format!("{QUESTION}\n"));
        assert_eq!(ns.name_server().count().unwrap(), 4, "after answering {answer:?}");
    }
    assert_eq!(
        nsc_with_input(port, &["removematching", "example"], " y \n").ok(),
        format!("{QUESTION}\n2 items removed.\n")
    );
    assert_eq!(ns.name_server().count().unwrap(), 2);
    assert_eq!(nsc_with_input(port, &["removematching", ".*"], "Y\n").ok(), format!("{QUESTION}\n1 items removed.\n"));
    assert_eq!(ns.name_server().count().unwrap(), 1);
}

#[test]
fn removematching_yes_does_not_ask() {
    let (ns, port) = name_server();
    populate(port);
    assert_eq!(nsc(port, &["removematching", "--yes", r"example\.t"]).ok(), "1 items removed.\n");
    assert_eq!(nsc(port, &["removematching", "-y", "nothing"]).ok(), "0 items removed.\n");
    assert_eq!(ns.name_server().count().unwrap(), 3);
}

#[test]
fn errors_are_messages_with_exit_code_1() {
    let (_ns, port) = name_server();
    assert_eq!(nsc(port, &["lookup", "nobody"]).failed(1), "Error: NamingError - unknown name: nobody\n");
    let stderr = nsc(port, &["register", "bad", "foo"]).failed(1);
    assert!(stderr.starts_with("Error: PyroError - invalid uri"), "{stderr}");
    let stderr = nsc(port, &["listmatching", "(unclosed"]).failed(1);
    assert!(stderr.starts_with("Error: NamingError - invalid regex"), "{stderr}");
    let stderr = nsc(port, &["removematching", "-y", "(unclosed"]).failed(1);
    assert!(stderr.starts_with("Error: NamingError - invalid regex"), "{stderr}");
}

#[test]
fn no_name_server_is_an_error_message() {
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let stderr = nsc(port, &["ping"]).failed(1);
    assert!(
        stderr.starts_with(&format!("Error: Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:{port}")),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_with_2() {
    let (_ns, port) = name_server();
    for args in [
        &["lookup"][..],
        &["register", "only-a-name"],
        &["yplookup_all"],
        &["yplookup_any"],
        &["listmatching"],
        &["nonsense"],
        &[],
    ] {
        let stderr = nsc(port, args).failed(2);
        assert!(stderr.contains("Usage:"), "{args:?}: {stderr}");
    }
    let stderr = nsc_raw(&["-p", "99999", "ping"], &[]).failed(2);
    assert!(stderr.contains("99999"), "{stderr}");
}

#[test]
fn a_reader_that_goes_away_is_no_panic() {
    let (_ns, port) = name_server();
    populate(port);
    let mut child = cli_common::tool(env!("CARGO_BIN_EXE_pyro-nsc"))
        .args(["-n", "127.0.0.1", "-p", &port.to_string(), "list"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // as `pyro-nsc list | head -0` would
    let status = cli_common::wait(&mut child, cli_common::TIMEOUT).expect("pyro-nsc finishes");
    let stderr = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(stderr, "");
}

/// `pyro-ns` and `pyro-nsc` both run with `PYRO_SERIALIZER` set to each serializer: every
/// command works and prints what it prints over the default.
#[test]
fn every_serializer_as_pyro_serializer() {
    for serializer in ["serpent", "marshal", "json", "msgpack"] {
        let env = [("PYRO_SERIALIZER", serializer)];
        let mut command = tool(env!("CARGO_BIN_EXE_pyro-ns"));
        command.args(["-n", "127.0.0.1", "-p", "0", "-x"]).envs(env);
        let ns = NameServerProcess::start_command(&mut command);
        let port = ns.port();
        let run = |args: &[&str]| nsc_with_env(port, args, "", &env);
        assert_eq!(run(&["ping"]).ok(), "Name server ping ok.\n", "{serializer}");
        for (name, uri) in [
            ("example.one", "PYRO:one@localhost:1111"),
            ("example.two", "PYRO:two@localhost:2222"),
            ("other.three", "PYRO:three@localhost:3333"),
        ] {
            assert_eq!(run(&["register", name, uri]).ok(), format!("Registered {name}\n"), "{serializer}");
        }
        assert_eq!(run(&["setmeta", "example.one", "red", "blue"]).ok(), "Metadata updated\n");
        assert_eq!(run(&["setmeta", "other.three", "red"]).ok(), "Metadata updated\n");
        assert_eq!(run(&["list"]).ok(), cli_common::sample_listing(&ns.uri), "{serializer}");
        assert_eq!(
            run(&["lookup", "example.one"]).ok(),
            "PYRO:one@localhost:1111\nmetadata: {'blue', 'red'}\n",
            "{serializer}"
        );
        let found = run(&["yplookup_any", "red"]).ok();
        assert!(found.contains("other.three --> PYRO:three@localhost:3333\n    metadata: {'red'}"), "{found}");
        assert_eq!(run(&["lookup", "nobody"]).failed(1), "Error: NamingError - unknown name: nobody\n");
        assert_eq!(
            nsc_with_env(port, &["removematching", ".*"], "y\n", &env).ok().lines().last(),
            Some("3 items removed.")
        );
        // And the default agrees.
        assert_eq!(nsc(port, &["list"]).ok().lines().count(), 4, "{serializer}: only the name server is left");
    }
}

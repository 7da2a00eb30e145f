//! The command-line tools against their Python twins (Pyro5 5.17):
//!
//! - Python's `python -m Pyro5.nsc` against our `pyro-ns`, every command, over every serializer;
//! - our `pyro-nsc` against Python's `python -m Pyro5.nameserver`, every command, with the same
//!   output as Python's own `pyro5-nsc` there, over every serializer (`PYRO_SERIALIZER`);
//! - Python's `locate_ns()` finding our `pyro-ns` by UDP broadcast;
//! - the same with a Pyro5 without msgpack ([`pyro_interop::python_plain`]) and its defaults.
#![allow(clippy::unwrap_used)]

mod cli_common;

use std::process::Command;

use cli_common::{NameServerProcess, Ran, nsc, nsc_with_env, run};

/// `python -m Pyro5.nsc -n 127.0.0.1 -p <port> args...` in `python`, over `serializer`
/// (Pyro5's default, serpent, when empty).
fn python_nsc_in(python: &pyro_interop::Python, port: u16, serializer: &str, args: &[&str], stdin: &str) -> Ran {
    let mut command = python.command();
    if !serializer.is_empty() {
        command.env("PYRO_SERIALIZER", serializer);
    }
    command.args(["-m", "Pyro5.nsc", "-n", "127.0.0.1", "-p", &port.to_string()]);
    run(command.args(args), stdin).into()
}

fn python() -> Command {
    pyro_interop::python().command()
}

/// A listing or lookup with every metadata set written as a sorted Python set: Python prints a
/// set in a random order, and metadata that came over msgpack as a list.
fn normalized(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        match line.split_once("metadata: ") {
            Some((head, items)) if items.len() >= 2 => {
                let inner = items.get(1..items.len() - 1).unwrap();
                let mut tags: Vec<&str> = inner.split(", ").filter(|t| !t.is_empty()).collect();
                tags.sort_unstable();
                out.push_str(&format!("{head}metadata: {{{}}}\n", tags.join(", ")));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// The first line of a Python `pyro5-nsc` failure: its `Error: ...` line (then a traceback).
fn python_error(ran: Ran) -> String {
    assert_ne!(ran.code, Some(0), "expected a failure: {ran:?}");
    ran.stdout.lines().find(|line| line.starts_with("Error: ")).unwrap_or_else(|| panic!("{ran:?}")).to_owned()
}

const QUESTION: &str = "Potentially removing lots of items from the Name server. Are you sure (y/n)?";

/// The read-only commands whose output both tools must print identically.
const READS: [&[&str]; 9] = [
    &["ping"],
    &["list"],
    &["list", "example."],
    &["listmatching", r".*\.t"],
    &["lookup", "example.one"],
    &["lookup", "example.two"],
    &["yplookup_all", "red", "blue"],
    &["yplookup_any", "red", "green"],
    &["yplookup_any", "green"],
];

#[test]
fn python_nsc_against_our_name_server() {
    let ns = NameServerProcess::start(&["-n", "127.0.0.1", "-p", "0", "-x"]);
    let port = ns.port();
    let (full, plain) = (pyro_interop::python(), pyro_interop::python_plain());
    // The plain Pyro5 (no msgpack) first with its defaults (serpent), then its other serializers.
    let runs = [(full, "serpent"), (full, "marshal"), (full, "json"), (full, "msgpack")];
    for (python, serializer) in runs.into_iter().chain([(plain, ""), (plain, "marshal"), (plain, "json")]) {
        let python_nsc = |port, serializer, args: &[&str], stdin| python_nsc_in(python, port, serializer, args, stdin);
        let py = |args: &[&str]| python_nsc(port, serializer, args, "").ok();
        assert_eq!(py(&["ping"]), "Name server ping ok.\n");
        assert_eq!(py(&["register", "example.one", "PYRO:one@localhost:1111"]), "Registered example.one\n");
        assert_eq!(py(&["register", "example.two", "PYRO:two@localhost:2222"]), "Registered example.two\n");
        assert_eq!(py(&["register", "other.three", "PYRO:three@localhost:3333"]), "Registered other.three\n");
        assert_eq!(py(&["setmeta", "example.one", "red", "blue"]), "Metadata updated\n");
        assert_eq!(py(&["setmeta", "other.three", "red"]), "Metadata updated\n");

        assert_eq!(
            normalized(&py(&["list", "example."])),
            "--------START LIST - prefix 'example.'\n\
             example.one --> PYRO:one@localhost:1111\n    metadata: {'blue', 'red'}\n\
             example.two --> PYRO:two@localhost:2222\n\
             --------END LIST - prefix 'example.'\n"
        );
        assert_eq!(normalized(&py(&["lookup", "example.one"])), "PYRO:one@localhost:1111\nmetadata: {'blue', 'red'}\n");
        for args in READS {
            let ours = nsc(port, args).ok();
            assert_eq!(normalized(&py(args)), normalized(&ours), "{serializer}: {args:?}");
        }

        // Failures: the same message from both tools.
        for args in [
            &["lookup", "nobody"][..],
            &["register", "example.one", "PYRO:x@localhost:1"],
            &["listmatching", "(unclosed"],
            &["setmeta", "nobody", "x"],
        ] {
            let theirs = python_error(python_nsc(port, serializer, args, ""));
            let ours = nsc(port, args).failed(1);
            // (The regex crate's messages span several lines; Python prints the first first.)
            assert_eq!(ours.lines().next(), Some(theirs.as_str()), "{serializer}: {args:?}");
        }
        let theirs = python_error(python_nsc(port, serializer, &["register", "bad", "foo"], ""));
        assert!(theirs.starts_with("Error: PyroError - invalid uri"), "{theirs}");

        assert_eq!(py(&["setmeta", "example.one"]), "Metadata cleared\n");
        assert_eq!(py(&["lookup", "example.one"]), "PYRO:one@localhost:1111\n");
        assert_eq!(py(&["remove", "example.two"]), "Removed example.two\n");
        assert_eq!(py(&["remove", "example.two"]), "Nothing removed\n");
        // removematching: "n" keeps everything, "y" removes (Python does not end the prompt's line).
        let out = python_nsc(port, serializer, &["removematching", ".*e"], "n\n").ok();
        assert_eq!(out, QUESTION);
        let out = python_nsc(port, serializer, &["removematching", ".*e"], "y\n").ok();
        assert_eq!(out, format!("{QUESTION}2 items removed.\n"));
        let listing = py(&["list"]);
        assert_eq!(listing.lines().count(), 4, "only the name server is left: {listing}");
        assert!(listing.contains(&format!("Pyro.NameServer --> {}\n", ns.uri)), "{listing}");
    }
}

#[test]
fn our_nsc_against_pythons_name_server() {
    for serializer in ["serpent", "marshal", "json", "msgpack"] {
        our_nsc_against(pyro_interop::python(), serializer);
    }
}

/// A Pyro5 without msgpack serves its name server over serpent, marshal and json.
#[test]
fn our_nsc_against_a_plain_pythons_name_server() {
    for serializer in ["serpent", "marshal", "json"] {
        our_nsc_against(pyro_interop::python_plain(), serializer);
    }
}

/// Our `pyro-nsc` with `PYRO_SERIALIZER=serializer` against a fresh `python -m Pyro5.nameserver`
/// of `python`, every command, compared with Python's own `pyro5-nsc` (over serpent).
fn our_nsc_against(python: &pyro_interop::Python, serializer: &str) {
    let ns = NameServerProcess::start_command(python.command().args([
        "-m",
        "Pyro5.nameserver",
        "-n",
        "127.0.0.1",
        "-p",
        "0",
        "-x",
    ]));
    let port = ns.port();
    let env = [("PYRO_SERIALIZER", serializer)];
    let nsc = |args: &[&str]| nsc_with_env(port, args, "", &env);
    let nsc_with_input = |args: &[&str], stdin: &str| nsc_with_env(port, args, stdin, &env);
    let python_nsc = |args: &[&str]| python_nsc_in(python, port, "serpent", args, "");
    assert_eq!(nsc(&["ping"]).ok(), "Name server ping ok.\n");
    assert_eq!(nsc(&["register", "example.one", "PYRO:one@localhost:1111"]).ok(), "Registered example.one\n");
    // Registered without metadata: Pyro5 then cannot send list(return_metadata=True) over
    // msgpack; pyro-nsc lists anyway.
    assert_eq!(nsc(&["register", "example.two", "PYRO:two@localhost:2222"]).ok(), "Registered example.two\n");
    assert_eq!(nsc(&["register", "other.three", "PYRO:three@localhost:3333"]).ok(), "Registered other.three\n");
    assert_eq!(nsc(&["setmeta", "example.one", "red", "blue"]).ok(), "Metadata updated\n");
    assert_eq!(nsc(&["setmeta", "other.three", "red"]).ok(), "Metadata updated\n");

    // Pyro5's own limitation: over marshal its name server cannot answer `lookup` with
    // metadata (its marshal serializer converts only a top-level URI, not one in a tuple), and
    // Python's own tool fails the same way there.
    let unmarshallable = "Error: ValueError - unmarshallable object";
    let marshal = serializer == "marshal";
    // Every read prints what Python's own tool prints (over its default serializer, serpent).
    for args in READS {
        if marshal && args[0] == "lookup" {
            assert_eq!(nsc(args).failed(1), format!("{unmarshallable}\n"), "{args:?}");
            let theirs = python_error(python_nsc_in(python, port, "marshal", args, ""));
            assert_eq!(theirs, unmarshallable, "{args:?}");
            continue;
        }
        let ours = nsc(args).ok();
        let theirs = python_nsc(args).ok();
        assert_eq!(normalized(&ours), normalized(&theirs), "{serializer}: {args:?}");
    }
    assert_eq!(nsc(&["list"]).ok(), cli_common::sample_listing(&ns.uri));

    for args in [
        &["lookup", "nobody"][..],
        &["register", "example.one", "PYRO:x@localhost:1"],
        &["listmatching", "(unclosed"],
        &["setmeta", "nobody", "x"],
    ] {
        let ours = nsc(args).failed(1);
        let theirs = python_error(python_nsc(args));
        assert_eq!(ours, format!("{theirs}\n"), "{serializer}: {args:?}");
    }

    assert_eq!(nsc(&["setmeta", "example.one"]).ok(), "Metadata cleared\n");
    if marshal {
        assert_eq!(nsc(&["lookup", "example.one"]).failed(1), format!("{unmarshallable}\n"));
    } else {
        assert_eq!(nsc(&["lookup", "example.one"]).ok(), "PYRO:one@localhost:1111\n");
    }
    assert_eq!(nsc(&["remove", "example.two"]).ok(), "Removed example.two\n");
    assert_eq!(nsc(&["remove", "example.two"]).ok(), "Nothing removed\n");
    assert_eq!(nsc_with_input(&["removematching", ".*e"], "n\n").ok(), format!("{QUESTION}\n"));
    assert_eq!(nsc_with_input(&["removematching", ".*e"], "y\n").ok(), format!("{QUESTION}\n2 items removed.\n"));
    let listing = python_nsc(&["list"]).ok();
    assert_eq!(listing.lines().count(), 4, "only the name server is left: {listing}");
}

#[test]
fn python_locate_ns_finds_our_name_server_by_broadcast() {
    let ns = NameServerProcess::start(&["-n", "0.0.0.0", "-p", "0", "--bcport", "0"]);
    let line = ns.banner.first().unwrap();
    let bcport = line.strip_prefix("Broadcast server running on 0.0.0.0:").unwrap_or_else(|| panic!("{line}"));
    // NS_HOST is not local, so Pyro5 skips its direct attempt at localhost:9090: only the
    // broadcast (to Pyro5's default BROADCAST_ADDRS, <broadcast> and 0.0.0.0) can find it.
    let script = "import sys, Pyro5.api\n\
                  ns = Pyro5.api.locate_ns(port=int(sys.argv[1]))\n\
                  ns.ping()\n\
                  print(ns._pyroUri.port, ns.count(), ns.lookup('Pyro.NameServer').port)\n";
    let mut command = python();
    command.env("PYRO_SERIALIZER", "msgpack").env("PYRO_NS_HOST", "invalid.invalid").args(["-c", script, bcport]);
    let out = run(&mut command, "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let port = ns.port();
    assert_eq!(stdout, format!("{port} 1 {port}\n"));
}

/// A stock Pyro5 without msgpack, default configuration (serpent): `locate_ns()` by broadcast
/// and by host and port finds our `pyro-ns`.
#[test]
fn plain_python_locate_ns_finds_our_name_server() {
    let ns = NameServerProcess::start(&["-n", "0.0.0.0", "-p", "0", "--bcport", "0"]);
    let line = ns.banner.first().unwrap();
    let bcport = line.strip_prefix("Broadcast server running on 0.0.0.0:").unwrap_or_else(|| panic!("{line}"));
    let port = ns.port();
    let script = "import sys, Pyro5.api\n\
                  by_broadcast = Pyro5.api.locate_ns(port=int(sys.argv[1]))\n\
                  direct = Pyro5.api.locate_ns('127.0.0.1', int(sys.argv[2]))\n\
                  for ns in (by_broadcast, direct):\n\
                  \x20   print(Pyro5.config.SERIALIZER, ns._pyroUri.port, ns.count(), sorted(ns.list()))\n";
    let mut command = pyro_interop::python_plain().command();
    command.env("PYRO_NS_HOST", "invalid.invalid").args(["-c", script, bcport, &port.to_string()]);
    let out = run(&mut command, "");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let line = format!("serpent {port} 1 ['Pyro.NameServer']\n");
    assert_eq!(stdout, format!("{line}{line}"));
}

//! `PYRO_*` environment variables reach every constructor that takes no `Config`, as Pyro5
//! reads them for every object; explicit configuration still wins, and a bad variable is an
//! error where one can be returned. So does pyro's own `PYRO5_NS_LOCATIONS`.
//!
//! Each check runs in a child process (this test binary, running one ignored test) with the
//! variables set, so nothing here changes the environment of the parallel tests.

#![allow(clippy::unwrap_used)]

use std::process::Command;
use std::time::Duration;

use pyro_runtime::naming::NameServerProxy;
use pyro_runtime::proxy::Proxy;
use pyro_runtime::{Config, Daemon, Serializer, Uri};

/// Runs the ignored test `name` of this binary with `vars` set; panics with its output unless
/// it passed, else returns the output.
fn run_child(name: &str, vars: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new(exe);
    command.args(["--ignored", "--exact", name, "--test-threads", "1", "--nocapture"]);
    // Only the variables under test: the parent may have PYRO_* variables of its own.
    for (key, _) in std::env::vars_os() {
        if key.as_encoded_bytes().starts_with(b"PYRO_") {
            command.env_remove(key);
        }
    }
    command.envs(vars.iter().copied());
    let output = command.output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && text.contains("1 passed"), "child {name} failed:\n{text}");
    text
}

fn uri() -> Uri {
    "PYRO:thing@localhost:9999".parse().unwrap()
}

#[test]
fn environment_configures_proxies_and_daemons() {
    let output = run_child(
        "child_sees_the_environment",
        &[
            ("PYRO_SERIALIZER", "json"),
            ("PYRO_COMMTIMEOUT", "2.5"),
            ("PYRO_MAX_RETRIES", "3"),
            ("PYRO_HOST", "127.0.0.1"),
            ("PYRO_THREADPOOL_SIZE", "7"),
            ("PYRO_THREADPOOL_SIZE_MIN", "2"),
        ],
    );
    assert!(!output.contains("pyro: ignoring"), "{output}");
}

#[test]
#[ignore = "run by environment_configures_proxies_and_daemons with PYRO_* variables set"]
fn child_sees_the_environment() {
    let env = Config::environment().unwrap();
    assert_eq!((env.serializer, env.max_retries, env.threadpool_size), (Some(Serializer::Json), 3, 7));
    assert_eq!(Config::default().serializer, None, "the defaults stay pure");

    for proxy in [Proxy::new(uri()), Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap()] {
        assert_eq!(proxy.serializer(), Serializer::Json);
        assert_eq!(proxy.timeout(), Some(Duration::from_millis(2500)));
        assert_eq!(proxy.max_retries(), 3);
    }
    assert_eq!(NameServerProxy::new(uri()).proxy().serializer(), Serializer::Json);
    // Explicit configuration wins.
    let explicit = Proxy::with_config(uri(), &Config::default());
    assert_eq!((explicit.serializer(), explicit.max_retries()), (Serializer::Msgpack, 0));

    let daemon = Daemon::builder().port(0).bind().unwrap();
    assert_eq!(daemon.config().threadpool_size, 7);
    assert!(daemon.location().to_string().starts_with("127.0.0.1:"), "{}", daemon.location());
    assert_eq!(Daemon::bind("127.0.0.1", 0).unwrap().config().threadpool_size, 7);
    let explicit = Daemon::builder().config(Config::default()).host("127.0.0.1").port(0).bind().unwrap();
    assert_eq!(explicit.config().threadpool_size, 80);
}

#[test]
fn bad_environment_is_an_error_where_possible() {
    let output = run_child("child_sees_a_bad_environment", &[("PYRO_NS_PORT", "lots"), ("PYRO_SERIALIZER", "json")]);
    // Proxy::new's fallback is announced, once.
    let warning = "pyro: ignoring the PYRO_* environment variables (invalid Pyro config value: NS_PORT=lots";
    assert_eq!(output.matches(warning).count(), 1, "{output}");
}

#[test]
#[ignore = "run by bad_environment_is_an_error_where_possible with a bad PYRO_NS_PORT"]
fn child_sees_a_bad_environment() {
    let want = "invalid Pyro config value: NS_PORT=lots";
    let message = |e: pyro_runtime::Error| e.to_string();
    assert!(Config::environment().unwrap_err().to_string().starts_with(want));
    assert!(message(Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap_err()).contains(want));
    assert!(message(Daemon::bind("127.0.0.1", 0).unwrap_err()).contains(want));
    let name: Uri = "PYRONAME:thing".parse().unwrap();
    assert!(message(pyro_runtime::naming::resolve(&name).unwrap_err()).contains(want));
    assert!(message(pyro_runtime::naming::locate_ns(None, None).unwrap_err()).contains(want));
    // Proxy::new cannot fail: it uses the defaults (not even the valid PYRO_SERIALIZER).
    assert_eq!(Proxy::new(uri()).serializer(), Serializer::Msgpack);
    assert_eq!(NameServerProxy::new(uri()).proxy().serializer(), Serializer::Msgpack);
    // Explicit configuration does not look at the environment.
    let daemon = Daemon::builder().config(Config::default()).host("127.0.0.1").port(0).bind().unwrap();
    assert_eq!(daemon.config().ns_port, 9090);
}

#[test]
fn unknown_pyro_variable_is_an_error() {
    let _ = run_child("child_sees_an_unknown_variable", &[("PYRO_NO_SUCH_ITEM", "1")]);
}

#[test]
#[ignore = "run by unknown_pyro_variable_is_an_error with PYRO_NO_SUCH_ITEM set"]
fn child_sees_an_unknown_variable() {
    let err = Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap_err();
    assert_eq!(err.to_string(), "invalid Pyro environment config variable: PYRO_NO_SUCH_ITEM");
}

/// A port where nothing listens.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn pyro5_ns_locations_reaches_name_resolution() {
    let locations = format!("127.0.0.1:{}, [::1]:{}", closed_port(), closed_port());
    // No broadcast (PREFER_IP_VERSION=6), so that only the locations are tried.
    let _ =
        run_child("child_sees_ns_locations", &[("PYRO5_NS_LOCATIONS", &locations), ("PYRO_PREFER_IP_VERSION", "6")]);
}

#[test]
#[ignore = "run by pyro5_ns_locations_reaches_name_resolution with PYRO5_NS_LOCATIONS set"]
fn child_sees_ns_locations() {
    let env = Config::environment().unwrap();
    let [first, second] = &env.ns_locations[..] else { panic!("{:?}", env.ns_locations) };
    assert!(second.to_string().starts_with("[::1]:"), "{second}");
    let tried_both = |err: pyro_runtime::Error| {
        let text = err.to_string();
        assert!(text.contains(&format!("at PYRO:Pyro.NameServer@{first}: ")), "{text}");
        assert!(text.contains(&format!("; at PYRO:Pyro.NameServer@{second}: ")), "{text}");
    };
    let name: Uri = "PYRONAME:thing".parse().unwrap();
    tried_both(pyro_runtime::naming::resolve(&name).unwrap_err());
    tried_both(pyro_runtime::naming::locate_ns(None, None).unwrap_err());
    tried_both(Proxy::from_uri_str("PYRONAME:thing").unwrap().call::<_, ()>("ping", &()).unwrap_err());
    tried_both(Proxy::new(name).call::<_, ()>("ping", &()).unwrap_err());
}

#[test]
fn pyro_ns_locations_is_refused_as_python_refuses_it() {
    let _ = run_child("child_sees_pyro_ns_locations", &[("PYRO_NS_LOCATIONS", "127.0.0.1:9090")]);
}

#[test]
#[ignore = "run by pyro_ns_locations_is_refused_as_python_refuses_it with PYRO_NS_LOCATIONS set"]
fn child_sees_pyro_ns_locations() {
    let err = Proxy::from_uri_str("PYRONAME:thing").unwrap_err();
    assert_eq!(
        err.to_string(),
        "wrong prefix for the environment config variable PYRO_NS_LOCATIONS: set PYRO5_NS_LOCATIONS \
         (pyro's own items use PYRO5_, Pyro5's use PYRO_)"
    );
}

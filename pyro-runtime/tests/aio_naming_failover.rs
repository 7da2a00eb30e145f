//! Async failover between name servers, with real `pyro-ns` processes sharing one name space
//! (both on one SQLite file), as `naming_failover.rs` tests the blocking side: an async
//! `PYRONAME:` proxy configured with both locations keeps working when the first is killed
//! with SIGKILL and its daemon moves; the location that answered is tried first next time
//! (blocking and async searches share that memory); all of them down is an error naming each;
//! an explicit `@host:port` means that name server only.
//!
//! The `pyro-ns` binary is the one `cargo test` builds for the workspace; when only this test
//! was asked for it is built here.

#![cfg(feature = "tokio")]
#![allow(clippy::unwrap_used)]

use std::sync::atomic::Ordering;

use pyro_runtime::aio::{self, Proxy};
use pyro_runtime::uri::Location;
use pyro_runtime::{Config, Error, Uri};

mod ns_failover_support;

use ns_failover_support::{NameServer, Running, TempDir, closed_port, closing_listener, config};

#[tokio::test]
async fn an_async_proxy_resolves_through_the_next_name_server_when_the_first_is_killed() {
    let dir = TempDir::new("aio-kill");
    let first = NameServer::start("127.0.0.1", &dir.db(), &["-x"]);
    let second = NameServer::start("127.0.0.1", &dir.db(), &["-x"]);
    let locations = [first.location(), second.location()];
    let (first_port, second_port) = (first.port(), second.port());

    let old_home = Running::start();
    let tags = std::collections::BTreeSet::from(["aiofailover:tag".to_string()]);
    first.client().register("aiofailover.thing", &old_home.uri(), false, Some(&tags)).unwrap();

    // The async locate goes through the configured locations (first answers).
    let ns = aio::locate_ns_with_config(None, None, &config(&locations)).await.unwrap();
    assert_eq!(ns.uri().port(), Some(first_port));
    assert_eq!(ns.lookup("aiofailover.thing").await.unwrap(), old_home.uri());

    let settings = Config { max_retries: 1, ..config(&locations) };
    let proxy = Proxy::with_config("PYRONAME:aiofailover.thing".parse().unwrap(), &settings);
    let registered: Vec<String> = proxy.call("registered", &()).await.unwrap();
    assert_eq!(registered, ["Pyro.Daemon"]);
    assert_eq!(proxy.resolved_uri(), Some(old_home.uri()));

    // The first name server dies; the daemon moves and registers again through whichever name
    // server is up (the async locate_ns_any goes on to the second).
    first.kill();
    drop(old_home);
    let new_home = Running::start();
    let ns = aio::locate_ns_any_with_config(&locations, &config(&[])).await.unwrap();
    assert_eq!(ns.uri().port(), Some(second_port));
    ns.register("aiofailover.thing", &new_home.uri(), false, Some(&tags)).await.unwrap();

    // The proxy's connection is gone: it reconnects, resolving through the second name server.
    let () = proxy.call("ping", &()).await.unwrap();
    assert_eq!(proxy.resolved_uri(), Some(new_home.uri()));
    let meta: Uri = "PYROMETA:aiofailover:tag".parse().unwrap();
    assert_eq!(aio::resolve_with_config(&meta, &config(&locations)).await.unwrap(), new_home.uri());

    // The second answered last, so the next resolution starts there: a listener on the first
    // name server's old port sees no connection.
    let knocks = closing_listener(first_port);
    let fresh = Proxy::with_config("PYRONAME:aiofailover.thing".parse().unwrap(), &config(&locations));
    let () = fresh.call("ping", &()).await.unwrap();
    assert_eq!(knocks.load(Ordering::SeqCst), 0, "the location that answered last is tried first");
    // The blocking resolution shares that memory.
    let name: Uri = "PYRONAME:aiofailover.thing".parse().unwrap();
    assert_eq!(pyro_runtime::naming::resolve_with_config(&name, &config(&locations)).unwrap(), new_home.uri());
    assert_eq!(knocks.load(Ordering::SeqCst), 0);

    // An unknown name is an answer: no failover to the other name server.
    let unknown: Uri = "PYRONAME:aiofailover.nothing".parse().unwrap();
    let err = aio::resolve_with_config(&unknown, &config(&locations)).await.unwrap_err();
    assert!(matches!(&err, Error::Naming { message } if message == "unknown name: aiofailover.nothing"), "{err}");
    assert_eq!(knocks.load(Ordering::SeqCst), 0);

    // Now the second dies too; the first location closes every connection in the middle of
    // the lookup: both fail, and the error says how each did.
    second.kill();
    let err = aio::resolve_with_config(&name, &config(&locations)).await.unwrap_err();
    let Error::Naming { message } = &err else { panic!("{err:?}") };
    let expected_start = format!(
        "Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:{second_port}: connection to \
         127.0.0.1:{second_port} refused; at PYRO:Pyro.NameServer@127.0.0.1:{first_port}: connection closed while "
    );
    assert!(message.starts_with(&expected_start), "{message}");
    assert!(knocks.load(Ordering::SeqCst) >= 1);
    // The proxy too: its daemon is still there, but a new connection needs a name server.
    drop(new_home);
    let err = proxy.call::<_, ()>("ping", &()).await.unwrap_err();
    assert!(err.to_string().contains("Failed to locate the nameserver at "), "{err}");
}

#[tokio::test]
async fn all_locations_down_is_an_error_naming_each() {
    let (one, two) = (closed_port(), closed_port());
    let locations = [Location::tcp("127.0.0.1", one), Location::tcp("localhost", two)];
    let settings = Config { prefer_ip_version: pyro_runtime::config::IpVersion::V6, ..config(&locations) };
    let proxy = Proxy::with_config("PYRONAME:anything".parse().unwrap(), &settings);
    let err = proxy.call::<_, ()>("ping", &()).await.unwrap_err();
    let Error::Naming { message } = &err else { panic!("{err:?}") };
    assert!(
        message.starts_with(&format!(
            "Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:{one}: connection to 127.0.0.1:{one} \
             refused; at PYRO:Pyro.NameServer@localhost:{two}: "
        )),
        "{message}"
    );
    assert_eq!(err.python_class(), "Pyro5.errors.NamingError");
    let err = aio::locate_ns_with_config(None, None, &settings).await.unwrap_err();
    assert!(err.to_string().contains(&format!("; at PYRO:Pyro.NameServer@localhost:{two}: ")), "{err}");
    // An explicit location in the URI means that name server only, as in Pyro5.
    let pinned: Uri = format!("PYRONAME:anything@127.0.0.1:{two}").parse().unwrap();
    let expected = format!(
        "naming error: Failed to locate the nameserver at PYRO:Pyro.NameServer@127.0.0.1:{two}: connection to \
         127.0.0.1:{two} refused"
    );
    let err = aio::resolve_with_config(&pinned, &settings).await.unwrap_err();
    assert_eq!(err.to_string(), expected);
    let err = Proxy::with_config(pinned, &settings).call::<_, ()>("ping", &()).await.unwrap_err();
    assert_eq!(err.to_string(), expected);
    // So does a host given to locate_ns.
    let err = aio::locate_ns_with_config(Some("127.0.0.1"), Some(two), &settings).await.unwrap_err();
    assert_eq!(err.to_string(), expected);
}

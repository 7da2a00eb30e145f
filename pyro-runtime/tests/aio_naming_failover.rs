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

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pyro_runtime::aio::{self, Proxy};
use pyro_runtime::naming::NameServerProxy;
use pyro_runtime::uri::Location;
use pyro_runtime::{Config, Daemon, Error, Uri};

const TIMEOUT: Duration = Duration::from_secs(20);

/// The `pyro-ns` binary of this target directory, built if missing.
fn pyro_ns_binary() -> PathBuf {
    let test_exe = std::env::current_exe().unwrap();
    let profile_dir = test_exe.parent().and_then(Path::parent).unwrap();
    let binary = profile_dir.join(format!("pyro-ns{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "-p", "pyro5-ns", "--bin", "pyro-ns"]);
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        assert!(build.status().unwrap().success(), "building pyro-ns failed");
    }
    binary
}

/// A `pyro-ns` process, killed when dropped.
struct NameServer {
    child: Child,
    uri: Uri,
}

impl NameServer {
    /// `pyro-ns -n <host> -p 0 -s sql:<db> <extra...>`, once it printed its URI.
    fn start(host: &str, db: &Path, extra: &[&str]) -> NameServer {
        let mut command = Command::new(pyro_ns_binary());
        for (key, _) in std::env::vars_os() {
            if key.as_encoded_bytes().starts_with(b"PYRO") {
                command.env_remove(key);
            }
        }
        let storage = format!("sql:{}", db.display());
        command.args(["-n", host, "-p", "0", "-s", &storage]).args(extra);
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (lines, received) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + TIMEOUT;
        let mut seen = Vec::new();
        loop {
            match received.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => match line.strip_prefix("URI = ") {
                    Some(uri) => return NameServer { uri: uri.parse().unwrap(), child },
                    None => seen.push(line),
                },
                Err(_) => {
                    let _ = child.kill();
                    panic!("pyro-ns printed no URI; it printed {seen:?}");
                }
            }
        }
    }

    fn location(&self) -> Location {
        self.uri.location().unwrap().clone()
    }

    fn port(&self) -> u16 {
        self.uri.port().unwrap()
    }

    fn client(&self) -> NameServerProxy {
        NameServerProxy::with_config(self.uri.clone(), &config(&[]))
    }

    /// SIGKILL: no shutdown, the port is closed by the kernel.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for NameServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("pyro-failover-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn db(&self) -> PathBuf {
        self.0.join("names.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A daemon serving its `Pyro.Daemon` object in a thread; shut down when dropped.
struct Running {
    daemon: Arc<Daemon>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    fn start() -> Running {
        let daemon = Arc::new(Daemon::builder().config(Config::default()).host("127.0.0.1").port(0).bind().unwrap());
        let looping = Arc::clone(&daemon);
        let thread = std::thread::spawn(move || looping.request_loop().unwrap());
        Running { daemon, thread: Some(thread) }
    }

    fn uri(&self) -> Uri {
        self.daemon.uri_for("Pyro.Daemon").unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.daemon.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Settings with a timeout (so that nothing hangs) and these name server locations.
fn config(locations: &[Location]) -> Config {
    Config { comm_timeout: Some(Duration::from_secs(5)), ..Config::default() }.with_ns_locations(locations.to_vec())
}

/// A port where nothing listens.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Listens at `127.0.0.1:port` and closes every connection at once (after reading a little):
/// a name server that dies in the middle of each lookup. Counts the connections.
fn closing_listener(port: u16) -> Arc<AtomicUsize> {
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut some = [0u8; 8];
            let _ = std::io::Read::read(&mut stream, &mut some);
        }
    });
    accepted
}

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

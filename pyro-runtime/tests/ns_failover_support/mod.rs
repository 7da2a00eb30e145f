//! What the name server failover tests (`naming_failover.rs`, `aio_naming_failover.rs`) share:
//! `pyro-ns` processes on one SQLite file, a daemon, settings with name server locations, and
//! listeners that refuse or close connections.
// Each test file uses its own part of it.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use pyro_runtime::naming::NameServerProxy;
use pyro_runtime::uri::Location;
use pyro_runtime::{Config, Daemon, Uri};

pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The `pyro-ns` binary of this target directory, built if missing.
pub fn pyro_ns_binary() -> PathBuf {
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
pub struct NameServer {
    child: Child,
    pub uri: Uri,
    /// The lines printed before the URI.
    pub banner: Vec<String>,
}

impl NameServer {
    /// `pyro-ns -n <host> -p 0 -s sql:<db> <extra...>`, once it printed its URI.
    pub fn start(host: &str, db: &Path, extra: &[&str]) -> NameServer {
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
                    Some(uri) => return NameServer { uri: uri.parse().unwrap(), child, banner: seen },
                    None => seen.push(line),
                },
                Err(_) => {
                    let _ = child.kill();
                    panic!("pyro-ns printed no URI; it printed {seen:?}");
                }
            }
        }
    }

    pub fn location(&self) -> Location {
        self.uri.location().unwrap().clone()
    }

    pub fn port(&self) -> u16 {
        self.uri.port().unwrap()
    }

    pub fn client(&self) -> NameServerProxy {
        NameServerProxy::with_config(self.uri.clone(), &config(&[]))
    }

    /// SIGKILL: no shutdown, the port is closed by the kernel.
    pub fn kill(mut self) {
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
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let dir = std::env::temp_dir().join(format!("pyro-failover-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn db(&self) -> PathBuf {
        self.0.join("names.db")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A daemon serving its `Pyro.Daemon` object in a thread; shut down when dropped.
pub struct Running {
    pub daemon: Arc<Daemon>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    pub fn start() -> Running {
        let daemon = Arc::new(Daemon::builder().config(Config::default()).host("127.0.0.1").port(0).bind().unwrap());
        let looping = Arc::clone(&daemon);
        let thread = std::thread::spawn(move || looping.request_loop().unwrap());
        Running { daemon, thread: Some(thread) }
    }

    pub fn uri(&self) -> Uri {
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
pub fn config(locations: &[Location]) -> Config {
    Config { comm_timeout: Some(Duration::from_secs(5)), ..Config::default() }.with_ns_locations(locations.to_vec())
}

/// A port where nothing listens.
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Listens at `127.0.0.1:port` and closes every connection at once (after reading a little):
/// a name server that dies in the middle of each lookup. Counts the connections.
pub fn closing_listener(port: u16) -> Arc<AtomicUsize> {
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

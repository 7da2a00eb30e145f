//! A real three-member etcd cluster on loopback ports for the etcd storage tests: installs
//! Debian's `etcd-server` when `etcd` is missing and the user is root (once, under a lock, so
//! parallel tests do not race), else the tests skip with a printed reason.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

// The including test also includes `cli_common`, which brings the temporary directories.
use crate::cli_common::TempDir;

/// How long a cluster may take to elect its first leader.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The `etcd` binary, or why there is none.
pub fn etcd_binary() -> Result<PathBuf, String> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    FOUND.get_or_init(find_or_install).clone()
}

fn on_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("etcd")).find(|candidate| candidate.is_file())
}

fn find_or_install() -> Result<PathBuf, String> {
    if let Some(found) = on_path() {
        return Ok(found);
    }
    let uid = Command::new("id").arg("-u").output().map_err(|e| format!("cannot run id: {e}"))?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Err("etcd is not installed and this user is not root (install Debian's etcd-server)".into());
    }
    // One installer at a time across test processes; a later one finds etcd installed.
    let script = "command -v etcd >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server \
                  || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server)";
    eprintln!("etcd tests: installing etcd-server with apt-get");
    let status = Command::new("flock")
        .args(["/tmp/pyro-ns-etcd-install.lock", "sh", "-c", script])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run flock/apt-get: {e}"))?;
    match on_path() {
        Some(found) if status.success() => Ok(found),
        _ => Err(format!("apt-get install etcd-server failed ({status})")),
    }
}

/// The `etcd` binary, or `None` after printing why the calling test skips.
pub fn etcd_or_skip(test: &str) -> Option<PathBuf> {
    match etcd_binary() {
        Ok(path) => Some(path),
        Err(reason) => {
            eprintln!("skipping {test}: {reason}");
            None
        }
    }
}

/// Free loopback ports (bound and released; etcd binds them right after).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n).map(|_| TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    listeners.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

/// One member.
pub struct Member {
    pub name: String,
    pub client_port: u16,
    pub peer_port: u16,
    child: Option<Child>,
}

impl Member {
    /// `127.0.0.1:<client port>`.
    pub fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.client_port)
    }
}

/// A three-member cluster in a temporary directory; every member is killed when dropped.
pub struct EtcdCluster {
    pub members: Vec<Member>,
    _dir: TempDir,
}

impl EtcdCluster {
    /// Starts three members and waits until they have a leader.
    pub fn start(etcd: &std::path::Path) -> EtcdCluster {
        let dir = TempDir::new("etcd");
        let ports = free_ports(6);
        let token = dir.path().file_name().unwrap().to_string_lossy().into_owned();
        let mut members: Vec<Member> = (0..3)
            .map(|i| Member {
                name: format!("m{i}"),
                client_port: ports[2 * i],
                peer_port: ports[2 * i + 1],
                child: None,
            })
            .collect();
        let initial: Vec<String> =
            members.iter().map(|m| format!("{}=http://127.0.0.1:{}", m.name, m.peer_port)).collect();
        let initial = initial.join(",");
        for member in &mut members {
            let client = format!("http://127.0.0.1:{}", member.client_port);
            let peer = format!("http://127.0.0.1:{}", member.peer_port);
            let mut command = Command::new(etcd);
            for (key, _) in std::env::vars_os() {
                if key.to_string_lossy().starts_with("ETCD") {
                    command.env_remove(key);
                }
            }
            let child = command
                .args(["--name", &member.name])
                .arg("--data-dir")
                .arg(dir.file(&member.name))
                .args(["--listen-client-urls", &client, "--advertise-client-urls", &client])
                .args(["--listen-peer-urls", &peer, "--initial-advertise-peer-urls", &peer])
                .args(["--initial-cluster", &initial, "--initial-cluster-token", &token])
                .args(["--initial-cluster-state", "new"])
                // Quick elections, so that losing the leader costs well under a second.
                .args(["--heartbeat-interval", "50", "--election-timeout", "400"])
                .args(["--logger", "zap", "--log-outputs", "stderr", "--log-level", "error"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("etcd starts");
            member.child = Some(child);
        }
        let cluster = EtcdCluster { members, _dir: dir };
        let deadline = Instant::now() + START_TIMEOUT;
        while cluster.leader().is_none() {
            assert!(Instant::now() < deadline, "the etcd cluster elected no leader within {START_TIMEOUT:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
        cluster
    }

    /// Every member's endpoint.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(Member::endpoint).collect()
    }

    /// `etcd:<every endpoint>/<prefix>`.
    pub fn spec(&self, prefix: &str) -> String {
        format!("etcd:{}/{prefix}", self.endpoints().join(","))
    }

    /// The index of the member that is the leader, if every running member answers and they
    /// agree on it.
    pub fn leader(&self) -> Option<usize> {
        let mut leaders = Vec::new();
        let mut ids = Vec::new();
        for member in self.members.iter().filter(|m| m.child.is_some()) {
            let status: serde_json::Value =
                serde_json::from_str(&post(&member.endpoint(), "/v3/maintenance/status", "{}")?).ok()?;
            leaders.push(status["leader"].as_str()?.to_owned());
            ids.push(status["header"]["member_id"].as_str()?.to_owned());
        }
        let first = leaders.first()?;
        if leaders.iter().any(|l| l != first) {
            return None;
        }
        let running: Vec<usize> = (0..self.members.len()).filter(|&i| self.members[i].child.is_some()).collect();
        ids.iter().position(|id| id == first).map(|at| running[at])
    }

    /// Kills member `index` with SIGKILL.
    pub fn kill(&mut self, index: usize) {
        if let Some(mut child) = self.members[index].child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for index in 0..self.members.len() {
            self.kill(index);
        }
    }
}

/// A minimal HTTP/1.0 POST to a member (for the tests' own checks); the body, if 200.
pub fn post(endpoint: &str, path: &str, body: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(endpoint).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "POST {path} HTTP/1.0\r\nHost: {endpoint}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?;
    (status == "200").then(|| body.to_owned())
}

//! [`PythonServer`]: a Python program that serves something and prints where (a URI) as its
//! first line, killed when dropped; and [`wait_for`], for effects that happen in the background.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::Python;

/// A running Python server process (killed and reaped when dropped).
///
/// ```no_run
/// let script = "import Pyro5.api\n\
///     @Pyro5.api.expose\n\
///     class Thing:\n    def ping(self): return 'pong'\n\
///     d = Pyro5.api.Daemon(host='127.0.0.1')\n\
///     print(d.register(Thing(), 'thing'), flush=True)\n\
///     d.requestLoop()";
/// let server = pyro_interop::PythonServer::start(pyro_interop::python(), script);
/// assert!(server.uri().starts_with("PYRO:thing@127.0.0.1:"));
/// ```
#[derive(Debug)]
pub struct PythonServer {
    child: Child,
    uri: String,
}

impl PythonServer {
    /// Runs `python -c script` and waits for its first line (what it serves). Panics if the
    /// program cannot start or exits before printing it.
    ///
    /// See [`PythonServer`] for an example.
    pub fn start(python: &Python, script: &str) -> PythonServer {
        let mut child = python
            .command()
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting the Python server: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("the Python server has no stdout"));
        let mut server = PythonServer { child, uri: String::new() };
        BufReader::new(stdout)
            .read_line(&mut server.uri)
            .unwrap_or_else(|e| panic!("reading the Python server's first line: {e}"));
        assert!(!server.uri.is_empty(), "the Python server exited without printing where it serves");
        server.uri = server.uri.trim().to_owned();
        server
    }

    /// The server's first line, trimmed (its URI).
    ///
    /// See [`PythonServer`] for an example.
    pub fn uri(&self) -> &str {
        &self.uri
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `condition` every 20 ms for up to 10 s; whether it became true.
///
/// ```
/// let mut calls = 0;
/// assert!(pyro_interop::wait_for(|| { calls += 1; calls == 3 }));
/// ```
pub fn wait_for(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

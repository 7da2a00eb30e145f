//! Child processes: spawning, talking over stdin/stdout lines with timeouts, killing them on any
//! failure, and reading their CPU time.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use crate::Result;

/// A running child process, killed (and reaped) when dropped.
pub struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
}

/// How much of a failed child's stderr is quoted in the error.
const STDERR_TAIL: usize = 2000;

impl Proc {
    /// Starts `command` with piped stdin, stdout and stderr.
    pub fn spawn(name: &str, mut command: Command) -> Result<Proc> {
        let shown = format!("{command:?}");
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the {name} ({shown}): {e}"))?;
        let (sender, lines) = mpsc::channel();
        if let Some(stdout) = child.stdout.take() {
            thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let stderr = Arc::clone(&stderr);
            thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buffer) {
                    let text = String::from_utf8_lossy(buffer.get(..n).unwrap_or_default());
                    stderr.lock().unwrap_or_else(PoisonError::into_inner).push_str(&text);
                }
            });
        }
        let stdin = child.stdin.take();
        Ok(Proc { name: name.to_owned(), child, stdin, lines, stderr })
    }

    /// What the process is, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process id (also the id `/proc` knows it by: `taskset` execs the real program).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line the process writes on stdout, waiting at most `timeout`.
    pub fn read_line(&mut self, timeout: Duration) -> Result<String> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => Err(self.failure(&format!("no answer within {timeout:?}"))),
            Err(RecvTimeoutError::Disconnected) => Err(self.failure("closed its output")),
        }
    }

    /// Like [`read_line`](Proc::read_line), calling `tick` every `every` while waiting.
    pub fn read_line_ticking(&mut self, timeout: Duration, every: Duration, mut tick: impl FnMut()) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.lines.recv_timeout(every.min(deadline.saturating_duration_since(Instant::now()))) {
                Ok(line) => return Ok(line),
                Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => tick(),
                Err(RecvTimeoutError::Timeout) => return Err(self.failure(&format!("no answer within {timeout:?}"))),
                Err(RecvTimeoutError::Disconnected) => return Err(self.failure("closed its output")),
            }
        }
    }

    /// Writes one line on the process's stdin.
    pub fn write_line(&mut self, line: &str) -> Result<()> {
        let stdin = self.stdin.as_mut().ok_or_else(|| format!("{}: stdin already closed", self.name))?;
        writeln!(stdin, "{line}").and_then(|()| stdin.flush()).map_err(|e| self.failure(&format!("stdin: {e}")))
    }

    /// Closes stdin and waits for a successful exit, at most `timeout`.
    pub fn finish(&mut self, timeout: Duration) -> Result<()> {
        drop(self.stdin.take());
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => return Err(self.failure(&format!("exited with {status}"))),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
                Ok(None) => return Err(self.failure(&format!("did not exit within {timeout:?}"))),
                Err(e) => return Err(format!("{}: cannot wait for it: {e}", self.name)),
            }
        }
    }

    /// An error if the process has failed (exited unsuccessfully) already.
    pub fn check_not_failed(&mut self) -> Result<()> {
        match self.child.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) if status.success() => Ok(()),
            Ok(Some(status)) => Err(self.failure(&format!("failed with {status}"))),
            Err(e) => Err(format!("{}: cannot check it: {e}", self.name)),
        }
    }

    /// An error message saying what went wrong, with the exit status and the end of stderr.
    fn failure(&mut self, what: &str) -> String {
        let status = match self.child.try_wait() {
            Ok(Some(status)) => format!(" ({status})"),
            _ => String::new(),
        };
        // Give the stderr reader a moment to collect a dying process's last words.
        thread::sleep(Duration::from_millis(100));
        let stderr = self.stderr.lock().unwrap_or_else(PoisonError::into_inner);
        let tail_start = stderr.char_indices().rev().nth(STDERR_TAIL).map_or(0, |(i, _)| i);
        let tail = stderr.get(tail_start..).unwrap_or_default().trim();
        if tail.is_empty() {
            format!("{}: {what}{status}", self.name)
        } else {
            format!("{}: {what}{status}; its stderr ends with:\n{tail}", self.name)
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// CPU time so far of every live thread of process `pid` (`"self"` for this one), in
/// nanoseconds: the sum of the first field (`sum_exec_runtime`) of each
/// `/proc/<pid>/task/<tid>/schedstat`.
pub fn process_cpu_ns(pid: impl std::fmt::Display) -> Result<u64> {
    let dir = format!("/proc/{pid}/task");
    let tasks = std::fs::read_dir(&dir).map_err(|e| format!("cannot read {dir}: {e}"))?;
    let mut total = 0u64;
    for task in tasks.flatten() {
        // A thread may exit between the listing and the read: it is skipped.
        let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else { continue };
        let first = text.split_whitespace().next().unwrap_or_default();
        total += first.parse::<u64>().map_err(|e| format!("{}/schedstat: {first:?}: {e}", task.path().display()))?;
    }
    Ok(total)
}

/// The thread of process `pid` that has used the most CPU so far (after a warm-up: the one
/// making or serving the calls).
pub fn busiest_thread(pid: u32) -> Result<u32> {
    let dir = format!("/proc/{pid}/task");
    let tasks = std::fs::read_dir(&dir).map_err(|e| format!("cannot read {dir}: {e}"))?;
    let mut busiest = (0u64, pid);
    for task in tasks.flatten() {
        let Some(tid) = task.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else { continue };
        let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else { continue };
        let runtime = text.split_whitespace().next().and_then(|f| f.parse::<u64>().ok()).unwrap_or_default();
        busiest = busiest.max((runtime, tid));
    }
    Ok(busiest.1)
}

/// The CPU thread `tid` of process `pid` last ran on (field 39 of its `stat`).
pub fn last_cpu(pid: u32, tid: u32) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start at field 3.
    let (_, after_name) = text.rsplit_once(')')?;
    after_name.split_whitespace().nth(39 - 3)?.parse().ok()
}

/// The Python interpreter with Pyro5 5.17 (from the interop crate's virtualenv).
pub struct Python(&'static pyro_interop::Python);

impl Python {
    /// The interpreter, bootstrapping its virtualenv on first use.
    pub fn find() -> Result<Python> {
        eprintln!("bench: preparing Python Pyro5 5.17 (the first run creates a virtualenv) ...");
        std::panic::catch_unwind(pyro_interop::python).map(Python).map_err(|panic| {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            format!("Python Pyro5 is needed for the Python scenarios: {why}")
        })
    }

    /// `python -c <code> <args>`.
    pub fn script(&self, code: &str, args: &[String]) -> Command {
        let mut command = self.0.command();
        command.arg("-c").arg(code).args(args);
        command
    }
}

/// `Ok` if `taskset` (util-linux) can pin processes here.
pub fn taskset_available() -> Result<()> {
    match Command::new("taskset").args(["-c", "0", "true"]).stdout(Stdio::null()).stderr(Stdio::null()).status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("`taskset -c 0 true` failed ({status})")),
        Err(e) => Err(format!("`taskset` (util-linux) is missing: {e}")),
    }
}

/// `command` run under `taskset -c <cpus>`, with the same environment and directory.
pub fn pinned(command: &Command, cpus: &str) -> Command {
    let mut wrapped = Command::new("taskset");
    wrapped.arg("-c").arg(cpus).arg(command.get_program()).args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => wrapped.env(key, value),
            None => wrapped.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        wrapped.current_dir(dir);
    }
    wrapped
}

/// User-mode CPU time so far of process `pid`, all threads, in nanoseconds: `utime` (field 14)
/// of `/proc/<pid>/stat`, in clock ticks (`getconf CLK_TCK`, 100 on Linux), so its resolution
/// is coarse (10 ms): measure long enough runs.
pub fn process_user_cpu_ns(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    let after_name =
        text.rsplit_once(')').map(|(_, rest)| rest).ok_or_else(|| format!("{path}: no ')' in {text:?}"))?;
    // Fields 3.. follow; utime is field 14, the 12th after the name.
    let utime = after_name.split_whitespace().nth(11).ok_or_else(|| format!("{path}: too few fields"))?;
    let ticks: u64 = utime.parse().map_err(|e| format!("{path}: utime {utime:?}: {e}"))?;
    Ok(ticks * user_cpu_tick_ns())
}

/// User + system CPU time so far of process `pid` (`"self"` for this one), in nanoseconds:
/// `utime` + `stime` (fields 14 and 15) of `/proc/<pid>/stat`. Unlike [`process_cpu_ns`] this
/// includes threads that have exited, at the coarse resolution of [`process_user_cpu_ns`].
pub fn process_stat_cpu_ns(pid: impl std::fmt::Display) -> Result<u64> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let after_name =
        text.rsplit_once(')').map(|(_, rest)| rest).ok_or_else(|| format!("{path}: no ')' in {text:?}"))?;
    let mut fields = after_name.split_whitespace().skip(11);
    let mut ticks = || -> Result<u64> {
        let field = fields.next().ok_or_else(|| format!("{path}: too few fields"))?;
        field.parse().map_err(|e| format!("{path}: {field:?}: {e}"))
    };
    let (utime, stime) = (ticks()?, ticks()?);
    Ok((utime + stime) * user_cpu_tick_ns())
}

/// The resolution of [`process_user_cpu_ns`] (one clock tick), in nanoseconds.
pub fn user_cpu_tick_ns() -> u64 {
    1_000_000_000 / clock_ticks_per_second()
}

fn clock_ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .filter(|&ticks| ticks > 0)
            .unwrap_or(100)
    })
}

//! Pyro5's socketpair example, `pair-fork.py`: a socket pair made by the program, a child
//! process hosting the daemon on one end, the parent calling it over the other with two
//! proxies, one after the other; then the parent stops the child. It prints what the Python
//! program prints (process ids aside; the two processes' lines interleave as they happen).
//!
//! ```sh
//! cargo run --example socketpair_pair_fork        # or: python pair-fork.py
//! ```
//!
//! Python forks; a Rust program cannot fork safely, so the parent starts this same program
//! again as the child, with the daemon's end of the pair as the child's standard input (an
//! inherited descriptor, as the forked Python child inherits its socket). The parent ends the
//! child as Python does (Python sends SIGTERM, this port kills it) and waits for it. As in
//! Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another. Unix only.

#[cfg(unix)]
#[path = "echo.rs"]
mod echo;

use std::process::ExitCode;

/// The argument that makes this program the child hosting the daemon.
#[cfg(unix)]
const CHILD: &str = "--serve-stdin-socket";

#[cfg(unix)]
fn main() -> ExitCode {
    let child = std::env::args().nth(1).is_some_and(|arg| arg == CHILD);
    match if child { serve() } else { run() } {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: {e}", e.python_class());
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(unix))]
fn main() -> ExitCode {
    eprintln!("this example needs Unix socket pairs and processes");
    ExitCode::FAILURE
}

#[cfg(unix)]
fn io_error(message: &str) -> impl FnOnce(std::io::Error) -> pyro::Error + '_ {
    move |e| pyro::Error::Communication { message: message.to_owned(), source: Some(e) }
}

/// The parent: starts the child on one end of the pair, is the Pyro client on the other.
#[cfg(unix)]
fn run() -> pyro::Result<()> {
    use std::os::fd::OwnedFd;
    use std::process::{Command, Stdio};

    let (sock1, sock2) = std::os::unix::net::UnixStream::pair().map_err(io_error("cannot make a socket pair"))?;
    let program = std::env::current_exe().map_err(io_error("cannot find this program"))?;
    let mut child = Command::new(program)
        .arg(CHILD)
        .stdin(Stdio::from(OwnedFd::from(sock1)))
        .spawn()
        .map_err(io_error("cannot start the daemon process"))?;
    println!("Process PID={}: Pyro client.\n", std::process::id());
    let config = echo::config()?;
    let result = echo::run_client(&sock2, &config);
    let _ = child.kill();
    let _ = child.wait();
    result?;
    println!("\nThe end.");
    Ok(())
}

/// The child: hosts the daemon on the socket it got as standard input.
#[cfg(unix)]
fn serve() -> pyro::Result<()> {
    use std::os::fd::AsFd;

    use pyro::Daemon;
    use pyro::daemon::InstanceMode;

    let socket = std::io::stdin().as_fd().try_clone_to_owned().map_err(io_error("cannot take the socket"))?;
    let socket = std::os::unix::net::UnixStream::from(socket);
    let daemon = Daemon::builder().config(echo::config()?).connected(&socket)?;
    daemon.register_class::<echo::Echo>(InstanceMode::Session, Some("echo"))?;
    println!("Process PID={}: Pyro daemon running on {}\n", std::process::id(), daemon.location());
    daemon.request_loop()
}

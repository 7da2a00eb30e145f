//! Pyro5's socketpair example, `pair-thread.py`: a daemon and a client in one process, talking
//! over a socket pair made by the program (no network, no handshake). The daemon serves one end
//! of the pair from a background thread; two proxies, one after the other, call it over the
//! other end. It prints what the Python program prints.
//!
//! ```sh
//! cargo run --example socketpair_pair_thread        # or: python pair-thread.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another. Unix only (Python's `socket.socketpair()` is a Unix socket
//! pair there too).

#[cfg(unix)]
#[path = "echo.rs"]
mod echo;

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;

#[cfg(unix)]
fn main() -> ExitCode {
    python::exit_status(run())
}

#[cfg(not(unix))]
fn main() -> ExitCode {
    eprintln!("this example needs Unix socket pairs");
    ExitCode::FAILURE
}

#[cfg(unix)]
fn run() -> pyro::Result<()> {
    use pyro::Daemon;
    use pyro::daemon::InstanceMode;

    // Our own socket pair: two sockets already connected to each other.
    let (sock1, sock2) = std::os::unix::net::UnixStream::pair()
        .map_err(|e| pyro::Error::Communication { message: "cannot make a socket pair".into(), source: Some(e) })?;
    let config = echo::config()?;
    // A daemon on one end, serving the Echo class as "echo".
    let daemon = Daemon::builder().config(config.clone()).connected(&sock1)?;
    daemon.register_class::<echo::Echo>(InstanceMode::Session, Some("echo"))?;
    println!("(Pyro daemon running on {} )\n", daemon.location());
    // Python's daemon thread: it ends with the process.
    std::thread::spawn(move || daemon.request_loop());
    // The client on the other end.
    echo::run_client(&sock2, &config)?;
    println!("\nThe end.");
    Ok(())
}

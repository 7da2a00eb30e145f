//! The threaded server of Pyro5's eventloop example: starts a name server (with its broadcast
//! responder) on this machine's address and a daemon on its host name serving an
//! `EmbeddedServer` (`multiply(x, y)`), registered as `example.eventloop.server`, then runs a
//! loop of its own, as Python's `server_threads.py` does with `select`: it waits (up to three
//! seconds) for the broadcast socket, the name server or the daemon to be ready, says which one
//! was, and hands the event to it. Python's `client.py` from that example runs against it
//! unchanged (and `eventloop_client` against either server).
//!
//! ```sh
//! cargo run --example eventloop_server_threads   # or: python server_threads.py (in Pyro5's examples)
//! cargo run --example eventloop_client           # or: python client.py
//! ```
//!
//! As in Pyro5, the name server listens on the address `get_ip_address(None, workaround127=True)`
//! gives (that of the host name, or if that is a loopback address the one facing the outside)
//! at `NS_PORT`, its broadcast responder on `NS_BCHOST`/`NS_BCPORT`; the daemon on the host
//! name, at a free port; the other `PYRO_*` settings apply too (`SERVERTYPE` is `thread`, as
//! the Python program sets it). Where the name server would listen on a loopback address there
//! is no broadcast responder and the program stops as Python's does, on its assertion.
//!
//! Pyro5's thread server offers its listening socket to the loop (`daemon.sockets`) and hands
//! each new connection to a worker thread (`daemon.events(...)`). Here each daemon is served
//! by an [`EventLoop`](pyro::daemon::EventLoop) with call workers, whose descriptor the loop
//! watches, so calls of different clients run side by side as on Pyro5's thread server. One
//! difference shows: that descriptor is ready for every request, not only for a new connection,
//! so "Daemon received a request" (and the next "Waiting for requests...") comes for each call,
//! where Python's program prints it once per connection.

#[path = "../messagebus/bus.rs"]
mod bus;
mod embedded;

use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::time::Duration;

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use pyro::Config;
use pyro::config::ServerType;

const BROADCAST: Token = Token(0);
const NAMESERVER: Token = Token(1);
const DAEMON: Token = Token(2);

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut config = Config::environment().map_err(|e| embedded::pyro_error(&e.into()))?;
    config.server_type = ServerType::Thread;
    let my_ip = embedded::my_ip(&config);

    println!("THREADED server type. Initializing services...");
    println!("Make sure that you don't have a name server running already!\n");
    let (ns, broadcast, _cleaner) = embedded::start_ns(&config, my_ip).map_err(|e| embedded::start_error(&e))?;
    let Some(broadcast) = broadcast else {
        return Err("AssertionError: expect a broadcast server to be created".into());
    };
    println!("got a Nameserver, uri={}", ns.uri());

    let (daemon, uri) = embedded::start_daemon(&config).map_err(|e| embedded::start_error(&e))?;
    println!("server uri={uri}");
    embedded::register(&ns, &uri)?;
    println!();

    let io = |what: &str, e: std::io::Error| format!("OSError: {what}: {e}");
    let mut nameserver_loop = ns.daemon().event_loop().map_err(|e| embedded::pyro_error(&e))?;
    let mut daemon_loop = daemon.event_loop().map_err(|e| embedded::pyro_error(&e))?;
    let mut poll = Poll::new().map_err(|e| io("creating the poller", e))?;
    let sources =
        [(BROADCAST, broadcast.socket().as_raw_fd()), (NAMESERVER, nameserver_loop.fd()), (DAEMON, daemon_loop.fd())];
    for (token, fd) in sources {
        poll.registry().register(&mut SourceFd(&fd), token, Interest::READABLE).map_err(|e| io("registering", e))?;
    }
    let mut events = Events::with_capacity(8);
    loop {
        println!("{} Waiting for requests...", embedded::asctime());
        if let Err(e) = poll.poll(&mut events, Some(Duration::from_secs(3)))
            && e.kind() != std::io::ErrorKind::Interrupted
        {
            return Err(io("waiting for events", e));
        }
        let ready: Vec<Token> = events.iter().map(|event| event.token()).collect();
        if ready.contains(&BROADCAST) {
            println!("Broadcast server received a request");
            broadcast.process_request().map_err(|e| io("answering a broadcast", e))?;
        }
        // Each loop handles what is ready, if anything: called after a timeout too, it keeps
        // its timers (item stream expiry, COMMTIMEOUT) going.
        if ready.contains(&NAMESERVER) {
            println!("Nameserver received a request");
        }
        nameserver_loop.events(Some(Duration::ZERO)).map_err(|e| embedded::pyro_error(&e))?;
        if ready.contains(&DAEMON) {
            println!("Daemon received a request");
        }
        daemon_loop.events(Some(Duration::ZERO)).map_err(|e| embedded::pyro_error(&e))?;
        // mio reports a source once each time it becomes ready; registering it again makes
        // one still ready (say, a second datagram) show up at the next wait, as with select.
        for (token, fd) in sources.iter().filter(|(token, _)| ready.contains(token)) {
            poll.registry()
                .reregister(&mut SourceFd(fd), *token, Interest::READABLE)
                .map_err(|e| io("registering", e))?;
        }
    }
}

//! The multiplexed server of Pyro5's eventloop example: starts a name server (with its
//! broadcast responder) on this machine's address and a daemon on its host name serving an
//! `EmbeddedServer` (`multiply(x, y)`), registered as `example.eventloop.server`, and serves
//! all three from one loop on one thread, as Python's `server_multiplexed.py` does by combining
//! the name server and the broadcast server into the daemon's loop (`combine`) and running its
//! request loop, which prints "Waiting for requests..." before each wait of at most
//! `POLLTIMEOUT` (3 seconds, as the Python program sets it). Python's `client.py` from that
//! example runs against it unchanged (and `eventloop_client` against either server).
//!
//! ```sh
//! cargo run --example eventloop_server_multiplexed   # or: python server_multiplexed.py
//! cargo run --example eventloop_client               # or: python client.py
//! ```
//!
//! As in Pyro5, the name server listens on the address `get_ip_address(None, workaround127=True)`
//! gives at `NS_PORT`, its broadcast responder on `NS_BCHOST`/`NS_BCPORT`, the daemon on the
//! host name at a free port; the other `PYRO_*` settings apply too (`SERVERTYPE` is
//! `multiplex` and `POLLTIMEOUT` 3, as the Python program sets them). Where the name server
//! would listen on a loopback address there is no broadcast responder and the program stops as
//! Python's does, on its assertion.
//!
//! The name server's daemon is combined into the application daemon's
//! [`EventLoop`](pyro::daemon::EventLoop) ([`combine`](pyro::daemon::EventLoop::combine)),
//! which runs calls on this thread one at a time as Pyro5's multiplexed server does
//! ([`Daemon::event_loop_with_workers`](pyro::Daemon::event_loop_with_workers) with 0). An
//! `EventLoop` serves daemons only, so the broadcast responder's socket is watched beside the
//! loop's descriptor, in the same wait: the effect of Pyro5's `combine(broadcastServer)`.

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
const DAEMONS: Token = Token(1);

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
    config.server_type = ServerType::Multiplex;
    config.poll_timeout = Duration::from_secs(3);
    let my_ip = embedded::my_ip(&config);

    println!("MULTIPLEXED server type. Initializing services...");
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

    // `pyrodaemon.combine(nameserverDaemon)`, `pyrodaemon.combine(broadcastServer)`.
    let mut event_loop = daemon.event_loop_with_workers(0).map_err(|e| embedded::pyro_error(&e))?;
    event_loop.combine(ns.daemon()).map_err(|e| embedded::pyro_error(&e))?;
    let io = |what: &str, e: std::io::Error| format!("OSError: {what}: {e}");
    let mut poll = Poll::new().map_err(|e| io("creating the poller", e))?;
    let sources = [(BROADCAST, broadcast.socket().as_raw_fd()), (DAEMONS, event_loop.fd())];
    for (token, fd) in sources {
        poll.registry().register(&mut SourceFd(&fd), token, Interest::READABLE).map_err(|e| io("registering", e))?;
    }
    let mut events = Events::with_capacity(8);
    // `pyrodaemon.requestLoop(loopcondition)`, the condition printing the line.
    while !event_loop.is_shut_down() {
        println!("{} Waiting for requests...", embedded::asctime());
        if let Err(e) = poll.poll(&mut events, Some(config.poll_timeout))
            && e.kind() != std::io::ErrorKind::Interrupted
        {
            return Err(io("waiting for events", e));
        }
        let ready: Vec<Token> = events.iter().map(|event| event.token()).collect();
        if ready.contains(&BROADCAST) {
            broadcast.process_request().map_err(|e| io("answering a broadcast", e))?;
        }
        event_loop.events(Some(Duration::ZERO)).map_err(|e| embedded::pyro_error(&e))?;
        // mio reports a source once each time it becomes ready; registering it again makes
        // one still ready show up at the next wait, as with Pyro5's selector.
        for (token, fd) in sources.iter().filter(|(token, _)| ready.contains(token)) {
            poll.registry()
                .reregister(&mut SourceFd(fd), *token, Interest::READABLE)
                .map_err(|e| io("registering", e))?;
        }
    }
    println!("done");
    Ok(())
}

//! The client of Pyro5's chatbox example: serves a `Chatter` on a daemon of its own (on a
//! thread), asks which channel to join and under which nickname (reading standard input as
//! Python's `client.py` does), joins through `PYRONAME:example.chatbox.server`, passing its
//! chatter's proxy, then publishes every line typed until `/quit` or the end of input, while
//! the chat box's messages arrive on the daemon's thread and are printed as `[nick] message`.
//! Prints what Python's `client.py` prints; works against `chatbox_server` and Python's
//! `server.py`, and chats with Python clients.
//!
//! ```sh
//! pyro-ns &                                     # or: python -m Pyro5.nameserver
//! cargo run --example chatbox_server            # or: python server.py (in Pyro5's examples)
//! cargo run --example chatbox_client            # or: python client.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (its daemon binds `PYRO_HOST`), and the
//! serializer is serpent unless `PYRO_SERIALIZER` names another.

mod chat;
#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};

use chat::{ChatBoxProxy, Chatter, ChatterProxy};
use pyro::{Config, Daemon, Error};
use python::{input, pyro_traceback};

/// What the chat box calls, as Python's `Chatter.message`.
struct Listener {
    nick: Arc<Mutex<String>>,
}

impl Chatter for Listener {
    fn message(&self, nick: String, msg: String) {
        if nick != *self.nick.lock().unwrap_or_else(PoisonError::into_inner) {
            println!("[{nick}] {msg}");
        }
    }
}

fn main() -> ExitCode {
    let result = run();
    match result {
        Ok(()) => {
            println!("Exit.");
            ExitCode::SUCCESS
        }
        Err(Error::Remote(e)) => {
            eprint!("{}", pyro_traceback(&e));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("{}: {e}", e.python_class());
            ExitCode::FAILURE
        }
    }
}

/// Python's `input()`; the end of input is an `EOFError`.
fn ask(prompt: &str) -> pyro::Result<String> {
    input(prompt)
        .map(|line| line.trim().to_owned())
        .map_err(|e| Error::Communication { message: format!("EOFError: {e}"), source: None })
}

fn run() -> pyro::Result<()> {
    // The daemon runs in its own thread, to be able to deal with server callback messages
    // while the main thread is processing user input.
    let nick = Arc::new(Mutex::new(String::new()));
    let daemon = Arc::new(Daemon::new(Config::environment()?)?);
    let uri = daemon.register_as::<dyn Chatter, _>(Listener { nick: Arc::clone(&nick) }, None)?;
    let me = ChatterProxy::from(daemon.proxy_for(uri.object())?);
    let serving = Arc::clone(&daemon);
    let daemon_thread = std::thread::spawn(move || serving.request_loop());

    let chatbox = ChatBoxProxy::from_proxy(python::proxy("PYRONAME:example.chatbox.server")?);
    let nicks = chatbox.getNicks()?;
    if !nicks.is_empty() {
        println!("The following people are on the server: {}", nicks.join(", "));
    }
    let mut channels = chatbox.getChannels()?;
    channels.sort();
    let channel = if channels.is_empty() {
        println!("The server has no active channels.");
        ask("Name for new channel: ")?
    } else {
        println!("The following channels already exist: {}", channels.join(", "));
        ask("Choose a channel or create a new one: ")?
    };
    let name = ask("Choose a nickname: ")?;
    *nick.lock().unwrap_or_else(PoisonError::into_inner) = name.clone();
    let people = chatbox.join(channel.clone(), name.clone(), me)?;
    println!("Joined channel {channel} as {name}");
    println!("People on this channel: {}", people.join(", "));
    println!("Ready for input! Type /quit to quit");
    let chatted = (|| -> pyro::Result<()> {
        // The end of input ends the chat, as Python's `contextlib.suppress(EOFError)`.
        while let Ok(line) = input("> ") {
            let line = line.trim();
            if line == "/quit" {
                break;
            }
            if !line.is_empty() {
                chatbox.publish(channel.clone(), name.clone(), line.to_owned())?;
            }
        }
        Ok(())
    })();
    let left = chatbox.leave(channel, name);
    daemon.shutdown();
    daemon_thread.join().map_err(|_| Error::Daemon { message: "the daemon thread panicked".into() })??;
    chatted.and(left)
}

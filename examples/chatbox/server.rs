//! The server of Pyro5's chatbox example: a `ChatBox` registered in the name server as
//! `example.chatbox.server` (printing what Pyro5's `serve()` prints), keeping channels and
//! nicknames, and sending every message to the callback object each member passed to `join`
//! (a proxy for an object the client serves), with oneway calls. Prints what Python's
//! `server.py` prints. Python's `client.py` and `chatbox_client` run against it (and against
//! Python's server) unchanged, and chat with each other.
//!
//! ```sh
//! pyro-ns &                                     # or: python -m Pyro5.nameserver
//! cargo run --example chatbox_server            # or: python server.py (in Pyro5's examples)
//! cargo run --example chatbox_client            # or: python client.py; several of them
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply. As Python's, the class is registered
//! with instance mode "single": one chat box for everybody, made on first use. A member that cannot be reached any more is
//! removed (`Removed dead listener ...`) whether its connection closed or could not be opened;
//! Python's chat box removes it only in the first case and lets the second error reach the
//! member who published.

mod chat;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Mutex, PoisonError};

use chat::{ChatBox, ChatterProxy, ValueError};
use pyro::daemon::InstanceMode;
use pyro::naming::locate_ns_with_config;
use pyro::{Config, Daemon, Error};

/// The name Python's `serve()` registers the chat box under.
const NAME: &str = "example.chatbox.server";

#[derive(Default)]
struct Chat {
    /// Registered channels: (nick, client callback) per channel, in joining order.
    channels: BTreeMap<String, Vec<(String, ChatterProxy)>>,
    /// All registered nicks on this server.
    nicks: Vec<String>,
    /// The order channels were created in (Python's dict keeps it).
    order: Vec<String>,
}

#[derive(Default)]
struct Server {
    chat: Mutex<Chat>,
}

impl Server {
    fn chat(&self) -> std::sync::MutexGuard<'_, Chat> {
        self.chat.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Chat {
    fn publish(&mut self, channel: &str, nick: &str, msg: &str) {
        let Some(members) = self.channels.get(channel) else {
            println!("IGNORED UNKNOWN CHANNEL {channel}");
            return;
        };
        let mut dead = Vec::new();
        for (n, callback) in members {
            // oneway call
            if let Err(Error::ConnectionClosed { .. } | Error::Communication { .. }) =
                callback.message(nick.to_owned(), msg.to_owned())
            {
                dead.push(n.clone());
            }
        }
        // connection dropped, remove the listener if it's still there
        if let Some(members) = self.channels.get_mut(channel) {
            for n in dead {
                if let Some(at) = members.iter().position(|(m, _)| *m == n) {
                    let (n, c) = members.remove(at);
                    println!("Removed dead listener {n} {}", c.proxy());
                }
            }
        }
    }
}

impl ChatBox for Server {
    fn getChannels(&self) -> Vec<String> {
        self.chat().order.clone()
    }

    fn getNicks(&self) -> Vec<String> {
        self.chat().nicks.clone()
    }

    fn join(&self, channel: String, nick: String, callback: ChatterProxy) -> Result<Vec<String>, ValueError> {
        if channel.is_empty() || nick.is_empty() {
            return Err(ValueError("invalid channel or nick name"));
        }
        let mut chat = self.chat();
        if chat.nicks.contains(&nick) {
            return Err(ValueError("this nick is already in use"));
        }
        if !chat.channels.contains_key(&channel) {
            println!("CREATING NEW CHANNEL {channel}");
            chat.channels.insert(channel.clone(), Vec::new());
            chat.order.push(channel.clone());
        }
        chat.channels.entry(channel.clone()).or_default().push((nick.clone(), callback));
        chat.nicks.push(nick.clone());
        println!("{nick} JOINED {channel}");
        chat.publish(&channel, "SERVER", &format!("** {nick} joined **"));
        // return all nicks in this channel
        Ok(chat
            .channels
            .get(&channel)
            .map(|members| members.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default())
    }

    fn leave(&self, channel: String, nick: String) {
        let mut chat = self.chat();
        let Some(members) = chat.channels.get_mut(&channel) else {
            println!("IGNORED UNKNOWN CHANNEL {channel}");
            return;
        };
        if let Some(at) = members.iter().position(|(n, _)| *n == nick) {
            members.remove(at);
        }
        chat.publish(&channel, "SERVER", &format!("** {nick} left **"));
        if chat.channels.get(&channel).is_some_and(Vec::is_empty) {
            chat.channels.remove(&channel);
            chat.order.retain(|c| *c != channel);
            println!("REMOVED CHANNEL {channel}");
        }
        chat.nicks.retain(|n| *n != nick);
        println!("{nick} LEFT {channel}");
    }

    fn publish(&self, channel: String, nick: String, msg: String) {
        self.chat().publish(&channel, &nick, &msg);
    }
}

fn main() -> ExitCode {
    match serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chatbox_server: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve() -> pyro::Result<()> {
    let config = Config::environment()?;
    let daemon = Daemon::builder().config(config.clone()).bind()?;
    let ns = locate_ns_with_config(None, None, &config)?;
    let uri = daemon.register_class_as::<dyn ChatBox, _>(InstanceMode::Single, |_| Server::default(), None)?;
    println!("Object <class '__main__.ChatBox'>:\n    uri = {uri}");
    ns.register(NAME, &uri, false, None)?;
    println!("    name = {NAME}");
    println!("Pyro daemon running.");
    daemon.request_loop()
}

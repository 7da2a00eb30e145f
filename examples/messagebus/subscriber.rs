//! The subscriber of Pyro5's messagebus example (`subscriber.py`, the "weather" messages) that
//! consumes messages as they arrive: asks for the host name to bind its daemon on (reading
//! standard input as Python's `input()` does; empty means `localhost`), serves a subscriber
//! object on it, prints the topics on the bus `PYRONAME:Pyro.MessageBus`, subscribes to
//! `weather-forecast` (passing its proxy, which the bus calls back) and serves until stopped,
//! printing each message the bus delivers as Python does (`GOT MESSAGE:` with its topic, id,
//! creation time and data), from a consumer thread as Python's `Subscriber` base class does.
//!
//! ```sh
//! cargo run --example messagebus_server -- -s memory   # or: python -m messagebus.server
//! cargo run --example messagebus_subscriber             # or: python subscriber.py
//! cargo run --example messagebus_publisher              # or: python publisher.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another.

mod bus;
mod common;
#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;
use std::sync::Arc;

use bus::{Inbox, MessageBusProxy, PYRO_MSGBUS_NAME, Subscriber, SubscriberProxy, auto_consume, python_str};
use common::ask;
use pyro::{Config, Daemon};

fn main() -> ExitCode {
    python::exit_status(run())
}

fn run() -> pyro::Result<()> {
    let hostname = ask("hostname to bind on (empty=localhost): ")?;
    let hostname = if hostname.is_empty() { "localhost".to_owned() } else { hostname };

    // create a messagebus subscriber that uses automatic message retrieval (via a callback)
    let inbox = Arc::new(Inbox::new(5000));
    let bus = MessageBusProxy::from_proxy(python::proxy(&format!("PYRONAME:{PYRO_MSGBUS_NAME}"))?);
    auto_consume(Arc::clone(&inbox), |topic, message| {
        // This is called automatically when a message arrives on the bus.
        println!("\nGOT MESSAGE:");
        println!("   topic: {topic}");
        println!("   msgid: {}", message.msgid);
        println!(" created: {}", message.created_text());
        println!("    data: {}", python_str(&message.data));
    });
    let daemon = Daemon::builder().config(Config::environment()?).host(hostname).bind()?;
    let uri = daemon.register_as::<dyn Subscriber, _>(inbox, None)?;

    let topics = bus.topics()?;
    println!("Topics on the bus:  {topics}");
    println!("Subscribing to weather-forecast.");
    // We pass a proxy for the subscriber registered above: the bus calls it back.
    bus.subscribe("weather-forecast".into(), SubscriberProxy::from(daemon.proxy_for(uri.object())?))?;
    println!("Subscribed on weather-forecast");
    daemon.request_loop()
}

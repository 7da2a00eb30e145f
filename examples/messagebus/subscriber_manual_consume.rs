//! The subscriber of Pyro5's messagebus example that processes messages in a loop of its own
//! (`subscriber_manual_consume.py`): asks for the host name to bind its daemon on (empty means
//! `localhost`), serves a subscriber object from a daemon thread, prints the topics on the bus
//! `PYRONAME:Pyro.MessageBus`, subscribes to `weather-forecast`, then processes 5 of the queued
//! messages (half a second apart, printing the approximate queue length each time), unsubscribes,
//! and processes 5 more (the count now decreasing); then it ends. Prints what Python prints.
//!
//! ```sh
//! cargo run --example messagebus_server -- -s memory       # or: python -m messagebus.server
//! cargo run --example messagebus_subscriber_manual_consume  # or: python subscriber_manual_consume.py
//! cargo run --example messagebus_publisher                  # or: python publisher.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another. As in Python, a processing loop waits as long as it takes
//! for its next message.

mod bus;
mod common;
#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bus::{Inbox, Message, MessageBusProxy, PYRO_MSGBUS_NAME, Subscriber, SubscriberProxy, python_str};
use common::ask;
use pyro::{Config, Daemon};

/// Python's `consume_message`, called by our own code loop.
fn consume_message(topic: &str, message: &Message) {
    println!("\nPROCESSING MESSAGE:");
    println!("   topic: {topic}");
    println!("   msgid: {}", message.msgid);
    println!(" created: {}", message.created_text());
    println!("    data: {}", python_str(&message.data));
}

/// Python's `manual_message_loop`: takes 5 messages from the queue, one every half second.
fn manual_message_loop(inbox: &Inbox) {
    println!("Entering manual message processing loop (5 messages).");
    for _ in 0..5 {
        std::thread::sleep(Duration::from_millis(500));
        println!("\nApprox. number of received messages: {}", inbox.len());
        // get a message from the queue (they are put there by the Pyro messagebus)
        let (topic, message) = inbox.get();
        consume_message(&topic, &message);
    }
    println!("\nEnd.");
}

fn main() -> ExitCode {
    python::exit_status(run())
}

fn run() -> pyro::Result<()> {
    let hostname = ask("hostname to bind on (empty=localhost): ")?;
    let hostname = if hostname.is_empty() { "localhost".to_owned() } else { hostname };

    // create a messagebus subscriber that uses manual message retrieval (via explicit call)
    // because we're doing the message loop ourselves, the Pyro daemon has to run in a separate thread
    let inbox = Arc::new(Inbox::new(5000));
    let bus = MessageBusProxy::from_proxy(python::proxy(&format!("PYRONAME:{PYRO_MSGBUS_NAME}"))?);
    let daemon = Arc::new(Daemon::builder().config(Config::environment()?).host(hostname).bind()?);
    let uri = daemon.register_as::<dyn Subscriber, _>(Arc::clone(&inbox), None)?;
    let serving = Arc::clone(&daemon);
    std::thread::spawn(move || serving.request_loop());
    let me = || daemon.proxy_for(uri.object()).map(SubscriberProxy::from);

    let topics = bus.topics()?;
    println!("Topics on the bus:  {topics}");
    println!("Subscribing to weather-forecast.");
    bus.subscribe("weather-forecast".into(), me()?)?;
    println!("Subscribed on weather-forecast");

    // run the manual message loop
    println!("Entering message loop, you should see the msg count increasing.");
    manual_message_loop(&inbox);
    bus.unsubscribe("weather-forecast".into(), me()?)?;
    println!("Unsubscribed from the topic.");
    println!("Entering message loop again, you should see the msg count decrease.");
    manual_message_loop(&inbox);
    Ok(())
}

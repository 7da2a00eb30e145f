//! The publisher of Pyro5's messagebus "many topics" example (`manytopics_publisher.py`): adds
//! the topics `msg.topic.a` to `msg.topic.z` to the bus `PYRONAME:Pyro.MessageBus`, then every
//! 50 ms sends `message <n>` on a random one of them, printing the topic's letter and the
//! sequence number over itself (` a 2` and a carriage return) as Python does. Runs until
//! stopped.
//!
//! ```sh
//! cargo run --example messagebus_server -- -s memory     # or: python -m messagebus.server
//! cargo run --example messagebus_manytopics_publisher     # or: python manytopics_publisher.py
//! cargo run --example messagebus_manytopics_subscriber    # or: python manytopics_subscriber.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply, and the serializer is serpent unless
//! `PYRO_SERIALIZER` names another.

mod bus;
mod common;
#[path = "../common/python.rs"]
mod python;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use bus::{MessageBusProxy, PYRO_MSGBUS_NAME};
use common::choice;
use pyro::Value;

/// The topic letters.
const LETTERS: [&str; 26] = [
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w",
    "x", "y", "z",
];

fn main() -> ExitCode {
    python::exit_status(run())
}

fn run() -> pyro::Result<()> {
    // add a bunch of topics to the bus
    let bus = MessageBusProxy::from_proxy(python::proxy(&format!("PYRONAME:{PYRO_MSGBUS_NAME}"))?);
    for letter in LETTERS {
        bus.add_topic(Value::from(format!("msg.topic.{letter}")))?;
    }
    println!("publishing messages on a random topic");
    let mut seq = 1u64;
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let letter = choice(&LETTERS);
        bus.send(format!("msg.topic.{letter}"), Value::from(format!("message {seq}")))?;
        seq += 1;
        print!(" {letter} {seq}\r");
        let _ = std::io::stdout().flush();
    }
}

//! The subscriber of Pyro5's messagebus "many topics" example (`manytopics_subscriber.py`):
//! serves a subscriber object from a daemon thread, subscribes to every topic the bus
//! `PYRONAME:Pyro.MessageBus` has when it starts, and every second clears the screen (running
//! `clear`, as Python's `os.system` does) and prints a table of the topics, busiest first, with
//! each one's message count, the time its last message was created and the start of that
//! message's data, as Python does. Runs until stopped; restart it to see new topics.
//!
//! ```sh
//! cargo run --example messagebus_server -- -s memory     # or: python -m messagebus.server
//! cargo run --example messagebus_manytopics_publisher     # or: python manytopics_publisher.py
//! cargo run --example messagebus_manytopics_subscriber    # or: python manytopics_subscriber.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (its daemon binds `PYRO_HOST`), and the
//! serializer is serpent unless `PYRO_SERIALIZER` names another.

mod bus;
mod common;
#[path = "../common/python.rs"]
mod python;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bus::{Inbox, LocalTime, Message, MessageBusProxy, PYRO_MSGBUS_NAME, Subscriber, SubscriberProxy, auto_consume};
use pyro::{Config, Daemon, Value};

/// Per topic: how many messages came, and the last one.
type Counters = BTreeMap<String, (u64, Option<Message>)>;

fn main() -> ExitCode {
    python::exit_status(run())
}

/// Python's `clear_screen`: runs `clear` (what it prints, and whether it exists, is the
/// terminal's business).
fn clear_screen() {
    let _ = std::process::Command::new("clear").status();
}

/// The first `n` characters of `text` (Python's `{:.20}`).
fn truncate(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

fn run() -> pyro::Result<()> {
    let counters: Arc<Mutex<Counters>> = Arc::default();
    let inbox = Arc::new(Inbox::new(5000));
    let bus = MessageBusProxy::from_proxy(python::proxy(&format!("PYRONAME:{PYRO_MSGBUS_NAME}"))?);
    let consumed = Arc::clone(&counters);
    auto_consume(Arc::clone(&inbox), move |topic, message| {
        let mut counters = consumed.lock().unwrap_or_else(PoisonError::into_inner);
        match counters.get_mut(topic) {
            Some(entry) => *entry = (entry.0 + 1, Some(message.clone())),
            // Python's counters only know the topics of the start.
            None => eprintln!("Error while consuming message:\nKeyError: {}", Value::from(topic)),
        }
    });
    let daemon = Arc::new(Daemon::new(Config::environment()?)?);
    let uri = daemon.register_as::<dyn Subscriber, _>(inbox, None)?;
    let serving = Arc::clone(&daemon);
    std::thread::spawn(move || serving.request_loop());

    // mass subscribe to all available topics
    let topics = bus.topics()?;
    let mut topics: Vec<String> =
        topics.as_seq().unwrap_or_default().iter().filter_map(|t| t.as_str().map(str::to_owned)).collect();
    topics.sort();
    counters.lock().unwrap_or_else(PoisonError::into_inner).extend(topics.iter().map(|t| (t.clone(), (0, None))));
    for topic in topics {
        bus.subscribe(topic, SubscriberProxy::from(daemon.proxy_for(uri.object())?))?;
    }

    // show a table of the active topics on the bus
    loop {
        clear_screen();
        println!("{} -- active topics on the messagebus:", LocalTime::now().ctime());
        println!("{:20} : {:5}     last_recv         last message data", "topic", "count");
        let mut rows: Vec<(String, (u64, Option<Message>))> =
            counters.lock().unwrap_or_else(PoisonError::into_inner).clone().into_iter().collect();
        // busiest first; a stable sort keeps equal counts in topic order, as Python's does
        rows.sort_by_key(|row| std::cmp::Reverse(row.1.0));
        for (topic, (count, message)) in rows {
            match message {
                Some(msg) => println!(
                    "{topic:20} : {count:5}  -  {}   {}",
                    msg.created_time(),
                    truncate(&msg.data.to_string(), 20)
                ),
                None => println!("{topic:20} : {count:5}"),
            }
        }
        println!("(restart me to refresh the list of topics)");
        std::thread::sleep(Duration::from_secs(1));
    }
}

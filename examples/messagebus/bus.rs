//! What the message bus server and its publishers and subscribers share, as Pyro5's
//! `messagebus` package does: the bus's name in the name server, the `Message` objects as Pyro5
//! serializes them, the bus's remote interface, the interface a subscriber serves for the bus to
//! call, and the queue Python's `Subscriber` base class keeps its received messages in.
// Not every program uses every item.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyro::{RemoteError, Value};
use serde::{Deserialize, Serialize};

/// The bus's name in the name server (Python's `PYRO_MSGBUS_NAME`).
pub const PYRO_MSGBUS_NAME: &str = "Pyro.MessageBus";

/// The class name Pyro5's messagebus gives a serialized `Message`.
pub const MESSAGE_CLASS: &str = "Pyro5.utils.messagebus.message";

/// One message on the bus, in the shape Python's `Message.to_dict` gives it on the wire:
/// `{"__class__": "Pyro5.utils.messagebus.message", "msgid": <uuid text>, "created": <ISO
/// datetime>, "data": <anything>}`. Python's subscribers turn that dict back into a `Message`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Always [`MESSAGE_CLASS`].
    #[serde(rename = "__class__")]
    pub class: String,
    /// The message id, a UUID in its text form.
    pub msgid: String,
    /// When the bus received it, local time as Python's `datetime.isoformat()`
    /// (`2026-12-01T12:46:05.123456`).
    pub created: String,
    /// What the publisher sent.
    pub data: Value,
}

impl Message {
    /// Python's `str(message.created)`: the date and time separated by a space, without the
    /// fraction when it is zero.
    pub fn created_text(&self) -> String {
        let text = self.created.replacen('T', " ", 1);
        match text.strip_suffix(".000000") {
            Some(whole) => whole.to_owned(),
            None => text,
        }
    }

    /// Python's `str(message.created.time())`.
    pub fn created_time(&self) -> String {
        let text = self.created_text();
        match text.split_once(' ') {
            Some((_, time)) => time.to_owned(),
            None => text,
        }
    }
}

/// Python's `str(value)`: a string as it is, anything else as its `repr`.
pub fn python_str(value: &Value) -> String {
    match value {
        Value::Str(text) => text.clone(),
        other => other.to_string(),
    }
}

/// What a subscriber serves: the bus delivers the messages of the topics it subscribed to
/// (Python's `Subscriber.incoming_message` and `incoming_messages`).
#[pyro::expose]
pub trait Subscriber {
    /// One message of `topic`.
    fn incoming_message(&self, topic: String, message: Message);
    /// Several messages of `topic` at once (what the bus sends when it can).
    fn incoming_messages(&self, topic: String, messages: Vec<Message>);
}

/// The message bus, registered in the name server as [`PYRO_MSGBUS_NAME`] (Python's
/// `MessageBus`).
#[pyro::expose]
pub trait MessageBus {
    /// Creates `topic` if it does not exist (a `TypeError` unless it is a string).
    fn add_topic(&self, topic: Value) -> Result<(), RemoteError>;
    /// Removes `topic`; a `ValueError` while it has pending messages or subscribers.
    fn remove_topic(&self, topic: String) -> Result<(), RemoteError>;
    /// The topics, as a Python set.
    fn topics(&self) -> Result<Value, RemoteError>;
    /// Publishes `message` on `topic` (a `KeyError` if the topic does not exist).
    fn send(&self, topic: String, message: Value) -> Result<(), RemoteError>;
    /// `send` without waiting for it (oneway).
    #[pyro::oneway]
    fn send_no_ack(&self, topic: String, message: Value);
    /// Adds a subscription of `subscriber` to `topic` (creating the topic).
    fn subscribe(&self, topic: String, subscriber: SubscriberProxy) -> Result<(), RemoteError>;
    /// Removes the subscription of `subscriber` to `topic`.
    fn unsubscribe(&self, topic: String, subscriber: SubscriberProxy) -> Result<(), RemoteError>;
}

/// The bounded queue Python's `Subscriber` puts received messages in (`queue.Queue(maxsize)`):
/// `put` waits while it is full.
pub struct Inbox {
    queue: Mutex<VecDeque<(String, Message)>>,
    changed: Condvar,
    max_size: usize,
}

impl Inbox {
    /// An empty inbox for at most `max_size` messages (Python's default is 5000).
    pub fn new(max_size: usize) -> Inbox {
        Inbox { queue: Mutex::new(VecDeque::new()), changed: Condvar::new(), max_size: max_size.max(1) }
    }

    fn queue(&self) -> MutexGuard<'_, VecDeque<(String, Message)>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a message, waiting while the inbox is full.
    pub fn put(&self, topic: String, message: Message) {
        let mut queue = self.queue();
        while queue.len() >= self.max_size {
            queue = self.changed.wait(queue).unwrap_or_else(PoisonError::into_inner);
        }
        queue.push_back((topic, message));
        self.changed.notify_all();
    }

    /// The oldest message, waiting for one as long as it takes.
    pub fn get(&self) -> (String, Message) {
        let mut queue = self.queue();
        loop {
            if let Some(item) = queue.pop_front() {
                self.changed.notify_all();
                return item;
            }
            queue = self.changed.wait(queue).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The oldest message, waiting for one at most `timeout`.
    pub fn get_timeout(&self, timeout: Duration) -> Option<(String, Message)> {
        let queue = self.queue();
        let (mut queue, _) =
            self.changed.wait_timeout_while(queue, timeout, |q| q.is_empty()).unwrap_or_else(PoisonError::into_inner);
        let item = queue.pop_front();
        if item.is_some() {
            self.changed.notify_all();
        }
        item
    }

    /// How many messages wait (Python's `qsize()`).
    pub fn len(&self) -> usize {
        self.queue().len()
    }
}

/// A subscriber that puts what the bus delivers in its inbox (Python's `Subscriber` methods).
impl Subscriber for std::sync::Arc<Inbox> {
    fn incoming_message(&self, topic: String, message: Message) {
        self.put(topic, message);
    }

    fn incoming_messages(&self, topic: String, messages: Vec<Message>) {
        for message in messages {
            self.put(topic.clone(), message);
        }
    }
}

/// Runs `consume` for every message arriving in `inbox`, on a thread of its own (Python's
/// `Subscriber` with `auto_consume=True`).
pub fn auto_consume(
    inbox: std::sync::Arc<Inbox>,
    mut consume: impl FnMut(&str, &Message) + Send + 'static,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        loop {
            if let Some((topic, message)) = inbox.get_timeout(Duration::from_secs(1)) {
                consume(&topic, &message);
            }
        }
    })
}

/// A local date and time, to the microsecond (what Python's `datetime.now()` gives).
pub struct LocalTime {
    /// Days since 1970-01-01.
    days: i64,
    /// (year, month, day).
    date: (i64, u32, u32),
    /// The seconds since midnight.
    seconds: i64,
    micros: u32,
}

impl LocalTime {
    /// Now, in the local time zone.
    pub fn now() -> LocalTime {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let utc = i64::try_from(now.as_secs()).unwrap_or(0);
        let local = utc + utc_offset(utc);
        let (days, seconds) = (local.div_euclid(86_400), local.rem_euclid(86_400));
        LocalTime { days, date: pyro::calendar::civil_from_days(days), seconds, micros: now.subsec_micros() }
    }

    fn day(&self) -> String {
        let (y, m, d) = self.date;
        format!("{y:04}-{m:02}-{d:02}")
    }

    fn clock(&self) -> String {
        let s = self.seconds;
        format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }

    /// Python's `isoformat()`, always with the microseconds: `2026-12-01T12:46:05.123456`.
    pub fn isoformat(&self) -> String {
        format!("{}T{}.{:06}", self.day(), self.clock(), self.micros)
    }

    /// Python's `str()` of the time without microseconds: `2026-12-01 12:46:05`.
    pub fn seconds(&self) -> String {
        format!("{} {}", self.day(), self.clock())
    }

    /// Python's `time.ctime()`: `Tue Dec  1 12:46:05 2026`.
    pub fn ctime(&self) -> String {
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        // 1970-01-01 was a Thursday.
        let weekday = DAYS[usize::try_from((self.days + 3).rem_euclid(7)).unwrap_or(0)];
        let (year, month, day) = self.date;
        let month = MONTHS[usize::try_from(month.saturating_sub(1)).unwrap_or(0) % 12];
        format!("{weekday} {month} {day:>2} {} {year}", self.clock())
    }
}

/// The local time zone's offset from UTC at `utc` (seconds since the epoch), as the C library
/// knows it (`localtime`), asked through SQLite; 0 if that fails.
fn utc_offset(utc: i64) -> i64 {
    thread_local! {
        static CLOCK: Option<rusqlite::Connection> = rusqlite::Connection::open_in_memory().ok();
    }
    CLOCK.with(|clock| {
        let sql = "SELECT CAST(strftime('%s', ?1, 'unixepoch', 'localtime') AS INTEGER) - ?1";
        clock.as_ref().and_then(|c| c.query_row(sql, [utc], |r| r.get::<_, i64>(0)).ok()).unwrap_or(0)
    })
}

//! The server of Pyro5's messagebus example (`python -m messagebus.server`): a publish/subscribe
//! message bus registered in the name server as `Pyro.MessageBus`. Publishers `send` messages
//! on topics; a sender thread delivers each topic's pending messages to its subscribers (objects
//! served by the subscribers' own daemons, passed to `subscribe` as proxies), a batch at a time
//! with `incoming_messages(topic, messages)`, one by one with `incoming_message` when a batch is
//! too large for `MAX_MESSAGE_SIZE`; a subscriber that cannot be reached loses its
//! subscriptions. Every 10 seconds it prints a stats line (topics, subscriptions, pending and
//! total messages). The options are Python's (`-n/--host`, `-p/--port`, `-u/--unixsocket`,
//! `-s/--storage sqlite|memory`, sqlite by default, kept in `messages.sqlite` in the current
//! folder) and so are the printed lines; Python's publishers and subscribers run against it
//! unchanged, and the Rust ones against Python's server.
//!
//! ```sh
//! pyro-ns &                                        # or: python -m Pyro5.nameserver
//! cargo run --example messagebus_server -- -s memory   # or: python -m messagebus.server -s memory
//! cargo run --example messagebus_subscriber        # or: python subscriber.py
//! cargo run --example messagebus_publisher         # or: python publisher.py
//! ```
//!
//! As in Python's server, `COMMTIMEOUT` is 20 s, `POLLTIMEOUT` 10 s, `MAX_MESSAGE_SIZE` 256 kB
//! and `MAX_RETRIES` 3 whatever the environment says; the other `PYRO_*` settings apply. The
//! bus is a class registered with instance mode "single" and an instance creator that makes its
//! storage, as in Python: the bus (and its sender thread, and its first stats line) starts with
//! the first call. Messages carry a new UUID and the local time they arrived, sent as Python's
//! `Message.to_dict` writes them; the time always has its microseconds (Python's `isoformat`
//! leaves them out when they are zero, which Python's own `from_dict` then cannot read). The
//! SQLite database is Python's, data pickled as Python pickles it: either server carries on
//! with the other's `messages.sqlite` (its subscriptions and pending messages). The local time
//! zone is the C library's, asked through SQLite.
//! Python's memory storage fails to `unsubscribe` a subscriber it has delivered messages to
//! (its proxy belongs to the sender thread: "the calling thread is not the owner of this
//! proxy"); this one unsubscribes it. And Python's bus means to deliver a batch too large for
//! one call message by message, but Pyro5 5.17 raises a plain `ProtocolError` for a message too
//! large to send, not the `MessageTooLargeError` it catches, so it drops the subscriber; this
//! one delivers message by message. Delivery failures are reported on standard error (Python
//! logs them).

mod bus;
mod pickle;
mod storage;

use std::process::ExitCode;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bus::{LocalTime, MESSAGE_CLASS, Message, MessageBus, PYRO_MSGBUS_NAME, SubscriberProxy};
use pyro::daemon::InstanceMode;
use pyro::dispatch::{CallContext, IntoRemoteError};
use pyro::protocol::ProtocolError;
use pyro::{Config, Daemon, Error, RemoteError, Value, locate_ns_with_config};
use storage::{DATABASE, MemoryStorage, SqliteStorage, Storage, Sub, adopt, uri_of};

const USAGE: &str = "Usage: server.py [options]";

const HELP: &str = "Usage: server.py [options]

Options:
  -h, --help            show this help message and exit
  -n HOST, --host=HOST  hostname to bind server on
  -p PORT, --port=PORT  port to bind server on (0=random)
  -u UNIXSOCKET, --unixsocket=UNIXSOCKET
                        Unix domain socket name to bind server on
  -s STORAGE, --storage=STORAGE
                        storage type (default=sqlite)";

/// Which storage the bus uses (`-s`).
#[derive(Clone, Copy)]
enum StorageType {
    Sqlite,
    Memory,
}

impl StorageType {
    fn name(self) -> &'static str {
        match self {
            StorageType::Sqlite => "sqlite",
            StorageType::Memory => "memory",
        }
    }
}

struct Options {
    host: String,
    port: u16,
    unix_socket: Option<String>,
    storage: StorageType,
}

/// What the command line asks for, or what to print and the exit code (optparse's behaviour).
fn parse(args: impl Iterator<Item = String>) -> Result<Options, (String, u8)> {
    let mut options = Options { host: "localhost".into(), port: 0, unix_socket: None, storage: StorageType::Sqlite };
    let error = |text: String| (format!("{USAGE}\n\nserver.py: error: {text}"), 2);
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Err((HELP.to_owned(), 0));
        }
        // `--name=value`, `--name value`, `-xvalue` and `-x value`, as optparse takes them.
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if arg.starts_with("--") => (name.to_owned(), Some(value.to_owned())),
            _ if !arg.starts_with("--") && arg.starts_with('-') && arg.len() > 2 => {
                (arg[..2].to_owned(), Some(arg[2..].to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let option = match name.as_str() {
            "-n" | "--host" => "-n",
            "-p" | "--port" => "-p",
            "-u" | "--unixsocket" => "-u",
            "-s" | "--storage" => "-s",
            _ if name.starts_with('-') => return Err(error(format!("no such option: {name}"))),
            // optparse leaves positional arguments to the program, which ignores them.
            _ => continue,
        };
        let value = match inline.or_else(|| args.next()) {
            Some(value) => value,
            None => return Err(error(format!("{name} option requires 1 argument"))),
        };
        match option {
            "-n" => options.host = value,
            "-p" => {
                options.port =
                    value.parse().map_err(|_| error(format!("option {option}: invalid integer value: '{value}'")))?;
            }
            "-u" => options.unix_socket = Some(value),
            _ => {
                options.storage = match value.as_str() {
                    "sqlite" => StorageType::Sqlite,
                    "memory" => StorageType::Memory,
                    _ => {
                        return Err(error(format!(
                            "option {option}: invalid choice: '{value}' (choose from 'sqlite', 'memory')"
                        )));
                    }
                };
            }
        }
    }
    Ok(options)
}

/// What the bus and its sender thread share.
struct Shared {
    storage: Mutex<Box<dyn Storage>>,
    /// Counts the messages sent (Python's `msg_added` event).
    added: Mutex<u64>,
    signal: Condvar,
}

impl Shared {
    fn storage(&self) -> MutexGuard<'_, Box<dyn Storage>> {
        self.storage.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn added(&self) -> u64 {
        *self.added.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Signals that a new message has arrived.
    fn notify(&self) {
        *self.added.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.signal.notify_all();
    }

    /// Waits for a message after the `seen`th, at most `timeout`.
    fn wait(&self, seen: u64, timeout: Duration) {
        let added = self.added.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self.signal.wait_timeout_while(added, timeout, |n| *n == seen);
    }

    /// Removes the subscribers with `uris` from every topic (Python's `_unsubscribe_many`).
    fn unsubscribe_many(&self, uris: &[String]) {
        if uris.is_empty() {
            return;
        }
        let mut storage = self.storage();
        let topics = storage.topics().unwrap_or_default();
        for topic in &topics {
            for uri in uris {
                if let Err(e) = storage.remove_subscriber(topic, uri) {
                    eprintln!("removing subscriber {uri} from {topic}: {e}");
                }
            }
        }
    }

    /// Prints Python's stats line (no newline: it overwrites itself).
    fn print_stats(&self) {
        let stats = self.storage().stats();
        match stats {
            Ok((topics, subscribers, pending, messages)) => {
                let timestamp = LocalTime::now().seconds();
                print!(
                    "\r[{timestamp}] stats: {topics} topics, {subscribers} subs, {pending} pending, {messages} total     "
                );
                let _ = std::io::Write::flush(&mut std::io::stdout());
            }
            Err(e) => eprintln!("stats: {e}"),
        }
    }

    /// Python's `__sender` thread: picks up the pending messages and forwards them.
    fn sender(&self) {
        let mut prev_print_stats: Option<Instant> = None;
        let mut seen = 0;
        loop {
            self.wait(seen, Duration::from_millis(2010));
            if prev_print_stats.is_none_or(|at| at.elapsed() >= Duration::from_secs(10)) {
                prev_print_stats = Some(Instant::now());
                self.print_stats();
            }
            seen = self.added();
            let fetched = {
                let mut storage = self.storage();
                storage.all_pending_messages().and_then(|m| Ok((m, storage.all_subscribers()?)))
            };
            let (msgs_per_topic, subs_per_topic) = match fetched {
                Ok(fetched) => fetched,
                Err(e) => {
                    eprintln!("reading the pending messages: {e}");
                    continue;
                }
            };
            let mut subs_to_remove = Vec::new();
            for (topic, messages) in &msgs_per_topic {
                let Some(subscribers) = subs_per_topic.get(topic) else { continue };
                if messages.is_empty() {
                    continue;
                }
                for subscriber in subscribers {
                    let uri = uri_of(subscriber);
                    if subs_to_remove.contains(&uri) {
                        // skipping because subscriber is scheduled for removal
                        continue;
                    }
                    if let Err(x) = deliver(subscriber, topic, messages) {
                        // can't deliver them, drop the subscription
                        let class = x.python_class();
                        let class = class.rsplit('.').next().unwrap_or(class);
                        eprintln!(
                            "error delivering message(s) for topic={topic}, subscriber={}, error={class}({:?})",
                            subscriber.proxy(),
                            x.to_string()
                        );
                        eprintln!("removing subscription because of that error");
                        subs_to_remove.push(uri);
                    }
                }
            }
            // remove processed messages
            if !msgs_per_topic.is_empty()
                && let Err(e) = self.storage().remove_messages(&msgs_per_topic)
            {
                eprintln!("removing delivered messages: {e}");
            }
            // remove broken subscribers
            self.unsubscribe_many(&subs_to_remove);
        }
    }
}

/// Sends the batch of messages pending for `topic` in one go, or one by one when the batch
/// does not fit in the configured `MAX_MESSAGE_SIZE`.
fn deliver(subscriber: &Sub, topic: &str, messages: &[Message]) -> pyro::Result<()> {
    match subscriber.incoming_messages(topic.to_owned(), messages.to_vec()) {
        Err(Error::Protocol(ProtocolError::OutgoingTooLarge { .. } | ProtocolError::MessageTooLarge { .. })) => {
            messages.iter().try_for_each(|m| subscriber.incoming_message(topic.to_owned(), m.clone()))
        }
        other => other,
    }
}

/// Python's `MessageBus`: the bus every client shares (instance mode "single").
struct Bus {
    /// The shared state, or why the storage could not be opened.
    shared: Result<Arc<Shared>, RemoteError>,
    /// The settings of the proxies for subscribers.
    config: Config,
}

impl Bus {
    /// Python's `make_messagebus`: a bus on the chosen storage, with its sender thread.
    fn new(storage: StorageType, config: &Config) -> Bus {
        let opened: Result<Box<dyn Storage>, RemoteError> = match storage {
            StorageType::Memory => Ok(Box::new(MemoryStorage::default())),
            StorageType::Sqlite => SqliteStorage::open(DATABASE, config.clone())
                .map(|s| Box::new(s) as Box<dyn Storage>)
                .map_err(|e| RemoteError::new("builtins.RuntimeError", vec![Value::from(format!("{DATABASE}: {e}"))])),
        };
        let shared = opened.and_then(|storage| {
            let shared =
                Arc::new(Shared { storage: Mutex::new(storage), added: Mutex::new(0), signal: Condvar::new() });
            let sender = Arc::clone(&shared);
            match std::thread::Builder::new().name("messagebus.sender".into()).spawn(move || sender.sender()) {
                Ok(_) => Ok(shared),
                Err(e) => Err(RemoteError::new(
                    "builtins.RuntimeError",
                    vec![Value::from(format!("cannot start the sender thread: {e}"))],
                )),
            }
        });
        Bus { shared, config: config.clone() }
    }

    fn shared(&self) -> Result<&Shared, RemoteError> {
        self.shared.as_deref().map_err(Clone::clone)
    }
}

fn value_error(text: &str) -> RemoteError {
    RemoteError::new("builtins.ValueError", vec![Value::from(text)])
}

fn type_error(text: &str) -> RemoteError {
    RemoteError::new("builtins.TypeError", vec![Value::from(text)])
}

impl MessageBus for Bus {
    fn add_topic(&self, topic: Value) -> Result<(), RemoteError> {
        let topic = topic.as_str().ok_or_else(|| type_error("topic must be str"))?;
        self.shared()?.storage().create_topic(topic)
    }

    fn remove_topic(&self, topic: String) -> Result<(), RemoteError> {
        let mut storage = self.shared()?.storage();
        if storage.has_pending_messages(&topic)? || storage.has_subscribers(&topic)? {
            return Err(value_error("topic still has pending messages and/or subscribers"));
        }
        storage.remove_topic(&topic)
    }

    fn topics(&self) -> Result<Value, RemoteError> {
        let topics = self.shared()?.storage().topics()?;
        Ok(Value::Set(topics.into_iter().map(Value::from).collect()))
    }

    fn send(&self, topic: String, message: Value) -> Result<(), RemoteError> {
        let shared = self.shared()?;
        let created = LocalTime::now().isoformat();
        let message = Message {
            class: MESSAGE_CLASS.to_owned(),
            msgid: pyro::uuid::Uuid::new_v4().to_string(),
            created,
            data: message,
        };
        shared.storage().add_message(&topic, message)?;
        shared.notify(); // signal that a new message has arrived
        Ok(())
    }

    fn send_no_ack(&self, topic: String, message: Value) {
        if let Err(e) = self.send(topic, message) {
            eprintln!("send_no_ack: {e}");
        }
    }

    fn subscribe(&self, topic: String, subscriber: SubscriberProxy) -> Result<(), RemoteError> {
        // Python asks the proxy for its `incoming_message` method: from the metadata the proxy
        // carried, or else from the subscriber's daemon.
        if subscriber.proxy().metadata().is_none() {
            subscriber.proxy().bind().map_err(IntoRemoteError::into_remote_error)?;
        }
        if !subscriber.proxy().metadata().is_some_and(|m| m.methods.contains("incoming_message")) {
            return Err(type_error("subscriber must have incoming_message() method"));
        }
        self.add_topic(Value::from(topic.as_str()))?; // make sure the topic exists
        let subscriber = adopt(subscriber.proxy().clone(), &self.config);
        self.shared()?.storage().add_subscriber(&topic, Arc::new(subscriber))
    }

    fn unsubscribe(&self, topic: String, subscriber: SubscriberProxy) -> Result<(), RemoteError> {
        self.shared()?.storage().remove_subscriber(&topic, &uri_of(&subscriber))
    }
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err((text, 0)) => {
            println!("{text}");
            return ExitCode::SUCCESS;
        }
        Err((text, code)) => {
            eprintln!("{text}");
            return ExitCode::from(code);
        }
    };
    match serve(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: {e}", e.python_class());
            ExitCode::FAILURE
        }
    }
}

fn serve(options: &Options) -> pyro::Result<()> {
    let config = Config {
        comm_timeout: Some(Duration::from_secs(20)),
        poll_timeout: Duration::from_secs(10),
        max_message_size: 256 * 1024,
        max_retries: 3,
        ..Config::environment()?
    };
    let builder = Daemon::builder().config(config.clone());
    let daemon = match &options.unix_socket {
        Some(path) => builder.unix_socket(path.clone()),
        None => builder.host(options.host.clone()).port(options.port),
    }
    .bind()?;
    let storage = options.storage;
    let proxies = config.clone();
    let create = move |_: &CallContext| Bus::new(storage, &proxies);
    let uri = daemon.register_class_as::<dyn MessageBus, _>(InstanceMode::Single, create, None)?;
    println!("Pyro Message Bus.");
    println!("    uri  = {uri}");
    let ns = locate_ns_with_config(None, None, &config)?;
    ns.register(PYRO_MSGBUS_NAME, &uri, false, None)?;
    println!("    name = {PYRO_MSGBUS_NAME}");
    println!("Server running, storage is {}.", storage.name());
    daemon.request_loop()
}

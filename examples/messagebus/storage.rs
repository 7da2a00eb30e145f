//! The message bus server's two storages, as in Pyro5's messagebus: `MemoryStorage` (dicts in
//! memory: fast, forgotten when the server stops) and `SqliteStorage` (topics, pending messages
//! and subscriptions in `messages.sqlite` in the current folder, with Python's tables: a
//! restarted server carries on with them, calling its subscribers back by their URIs).
//!
//! A message's data is pickled into `Message.msgdata` as Python's storage pickles it (see
//! `pickle.rs`), so either server carries on with the other's database. A row whose data is
//! not a plain value (a pickled class instance) cannot be read here: it is dropped with a
//! warning.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use pyro::proxy::Proxy;
use pyro::{Config, RemoteError, Serializer, Value};
use rusqlite::{Connection, OptionalExtension, params};

use crate::bus::{MESSAGE_CLASS, Message, SubscriberProxy};
use crate::pickle;

/// A subscriber as the bus keeps it: its proxy, shared by the calls that use it.
pub type Sub = Arc<SubscriberProxy>;

/// The URI text that identifies a subscriber (Pyro5 proxies are equal when their URIs are).
pub fn uri_of(subscriber: &SubscriberProxy) -> String {
    subscriber.proxy().uri().to_string()
}

/// `proxy` as the bus calls subscribers: with the server's timeout and retries, and, unless
/// the subscriber's proxy names its serializer, the server's (`PYRO_SERIALIZER`, else Pyro5's
/// default serpent), as a Pyro5 server's proxies do.
pub fn adopt(mut proxy: Proxy, config: &Config) -> SubscriberProxy {
    if proxy.state().serializer.is_none() {
        proxy.set_serializer(config.serializer.unwrap_or(Serializer::Serpent));
    }
    proxy.set_timeout(config.comm_timeout);
    proxy.set_max_retries(config.max_retries);
    SubscriberProxy::from_proxy(proxy)
}

/// Pending messages per topic, in the order they came.
pub type Pending = Vec<(String, Vec<Message>)>;

/// What the bus asks of a storage (Python's storage classes' methods).
pub trait Storage: Send {
    /// The topics.
    fn topics(&mut self) -> Result<Vec<String>, RemoteError>;
    /// Creates `topic` unless it exists.
    fn create_topic(&mut self, topic: &str) -> Result<(), RemoteError>;
    /// Removes `topic`, its messages and its subscriptions.
    fn remove_topic(&mut self, topic: &str) -> Result<(), RemoteError>;
    /// Adds a pending message; a `KeyError` if `topic` does not exist.
    fn add_message(&mut self, topic: &str, message: Message) -> Result<(), RemoteError>;
    /// Subscribes `subscriber` to `topic` (which exists).
    fn add_subscriber(&mut self, topic: &str, subscriber: Sub) -> Result<(), RemoteError>;
    /// Ends the subscription of the subscriber with `uri` to `topic`.
    fn remove_subscriber(&mut self, topic: &str, uri: &str) -> Result<(), RemoteError>;
    /// Every pending message, per topic.
    fn all_pending_messages(&mut self) -> Result<Pending, RemoteError>;
    /// Whether `topic` has pending messages.
    fn has_pending_messages(&mut self, topic: &str) -> Result<bool, RemoteError>;
    /// Whether `topic` has subscribers.
    fn has_subscribers(&mut self, topic: &str) -> Result<bool, RemoteError>;
    /// Every subscriber, per topic.
    fn all_subscribers(&mut self) -> Result<BTreeMap<String, Vec<Sub>>, RemoteError>;
    /// Removes the given messages (those delivered, or that nobody wanted).
    fn remove_messages(&mut self, pending: &Pending) -> Result<(), RemoteError>;
    /// (topics, subscriptions, pending messages, messages received in total).
    fn stats(&mut self) -> Result<(usize, usize, usize, u64), RemoteError>;
}

/// Python's `KeyError(key)`.
pub fn key_error(key: &str) -> RemoteError {
    RemoteError::new("builtins.KeyError", vec![Value::from(key)])
}

/// Python's `MemoryStorage`.
#[derive(Default)]
pub struct MemoryStorage {
    /// topic -> pending messages, topics in creation order.
    messages: Vec<(String, Vec<Message>)>,
    /// topic -> subscribers, by URI.
    subscribers: HashMap<String, BTreeMap<String, Sub>>,
    total_msg_count: u64,
}

impl MemoryStorage {
    fn pending(&mut self, topic: &str) -> Option<&mut Vec<Message>> {
        self.messages.iter_mut().find(|(t, _)| t == topic).map(|(_, m)| m)
    }
}

impl Storage for MemoryStorage {
    fn topics(&mut self) -> Result<Vec<String>, RemoteError> {
        Ok(self.messages.iter().map(|(t, _)| t.clone()).collect())
    }

    fn create_topic(&mut self, topic: &str) -> Result<(), RemoteError> {
        if self.pending(topic).is_none() {
            self.messages.push((topic.to_owned(), Vec::new()));
            self.subscribers.insert(topic.to_owned(), BTreeMap::new());
        }
        Ok(())
    }

    fn remove_topic(&mut self, topic: &str) -> Result<(), RemoteError> {
        if self.pending(topic).is_some() {
            self.messages.retain(|(t, _)| t != topic);
            if let Some(subs) = self.subscribers.remove(topic) {
                for sub in subs.values() {
                    sub.proxy().release();
                }
            }
        }
        Ok(())
    }

    fn add_message(&mut self, topic: &str, message: Message) -> Result<(), RemoteError> {
        self.pending(topic).ok_or_else(|| key_error(topic))?.push(message);
        self.total_msg_count += 1;
        Ok(())
    }

    fn add_subscriber(&mut self, topic: &str, subscriber: Sub) -> Result<(), RemoteError> {
        // If another topic already has a proxy for this uri, use that one.
        let uri = uri_of(&subscriber);
        let known = self.subscribers.values().find_map(|subs| subs.get(&uri).cloned());
        let subs = self.subscribers.get_mut(topic).ok_or_else(|| key_error(topic))?;
        subs.entry(uri).or_insert_with(|| known.unwrap_or(subscriber));
        Ok(())
    }

    fn remove_subscriber(&mut self, topic: &str, uri: &str) -> Result<(), RemoteError> {
        let subs = self.subscribers.get_mut(topic).ok_or_else(|| key_error(topic))?;
        if let Some(sub) = subs.remove(uri) {
            sub.proxy().release();
        }
        Ok(())
    }

    fn all_pending_messages(&mut self) -> Result<Pending, RemoteError> {
        Ok(self.messages.clone())
    }

    fn has_pending_messages(&mut self, topic: &str) -> Result<bool, RemoteError> {
        Ok(self.pending(topic).is_some_and(|m| !m.is_empty()))
    }

    fn has_subscribers(&mut self, topic: &str) -> Result<bool, RemoteError> {
        Ok(self.subscribers.get(topic).is_some_and(|s| !s.is_empty()))
    }

    fn all_subscribers(&mut self) -> Result<BTreeMap<String, Vec<Sub>>, RemoteError> {
        Ok(self.subscribers.iter().map(|(t, subs)| (t.clone(), subs.values().cloned().collect())).collect())
    }

    fn remove_messages(&mut self, pending: &Pending) -> Result<(), RemoteError> {
        for (topic, messages) in pending {
            if let Some(list) = self.pending(topic) {
                list.retain(|m| !messages.iter().any(|gone| gone.msgid == m.msgid));
            }
        }
        Ok(())
    }

    fn stats(&mut self) -> Result<(usize, usize, usize, u64), RemoteError> {
        let subscribers = self.subscribers.values().map(BTreeMap::len).sum();
        let pending = self.messages.iter().map(|(_, m)| m.len()).sum();
        Ok((self.messages.len(), subscribers, pending, self.total_msg_count))
    }
}

/// A storage failure as the client sees it.
fn db_error(e: rusqlite::Error) -> RemoteError {
    RemoteError::new("builtins.RuntimeError", vec![Value::from(format!("messages.sqlite: {e}"))])
}

/// Python's `SqliteStorage`, on `messages.sqlite` with Python's tables.
pub struct SqliteStorage {
    conn: Connection,
    /// uri -> proxy, for the subscribers of this run (Python's `proxy_cache`).
    proxy_cache: HashMap<String, Sub>,
    /// The settings of proxies made for subscribers stored by an earlier run.
    config: Config,
    total_msg_count: u64,
}

/// The file Python's storage uses, in the current folder.
pub const DATABASE: &str = "messages.sqlite";

impl SqliteStorage {
    /// Opens (or creates) `path` with Python's tables.
    pub fn open(path: &str, config: Config) -> Result<SqliteStorage, rusqlite::Error> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA foreign_keys=ON;
CREATE TABLE IF NOT EXISTS Topic (
  id  INTEGER PRIMARY KEY,
  topic  NVARCHAR(500) UNIQUE NOT NULL
);
CREATE TABLE IF NOT EXISTS Message(
  id  CHAR(36) PRIMARY KEY,
  created  DATETIME NOT NULL,
  topic  INTEGER NOT NULL,
  msgdata  BLOB NOT NULL,
  FOREIGN KEY(topic) REFERENCES Topic(id)
);
CREATE TABLE IF NOT EXISTS Subscription(
  id  INTEGER PRIMARY KEY,
  topic  INTEGER NOT NULL,
  subscriber  NVARCHAR(500) NOT NULL,
  FOREIGN KEY(topic) REFERENCES Topic(id)
);",
        )?;
        Ok(SqliteStorage { conn, proxy_cache: HashMap::new(), config, total_msg_count: 0 })
    }

    fn topic_id(&self, topic: &str) -> Result<Option<i64>, RemoteError> {
        self.conn.query_row("SELECT id FROM Topic WHERE topic=?", [topic], |r| r.get(0)).optional().map_err(db_error)
    }

    fn exists(&self, sql: &str, param: impl rusqlite::Params) -> Result<bool, RemoteError> {
        self.conn.query_row(sql, param, |r| r.get(0)).map_err(db_error)
    }
}

impl Storage for SqliteStorage {
    fn topics(&mut self) -> Result<Vec<String>, RemoteError> {
        let mut statement = self.conn.prepare("SELECT topic FROM Topic").map_err(db_error)?;
        let rows = statement.query_map([], |r| r.get(0)).map_err(db_error)?;
        rows.collect::<Result<_, _>>().map_err(db_error)
    }

    fn create_topic(&mut self, topic: &str) -> Result<(), RemoteError> {
        self.conn.execute("INSERT OR IGNORE INTO Topic(topic) VALUES(?)", [topic]).map_err(db_error)?;
        Ok(())
    }

    fn remove_topic(&mut self, topic: &str) -> Result<(), RemoteError> {
        let Some(topic_id) = self.topic_id(topic)? else {
            return Ok(());
        };
        let uris: Vec<String> = {
            let mut statement =
                self.conn.prepare("SELECT subscriber FROM Subscription WHERE topic=?").map_err(db_error)?;
            let rows = statement.query_map([topic_id], |r| r.get(0)).map_err(db_error)?;
            rows.collect::<Result<_, _>>().map_err(db_error)?
        };
        let tx = self.conn.transaction().map_err(db_error)?;
        tx.execute("DELETE FROM Subscription WHERE topic=?", [topic_id]).map_err(db_error)?;
        tx.execute("DELETE FROM Message WHERE topic=?", [topic_id]).map_err(db_error)?;
        tx.execute("DELETE FROM Topic WHERE id=?", [topic_id]).map_err(db_error)?;
        tx.commit().map_err(db_error)?;
        for uri in uris {
            if let Some(proxy) = self.proxy_cache.remove(&uri) {
                proxy.proxy().release();
            }
        }
        Ok(())
    }

    fn add_message(&mut self, topic: &str, message: Message) -> Result<(), RemoteError> {
        let topic_id = self.topic_id(topic)?.ok_or_else(|| key_error(topic))?;
        // Only kept when somebody subscribed to the topic; otherwise discarded.
        if self.exists("SELECT EXISTS(SELECT 1 FROM Subscription WHERE topic=?)", [topic_id])? {
            let data = pickle::dumps(&message.data).map_err(|e| {
                RemoteError::new("builtins.TypeError", vec![Value::from(format!("cannot store the message: {e}"))])
            })?;
            let created = message.created.replacen('T', " ", 1);
            self.conn
                .execute(
                    "INSERT INTO Message(id, created, topic, msgdata) VALUES (?,?,?,?)",
                    params![message.msgid, created, topic_id, data],
                )
                .map_err(db_error)?;
        }
        self.total_msg_count += 1;
        Ok(())
    }

    fn add_subscriber(&mut self, topic: &str, subscriber: Sub) -> Result<(), RemoteError> {
        let uri = uri_of(&subscriber);
        let topic_id = self.topic_id(topic)?.ok_or_else(|| key_error(topic))?;
        let sql = "SELECT EXISTS(SELECT 1 FROM Subscription WHERE topic=? AND subscriber=?)";
        if !self.exists(sql, params![topic_id, uri])? {
            self.conn
                .execute("INSERT INTO Subscription(topic, subscriber) VALUES (?,?)", params![topic_id, uri])
                .map_err(db_error)?;
        }
        self.proxy_cache.insert(uri, subscriber);
        Ok(())
    }

    fn remove_subscriber(&mut self, topic: &str, uri: &str) -> Result<(), RemoteError> {
        self.conn
            .execute(
                "DELETE FROM Subscription WHERE topic=(SELECT id FROM Topic WHERE topic=?) AND subscriber=?",
                params![topic, uri],
            )
            .map_err(db_error)?;
        if let Some(proxy) = self.proxy_cache.remove(uri) {
            proxy.proxy().release();
        }
        Ok(())
    }

    fn all_pending_messages(&mut self) -> Result<Pending, RemoteError> {
        let rows: Vec<(String, String, String, Vec<u8>)> = {
            let mut statement = self
                .conn
                .prepare("SELECT t.topic, m.id, m.created, m.msgdata FROM Message AS m, Topic as t WHERE m.topic=t.id ORDER BY m.rowid")
                .map_err(db_error)?;
            let rows =
                statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).map_err(db_error)?;
            rows.collect::<Result<_, _>>().map_err(db_error)?
        };
        let mut result: Pending = Vec::new();
        for (topic, msgid, created, blob) in rows {
            let data = match pickle::loads(&blob) {
                Ok(data) => data,
                Err(e) => {
                    eprintln!("cannot read the data of message {msgid} (dropped): {e}");
                    self.conn.execute("DELETE FROM Message WHERE id = ?", [&msgid]).map_err(db_error)?;
                    continue;
                }
            };
            let message =
                Message { class: MESSAGE_CLASS.to_owned(), msgid, created: created.replacen(' ', "T", 1), data };
            match result.iter_mut().find(|(t, _)| *t == topic) {
                Some((_, messages)) => messages.push(message),
                None => result.push((topic, vec![message])),
            }
        }
        Ok(result)
    }

    fn has_pending_messages(&mut self, topic: &str) -> Result<bool, RemoteError> {
        self.exists("SELECT EXISTS(SELECT 1 FROM Message WHERE topic=(SELECT id FROM Topic WHERE topic=?))", [topic])
    }

    fn has_subscribers(&mut self, topic: &str) -> Result<bool, RemoteError> {
        self.exists(
            "SELECT EXISTS(SELECT 1 FROM Subscription WHERE topic=(SELECT id FROM Topic WHERE topic=?))",
            [topic],
        )
    }

    fn all_subscribers(&mut self) -> Result<BTreeMap<String, Vec<Sub>>, RemoteError> {
        let rows: Vec<(i64, String, String)> = {
            let mut statement = self
                .conn
                .prepare("SELECT s.id, t.topic, s.subscriber FROM Subscription AS s, Topic AS t WHERE t.id=s.topic")
                .map_err(db_error)?;
            let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(db_error)?;
            rows.collect::<Result<_, _>>().map_err(db_error)?
        };
        let mut subs: BTreeMap<String, Vec<Sub>> = BTreeMap::new();
        for (sub_id, topic, uri) in rows {
            let proxy = match self.proxy_cache.get(&uri) {
                Some(proxy) => Arc::clone(proxy),
                None => match uri.parse() {
                    Ok(parsed) => {
                        let proxy = Arc::new(adopt(Proxy::with_config(parsed, &self.config), &self.config));
                        self.proxy_cache.insert(uri, Arc::clone(&proxy));
                        proxy
                    }
                    Err(e) => {
                        eprintln!("Cannot create pyro proxy, sub_id={sub_id}, uri={uri}: {e}");
                        self.conn.execute("DELETE FROM Subscription WHERE id=?", [sub_id]).map_err(db_error)?;
                        continue;
                    }
                },
            };
            subs.entry(topic).or_default().push(proxy);
        }
        Ok(subs)
    }

    fn remove_messages(&mut self, pending: &Pending) -> Result<(), RemoteError> {
        let tx = self.conn.transaction().map_err(db_error)?;
        for message in pending.iter().flat_map(|(_, messages)| messages) {
            tx.execute("DELETE FROM Message WHERE id = ?", [&message.msgid]).map_err(db_error)?;
        }
        tx.commit().map_err(db_error)
    }

    fn stats(&mut self) -> Result<(usize, usize, usize, u64), RemoteError> {
        let count = |table: &str| -> Result<usize, RemoteError> {
            let n: i64 =
                self.conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).map_err(db_error)?;
            Ok(usize::try_from(n).unwrap_or(0))
        };
        Ok((count("Topic")?, count("Subscription")?, count("Message")?, self.total_msg_count))
    }
}

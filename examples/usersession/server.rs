//! The server of Pyro5's usersession example: registers two classes with the name server, as
//! Python's `serve()` does: `SingletonDatabase` (one instance for every client, as
//! `example.usersession.singletondb`), which reads the user from each call's `USER` annotation
//! and shares one database connection between all clients, so that clients using it at the
//! same time get concurrency errors; and `SessionboundDatabase` (one instance per proxy
//! connection, as `example.usersession.sessiondb`), whose instance creator reads the `USER`
//! annotation once and opens a connection for that user, which no other client shares. The
//! dummy database is Python's `database.py`. It prints what Python's `server.py` prints, so
//! that Python's `client.py` from that example runs against it unchanged (and
//! `usersession_client` against either server).
//!
//! ```sh
//! cargo run -p pyro5-ns --bin pyro-ns            # a name server (or Python's: pyro5-ns)
//! cargo run --example usersession_server         # or: python server.py (in Pyro5's examples)
//! cargo run --example usersession_client         # or: python client.py
//! ```
//!
//! As in Pyro5, the `PYRO_*` environment variables apply (`PYRO_HOST`, `PYRO_NS_HOST`,
//! `PYRO_NS_PORT`, ...) and the name server is found as Pyro5's `serve()` finds it; the
//! objects get generated ids, their names live in the name server. The daemon is a thread-pool
//! server, what Python's `config.SERVERTYPE = "thread"` asks for: each client connection is
//! served by one thread, which is what the database's one-thread-per-connection rule sees.
//! The errors are Python's: `KeyError('USER')` for a call without the annotation (and for a
//! key never stored), `AssertionError('access denied')` for a user the database does not know,
//! `RuntimeError` for a connection used by two threads at once, and `UnicodeDecodeError` for a
//! user name that is not UTF-8. As in Python, the session-bound database's instance creator
//! (Python's `__init__`) is what fails for a session's first call without a usable `USER`
//! annotation: no instance is made, and the session's next call tries again (Pyro5's
//! `_getInstance`), so the creation line is printed by the first call that names a user.

mod database;

#[path = "../common/python.rs"]
mod python;

use std::process::ExitCode;
use std::sync::Arc;

use database::{Connection, DummyDatabase};
use pyro::daemon::InstanceMode;
use pyro::dispatch::CallContext;
use pyro::protocol::AnnotationId;
use pyro::{Config, Daemon, RemoteError, Value, locate_ns_with_config};

/// The user of a call: its `USER` annotation as text (Python's
/// `bytes(current_context.annotations["USER"]).decode("utf-8")`).
fn user(ctx: &CallContext) -> pyro::Result<String> {
    let id = AnnotationId::try_from("USER")?;
    let Some(bytes) = ctx.annotations().get(id) else {
        return Err(RemoteError::new("builtins.KeyError", vec![Value::from("USER")]).into());
    };
    String::from_utf8(bytes.to_vec()).map_err(|e| unicode_decode_error(bytes, e.utf8_error()).into())
}

/// Python's `UnicodeDecodeError` for bytes that are not UTF-8, with the five arguments Python
/// rebuilds it from (encoding, bytes, start, end, reason).
fn unicode_decode_error(bytes: &[u8], error: std::str::Utf8Error) -> RemoteError {
    let start = error.valid_up_to();
    let byte = bytes.get(start).copied().unwrap_or_default();
    let (end, reason) = match error.error_len() {
        None => (bytes.len(), "unexpected end of data"),
        Some(len) if (0x80..0xc2).contains(&byte) || byte > 0xf4 => (start + len, "invalid start byte"),
        Some(len) => (start + len, "invalid continuation byte"),
    };
    let args = vec![
        Value::from("utf-8"),
        Value::Bytes(bytes.to_vec()),
        Value::int(start),
        Value::int(end),
        Value::from(reason),
    ];
    let mut exception = RemoteError::new("builtins.UnicodeDecodeError", args);
    exception.message = format!("'utf-8' codec can't decode byte {byte:#04x} in position {start}: {reason}");
    exception
}

/// Pyro5's `SingletonDatabase`: `@behavior(instance_mode="single")`. It exhibits problems when
/// used from multiple proxies at the same time, because it uses its one database connection
/// from different threads.
pub struct SingletonDatabase {
    conn: Connection,
}

impl SingletonDatabase {
    fn new(database: &Arc<DummyDatabase>) -> SingletonDatabase {
        println!("[SingletonDatabase] new instance and connection");
        // The user is per call, not per connection.
        SingletonDatabase { conn: database.connect(None) }
    }
}

#[pyro::expose]
impl SingletonDatabase {
    /// Stores `value` under `key` for the call's user.
    pub fn store(&self, ctx: &CallContext, key: Value, value: Value) -> pyro::Result<()> {
        let user = user(ctx)?;
        Ok(self.conn.store(key, value, Some(&user))?)
    }

    /// The value under `key`, for the call's user.
    pub fn retrieve(&self, ctx: &CallContext, key: Value) -> pyro::Result<Value> {
        let user = user(ctx)?;
        Ok(self.conn.retrieve(key, Some(&user))?)
    }

    /// Answers `"hi"`.
    pub fn ping(&self) -> String {
        "hi".to_owned()
    }
}

/// Pyro5's `SessionboundDatabase`: `@behavior(instance_mode="session")`. It works fine when
/// used from multiple proxies at the same time, because every session (proxy connection) gets
/// its own instance and database connection.
pub struct SessionboundDatabase {
    connection: Connection,
}

impl SessionboundDatabase {
    /// The instance creator (Python's `__init__`): connects for the user of the call that
    /// needs the instance, failing that call if it names none (`KeyError('USER')`) or one that
    /// is not UTF-8; the next call of the session tries again.
    fn new(database: &Arc<DummyDatabase>, ctx: &CallContext) -> pyro::Result<SessionboundDatabase> {
        let user = user(ctx)?;
        let connection = database.connect(Some(user.clone()));
        println!("[SessionboundDatabase] new instance and connection for user: {user}");
        Ok(SessionboundDatabase { connection })
    }
}

#[pyro::expose]
impl SessionboundDatabase {
    /// Stores `value` under `key` for the session's user.
    pub fn store(&self, key: Value, value: Value) -> pyro::Result<()> {
        Ok(self.connection.store(key, value, None)?)
    }

    /// The value under `key`, for the session's user.
    pub fn retrieve(&self, key: Value) -> pyro::Result<Value> {
        Ok(self.connection.retrieve(key, None)?)
    }

    /// Answers `"hi"`.
    pub fn ping(&self) -> String {
        "hi".to_owned()
    }
}

fn main() -> ExitCode {
    python::exit_status(serve())
}

/// What Pyro5's `serve({SingletonDatabase: ..., SessionboundDatabase: ...})` does: locate the
/// name server, then register each class under a generated id, print its URI, register its
/// name, print the name; then serve.
fn serve() -> pyro::Result<()> {
    let config = Config::environment()?;
    let ns = locate_ns_with_config(None, None, &config)?;
    let daemon = Daemon::builder().config(config).bind()?;
    let database = DummyDatabase::new();
    let single = {
        let database = Arc::clone(&database);
        move |_: &CallContext| SingletonDatabase::new(&database)
    };
    let session = move |ctx: &CallContext| SessionboundDatabase::new(&database, ctx);
    let uris = [
        (
            "SingletonDatabase",
            "example.usersession.singletondb",
            daemon.register_class_with(InstanceMode::Single, single, None)?,
        ),
        (
            "SessionboundDatabase",
            "example.usersession.sessiondb",
            daemon.register_class_try_with(InstanceMode::Session, session, None)?,
        ),
    ];
    for (class, name, uri) in uris {
        println!("Object <class '__main__.{class}'>:\n    uri = {uri}");
        ns.register(name, &uri, false, None)?;
        println!("    name = {name}");
    }
    println!("Pyro daemon running.");
    daemon.request_loop()
}

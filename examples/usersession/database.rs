//! Pyro5's `database.py` from the usersession example: a key-value store with an artificial
//! delay, and connections to it that only one thread may use at a time (a second thread gets
//! an error instead of waiting).

use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;
use std::time::Duration;

use pyro::{RemoteError, Value};

/// The users the database lets in (Python's `allowed_users`).
const ALLOWED_USERS: [&str; 2] = ["user123", "admin"];

/// Python's `DummyDatabase`: the key-value store every connection shares.
#[derive(Default)]
pub struct DummyDatabase {
    /// Keys and values in insertion order (Python's dict; keys of any kind, compared as Python
    /// compares them).
    storage: Mutex<Vec<(Value, Value)>>,
}

impl DummyDatabase {
    /// An empty database.
    pub fn new() -> Arc<DummyDatabase> {
        Arc::new(DummyDatabase::default())
    }

    /// A connection for `user` (`None`: each call names its user).
    pub fn connect(self: &Arc<Self>, user: Option<String>) -> Connection {
        Connection { db: Arc::clone(self), user, lock: ReentrantTryLock::default() }
    }

    /// Python's `db[key] = value`, after the artificial delay.
    fn set(&self, key: Value, value: Value) {
        artificial_delay();
        let mut storage = self.storage.lock().unwrap_or_else(PoisonError::into_inner);
        match storage.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => storage.push((key, value)),
        }
    }

    /// Python's `db[key]`, after the artificial delay: a `KeyError` for a key never stored.
    fn get(&self, key: &Value) -> Result<Value, RemoteError> {
        artificial_delay();
        let storage = self.storage.lock().unwrap_or_else(PoisonError::into_inner);
        match storage.iter().find(|(k, _)| k == key) {
            Some((_, value)) => Ok(value.clone()),
            None => Err(RemoteError::new("builtins.KeyError", vec![key.clone()])),
        }
    }
}

/// Python's `time.sleep(random.random()/10)`: up to a tenth of a second.
fn artificial_delay() {
    use std::hash::{BuildHasher, RandomState};
    let fraction = RandomState::new().hash_one(std::time::SystemTime::now()) % 1_000_000;
    std::thread::sleep(Duration::from_micros(fraction / 10));
}

/// Python's `threading.RLock` used with `acquire(blocking=False)`: held by one thread at a
/// time, which may acquire it again.
#[derive(Default)]
struct ReentrantTryLock {
    /// The owning thread and how many times it acquired the lock.
    owner: Mutex<Option<(ThreadId, usize)>>,
}

impl ReentrantTryLock {
    /// Acquires the lock unless another thread holds it.
    fn try_acquire(&self) -> bool {
        let me = std::thread::current().id();
        let mut owner = self.owner.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *owner {
            None => {
                *owner = Some((me, 1));
                true
            }
            Some((thread, count)) if *thread == me => {
                *count += 1;
                true
            }
            Some(_) => false,
        }
    }

    /// Releases one acquisition by this thread.
    fn release(&self) {
        let mut owner = self.owner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((thread, count)) = &mut *owner
            && *thread == std::thread::current().id()
        {
            *count -= 1;
            if *count == 0 {
                *owner = None;
            }
        }
    }
}

/// Python's `Connection`: a connection to the datastore with the artificial limitation that
/// only a single thread may use it at the same time.
pub struct Connection {
    db: Arc<DummyDatabase>,
    user: Option<String>,
    lock: ReentrantTryLock,
}

impl Connection {
    /// The user a call acts for (Python's `user or self.user`), checked against the allowed
    /// users (Python's `assert ..., "access denied"`).
    fn user<'a>(&'a self, user: Option<&'a str>) -> Result<&'a str, RemoteError> {
        let user = user.filter(|u| !u.is_empty()).or(self.user.as_deref());
        match user {
            Some(user) if ALLOWED_USERS.contains(&user) => Ok(user),
            _ => Err(RemoteError::new("builtins.AssertionError", vec![Value::from("access denied")])),
        }
    }

    /// Stores `value` under `key`, for `user` (or the connection's user).
    pub fn store(&self, key: Value, value: Value, user: Option<&str>) -> Result<(), RemoteError> {
        let user = self.user(user)?;
        if !self.lock.try_acquire() {
            return Err(concurrent("write"));
        }
        println!("DB: user {user} stores: {} = {}", python_str(&key), python_str(&value));
        self.db.set(key, value);
        self.lock.release();
        Ok(())
    }

    /// The value stored under `key`, for `user` (or the connection's user). As in Python, a
    /// missing key raises `KeyError` with the lock still held: this thread may go on using the
    /// connection, any other thread gets the concurrent access error from then on.
    pub fn retrieve(&self, key: Value, user: Option<&str>) -> Result<Value, RemoteError> {
        let user = self.user(user)?;
        if !self.lock.try_acquire() {
            return Err(concurrent("read"));
        }
        println!("DB: user {user} retrieve: {}", python_str(&key));
        let value = self.db.get(&key)?;
        self.lock.release();
        Ok(value)
    }
}

/// The error of a connection used by a second thread.
fn concurrent(access: &str) -> RemoteError {
    let message = format!("ERROR: concurrent connection access ({access}) by multiple different threads");
    RemoteError::new("builtins.RuntimeError", vec![Value::from(message)])
}

/// Python's `str()` of a value (its `repr()`, but for strings).
pub fn python_str(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

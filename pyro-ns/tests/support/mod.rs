//! Shared by the name server tests: temporary directories, name servers over both storages,
//! and in-process calls through the generated dispatch table.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use pyro::dispatch::{CallArgs, Servant, Served};
use pyro::value::Dict;
use pyro::{Error, RemoteError, Serializer, Value};
use pyro_ns::NameServer;
use pyro_ns::storage::{MemoryStorage, SqlStorage};

#[path = "../tempdir/mod.rs"]
mod tempdir;
pub use tempdir::TempDir;

/// A name server over each storage kind: `(label, name server, directory to keep alive)`.
pub fn name_servers() -> Vec<(&'static str, NameServer, Option<TempDir>)> {
    let dir = TempDir::new("api");
    let sql = SqlStorage::open(dir.file("names.db")).unwrap();
    vec![
        ("memory", NameServer::new(Arc::new(MemoryStorage::new())), None),
        ("sql", NameServer::new(Arc::new(sql)), Some(dir)),
    ]
}

/// Calls `method` on a served name server as the daemon would, decoding the reply.
pub fn call(
    servant: &dyn Servant,
    ser: Serializer,
    method: &str,
    vargs: Vec<Value>,
    kwargs: Dict,
) -> Result<Value, Error> {
    let kwargs = (!kwargs.is_empty()).then_some(kwargs);
    let reply = servant.invoke(method, CallArgs::new(method, vargs, kwargs), ser)?;
    Ok(ser.from_bytes::<Value>(&reply).unwrap())
}

/// The servant for a name server.
pub fn served(ns: &NameServer) -> Served<NameServer> {
    Served::new(ns.clone())
}

/// The remote exception of a failed call.
pub fn raised(result: Result<Value, Error>) -> RemoteError {
    match result {
        Err(Error::Remote(remote)) => *remote,
        other => panic!("expected a remote error, got {other:?}"),
    }
}

/// A dict from pairs.
pub fn kwargs<const N: usize>(pairs: [(&str, Value); N]) -> Dict {
    pairs.into_iter().collect()
}

/// A list of strings.
pub fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::from(*s)).collect())
}

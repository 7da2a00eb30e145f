//! Shared by the macro tests: calling a `Servant` directly and reading its replies.
#![allow(dead_code, clippy::unwrap_used)]

use pyro::dispatch::{CallArgs, Servant};
use pyro::value::Dict;
use pyro::{Error, RemoteError, Serializer, Value};

/// Calls `method` and decodes the reply.
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

/// Calls `method` with positional arguments only.
pub fn positional(servant: &dyn Servant, ser: Serializer, method: &str, vargs: Vec<Value>) -> Result<Value, Error> {
    call(servant, ser, method, vargs, Dict::new())
}

/// The remote exception of a failed call.
pub fn raised(result: Result<Value, Error>) -> RemoteError {
    match result {
        Err(Error::Remote(remote)) => *remote,
        other => panic!("expected a remote error, got {other:?}"),
    }
}

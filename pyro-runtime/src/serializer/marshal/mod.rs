//! Pyro5's marshal serializer (id 2): Python's `marshal` format.
//!
//! (Work in progress: the full codec is being written; only strings work yet.)

mod strings;

pub use strings::{decode_str, encode_str};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::SerializeError;
use crate::value::Value;

/// Serializes a value as Python's `marshal.dumps` writes the same data.
pub fn to_bytes<T: Serialize + ?Sized>(_value: &T) -> Result<Vec<u8>, SerializeError> {
    Err(SerializeError::Unsupported { name: "marshal", id: 2 })
}

/// Deserializes marshal bytes into any type; a [`Value`] takes anything.
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, SerializeError> {
    crate::value::from_value(parse_value(bytes)?)
}

/// Parses marshal bytes into a [`Value`].
pub fn parse_value(_bytes: &[u8]) -> Result<Value, SerializeError> {
    Err(SerializeError::Unsupported { name: "marshal", id: 2 })
}

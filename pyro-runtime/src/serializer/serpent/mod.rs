//! Pyro5's serpent serializer (id 1), Pyro5's default: Python literal syntax.
//!
//! (Work in progress: the codec is being written.)

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::SerializeError;
use crate::value::Value;

/// Serializes a value as Python's `serpent.dumps(value, module_in_classname=True)` writes the same data.
pub fn to_bytes<T: Serialize + ?Sized>(_value: &T) -> Result<Vec<u8>, SerializeError> {
    Err(SerializeError::Unsupported { name: "serpent", id: 1 })
}

/// Deserializes serpent bytes into any type; a [`Value`] takes anything.
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, SerializeError> {
    crate::value::from_value(parse_value(bytes)?)
}

/// Parses serpent bytes (any Python literal `ast.literal_eval` reads) into a [`Value`].
pub fn parse_value(_bytes: &[u8]) -> Result<Value, SerializeError> {
    Err(SerializeError::Unsupported { name: "serpent", id: 1 })
}

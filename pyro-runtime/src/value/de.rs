//! `Deserialize` for [`Value`] and [`from_value`] (PLACEHOLDER: the value helper replaces this file).

use serde::de::DeserializeOwned;

use super::Value;
use crate::serializer::SerializeError;

/// Converts a [`Value`] into any deserializable type.
pub fn from_value<T: DeserializeOwned>(_value: Value) -> Result<T, SerializeError> {
    todo!("value helper")
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(_deserializer: D) -> Result<Value, D::Error> {
        todo!("value helper")
    }
}

//! Python `repr()` of a [`Value`] as its `Display` (PLACEHOLDER: the value helper replaces this file).

use super::Value;

impl std::fmt::Display for Value {
    fn fmt(&self, _f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        todo!("value helper")
    }
}

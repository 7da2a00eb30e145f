//! [`Dict`]: an insertion-ordered Python dict whose keys may be any [`Value`].

use super::Value;

/// A Python dict: insertion-ordered entries whose keys may be of any kind (ints, tuples, ...).
///
/// Lookups are linear, which is the right trade for the small dicts of remote calls.
/// Equality ignores order, as Python's does.
///
/// ```
/// use pyro_runtime::value::{Dict, Value};
///
/// let mut d = Dict::new();
/// d.insert("a", 1);
/// d.insert(Value::Int(2), "two");
/// d.insert("a", 3); // replaces, keeps the position
/// assert_eq!(d.get("a"), Some(&Value::Int(3)));
/// assert_eq!(d.len(), 2);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Dict {
    entries: Vec<(Value, Value)>,
}

impl Dict {
    /// An empty dict.
    ///
    /// ```
    /// assert!(pyro_runtime::value::Dict::new().is_empty());
    /// ```
    pub fn new() -> Dict {
        Dict::default()
    }

    /// An empty dict with room for `n` entries.
    ///
    /// ```
    /// assert!(pyro_runtime::value::Dict::with_capacity(4).is_empty());
    /// ```
    pub fn with_capacity(n: usize) -> Dict {
        Dict { entries: Vec::with_capacity(n) }
    }

    /// Number of entries.
    ///
    /// ```
    /// assert_eq!(pyro_runtime::value::Dict::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the dict has no entries.
    ///
    /// ```
    /// assert!(pyro_runtime::value::Dict::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sets `key` to `value`, replacing (in place) an existing entry with an equal key.
    /// Returns the old value, if any.
    ///
    /// ```
    /// let mut d = pyro_runtime::value::Dict::new();
    /// assert!(d.insert("k", 1).is_none());
    /// assert!(d.insert("k", 2).is_some());
    /// ```
    pub fn insert(&mut self, key: impl Into<Value>, value: impl Into<Value>) -> Option<Value> {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => Some(std::mem::replace(slot, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// A dict of `entries` taken as they are, for decoders that have already made the keys
    /// unique.
    pub(crate) fn from_unique_entries(entries: Vec<(Value, Value)>) -> Dict {
        Dict { entries }
    }

    /// Appends an entry without looking for an equal key; for decoders that build a dict
    /// from a wire map (where a later duplicate key wins on lookup, as in Python).
    pub(crate) fn push_unchecked(&mut self, key: Value, value: Value) {
        self.entries.push((key, value));
    }

    /// The value stored under the string key `key`.
    ///
    /// ```
    /// let mut d = pyro_runtime::value::Dict::new();
    /// d.insert("k", true);
    /// assert_eq!(d.get("k").and_then(|v| v.as_bool()), Some(true));
    /// ```
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().rev().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
    }

    /// The value stored under a key of any kind.
    ///
    /// ```
    /// use pyro_runtime::value::{Dict, Value};
    /// let mut d = Dict::new();
    /// d.insert(1, "one");
    /// assert_eq!(d.get_value(&Value::Int(1)), Some(&Value::from("one")));
    /// ```
    pub fn get_value(&self, key: &Value) -> Option<&Value> {
        self.entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Removes and returns the value under the string key `key`.
    ///
    /// ```
    /// let mut d = pyro_runtime::value::Dict::new();
    /// d.insert("k", 1);
    /// assert!(d.remove("k").is_some());
    /// assert!(d.is_empty());
    /// ```
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let pos = self.entries.iter().rposition(|(k, _)| k.as_str() == Some(key))?;
        Some(self.entries.remove(pos).1)
    }

    /// The entries in insertion order.
    ///
    /// ```
    /// let mut d = pyro_runtime::value::Dict::new();
    /// d.insert("a", 1);
    /// assert_eq!(d.iter().count(), 1);
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Value, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The keys in insertion order.
    ///
    /// ```
    /// let mut d = pyro_runtime::value::Dict::new();
    /// d.insert("a", 1);
    /// assert_eq!(d.keys().next().and_then(|k| k.as_str()), Some("a"));
    /// ```
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Value> {
        self.entries.iter().map(|(k, _)| k)
    }
}

impl PartialEq for Dict {
    fn eq(&self, other: &Dict) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get_value(k) == Some(v))
    }
}

impl IntoIterator for Dict {
    type Item = (Value, Value);
    type IntoIter = std::vec::IntoIter<(Value, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<K: Into<Value>, V: Into<Value>> FromIterator<(K, V)> for Dict {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Dict {
        let mut d = Dict::new();
        for (k, v) in iter {
            d.insert(k, v);
        }
        d
    }
}

//! [`Dict`]: an insertion-ordered Python dict whose keys may be any [`Value`].

use indexmap::IndexMap;

use super::Value;
use super::key::{Key, KeyRef, StrRef};

/// What a dict costs besides its entries: the boxed table (see [`crate::serializer::DecodeLimit`]).
pub(crate) const DICT_COST: usize = std::mem::size_of::<IndexMap<Key, Value>>();

/// What each entry of a dict costs besides its key's and value's own [`Value`]s: the key's
/// wrapper, the stored hash and the slot in the hash table's index (with its control byte).
pub(crate) const DICT_ENTRY_COST: usize =
    std::mem::size_of::<Key>() - std::mem::size_of::<Value>() + 2 * std::mem::size_of::<usize>() + 1;

/// A Python dict: insertion-ordered entries whose keys may be of any kind (ints, tuples, ...).
///
/// Inserting and looking up take constant time (a hash map in insertion order). Keys match as in
/// Python: numbers by value across kinds (`True`, `1` and `1.0` are one key; the first key
/// inserted stays, the last value wins), all NaNs as one key, tuples element-wise, and every
/// other kind as [`Value`]'s `==`. Equality of two dicts ignores order, as Python's does.
///
/// ```
/// use pyro::value::{Dict, Value};
///
/// let mut d = Dict::new();
/// d.insert("a", 1);
/// d.insert(Value::Int(2), "two");
/// d.insert("a", 3); // replaces, keeps the position
/// d.insert(2.0, "float two"); // the same key as 2, as in Python
/// assert_eq!(d.get("a"), Some(&Value::Int(3)));
/// assert_eq!(d.get_value(&Value::Int(2)), Some(&Value::from("float two")));
/// assert_eq!(d.len(), 2);
/// assert_eq!(Value::Dict(d).to_string(), "{'a': 3, 2: 'float two'}");
/// ```
#[derive(Clone, Default)]
pub struct Dict {
    // Boxed: the map with its hasher state is 72 bytes, which would more than double every `Value`;
    // absent while the dict has never held an entry (empty dicts, such as most calls' keyword
    // arguments, allocate nothing).
    entries: Option<Box<IndexMap<Key, Value>>>,
}

impl Dict {
    /// An empty dict.
    ///
    /// ```
    /// assert!(pyro::value::Dict::new().is_empty());
    /// ```
    pub fn new() -> Dict {
        Dict::default()
    }

    /// An empty dict with room for `n` entries.
    ///
    /// ```
    /// assert!(pyro::value::Dict::with_capacity(4).is_empty());
    /// ```
    pub fn with_capacity(n: usize) -> Dict {
        Dict { entries: (n > 0).then(|| Box::new(IndexMap::with_capacity(n))) }
    }

    /// Number of entries.
    ///
    /// ```
    /// assert_eq!(pyro::value::Dict::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.as_ref().map_or(0, |entries| entries.len())
    }

    /// Whether the dict has no entries.
    ///
    /// ```
    /// assert!(pyro::value::Dict::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sets `key` to `value`. An existing entry with an equal key (in Python's sense) keeps its
    /// key and position and takes the new value, which is what Python's `d[key] = value` does.
    /// Returns the old value, if any.
    ///
    /// ```
    /// use pyro::value::{Dict, Value};
    /// let mut d = Dict::new();
    /// assert!(d.insert(1, "a").is_none());
    /// assert_eq!(d.insert(true, "b"), Some(Value::from("a")));
    /// assert_eq!(d.keys().next(), Some(&Value::Int(1)));
    /// ```
    pub fn insert(&mut self, key: impl Into<Value>, value: impl Into<Value>) -> Option<Value> {
        let key = key.into();
        let value = value.into();
        let entries = self.entries.get_or_insert_with(Box::default);
        match entries.get_mut(&KeyRef(&key)) {
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => {
                entries.insert(Key(key), value);
                None
            }
        }
    }

    /// The value stored under the string key `key`.
    ///
    /// ```
    /// let mut d = pyro::value::Dict::new();
    /// d.insert("k", true);
    /// assert_eq!(d.get("k").and_then(|v| v.as_bool()), Some(true));
    /// ```
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.as_ref()?.get(&StrRef(key))
    }

    /// The value stored under a key of any kind.
    ///
    /// ```
    /// use pyro::value::{Dict, Value};
    /// let mut d = Dict::new();
    /// d.insert(1, "one");
    /// assert_eq!(d.get_value(&Value::Int(1)), Some(&Value::from("one")));
    /// assert_eq!(d.get_value(&Value::Float(1.0)), Some(&Value::from("one")));
    /// ```
    pub fn get_value(&self, key: &Value) -> Option<&Value> {
        self.entries.as_ref()?.get(&KeyRef(key))
    }

    /// Removes and returns the value under the string key `key`; the other entries keep their
    /// order (this shifts the later entries, so it takes linear time).
    ///
    /// ```
    /// let mut d = pyro::value::Dict::new();
    /// d.insert("k", 1);
    /// assert!(d.remove("k").is_some());
    /// assert!(d.is_empty());
    /// ```
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.entries.as_mut()?.shift_remove(&StrRef(key))
    }

    /// The entries in insertion order.
    ///
    /// ```
    /// let mut d = pyro::value::Dict::new();
    /// d.insert("a", 1);
    /// assert_eq!(d.iter().count(), 1);
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&Value, &Value)> {
        self.entries.as_deref().map(IndexMap::iter).unwrap_or_default().map(|(k, v)| (&k.0, v))
    }

    /// The keys in insertion order.
    ///
    /// ```
    /// let mut d = pyro::value::Dict::new();
    /// d.insert("a", 1);
    /// assert_eq!(d.keys().next().and_then(|k| k.as_str()), Some("a"));
    /// ```
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Value> {
        self.entries.as_deref().map(IndexMap::keys).unwrap_or_default().map(|k| &k.0)
    }
}

impl std::fmt::Debug for Dict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl PartialEq for Dict {
    fn eq(&self, other: &Dict) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get_value(k) == Some(v))
    }
}

/// The entries of a [`Dict`], by value, in insertion order.
///
/// ```
/// let d: pyro::value::Dict = [("a", 1)].into_iter().collect();
/// let mut entries = d.into_iter();
/// assert_eq!(entries.len(), 1);
/// assert!(entries.next().is_some());
/// ```
pub struct DictIntoIter(indexmap::map::IntoIter<Key, Value>);

impl Iterator for DictIntoIter {
    type Item = (Value, Value);

    fn next(&mut self) -> Option<(Value, Value)> {
        self.0.next().map(|(k, v)| (k.0, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl ExactSizeIterator for DictIntoIter {}

impl DoubleEndedIterator for DictIntoIter {
    fn next_back(&mut self) -> Option<(Value, Value)> {
        self.0.next_back().map(|(k, v)| (k.0, v))
    }
}

impl IntoIterator for Dict {
    type Item = (Value, Value);
    type IntoIter = DictIntoIter;

    fn into_iter(self) -> DictIntoIter {
        DictIntoIter(self.entries.map(|entries| (*entries).into_iter()).unwrap_or_default())
    }
}

impl<K: Into<Value>, V: Into<Value>> FromIterator<(K, V)> for Dict {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Dict {
        let iter = iter.into_iter();
        let mut d = Dict::with_capacity(iter.size_hint().0.min(4096));
        for (k, v) in iter {
            d.insert(k, v);
        }
        d
    }
}

impl<K: Into<Value>, V: Into<Value>> Extend<(K, V)> for Dict {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn later_duplicate_wins_in_first_position() {
        for n in [3, 100] {
            let mut d: Dict = (0..n).map(|i| (Value::Int(i), Value::Int(i))).collect();
            d.insert(Value::Int(1), "again");
            d.insert(Value::Float(-0.0), Value::None);
            d.insert(Value::Bool(false), Value::Bool(true));
            let out: Vec<(Value, Value)> = d.into_iter().collect();
            assert_eq!(out.len(), usize::try_from(n).unwrap());
            assert_eq!(out[1], (Value::Int(1), Value::from("again")));
            // -0.0 and False are the key 0, which keeps its place and its first spelling.
            assert_eq!(out[0], (Value::Int(0), Value::Bool(true)));
        }
    }

    #[test]
    fn many_entries_insert_and_look_up_with_the_right_contents() {
        const N: i64 = 200_000;
        let mut d = Dict::new();
        for i in 0..N {
            assert!(d.insert(i, i * 2).is_none());
        }
        for i in (0..N).step_by(2) {
            // A float key equal to an int replaces its value in place.
            assert_eq!(d.insert(i as f64, -i), Some(Value::Int(i * 2)));
        }
        assert_eq!(d.len(), usize::try_from(N).unwrap());
        for i in 0..N {
            let want = if i % 2 == 0 { -i } else { i * 2 };
            assert_eq!(d.get_value(&Value::Int(i)), Some(&Value::Int(want)), "{i}");
        }
        let strings: Dict = (0..N).map(|i| (format!("k{i}"), i)).collect();
        assert!((0..N).all(|i| strings.get(&format!("k{i}")) == Some(&Value::Int(i))));
        assert_eq!(d.keys().take(3).cloned().collect::<Vec<_>>(), [Value::Int(0), Value::Int(1), Value::Int(2)]);
        assert_eq!(d.clone(), d);
    }

    #[test]
    fn values_stay_small() {
        assert!(std::mem::size_of::<Value>() <= 40, "{}", std::mem::size_of::<Value>());
    }

    #[test]
    fn remove_keeps_the_order_of_the_rest() {
        let mut d: Dict = [("a", 1), ("b", 2), ("c", 3)].into_iter().collect();
        assert_eq!(d.remove("b"), Some(Value::Int(2)));
        assert_eq!(d.remove("b"), None);
        assert_eq!(Value::Dict(d).to_string(), "{'a': 1, 'c': 3}");
    }
}

//! Building a [`Dict`] from a wire map in linear time, with Python's rule for repeated keys
//! (the later value wins, in the position of the first).
//!
//! Small maps compare keys linearly; larger ones index keys by a hash that agrees with
//! `Value`'s equality, so an adversarial map cannot make decoding quadratic.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher, RandomState};

use super::{Dict, Value};

/// Up to this many entries, repeated keys are found by a linear scan.
const LINEAR_LIMIT: usize = 16;

/// Collects map entries, replacing the value of a repeated key.
pub(crate) struct DictBuilder {
    entries: Vec<(Value, Value)>,
    index: Option<KeyIndex>,
}

struct KeyIndex {
    state: RandomState,
    buckets: HashMap<u64, Vec<usize>>,
}

impl DictBuilder {
    /// A builder with room for `capacity` entries (the caller bounds untrusted sizes).
    pub(crate) fn with_capacity(capacity: usize) -> DictBuilder {
        DictBuilder { entries: Vec::with_capacity(capacity), index: None }
    }

    /// Adds an entry; a key equal to an earlier one replaces that entry's value.
    pub(crate) fn push(&mut self, key: Value, value: Value) {
        let Some(index) = &mut self.index else {
            if let Some(slot) = self.entries.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = value;
                return;
            }
            self.entries.push((key, value));
            if self.entries.len() > LINEAR_LIMIT {
                let mut index = KeyIndex { state: RandomState::new(), buckets: HashMap::new() };
                for (i, (k, _)) in self.entries.iter().enumerate() {
                    let h = hash_value(k, &index.state);
                    index.buckets.entry(h).or_default().push(i);
                }
                self.index = Some(index);
            }
            return;
        };
        let bucket = index.buckets.entry(hash_value(&key, &index.state)).or_default();
        for &i in bucket.iter() {
            if let Some(slot) = self.entries.get_mut(i)
                && slot.0 == key
            {
                slot.1 = value;
                return;
            }
        }
        bucket.push(self.entries.len());
        self.entries.push((key, value));
    }

    /// The dict, in first-insertion order.
    pub(crate) fn finish(self) -> Dict {
        Dict::from_distinct_entries(self.entries)
    }
}

/// A hash consistent with `Value`'s `PartialEq` (equal values hash equally).
fn hash_value(value: &Value, state: &RandomState) -> u64 {
    let mut hasher = state.build_hasher();
    feed(value, &mut hasher, state);
    hasher.finish()
}

/// Float bits with all zeros and all NaNs folded together, as equality treats them.
fn float_key(f: f64) -> u64 {
    if f == 0.0 {
        0
    } else if f.is_nan() {
        u64::MAX
    } else {
        f.to_bits()
    }
}

fn feed(value: &Value, h: &mut impl Hasher, state: &RandomState) {
    match value {
        Value::None => 0u8.hash(h),
        Value::Bool(b) => (1u8, b).hash(h),
        Value::Int(n) => (2u8, n).hash(h),
        Value::BigInt(n) => (3u8, n).hash(h),
        Value::Float(f) => (4u8, float_key(*f)).hash(h),
        Value::Complex { re, im } => (5u8, float_key(*re), float_key(*im)).hash(h),
        Value::Str(s) => (6u8, s).hash(h),
        Value::Bytes(b) => (7u8, b).hash(h),
        Value::List(items) | Value::Tuple(items) => {
            (if matches!(value, Value::List(_)) { 8u8 } else { 9u8 }, items.len()).hash(h);
            for item in items {
                feed(item, h, state);
            }
        }
        Value::Set(items) => {
            // Order-free: the distinct member hashes, sorted.
            let mut hashes: Vec<u64> = items.iter().map(|item| hash_value(item, state)).collect();
            hashes.sort_unstable();
            hashes.dedup();
            (10u8, items.len(), hashes).hash(h);
        }
        Value::Dict(dict) => {
            let mut hashes: Vec<u64> = dict
                .iter()
                .map(|(k, v)| {
                    let mut pair = state.build_hasher();
                    feed(k, &mut pair, state);
                    feed(v, &mut pair, state);
                    pair.finish()
                })
                .collect();
            hashes.sort_unstable();
            hashes.dedup();
            (11u8, dict.len(), hashes).hash(h);
        }
        Value::DateTime(ts) => (12u8, float_key(*ts)).hash(h),
        Value::Date(d) => (13u8, d).hash(h),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(entries: impl IntoIterator<Item = (Value, Value)>) -> Vec<(Value, Value)> {
        let mut b = DictBuilder::with_capacity(0);
        for (k, v) in entries {
            b.push(k, v);
        }
        b.finish().into_iter().collect()
    }

    #[test]
    fn later_duplicate_wins_in_first_position() {
        for n in [3, 100] {
            let mut entries: Vec<(Value, Value)> = (0..n).map(|i| (Value::Int(i), Value::Int(i))).collect();
            entries.push((Value::Int(1), Value::from("again")));
            entries.push((Value::Float(-0.0), Value::None));
            entries.push((Value::Float(0.0), Value::Bool(true)));
            let out = build(entries);
            assert_eq!(out.len(), usize::try_from(n).map(|n| n + 1).unwrap_or(0));
            assert_eq!(out.get(1), Some(&(Value::Int(1), Value::from("again"))));
            assert_eq!(out.last(), Some(&(Value::Float(-0.0), Value::Bool(true))));
        }
    }

    #[test]
    fn equal_compound_keys_hash_equally() {
        let state = RandomState::new();
        let pairs = [
            (Value::Set(vec![1.into(), 1.into(), 2.into()]), Value::Set(vec![2.into(), 1.into(), 2.into()])),
            (Value::Float(f64::NAN), Value::Float(-f64::NAN)),
            (
                Value::Dict([("a", 1), ("b", 2)].into_iter().collect()),
                Value::Dict([("b", 2), ("a", 1)].into_iter().collect()),
            ),
        ];
        for (a, b) in pairs {
            assert_eq!(a, b);
            assert_eq!(hash_value(&a, &state), hash_value(&b, &state), "{a} / {b}");
        }
        assert_ne!(hash_value(&Value::List(vec![]), &state), hash_value(&Value::Tuple(vec![]), &state));
    }
}

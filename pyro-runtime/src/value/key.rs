//! How [`Dict`](super::Dict) matches keys: Python's rules, with a hash that agrees with them.
//!
//! Numbers are one kind, compared by value: `True`, `1`, `1.0` and `1+0j` are the same key, as
//! in Python (and `0.0`, `-0.0`, `False`, `0`). All NaNs are one key (as [`Value`]'s `==` has
//! it; Python tells NaN objects apart by identity, which a wire value does not have). Tuples and
//! lists compare element-wise with these rules, sets and dicts without regard to order; every
//! other kind compares as [`Value`]'s `==` does.

use std::hash::{DefaultHasher, Hash, Hasher};

use num_bigint::BigInt;
use num_traits::FromPrimitive as _;

use super::Value;

/// A dict key: a [`Value`] hashed and compared with Python's dict rules.
#[derive(Clone, Debug)]
pub(super) struct Key(pub(super) Value);

/// A borrowed value used to look a [`Key`] up.
pub(super) struct KeyRef<'a>(pub(super) &'a Value);

/// A borrowed str used to look a [`Key`] up without building a [`Value`].
pub(super) struct StrRef<'a>(pub(super) &'a str);

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        same_key(&self.0, &other.0)
    }
}

impl Eq for Key {}

impl Hash for Key {
    fn hash<H: Hasher>(&self, h: &mut H) {
        feed(&self.0, h);
    }
}

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        feed(self.0, h);
    }
}

impl indexmap::Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        same_key(self.0, &key.0)
    }
}

impl Hash for StrRef<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        feed_str(self.0, h);
    }
}

impl indexmap::Equivalent<Key> for StrRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        key.0.as_str() == Some(self.0)
    }
}

/// A number reduced to one form per Python value: integral values as integers, other floats
/// by their bits (all NaNs folded together).
#[derive(PartialEq, Eq, Hash)]
enum Number {
    Small(i64),
    Big(BigInt),
    Fraction(u64),
}

/// The bits of a NaN, one for all of them.
const NAN_BITS: u64 = 0x7ff8_0000_0000_0000;

/// 2^63 as a float: integral floats in `[-2^63, 2^63)` fit an `i64`.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

fn number_of_float(f: f64) -> Number {
    if f.is_nan() {
        Number::Fraction(NAN_BITS)
    } else if f.is_finite() && f.fract() == 0.0 {
        if (-TWO_POW_63..TWO_POW_63).contains(&f) {
            // In range and integral, so the conversion is exact.
            Number::Small(f as i64)
        } else {
            // Finite, so from_f64 succeeds; the fallback is unreachable but harmless.
            BigInt::from_f64(f).map_or(Number::Fraction(f.to_bits()), Number::Big)
        }
    } else {
        Number::Fraction(f.to_bits())
    }
}

/// The number a value stands for as a dict key, if it is one (bool, int, float, or a complex
/// with no imaginary part).
fn number(value: &Value) -> Option<Number> {
    match value {
        Value::Bool(b) => Some(Number::Small(i64::from(*b))),
        Value::Int(n) => Some(Number::Small(*n)),
        // Never within i64 (constructors normalise), but match Value::int's rule to be safe.
        Value::BigInt(n) => Some(i64::try_from(n).map_or_else(|_| Number::Big(n.clone()), Number::Small)),
        Value::Float(f) => Some(number_of_float(*f)),
        Value::Complex { re, im } if *im == 0.0 => Some(number_of_float(*re)),
        _ => None,
    }
}

fn same_float(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Whether two values are the same dict key (see the module docs).
pub(super) fn same_key(a: &Value, b: &Value) -> bool {
    use Value as V;
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return x == y;
    }
    match (a, b) {
        (V::None, V::None) => true,
        (V::Complex { re: a, im: b }, V::Complex { re: c, im: d }) => same_float(*a, *c) && same_float(*b, *d),
        (V::Str(x), V::Str(y)) => x == y,
        (V::Bytes(x), V::Bytes(y)) => x == y,
        (V::List(x), V::List(y)) | (V::Tuple(x), V::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_key(p, q))
        }
        (V::Set(x), V::Set(y)) => {
            x.len() == y.len()
                && x.iter().all(|p| y.iter().any(|q| same_key(p, q)))
                && y.iter().all(|q| x.iter().any(|p| same_key(p, q)))
        }
        (V::Dict(x), V::Dict(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get_value(k).is_some_and(|w| same_key(v, w)))
        }
        (V::DateTime(x), V::DateTime(y)) => same_float(*x, *y),
        (V::Date(x), V::Date(y)) => x == y,
        _ => false,
    }
}

fn feed_str(s: &str, h: &mut impl Hasher) {
    (6u8, s).hash(h);
}

/// The bits of a float with all zeros and all NaNs folded together, as [`same_float`] has it.
fn float_bits(f: f64) -> u64 {
    if f == 0.0 {
        0
    } else if f.is_nan() {
        NAN_BITS
    } else {
        f.to_bits()
    }
}

/// An order-free hash of a collection: its distinct member hashes, sorted.
fn unordered<'a>(items: impl Iterator<Item = (&'a Value, Option<&'a Value>)>, h: &mut impl Hasher) {
    let mut hashes: Vec<u64> = items
        .map(|(k, v)| {
            // A fixed-key hasher: only the outer hasher needs to be randomised.
            let mut member = DefaultHasher::new();
            feed(k, &mut member);
            if let Some(v) = v {
                feed(v, &mut member);
            }
            member.finish()
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes.hash(h);
}

/// Feeds `value` to `h` so that values that are [`same_key`] hash equally.
fn feed(value: &Value, h: &mut impl Hasher) {
    if let Some(n) = number(value) {
        (2u8, n).hash(h);
        return;
    }
    match value {
        Value::None => 0u8.hash(h),
        Value::Complex { re, im } => (5u8, float_bits(*re), float_bits(*im)).hash(h),
        Value::Str(s) => feed_str(s, h),
        Value::Bytes(b) => (7u8, b).hash(h),
        Value::List(items) | Value::Tuple(items) => {
            (if matches!(value, Value::List(_)) { 8u8 } else { 9u8 }, items.len()).hash(h);
            for item in items {
                feed(item, h);
            }
        }
        Value::Set(items) => {
            (10u8, items.len()).hash(h);
            unordered(items.iter().map(|item| (item, None)), h);
        }
        Value::Dict(dict) => {
            (11u8, dict.len()).hash(h);
            unordered(dict.iter().map(|(k, v)| (k, Some(v))), h);
        }
        Value::DateTime(ts) => (12u8, float_bits(*ts)).hash(h),
        Value::Date(d) => (13u8, d).hash(h),
        // Numbers were handled above.
        Value::Bool(_) | Value::Int(_) | Value::BigInt(_) | Value::Float(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use std::hash::{BuildHasher, RandomState};

    use super::*;

    fn hash(value: &Value, state: &RandomState) -> u64 {
        state.hash_one(Key(value.clone()))
    }

    #[test]
    fn python_equal_keys_are_equal_and_hash_equally() {
        let state = RandomState::new();
        let big = Value::int(BigInt::from(1u8) << 70);
        let groups = [
            vec![Value::Bool(true), Value::Int(1), Value::Float(1.0), Value::Complex { re: 1.0, im: 0.0 }],
            vec![Value::Bool(false), Value::Int(0), Value::Float(0.0), Value::Float(-0.0)],
            vec![big.clone(), Value::Float(2f64.powi(70))],
            vec![Value::int(1u64 << 63), Value::Float(TWO_POW_63)],
            vec![Value::Float(f64::NAN), Value::Float(-f64::NAN), Value::Complex { re: f64::NAN, im: -0.0 }],
            vec![
                Value::Tuple(vec![Value::Int(1), Value::from("a")]),
                Value::Tuple(vec![Value::Float(1.0), "a".into()]),
            ],
            vec![Value::Set(vec![1.into(), 2.into()]), Value::Set(vec![Value::Float(2.0), Value::Bool(true)])],
            vec![
                Value::Dict([("a", 1), ("b", 2)].into_iter().collect()),
                Value::Dict([("b", 2), ("a", 1)].into_iter().collect()),
            ],
            vec![Value::DateTime(0.0), Value::DateTime(-0.0)],
        ];
        for group in &groups {
            for a in group {
                for b in group {
                    assert!(same_key(a, b), "{a} / {b}");
                    assert_eq!(hash(a, &state), hash(b, &state), "{a} / {b}");
                }
            }
        }
        // Different groups are different keys.
        for (i, x) in groups.iter().enumerate() {
            for y in groups.iter().skip(i + 1) {
                assert!(!same_key(&x[0], &y[0]), "{} / {}", x[0], y[0]);
            }
        }
        let distinct = [
            (Value::Float(1.5), Value::Int(1)),
            (Value::Float(f64::INFINITY), Value::Float(f64::NEG_INFINITY)),
            (Value::List(vec![]), Value::Tuple(vec![])),
            (Value::from("1"), Value::Int(1)),
            (Value::Bytes(b"a".to_vec()), Value::from("a")),
            (Value::Complex { re: 1.0, im: 1.0 }, Value::Int(1)),
            (Value::int(i64::MAX), Value::Float(TWO_POW_63)),
        ];
        for (a, b) in distinct {
            assert!(!same_key(&a, &b), "{a} / {b}");
        }
    }
}

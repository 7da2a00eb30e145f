//! How much memory decoding one payload may make its values take: [`DecodeLimit`], and the
//! running count every decoder keeps while it reads.
//!
//! Each decoder charges what the [`Value`]s it builds will cost, before building them: every
//! value the size of a [`Value`], the bytes of every str, bytes object and big int, and for
//! every dict its table plus a slot per entry. The input is refused with
//! [`SerializeError::TooLarge`] as soon as the count passes the limit, so no payload can make a
//! decoder allocate much more than the limit (growing vectors may hold up to twice what they
//! use). A typed target is charged as if it were read into [`Value`]s.

use std::mem::size_of;

use super::SerializeError;
use crate::value::Value;

/// The limit on what one payload's decoded values may cost (see the module docs for how it is
/// counted): `PER_BYTE` times the payload's size, but at least `FLOOR`, and never more than
/// [`max`](DecodeLimit::max) (the daemon's
/// [`max_decoded_size`](crate::daemon::DaemonBuilder::max_decoded_size), [`DEFAULT_MAX`](DecodeLimit::DEFAULT_MAX) by default).
///
/// Python Pyro5 needs 8 bytes for each element of a list of shared objects (like `None`) and
/// more for anything else; a [`Value`] takes 32, so a payload of one-byte elements (msgpack's
/// nil) costs 32 times its size, and a payload of empty dicts more than a hundred times. Such a
/// payload above the floor is refused, while payloads of strings, bytes, floats and most
/// numbers decode within the limit whatever their size (up to `max`).
///
/// ```
/// use pyro_runtime::serializer::DecodeLimit;
///
/// let limit = DecodeLimit::default();
/// assert_eq!(limit.for_payload(100), DecodeLimit::FLOOR);
/// assert_eq!(limit.for_payload(10 << 20), 160 << 20);
/// assert_eq!(limit.for_payload(1 << 30), DecodeLimit::DEFAULT_MAX);
/// assert_eq!(DecodeLimit::new(1 << 20).for_payload(100), 1 << 20);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimit {
    /// The most any payload's values may cost, in bytes, whatever its size.
    pub max: usize,
}

impl DecodeLimit {
    /// What any payload, however small, may decode to (unless [`max`](DecodeLimit::max) is lower).
    pub const FLOOR: usize = 64 << 20;
    /// How many bytes of values each byte of a larger payload may decode to.
    pub const PER_BYTE: usize = 16;
    /// The default [`max`](DecodeLimit::max): 1 GiB, Pyro5's default `MAX_MESSAGE_SIZE`.
    pub const DEFAULT_MAX: usize = 1 << 30;

    /// A limit of at most `max` bytes for any payload.
    ///
    /// ```
    /// assert_eq!(pyro_runtime::serializer::DecodeLimit::new(4096).max, 4096);
    /// ```
    pub const fn new(max: usize) -> DecodeLimit {
        DecodeLimit { max }
    }

    /// What a payload of `len` bytes may decode to, in bytes.
    ///
    /// ```
    /// use pyro_runtime::serializer::DecodeLimit;
    /// assert_eq!(DecodeLimit::default().for_payload(8 << 20), 128 << 20);
    /// ```
    pub fn for_payload(self, len: usize) -> usize {
        len.saturating_mul(Self::PER_BYTE).max(Self::FLOOR).min(self.max)
    }
}

impl Default for DecodeLimit {
    fn default() -> DecodeLimit {
        DecodeLimit::new(DecodeLimit::DEFAULT_MAX)
    }
}

/// What one decoded value costs besides its heap payload.
pub(crate) const VALUE: usize = size_of::<Value>();
/// What a dict costs besides its entries (the boxed table).
pub(crate) const DICT: usize = crate::value::DICT_COST;
/// What each dict entry (and each set member, deduplicated through a dict) costs besides its key
/// and value.
pub(crate) const ENTRY: usize = crate::value::DICT_ENTRY_COST;

/// The running count of what a decoder has built, against the limit for its payload.
#[derive(Debug)]
pub(crate) struct Budget {
    serializer: &'static str,
    payload: usize,
    limit: usize,
    spent: usize,
}

impl Budget {
    /// The budget for a payload of `payload` bytes in `serializer`.
    pub(crate) fn new(serializer: &'static str, payload: usize, limit: DecodeLimit) -> Budget {
        Budget { serializer, payload, limit: limit.for_payload(payload), spent: 0 }
    }

    /// Counts `bytes` more; an error once the total passes the limit.
    #[inline]
    pub(crate) fn charge(&mut self, bytes: usize) -> Result<(), SerializeError> {
        self.spent = self.spent.saturating_add(bytes);
        if self.spent > self.limit {
            return Err(self.exceeded());
        }
        Ok(())
    }

    /// Counts one value with `payload` heap bytes.
    #[inline]
    pub(crate) fn value(&mut self, payload: usize) -> Result<(), SerializeError> {
        self.charge(VALUE.saturating_add(payload))
    }

    /// What has been counted so far.
    #[cfg(test)]
    pub(crate) fn spent(&self) -> usize {
        self.spent
    }

    #[cold]
    fn exceeded(&self) -> SerializeError {
        SerializeError::TooLarge { serializer: self.serializer, payload: self.payload, limit: self.limit }
    }
}

/// The heap bytes a scalar value holds (its text, bytes or digits).
pub(crate) fn heap(value: &Value) -> usize {
    match value {
        Value::Str(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::BigInt(n) => n.bits().div_ceil(8).try_into().unwrap_or(usize::MAX),
        _ => 0,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_follows_the_payload_between_floor_and_max() {
        let limit = DecodeLimit::default();
        assert_eq!(limit.for_payload(0), DecodeLimit::FLOOR);
        assert_eq!(limit.for_payload(DecodeLimit::FLOOR / 16 + 1), DecodeLimit::FLOOR + 16);
        assert_eq!(limit.for_payload(usize::MAX), DecodeLimit::DEFAULT_MAX);
        assert_eq!(DecodeLimit::new(10).for_payload(usize::MAX), 10);
    }

    #[test]
    fn a_budget_refuses_past_its_limit_with_the_numbers() {
        let mut budget = Budget::new("msgpack", 3, DecodeLimit::new(100));
        budget.value(100 - VALUE).unwrap();
        assert_eq!(budget.spent(), 100);
        let err = budget.charge(1).unwrap_err();
        assert!(matches!(err, SerializeError::TooLarge { serializer: "msgpack", payload: 3, limit: 100 }));
        assert_eq!(
            err.to_string(),
            "the 3-byte msgpack payload would decode to more than 100 bytes of values (the decode limit)"
        );
        // Counting saturates instead of overflowing.
        assert!(budget.charge(usize::MAX).is_err());
    }

    #[test]
    fn costs_are_what_the_docs_say() {
        assert_eq!(VALUE, 32);
        assert!(DICT >= 56, "{DICT}");
        assert!(ENTRY >= 16, "{ENTRY}");
    }

    #[test]
    fn heap_counts_payloads() {
        assert_eq!(heap(&Value::from("abc")), 3);
        assert_eq!(heap(&Value::Bytes(vec![0; 5])), 5);
        assert_eq!(heap(&Value::int(1u128 << 100)), 13);
        assert_eq!(heap(&Value::None), 0);
    }
}

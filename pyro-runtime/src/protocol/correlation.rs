//! Fresh correlation ids for replies, cheaply.

use std::cell::Cell;

use uuid::{Builder, Uuid};

thread_local! {
    /// Per thread: a random 128-bit base (one `getrandom` per thread) and a counter.
    static STATE: Cell<Option<(u128, u64)>> = const { Cell::new(None) };
}

/// A new random-looking version-4 UUID for a reply's correlation id. Pyro5 draws a `uuid4()`
/// per reply; this draws randomness once per thread and mixes a counter in, so ids are unique
/// without a system call per message. (Correlation ids identify calls; they are not secrets.)
///
/// ```
/// let a = pyro::protocol::new_correlation_id();
/// let b = pyro::protocol::new_correlation_id();
/// assert_ne!(a, b);
/// assert_eq!(a.get_version_num(), 4);
/// ```
pub fn new_correlation_id() -> Uuid {
    STATE.with(|state| {
        let (base, counter) = state.get().unwrap_or_else(|| (Uuid::new_v4().as_u128(), 0));
        let counter = counter.wrapping_add(1);
        state.set(Some((base, counter)));
        // Mix the counter into the bits the version and variant do not overwrite.
        let mixed = base ^ u128::from(counter.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        Builder::from_random_bytes(mixed.to_be_bytes()).into_uuid()
    })
}

#[cfg(test)]
mod tests {
    use super::new_correlation_id;

    #[test]
    fn ids_are_unique_and_version_4() {
        let ids: std::collections::HashSet<_> = (0..10_000).map(|_| new_correlation_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.get_version_num() == 4));
    }
}

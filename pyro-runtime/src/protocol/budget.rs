//! [`ByteBudget`]: a byte allowance shared by the connections of one server, bounding the
//! memory that messages being received and decompressed may take all together.

use std::sync::atomic::{AtomicU64, Ordering};

/// A number of bytes that many [`MessageDecoder`](super::MessageDecoder)s (one per connection)
/// draw on while they decompress messages, and give back once the message was handled. When it
/// is used up, a decompression that needs more fails with [`ProtocolError::BudgetExceeded`]
/// (and that connection closes), so compression bombs sent over many connections at once cannot
/// take more memory than the budget, where each alone is bounded by the maximum message size.
///
/// ```
/// use pyro::protocol::ByteBudget;
///
/// let budget = ByteBudget::new(100);
/// assert!(budget.try_reserve(60));
/// assert!(!budget.try_reserve(60));
/// budget.release(60);
/// assert!(budget.try_reserve(100));
/// assert_eq!(budget.in_use(), 100);
/// ```
///
/// [`ProtocolError::BudgetExceeded`]: super::ProtocolError::BudgetExceeded
#[derive(Debug)]
pub struct ByteBudget {
    limit: u64,
    used: AtomicU64,
}

impl ByteBudget {
    /// A budget of `limit` bytes, none in use.
    ///
    /// See [`ByteBudget`] for an example.
    pub fn new(limit: u64) -> ByteBudget {
        ByteBudget { limit, used: AtomicU64::new(0) }
    }

    /// The budget's size in bytes.
    ///
    /// ```
    /// assert_eq!(pyro::protocol::ByteBudget::new(7).limit(), 7);
    /// ```
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Takes `bytes` from the budget if that many are left; whether it did.
    ///
    /// See [`ByteBudget`] for an example.
    pub fn try_reserve(&self, bytes: u64) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    /// Gives back `bytes` taken with [`try_reserve`](ByteBudget::try_reserve).
    ///
    /// See [`ByteBudget`] for an example.
    pub fn release(&self, bytes: u64) {
        let _ = self.used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| Some(used.saturating_sub(bytes)));
    }

    /// The bytes in use now.
    ///
    /// See [`ByteBudget`] for an example.
    pub fn in_use(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }
}

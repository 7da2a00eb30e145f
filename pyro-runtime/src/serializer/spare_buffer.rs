//! A spare buffer per thread for serialized payloads: a batch gives each result's buffer back
//! once it is copied into the batch's reply, an async daemon each reply's once it is written,
//! an async proxy each request's once it is sent, and the next payload is written into it, so
//! small calls and results do not allocate a buffer each.

use std::cell::Cell;

/// Buffers larger than this are not kept.
const MAX_KEPT: usize = 4096;

thread_local! {
    static SPARE: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// An empty buffer: this thread's spare one if it has one.
pub(crate) fn take() -> Vec<u8> {
    SPARE.try_with(Cell::take).unwrap_or_default()
}

/// Keeps `buffer` (emptied) as this thread's spare one, unless it is large.
pub(crate) fn give_back(mut buffer: Vec<u8>) {
    if buffer.capacity() <= MAX_KEPT {
        buffer.clear();
        // During thread teardown the buffer is simply dropped.
        let _ = SPARE.try_with(|spare| spare.set(buffer));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_given_back_buffer_is_taken_again_empty_and_large_ones_are_dropped() {
        let mut buffer = super::take();
        buffer.extend_from_slice(b"result");
        let capacity = buffer.capacity();
        super::give_back(buffer);
        let again = super::take();
        assert!(again.is_empty() && again.capacity() == capacity);
        assert_eq!(super::take().capacity(), 0);
        super::give_back(Vec::with_capacity(super::MAX_KEPT + 1));
        assert_eq!(super::take().capacity(), 0);
    }
}

//! [`PyShape`]: an adapter over any serde serializer or deserializer that presents Rust data in
//! the shapes a Python peer uses where the format's own serde mapping differs.
//!
//! Writing:
//! - `i128` and `u128` are integers: a native int when the value fits in 64 bits, otherwise
//!   Pyro5's big-int extension (msgpack ext 0x31, ASCII decimal) through the extension newtype.
//!   (rmp-serde on its own writes them as 16 raw bytes, which Python reads as `bytes`.)
//! - A unit struct is `None`, as `()` is (rmp-serde on its own writes an empty array).
//!
//! Reading:
//! - `i128` and `u128` take only integers, range-checked (rmp-serde on its own also takes 16
//!   raw bytes, and reads a negative int into a `u128` as a huge one). A big-int extension is
//!   refused here, so the caller's slower path through [`Value`](crate::value::Value) reads it.
//!
//! Everything else is passed through unchanged, at every depth.

mod de;
mod ser;

/// A serializer or deserializer that hands everything to the one inside, reshaping 128-bit
/// ints and unit structs (see the module docs).
pub(crate) struct PyShape<S>(pub(crate) S);

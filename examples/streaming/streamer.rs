//! The remote interface of Pyro5's streaming example, shared by `streaming_server` and
//! `streaming_client`: every method and property of Python's `Streamer` (its `server.py`).

use pyro::Value;

/// Pyro5's `Streamer`. Everything but `list` is streamed item by item; `fibonacci` never ends
/// and its items outgrow every fixed-size integer, so they travel as unbounded ints.
#[pyro::expose]
pub trait Streamer {
    /// 1 to 9, as one list.
    fn list(&self) -> Vec<i64>;
    /// 1 to 9, from an iterator.
    fn iterator(&self) -> Box<dyn Iterator<Item = i64> + Send>;
    /// 1 to 9, from a generator.
    fn generator(&self) -> Box<dyn Iterator<Item = i64> + Send>;
    /// 1 to 9, half a second apart.
    fn slow_generator(&self) -> Box<dyn Iterator<Item = i64> + Send>;
    /// 0, 1, 1, 2, 3, 5, ... for ever.
    fn fibonacci(&self) -> Box<dyn Iterator<Item = Value> + Send>;
    /// The property `prop_iter`: 1 to 10, from an iterator.
    #[pyro::getter]
    fn prop_iter(&self) -> Box<dyn Iterator<Item = i64> + Send>;
    /// The property `prop_generator`: 0 to 9, from a generator expression.
    #[pyro::getter]
    fn prop_generator(&self) -> Box<dyn Iterator<Item = i64> + Send>;
}

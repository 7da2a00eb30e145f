//! The remote interface of Pyro5's attributes example, shared by `attributes_server` and
//! `attributes_client`: what Python's `Thingy` (its `server.py`) exposes. Its plain attributes
//! `sub`, `value`, `_value` and `__value` are not exposed, so they are not here either.

use pyro::Value;

/// Pyro5's `Thingy`: two special methods, a method, and two properties.
#[pyro::expose]
#[allow(clippy::len_without_is_empty)]
pub trait Thingy {
    /// Python's `__dunder__`: `"yep"`.
    #[pyro::rename("__dunder__")]
    fn dunder(&self) -> String;
    /// Python's `__len__` (`len(p)` on a Python proxy): 200.
    #[pyro::rename("__len__")]
    fn len(&self) -> i64;
    /// Python's `getValue`: the value.
    #[pyro::rename("getValue")]
    fn get_value(&self) -> i64;
    /// The property `prop_value`: the value.
    #[pyro::getter]
    fn prop_value(&self) -> i64;
    /// Writes `prop_value`.
    #[pyro::setter]
    fn set_prop_value(&self, value: i64);
    /// The property `prop_sub`: the `sub` dict (a copy travels).
    #[pyro::getter]
    fn prop_sub(&self) -> Value;
}

//! What the server and the client of the autoproxy example share (Python's `thingy.py`, and the
//! factory's interface): `Thingy`, the objects the factory makes, and `Factory`.
// The remote method keeps its Python name, `createSomething`.
#![allow(non_snake_case)]

use pyro::Remote;

/// A thing the factory made; it lives on the server.
#[pyro::expose]
pub trait Thingy {
    /// Prints `Thingy <number> says: <message>` on the server.
    fn speak(&self, message: String);
}

/// The factory: makes things and returns them as proxies (Pyro5's autoproxy).
#[pyro::expose]
pub trait Factory {
    /// A new thing with `number`; the caller receives a proxy for it.
    fn createSomething(&self, number: i64) -> Remote<dyn Thingy>;
}

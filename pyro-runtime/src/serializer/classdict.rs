//! Pyro5's `__class__` dictionaries (PLACEHOLDER: the uri helper replaces this file).

/// The key that marks a dict as a serialized class instance.
pub const CLASS_KEY: &str = "__class__";

/// The state of a `Pyro5.client.Proxy` as it travels.
#[derive(Clone, Debug, PartialEq)]
pub struct ProxyState;

//! Remote attributes through a proxy: Pyro5's `__getattr__` and `__setattr__` calls.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Check, GETATTR, Proxy, SETATTR};
use crate::Error;
use crate::protocol::Flags;
use crate::value::{Dict, Value, from_value};

impl Proxy {
    /// Reads the remote attribute (exposed property) `name` (Pyro5's `__getattr__` call).
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let count: i64 = proxy.get_attribute("count")?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn get_attribute<R: DeserializeOwned>(&self, name: &str) -> Result<R, Error> {
        let encode = |object: &str| self.encode_call(object, GETATTR, &(name,), None::<&Dict>);
        match self.invoke(GETATTR, Flags::EMPTY, Check::Attribute(name), encode)? {
            Some(reply) => self.decode_reply(GETATTR, &reply),
            None => Ok(from_value(Value::None)?),
        }
    }

    /// Sets the remote attribute (exposed property) `name` to `value` (Pyro5's `__setattr__` call).
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.set_attribute("count", &10)?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn set_attribute<T: Serialize + ?Sized>(&self, name: &str, value: &T) -> Result<(), Error> {
        let encode = |object: &str| self.encode_call(object, SETATTR, &(name, value), None::<&Dict>);
        match self.invoke(SETATTR, Flags::EMPTY, Check::Attribute(name), encode)? {
            Some(reply) => self.decode_reply::<Value>(SETATTR, &reply).map(drop),
            None => Ok(()),
        }
    }
}

//! A [`Proxy`]'s method calls: typed, with keyword arguments, oneway and dynamic.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Check, Proxy, args};
use crate::Error;
use crate::protocol::Flags;
use crate::value::{Dict, Value, from_value};

impl Proxy {
    /// Calls `method` with positional arguments `vargs` (anything that serializes as a sequence,
    /// e.g. a tuple: `&(1, "a")`, `&(x,)` for one argument, `&()` for none, a `Vec` or slice) and
    /// decodes the result as `R`. The
    /// arguments are serialized straight to bytes and the result deserialized straight into `R`,
    /// with no [`Value`] in between.
    ///
    /// A method the metadata lists as oneway is sent oneway (as Pyro5 does): then `call` does
    /// not wait and returns `R` deserialized from Python's `None` (works for `()`, `Option<T>`
    /// and [`Value`]; other types give a [`Error::Serialize`] after the call was sent).
    ///
    /// A method the object does not expose fails locally, without network traffic once the
    /// metadata is known, with the `builtins.AttributeError` the daemon would raise
    /// (`"remote object '<uri>' has no exposed attribute or method '<name>'"`).
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let sum: i64 = proxy.call("add", &(1, 2))?;
    /// let nothing: () = proxy.call("reset", &())?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn call<A, R>(&self, method: &str, vargs: &A) -> Result<R, Error>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        self.call_with_kwargs(method, vargs, &EmptyKwargs)
    }

    /// [`call`](Proxy::call) with keyword arguments: `kwargs` must serialize as a map with
    /// string keys (a [`Dict`], a `BTreeMap<String, T>`, ...).
    ///
    /// ```no_run
    /// use std::collections::BTreeMap;
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let kwargs = BTreeMap::from([("polite", true)]);
    /// let greeting: String = proxy.call_with_kwargs("greet", &("bob",), &kwargs)?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn call_with_kwargs<A, K, R>(&self, method: &str, vargs: &A, kwargs: &K) -> Result<R, Error>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let encode = |object: &str| self.encode_call(object, method, vargs, Some(kwargs));
        match self.invoke(method, Flags::EMPTY, Check::Method, encode)? {
            Some(reply) => self.decode_reply(method, &reply),
            None => Ok(from_value(Value::None)?),
        }
    }

    /// Calls `method` oneway: sends the call and returns without waiting for a reply (the daemon
    /// runs it in its own thread and never answers, not even with an error).
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.call_oneway("notify", &("started",))?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn call_oneway<A: Serialize + ?Sized>(&self, method: &str, vargs: &A) -> Result<(), Error> {
        self.call_oneway_with_kwargs(method, vargs, &EmptyKwargs)
    }

    /// [`call_oneway`](Proxy::call_oneway) with keyword arguments (a map with string keys).
    ///
    /// ```no_run
    /// use std::collections::BTreeMap;
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.call_oneway_with_kwargs("notify", &("started",), &BTreeMap::from([("level", 2)]))?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn call_oneway_with_kwargs<A, K>(&self, method: &str, vargs: &A, kwargs: &K) -> Result<(), Error>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
    {
        let encode = |object: &str| self.encode_call(object, method, vargs, Some(kwargs));
        self.invoke(method, Flags::ONEWAY, Check::Method, encode).map(drop)
    }

    /// Dynamic call: positional and keyword arguments as [`Value`]s, the result as a [`Value`].
    /// Oneway methods (from the metadata) return [`Value::None`] without waiting.
    ///
    /// ```no_run
    /// use pyro::value::{Dict, Value};
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let result = proxy.call_value("add", vec![Value::Int(1), Value::Int(2)], Dict::new())?;
    /// assert_eq!(result.as_i64(), Some(3));
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn call_value(&self, method: &str, vargs: Vec<Value>, kwargs: Dict) -> Result<Value, Error> {
        self.call_with_kwargs(method, &vargs, &kwargs)
    }

    /// Serializes a call to `object`; `()` as positional arguments becomes an empty sequence.
    pub(crate) fn encode_call<A, K>(
        &self,
        object: &str,
        method: &str,
        vargs: &A,
        kwargs: Option<&K>,
    ) -> Result<Vec<u8>, Error>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
    {
        Ok(if args::is_unit(vargs) {
            self.serializer().encode_call_with(self.serialize_options, object, method, &[(); 0], kwargs)?
        } else {
            self.serializer().encode_call_with(self.serialize_options, object, method, vargs, kwargs)?
        })
    }
}

/// An empty keyword-argument map, serialized without allocating.
pub(crate) struct EmptyKwargs;

impl Serialize for EmptyKwargs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        serializer.serialize_map(Some(0))?.end()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::Serializer;

    #[test]
    fn empty_kwargs_serialize_as_an_empty_map() {
        assert_eq!(Serializer::Json.to_bytes(&EmptyKwargs).unwrap(), b"{}");
        assert_eq!(Serializer::Msgpack.to_bytes(&EmptyKwargs).unwrap(), [0x80]);
    }
}

//! Calls whose reply is handed over as received: the serialized result or exception, unread
//! (what Pyro5's proxy returns with `_pyroRawWireResponse` set, and what its HTTP gateway relays).

use serde::Serialize;
use uuid::Uuid;

use super::{Check, GETATTR, Proxy};
use crate::Error;
use crate::protocol::Flags;
use crate::serializer::Serializer;
use crate::session::ClientSession;
use crate::value::Dict;

/// A reply to a call as it came over the wire: the serialized payload, unread.
///
/// ```
/// use pyro::{proxy::RawReply, Serializer};
/// let reply = RawReply { data: b"42".to_vec(), serializer: Serializer::Json, exception: false, correlation_id: None };
/// assert_eq!(reply.serializer.from_bytes::<i64>(&reply.data)?, 42);
/// # Ok::<(), pyro::serializer::SerializeError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawReply {
    /// The payload, uncompressed: the serialized result, or the serialized exception dict when
    /// [`exception`](RawReply::exception) is set.
    pub data: Vec<u8>,
    /// The serializer the payload is in (the proxy's).
    pub serializer: Serializer,
    /// Whether the remote method raised (the reply has Pyro5's EXCEPTION flag).
    pub exception: bool,
    /// The correlation id the reply carried, if any.
    pub correlation_id: Option<Uuid>,
}

impl Proxy {
    /// Calls `method` and returns the reply's payload unread; `None` when the call was oneway
    /// (`oneway` set, or the metadata lists the method as oneway). A remote exception is a
    /// [`RawReply`] with [`exception`](RawReply::exception) set, not an error; an unexposed
    /// method fails locally as for [`call`](Proxy::call). A method that returned an iterator
    /// is an error (the stream is closed at once).
    ///
    /// ```no_run
    /// use pyro::{proxy::Proxy, value::Dict, Serializer};
    /// let proxy = Proxy::from_uri_str("PYRO:thing@localhost:9999")?.with_serializer(Serializer::Json);
    /// let reply = proxy.call_raw("add", &(1, 2), &Dict::new(), false)?.expect("not oneway");
    /// assert_eq!(reply.data, b"3");
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn call_raw<A, K>(&self, method: &str, vargs: &A, kwargs: &K, oneway: bool) -> Result<Option<RawReply>, Error>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
    {
        let encode = |object: &str| self.encode_call(object, method, vargs, Some(kwargs));
        let flags = if oneway { Flags::ONEWAY } else { Flags::EMPTY };
        let reply = self.invoke(method, flags, Check::Method, encode)?;
        reply.map(|reply| self.raw_reply(method, reply)).transpose()
    }

    /// Reads the remote attribute `name` and returns the reply's payload unread (see
    /// [`call_raw`](Proxy::call_raw)); an unexposed attribute fails locally as for
    /// [`get_attribute`](Proxy::get_attribute).
    ///
    /// ```no_run
    /// use pyro::{proxy::Proxy, Serializer};
    /// let proxy = Proxy::from_uri_str("PYRO:thing@localhost:9999")?.with_serializer(Serializer::Json);
    /// let reply = proxy.get_attribute_raw("count")?.expect("a reply");
    /// println!("{}", String::from_utf8_lossy(&reply.data));
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn get_attribute_raw(&self, name: &str) -> Result<Option<RawReply>, Error> {
        let encode = |object: &str| self.encode_call(object, GETATTR, &(name,), None::<&Dict>);
        let reply = self.invoke(GETATTR, Flags::EMPTY, Check::Attribute(name), encode)?;
        reply.map(|reply| self.raw_reply(GETATTR, reply)).transpose()
    }

    fn raw_reply(&self, method: &str, reply: crate::protocol::Message) -> Result<RawReply, Error> {
        let session = ClientSession::new(self.serializer());
        if let Some(id) = session.stream_id(&reply)? {
            let _ = self.close_stream(&id);
            return Err(stream_refused(method));
        }
        Ok(self.raw_of(reply))
    }

    /// The reply as handed over unread (shared by the blocking and the async proxy, which
    /// close a stream reply first and refuse it with [`stream_refused`]).
    pub(crate) fn raw_of(&self, reply: crate::protocol::Message) -> RawReply {
        RawReply {
            exception: reply.flags.contains(Flags::EXCEPTION),
            serializer: self.serializer(),
            correlation_id: reply.correlation_id,
            data: reply.data,
        }
    }
}

/// The error of a raw call whose reply is an item stream.
pub(crate) fn stream_refused(method: &str) -> Error {
    Error::Communication {
        message: format!("the reply to '{method}' is an item stream (the remote method returned an iterator)"),
        source: None,
    }
}

//! Item streams on the client side (reference 4.6): [`RemoteIter`], and the proxy calls that
//! return one.

use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Check, EmptyKwargs, GETATTR, Proxy};
use crate::protocol::{Flags, Message};
use crate::session::{ClientSession, DAEMON_OBJECT_ID};
use crate::value::Dict;
use crate::{Error, Value};

/// The daemon object's methods for streams.
const NEXT_ITEM: &str = "get_next_stream_item";
const CLOSE: &str = "close_stream";

impl Proxy {
    /// Calls `method`, which returns an iterator (a Python generator, a Rust method returning
    /// `impl Iterator`), and iterates its items as the daemon streams them: each
    /// [`next`](Iterator::next) fetches one item (`Pyro.Daemon.get_next_stream_item`, on a
    /// connection of this proxy) and decodes it as `T`. Dropping the iterator before its end
    /// closes the stream (a oneway `close_stream`).
    ///
    /// A plain (non-stream) result is an error, and so is a stream reply without a stream id
    /// (a daemon with `ITER_STREAMING` off: [`ProtocolError::StreamingDisabled`](crate::protocol::ProtocolError::StreamingDisabled)).
    ///
    /// ```no_run
    /// let proxy = pyro_runtime::proxy::Proxy::from_uri_str("PYRO:test.echoserver@localhost:9999")?;
    /// for item in proxy.call_stream::<_, String>("generator", &())? {
    ///     println!("{}", item?);
    /// }
    /// # Ok::<(), pyro_runtime::Error>(())
    /// ```
    pub fn call_stream<A, T>(&self, method: &str, vargs: &A) -> Result<RemoteIter<'_, T>, Error>
    where
        A: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.call_stream_with_kwargs(method, vargs, &EmptyKwargs)
    }

    /// [`call_stream`](Proxy::call_stream) with keyword arguments.
    ///
    /// ```no_run
    /// use std::collections::BTreeMap;
    /// let proxy = pyro_runtime::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let numbers: Vec<i64> =
    ///     proxy.call_stream_with_kwargs("count", &(), &BTreeMap::from([("upto", 3)]))?.collect::<Result<_, _>>()?;
    /// # Ok::<(), pyro_runtime::Error>(())
    /// ```
    pub fn call_stream_with_kwargs<A, K, T>(
        &self,
        method: &str,
        vargs: &A,
        kwargs: &K,
    ) -> Result<RemoteIter<'_, T>, Error>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let encode = |object: &str| self.encode_call(object, method, vargs, Some(kwargs));
        let reply = self.invoke(method, Flags::EMPTY, Check::Method, encode)?;
        self.open_stream(method, reply)
    }

    /// Reads the remote attribute `name` whose value is an iterator (Pyro5 streams a property
    /// returning a generator), as a stream like [`call_stream`](Proxy::call_stream).
    ///
    /// ```no_run
    /// let proxy = pyro_runtime::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let letters: Vec<String> = proxy.get_attribute_stream("letters")?.collect::<Result<_, _>>()?;
    /// # Ok::<(), pyro_runtime::Error>(())
    /// ```
    pub fn get_attribute_stream<T: DeserializeOwned>(&self, name: &str) -> Result<RemoteIter<'_, T>, Error> {
        let encode = |object: &str| {
            Ok(self.serializer().encode_call_with(self.serialize_options, object, GETATTR, &(name,), None::<&Dict>)?)
        };
        let reply = self.invoke(GETATTR, Flags::EMPTY, Check::Attribute(name), encode)?;
        self.open_stream(GETATTR, reply)
    }

    /// The stream a reply to `method` opened.
    fn open_stream<T: DeserializeOwned>(
        &self,
        method: &str,
        reply: Option<Message>,
    ) -> Result<RemoteIter<'_, T>, Error> {
        let Some(reply) = reply else {
            return Err(Error::Communication {
                message: format!("'{method}' is a oneway method: it returns no item stream"),
                source: None,
            });
        };
        let session = ClientSession::new(self.serializer());
        match session.stream_id(&reply)? {
            Some(id) => Ok(RemoteIter { proxy: self, id, open: true, item: PhantomData }),
            None => {
                // An exception is the caller's error; a plain value is not what was asked for.
                session.decode_result::<Value>(method, &reply)?;
                Err(Error::Communication {
                    message: format!(
                        "the reply to '{method}' is not an item stream: the remote method returned a plain value"
                    ),
                    source: None,
                })
            }
        }
    }

    /// Closes stream `id` with a oneway call, if this proxy still has a connection (as Pyro5's
    /// client does); errors are ignored: the daemon expires the stream anyway.
    pub(super) fn close_stream(&self, id: &str) -> Result<(), Error> {
        if self.open_connections() == 0 {
            return Ok(());
        }
        let encode = |_: &str| {
            Ok(self.serializer().encode_call_with(
                self.serialize_options,
                DAEMON_OBJECT_ID,
                CLOSE,
                &(id,),
                Some(&EmptyKwargs),
            )?)
        };
        self.invoke(CLOSE, Flags::ONEWAY, Check::Nothing, encode).map(drop)
    }
}

/// The items of a remote iterator, fetched one by one from the daemon that streams them
/// (Pyro5's `_StreamResultIterator`): each item is `Ok(T)` or the error that came instead. The
/// stream ends after its last item, or after the exception the remote iterator raised (which
/// comes as the last `Err`), or after a communication error (the connection is gone and the
/// daemon drops the stream). An item that does not decode as `T` is an `Err` and the stream
/// goes on. Dropping it before the end closes the remote stream (oneway `close_stream`).
///
/// ```no_run
/// let proxy = pyro_runtime::proxy::Proxy::from_uri_str("PYRO:test.echoserver@localhost:9999")?;
/// let mut items = proxy.call_stream::<_, String>("generator", &())?;
/// assert_eq!(items.next().transpose()?.as_deref(), Some("one"));
/// drop(items); // closes the stream on the daemon
/// # Ok::<(), pyro_runtime::Error>(())
/// ```
pub struct RemoteIter<'p, T> {
    proxy: &'p Proxy,
    id: String,
    /// Whether the daemon may still hold the stream (false after its end or an error).
    open: bool,
    item: PhantomData<fn() -> T>,
}

impl<T> RemoteIter<'_, T> {
    /// The stream id (the daemon's `STRM` annotation).
    ///
    /// ```no_run
    /// let proxy = pyro_runtime::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// println!("{}", proxy.call_stream::<_, i64>("numbers", &())?.id());
    /// # Ok::<(), pyro_runtime::Error>(())
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Closes the stream now (what dropping it does, with the error if the oneway call could
    /// not be sent).
    ///
    /// ```no_run
    /// let proxy = pyro_runtime::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.call_stream::<_, i64>("numbers", &())?.close()?;
    /// # Ok::<(), pyro_runtime::Error>(())
    /// ```
    pub fn close(mut self) -> Result<(), Error> {
        self.open = false;
        self.proxy.close_stream(&self.id)
    }
}

impl<T: DeserializeOwned> Iterator for RemoteIter<'_, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Result<T, Error>> {
        if !self.open {
            return None;
        }
        let proxy = self.proxy;
        let id = self.id.as_str();
        let encode = |_: &str| {
            Ok(proxy.serializer().encode_call_with(
                proxy.serialize_options,
                DAEMON_OBJECT_ID,
                NEXT_ITEM,
                &(id,),
                Some(&EmptyKwargs),
            )?)
        };
        let reply = match proxy.invoke(NEXT_ITEM, Flags::EMPTY, Check::Nothing, encode) {
            Ok(Some(reply)) => reply,
            Ok(None) => {
                self.open = false;
                return Some(Err(Error::Communication {
                    message: "no reply to get_next_stream_item".into(),
                    source: None,
                }));
            }
            Err(error) => {
                // The connection is gone (Pyro5's iterator cannot go on either).
                self.open = false;
                return Some(Err(error));
            }
        };
        match ClientSession::new(proxy.serializer()).decode_stream_item::<T>(&reply) {
            Ok(Some(item)) => Some(Ok(item)),
            Ok(None) => {
                self.open = false;
                None
            }
            // The item arrived but is no `T`: the stream itself goes on.
            Err(error @ Error::Serialize(_)) if !reply.flags.contains(Flags::EXCEPTION) => Some(Err(error)),
            Err(error) => {
                self.open = false;
                Some(Err(error))
            }
        }
    }
}

impl<T: DeserializeOwned> FusedIterator for RemoteIter<'_, T> {}

impl<T> Drop for RemoteIter<'_, T> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.proxy.close_stream(&self.id);
        }
    }
}

impl<T> fmt::Debug for RemoteIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteIter").field("id", &self.id).field("open", &self.open).finish_non_exhaustive()
    }
}

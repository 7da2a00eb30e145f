//! Item streams on the client side: [`RemoteIter`], and the proxy calls that
//! return one.

use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::pool::Lease;
use super::{Check, EmptyKwargs, GETATTR, Proxy};
use crate::protocol::{Flags, Message, MessageType};
use crate::serializer::Serializer;
use crate::session::{ClientSession, DAEMON_OBJECT_ID};
use crate::value::Dict;
use crate::{Error, Value, current_context};

/// The daemon object's methods for streams.
pub(crate) const NEXT_ITEM: &str = "get_next_stream_item";
pub(crate) const CLOSE: &str = "close_stream";

/// The most `get_next_stream_item` requests a [`RemoteIter`] keeps in flight: small requests
/// that always fit in the socket buffers, so sending them never waits for the daemon to read.
///
/// ```
/// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?
///     .with_stream_read_ahead(1000);
/// assert_eq!(proxy.stream_read_ahead(), pyro::proxy::MAX_STREAM_READ_AHEAD);
/// # Ok::<(), pyro::Error>(())
/// ```
pub const MAX_STREAM_READ_AHEAD: usize = 64;

impl Proxy {
    /// How many `get_next_stream_item` requests the item streams of this proxy keep in flight:
    /// 1 (the default) is Pyro5's client, one round trip per item; see
    /// [`set_stream_read_ahead`](Proxy::set_stream_read_ahead).
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// assert_eq!(proxy.stream_read_ahead(), 1);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn stream_read_ahead(&self) -> usize {
        self.stream_read_ahead
    }

    /// Lets the item streams this proxy opens from now on ([`call_stream`](Proxy::call_stream)
    /// and the rest) keep up to `n` `get_next_stream_item` requests in flight (between 1 and
    /// [`MAX_STREAM_READ_AHEAD`]): a [`RemoteIter`] sends `n` requests, and each time it has
    /// used up the replies that arrived and would wait for more, it sends as many as were
    /// answered, in one write; so items stream without a round trip each. Any Pyro5 daemon
    /// answers the requests of a connection in order, so this works with Python daemons too
    /// (whose replies, with `SOCK_NODELAY` off, wait for the acknowledgement those requests
    /// carry). Against pyro's daemon, which sends the replies to requests it has already read
    /// in one write, 32 streams several times as many items per second as 1 (the bench
    /// measures both).
    ///
    /// What it changes (which is why it is off, 1, by default, as in Pyro5):
    /// - the remote iterator runs up to `n` items ahead of the consumer: items are computed
    ///   before they are asked for, and up to `n - 1` are computed for nothing if the consumer
    ///   stops early;
    /// - a stream with read-ahead holds one of the proxy's connections from its first item to
    ///   its end (or drop), so other calls on the proxy use another one: with
    ///   [`max_connections`](Proxy::max_connections) 1 they wait until the stream ends;
    /// - ending or dropping a stream early still closes it on the daemon, after the replies to
    ///   the requests already in flight were read (and discarded), which keeps the connection
    ///   usable; so does the end of the stream, or the exception that ends it.
    ///
    /// ```no_run
    /// let mut proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.set_stream_read_ahead(32);
    /// let numbers: Vec<i64> = proxy.call_stream("count", &(1000,))?.collect::<Result<_, _>>()?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn set_stream_read_ahead(&mut self, n: usize) {
        self.stream_read_ahead = n.clamp(1, MAX_STREAM_READ_AHEAD);
    }

    /// [`set_stream_read_ahead`](Proxy::set_stream_read_ahead), builder style.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?.with_stream_read_ahead(32);
    /// assert_eq!(proxy.stream_read_ahead(), 32);
    /// # Ok::<(), pyro::Error>(())
    /// ```
    #[must_use]
    pub fn with_stream_read_ahead(mut self, n: usize) -> Proxy {
        self.set_stream_read_ahead(n);
        self
    }

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
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:test.echoserver@localhost:9999")?;
    /// for item in proxy.call_stream::<_, String>("generator", &())? {
    ///     println!("{}", item?);
    /// }
    /// # Ok::<(), pyro::Error>(())
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
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let numbers: Vec<i64> =
    ///     proxy.call_stream_with_kwargs("count", &(), &BTreeMap::from([("upto", 3)]))?.collect::<Result<_, _>>()?;
    /// # Ok::<(), pyro::Error>(())
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
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let letters: Vec<String> = proxy.get_attribute_stream("letters")?.collect::<Result<_, _>>()?;
    /// # Ok::<(), pyro::Error>(())
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
        let id = self.stream_of(method, reply)?;
        Ok(RemoteIter {
            proxy: self,
            id,
            open: true,
            read_ahead: self.stream_read_ahead,
            held: None,
            next_call: None,
            item: PhantomData,
        })
    }

    /// The id of the stream a reply to `method` opened; an error for a oneway call, a plain
    /// value or an exception (shared by the blocking and the async proxy).
    pub(crate) fn stream_of(&self, method: &str, reply: Option<Message>) -> Result<String, Error> {
        let Some(reply) = reply else {
            return Err(Error::Communication {
                message: format!("'{method}' is a oneway method: it returns no item stream"),
                source: None,
            });
        };
        let session = ClientSession::new(self.serializer());
        match session.stream_id(&reply)? {
            Some(id) => Ok(id),
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
        let encode = |_: &str| self.encode_close_stream(id);
        self.invoke(CLOSE, Flags::ONEWAY, Check::Nothing, encode).map(drop)
    }

    /// The serialized oneway `close_stream` call for stream `id`.
    pub(crate) fn encode_close_stream(&self, id: &str) -> Result<Vec<u8>, Error> {
        Ok(self.serializer().encode_call_with(
            self.serialize_options,
            DAEMON_OBJECT_ID,
            CLOSE,
            &(id,),
            Some(&EmptyKwargs),
        )?)
    }

    /// The serialized `get_next_stream_item` call for stream `id`.
    pub(crate) fn encode_next_item(&self, id: &str) -> Result<Vec<u8>, Error> {
        Ok(self.serializer().encode_call_with(
            self.serialize_options,
            DAEMON_OBJECT_ID,
            NEXT_ITEM,
            &(id,),
            Some(&EmptyKwargs),
        )?)
    }
}

/// The items of a remote iterator, fetched one by one from the daemon that streams them
/// (Pyro5's `_StreamResultIterator`): each item is `Ok(T)` or the error that came instead. The
/// stream ends after its last item, or after the exception the remote iterator raised (which
/// comes as the last `Err`), or after a communication error (the connection is gone and the
/// daemon drops the stream). An item that does not decode as `T` is an `Err` and the stream
/// goes on. Dropping it before the end closes the remote stream (oneway `close_stream`).
///
/// By default each item is one round trip, as in Pyro5. With read-ahead
/// ([`Proxy::set_stream_read_ahead`], [`RemoteIter::read_ahead`]) the iterator keeps several
/// requests in flight on a connection it holds until the stream ends.
///
/// ```no_run
/// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:test.echoserver@localhost:9999")?;
/// let mut items = proxy.call_stream::<_, String>("generator", &())?;
/// assert_eq!(items.next().transpose()?.as_deref(), Some("one"));
/// drop(items); // closes the stream on the daemon
/// # Ok::<(), pyro::Error>(())
/// ```
pub struct RemoteIter<'p, T> {
    proxy: &'p Proxy,
    id: String,
    /// Whether the daemon may still hold the stream (false after its end or an error).
    open: bool,
    /// How many `get_next_stream_item` requests may be in flight (1: one round trip per item).
    read_ahead: usize,
    /// With read-ahead: the connection the requests go out on, held from the first item to
    /// the end of the stream.
    held: Option<Lease<'p>>,
    /// With read-ahead: the serialized `get_next_stream_item` call, the same for every item.
    next_call: Option<Vec<u8>>,
    item: PhantomData<fn() -> T>,
}

impl<T> RemoteIter<'_, T> {
    /// The stream id (the daemon's `STRM` annotation).
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// println!("{}", proxy.call_stream::<_, i64>("numbers", &())?.id());
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Closes the stream now (what dropping it does, with the error if the oneway call could
    /// not be sent).
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// proxy.call_stream::<_, i64>("numbers", &())?.close()?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn close(mut self) -> Result<(), Error> {
        self.close_now()
    }

    /// Lets this stream keep up to `n` `get_next_stream_item` requests in flight (between 1
    /// and [`MAX_STREAM_READ_AHEAD`]; what that changes: [`Proxy::set_stream_read_ahead`]).
    /// Requests already in flight stay so.
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let numbers: Vec<i64> = proxy.call_stream("count", &(1000,))?.read_ahead(32).collect::<Result<_, _>>()?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    #[must_use]
    pub fn read_ahead(mut self, n: usize) -> Self {
        self.read_ahead = n.clamp(1, MAX_STREAM_READ_AHEAD);
        self
    }

    /// Closes the stream if the daemon may still hold it: on the held connection, after reading
    /// the replies still due, or else on any connection of the proxy.
    fn close_now(&mut self) -> Result<(), Error> {
        if !std::mem::replace(&mut self.open, false) {
            return Ok(());
        }
        let Some(mut lease) = self.held.take() else {
            return self.proxy.close_stream(&self.id);
        };
        // Any error drops the lease, which closes the connection: the daemon then drops the
        // stream (or lets it linger until it expires).
        drain(&mut lease)?;
        let Some(conn) = lease.connection() else { return Ok(()) };
        let payload = self.proxy.serializer().encode_call_with(
            self.proxy.serialize_options,
            DAEMON_OBJECT_ID,
            CLOSE,
            &(self.id.as_str(),),
            Some(&EmptyKwargs),
        )?;
        let mut request =
            Message::new(MessageType::Invoke, self.proxy.serializer().id(), payload).with_flags(Flags::ONEWAY);
        self.proxy.stamp(&mut request);
        conn.send(&mut request)?;
        lease.give_back();
        Ok(())
    }

    /// The stream ended (its end, or the exception that ended it): the replies to the requests
    /// still in flight are read and discarded, and the connection goes back to the pool (or is
    /// closed if that fails).
    fn finish(&mut self) {
        self.open = false;
        if let Some(mut lease) = self.held.take()
            && drain(&mut lease).is_ok()
        {
            lease.give_back();
        }
    }
}

/// Reads and discards the replies still due on the lease's connection; an error (or a reply
/// after which the daemon closes the connection) means the connection must be dropped.
fn drain(lease: &mut Lease<'_>) -> Result<(), Error> {
    let Some(conn) = lease.connection() else { return Ok(()) };
    while conn.outstanding() > 0 {
        let reply = conn.receive()?;
        if conn.session().server_closes_after(&reply) {
            return Err(Error::Communication { message: "the daemon closed the connection".into(), source: None });
        }
    }
    Ok(())
}

impl<T: DeserializeOwned> RemoteIter<'_, T> {
    /// The next item with read-ahead: tops up the requests in flight on the held connection,
    /// then reads the oldest reply.
    fn next_pipelined(&mut self) -> Option<Result<T, Error>> {
        let proxy = self.proxy;
        let result = (|| {
            if self.held.is_none() {
                let mut lease = proxy.pool.lease();
                proxy.connect_lease(&mut lease)?;
                self.held = Some(lease);
            }
            let payload = match &self.next_call {
                Some(payload) => payload,
                None => self.next_call.insert(proxy.encode_next_item(&self.id)?),
            };
            let conn = self
                .held
                .as_mut()
                .and_then(Lease::connection)
                .ok_or_else(|| Error::Communication { message: "no connection".into(), source: None })?;
            // The window is topped up in one write whenever the next read would wait: the
            // first time, and each time the replies read so far are used up. A daemon that
            // sends its replies in bursts (pyro's) gets its requests in bursts too, one write
            // per burst rather than per item; one whose replies wait for acknowledgements
            // (Nagle's algorithm, Pyro5's default `SOCK_NODELAY` off) gets them acknowledged
            // by the requests the client sends before it waits.
            let in_flight = conn.outstanding();
            if in_flight < self.read_ahead && !conn.has_buffered_reply() {
                let mut requests: Vec<Message> = (in_flight..self.read_ahead)
                    .map(|_| {
                        let mut request = Message::new(MessageType::Invoke, proxy.serializer().id(), payload.clone());
                        proxy.stamp(&mut request);
                        request
                    })
                    .collect();
                conn.send_all(&mut requests)?;
            }
            current_context::begin_call();
            let reply = conn.receive()?;
            current_context::received(&reply);
            let closes = conn.session().server_closes_after(&reply);
            Ok((reply, closes))
        })();
        let (reply, closes) = match result {
            Ok(reply) => reply,
            Err(error) => {
                // The connection is gone or out of step: drop it (Pyro5's iterator cannot go
                // on either).
                self.open = false;
                self.held = None;
                return Some(Err(error));
            }
        };
        if closes {
            // The daemon closes the connection after this reply: no more replies come.
            self.held = None;
        }
        let (item, goes_on) = stream_item::<T>(proxy.serializer(), &reply);
        if !goes_on {
            self.finish();
        }
        item
    }
}

impl<T: DeserializeOwned> Iterator for RemoteIter<'_, T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Result<T, Error>> {
        if !self.open {
            return None;
        }
        if self.read_ahead > 1 || self.held.is_some() {
            return self.next_pipelined();
        }
        let proxy = self.proxy;
        let id = self.id.as_str();
        let encode = |_: &str| proxy.encode_next_item(id);
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
        let (item, goes_on) = stream_item::<T>(proxy.serializer(), &reply);
        self.open = goes_on;
        item
    }
}

/// The item a reply to `get_next_stream_item` carries (`None` at the end of the stream), and
/// whether the stream goes on after it: it ends at its end and after an exception; an item that
/// arrived but is no `T` is an error and the stream goes on (shared by the blocking and the
/// async proxy).
pub(crate) fn stream_item<T: DeserializeOwned>(
    serializer: Serializer,
    reply: &Message,
) -> (Option<Result<T, Error>>, bool) {
    match ClientSession::new(serializer).decode_stream_item::<T>(reply) {
        Ok(Some(item)) => (Some(Ok(item)), true),
        Ok(None) => (None, false),
        Err(error @ Error::Serialize(_)) if !reply.flags.contains(Flags::EXCEPTION) => (Some(Err(error)), true),
        Err(error) => (Some(Err(error)), false),
    }
}

impl<T: DeserializeOwned> FusedIterator for RemoteIter<'_, T> {}

impl<T> Drop for RemoteIter<'_, T> {
    fn drop(&mut self) {
        let _ = self.close_now();
    }
}

impl<T> fmt::Debug for RemoteIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteIter")
            .field("id", &self.id)
            .field("open", &self.open)
            .field("read_ahead", &self.read_ahead)
            .finish_non_exhaustive()
    }
}

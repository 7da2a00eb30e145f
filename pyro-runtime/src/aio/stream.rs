//! Item streams from an async proxy: [`RemoteStream`], a `futures_core::Stream` of `Result<T>`
//! items fetched as the blocking [`RemoteIter`](crate::proxy::RemoteIter) fetches them (one
//! `get_next_stream_item` round trip each), decoded by the same code.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Proxy;
use super::pool::Lease;
use super::proxy::until;
use crate::protocol::{Flags, Message, MessageType};
use crate::proxy::MAX_STREAM_READ_AHEAD;
use crate::proxy::stream::{CLOSE, NEXT_ITEM, stream_item};
use crate::proxy::{Check, EmptyKwargs, GETATTR};
use crate::value::Dict;
use crate::{Deadline, Error, current_context};

/// What a fetch gives back: the connection a stream with read-ahead holds (none without
/// read-ahead, or once it is gone) and the reply.
struct Fetched {
    held: Option<Lease>,
    reply: Result<Option<Message>, Error>,
}

/// A reply being fetched.
type Pending<'p> = Pin<Box<dyn Future<Output = Fetched> + Send + 'p>>;

/// The items of a remote iterator as a [`Stream`] of `Result<T, Error>`: the async twin of
/// [`RemoteIter`](crate::proxy::RemoteIter), with its rules (it ends after its last item, after
/// the exception the remote iterator raised, or after a communication error; an item that is
/// no `T` is an `Err` and the stream goes on). Dropping it before the end closes the remote
/// iterator (a oneway `close_stream` sent from a task of its own; a fetch under way is
/// abandoned and its connection closed).
///
/// Read-ahead is the blocking iterator's too
/// ([`Proxy::set_stream_read_ahead`](super::Proxy::set_stream_read_ahead),
/// [`RemoteStream::read_ahead`]): with `n > 1` the stream holds one connection of the proxy
/// from its first item to its end, keeps up to `n` `get_next_stream_item` requests in flight
/// on it (topped up in one write whenever the next read would wait), and each item's wait is
/// bounded by the current [deadline](crate::deadline) (the requests sent ahead carry none).
/// At its end (or the exception that ends it) the replies still due are read and discarded
/// by a task of its own before the connection goes back to the pool; closing or dropping it
/// early does the same, then sends the `close_stream` on that connection.
///
/// ```no_run
/// # async fn demo() -> Result<(), pyro::Error> {
/// use std::pin::pin;
/// use std::future::poll_fn;
/// use pyro::futures_core::Stream;
///
/// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:test.echoserver@localhost:9999")?;
/// let mut items = pin!(proxy.call_stream::<_, String>("generator", &()).await?);
/// while let Some(item) = poll_fn(|cx| items.as_mut().poll_next(cx)).await {
///     println!("{}", item?);
/// }
/// # Ok(()) }
/// ```
pub struct RemoteStream<'p, T> {
    proxy: &'p Proxy,
    id: Arc<str>,
    /// Whether the daemon may still hold the stream.
    open: bool,
    /// How many `get_next_stream_item` requests may be in flight (1: one round trip per item).
    read_ahead: usize,
    /// With read-ahead: the connection the requests go out on, between fetches.
    held: Option<Lease>,
    pending: Option<Pending<'p>>,
    item: PhantomData<fn() -> T>,
}

impl<T> RemoteStream<'_, T> {
    /// The stream id (the daemon's `STRM` annotation).
    ///
    /// ```no_run
    /// # async fn demo(proxy: pyro::aio::Proxy) -> Result<(), pyro::Error> {
    /// println!("{}", proxy.call_stream::<_, i64>("numbers", &()).await?.id());
    /// # Ok(()) }
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Lets this stream keep up to `n` `get_next_stream_item` requests in flight (between 1
    /// and [`MAX_STREAM_READ_AHEAD`](crate::proxy::MAX_STREAM_READ_AHEAD)), as
    /// [`RemoteIter::read_ahead`](crate::proxy::RemoteIter::read_ahead) does. Requests already
    /// in flight stay so.
    ///
    /// ```no_run
    /// # async fn demo(proxy: pyro::aio::Proxy) -> Result<(), pyro::Error> {
    /// let numbers = proxy.call_stream::<_, i64>("count", &(1000,)).await?.read_ahead(32);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn read_ahead(mut self, n: usize) -> Self {
        self.read_ahead = n.clamp(1, MAX_STREAM_READ_AHEAD);
        self
    }

    /// Closes the stream now (a oneway `close_stream`; with read-ahead on the held connection,
    /// after reading the replies still due), with the error if it could not be sent.
    ///
    /// ```no_run
    /// # async fn demo(proxy: pyro::aio::Proxy) -> Result<(), pyro::Error> {
    /// proxy.call_stream::<_, i64>("numbers", &()).await?.close().await?;
    /// # Ok(()) }
    /// ```
    pub async fn close(mut self) -> Result<(), Error> {
        self.pending = None;
        if !std::mem::replace(&mut self.open, false) {
            return Ok(());
        }
        match self.held.take() {
            Some(lease) => close_on(lease, close_request(self.proxy, &self.id)?).await,
            None => self.proxy.close_stream(&self.id).await,
        }
    }

    /// The stream ended: the replies still due on the held connection are read and discarded
    /// by a task of its own, and the connection goes back to the pool (closed if that fails,
    /// or without a runtime).
    fn finish(&mut self) {
        self.open = false;
        if let Some(mut lease) = self.held.take()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(async move {
                if drain(&mut lease).await.is_ok() {
                    lease.give_back();
                }
            });
        }
    }
}

/// The oneway `close_stream` request for stream `id`.
fn close_request(proxy: &Proxy, id: &str) -> Result<Message, Error> {
    let core = proxy.core();
    let payload = core.encode_close_stream(id)?;
    let mut request = Message::new(MessageType::Invoke, core.serializer().id(), payload).with_flags(Flags::ONEWAY);
    core.stamp(&mut request);
    Ok(request)
}

/// Sends `request` (a `close_stream`) on the lease's connection after reading the replies
/// still due there, then gives the connection back; an error closes it.
async fn close_on(mut lease: Lease, mut request: Message) -> Result<(), Error> {
    drain(&mut lease).await?;
    if let Some(conn) = lease.connection() {
        conn.send(&mut request).await?;
        lease.give_back();
    }
    Ok(())
}

/// Reads and discards the replies still due on the lease's connection; an error (or a reply
/// after which the daemon closes the connection) means the connection must be dropped.
async fn drain(lease: &mut Lease) -> Result<(), Error> {
    let Some(conn) = lease.connection() else { return Ok(()) };
    while conn.outstanding() > 0 {
        let reply = conn.receive().await?;
        if conn.session().server_closes_after(&reply) {
            return Err(Error::Communication { message: "the daemon closed the connection".into(), source: None });
        }
    }
    Ok(())
}

/// The next reply of stream `id` with read-ahead: on the `held` connection (else one leased
/// and opened now), tops up the requests in flight to `read_ahead`, then reads the oldest
/// reply, by the current deadline. Any error drops the connection (closing it).
async fn fetch_pipelined(proxy: &Proxy, id: Arc<str>, read_ahead: usize, held: Option<Lease>) -> Fetched {
    let thread = current_context::outgoing();
    let deadline = crate::deadline::current();
    let expired = |deadline: Deadline| deadline.expired("waiting for the next stream item");
    let mut lease = match held {
        Some(lease) => lease,
        None => {
            let open = async {
                let mut lease = proxy.pool().lease().await;
                proxy.connect_lease(&mut lease, &thread).await?;
                Ok(lease)
            };
            match until(deadline, &expired, open).await {
                Ok(lease) => lease,
                Err(error) => return Fetched { held: None, reply: Err(error) },
            }
        }
    };
    let result = async {
        let conn =
            lease.connection().ok_or_else(|| Error::Communication { message: "no connection".into(), source: None })?;
        // The blocking iterator's window: topped up in one write whenever the next read would
        // wait (see `RemoteIter`).
        let in_flight = conn.outstanding();
        if in_flight < read_ahead && !conn.has_buffered_reply() {
            let core = proxy.core();
            let payload = core.encode_next_item(&id)?;
            let mut requests: Vec<Message> = (in_flight..read_ahead)
                .map(|_| {
                    let mut request = Message::new(MessageType::Invoke, core.serializer().id(), payload.clone());
                    core.stamp_from(&mut request, &thread);
                    request
                })
                .collect();
            conn.send_all(&mut requests).await?;
        }
        current_context::begin_call();
        if let Some(deadline) = deadline.filter(|deadline| deadline.is_past() && !conn.has_buffered_reply()) {
            return Err(expired(deadline));
        }
        let reply = until(deadline, &expired, conn.receive()).await?;
        current_context::received(&reply);
        let closes = conn.session().server_closes_after(&reply);
        Ok((reply, closes))
    }
    .await;
    match result {
        // The daemon closes the connection after this reply: no more replies come on it.
        Ok((reply, closes)) => Fetched { held: (!closes).then_some(lease), reply: Ok(Some(reply)) },
        Err(error) => Fetched { held: None, reply: Err(error) },
    }
}

impl<T: DeserializeOwned> Stream for RemoteStream<'_, T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T, Error>>> {
        let this = self.get_mut();
        if !this.open {
            return Poll::Ready(None);
        }
        let proxy = this.proxy;
        let held = &mut this.held;
        let read_ahead = this.read_ahead;
        let pending = this.pending.get_or_insert_with(|| {
            let id = Arc::clone(&this.id);
            if read_ahead > 1 || held.is_some() {
                return Box::pin(fetch_pipelined(proxy, id, read_ahead, held.take()));
            }
            Box::pin(async move {
                let encode = |_: &str| proxy.core().encode_next_item(&id);
                let reply = proxy.invoke(NEXT_ITEM, Flags::EMPTY, Check::Nothing, &encode, None).await;
                Fetched { held: None, reply }
            })
        });
        let Fetched { held, reply } = match pending.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(fetched) => fetched,
        };
        this.pending = None;
        this.held = held;
        match reply {
            Ok(Some(reply)) => {
                let (item, goes_on) = stream_item::<T>(proxy.serializer(), &reply);
                if !goes_on {
                    this.finish();
                }
                Poll::Ready(item)
            }
            Ok(None) => {
                this.open = false;
                this.held = None;
                Poll::Ready(Some(Err(Error::Communication {
                    message: "no reply to get_next_stream_item".into(),
                    source: None,
                })))
            }
            Err(error) => {
                // The connection is gone (Pyro5's iterator cannot go on either).
                this.open = false;
                this.held = None;
                Poll::Ready(Some(Err(error)))
            }
        }
    }
}

impl<T> Drop for RemoteStream<'_, T> {
    fn drop(&mut self) {
        // A fetch under way is abandoned: its connection closes with it.
        self.pending = None;
        if !std::mem::replace(&mut self.open, false) {
            return;
        }
        let held = self.held.take();
        if held.is_none() && self.proxy.open_connections() == 0 {
            return;
        }
        let Ok(request) = close_request(self.proxy, &self.id) else { return };
        // Without a runtime the daemon expires the stream in time.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if let Some(lease) = held {
            runtime.spawn(async move {
                let _ = close_on(lease, request).await;
            });
            return;
        }
        let mut request = request;
        // The connection the items came on is idle now, usually: taken at once, before any
        // other call can take it (else the first connection given back is used).
        let pool = Arc::clone(self.proxy.pool());
        let idle = pool.try_lease_idle();
        runtime.spawn(async move {
            let mut lease = match idle {
                Some(lease) => lease,
                None => pool.lease().await,
            };
            if let Some(conn) = lease.connection()
                && conn.send(&mut request).await.is_ok()
            {
                lease.give_back();
            }
        });
    }
}

impl<T> fmt::Debug for RemoteStream<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteStream")
            .field("id", &self.id)
            .field("open", &self.open)
            .field("read_ahead", &self.read_ahead)
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// Calls `method`, which returns an iterator (a Python generator, a Rust `impl Iterator`),
    /// and streams its items (Pyro5's item streaming).
    ///
    /// See [`RemoteStream`] for an example.
    pub async fn call_stream<A, T>(&self, method: &str, vargs: &A) -> Result<RemoteStream<'_, T>, Error>
    where
        A: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.call_stream_with_kwargs(method, vargs, &EmptyKwargs).await
    }

    /// [`call_stream`](Proxy::call_stream) with keyword arguments.
    ///
    /// ```no_run
    /// # async fn demo(proxy: pyro::aio::Proxy) -> Result<(), pyro::Error> {
    /// use std::collections::BTreeMap;
    /// let items = proxy.call_stream_with_kwargs::<_, _, i64>("count", &(), &BTreeMap::from([("upto", 3)])).await?;
    /// # Ok(()) }
    /// ```
    pub async fn call_stream_with_kwargs<A, K, T>(
        &self,
        method: &str,
        vargs: &A,
        kwargs: &K,
    ) -> Result<RemoteStream<'_, T>, Error>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let encode = |object: &str| self.core().encode_call(object, method, vargs, Some(kwargs));
        let reply = self.invoke(method, Flags::EMPTY, Check::Method, &encode, None).await?;
        self.open_stream(method, reply)
    }

    /// Reads the remote attribute `name` whose value is an iterator, as a stream.
    ///
    /// ```no_run
    /// # async fn demo(proxy: pyro::aio::Proxy) -> Result<(), pyro::Error> {
    /// let letters = proxy.get_attribute_stream::<String>("letters").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_attribute_stream<T: DeserializeOwned>(&self, name: &str) -> Result<RemoteStream<'_, T>, Error> {
        let encode = |object: &str| self.core().encode_call(object, GETATTR, &(name,), None::<&Dict>);
        let reply = self.invoke(GETATTR, Flags::EMPTY, Check::Attribute(name), &encode, None).await?;
        self.open_stream(GETATTR, reply)
    }

    fn open_stream<T>(&self, method: &str, reply: Option<Message>) -> Result<RemoteStream<'_, T>, Error> {
        let id = self.core().stream_of(method, reply)?;
        Ok(RemoteStream {
            proxy: self,
            id: id.into(),
            open: true,
            read_ahead: self.stream_read_ahead(),
            held: None,
            pending: None,
            item: PhantomData,
        })
    }

    /// Closes stream `id` with a oneway call if a connection is open (as the blocking proxy).
    pub(crate) async fn close_stream(&self, id: &str) -> Result<(), Error> {
        if self.open_connections() == 0 {
            return Ok(());
        }
        let encode = |_: &str| self.core().encode_close_stream(id);
        self.invoke(CLOSE, Flags::ONEWAY, Check::Nothing, &encode, None).await.map(drop)
    }
}

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
use crate::Error;
use crate::protocol::{Flags, Message, MessageType};
use crate::proxy::stream::{CLOSE, NEXT_ITEM, stream_item};
use crate::proxy::{Check, EmptyKwargs, GETATTR};
use crate::value::Dict;

/// A reply being fetched.
type Pending<'p> = Pin<Box<dyn Future<Output = Result<Option<Message>, Error>> + Send + 'p>>;

/// The items of a remote iterator as a [`Stream`] of `Result<T, Error>`: the async twin of
/// [`RemoteIter`](crate::proxy::RemoteIter), with its rules (it ends after its last item, after
/// the exception the remote iterator raised, or after a communication error; an item that is
/// no `T` is an `Err` and the stream goes on). Dropping it before the end closes the remote
/// iterator (a oneway `close_stream` sent from a task of its own; a fetch under way is
/// abandoned and its connection closed).
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

    /// Closes the stream now (a oneway `close_stream`), with the error if it could not be sent.
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
        self.proxy.close_stream(&self.id).await
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
        let pending = this.pending.get_or_insert_with(|| {
            let id = Arc::clone(&this.id);
            Box::pin(async move {
                let encode = |_: &str| proxy.core().encode_next_item(&id);
                proxy.invoke(NEXT_ITEM, Flags::EMPTY, Check::Nothing, &encode, None).await
            })
        });
        let reply = match pending.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(reply) => reply,
        };
        this.pending = None;
        match reply {
            Ok(Some(reply)) => {
                let (item, goes_on) = stream_item::<T>(proxy.serializer(), &reply);
                this.open = goes_on;
                Poll::Ready(item)
            }
            Ok(None) => {
                this.open = false;
                Poll::Ready(Some(Err(Error::Communication {
                    message: "no reply to get_next_stream_item".into(),
                    source: None,
                })))
            }
            Err(error) => {
                // The connection is gone (Pyro5's iterator cannot go on either).
                this.open = false;
                Poll::Ready(Some(Err(error)))
            }
        }
    }
}

impl<T> Drop for RemoteStream<'_, T> {
    fn drop(&mut self) {
        // A fetch under way is abandoned: its connection closes with it.
        self.pending = None;
        if !std::mem::replace(&mut self.open, false) || self.proxy.open_connections() == 0 {
            return;
        }
        let core = self.proxy.core();
        let Ok(payload) = core.encode_close_stream(&self.id) else { return };
        let mut request = Message::new(MessageType::Invoke, core.serializer().id(), payload).with_flags(Flags::ONEWAY);
        core.stamp(&mut request);
        // Without a runtime the daemon expires the stream in time.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
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
        f.debug_struct("RemoteStream").field("id", &self.id).field("open", &self.open).finish_non_exhaustive()
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
        Ok(RemoteStream { proxy: self, id: id.into(), open: true, pending: None, item: PhantomData })
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

//! [`Batch`]: several calls in one message (Pyro5's `BatchProxy`) from an async proxy. The
//! calls are recorded by the blocking [`proxy::Batch`](crate::proxy::Batch) (the same
//! recording, the same handles); only sending them is async.

use serde::Serialize;

use super::Proxy;
use crate::Error;
use crate::protocol::Flags;
use crate::proxy::batch::Results;
use crate::proxy::{BatchHandle, Check};
use crate::session::BATCH_METHOD;
use crate::value::{Dict, Value};

/// Calls recorded to be sent to the object of an async [`Proxy`] as one batch: the async twin
/// of [`proxy::Batch`](crate::proxy::Batch). Each recorded call gives a [`BatchHandle`] that
/// yields its own result once [`run`](Batch::run) has been awaited.
///
/// ```no_run
/// # async fn demo() -> Result<(), pyro::Error> {
/// use pyro::value::{Dict, Value};
/// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
/// let mut batch = proxy.batch();
/// let sum = batch.call("add", vec![Value::Int(1), Value::Int(2)], Dict::new());
/// let name = batch.call_with::<_, String>("name", &());
/// batch.run().await?;
/// assert_eq!(sum.get()?, Value::Int(3));
/// println!("{}", name.get()?);
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a batch does nothing until it is run"]
pub struct Batch<'p> {
    proxy: &'p Proxy,
    recorded: crate::proxy::Batch<'p>,
}

impl<'p> Batch<'p> {
    /// Records a call of `method` with dynamic arguments.
    ///
    /// See [`Batch`] for an example.
    pub fn call(&mut self, method: &str, vargs: Vec<Value>, kwargs: Dict) -> BatchHandle {
        self.recorded.call(method, vargs, kwargs)
    }

    /// Records a call of `method` with positional arguments `vargs`, whose result is read as
    /// `R` (as [`proxy::Batch::call_with`](crate::proxy::Batch::call_with)).
    ///
    /// See [`Batch`] for an example.
    pub fn call_with<A: Serialize + ?Sized, R>(&mut self, method: &str, vargs: &A) -> BatchHandle<R> {
        self.recorded.call_with(method, vargs)
    }

    /// Records a call with positional and keyword arguments.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// let mut batch = proxy.batch();
    /// let _sum = batch.call_with_kwargs::<_, _, i64>("add", &(1,), &BTreeMap::from([("b", 2)]));
    /// assert_eq!(batch.len(), 1);
    /// ```
    pub fn call_with_kwargs<A, K, R>(&mut self, method: &str, vargs: &A, kwargs: &K) -> BatchHandle<R>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
    {
        self.recorded.call_with_kwargs(method, vargs, kwargs)
    }

    /// The number of calls recorded.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// let mut batch = proxy.batch();
    /// let _ = batch.call("ping", vec![], Default::default());
    /// assert_eq!(batch.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.recorded.len()
    }

    /// Whether no call was recorded.
    ///
    /// ```
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert!(proxy.batch().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.recorded.is_empty()
    }

    /// Sends the batch and waits for the results, which the handles then yield; the errors of
    /// [`proxy::Batch::run`](crate::proxy::Batch::run). An empty batch sends nothing.
    ///
    /// See [`Batch`] for an example.
    pub async fn run(self) -> Result<(), Error> {
        let proxy = self.proxy;
        let empty = self.recorded.is_empty();
        let (calls, results) = self.recorded.into_parts()?;
        let outcome = if empty {
            Results::Values(Vec::new())
        } else {
            let core = proxy.core();
            let encode = |object: &str| core.encode_batch(object, &calls);
            let reply = proxy.invoke(BATCH_METHOD, Flags::BATCH, Check::Nothing, &encode, None).await?;
            core.batch_results(reply)?
        };
        // The lock is new and set once, here.
        let _ = results.set(outcome);
        Ok(())
    }

    /// Sends the batch oneway: nothing comes back, the handles never yield results.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), pyro::Error> {
    /// let proxy = pyro::aio::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let mut batch = proxy.batch();
    /// let _ = batch.call("notify", vec!["a".into()], Default::default());
    /// batch.run_oneway().await?;
    /// # Ok(()) }
    /// ```
    pub async fn run_oneway(self) -> Result<(), Error> {
        let proxy = self.proxy;
        let empty = self.recorded.is_empty();
        let (calls, _results) = self.recorded.into_parts()?;
        if empty {
            return Ok(());
        }
        let core = proxy.core();
        let encode = |object: &str| core.encode_batch(object, &calls);
        proxy.invoke(BATCH_METHOD, Flags::BATCH | Flags::ONEWAY, Check::Nothing, &encode, None).await.map(drop)
    }
}

impl Proxy {
    /// A [`Batch`] of calls to this proxy's object, sent as one message.
    ///
    /// See [`Batch`] for an example.
    pub fn batch(&self) -> Batch<'_> {
        Batch { proxy: self, recorded: self.core().batch() }
    }
}

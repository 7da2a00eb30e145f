//! [`Batch`]: several calls to one remote object in one message (Pyro5's `BatchProxy`,
//! reference 4.5).

use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Check, Proxy};
use crate::protocol::Flags;
use crate::session::{BATCH_METHOD, ClientSession};
use crate::value::{Dict, Value, from_value, to_value};
use crate::{Error, RemoteError};

/// The results of a batch that ran: one per call that ran, in order; a call that raised is its
/// exception and the last entry.
type Results = Vec<Result<Value, RemoteError>>;

/// Calls recorded to be sent to the object of a [`Proxy`] as one batch (`FLAGS_BATCH`), which
/// the daemon runs in order, stopping at the first call that raises. Each recorded call gives a
/// [`BatchHandle`] that yields its own result once the batch has run.
///
/// Works with any Pyro5 daemon: Python's, or pyro's.
///
/// ```no_run
/// use pyro_runtime::value::{Dict, Value};
///
/// let proxy = pyro_runtime::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
/// let mut batch = proxy.batch();
/// let sum = batch.call("add", vec![Value::Int(1), Value::Int(2)], Dict::new());
/// let name = batch.call_with::<_, String>("name", &());
/// batch.run()?;
/// assert_eq!(sum.get()?, Value::Int(3));
/// println!("{}", name.get()?);
/// # Ok::<(), pyro_runtime::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a batch does nothing until it is run"]
pub struct Batch<'p> {
    proxy: &'p Proxy,
    calls: Vec<Value>,
    /// The first argument that could not be converted: `run` reports it.
    error: Option<Error>,
    results: Arc<OnceLock<Results>>,
}

impl<'p> Batch<'p> {
    pub(super) fn new(proxy: &'p Proxy) -> Batch<'p> {
        Batch { proxy, calls: Vec::new(), error: None, results: Arc::default() }
    }

    /// Records a call of `method` with dynamic arguments.
    ///
    /// See [`Batch`] for an example.
    pub fn call(&mut self, method: &str, vargs: Vec<Value>, kwargs: Dict) -> BatchHandle {
        self.push(method, vargs, kwargs)
    }

    /// Records a call of `method` with positional arguments `vargs` (anything that serializes
    /// as a sequence, as for [`Proxy::call`]), whose result is read as `R`. An argument that
    /// cannot be converted makes [`run`](Batch::run) fail without sending anything. (`R` is
    /// bound by [`BatchHandle::get`], where the result is read.)
    ///
    /// See [`Batch`] for an example.
    pub fn call_with<A: Serialize + ?Sized, R>(&mut self, method: &str, vargs: &A) -> BatchHandle<R> {
        let vargs = self.positional(method, vargs);
        let handle = self.push(method, vargs, Dict::new());
        BatchHandle { index: handle.index, results: handle.results, result: PhantomData }
    }

    /// Records a call of `method` with positional arguments `vargs` and keyword arguments
    /// `kwargs` (anything that serializes as a map with str keys), whose result is read as `R`.
    /// An argument that cannot be converted makes [`run`](Batch::run) fail without sending
    /// anything.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// let proxy = pyro_runtime::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// let mut batch = proxy.batch();
    /// let _sum = batch.call_with_kwargs::<_, _, i64>("add", &(1,), &BTreeMap::from([("b", 2)]));
    /// assert_eq!(batch.len(), 1);
    /// ```
    pub fn call_with_kwargs<A, K, R>(&mut self, method: &str, vargs: &A, kwargs: &K) -> BatchHandle<R>
    where
        A: Serialize + ?Sized,
        K: Serialize + ?Sized,
    {
        let kwargs = match to_value(kwargs) {
            Ok(Value::Dict(kwargs)) => kwargs,
            Ok(other) => {
                self.fail(Error::Batch {
                    message: format!("the keyword arguments of '{method}' must be a dict, not {}", other.type_name()),
                });
                Dict::new()
            }
            Err(error) => {
                self.fail(error.into());
                Dict::new()
            }
        };
        let vargs = self.positional(method, vargs);
        let handle = self.push(method, vargs, kwargs);
        BatchHandle { index: handle.index, results: handle.results, result: PhantomData }
    }

    /// `vargs` as the list of a call's positional arguments (an error for `run` if not a sequence).
    fn positional<A: Serialize + ?Sized>(&mut self, method: &str, vargs: &A) -> Vec<Value> {
        match to_value(vargs) {
            Ok(Value::List(items) | Value::Tuple(items)) => items,
            Ok(Value::None) => Vec::new(),
            Ok(other) => {
                self.fail(Error::Batch {
                    message: format!("the arguments of '{method}' must be a sequence, not {}", other.type_name()),
                });
                Vec::new()
            }
            Err(error) => {
                self.fail(error.into());
                Vec::new()
            }
        }
    }

    /// The number of calls recorded.
    ///
    /// ```
    /// let proxy = pyro_runtime::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// let mut batch = proxy.batch();
    /// let _ = batch.call("ping", vec![], Default::default());
    /// assert_eq!(batch.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether no call was recorded.
    ///
    /// ```
    /// let proxy = pyro_runtime::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert!(proxy.batch().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Sends the batch and waits for the results, which the handles then yield. The error is
    /// for the batch as a whole: the connection failed, or the daemon refused the batch (e.g. a
    /// method the object does not expose, as Pyro5 reports it). A call that raised is not an
    /// error here: its handle yields the exception. An empty batch sends nothing.
    ///
    /// See [`Batch`] for an example.
    pub fn run(mut self) -> Result<(), Error> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let results = if self.calls.is_empty() { Vec::new() } else { self.proxy.invoke_batch(&self.calls)? };
        // The lock is new and set once, here.
        let _ = self.results.set(results);
        Ok(())
    }

    /// Sends the batch oneway: the daemon runs it and sends nothing back, so the handles never
    /// yield results.
    ///
    /// ```no_run
    /// let proxy = pyro_runtime::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let mut batch = proxy.batch();
    /// let _ = batch.call("notify", vec!["a".into()], Default::default());
    /// let _ = batch.call("notify", vec!["b".into()], Default::default());
    /// batch.run_oneway()?;
    /// # Ok::<(), pyro_runtime::Error>(())
    /// ```
    pub fn run_oneway(mut self) -> Result<(), Error> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        if self.calls.is_empty() {
            return Ok(());
        }
        self.proxy.invoke_batch_oneway(&self.calls)
    }

    fn push(&mut self, method: &str, vargs: Vec<Value>, kwargs: Dict) -> BatchHandle {
        let index = self.calls.len();
        self.calls.push(Value::Tuple(vec![Value::from(method), Value::Tuple(vargs), Value::Dict(kwargs)]));
        BatchHandle { index, results: Arc::clone(&self.results), result: PhantomData }
    }

    fn fail(&mut self, error: Error) {
        self.error.get_or_insert(error);
    }
}

/// The result of one call of a [`Batch`], available once the batch has run; `R` is the type
/// the result is read as ([`Value`] for dynamic calls).
///
/// See [`Batch`] for an example.
#[derive(Debug)]
pub struct BatchHandle<R = Value> {
    index: usize,
    results: Arc<OnceLock<Results>>,
    result: PhantomData<fn() -> R>,
}

impl<R: DeserializeOwned> BatchHandle<R> {
    /// The call's result: its value, the exception it raised ([`Error::Remote`]), or
    /// [`Error::Batch`] if the batch has not run (yet, or was oneway, or failed as a whole) or
    /// this call did not run because an earlier one raised.
    ///
    /// ```
    /// let proxy = pyro_runtime::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// let mut batch = proxy.batch();
    /// let handle = batch.call("ping", vec![], Default::default());
    /// assert!(matches!(handle.get(), Err(pyro_runtime::Error::Batch { .. })));
    /// ```
    pub fn get(&self) -> Result<R, Error> {
        let Some(results) = self.results.get() else {
            return Err(Error::Batch { message: "the batch has not run".into() });
        };
        match results.get(self.index) {
            Some(Ok(value)) => Ok(from_value(value.clone())?),
            Some(Err(remote)) => Err(remote.clone().into()),
            None => Err(Error::Batch {
                message: format!("call {} of the batch did not run: an earlier call raised an exception", self.index),
            }),
        }
    }

    /// The position of the call in its batch.
    ///
    /// ```
    /// let proxy = pyro_runtime::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// let mut batch = proxy.batch();
    /// let _ = batch.call("a", vec![], Default::default());
    /// assert_eq!(batch.call("b", vec![], Default::default()).index(), 1);
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }
}

impl<R> Clone for BatchHandle<R> {
    fn clone(&self) -> Self {
        BatchHandle { index: self.index, results: Arc::clone(&self.results), result: PhantomData }
    }
}

impl Proxy {
    /// A [`Batch`] of calls to this proxy's object, sent as one message (Pyro5's
    /// `BatchProxy`).
    ///
    /// See [`Batch`] for an example.
    pub fn batch(&self) -> Batch<'_> {
        Batch::new(self)
    }

    /// Sends a batch (`calls` are `(method, vargs, kwargs)` triples) and decodes its results.
    fn invoke_batch(&self, calls: &[Value]) -> Result<Vec<Result<Value, RemoteError>>, Error> {
        let encode = |object: &str| self.encode_call(object, BATCH_METHOD, calls, None::<&Dict>);
        match self.invoke(BATCH_METHOD, Flags::BATCH, Check::Nothing, encode)? {
            Some(reply) => ClientSession::new(self.serializer()).decode_batch(&reply),
            None => Err(Error::Batch { message: "no reply to a batch".into() }),
        }
    }

    /// Sends a batch oneway.
    fn invoke_batch_oneway(&self, calls: &[Value]) -> Result<(), Error> {
        let encode = |object: &str| self.encode_call(object, BATCH_METHOD, calls, None::<&Dict>);
        self.invoke(BATCH_METHOD, Flags::BATCH | Flags::ONEWAY, Check::Nothing, encode).map(drop)
    }
}

//! [`Batch`]: several calls to one remote object in one message (Pyro5's
//! `BatchProxy`).

use std::marker::PhantomData;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Check, Proxy};
use crate::protocol::Flags;
use crate::serializer::{Serializer, batch_call, msgpack, msgpack_array_header};
use crate::session::{BATCH_METHOD, BatchItems, ClientSession};
use crate::value::{Dict, Value, from_value, to_value};
use crate::{Error, RemoteError};

/// The results of a batch that ran: one per call that ran, in order; a call that raised is its
/// exception and the last entry.
#[derive(Debug)]
pub(crate) enum Results {
    /// Each result decoded.
    Values(Vec<Result<Value, RemoteError>>),
    /// A msgpack reply as it came: each result is read from its bytes, as the type its handle
    /// asks for, when asked.
    Msgpack { data: Vec<u8>, items: Vec<Range<usize>>, raised: Option<RemoteError> },
}

/// The calls of a batch, as recorded.
#[derive(Debug)]
pub(crate) enum Calls {
    /// Each call a `(method, vargs, kwargs)` tuple.
    Values(Vec<Value>),
    /// A proxy speaking msgpack: the calls serialized one after the other as they are
    /// recorded (each a `[method, vargs, kwargs]` array), to be sent as one list.
    Msgpack { entries: Vec<u8>, count: usize },
}

/// Calls recorded to be sent to the object of a [`Proxy`] as one batch (`FLAGS_BATCH`), which
/// the daemon runs in order, stopping at the first call that raises. Each recorded call gives a
/// [`BatchHandle`] that yields its own result once the batch has run.
///
/// Works with any Pyro5 daemon: Python's, or pyro's.
///
/// ```no_run
/// use pyro::value::{Dict, Value};
///
/// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
/// let mut batch = proxy.batch();
/// let sum = batch.call("add", vec![Value::Int(1), Value::Int(2)], Dict::new());
/// let name = batch.call_with::<_, String>("name", &());
/// batch.run()?;
/// assert_eq!(sum.get()?, Value::Int(3));
/// println!("{}", name.get()?);
/// # Ok::<(), pyro::Error>(())
/// ```
#[derive(Debug)]
#[must_use = "a batch does nothing until it is run"]
pub struct Batch<'p> {
    proxy: &'p Proxy,
    calls: Calls,
    /// The first argument that could not be converted: `run` reports it.
    error: Option<Error>,
    results: Arc<OnceLock<Results>>,
}

/// Appends the msgpack `[method, vargs, {}]` of one call to `entries` (nothing if it fails):
/// `vargs` must serialize as a sequence, or as nil (`()`: no arguments).
fn record_msgpack<A: Serialize + ?Sized>(entries: &mut Vec<u8>, method: &str, vargs: &A) -> Result<(), Error> {
    let start = entries.len();
    let result = (|| {
        entries.push(0x93);
        msgpack::write_str(entries, method)?;
        let at = entries.len();
        msgpack::write_to(entries, vargs)?;
        match entries.get(at) {
            Some(0x90..=0x9f | 0xdc | 0xdd) => {}
            Some(0xc0) => entries[at] = 0x90,
            _ => {
                let other: Value = msgpack::from_bytes(&entries[at..])?;
                return Err(Error::Batch {
                    message: format!("the arguments of '{method}' must be a sequence, not {}", other.type_name()),
                });
            }
        }
        entries.push(0x80);
        Ok(())
    })();
    if result.is_err() {
        entries.truncate(start);
    }
    result
}

impl<'p> Batch<'p> {
    pub(super) fn new(proxy: &'p Proxy) -> Batch<'p> {
        let calls = match proxy.serializer() {
            Serializer::Msgpack => Calls::Msgpack { entries: Vec::new(), count: 0 },
            _ => Calls::Values(Vec::new()),
        };
        Batch { proxy, calls, error: None, results: Arc::default() }
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
        if let Calls::Msgpack { entries, count } = &mut self.calls {
            let index = *count;
            // A call whose arguments fail still counts (the batch then fails to run at all).
            *count += 1;
            if let Err(error) = record_msgpack(entries, method, vargs) {
                self.fail(error);
            }
            return BatchHandle { index, results: Arc::clone(&self.results), result: PhantomData };
        }
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
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
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
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// let mut batch = proxy.batch();
    /// let _ = batch.call("ping", vec![], Default::default());
    /// assert_eq!(batch.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        match &self.calls {
            Calls::Values(calls) => calls.len(),
            Calls::Msgpack { count, .. } => *count,
        }
    }

    /// Whether no call was recorded.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// assert!(proxy.batch().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        let results =
            if self.is_empty() { Results::Values(Vec::new()) } else { self.proxy.invoke_batch(&self.calls)? };
        // The lock is new and set once, here.
        let _ = self.results.set(results);
        Ok(())
    }

    /// Sends the batch oneway: the daemon runs it and sends nothing back, so the handles never
    /// yield results.
    ///
    /// ```no_run
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999")?;
    /// let mut batch = proxy.batch();
    /// let _ = batch.call("notify", vec!["a".into()], Default::default());
    /// let _ = batch.call("notify", vec!["b".into()], Default::default());
    /// batch.run_oneway()?;
    /// # Ok::<(), pyro::Error>(())
    /// ```
    pub fn run_oneway(mut self) -> Result<(), Error> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        if self.is_empty() {
            return Ok(());
        }
        self.proxy.invoke_batch_oneway(&self.calls)
    }

    /// For a driver that sends the batch itself (the async proxy's): the recorded calls and
    /// where their results go, or the error of a call that could not be recorded.
    #[cfg_attr(not(feature = "tokio"), allow(dead_code))]
    pub(crate) fn into_parts(mut self) -> Result<(Calls, Arc<OnceLock<Results>>), Error> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        Ok((self.calls, self.results))
    }

    fn push(&mut self, method: &str, vargs: Vec<Value>, kwargs: Dict) -> BatchHandle {
        let index = self.len();
        match &mut self.calls {
            Calls::Values(calls) => {
                calls.push(Value::Tuple(vec![Value::from(method), Value::Tuple(vargs), Value::Dict(kwargs)]));
            }
            Calls::Msgpack { entries, count } => {
                *count += 1;
                if let Err(error) = msgpack::write_to(entries, &(method, vargs, kwargs)) {
                    self.error.get_or_insert(error.into());
                }
            }
        }
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
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
    /// let mut batch = proxy.batch();
    /// let handle = batch.call("ping", vec![], Default::default());
    /// assert!(matches!(handle.get(), Err(pyro::Error::Batch { .. })));
    /// ```
    pub fn get(&self) -> Result<R, Error> {
        let Some(results) = self.results.get() else {
            return Err(Error::Batch { message: "the batch has not run".into() });
        };
        let did_not_run = || Error::Batch {
            message: format!("call {} of the batch did not run: an earlier call raised an exception", self.index),
        };
        match results {
            Results::Values(results) => match results.get(self.index) {
                Some(Ok(value)) => Ok(from_value(value.clone())?),
                Some(Err(remote)) => Err(remote.clone().into()),
                None => Err(did_not_run()),
            },
            Results::Msgpack { data, items, raised } => match items.get(self.index) {
                Some(item) => {
                    let bytes = data.get(item.clone()).ok_or_else(did_not_run)?;
                    // A number, bool, nil or str becomes the value the general decoder makes.
                    match batch_call::msgpack_scalar(bytes) {
                        Some(value) => Ok(from_value(value)?),
                        None => Ok(msgpack::from_validated(bytes)?),
                    }
                }
                None => match raised {
                    Some(remote) if self.index == items.len() => Err(remote.clone().into()),
                    _ => Err(did_not_run()),
                },
            },
        }
    }

    /// The position of the call in its batch.
    ///
    /// ```
    /// let proxy = pyro::proxy::Proxy::from_uri_str("PYRO:thing@localhost:9999").unwrap();
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

    /// Sends a batch and reads its results.
    fn invoke_batch(&self, calls: &Calls) -> Result<Results, Error> {
        let encode = |object: &str| self.encode_batch(object, calls);
        let reply = self.invoke(BATCH_METHOD, Flags::BATCH, Check::Nothing, encode)?;
        self.batch_results(reply)
    }

    /// The results of a batch from its reply (shared by the blocking and the async proxy).
    pub(crate) fn batch_results(&self, reply: Option<crate::protocol::Message>) -> Result<Results, Error> {
        let Some(reply) = reply else {
            return Err(Error::Batch { message: "no reply to a batch".into() });
        };
        let session = ClientSession::new(self.serializer());
        if reply.serializer_id == Serializer::MSGPACK_ID
            && let Some(batch) = session.msgpack_batch(&reply)?
        {
            let BatchItems { items, raised } = batch;
            return Ok(Results::Msgpack { data: reply.data, items, raised });
        }
        session.decode_batch(&reply).map(Results::Values)
    }

    /// Sends a batch oneway.
    fn invoke_batch_oneway(&self, calls: &Calls) -> Result<(), Error> {
        let encode = |object: &str| self.encode_batch(object, calls);
        self.invoke(BATCH_METHOD, Flags::BATCH | Flags::ONEWAY, Check::Nothing, encode).map(drop)
    }

    /// The batch call to `object` (its positional arguments the `(method, vargs, kwargs)`
    /// triples, its keyword arguments null, as Pyro5's `BatchProxy` sends them).
    pub(crate) fn encode_batch(&self, object: &str, calls: &Calls) -> Result<Vec<u8>, Error> {
        match calls {
            Calls::Values(calls) => self.encode_call(object, BATCH_METHOD, calls, None::<&Dict>),
            Calls::Msgpack { entries, count } if self.serializer() == Serializer::Msgpack => {
                let mut out = Vec::with_capacity(entries.len() + object.len() + 32);
                out.push(0x94);
                msgpack::write_to(&mut out, object)?;
                msgpack::write_to(&mut out, BATCH_METHOD)?;
                let (header, len) = msgpack_array_header(*count)?;
                out.extend_from_slice(&header[..len]);
                out.extend_from_slice(entries);
                out.push(0xc0);
                Ok(out)
            }
            Calls::Msgpack { entries, count } => {
                // The proxy settled on another serializer when it connected: the recorded calls
                // are read back and sent in that one.
                let (header, len) = msgpack_array_header(*count)?;
                let list = [&header[..len], entries.as_slice()].concat();
                let calls: Vec<Value> = msgpack::from_bytes(&list)?;
                self.encode_call(object, BATCH_METHOD, &calls, None::<&Dict>)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// What the `Value` path records for the same call.
    fn as_value(method: &str, vargs: Vec<Value>) -> Vec<u8> {
        let call = Value::Tuple(vec![Value::from(method), Value::Tuple(vargs), Value::Dict(Dict::new())]);
        msgpack::to_bytes(&call).unwrap()
    }

    #[test]
    fn msgpack_calls_are_recorded_as_the_value_path_serializes_them() {
        let mut entries = Vec::new();
        record_msgpack(&mut entries, "echo", &(Value::Int(42),)).unwrap();
        record_msgpack(&mut entries, "ping", &()).unwrap();
        record_msgpack(&mut entries, &"m".repeat(40), &vec![1, 2, 3]).unwrap();
        let want = [
            as_value("echo", vec![Value::Int(42)]),
            as_value("ping", vec![]),
            as_value(&"m".repeat(40), vec![Value::Int(1), Value::Int(2), Value::Int(3)]),
        ]
        .concat();
        assert_eq!(entries, want);
        // Not a sequence: an error, and nothing recorded.
        let err = record_msgpack(&mut entries, "bad", &7).unwrap_err();
        assert_eq!(
            err.to_string(),
            Error::Batch { message: "the arguments of 'bad' must be a sequence, not int".into() }.to_string()
        );
        assert_eq!(entries, want);
    }
}

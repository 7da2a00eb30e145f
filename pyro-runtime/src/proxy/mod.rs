//! The client side: [`Proxy`], a handle on a remote object (PLACEHOLDER API: the proxy helper
//! implements it; the signatures are the contract the macros generate code against).

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::value::{Dict, Value};
use crate::{Error, Uri};

/// A proxy for a remote object (PLACEHOLDER).
#[derive(Debug)]
pub struct Proxy {
    uri: Uri,
}

impl Proxy {
    /// A proxy for the object at `uri`; connects lazily on the first call (PLACEHOLDER).
    pub fn new(uri: Uri) -> Proxy {
        Proxy { uri }
    }

    /// A proxy for the object at the URI text `uri` (PLACEHOLDER).
    pub fn from_uri_str(uri: &str) -> Result<Proxy, Error> {
        Ok(Proxy::new(uri.parse()?))
    }

    /// The URI (PLACEHOLDER).
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// Calls `method` with positional arguments `vargs` (anything that serializes as a sequence,
    /// e.g. a tuple) and decodes the result as `R` (PLACEHOLDER).
    pub fn call<A, R>(&self, method: &str, vargs: &A) -> Result<R, Error>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let _ = (method, vargs);
        todo!("proxy helper")
    }

    /// Calls a oneway `method`: sends and returns without waiting (PLACEHOLDER).
    pub fn call_oneway<A: Serialize + ?Sized>(&self, method: &str, vargs: &A) -> Result<(), Error> {
        let _ = (method, vargs);
        todo!("proxy helper")
    }

    /// Dynamic call with `Value` arguments (PLACEHOLDER).
    pub fn call_value(&self, method: &str, vargs: Vec<Value>, kwargs: Dict) -> Result<Value, Error> {
        let _ = (method, vargs, kwargs);
        todo!("proxy helper")
    }
}

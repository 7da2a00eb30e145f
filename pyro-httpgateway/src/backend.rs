//! [`Backends`]: the gateway's blocking side: the name server, a short cache of name lookups,
//! and one pooled [`Proxy`] per backend object.
//!
//! Pyro5's gateway locates the name server, looks the name up and connects a new proxy on every
//! request. Here a looked-up name is reused for [`GatewaySettings::name_cache_ttl`] (2 s by
//! default), and each backend object has one shared proxy whose connections stay open for the
//! next requests (up to [`GatewaySettings::max_connections_per_backend`] calls at once). A
//! backend that refuses the connection, or closes it before answering, drops its name and its
//! proxy, and the call is tried once more after a fresh lookup on a new connection, so an object
//! re-registered elsewhere, or restarted, is found at once. (So a call whose connection broke
//! while the object ran it can run twice; Pyro5's proxies retry the same way when
//! `MAX_RETRIES` is set.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use pyro_runtime::dispatch::Metadata;
use pyro_runtime::proxy::{Proxy, RawReply};
use pyro_runtime::value::Dict;
use pyro_runtime::{Config, Error, NameServerProxy, RemoteError, Serializer, Uri, Value};

use crate::{GatewaySettings, Params};

/// The name server and the backend objects behind a gateway (shared by its requests).
#[derive(Debug)]
pub(crate) struct Backends {
    pyro: Config,
    ttl: std::time::Duration,
    max_connections: usize,
    max_cached: usize,
    ns: Mutex<Option<Arc<NameServerProxy>>>,
    names: Mutex<HashMap<String, (Uri, Instant)>>,
    proxies: Mutex<HashMap<Uri, Arc<Proxy>>>,
}

/// What a backend call came to.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The object's metadata (`$meta`).
    Meta(Metadata),
    /// The reply, unread; `None` for a oneway call.
    Reply(Option<RawReply>),
}

/// Why a backend call failed before the object answered: an exception as Pyro5's gateway
/// reports it (`class_to_dict` of what was raised).
#[derive(Debug)]
pub(crate) struct Failure(pub(crate) RemoteError);

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure(error.to_remote())
    }
}

/// One call: the object, the method (or `$meta`, or an attribute), the parameters.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) object: String,
    pub(crate) method: String,
    pub(crate) params: Params,
    pub(crate) oneway: bool,
}

impl Backends {
    pub(crate) fn new(settings: &GatewaySettings) -> Backends {
        let mut pyro = settings.pyro.clone();
        pyro.serializer = Some(Serializer::Json);
        Backends {
            pyro,
            ttl: settings.name_cache_ttl,
            max_connections: settings.max_connections_per_backend.max(1),
            max_cached: settings.max_cached_backends.max(1),
            ns: Mutex::new(None),
            names: Mutex::new(HashMap::new()),
            proxies: Mutex::new(HashMap::new()),
        }
    }

    /// The name server proxy, located on first use and again after it failed.
    pub(crate) fn name_server(&self) -> Result<Arc<NameServerProxy>, Error> {
        if let Some(ns) = lock(&self.ns).clone() {
            return Ok(ns);
        }
        let ns = Arc::new(pyro_runtime::locate_ns_with_config(None, None, &self.pyro)?);
        *lock(&self.ns) = Some(ns.clone());
        Ok(ns)
    }

    /// Forgets the name server after a communication failure.
    pub(crate) fn drop_name_server(&self, error: &Error) {
        if error.remote().is_none() {
            *lock(&self.ns) = None;
        }
    }

    /// The URI of `name`, from the cache or the name server.
    pub(crate) fn lookup(&self, name: &str) -> Result<Uri, Failure> {
        if let Some((uri, at)) = lock(&self.names).get(name)
            && at.elapsed() < self.ttl
        {
            return Ok(uri.clone());
        }
        let ask = || {
            let ns = self.name_server()?;
            ns.proxy()
                .call_raw("lookup", &(name,), &Dict::new(), false)
                .inspect_err(|error| self.drop_name_server(error))
        };
        // A name server that restarted is located again, once.
        let reply = match ask() {
            Err(Error::ConnectionClosed { .. } | Error::ConnectionRefused { .. }) => ask(),
            other => other,
        };
        let reply = match reply? {
            Some(reply) => reply,
            None => return Err(Error::Naming { message: format!("no reply to the lookup of {name}") }.into()),
        };
        if reply.exception {
            let value: Value = reply.serializer.from_bytes(&reply.data).map_err(Error::from)?;
            return Err(Failure(RemoteError::from_value(&value).map_err(Error::from)?));
        }
        let uri: Uri = reply.serializer.from_bytes(&reply.data).map_err(Error::from)?;
        if !self.ttl.is_zero() {
            let mut names = lock(&self.names);
            if names.len() >= self.max_cached {
                names.retain(|_, (_, at)| at.elapsed() < self.ttl);
                if names.len() >= self.max_cached {
                    names.clear();
                }
            }
            names.insert(name.to_string(), (uri.clone(), Instant::now()));
        }
        Ok(uri)
    }

    /// The shared proxy for `uri`, connected (so that its metadata is known).
    fn proxy(&self, uri: &Uri) -> Result<Arc<Proxy>, Error> {
        let proxy = {
            let mut proxies = lock(&self.proxies);
            match proxies.get(uri) {
                Some(proxy) => proxy.clone(),
                None => {
                    if proxies.len() >= self.max_cached {
                        proxies.clear();
                    }
                    let proxy = Arc::new(
                        Proxy::with_config(uri.clone(), &self.pyro)
                            .with_serializer(Serializer::Json)
                            .with_max_connections(self.max_connections),
                    );
                    proxies.insert(uri.clone(), proxy.clone());
                    proxy
                }
            }
        };
        if proxy.metadata().is_none() {
            proxy.bind()?;
        }
        Ok(proxy)
    }

    /// The metadata of the object registered as `name` (for the front page).
    pub(crate) fn metadata(&self, name: &str) -> Result<Metadata, Failure> {
        let uri = self.lookup(name)?;
        let proxy = self.proxy(&uri).inspect_err(|_| self.forget(name, &uri))?;
        Ok(proxy.metadata().unwrap_or_default())
    }

    /// Forgets `name` and its proxy (the backend went away).
    fn forget(&self, name: &str, uri: &Uri) {
        lock(&self.names).remove(name);
        lock(&self.proxies).remove(uri);
    }

    /// Runs `call` (blocking): looks the object up, then reads its metadata, an attribute, or
    /// calls the method with the parameters as keyword arguments.
    pub(crate) fn run(&self, call: &Call) -> Result<Outcome, Failure> {
        let uri = self.lookup(&call.object)?;
        match self.run_at(&uri, call) {
            Err(
                Error::ConnectionRefused { .. } | Error::ConnectionRejected { .. } | Error::ConnectionClosed { .. },
            ) => {
                self.forget(&call.object, &uri);
                // The cached lookup, or a kept connection, may be stale: look again, once, on a
                // new connection.
                let fresh = self.lookup(&call.object)?;
                self.run_at(&fresh, call).unwrap_or_else(|error| {
                    self.forget(&call.object, &fresh);
                    Err(error.into())
                })
            }
            Err(error) => {
                if matches!(error, Error::Timeout { .. } | Error::Communication { .. }) {
                    self.forget(&call.object, &uri);
                }
                Err(error.into())
            }
            Ok(outcome) => outcome,
        }
    }

    /// The call at `uri`: a communication error outside, what Pyro5 reports inside.
    fn run_at(&self, uri: &Uri, call: &Call) -> Result<Result<Outcome, Failure>, Error> {
        let proxy = self.proxy(uri)?;
        let metadata = proxy.metadata().unwrap_or_default();
        if call.method == "$meta" {
            return Ok(Ok(Outcome::Meta(metadata)));
        }
        let result = if metadata.attrs.contains(&call.method) {
            if !call.params.is_empty() {
                // Pyro5's gateway asserts this, which its handler reports as the AssertionError.
                let message = "attribute lookup can't have query parameters";
                return Ok(Err(Failure(RemoteError::new("builtins.AssertionError", vec![message.into()]))));
            }
            proxy.get_attribute_raw(&call.method)
        } else {
            proxy.call_raw(&call.method, &(), &call.params, call.oneway)
        };
        match result {
            Ok(reply) => Ok(Ok(Outcome::Reply(reply))),
            Err(
                error @ (Error::ConnectionRefused { .. }
                | Error::ConnectionRejected { .. }
                | Error::ConnectionClosed { .. }
                | Error::Timeout { .. }
                | Error::Communication { .. }),
            ) => Err(error),
            Err(other) => Ok(Err(other.into())),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

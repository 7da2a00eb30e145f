//! The call path of a [`Proxy`]: leasing a connection (connecting, resolving and handshaking on
//! first use), sending a request with its annotations, retrying on a lost connection as Pyro5's
//! `_pyroReconnect` does, and decoding the reply.

use std::sync::{Arc, PoisonError};

use serde::de::DeserializeOwned;

use super::connection::{Connection, Target};
use super::pool::Lease;
use super::{Annotate, Known, Proxy};
use crate::dispatch::Metadata;
use crate::protocol::{Flags, Message, MessageType};
use crate::serializer::Serializer;
use crate::session::{ClientSession, Handshake};
use crate::value::Value;
use crate::{Deadline, Error, RemoteError, Uri, current_context};

impl Proxy {
    /// The lease's connection, opened (with a handshake) if the lease is a reservation; a
    /// `PYRONAME`/`PYROMETA` uri is resolved for it first.
    pub(super) fn connect_lease<'l>(&self, lease: &'l mut Lease<'_>) -> Result<&'l mut Connection, Error> {
        if lease.connection().is_none()
            && let Some(adoptable) = &self.connected
        {
            return self.adopt(lease, adoptable);
        }
        if lease.connection().is_none() {
            let resolved = match &self.naming {
                None => None,
                Some(naming) => Some(naming.resolve(&self.uri)?),
            };
            let uri = resolved.as_ref().unwrap_or(&self.uri);
            let location = uri.location().ok_or_else(|| Error::Communication {
                message: format!("the URI {uri} has no location"),
                source: None,
            })?;
            let tls = self.tls.as_ref().map_err(|message| Error::Tls { message: message.clone() })?.as_ref();
            let open = |serializer| {
                let target = Target {
                    uri,
                    location,
                    serializer,
                    handshake: &self.handshake,
                    timeout: self.timeout,
                    options: self.options,
                    stamp: &|request: &mut Message| self.stamp(request),
                    tls,
                    deadline: crate::deadline::current(),
                };
                Connection::open(&target, lease.generation)
            };
            let (first, fallback) = self.serializer.for_handshake();
            let (opened, used) = match (open(first), fallback) {
                // Closed at the handshake without a word: what a Pyro5 daemon without msgpack
                // does with a msgpack CONNECT. Every Pyro5 speaks serpent.
                (Err(Error::ConnectionClosed { .. }), Some(fallback)) => (open(fallback), fallback),
                (opened, _) => (opened, first),
            };
            let (conn, handshake) = opened?;
            self.remember_handshake(used, handshake, resolved);
            return Ok(lease.fill(conn));
        }
        lease.connection().ok_or_else(|| Error::Communication { message: "no connection".into(), source: None })
    }

    /// Runs `work` (`what`: "binding", "pinging") on a lease of the pool under the deadline of
    /// a call starting now ([`call_deadline`](Proxy::call_deadline); a per-call one made
    /// current, so connecting, resolving a name and the handshake see it): not at all past it,
    /// waiting for a connection no later than it, a timeout past it being its
    /// [`Error::Timeout`]. The connection goes back to the pool only if `work` succeeded.
    pub(super) fn leased_by_deadline<R>(
        &self,
        what: &str,
        work: impl FnOnce(&mut Lease<'_>, Option<Deadline>) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let (deadline, per_call) = self.call_deadline();
        let expired = |deadline: Deadline| self.expired_while(what, deadline);
        let attempt = || {
            if let Some(deadline) = deadline.filter(Deadline::is_past) {
                return Err(expired(deadline));
            }
            let Some(mut lease) = self.pool.lease_until(deadline.map(|deadline| deadline.instant())) else {
                let no_connection = || Error::Communication { message: "no connection".into(), source: None };
                return Err(deadline.map_or_else(no_connection, expired));
            };
            let done = work(&mut lease, deadline).map_err(|error| past_deadline(error, deadline, &expired))?;
            lease.give_back();
            Ok(done)
        };
        match per_call {
            Some(_) => crate::deadline::enter(deadline, attempt),
            None => attempt(),
        }
    }

    /// The [`Error::Timeout`] of `what` ("binding", "pinging") this proxy's object when
    /// `deadline` passed. Shared by the blocking and the async proxy.
    pub(crate) fn expired_while(&self, what: &str, deadline: Deadline) -> Error {
        deadline.expired(&format!("{what} {}", self.uri))
    }

    /// Sends one call, retrying on a closed connection or a timeout; the reply unless oneway.
    /// `encode` serializes the call for an object id: for a `PYRO` uri once, before connecting;
    /// for a `PYRONAME`/`PYROMETA` uri on each attempt, for the object the connection it goes out
    /// on was resolved to.
    pub(super) fn invoke<E>(
        &self,
        method: &str,
        flags: Flags,
        check: Check<'_>,
        encode: E,
    ) -> Result<Option<Message>, Error>
    where
        E: Fn(&str) -> Result<Vec<u8>, Error>,
    {
        self.invoke_annotated(method, flags, check, encode, None)
    }

    /// [`invoke`](Proxy::invoke) with an annotation computed for the object id the call goes
    /// to (a blob's `BLBI`).
    pub(super) fn invoke_annotated<E>(
        &self,
        method: &str,
        flags: Flags,
        check: Check<'_>,
        encode: E,
        annotate: Option<&Annotate<'_>>,
    ) -> Result<Option<Message>, Error>
    where
        E: Fn(&str) -> Result<Vec<u8>, Error>,
    {
        let mut prepared = self.prepare_call(&encode)?;
        current_context::begin_call();
        // The methods running on this thread now wait for this call: callbacks it causes (they
        // carry its correlation id) must not wait for them (see `dispatch::BUSY_MESSAGE`).
        let chain = current_context::correlation_id().into_iter().chain(self.correlation_id);
        let _calling_out = crate::dispatch::busy::calling_out(chain);
        let (deadline, per_call) = self.call_deadline();
        let mut attempts = || {
            let mut retries = self.max_retries;
            loop {
                match self.invoke_once(method, flags, check, prepared.as_mut(), &encode, annotate) {
                    Err(error) if retries > 0 && is_retried_by(&error, deadline) => retries -= 1,
                    result => return result,
                }
            }
        };
        match per_call {
            // Made current for the attempts: connecting, resolving a name (which calls the
            // name server) and sending see it.
            Some(_) => crate::deadline::enter(deadline, attempts),
            None => attempts(),
        }
    }

    pub(super) fn invoke_once<E>(
        &self,
        method: &str,
        flags: Flags,
        check: Check<'_>,
        prepared: Option<&mut Message>,
        encode: &E,
        annotate: Option<&Annotate<'_>>,
    ) -> Result<Option<Message>, Error>
    where
        E: Fn(&str) -> Result<Vec<u8>, Error>,
    {
        // The call's deadline: `invoke_annotated` made a proxy's own one current.
        let deadline = crate::deadline::current();
        let expired = |deadline: Deadline| self.call_expired(method, deadline);
        // Past its deadline, a call is not sent at all.
        if let Some(deadline) = deadline.filter(Deadline::is_past) {
            return Err(expired(deadline));
        }
        let Some(mut lease) = self.pool.lease_until(deadline.map(|deadline| deadline.instant())) else {
            // Only a lease with a time limit can come back empty.
            let no_connection = || Error::Communication { message: "no connection".into(), source: None };
            return Err(deadline.map_or_else(no_connection, expired));
        };
        let conn = self.connect_lease(&mut lease)?;
        let mut storage = None;
        let request =
            match self.request_for(method, flags, check, prepared, &mut storage, encode, annotate, conn.object(), None)
            {
                Ok(request) => request,
                Err(err) => {
                    // Nothing was sent: the connection is still good.
                    lease.give_back();
                    return Err(err);
                }
            };
        if let Some(deadline) = deadline {
            // What is left goes with the request; nothing left: not sent.
            if let Err(error) = self.stamp_deadline(request, method, deadline) {
                lease.give_back();
                return Err(error);
            }
        }
        let by = deadline.map(|deadline| super::connection::by(deadline, self.timeout));
        let conn = self.connect_lease(&mut lease)?;
        // On error the lease is dropped here, which closes the connection (a reply that comes
        // after the deadline is never read as another call's).
        let reply = conn.exchange_by(request, by).map_err(|error| match deadline {
            Some(deadline) if matches!(error, Error::Timeout { .. }) && deadline.is_past() => expired(deadline),
            _ => error,
        })?;
        if let Some(reply) = &reply {
            current_context::received(reply);
        }
        if reply.as_ref().is_some_and(|reply| conn.session().server_closes_after(reply)) {
            // Dropping the lease closes our end too; the next call reconnects.
            drop(lease);
        } else {
            lease.give_back();
        }
        Ok(reply)
    }

    /// The deadline of a call starting now: the earlier of the current one
    /// ([`deadline::current`](crate::deadline::current)) and the proxy's per-call one, and the
    /// per-call one (when set, the call makes the deadline current for its attempts). Shared by
    /// the blocking and the async proxy.
    pub(crate) fn call_deadline(&self) -> (Option<Deadline>, Option<Deadline>) {
        let per_call = self.deadline_per_call.map(Deadline::after);
        (Deadline::earliest_of(crate::deadline::current(), per_call), per_call)
    }

    /// The [`Error::Timeout`] of a call to `method` whose `deadline` passed.
    pub(crate) fn call_expired(&self, method: &str, deadline: Deadline) -> Error {
        deadline.expired(&format!("calling {method} on {}", self.uri))
    }

    /// Puts what is left of `deadline` on the request of a call to `method` (`DDLN`); nothing
    /// left is the call's [`Error::Timeout`], and the request must not be sent.
    pub(crate) fn stamp_deadline(&self, request: &mut Message, method: &str, deadline: Deadline) -> Result<(), Error> {
        crate::deadline::stamp(request, deadline, &format!("calling {method} on {}", self.uri))
    }

    /// The request of a call serialized once up front, when the object id and the serializer
    /// are known before connecting (a `PYRO` uri, a settled serializer); `None` when it must be
    /// serialized per attempt, once the connection says which object and serializer. Shared by
    /// the blocking and the async proxy.
    pub(crate) fn prepare_call<E>(&self, encode: &E) -> Result<Option<Message>, Error>
    where
        E: Fn(&str) -> Result<Vec<u8>, Error>,
    {
        Ok(match self.naming {
            None if self.serializer.settled() => {
                Some(Message::new(MessageType::Invoke, self.serializer().id(), encode(self.uri.object())?))
            }
            _ => None,
        })
    }

    /// The request of one attempt of a call to `object` (the object the connection talks to):
    /// the local check once the metadata is known (an unexposed method fails without traffic),
    /// oneway when the metadata lists the method as oneway, the prepared request or one
    /// serialized now (kept in `storage`), the annotations, the correlation id and `annotate`'s
    /// annotation. An error means nothing was sent. Shared by the blocking and the async proxy.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn request_for<'m, E>(
        &self,
        method: &str,
        mut flags: Flags,
        check: Check<'_>,
        prepared: Option<&'m mut Message>,
        storage: &'m mut Option<Message>,
        encode: &E,
        annotate: Option<&Annotate<'_>>,
        object: &str,
        thread: Option<&crate::current_context::Outgoing>,
    ) -> Result<&'m mut Message, Error>
    where
        E: Fn(&str) -> Result<Vec<u8>, Error>,
    {
        if let Some(known) = self.known() {
            check.apply(&self.uri, method, &known.metadata)?;
            if known.metadata.oneway.contains(method) {
                flags.insert(Flags::ONEWAY);
            }
        }
        let request = match prepared {
            Some(request) => request,
            None => storage.insert(Message::new(MessageType::Invoke, self.serializer().id(), encode(object)?)),
        };
        request.flags.insert(flags);
        match thread {
            None => self.stamp(request),
            Some(thread) => self.stamp_from(request, thread),
        }
        if let Some(annotate) = annotate {
            let (id, value) = annotate(object)?;
            request.annotations.insert(id, value);
        }
        Ok(request)
    }

    /// Takes in what a successful handshake said: the serializer it `used`, the metadata and
    /// the daemon's response, and the `PYRO` uri a name was `resolved` to. Shared by the blocking
    /// and the async proxy.
    pub(crate) fn remember_handshake(&self, used: Serializer, handshake: Handshake, resolved: Option<Uri>) {
        self.serializer.settle(used);
        let known = Known {
            metadata: handshake.metadata,
            handshake_response: Some(handshake.response),
            peer_certificates: handshake.peer_certificates,
        };
        *self.known.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(known));
        if let (Some(naming), Some(resolved)) = (&self.naming, resolved) {
            naming.remember(resolved);
        }
    }

    /// [`stamp`](Proxy::stamp) with the thread context taken when an async call started.
    pub(crate) fn stamp_from(&self, request: &mut Message, thread: &crate::current_context::Outgoing) {
        current_context::stamp_from(request, &self.annotations, self.correlation_id, thread);
    }

    /// Adds the annotations and the correlation id to send (see [`current_context`]).
    pub(crate) fn stamp(&self, request: &mut Message) {
        current_context::stamp(request, &self.annotations, self.correlation_id);
    }

    /// The result of `reply`, interpreted by the client session. A stream nobody asked for is
    /// closed at once.
    pub(crate) fn decode_reply<R: DeserializeOwned>(&self, method: &str, reply: &Message) -> Result<R, Error> {
        let session = ClientSession::new(self.serializer());
        if let Ok(Some(id)) = session.stream_id(reply) {
            let _ = self.close_stream(&id);
        }
        session.decode_result(method, reply)
    }
}

/// Which local check a call gets once the metadata is known.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Check<'a> {
    /// The method must be exposed.
    Method,
    /// The attribute must be exposed.
    Attribute(&'a str),
    /// Nothing to check (a batch: Pyro5's client checks none of its calls; calls to
    /// `Pyro.Daemon` on the object's connection).
    Nothing,
}

impl Check<'_> {
    fn apply(self, uri: &Uri, method: &str, metadata: &Metadata) -> Result<(), Error> {
        // A peer that sends no metadata at all is not checked (a Pyro5 client would refuse it).
        if metadata.is_empty() {
            return Ok(());
        }
        let (known, name) = match self {
            Check::Method => (metadata.methods.contains(method), method),
            Check::Attribute(name) => (metadata.attrs.contains(name), name),
            Check::Nothing => return Ok(()),
        };
        if known {
            return Ok(());
        }
        let message = format!("remote object '{uri}' has no exposed attribute or method '{name}'");
        Err(RemoteError::new("builtins.AttributeError", vec![Value::Str(message)]).into())
    }
}

/// Whether a call that failed with `error` is sent again (while retries are left, Pyro5's
/// `MAX_RETRIES`): its connection closed or timed out.
pub(crate) fn is_retried(error: &Error) -> bool {
    matches!(error, Error::ConnectionClosed { .. } | Error::Timeout { .. })
}

/// [`is_retried`], and the call's `deadline` (if any) has not passed: no retry past it.
pub(crate) fn is_retried_by(error: &Error, deadline: Option<Deadline>) -> bool {
    is_retried(error) && !deadline.is_some_and(|deadline| deadline.is_past())
}

/// Whether `error` is one of Pyro5's `CommunicationError`s (what `_pyroReconnect` retries on).
pub(crate) fn is_communication_error(error: &Error) -> bool {
    matches!(
        error,
        Error::ConnectionClosed { .. }
            | Error::ConnectionRefused { .. }
            | Error::Timeout { .. }
            | Error::Communication { .. }
            | Error::Protocol(_)
            | Error::Serialize(_)
    )
}

/// `error`, or `expired(deadline)` if it is a timeout that came with `deadline` past (one that
/// already says the deadline passed is kept). Shared by the blocking and the async proxy.
pub(crate) fn past_deadline(error: Error, deadline: Option<Deadline>, expired: &dyn Fn(Deadline) -> Error) -> Error {
    match (&error, deadline) {
        (Error::Timeout { context, .. }, Some(deadline))
            if deadline.is_past() && !context.ends_with(crate::deadline::DEADLINE_PASSED) =>
        {
            expired(deadline)
        }
        _ => error,
    }
}

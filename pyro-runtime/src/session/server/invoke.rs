//! An INVOKE, up to running the call: Pyro5's `Daemon.handleRequest` before the method runs
//! (the payload decoded, the target found, the call's context and deadline set).

use std::sync::Arc;
use std::time::Instant;

use super::{Action, Directory, ServerSession, State};
use crate::dispatch::{CallArgs, CallContext, Servant, Vargs};
use crate::logging::Peer;
use crate::protocol::{AnnotationId, Annotations, Flags, Message, new_correlation_id};
use crate::serializer::batch_call;
use crate::session::daemon_object::{self, DAEMON_OBJECT_ID, NextItem};
use crate::session::request::{Payload, ReplyTo, Request, Work, batch_calls, execute};
use crate::{Deadline, Error, RemoteError, Serializer, Value, deadline};

impl ServerSession {
    /// Pyro5's `Daemon.handleRequest` for an INVOKE, up to running the call.
    pub(super) fn invoke(&mut self, message: Message, directory: &dyn Directory) -> Action {
        // A deadline the request carries counts from now: when the message was read.
        let received = Instant::now();
        let Ok(ser) = Serializer::from_id(message.serializer_id) else {
            tracing::warn!(
                target: "pyro::daemon",
                "error during handleRequest from {}: unknown serializer id {}",
                Peer(self.client_addr),
                message.serializer_id
            );
            self.state = State::Closed;
            return Action::Close;
        };
        let oneway = message.flags.contains(Flags::ONEWAY);
        let batch = message.flags.contains(Flags::BATCH);
        let correlation_id = message.correlation_id.unwrap_or_else(new_correlation_id);
        // The target is known once the payload is decoded ("?" until then, for the errors; made
        // only where one can happen first, so that a call allocates no placeholder).
        let reply_to = |object: String, method: Arc<str>| ReplyTo {
            seq: message.seq,
            correlation_id,
            serializer: ser,
            object,
            method,
            oneway,
        };
        let unknown = || reply_to("?".to_owned(), Arc::from("?"));
        // Pyro5's `msg_flags` are the header's flags: CORR_ID included, COMPRESSED cleared.
        let mut header_flags = message.flags;
        if message.correlation_id.is_some() {
            header_flags.insert(Flags::CORR_ID);
        }
        if message.flags.contains(Flags::KEEPSERIALIZED) {
            let to = unknown();
            return self.invoke_blob(message, to, header_flags, received, directory);
        }
        // A batch is read entry by entry (msgpack: straight from the bytes), not as one tree.
        let payload = if batch {
            batch_call::decode(ser, &message.data, self.info.decode_limit).map(Payload::Batch)
        } else {
            crate::serializer::decode_call_shared(ser, &message.data, self.info.decode_limit).map(Payload::Call)
        };
        let mut payload = match payload {
            Ok(payload) => payload,
            // Pyro5 replies with the SerializeError, then closes the connection.
            Err(error) => {
                tracing::warn!(target: "pyro::daemon", "error during handleRequest from {}: {error}", Peer(self.client_addr));
                self.state = State::Closed;
                return if oneway { Action::Close } else { self.failure(&unknown(), error.into()) };
            }
        };
        let to = match &mut payload {
            Payload::Call(call) => reply_to(std::mem::take(&mut call.object), Arc::clone(&call.method)),
            Payload::Batch(call) => {
                reply_to(std::mem::take(&mut call.object), Arc::from(std::mem::take(&mut call.method)))
            }
        };
        let work = match payload {
            Payload::Batch(call) => match batch_calls(call.entries) {
                Ok(calls) => Work::Batch(calls),
                Err(error) => return self.failure(&to, error),
            },
            // Empty keyword arguments bind as none at all (and more cheaply).
            Payload::Call(call) => {
                let kwargs = call.kwargs.filter(|kwargs| !kwargs.is_empty());
                Work::Call(CallArgs::shared(call.method, Vargs::Many(call.vargs), kwargs))
            }
        };
        self.dispatch(to, work, message.annotations, header_flags, received, directory)
    }

    /// A KEEPSERIALIZED INVOKE (Pyro5's `__deserializeBlobArgs`): the target comes from the
    /// `BLBI` annotation, the payload is not deserialized, and the method gets one argument, the
    /// [`SerializedBlob`](crate::SerializedBlob).
    fn invoke_blob(
        &mut self,
        message: Message,
        mut to: ReplyTo,
        header_flags: Flags,
        received: Instant,
        directory: &dyn Directory,
    ) -> Action {
        // As in Pyro5: a missing annotation is its KeyError, bad marshal data its ValueError,
        // and the connection stays open.
        let Some(annotation) = message.annotations.get(AnnotationId::BLOB_INFO) else {
            return self.failure(&to, RemoteError::new("builtins.KeyError", vec![Value::from("BLBI")]).into());
        };
        let (info, object, method) = match crate::SerializedBlob::read_annotation(annotation) {
            Ok(target) => target,
            Err(error) => {
                let message = format!("bad BLBI annotation: {error}");
                return self.failure(&to, RemoteError::new("builtins.ValueError", vec![Value::from(message)]).into());
            }
        };
        (to.object, to.method) = (object, Arc::from(method));
        let blob = crate::SerializedBlob::received(info, to.serializer, message.data);
        let work = Work::Call(CallArgs::shared(Arc::clone(&to.method), Vargs::One(blob.to_value()), None));
        self.dispatch(to, work, message.annotations, header_flags, received, directory)
    }

    /// Runs `work` for `to`: on the daemon object here, else handed to the driver.
    fn dispatch(
        &mut self,
        to: ReplyTo,
        work: Work,
        annotations: Annotations,
        header_flags: Flags,
        received: Instant,
        directory: &dyn Directory,
    ) -> Action {
        let (ser, correlation_id, oneway) = (to.serializer, to.correlation_id, to.oneway);
        let deadline = match call_deadline(&annotations, received) {
            Ok(deadline) => deadline,
            Err(error) => return self.failure(&to, error),
        };
        let context = CallContext::new(ser)
            .with_deadline(deadline)
            .with_serialize_options(self.info.serialize_options)
            .with_session_id(self.id)
            .with_message(to.seq, header_flags)
            .with_correlation_id(correlation_id)
            .with_annotations(annotations)
            .with_session_state(Arc::clone(&self.connection));
        if to.object == DAEMON_OBJECT_ID {
            // Answered here: the daemon object runs no user code.
            if let (Work::Call(_), "get_next_stream_item", Some(streams)) = (&work, &*to.method, &self.streams) {
                // The stream's iterator is user code: the driver runs it, like any call.
                let servant: Arc<dyn Servant> = Arc::new(NextItem { streams: Arc::clone(streams) });
                let request = Request { to, servant, context, work };
                let request = Box::new(request);
                return if oneway { Action::DispatchOneway(request) } else { Action::Dispatch(request) };
            }
            let info = Arc::clone(&self.info);
            let streams = self.streams.clone();
            let call = |ctx: &mut CallContext, method: &str, args: CallArgs| {
                daemon_object::call(directory, &info, streams.as_deref(), ctx, method, args)
            };
            let completed = execute(to, context, work, daemon_object::metadata(), &call);
            return self.result(completed);
        }
        let Some(servant) = directory.servant(&to.object) else {
            tracing::debug!(target: "pyro::daemon", "unknown object requested: {}", to.object);
            return self.failure(&to, daemon_object::unknown_object());
        };
        let request = Request { to, servant, context, work };
        let request = Box::new(request);
        if oneway { Action::DispatchOneway(request) } else { Action::Dispatch(request) }
    }
}

/// The deadline of a request with these annotations, read at `received`: none without a
/// `DDLN` annotation; a malformed one is a `ValueError` naming it (the connection stays open,
/// as for a bad `BLBI`).
fn call_deadline(annotations: &Annotations, received: Instant) -> Result<Option<Deadline>, Error> {
    let Some(value) = annotations.get(AnnotationId::DEADLINE) else { return Ok(None) };
    match deadline::decode(value) {
        Ok(left) => Ok(Some(deadline::starting(received, left))),
        Err(error) => Err(RemoteError::new("builtins.ValueError", vec![Value::from(error.to_string())]).into()),
    }
}

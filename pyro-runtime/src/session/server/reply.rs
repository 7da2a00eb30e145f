//! Replies: a call's RESULT (a value, a stream's first item, a batch's results) or its
//! exception.

use super::{Action, ServerSession, State};
use crate::dispatch::Reply;
use crate::protocol::{AnnotationId, Annotations, Flags};
use crate::session::exception;
use crate::session::request::{Completed, Outcome, ReplyTo};
use crate::{Error, RemoteError, Value};

impl ServerSession {
    /// The RESULT message for a call that has run.
    ///
    /// See [`ServerSession`] for an example.
    pub fn reply(&mut self, completed: Completed) -> Action {
        let mut action = self.result(completed);
        self.annotate(&mut action);
        action
    }

    pub(super) fn result(&mut self, completed: Completed) -> Action {
        let Completed { to, outcome, annotations } = completed;
        if to.oneway {
            return Action::Continue;
        }
        let ser = to.serializer;
        let (flags, data) = match outcome {
            Outcome::Returned(Ok(Reply::Stream(iterator))) => return self.stream_reply(&to, iterator),
            Outcome::Returned(Ok(reply)) => match reply.into_bytes_with(ser, self.info.serialize_options) {
                Ok(data) => (Flags::EMPTY, data),
                Err(error) => return self.failure(&to, error),
            },
            Outcome::Batch(Ok(results)) => match results.list.finish() {
                Ok(data) => (Flags::BATCH, data),
                Err(error) => return self.failure(&to, error.into()),
            },
            Outcome::Returned(Err(error)) | Outcome::Batch(Err(error)) => return self.failure(&to, error),
        };
        let mut reply = to.message(flags, data);
        if !annotations.is_empty() {
            reply = reply.with_annotations(annotations);
        }
        Action::Send(reply)
    }

    /// The reply to a call that returned an iterator (Pyro5's `_streamResponse`): the stream is
    /// registered and the reply is an exception RESULT with `ProtocolError("result of call is
    /// an iterator")` (kept by Pyro5 for old clients), flags `EXCEPTION|ITEMSTREAMRESULT`, and
    /// the stream id in the `STRM` annotation; with streaming off, the same without `STRM`.
    fn stream_reply(&mut self, to: &ReplyTo, iterator: crate::dispatch::ItemStream) -> Action {
        let id = match &self.streams {
            Some(streams) if streams.settings().enabled => match streams.open(iterator, self.id) {
                Ok(id) => Some(id),
                Err(error) => return self.failure(to, error),
            },
            _ => {
                drop(iterator);
                None
            }
        };
        let remote = RemoteError::new("Pyro5.errors.ProtocolError", vec![Value::from("result of call is an iterator")]);
        let reply = to.message(
            Flags::EXCEPTION | Flags::ITEMSTREAMRESULT,
            exception::payload(to.serializer, self.info.serialize_options, &remote),
        );
        Action::Send(match id {
            Some(id) => {
                let mut annotations = Annotations::default();
                annotations.insert(AnnotationId::STREAM, id.into_bytes());
                reply.with_annotations(annotations)
            }
            None => reply,
        })
    }

    /// The exception RESULT for `error` (nothing for a oneway call); closes after the exception
    /// classes Pyro5 closes after (communication errors and `SecurityError`). Unlike Pyro5, which
    /// sends nothing for a communication error other than `SerializeError`, the reply is still
    /// sent, so the client learns why.
    pub(super) fn failure(&mut self, to: &ReplyTo, error: Error) -> Action {
        if to.oneway {
            return if self.state == State::Closed { Action::Close } else { Action::Continue };
        }
        let remote = exception::remote_exception(&to.object, &to.method, error);
        let reply =
            to.message(Flags::EXCEPTION, exception::payload(to.serializer, self.info.serialize_options, &remote));
        if self.state == State::Closed || exception::closes_connection(&remote.class) {
            self.state = State::Closed;
            Action::SendAndClose(reply)
        } else {
            Action::Send(reply)
        }
    }
}

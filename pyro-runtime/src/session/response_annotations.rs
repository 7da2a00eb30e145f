//! [`ResponseAnnotations`]: Pyro5's `Daemon.annotations()` hook, annotations a daemon adds to
//! every message it sends.

use std::fmt;
use std::sync::Arc;

use crate::protocol::{Annotations, Message};

/// Annotations a daemon adds to every reply (Pyro5's overridable `Daemon.annotations()`): the
/// CONNECTOK or CONNECTFAIL of a handshake, the PING answer and every RESULT (values, batches,
/// exceptions, the reply that opens an item stream). The function runs once per reply; its
/// annotations are merged after the ones the method set (an id both set gets the hook's value,
/// as Python's `dict.update` does in Pyro5).
///
/// ```
/// use pyro::protocol::{AnnotationId, Annotations};
/// use pyro::session::ResponseAnnotations;
///
/// let hook = ResponseAnnotations::new(|| {
///     [(AnnotationId::try_from("DDAA").unwrap(), b"from the daemon".to_vec())].into_iter().collect()
/// });
/// assert_eq!(hook.annotations().len(), 1);
/// ```
#[derive(Clone)]
pub struct ResponseAnnotations(Arc<dyn Fn() -> Annotations + Send + Sync>);

impl ResponseAnnotations {
    /// A hook calling `annotations` for every reply.
    ///
    /// See [`ResponseAnnotations`] for an example.
    pub fn new(annotations: impl Fn() -> Annotations + Send + Sync + 'static) -> ResponseAnnotations {
        ResponseAnnotations(Arc::new(annotations))
    }

    /// The annotations for one reply.
    ///
    /// See [`ResponseAnnotations`] for an example.
    pub fn annotations(&self) -> Annotations {
        (self.0)()
    }

    /// Adds the hook's annotations to `message` (after those it has).
    pub(crate) fn apply(&self, message: &mut Message) {
        for (id, value) in self.annotations().iter() {
            message.annotations.insert(*id, value.to_vec());
        }
    }
}

impl fmt::Debug for ResponseAnnotations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ResponseAnnotations(..)")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::Serializer;
    use crate::dispatch::{CallArgs, CallContext, Dispatch, Metadata, Receiver, Reply, Servant, Served};
    use crate::protocol::{AnnotationId, Flags, MessageType};
    use crate::session::{Action, ClientSession, DaemonInfo, Directory, ServerSession, Streams};
    use crate::value::{Dict, Value};
    use crate::{Error, RemoteError};

    fn id(text: &str) -> AnnotationId {
        AnnotationId::try_from(text).unwrap()
    }

    /// Sets a response annotation `METH` in every call, then answers as its name says.
    struct Annotating;

    impl Dispatch<Annotating> for Annotating {
        fn metadata() -> Metadata {
            Metadata::new(["value", "fail", "stream", "context"], [], [])
        }
        fn receiver(_: &str) -> Option<Receiver> {
            Some(Receiver::Shared)
        }
        fn invoke_shared(&self, ctx: &mut CallContext, method: &str, _: CallArgs) -> Result<Reply, Error> {
            ctx.response_annotations_mut().insert(id("METH"), method.as_bytes().to_vec());
            ctx.response_annotations_mut().insert(id("DDAA"), b"the method's".to_vec());
            match method {
                "value" => ctx.encode(&1),
                "fail" => Err(RemoteError::new("builtins.ValueError", vec!["no".into()]).into()),
                "stream" => Ok(Reply::stream(0..2)),
                _ => ctx.encode(&(ctx.seq(), ctx.flags().bits())),
            }
        }
        fn invoke_exclusive(&mut self, _: &mut CallContext, m: &str, _: CallArgs) -> Result<Reply, Error> {
            Err(CallArgs::unknown_method(m))
        }
    }

    struct One(Arc<dyn Servant>);

    impl Directory for One {
        fn servant(&self, object: &str) -> Option<Arc<dyn Servant>> {
            (object == "thing").then(|| Arc::clone(&self.0))
        }
        fn ids(&self) -> Vec<String> {
            vec!["thing".into()]
        }
    }

    fn ids(message: &Message) -> Vec<(&str, &[u8])> {
        message.annotations.iter().map(|(id, value)| (id.as_str(), value)).collect()
    }

    #[test]
    fn every_reply_carries_the_daemon_annotations_after_the_method_ones() {
        let ser = Serializer::Msgpack;
        let objects = One(Arc::new(Served::new(Annotating)));
        let hook = ResponseAnnotations::new(|| [(id("DDAA"), b"the daemon's".to_vec())].into_iter().collect());
        let mut server = ServerSession::new(1, Arc::new(DaemonInfo::default()))
            .with_streams(Arc::new(Streams::new(Default::default())))
            .with_response_annotations(hook);
        let mut client = ClientSession::new(ser);
        let connect = client.connect_request("thing", &Value::from("hello")).unwrap();
        let Action::Send(ok) = server.on_message(connect, &objects) else { panic!("refused") };
        assert_eq!(ids(&ok), [("DDAA", &b"the daemon's"[..])], "CONNECTOK");

        let mut call = |method: &str, flags: Flags| {
            let payload = ser.encode_call("thing", method, &[(); 0], Some(&Dict::new())).unwrap();
            let request = client.invoke_request(payload, flags);
            let action = match server.on_message(request, &objects) {
                Action::Dispatch(request) => server.reply(request.run()),
                other => other,
            };
            let Action::Send(reply) = action else { panic!("{method}: no reply") };
            reply
        };
        let value = call("value", Flags::EMPTY);
        assert_eq!(ids(&value), [("METH", &b"value"[..]), ("DDAA", &b"the daemon's"[..])]);
        // As in Pyro5: an exception reply and the reply opening a stream carry only the
        // daemon's (and the stream id).
        let fail = call("fail", Flags::EMPTY);
        assert!(fail.flags.contains(Flags::EXCEPTION));
        assert_eq!(ids(&fail), [("DDAA", &b"the daemon's"[..])]);
        let stream = call("stream", Flags::EMPTY);
        let names: Vec<&str> = ids(&stream).iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["STRM", "DDAA"]);
        let batch = vec![Value::List(vec!["value".into(), Value::List(vec![]), Value::Dict(Dict::new())])];
        let payload = ser.encode_call("thing", "<batch>", &batch, Some(&Dict::new())).unwrap();
        let request = client.invoke_request(payload, Flags::BATCH);
        let Action::Dispatch(request) = server.on_message(request, &objects) else { panic!("batch") };
        let Action::Send(batch) = server.reply(request.run()) else { panic!("batch reply") };
        assert_eq!(ids(&batch), [("METH", &b"value"[..]), ("DDAA", &b"the daemon's"[..])]);
        // The context's seq and flags are the request's, CORR_ID included when it had one.
        let payload = ser.encode_call("thing", "context", &[(); 0], Some(&Dict::new())).unwrap();
        let request = client.invoke_request(payload, Flags::EMPTY).with_correlation_id(uuid::Uuid::from_u128(5));
        let Action::Dispatch(request) = server.on_message(request, &objects) else { panic!("context") };
        let Action::Send(reply) = server.reply(request.run()) else { panic!("context reply") };
        let (seq, flags): (u16, u16) = ser.from_bytes(&reply.data).unwrap();
        assert_eq!((seq, flags), (reply.seq, Flags::CORR_ID.bits()));
        // PING too.
        let Action::Send(pong) = server.on_message(Message::ping(), &objects) else { panic!("ping") };
        assert_eq!((pong.msg_type, ids(&pong)), (MessageType::Ping, vec![("DDAA", &b"the daemon's"[..])]));
    }
}

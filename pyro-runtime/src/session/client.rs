//! [`ClientSession`]: one connection as a proxy sees it, without I/O: the
//! handshake, calls, batches and the checks Pyro5's client makes of each reply.

use std::collections::VecDeque;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::exception;
use crate::dispatch::Metadata;
use crate::protocol::{AnnotationId, Flags, Message, MessageType, ProtocolError, next_seq};
use crate::serializer::{ExceptionWrapper, SerializeError, batch_call, marshal, msgpack};
use crate::{Error, RemoteError, Serializer, Value};

/// The CONNECT payload: `{"handshake": h, "object": id}`.
#[derive(Serialize)]
struct HandshakeRequest<'a> {
    handshake: &'a Value,
    object: &'a str,
}

/// The CONNECTOK payload: `{"handshake": response, "meta": metadata}`.
#[derive(Deserialize)]
struct HandshakeReply {
    #[serde(default)]
    handshake: Value,
    #[serde(default)]
    meta: Metadata,
}

/// What a successful handshake tells: the daemon's handshake response and the object's metadata.
///
/// See [`ClientSession`] for an example.
#[derive(Clone, Debug, PartialEq)]
pub struct Handshake {
    /// The daemon's handshake response (`"hello"` from a default Pyro5 daemon).
    pub response: Value,
    /// The object's metadata.
    pub metadata: Metadata,
    /// The daemon's TLS certificate chain (DER, its own first; empty without TLS), as Pyro5's
    /// `conn.getpeercert()` in a proxy's `_pyroValidateHandshake`. The session leaves it empty:
    /// the driver that did the TLS handshake fills it in.
    pub peer_certificates: Vec<Vec<u8>>,
}

/// The client half of a Pyro5 connection, sans-IO: it builds the CONNECT, INVOKE and PING
/// messages (with their sequence numbers) and checks and interprets what comes back. The
/// proxy drives it over a blocking socket; any other transport can drive the same type.
///
/// ```
/// use pyro::protocol::{Flags, Message, MessageType};
/// use pyro::session::ClientSession;
/// use pyro::{Serializer, Value};
///
/// let ser = Serializer::Json;
/// let mut session = ClientSession::new(ser);
/// let connect = session.connect_request("thing", &Value::from("hello")).unwrap();
/// assert_eq!((connect.msg_type, connect.seq), (MessageType::Connect, 0));
///
/// let ok = Message::new(MessageType::ConnectOk, ser.id(),
///     br#"{"handshake":"hello","meta":{"methods":["add"],"oneway":[],"attrs":[]}}"#.to_vec());
/// let handshake = session.on_connect_reply(&ok, "localhost:9999").unwrap();
/// assert!(handshake.metadata.methods.contains("add"));
///
/// let call = ser.encode_call("thing", "add", &(1, 2), None::<&pyro::value::Dict>).unwrap();
/// let request = session.invoke_request(call, Flags::EMPTY);
/// assert_eq!(request.seq, 1);
/// let reply = Message::new(MessageType::Result, ser.id(), b"3".to_vec()).with_seq(1);
/// session.check_reply(&reply).unwrap();
/// assert_eq!(session.decode_result::<i64>("add", &reply).unwrap(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct ClientSession {
    serializer: Serializer,
    /// The sequence number of the last request sent (0 right after the handshake).
    seq: u16,
    /// The sequence numbers of the requests sent whose replies have not been checked yet,
    /// oldest first: a daemon answers the requests of one connection in order, so a driver
    /// may send several before reading their replies (pipelining).
    outstanding: VecDeque<u16>,
}

impl ClientSession {
    /// A session sending in `serializer`, before its handshake.
    ///
    /// See [`ClientSession`] for an example.
    pub fn new(serializer: Serializer) -> ClientSession {
        ClientSession { serializer, seq: 0, outstanding: VecDeque::new() }
    }

    /// A session whose last request had sequence number `seq` (the next one sends `seq + 1`).
    ///
    /// ```
    /// let mut session = pyro::session::ClientSession::new(pyro::Serializer::Json).with_seq(u16::MAX);
    /// assert_eq!(session.invoke_request(vec![], Default::default()).seq, 0);
    /// ```
    #[must_use]
    pub fn with_seq(mut self, seq: u16) -> ClientSession {
        self.seq = seq;
        self
    }

    /// The serializer requests go out in.
    ///
    /// See [`ClientSession`] for an example.
    pub fn serializer(&self) -> Serializer {
        self.serializer
    }

    /// The CONNECT message for `object`, with `handshake` as the handshake value.
    ///
    /// See [`ClientSession`] for an example.
    pub fn connect_request(&self, object: &str, handshake: &Value) -> Result<Message, Error> {
        let payload = self.serializer.to_bytes(&HandshakeRequest { handshake, object })?;
        Ok(Message::new(MessageType::Connect, self.serializer.id(), payload).with_seq(self.seq))
    }

    /// Interprets the reply to the CONNECT: CONNECTOK gives the [`Handshake`], CONNECTFAIL the
    /// [`Error::ConnectionRejected`] (Pyro5's `CommunicationError("connection to <location>
    /// rejected: <reason>")`),
    /// anything else is a protocol error.
    ///
    /// ```
    /// use pyro::protocol::{Message, MessageType};
    /// let session = pyro::session::ClientSession::new(pyro::Serializer::Json);
    /// let fail = Message::new(MessageType::ConnectFail, 3, br#""unknown object""#.to_vec());
    /// let err = session.on_connect_reply(&fail, "localhost:1").unwrap_err();
    /// assert_eq!(err.to_string(), "communication error: connection to localhost:1 rejected: unknown object");
    /// ```
    pub fn on_connect_reply(&self, reply: &Message, location: &str) -> Result<Handshake, Error> {
        match reply.msg_type {
            MessageType::ConnectOk => {
                let serializer = Serializer::from_id(reply.serializer_id)?;
                let reply: HandshakeReply = serializer.from_bytes(&reply.data)?;
                Ok(Handshake { response: reply.handshake, metadata: reply.meta, peer_certificates: Vec::new() })
            }
            MessageType::ConnectFail => {
                Err(Error::ConnectionRejected { location: location.to_owned(), reason: fail_reason(reply) })
            }
            other => Err(ProtocolError::UnexpectedMessageType {
                msg_type: u8::from(other),
                expected: &[MessageType::ConnectOk, MessageType::ConnectFail],
            }
            .into()),
        }
    }

    /// An INVOKE carrying `payload` (a serialized call) with the next sequence number.
    ///
    /// See [`ClientSession`] for an example.
    pub fn invoke_request(&mut self, payload: Vec<u8>, flags: Flags) -> Message {
        let mut message = Message::new(MessageType::Invoke, self.serializer.id(), payload).with_flags(flags);
        self.prepare(&mut message);
        message
    }

    /// Gives an already built INVOKE the next sequence number (for a message kept to be resent
    /// on retries). Unless the message is oneway, its reply is now due: it joins the queue of
    /// outstanding requests that [`check_reply`](ClientSession::check_reply) matches replies
    /// against, in order.
    ///
    /// ```
    /// use pyro::protocol::{Message, MessageType};
    /// let mut session = pyro::session::ClientSession::new(pyro::Serializer::Json);
    /// let mut message = Message::new(MessageType::Invoke, 3, b"{}".to_vec());
    /// session.prepare(&mut message);
    /// assert_eq!((message.seq, session.outstanding()), (1, 1));
    /// ```
    pub fn prepare(&mut self, message: &mut Message) {
        self.seq = next_seq(self.seq);
        message.seq = self.seq;
        if !message.flags.contains(Flags::ONEWAY) {
            self.outstanding.push_back(self.seq);
        }
    }

    /// How many requests were sent whose replies have not been checked yet (more than one when
    /// the driver pipelines requests).
    ///
    /// ```
    /// use pyro::protocol::{Flags, Message, MessageType};
    /// let mut session = pyro::session::ClientSession::new(pyro::Serializer::Json);
    /// session.invoke_request(b"{}".to_vec(), Flags::EMPTY);
    /// session.invoke_request(b"{}".to_vec(), Flags::ONEWAY); // no reply comes
    /// session.invoke_request(b"{}".to_vec(), Flags::EMPTY);
    /// assert_eq!(session.outstanding(), 2);
    /// session.check_reply(&Message::new(MessageType::Result, 3, b"1".to_vec()).with_seq(1)).unwrap();
    /// assert_eq!(session.outstanding(), 1);
    /// ```
    pub fn outstanding(&self) -> usize {
        self.outstanding.len()
    }

    /// The PING message (sequence number 0, serializer id 42, as Pyro5 sends it).
    ///
    /// ```
    /// let ping = pyro::session::ClientSession::new(pyro::Serializer::Json).ping_request();
    /// assert_eq!(ping.data, b"ping");
    /// ```
    pub fn ping_request(&self) -> Message {
        Message::ping()
    }

    /// Checks the reply to a PING.
    ///
    /// ```
    /// use pyro::protocol::{Message, MessageType};
    /// let session = pyro::session::ClientSession::new(pyro::Serializer::Json);
    /// session.check_ping_reply(&Message::new(MessageType::Ping, 42, b"pong".to_vec())).unwrap();
    /// ```
    pub fn check_ping_reply(&self, reply: &Message) -> Result<(), Error> {
        if reply.msg_type != MessageType::Ping {
            return Err(ProtocolError::UnexpectedMessageType {
                msg_type: u8::from(reply.msg_type),
                expected: &[MessageType::Ping],
            }
            .into());
        }
        Ok(())
    }

    /// Checks a reply to the oldest outstanding INVOKE as Pyro5's `_pyroInvoke` does: a RESULT,
    /// with that request's sequence number and serializer id; the request is then answered. With
    /// one request at a time that is the last INVOKE; with pipelined requests, replies are
    /// checked in the order the requests went out. A reply when none is due is an error too. An
    /// error leaves the connection in an unknown state: the driver must close it.
    ///
    /// ```
    /// use pyro::protocol::{Flags, Message, MessageType};
    /// let mut session = pyro::session::ClientSession::new(pyro::Serializer::Json);
    /// session.invoke_request(b"{}".to_vec(), Flags::EMPTY);
    /// let stale = Message::new(MessageType::Result, 3, b"null".to_vec()).with_seq(7);
    /// let err = session.check_reply(&stale).unwrap_err();
    /// assert_eq!(err.to_string(), "invoke: reply sequence out of sync, got 7 expected 1");
    /// ```
    pub fn check_reply(&mut self, reply: &Message) -> Result<(), Error> {
        let Some(&expected) = self.outstanding.front() else {
            return Err(Error::Communication {
                message: format!("a reply (sequence number {}) came when no request was waiting for one", reply.seq),
                source: None,
            });
        };
        if reply.msg_type != MessageType::Result {
            return Err(ProtocolError::UnexpectedMessageType {
                msg_type: u8::from(reply.msg_type),
                expected: &[MessageType::Result],
            }
            .into());
        }
        if reply.seq != expected {
            return Err(ProtocolError::SequenceMismatch { got: reply.seq, expected }.into());
        }
        if reply.serializer_id != self.serializer.id() {
            return Err(SerializeError::Invalid {
                what: "response",
                reason: format!("invalid serializer in response: {}", reply.serializer_id),
            }
            .into());
        }
        self.outstanding.pop_front();
        Ok(())
    }

    /// Whether the daemon closes the connection after this reply: it does after an exception of
    /// a communication class (SerializeError, ProtocolError, ...) or a SecurityError;
    /// Pyro5's client releases its connection then too.
    ///
    /// ```
    /// use pyro::protocol::{Flags, Message, MessageType};
    /// use pyro::{RemoteError, Serializer};
    /// let session = pyro::session::ClientSession::new(Serializer::Json);
    /// let exc = RemoteError::new("Pyro5.errors.SerializeError", vec![]).to_value();
    /// let reply = Message::new(MessageType::Result, 3, Serializer::Json.to_bytes(&exc).unwrap()).with_flags(Flags::EXCEPTION);
    /// assert!(session.server_closes_after(&reply));
    /// ```
    pub fn server_closes_after(&self, reply: &Message) -> bool {
        if !reply.flags.contains(Flags::EXCEPTION) || reply.flags.contains(Flags::ITEMSTREAMRESULT) {
            return false;
        }
        match self.serializer.from_bytes::<Value>(&reply.data) {
            Ok(value) => value
                .as_dict()
                .and_then(|d| d.get("__class__"))
                .and_then(Value::as_str)
                .is_none_or(exception::closes_connection),
            Err(_) => true,
        }
    }

    /// The result of a checked reply to a single call: the value, or the remote exception as
    /// [`Error::Remote`]. Item streams and batch results are errors here.
    ///
    /// See [`ClientSession`] for an example.
    pub fn decode_result<R: serde::de::DeserializeOwned>(&self, method: &str, reply: &Message) -> Result<R, Error> {
        // The stream flag comes with EXCEPTION set too, so it is checked first.
        if reply.flags.contains(Flags::ITEMSTREAMRESULT) {
            return Err(Error::Communication {
                message: format!(
                    "the reply to '{method}' is an item stream (the remote method returned an iterator): \
                     call it as a stream (`Proxy::call_stream`) to iterate it"
                ),
                source: None,
            });
        }
        if reply.flags.contains(Flags::BATCH) {
            return Err(Error::Communication {
                message: format!("the reply to '{method}' is a batch result, but '{method}' was no batch call"),
                source: None,
            });
        }
        if reply.flags.contains(Flags::EXCEPTION) {
            let value: Value = self.serializer.from_bytes(&reply.data)?;
            return Err(RemoteError::from_value(&value)?.into());
        }
        // A result that does not fit R: say which call's result it was.
        self.serializer.from_bytes(&reply.data).map_err(|e| match e {
            SerializeError::Custom(why) => Error::Serialize(SerializeError::Custom(format!(
                "the result of '{method}' does not fit {}: {why}",
                short_type_name::<R>()
            ))),
            other => other.into(),
        })
    }

    /// The stream id of a checked reply that is an item stream (flag `ITEMSTREAMRESULT`, id in
    /// the `STRM` annotation), `None` for any other reply. A stream reply without an id is
    /// [`ProtocolError::StreamingDisabled`], as in Pyro5's client.
    ///
    /// ```
    /// use pyro::protocol::{AnnotationId, Annotations, Flags, Message, MessageType};
    /// let session = pyro::session::ClientSession::new(pyro::Serializer::Json);
    /// let mut annotations = Annotations::default();
    /// annotations.insert(AnnotationId::STREAM, b"1234".to_vec());
    /// let reply = Message::new(MessageType::Result, 3, b"{}".to_vec())
    ///     .with_flags(Flags::EXCEPTION | Flags::ITEMSTREAMRESULT)
    ///     .with_annotations(annotations);
    /// assert_eq!(session.stream_id(&reply).unwrap().as_deref(), Some("1234"));
    /// let plain = Message::new(MessageType::Result, 3, b"1".to_vec());
    /// assert_eq!(session.stream_id(&plain).unwrap(), None);
    /// ```
    pub fn stream_id(&self, reply: &Message) -> Result<Option<String>, Error> {
        if !reply.flags.contains(Flags::ITEMSTREAMRESULT) {
            return Ok(None);
        }
        match reply.annotations.get(AnnotationId::STREAM) {
            Some(id) if !id.is_empty() => Ok(Some(String::from_utf8_lossy(id).into_owned())),
            _ => Err(ProtocolError::StreamingDisabled.into()),
        }
    }

    /// The next item of a stream from a checked reply to `get_next_stream_item`: `Some(item)`,
    /// `None` at the end of the stream (the daemon's `StopIteration`), or the exception that
    /// ended it.
    ///
    /// ```
    /// use pyro::protocol::{Flags, Message, MessageType};
    /// use pyro::{RemoteError, Serializer};
    /// let session = pyro::session::ClientSession::new(Serializer::Json);
    /// let item = Message::new(MessageType::Result, 3, b"\"one\"".to_vec());
    /// assert_eq!(session.decode_stream_item::<String>(&item).unwrap().as_deref(), Some("one"));
    /// let stop = Serializer::Json.to_bytes(&RemoteError::new("builtins.StopIteration", vec![]).to_value()).unwrap();
    /// let end = Message::new(MessageType::Result, 3, stop).with_flags(Flags::EXCEPTION);
    /// assert_eq!(session.decode_stream_item::<String>(&end).unwrap(), None);
    /// ```
    pub fn decode_stream_item<T: serde::de::DeserializeOwned>(&self, reply: &Message) -> Result<Option<T>, Error> {
        match self.decode_result("get_next_stream_item", reply) {
            Ok(item) => Ok(Some(item)),
            Err(Error::Remote(remote)) if remote.class == STOP_ITERATION => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The results of a checked reply to a batch: one entry per call that ran,
    /// in order; a call that raised is its exception and the last entry. An exception reply
    /// (the whole batch failed, e.g. an unknown method) is the error.
    ///
    /// ```
    /// use pyro::protocol::{Flags, Message, MessageType};
    /// use pyro::serializer::ExceptionWrapper;
    /// use pyro::{RemoteError, Serializer, Value};
    ///
    /// let mut session = pyro::session::ClientSession::new(Serializer::Json);
    /// let failed = ExceptionWrapper(RemoteError::new("builtins.ValueError", vec!["no".into()])).to_value();
    /// let data = Serializer::Json.to_bytes(&Value::List(vec![2.into(), failed])).unwrap();
    /// let reply = Message::new(MessageType::Result, 3, data).with_flags(Flags::BATCH);
    /// let results = session.decode_batch(&reply).unwrap();
    /// assert_eq!(results[0], Ok(Value::Int(2)));
    /// assert_eq!(results[1].as_ref().unwrap_err().class, "builtins.ValueError");
    /// ```
    pub fn decode_batch(&self, reply: &Message) -> Result<Vec<Result<Value, RemoteError>>, Error> {
        if reply.flags.contains(Flags::EXCEPTION) && !reply.flags.contains(Flags::ITEMSTREAMRESULT) {
            let value: Value = self.serializer.from_bytes(&reply.data)?;
            return Err(RemoteError::from_value(&value)?.into());
        }
        if !reply.flags.contains(Flags::BATCH) {
            return Err(Error::Communication {
                message: "the reply to a batch is not a batch result".into(),
                source: None,
            });
        }
        let items = match self.serializer.from_bytes::<Value>(&reply.data)? {
            Value::List(items) | Value::Tuple(items) => items,
            other => {
                return Err(SerializeError::Invalid {
                    what: "batch result",
                    reason: format!("expected a list, got {}", other.type_name()),
                }
                .into());
            }
        };
        let mut results = Vec::with_capacity(items.len());
        for item in items {
            if ExceptionWrapper::is_wrapper(&item) {
                results.push(Err(ExceptionWrapper::from_value(&item)?.0));
                break;
            }
            results.push(Ok(item));
        }
        Ok(results)
    }
}

/// Where the results of a msgpack batch reply are in its data: the results of the calls that
/// returned, in order, and the exception of the call that raised, if one did.
#[derive(Debug)]
pub(crate) struct BatchItems {
    pub(crate) items: Vec<Range<usize>>,
    pub(crate) raised: Option<RemoteError>,
}

impl ClientSession {
    /// A batch reply in msgpack, checked as [`decode_batch`](ClientSession::decode_batch)
    /// checks it, its results left undecoded (only maps are read, to find the exception
    /// wrapper that ends a batch); `None` if the data is no list (`decode_batch` then says
    /// why).
    pub(crate) fn msgpack_batch(&self, reply: &Message) -> Result<Option<BatchItems>, Error> {
        if reply.flags.contains(Flags::EXCEPTION) || !reply.flags.contains(Flags::BATCH) {
            return Ok(None);
        }
        let Some(mut items) = batch_call::msgpack_list_items(&reply.data)? else { return Ok(None) };
        let mut raised = None;
        for (index, item) in items.iter().enumerate() {
            if !matches!(reply.data.get(item.start), Some(0x80..=0x8f | 0xde | 0xdf)) {
                continue;
            }
            let value = msgpack::value_from_validated(reply.data.get(item.clone()).unwrap_or_default())?;
            if ExceptionWrapper::is_wrapper(&value) {
                raised = Some(ExceptionWrapper::from_value(&value)?.0);
                items.truncate(index);
                break;
            }
        }
        Ok(Some(BatchItems { items, raised }))
    }
}

/// The exception that ends an item stream.
const STOP_ITERATION: &str = "builtins.StopIteration";

/// The reason text of a CONNECTFAIL: a serialized `str` in the reply's serializer (marshal for
/// early failures), shown as raw text if it cannot be decoded.
fn fail_reason(reply: &Message) -> String {
    let decoded = if reply.serializer_id == Serializer::MARSHAL_ID {
        marshal::decode_str(&reply.data)
    } else {
        Serializer::from_id(reply.serializer_id).ok().and_then(|ser| ser.from_bytes::<Value>(&reply.data).ok()).map(
            |value| match value {
                Value::Str(text) => text,
                other => other.to_string(),
            },
        )
    };
    decoded.unwrap_or_else(|| String::from_utf8_lossy(&reply.data).into_owned())
}

/// `alloc::vec::Vec<alloc::string::String>` as `Vec<String>`, for error messages.
fn short_type_name<R>() -> String {
    let full = std::any::type_name::<R>();
    let mut out = String::with_capacity(full.len());
    for (i, part) in full.split("::").enumerate() {
        // Keep what follows the last path separator of each segment.
        let start =
            if i == 0 { 0 } else { out.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |p| p + 1) };
        out.truncate(start);
        out.push_str(part);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn connectfail_reasons_decode_in_any_serializer() {
        let fail = |id, data: Vec<u8>| Message::new(MessageType::ConnectFail, id, data);
        assert_eq!(fail_reason(&fail(2, b"\xfa\x0cinvalid data".to_vec())), "invalid data");
        assert_eq!(fail_reason(&fail(4, Serializer::Msgpack.to_bytes("unknown object").unwrap())), "unknown object");
        assert_eq!(fail_reason(&fail(3, b"\"unknown object\"".to_vec())), "unknown object");
        assert_eq!(fail_reason(&fail(1, b"'serpent text'".to_vec())), "serpent text");
    }

    fn result(seq: u16) -> Message {
        Message::new(MessageType::Result, Serializer::Json.id(), b"null".to_vec()).with_seq(seq)
    }

    #[test]
    fn pipelined_replies_are_checked_in_request_order() {
        let mut session = ClientSession::new(Serializer::Json);
        let seqs: Vec<u16> = (0..3).map(|_| session.invoke_request(b"{}".to_vec(), Flags::EMPTY).seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert_eq!(session.outstanding(), 3);
        session.check_reply(&result(1)).unwrap();
        // One more request while two are due: it queues behind them.
        assert_eq!(session.invoke_request(b"{}".to_vec(), Flags::EMPTY).seq, 4);
        for seq in [2, 3, 4] {
            session.check_reply(&result(seq)).unwrap();
        }
        assert_eq!(session.outstanding(), 0);
        // Nothing is due: a reply now is an error, whatever its number.
        let err = session.check_reply(&result(5)).unwrap_err();
        assert!(err.to_string().contains("no request was waiting"), "{err}");
    }

    #[test]
    fn a_pipelined_reply_out_of_order_is_a_sequence_error() {
        let mut session = ClientSession::new(Serializer::Json);
        for _ in 0..3 {
            session.invoke_request(b"{}".to_vec(), Flags::EMPTY);
        }
        // The reply to the second request before the first's.
        match session.check_reply(&result(2)) {
            Err(Error::Protocol(ProtocolError::SequenceMismatch { got: 2, expected: 1 })) => {}
            other => panic!("expected a sequence mismatch, got {other:?}"),
        }
        assert_eq!(session.outstanding(), 3, "nothing was answered");
        // A reply to the last request sent is no answer to the oldest either.
        assert!(session.check_reply(&result(3)).is_err());
    }

    #[test]
    fn oneway_requests_are_not_waited_for_and_sequence_numbers_wrap() {
        let mut session = ClientSession::new(Serializer::Json).with_seq(u16::MAX - 1);
        let first = session.invoke_request(b"{}".to_vec(), Flags::EMPTY).seq;
        let oneway = session.invoke_request(b"{}".to_vec(), Flags::ONEWAY).seq;
        let last = session.invoke_request(b"{}".to_vec(), Flags::EMPTY).seq;
        assert_eq!((first, oneway, last), (u16::MAX, 0, 1));
        assert_eq!(session.outstanding(), 2);
        // The oneway request's number answers nothing.
        assert!(session.check_reply(&result(0)).is_err());
        session.check_reply(&result(u16::MAX)).unwrap();
        session.check_reply(&result(1)).unwrap();
        assert_eq!(session.outstanding(), 0);
    }
}

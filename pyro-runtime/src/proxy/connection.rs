//! One client connection to a daemon: the CONNECT handshake and request/reply exchanges with
//! sequence numbers (reference §2.1, §5.3).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::dispatch::Metadata;
use crate::protocol::{EncodeOptions, Flags, Message, MessageType, ProtocolError, next_seq};
use crate::serializer::{SerializeError, Serializer, marshal};
use crate::transport::{MessageStream, Socket, connect};
use crate::uri::Location;
use crate::value::Value;
use crate::{Error, Uri};

/// What a connection needs to know to open and talk.
#[derive(Debug)]
pub(crate) struct Target<'a> {
    pub(crate) uri: &'a Uri,
    pub(crate) location: &'a Location,
    pub(crate) serializer: Serializer,
    pub(crate) handshake: &'a Value,
    pub(crate) timeout: Option<Duration>,
    pub(crate) options: EncodeOptions,
}

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
#[derive(Debug)]
pub(crate) struct Handshake {
    pub(crate) response: Value,
    pub(crate) metadata: Metadata,
}

/// A connected, handshaken connection.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: MessageStream<Socket>,
    /// The sequence number of the last request sent (0 right after the handshake).
    seq: u16,
    /// The pool generation this connection was opened in ([`super::pool`]).
    pub(crate) generation: u64,
    /// The id of the object this connection talks to (for a `PYRONAME`/`PYROMETA` proxy, the
    /// one the name resolved to when the connection was opened).
    object: String,
    timeout: Option<Duration>,
    /// `"receiving a reply from <uri>"`, built once for error messages.
    reply_context: String,
}

impl Connection {
    /// Connects to the target and performs the CONNECT handshake with sequence number 0.
    pub(crate) fn open(target: &Target<'_>, generation: u64) -> Result<(Connection, Handshake), Error> {
        let socket = connect(target.location, target.timeout)?;
        let mut conn = Connection {
            stream: MessageStream::new(socket, target.options),
            seq: 0,
            generation,
            object: target.uri.object().to_owned(),
            timeout: target.timeout,
            reply_context: format!("receiving a reply from {}", target.uri),
        };
        let handshake = conn.handshake(target)?;
        Ok((conn, handshake))
    }

    fn handshake(&mut self, target: &Target<'_>) -> Result<Handshake, Error> {
        let request = HandshakeRequest { handshake: target.handshake, object: target.uri.object() };
        let payload = target.serializer.to_bytes(&request)?;
        let message = Message::new(MessageType::Connect, target.serializer.id(), payload).with_seq(self.seq);
        let context = format!("connecting to {}", target.location);
        self.stream.send(&message).map_err(|e| timeout_error(e, self.timeout))?;
        let reply = self.stream.receive(&context).map_err(|e| timeout_error(e, self.timeout))?;
        match reply.msg_type {
            MessageType::ConnectOk => {
                let serializer = Serializer::from_id(reply.serializer_id)?;
                let reply: HandshakeReply = serializer.from_bytes(&reply.data)?;
                Ok(Handshake { response: reply.handshake, metadata: reply.meta })
            }
            MessageType::ConnectFail => Err(Error::Communication {
                message: format!("connection to {} rejected: {}", target.location, fail_reason(&reply)),
                source: None,
            }),
            other => Err(ProtocolError::UnexpectedMessageType {
                msg_type: u8::from(other),
                expected: &[MessageType::ConnectOk, MessageType::ConnectFail],
            }
            .into()),
        }
    }

    /// The id of the object this connection talks to.
    pub(crate) fn object(&self) -> &str {
        &self.object
    }

    /// Replaces the socket timeout (for a proxy whose timeout changed).
    pub(crate) fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<(), Error> {
        self.timeout = timeout;
        self.stream
            .get_ref()
            .set_timeout(timeout)
            .map_err(|e| Error::Communication { message: "cannot set the socket timeout".into(), source: Some(e) })
    }

    /// Sends `request` with the next sequence number and, unless it is oneway, reads the reply:
    /// a RESULT with the same sequence number and serializer id. Any error leaves the connection
    /// in an unknown state: the caller must drop it.
    pub(crate) fn exchange(&mut self, request: &mut Message) -> Result<Option<Message>, Error> {
        self.seq = next_seq(self.seq);
        request.seq = self.seq;
        self.stream.send(request).map_err(|e| timeout_error(e, self.timeout))?;
        if request.flags.contains(Flags::ONEWAY) {
            return Ok(None);
        }
        let reply = self.stream.receive(&self.reply_context).map_err(|e| timeout_error(e, self.timeout))?;
        if reply.msg_type != MessageType::Result {
            return Err(ProtocolError::UnexpectedMessageType {
                msg_type: u8::from(reply.msg_type),
                expected: &[MessageType::Result],
            }
            .into());
        }
        if reply.seq != self.seq {
            return Err(ProtocolError::SequenceMismatch { got: reply.seq, expected: self.seq }.into());
        }
        if reply.serializer_id != request.serializer_id {
            return Err(SerializeError::Invalid {
                what: "response",
                reason: format!("invalid serializer in response: {}", reply.serializer_id),
            }
            .into());
        }
        Ok(Some(reply))
    }

    /// Sends a PING (sequence number 0) and waits for the daemon's PING reply.
    pub(crate) fn ping(&mut self) -> Result<(), Error> {
        self.stream.send(&Message::ping()).map_err(|e| timeout_error(e, self.timeout))?;
        let reply = self.stream.receive(&self.reply_context).map_err(|e| timeout_error(e, self.timeout))?;
        if reply.msg_type != MessageType::Ping {
            return Err(ProtocolError::UnexpectedMessageType {
                msg_type: u8::from(reply.msg_type),
                expected: &[MessageType::Ping],
            }
            .into());
        }
        Ok(())
    }
}

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

/// Turns the transport's "timeout while ..." communication error into [`Error::Timeout`].
pub(crate) fn timeout_error(err: Error, timeout: Option<Duration>) -> Error {
    match err {
        Error::Communication { message, source: Some(source) }
            if matches!(source.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) =>
        {
            let context = message.strip_prefix("timeout while ").map_or_else(|| message.clone(), str::to_owned);
            Error::Timeout { after: timeout.unwrap_or_default(), context }
        }
        other => other,
    }
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixStream;

    #[test]
    fn sequence_numbers_wrap_after_65535() {
        let (client, server) = UnixStream::pair().unwrap();
        let echo = std::thread::spawn(move || {
            let mut stream = MessageStream::new(server, EncodeOptions::default());
            let mut seqs = Vec::new();
            for _ in 0..2 {
                let request = stream.receive("test").unwrap();
                seqs.push(request.seq);
                stream
                    .send(&Message::new(MessageType::Result, request.serializer_id, vec![0xc0]).with_seq(request.seq))
                    .unwrap();
            }
            seqs
        });
        let mut conn = Connection {
            stream: MessageStream::new(Socket::Unix(client), EncodeOptions::default()),
            seq: u16::MAX - 1,
            generation: 0,
            object: "obj".into(),
            timeout: None,
            reply_context: "test".into(),
        };
        let mut request = Message::new(MessageType::Invoke, 4, vec![0x94]);
        for expected in [u16::MAX, 0] {
            let reply = conn.exchange(&mut request).unwrap().unwrap();
            assert_eq!(reply.seq, expected);
        }
        assert_eq!(echo.join().unwrap(), [u16::MAX, 0]);
    }

    #[test]
    fn connectfail_reasons_decode_in_any_serializer() {
        let fail = |id, data: Vec<u8>| Message::new(MessageType::ConnectFail, id, data);
        assert_eq!(fail_reason(&fail(2, b"\xfa\x0cinvalid data".to_vec())), "invalid data");
        assert_eq!(fail_reason(&fail(4, Serializer::Msgpack.to_bytes("unknown object").unwrap())), "unknown object");
        assert_eq!(fail_reason(&fail(3, b"\"unknown object\"".to_vec())), "unknown object");
        assert_eq!(fail_reason(&fail(1, b"'serpent text'".to_vec())), "'serpent text'");
    }
}

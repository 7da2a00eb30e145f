//! One client connection to a daemon: a blocking driver of a [`ClientSession`], which owns the
//! CONNECT handshake, the sequence numbers and the reply checks.

use std::time::{Duration, Instant};

use crate::deadline::DEADLINE_PASSED;
use crate::protocol::ProtocolError;
use crate::protocol::{EncodeOptions, Flags, Message};
use crate::serializer::Serializer;
use crate::session::{ClientSession, Handshake};
use crate::transport::{MessageStream, Socket, StreamError, TlsClient, connect_with_tls};
use crate::uri::Location;
use crate::value::Value;
use crate::{Deadline, Error, Uri};

/// What a connection needs to know to open and talk.
pub(crate) struct Target<'a> {
    pub(crate) uri: &'a Uri,
    pub(crate) location: &'a Location,
    pub(crate) serializer: Serializer,
    pub(crate) handshake: &'a Value,
    pub(crate) timeout: Option<Duration>,
    pub(crate) options: EncodeOptions,
    /// Adds the proxy's annotations and correlation id to the CONNECT.
    pub(crate) stamp: &'a dyn Fn(&mut Message),
    /// The TLS context when `SSL` is on.
    pub(crate) tls: Option<&'a TlsClient>,
    /// The call's deadline: connecting, TLS and the handshake must be done by then.
    pub(crate) deadline: Option<Deadline>,
}

/// A connected, handshaken connection: a blocking driver of a [`ClientSession`].
#[derive(Debug)]
pub(crate) struct Connection {
    stream: MessageStream<Socket>,
    session: ClientSession,
    /// The pool generation this connection was opened in ([`super::pool`]).
    pub(crate) generation: u64,
    /// The id of the object this connection talks to (for a `PYRONAME`/`PYROMETA` proxy, the
    /// one the name resolved to when the connection was opened).
    object: String,
    /// `"receiving a reply from <uri>"`, built once for error messages.
    reply_context: String,
}

impl Connection {
    /// Connects to the target and performs the CONNECT handshake with sequence number 0.
    pub(crate) fn open(target: &Target<'_>, generation: u64) -> Result<(Connection, Handshake), Error> {
        tracing::debug!(target: "pyro::proxy", "connecting to {}", target.uri);
        let location = target.location.to_string();
        let expired = |deadline: Deadline| deadline.expired(&format!("connecting to {location}"));
        // Under a deadline, connecting (and TLS) waits no longer than the time left.
        let timeout = match target.deadline {
            None => target.timeout,
            Some(deadline) => match deadline.remaining() {
                left if left.is_zero() => return Err(expired(deadline)),
                left => Some(target.timeout.map_or(left, |t| t.min(left))),
            },
        };
        let past = |error: Error| match target.deadline {
            Some(deadline) if matches!(error, Error::Timeout { .. }) && deadline.is_past() => expired(deadline),
            _ => error,
        };
        let socket = connect_with_tls(target.location, timeout, target.tls)
            .map_err(past)
            .inspect_err(|error| tracing::error!(target: "pyro::proxy", "{error}"))?;
        let peer_certificates = socket.peer_certificates();
        let mut stream = MessageStream::new(socket, target.options);
        // `connect_with_tls` set the socket's timeout.
        stream.assume_timeout(timeout);
        let session = ClientSession::new(target.serializer);
        let mut request = session.connect_request(target.uri.object(), target.handshake)?;
        (target.stamp)(&mut request);
        stream.send_message(&request).map_err(|e| past(e.into()))?;
        let context = format!("connecting to {location}");
        let received = match target.deadline {
            Some(deadline) => stream.receive_message_by(by(deadline, timeout), &[], &context),
            None => stream.receive_message(&[], &context),
        };
        if timeout != target.timeout {
            stream.set_timeout(target.timeout).map_err(|e| Error::Communication {
                message: "cannot set the socket timeout".into(),
                source: Some(e),
            })?;
        }
        let reply = received.map_err(|e| past(handshake_receive_error(e, &location)))?;
        let mut handshake = on_handshake_reply(&session, &reply, target.uri, &location, target.tls.is_some())?;
        handshake.peer_certificates = peer_certificates;
        let conn = Connection {
            stream,
            session,
            generation,
            object: target.uri.object().to_owned(),
            reply_context: format!("receiving a reply from {}", target.uri),
        };
        Ok((conn, handshake))
    }

    /// A connection over `socket`, which needs no handshake (a connected socket, reference
    /// 9.3): the session starts at sequence number 0, so the first request sends 1.
    pub(crate) fn adopt(
        socket: Socket,
        uri: &Uri,
        serializer: Serializer,
        timeout: Option<Duration>,
        options: EncodeOptions,
        generation: u64,
    ) -> Result<Connection, Error> {
        let mut stream = MessageStream::new(socket, options);
        stream
            .set_timeout(timeout)
            .map_err(|e| Error::Communication { message: "cannot set the socket timeout".into(), source: Some(e) })?;
        Ok(Connection {
            stream,
            session: ClientSession::new(serializer),
            generation,
            object: uri.object().to_owned(),
            reply_context: format!("receiving a reply from {uri}"),
        })
    }

    /// The id of the object this connection talks to.
    pub(crate) fn object(&self) -> &str {
        &self.object
    }

    /// The session (to interpret replies).
    pub(crate) fn session(&self) -> &ClientSession {
        &self.session
    }

    /// Replaces the socket timeout (for a proxy whose timeout changed).
    pub(crate) fn set_timeout(&mut self, timeout: Option<Duration>) -> Result<(), Error> {
        self.stream
            .set_timeout(timeout)
            .map_err(|e| Error::Communication { message: "cannot set the socket timeout".into(), source: Some(e) })
    }

    /// Sends `request` with the next sequence number and, unless it is oneway, reads the reply
    /// and checks it ([`ClientSession::check_reply`]), by `by` if given (see
    /// [`receive_by`](Connection::receive_by)). Any error leaves the connection in an unknown
    /// state: the caller must drop it.
    pub(crate) fn exchange_by(&mut self, request: &mut Message, by: Option<Instant>) -> Result<Option<Message>, Error> {
        self.send(request)?;
        if request.flags.contains(Flags::ONEWAY) {
            return Ok(None);
        }
        self.receive_by(by).map(Some)
    }

    /// [`receive`](Connection::receive), the whole reply by `by` if given (else an
    /// [`Error::Timeout`]); `by` replaces the socket's timeout for this reply, so it should be
    /// no later than [`by`]`(deadline, timeout)`. An error leaves the connection in an unknown
    /// state: the caller must drop it.
    pub(crate) fn receive_by(&mut self, by: Option<Instant>) -> Result<Message, Error> {
        let Some(by) = by else { return self.receive() };
        let reply = self.stream.receive_message_by(by, &[], &self.reply_context)?;
        self.session.check_reply(&reply)?;
        Ok(reply)
    }

    /// Sends `request` with the next sequence number without waiting for its reply (the session
    /// queues the reply as due unless the request is oneway). An error leaves the connection in
    /// an unknown state: the caller must drop it.
    pub(crate) fn send(&mut self, request: &mut Message) -> Result<(), Error> {
        self.session.prepare(request);
        Ok(self.stream.send_message(request)?)
    }

    /// Sends `requests` with one write, each with the next sequence number, without waiting
    /// for their replies (pipelining, as [`send`](Connection::send)).
    pub(crate) fn send_all(&mut self, requests: &mut [Message]) -> Result<(), Error> {
        for request in requests.iter_mut() {
            self.session.prepare(request);
        }
        Ok(self.stream.send_messages(requests)?)
    }

    /// Reads the reply to the oldest request still waiting for one, checked against it
    /// ([`ClientSession::check_reply`]). An error leaves the connection in an unknown state:
    /// the caller must drop it.
    pub(crate) fn receive(&mut self) -> Result<Message, Error> {
        let reply = self.stream.receive_message(&[], &self.reply_context)?;
        self.session.check_reply(&reply)?;
        Ok(reply)
    }

    /// Whether a whole reply has been read already: [`receive`](Connection::receive) returns
    /// it without waiting.
    pub(crate) fn has_buffered_reply(&self) -> bool {
        self.stream.has_buffered_message()
    }

    /// How many requests sent on this connection still wait for their replies.
    pub(crate) fn outstanding(&self) -> usize {
        self.session.outstanding()
    }

    /// Sends a PING (sequence number 0) and waits for the daemon's PING reply, by `by` if given
    /// (else an [`Error::Timeout`]; see [`receive_by`](Connection::receive_by)). An error leaves
    /// the connection in an unknown state: the caller must drop it.
    pub(crate) fn ping_by(&mut self, by: Option<Instant>) -> Result<(), Error> {
        self.stream.send_message(&self.session.ping_request())?;
        let reply = match by {
            Some(by) => self.stream.receive_message_by(by, &[], &self.reply_context)?,
            None => self.stream.receive_message(&[], &self.reply_context)?,
        };
        self.session.check_ping_reply(&reply)
    }
}

/// When a reply under `deadline` must have arrived: by the deadline, and no later than
/// `timeout` (the proxy's, per reply then) from now.
pub(crate) fn by(deadline: Deadline, timeout: Option<Duration>) -> Instant {
    match timeout.and_then(|timeout| Instant::now().checked_add(timeout)) {
        Some(limit) => limit.min(deadline.instant()),
        None => deadline.instant(),
    }
}

/// The error of receiving the reply to a CONNECT from `location`: a peer that is no Pyro5
/// daemon is named, and a timeout says that nothing came (shared by the blocking and the async
/// connections).
pub(crate) fn handshake_receive_error(error: StreamError, location: &str) -> Error {
    match error {
        // Not a Pyro5 daemon at all: say who answered what.
        StreamError::Protocol(ProtocolError::InvalidTag { found }) => {
            Error::Protocol(ProtocolError::NotPyro { peer: location.to_owned(), found })
        }
        other => match Error::from(other) {
            // Some servers wait for more than Pyro5's CONNECT before they say anything (unless
            // it is the deadline that ran out).
            Error::Timeout { after, context } if !context.ends_with(DEADLINE_PASSED) => Error::Timeout {
                after,
                context: format!("{context}: it took the connection but sent no Pyro5 reply (is it a Pyro5 daemon?)"),
            },
            other => other,
        },
    }
}

/// Interprets the reply to a CONNECT (the session's [`ClientSession::on_connect_reply`]),
/// logging as Pyro5 does and taking in the reply's annotations (shared by the blocking and the
/// async connections).
pub(crate) fn on_handshake_reply(
    session: &ClientSession,
    reply: &Message,
    uri: &Uri,
    location: &str,
    tls: bool,
) -> Result<Handshake, Error> {
    // Pyro5 logs the refusal ("connection to <location> rejected: <reason>") as an error.
    let handshake = session
        .on_connect_reply(reply, location)
        .inspect_err(|error| tracing::error!(target: "pyro::proxy", "{error}"))?;
    tracing::debug!(target: "pyro::proxy", "connected to {uri} - {}", if tls { "SSL" } else { "unencrypted" });
    crate::current_context::received(reply);
    Ok(handshake)
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::protocol::MessageType;
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
            session: ClientSession::new(Serializer::Msgpack).with_seq(u16::MAX - 1),
            generation: 0,
            object: "obj".into(),
            reply_context: "test".into(),
        };
        let mut request = Message::new(MessageType::Invoke, 4, vec![0x94]);
        for expected in [u16::MAX, 0] {
            let reply = conn.exchange_by(&mut request, None).unwrap().unwrap();
            assert_eq!(reply.seq, expected);
        }
        assert_eq!(echo.join().unwrap(), [u16::MAX, 0]);
    }
}

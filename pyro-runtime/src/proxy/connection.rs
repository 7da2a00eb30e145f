//! One client connection to a daemon: a blocking driver of a [`ClientSession`], which owns the
//! CONNECT handshake, the sequence numbers and the reply checks.

use std::time::Duration;

use crate::protocol::ProtocolError;
use crate::protocol::{EncodeOptions, Flags, Message};
use crate::serializer::Serializer;
use crate::session::{ClientSession, Handshake};
use crate::transport::{MessageStream, Socket, StreamError, TlsClient, connect_with_tls};
use crate::uri::Location;
use crate::value::Value;
use crate::{Error, Uri};

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
        let socket = connect_with_tls(target.location, target.timeout, target.tls)
            .inspect_err(|error| tracing::error!(target: "pyro::proxy", "{error}"))?;
        let peer_certificates = socket.peer_certificates();
        let mut stream = MessageStream::new(socket, target.options);
        // `connect_with_tls` set the socket's timeout.
        stream.assume_timeout(target.timeout);
        let session = ClientSession::new(target.serializer);
        let mut request = session.connect_request(target.uri.object(), target.handshake)?;
        (target.stamp)(&mut request);
        let location = target.location.to_string();
        stream.send_message(&request)?;
        let reply = stream
            .receive_message(&[], &format!("connecting to {location}"))
            .map_err(|e| handshake_receive_error(e, &location))?;
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
    /// and checks it ([`ClientSession::check_reply`]). Any error leaves the connection in an
    /// unknown state: the caller must drop it.
    pub(crate) fn exchange(&mut self, request: &mut Message) -> Result<Option<Message>, Error> {
        self.send(request)?;
        if request.flags.contains(Flags::ONEWAY) {
            return Ok(None);
        }
        self.receive().map(Some)
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

    /// Sends a PING (sequence number 0) and waits for the daemon's PING reply.
    pub(crate) fn ping(&mut self) -> Result<(), Error> {
        self.stream.send_message(&self.session.ping_request())?;
        let reply = self.stream.receive_message(&[], &self.reply_context)?;
        self.session.check_ping_reply(&reply)
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
            // Some servers wait for more than Pyro5's CONNECT before they say anything.
            Error::Timeout { after, context } => Error::Timeout {
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
            let reply = conn.exchange(&mut request).unwrap().unwrap();
            assert_eq!(reply.seq, expected);
        }
        assert_eq!(echo.join().unwrap(), [u16::MAX, 0]);
    }
}

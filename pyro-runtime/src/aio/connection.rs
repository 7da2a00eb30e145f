//! One async client connection: a tokio driver of the same [`ClientSession`] the blocking
//! connection drives (the CONNECT handshake, sequence numbers, reply checks).

use std::time::Duration;

use super::transport::{AsyncMessageStream, connect};
use crate::protocol::{Flags, Message};
use crate::proxy::connection::{handshake_receive_error, on_handshake_reply};
use crate::serializer::Serializer;
use crate::session::{ClientSession, Handshake};
use crate::uri::Location;
use crate::{Error, Uri};

/// A connected, handshaken connection.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: AsyncMessageStream,
    session: ClientSession,
    /// The pool generation this connection was opened in.
    pub(crate) generation: u64,
    /// The id of the object this connection talks to.
    object: String,
    /// `"receiving a reply from <uri>"`, built once for error messages.
    reply_context: String,
    timeout: Option<Duration>,
}

impl Connection {
    /// Connects to `location` for `uri` and performs the CONNECT handshake (sequence number 0)
    /// with the settings of `core` (handshake value, timeout, encoding, TLS, annotations) and
    /// the annotations of the thread that started the call (`thread`).
    pub(crate) async fn open(
        core: &crate::proxy::Proxy,
        uri: &Uri,
        location: &Location,
        serializer: Serializer,
        generation: u64,
        thread: &crate::current_context::Outgoing,
    ) -> Result<(Connection, Handshake), Error> {
        tracing::debug!(target: "pyro::proxy", "connecting to {uri} (async)");
        let tls = core.tls_client()?;
        let timeout = core.timeout();
        let socket = connect(location, timeout, tls)
            .await
            .inspect_err(|error| tracing::error!(target: "pyro::proxy", "{error}"))?;
        let peer_certificates = socket.peer_certificates();
        let mut stream = AsyncMessageStream::new(socket, core.encode_options());
        let session = ClientSession::new(serializer);
        let mut request = session.connect_request(uri.object(), core.handshake())?;
        core.stamp_from(&mut request, thread);
        let location_text = location.to_string();
        stream.send(&[&request], timeout).await?;
        let reply = stream
            .receive(&format!("connecting to {location_text}"), timeout)
            .await
            .map_err(|e| handshake_receive_error(e, &location_text))?;
        let mut handshake = on_handshake_reply(&session, &reply, uri, &location_text, tls.is_some())?;
        handshake.peer_certificates = peer_certificates;
        let conn = Connection {
            stream,
            session,
            generation,
            object: uri.object().to_owned(),
            reply_context: format!("receiving a reply from {uri}"),
            timeout,
        };
        Ok((conn, handshake))
    }

    /// A connection over a socket the user connected (no CONNECT handshake: see
    /// [`aio::Proxy::connected`](crate::aio::Proxy::connected)).
    pub(crate) fn adopt(
        socket: super::transport::AsyncSocket,
        core: &crate::proxy::Proxy,
        serializer: Serializer,
        generation: u64,
    ) -> Connection {
        let uri = core.uri();
        Connection {
            stream: AsyncMessageStream::new(socket, core.encode_options()),
            session: ClientSession::new(serializer),
            generation,
            object: uri.object().to_owned(),
            reply_context: format!("receiving a reply from {uri}"),
            timeout: core.timeout(),
        }
    }

    /// The id of the object this connection talks to.
    pub(crate) fn object(&self) -> &str {
        &self.object
    }

    /// The session (to interpret replies).
    pub(crate) fn session(&self) -> &ClientSession {
        &self.session
    }

    /// Sends `request` with the next sequence number and, unless it is oneway, reads the reply
    /// and checks it. An error (or the future being dropped) leaves the connection in an unknown
    /// state: the caller must drop it.
    pub(crate) async fn exchange(&mut self, request: &mut Message) -> Result<Option<Message>, Error> {
        self.send(request).await?;
        if request.flags.contains(Flags::ONEWAY) {
            return Ok(None);
        }
        self.receive().await.map(Some)
    }

    /// Sends `request` with the next sequence number without waiting for its reply.
    pub(crate) async fn send(&mut self, request: &mut Message) -> Result<(), Error> {
        self.session.prepare(request);
        Ok(self.stream.send(&[request], self.timeout).await?)
    }

    /// Reads the reply to the oldest request still waiting for one, checked against it.
    /// Sends `requests` with one write, each with the next sequence number, without waiting
    /// for their replies (pipelining, as the blocking connection's `send_all`).
    pub(crate) async fn send_all(&mut self, requests: &mut [Message]) -> Result<(), Error> {
        for request in requests.iter_mut() {
            self.session.prepare(request);
        }
        let all: Vec<&Message> = requests.iter().collect();
        Ok(self.stream.send(&all, self.timeout).await?)
    }

    /// How many requests sent on this connection still wait for their replies.
    pub(crate) fn outstanding(&self) -> usize {
        self.session.outstanding()
    }

    /// Whether a whole reply has been read already ([`receive`](Connection::receive) returns it
    /// without waiting).
    pub(crate) fn has_buffered_reply(&self) -> bool {
        self.stream.has_buffered_message()
    }

    pub(crate) async fn receive(&mut self) -> Result<Message, Error> {
        let reply = self.stream.receive(&self.reply_context, self.timeout).await?;
        self.session.check_reply(&reply)?;
        Ok(reply)
    }

    /// Sends a PING (sequence number 0) and waits for the daemon's PING reply.
    pub(crate) async fn ping(&mut self) -> Result<(), Error> {
        self.stream.send(&[&self.session.ping_request()], self.timeout).await?;
        let reply = self.stream.receive(&self.reply_context, self.timeout).await?;
        self.session.check_ping_reply(&reply)
    }

    /// Uses `timeout` for the next sends and receives (the proxy's, which may have changed).
    pub(crate) fn set_timeout(&mut self, timeout: Option<Duration>) {
        self.timeout = timeout;
    }
}

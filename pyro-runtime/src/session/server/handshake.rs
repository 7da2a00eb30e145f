//! The handshake: Pyro5's `Daemon._handshake` (CONNECT answered with CONNECTOK or CONNECTFAIL).

use std::panic::{AssertUnwindSafe, catch_unwind};

use uuid::Uuid;

use super::{Action, Directory, ServerSession, State};
use crate::dispatch::Metadata;
use crate::logging::Peer;
use crate::protocol::{Message, MessageType, new_correlation_id};
use crate::serializer::marshal;
use crate::session::daemon_object;
use crate::session::exception;
use crate::session::hooks::ConnectionInfo;
use crate::{Serializer, Value};

impl ServerSession {
    /// Pyro5's `Daemon._handshake`.
    pub(super) fn handshake(&mut self, message: Message, directory: &dyn Directory) -> Action {
        self.state = State::Closed;
        let correlation_id = message.correlation_id.unwrap_or_else(new_correlation_id);
        if let Some(reason) = &self.denied {
            tracing::debug!(target: "pyro::daemon", "handshake failed with {}: {reason}", Peer(self.client_addr));
            return Action::SendAndClose(connect_fail(message.seq, Some(correlation_id), reason));
        }
        // An id no Pyro5 knows: closed without reply, as Pyro5 does.
        let Ok(ser) = Serializer::from_id(message.serializer_id) else {
            tracing::debug!(
                target: "pyro::daemon",
                "handshake failed with {}: unknown serializer id {}",
                Peer(self.client_addr),
                message.serializer_id
            );
            return Action::Close;
        };
        let client = ConnectionInfo::new(self.id, self.client_addr, ser, Some(correlation_id))
            .with_peer_certificates(self.peer_certificates.clone());
        let validate = |data: &Value| match self.hooks.handshake() {
            None => Ok(Value::from("hello")),
            Some(hook) => catch_unwind(AssertUnwindSafe(|| hook(&client, data))).unwrap_or_else(|panic| {
                Err(format!("handshake validation panicked: {}", exception::panic_text(panic.as_ref())))
            }),
        };
        let (msg_type, data) = match connect_reply(directory, ser, &message.data, validate) {
            Ok(data) => {
                tracing::debug!(target: "pyro::daemon", "handshake accepted from {}", Peer(self.client_addr));
                (MessageType::ConnectOk, data)
            }
            Err(reason) => {
                tracing::debug!(target: "pyro::daemon", "handshake failed with {}: {reason}", Peer(self.client_addr));
                (MessageType::ConnectFail, ser.to_bytes(&reason).unwrap_or_else(|_| marshal::encode_str(&reason)))
            }
        };
        let reply = Message::new(msg_type, ser.id(), data).with_seq(message.seq).with_correlation_id(correlation_id);
        if msg_type == MessageType::ConnectOk {
            self.state = State::Ready;
            self.client = Some(client);
            Action::Send(reply)
        } else {
            Action::SendAndClose(reply)
        }
    }
}

/// The CONNECTOK payload, or the reason for refusing (Python's `str(exception)`): the handshake
/// data goes through `validate` first, then the object's metadata is looked up, in Pyro5's order.
fn connect_reply(
    directory: &dyn Directory,
    ser: Serializer,
    data: &[u8],
    validate: impl FnOnce(&Value) -> Result<Value, String>,
) -> Result<Vec<u8>, String> {
    #[derive(serde::Serialize)]
    struct ConnectOk<'a> {
        handshake: &'a Value,
        meta: &'a Metadata,
    }
    let request: Value = ser.from_bytes(data).map_err(|e| e.to_string())?;
    let dict = request.as_dict().ok_or_else(|| format!("invalid handshake data: {}", request.type_name()))?;
    let handshake = dict.get("handshake").ok_or_else(|| "'handshake'".to_owned())?;
    let response = validate(handshake)?;
    let object = dict.get("object").ok_or_else(|| "'object'".to_owned())?;
    let meta = object
        .as_str()
        .and_then(|id| daemon_object::metadata_of(directory, id))
        .ok_or_else(|| daemon_object::unknown_object().to_remote().message)?;
    ser.to_bytes(&ConnectOk { handshake: &response, meta: &meta }).map_err(|e| e.to_string())
}

/// A CONNECTFAIL in marshal (what Pyro5 sends before it knows the serializer, or when refusing).
pub(super) fn connect_fail(seq: u16, correlation_id: Option<Uuid>, reason: &str) -> Message {
    let reply =
        Message::new(MessageType::ConnectFail, Serializer::MARSHAL_ID, marshal::encode_str(reason)).with_seq(seq);
    match correlation_id {
        Some(id) => reply.with_correlation_id(id),
        None => reply,
    }
}
